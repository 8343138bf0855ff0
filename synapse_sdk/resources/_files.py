"""File entries of data units and the checks resource downloads share.

A data unit's ``files`` entry is whatever the server sent for one file specification: often
all of ``url``, ``checksum``, ``size``, ``is_primary``, ``file_name_original`` and ``meta``, but
any of them may be missing (older servers, files still being processed). A missing optional
field reads as its default (``None``, ``False``), never as ``AttributeError``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from synapse_sdk._converter._lazy import MISSING, peek
from synapse_sdk._exceptions import ResponseValidationError
from synapse_sdk._transfer import DownloadItem
from synapse_sdk.resources._base import Record

__all__ = ["DataUnitFile", "checked_size", "download_items", "loaded_field"]


@attrs.define(kw_only=True, eq=False, repr=False)
class DataUnitFile(Record):
    """One file of a data unit, keyed by its file specification's name.

    Every field may be missing from the server's entry; a missing one reads as its default.
    Without ``checksum`` and ``size`` a download cannot be verified (it is still downloaded).

    Attributes:
        url: The file's URL (``None``: no file to download).
        checksum: The file's checksum: an MD5 (checked on download) or a SHA-1 (not checked).
        size: The file's size in bytes (checked on download).
        is_primary: Whether this is the unit's primary file.
        file_name_original: The name the file was uploaded with (made safe on download).
        meta: Free-form metadata.
    """

    url: str | None = None
    checksum: str | None = None
    size: int | None = None
    is_primary: bool = False
    file_name_original: str | None = None
    meta: dict[str, Any] | None = None

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            # Only reached for unset slots: a field the server's entry did not carry.
            field = attrs.fields_dict(type(self)).get(name)
            if field is None or name.startswith("_"):
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            default = field.default
            return default.factory() if isinstance(default, attrs.Factory) else default


def loaded_field(obj: Any, name: str) -> Any:
    """``obj.name`` as received, or None when the server's row did not carry it.

    A row the client received is not loaded again for a missing field (that would cost a
    request and end in ``AttributeError``); a stub (``manager.ref(id)``) is loaded.
    """
    if getattr(obj, "_raw", None) is None:
        try:
            return getattr(obj, name)
        except AttributeError:
            return None
    value = peek(obj, name)  # a lazy row's field converts here (no I/O)
    return None if value is MISSING else value


def checked_size(value: object, path: str) -> int | None:
    """A server-supplied file size: None or an int >= 0, else :class:`ResponseValidationError`."""
    if value is None:
        return None
    if type(value) is not int or value < 0:
        err = ResponseValidationError(
            f"response field {path!r} should be a size in bytes (an int >= 0), got "
            f"{type(value).__name__} {repr(value)[:80]}"
        )
        err.path = path
        raise err
    return value


def download_items(
    unit_id: object, files: Mapping[str, DataUnitFile], specs: Sequence[str] | None
) -> list[DownloadItem]:
    """The files of a data unit to download (those with a URL, of ``specs`` if given).

    Raises:
        KeyError: A name in ``specs`` is not one of the unit's files.
        ResponseValidationError: A file's ``size`` is not a size (``files.<spec>.size``).
    """
    for name in specs or ():
        if name not in files:
            raise KeyError(f"data unit {unit_id} has no file {name!r} ({', '.join(files)})")
    return [
        DownloadItem(
            name,
            f.url,
            f.file_name_original,
            f.checksum,
            checked_size(f.size, f"files.{name}.size"),
        )
        for name, f in files.items()
        if f.url and (specs is None or name in specs)
    ]

"""The multipart form of an archive upload (plugin releases): the archive streamed in part
``file``, the other values as form fields encoded like the original SDK."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from synapse_sdk._http import FileSource, Multipart
from synapse_sdk._transfer import check_upload_path

__all__ = ["archive_form", "form_value"]

_BLOCK = 1024 * 1024


def form_value(value: Any) -> list[str]:
    """Encode one multipart form value like the real SDK: dicts as JSON, lists repeated."""
    if value is None:
        return []
    if isinstance(value, bool):
        return ["True" if value else "False"]
    if isinstance(value, dict):
        return [json.dumps(value)]
    if isinstance(value, list | tuple):
        return [v for item in value for v in form_value(item)]
    return [str(value)]


def _stream_of(handle: Any) -> tuple[str, FileSource]:
    """A multipart source for an open binary file: streamed from its current position when it
    can seek (each retry rereads it), else read once."""
    raw_name = getattr(handle, "name", None)
    name = Path(raw_name).name if isinstance(raw_name, str) and raw_name else "plugin.zip"
    if isinstance(handle, io.TextIOBase) or isinstance(handle.read(0), str):
        raise TypeError("the archive must be opened in binary mode ('rb'), not text mode")
    if not (hasattr(handle, "seekable") and handle.seekable()):
        payload = handle.read()
        return name, payload
    start = handle.tell()
    size = handle.seek(0, os.SEEK_END) - start
    handle.seek(start)

    def blocks() -> Iterator[bytes]:
        handle.seek(start)
        left = size
        while left > 0:
            block = handle.read(min(_BLOCK, left))
            if not block:
                return
            left -= len(block)
            yield block

    return name, (blocks, size)


def archive_form(fields: Mapping[str, Any], source: Any) -> Multipart:
    """The multipart body: ``source`` (a path, bytes or an open binary file) in part ``file``.

    Raises:
        OSError: The path cannot be read (before any request).
        TypeError: ``source`` is a text-mode file.
    """
    payload: FileSource
    if isinstance(source, bytes | bytearray | memoryview):
        name, payload = "plugin.zip", source
    elif hasattr(source, "read"):
        name, payload = _stream_of(source)
    else:
        path = check_upload_path(source)
        name, payload = path.name, path
    values = [(key, v) for key, value in fields.items() for v in form_value(value)]
    return Multipart(fields=values, files=[("file", name, payload, None)])

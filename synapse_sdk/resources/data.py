"""Data collections, data files and data units (``data_collections/``, ``data_files/``,
``data_units/``)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import attrs

from synapse_sdk._endpoint import Action, Endpoint
from synapse_sdk._progress import ProgressLike
from synapse_sdk._query import QuerySet
from synapse_sdk._transfer import (
    DEFAULT_CHUNK_SIZE,
    UploadInput,
    UploadReport,
    download_file,
    download_files,
    resolve_target,
    upload_to_collection,
)
from synapse_sdk.resources._base import Record, Resource, fk
from synapse_sdk.resources._enums import DataCollectionCategory, FileType
from synapse_sdk.resources._files import (
    DataUnitFile,
    checked_size,
    download_items,
    loaded_field,
)
from synapse_sdk.resources._manager import Manager, ReadManager

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "DATA_COLLECTIONS",
    "DATA_FILES",
    "DATA_UNITS",
    "DataCollection",
    "DataCollectionFilters",
    "DataCollectionManager",
    "DataFile",
    "DataFileManager",
    "DataUnit",
    "DataUnitFile",
    "DataUnitFilters",
    "DataUnitManager",
    "FileSpecification",
]


@attrs.define(kw_only=True, eq=False, repr=False)
class FileSpecification(Record):
    """One kind of file a data collection's units hold (``image_1``, ``meta_1``, ...)."""

    id: int | None = None
    name: str = ""
    description: str | None = None
    file_type: FileType | str | None = None
    is_required: bool = False
    is_primary: bool = False
    is_sequential: bool = False
    function_type: str | None = None
    index: int | None = None
    extensions: list[str] = attrs.field(factory=list)
    configuration: dict[str, Any] | None = None

    def accepts(self, filename: str) -> bool:
        """Whether a file of this name fits the spec's allowed extensions (none listed = any)."""
        if not self.extensions:
            return True
        suffix = Path(filename).suffix.lower()
        return suffix in {
            e.lower() if e.startswith(".") else f".{e.lower()}" for e in self.extensions
        }


@attrs.define(kw_only=True, eq=False, repr=False)
class DataCollection(Resource):
    """A collection of data units sharing file specifications."""

    id: int
    name: str = ""
    description: str | None = None
    category: DataCollectionCategory | str | None = None
    meta: dict[str, Any] | None = None
    access_level: str | None = None
    is_archived: bool = False
    created: dt.datetime | None = None
    count_projects: int | None = None
    file_specifications: list[FileSpecification] = attrs.field(factory=list)

    @property
    def data_units(self) -> DataUnitManager:
        """The collection's data units: ``collection.data_units.all()``."""
        result: DataUnitManager = (
            self._require_manager().related("data_units").scoped(data_collection=self.id)
        )
        return result

    def spec(self, name: str) -> FileSpecification:
        """The file specification called ``name``.

        Raises:
            KeyError: The collection has no such specification (the message lists the names).
        """
        for spec in self.file_specifications:
            if spec.name == name:
                return spec
        names = ", ".join(s.name for s in self.file_specifications) or "none"
        raise KeyError(f"data collection {self.id} has no file specification {name!r} ({names})")

    def upload(
        self,
        files: Sequence[UploadInput],
        *,
        parallel: int = 4,
        progress: ProgressLike = None,
        batch_size: int = 100,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        skip_existing: bool = True,
    ) -> UploadReport[DataUnit]:
        """Upload local files as data units of this collection, one unit per item.

        An item is a path (the primary spec's file), ``{spec: path}`` or ``{"files": {spec:
        path}, "meta": {...}, "groups": [...]}``. Items are checked (specs, extensions, disk)
        before anything is sent; files the server has are skipped; one bad item never stops
        the others (docs/uploads.md).

        Args:
            files: The items, in order.
            parallel: Concurrent uploads (1..64).
            progress: ``True`` for a bar over files, or a ``(done, total)`` callback.
            batch_size: Data units per ``POST data_units/`` (1..1000).
            chunk_size: Chunk size for files above 50 MiB.
            skip_existing: Skip files whose MD5 the server has (``verify_checksums``).

        Returns:
            An :class:`UploadReport`: per item ``created``/``failed`` (with the data unit or the
            reason), per file ``uploaded``/``skipped``/``failed``.

        Raises:
            ValueError, TypeError: Bad arguments, or the collection has no file specifications.
            ClientError: ``verify_checksums`` failed (before any file was sent).
        """
        manager = self._require_manager()
        specs = self.file_specifications
        if not specs:
            raw = manager.fetch_json(self.id, {"expand": "file_specifications"})
            specs = manager.build(raw).file_specifications
        data_files = manager.related("data_files")
        units = manager.related("data_units")
        assert isinstance(data_files, DataFileManager) and isinstance(units, DataUnitManager)
        return upload_to_collection(
            manager._ctx.session,
            collection_id=self.id,
            specs=specs,
            items=files,
            data_files_path=DATA_FILES.path,
            create_units=units.create_json,
            build_unit=units.build,
            verify=data_files.verify_checksums if skip_existing else None,
            parallel=parallel,
            batch_size=batch_size,
            chunk_size=chunk_size,
            progress=progress,
        )


class DataCollectionFilters(TypedDict, total=False):
    """Filters of ``client.data_collections.filter()``."""

    name: str
    """The collection with exactly this name."""
    category: DataCollectionCategory | str
    """Collections of this data category."""


DATA_COLLECTIONS = Endpoint(
    name="data_collections",
    path="data_collections/",
    filters=DataCollectionFilters,
    ordering=frozenset({"id", "created", "name"}),
)


class DataCollectionManager(ReadManager[DataCollection]):
    """``client.data_collections``."""

    endpoint = DATA_COLLECTIONS
    resource = DataCollection

    def filter(self, **filters: Unpack[DataCollectionFilters]) -> QuerySet[DataCollection]:
        """Data collections matching ``filters`` (lazy)."""
        return self._filter(filters)


@attrs.define(kw_only=True, eq=False, repr=False)
class DataFile(Resource):
    """An uploaded file (``checksum`` is the MD5 of its bytes)."""

    id: int
    checksum: str = ""
    file: str | None = None
    size: int | None = None
    meta: dict[str, Any] | None = None
    created_at: dt.datetime | None = None

    def download(
        self,
        dest: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        max_bytes: int | None = None,
        deadline: float | None = None,
        progress: ProgressLike = None,
    ) -> Path:
        """Download the file (streamed, resumable, MD5-checked, no auth headers sent).

        Args:
            dest: A directory (the file keeps its safe base name) or a file path.
            overwrite: Replace an existing file.
            max_bytes: Refuse a larger file.
            deadline: Seconds for the whole download.
            progress: ``True`` for a bar, or a ``(done, total)`` callback.

        Returns:
            The downloaded file's path.

        Raises:
            ValueError: The data file has no URL.
            OriginError: The URL is not one the SDK downloads from (before any request).
            ResponseValidationError: ``size`` is not a size (before any request).
            FileExistsError: The target exists and ``overwrite`` is False (before any request).
            IntegrityError: The bytes do not match ``checksum``/``size``.
        """
        url = loaded_field(self, "file")
        if not url:
            raise ValueError(f"data file {self.id} has no file URL to download")
        return download_file(
            self._require_manager()._ctx.session,
            url,
            resolve_target(dest, url),
            overwrite=overwrite,
            max_bytes=max_bytes,
            deadline=deadline,
            md5=loaded_field(self, "checksum"),
            size=checked_size(loaded_field(self, "size"), "size"),
            progress=progress,
        )


DATA_FILES = Endpoint(
    name="data_files",
    path="data_files/",
    ops=frozenset({"get", "create"}),
    actions={"verify_checksums": Action("POST", "verify_checksums/", detail=False)},
)


class DataFileManager(Manager[DataFile]):
    """``client.data_files``: ``get``, ``verify_checksums``; uploads live in ``client.uploads``."""

    endpoint = DATA_FILES
    resource = DataFile

    def verify_checksums(self, checksums: Sequence[str]) -> set[str]:
        """Which of ``checksums`` (MD5 hex) the server already has, in batches of 1,000."""
        found: set[str] = set()
        items = list(checksums)
        for item in items:
            if not isinstance(item, str):
                raise TypeError(f"checksums must be strings, got {type(item).__name__}")
        for i in range(0, len(items), 1000):
            raw = self.action_json("verify_checksums", json={"checksums": items[i : i + 1000]})
            found.update(raw.get("existing_checksums", []) if isinstance(raw, dict) else [])
        return found


@attrs.define(kw_only=True, eq=False, repr=False)
class DataUnit(Resource):
    """A set of files (one per file specification) forming one item to annotate."""

    id: int
    data_collection_id: int | None = fk("data_collection", "data_collections")
    group: int | None = None
    checksum: str | None = None
    meta: dict[str, Any] | None = None
    files: dict[str, DataUnitFile] = attrs.field(factory=dict)
    created: dt.datetime | None = None

    @property
    def data_collection(self) -> DataCollection | None:
        """The unit's data collection (loaded on first use)."""
        result: DataCollection | None = self._related("data_collection_id", "data_collections")
        return result

    def download(
        self,
        dest_dir: str | os.PathLike[str],
        *,
        specs: Sequence[str] | None = None,
        overwrite: bool = False,
        max_bytes: int | None = None,
        deadline: float | None = None,
        progress: ProgressLike = None,
    ) -> dict[str, Path]:
        """Download the unit's files into ``dest_dir`` (created if needed).

        Files keep their original base name, made safe; each is streamed to a ``.part`` file
        (resumed with ``Range`` only for the same object), checked (MD5, size) and renamed. No
        auth headers are sent. A file entry without ``checksum`` or ``size`` is downloaded
        without that check (nothing to compare with).

        Args:
            dest_dir: The directory.
            specs: Only these file specifications (default: all).
            overwrite: Replace existing files (else an existing one fails before any request).
            max_bytes: Refuse any file larger than this.
            deadline: Seconds for all the unit's files together.
            progress: ``True`` for a bar, or a ``(done, total)`` callback over the unit's bytes.

        Returns:
            Spec name -> downloaded path (files without a URL are left out).

        Raises:
            KeyError: A name in ``specs`` is not one of the unit's files.
            OriginError: A file URL is not one the SDK downloads from (before any request).
            ResponseValidationError: A file's ``size`` is not a size (before any request).
            FileExistsError: A target exists and ``overwrite`` is False (before any request).
            IntegrityError, ResponseError, DeadlineExceededError, ClientError: A download failed.
        """
        items = download_items(self.id, loaded_field(self, "files") or {}, specs)
        return download_files(
            self._require_manager()._ctx.session,
            items,
            dest_dir,
            overwrite=overwrite,
            max_bytes=max_bytes,
            deadline=deadline,
            progress=progress,
            desc=f"data unit {self.id}",
        )


class DataUnitFilters(TypedDict, total=False):
    """Filters of ``client.data_units.filter()``."""

    data_collection: int
    """Units of this data collection."""
    group: int
    """Units in this data group (the leaf group's id)."""
    checksum: str
    """The unit with this checksum (derived from its files' checksums)."""
    search: str
    """Units whose meta contains this text (case-insensitive)."""
    id__in: Sequence[int]
    """Units whose id is one of these."""
    id__gt: int
    """Units whose id is greater than this."""
    id__gte: int
    """Units whose id is greater than or equal to this."""
    id__lt: int
    """Units whose id is less than this."""
    id__lte: int
    """Units whose id is less than or equal to this."""
    ids: Sequence[int]
    """Units whose id is one of these (like ``id__in``)."""


DATA_UNITS = Endpoint(
    name="data_units",
    path="data_units/",
    ops=frozenset({"get", "list", "create"}),
    filters=DataUnitFilters,
)


class DataUnitManager(Manager[DataUnit]):
    """``client.data_units``: listing, ``get`` and ``create_many``."""

    endpoint = DATA_UNITS
    resource = DataUnit

    def filter(self, **filters: Unpack[DataUnitFilters]) -> QuerySet[DataUnit]:
        """Data units matching ``filters`` (lazy)."""
        return self._filter(filters)

    def create_many(self, units: Sequence[dict[str, Any]]) -> list[DataUnit]:
        """Create data units in one request. Each item: ``{"data_collection": id, "files":
        {spec: {"checksum": md5, "path": name}}, "meta"?: {...}, "groups"?: [...]}``."""
        if not isinstance(units, list | tuple) or not all(isinstance(u, dict) for u in units):
            raise TypeError("create_many takes a list of data-unit objects (dicts)")
        items = [{**self._scope, **u} for u in units]
        raw = self.create_json(items)
        rows = raw if isinstance(raw, list) else [raw]
        return [self.build(row) for row in rows]

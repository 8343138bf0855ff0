"""Data collections and data units (``data_collections/``, ``data_units/``)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import attrs

from synapse_sdk._async import asyncify
from synapse_sdk._endpoint import Endpoint
from synapse_sdk._exceptions import ResponseValidationError
from synapse_sdk._progress import ProgressLike
from synapse_sdk._query import QuerySet
from synapse_sdk._transfer import (
    DEFAULT_CHUNK_SIZE,
    LOOKUP_PAGE_SIZE,
    ExistingUnits,
    UploadInput,
    UploadReport,
    check_existing_units,
    upload_to_collection,
)
from synapse_sdk.resources._base import Record, Resource, fk
from synapse_sdk.resources._capabilities import CreateManager, DetailManager
from synapse_sdk.resources._enums import DataCollectionCategory, FileType
from synapse_sdk.resources._files import (
    DataUnitFile,
    download_items,
    loaded_field,
)
from synapse_sdk.resources._relations import ForeignKey, Related
from synapse_sdk.resources.data_files import (  # their old home (kept importable)
    DATA_FILES as DATA_FILES,
)
from synapse_sdk.resources.data_files import DataFile as DataFile
from synapse_sdk.resources.data_files import DataFileManager as DataFileManager

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "DATA_COLLECTIONS",
    "DATA_UNITS",
    "DataCollection",
    "DataCollectionFilters",
    "DataCollectionManager",
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
    file_type: FileType | None = None
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

    if TYPE_CHECKING:

        def _filter_signature(self, **filters: Unpack[DataCollectionFilters]) -> DataCollection:
            """The keywords of ``QuerySet.filter`` (for type checkers only)."""
            ...

    id: int
    name: str = ""
    description: str | None = None
    category: DataCollectionCategory | None = None
    meta: dict[str, Any] | None = None
    access_level: str | None = None
    is_archived: bool = False
    created: dt.datetime | None = None
    count_projects: int | None = None
    file_specifications: list[FileSpecification] = attrs.field(factory=list)

    data_units = Related["DataUnitManager"]("data_collection")
    """The collection's data units: ``collection.data_units.all()``."""

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
        existing_units: ExistingUnits = "reuse",
    ) -> UploadReport[DataUnit]:
        """Upload local files as data units of this collection, one unit per item.

        An item is a path (the primary spec's file), ``{spec: path}`` or ``{"files": {spec:
        path}, "meta": {...}, "groups": [...]}``. Items are checked (specs, extensions, disk)
        before anything is sent; files the server has are skipped; an item whose files the
        collection already holds as a unit reuses that unit, so running the same upload again
        creates nothing new; one bad item never stops the others (docs/uploads.md).

        Args:
            files: The items, in order.
            parallel: Concurrent uploads (1..64).
            progress: ``True`` for a bar over files, or a ``(done, total)`` callback.
            batch_size: Data units per ``POST data_units/`` (1..1000).
            chunk_size: Chunk size for files above 50 MiB.
            skip_existing: Skip files whose MD5 the server has (``verify_checksums``).
            existing_units: ``"reuse"`` (default): an item with the same files (spec name ->
                checksum) as a unit of this collection, or as an earlier item of the call,
                gets that unit (``reused``; its ``meta``/``groups`` are not applied to it);
                ``"create"``: always create a new unit.

        Returns:
            An :class:`UploadReport`: per item ``created``/``reused``/``failed`` (with the data
            unit and its id, or the reason), per file ``uploaded``/``skipped``/``failed``.

        Raises:
            ValueError, TypeError: Bad arguments, or the collection has no file specifications.
            ClientError: ``verify_checksums`` failed (before any file was sent).
        """
        manager = self._require_manager()
        check_existing_units(existing_units)  # before the specs request below
        specs = self.file_specifications
        if not specs:
            specs = manager._get(self.id, ("file_specifications",), ()).file_specifications
        return manager.related(DataUnitManager)._upload(
            self.id,
            specs,
            files,
            parallel=parallel,
            batch_size=batch_size,
            chunk_size=chunk_size,
            skip_existing=skip_existing,
            existing_units=existing_units,
            progress=progress,
        )

    aupload = asyncify(upload, write=True)


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


class DataCollectionManager(DetailManager[DataCollection, int]):
    """``client.data_collections``."""

    endpoint = DATA_COLLECTIONS
    resource = DataCollection

    def filter(self, **filters: Unpack[DataCollectionFilters]) -> QuerySet[DataCollection]:
        """Data collections matching ``filters`` (lazy)."""
        return self._filter(filters)


@attrs.define(kw_only=True, eq=False, repr=False)
class DataUnit(Resource):
    """A set of files (one per file specification) forming one item to annotate."""

    if TYPE_CHECKING:

        def _filter_signature(self, **filters: Unpack[DataUnitFilters]) -> DataUnit:
            """The keywords of ``QuerySet.filter`` (for type checkers only)."""
            ...

    id: int
    data_collection_id: int | None = fk("data_collection")
    group: int | None = None
    checksum: str | None = None
    meta: dict[str, Any] | None = None
    files: dict[str, DataUnitFile] = attrs.field(factory=dict)
    created: dt.datetime | None = None

    data_collection = ForeignKey["DataCollection"]("data_collection_id")
    """The unit's data collection (loaded on first use)."""

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
        return self._require_manager()._download_files(
            items,
            dest_dir,
            overwrite=overwrite,
            max_bytes=max_bytes,
            deadline=deadline,
            progress=progress,
            desc=f"data unit {self.id}",
        )

    adownload = asyncify(download)


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


class DataUnitManager(CreateManager[DataUnit, int]):
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

    def _upload(
        self,
        collection_id: int,
        specs: Sequence[FileSpecification],
        files: Sequence[UploadInput],
        *,
        parallel: int,
        batch_size: int,
        chunk_size: int,
        skip_existing: bool,
        existing_units: ExistingUnits,
        progress: ProgressLike,
    ) -> UploadReport[DataUnit]:
        """The engine behind ``DataCollection.upload``: files to data files, then units."""
        data_files = self.related(DataFileManager)

        def find_units(checksum: str) -> list[Any]:
            # The collection's units with this checksum, oldest first (rows checked by the engine).
            page = self.list_json(
                {
                    "data_collection": collection_id,
                    "checksum": checksum,
                    "ordering": "id",
                    "page_size": LOOKUP_PAGE_SIZE,
                }
            )
            rows = page.get("results") if isinstance(page, dict) else page
            if not isinstance(rows, list):
                raise ResponseValidationError(
                    f"data_units/ answered a page without a results list: {page!r}"[:300],
                    response=page,
                )
            return rows

        return upload_to_collection(
            self._ctx.session,
            collection_id=collection_id,
            specs=specs,
            items=files,
            data_files_path=data_files.endpoint.path,
            create_units=self.create_json,
            build_unit=self.build,
            verify=data_files.verify_checksums if skip_existing else None,
            find_units=find_units,
            existing_units=existing_units,
            parallel=parallel,
            batch_size=batch_size,
            chunk_size=chunk_size,
            progress=progress,
        )

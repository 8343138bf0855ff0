"""Data collections, data files and data units (``data_collections/``, ``data_files/``,
``data_units/``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import attrs

from synapse_sdk._endpoint import Action, Endpoint
from synapse_sdk._query import QuerySet
from synapse_sdk.resources._base import Record, Resource, fk
from synapse_sdk.resources._enums import DataCollectionCategory, FileType
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


class DataCollectionFilters(TypedDict, total=False):
    """Filters of ``client.data_collections.filter()``."""

    name: str
    category: DataCollectionCategory | str


DATA_COLLECTIONS = Endpoint(
    name="data_collections",
    path="data_collections/",
    filters={"name": "str", "category": "str"},
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
class DataUnitFile(Record):
    """One file of a data unit, keyed by its file specification's name."""

    url: str | None = None
    checksum: str | None = None
    size: int | None = None
    is_primary: bool = False
    file_name_original: str | None = None
    meta: dict[str, Any] | None = None


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


class DataUnitFilters(TypedDict, total=False):
    """Filters of ``client.data_units.filter()``."""

    data_collection: int
    group: int
    checksum: str
    search: str
    id__in: Sequence[int]
    id__gt: int
    id__gte: int
    id__lt: int
    id__lte: int
    ids: Sequence[int]


DATA_UNITS = Endpoint(
    name="data_units",
    path="data_units/",
    ops=frozenset({"get", "list", "create"}),
    filters={
        "data_collection": "int",
        "group": "int",
        "checksum": "str",
        "search": "str",
        "id__in": "ints",
        "id__gt": "int",
        "id__gte": "int",
        "id__lt": "int",
        "id__lte": "int",
        "ids": "ints",
    },
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

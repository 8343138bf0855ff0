"""Models, storages and ground truth (``models/``, ``storages/``, ``ground_truth_datasets/``,
``ground_truth_dataset_versions/``, ``sdk/ground_truth_events/``)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import attrs

from synapse_sdk._endpoint import Endpoint
from synapse_sdk._progress import ProgressLike
from synapse_sdk._query import QuerySet
from synapse_sdk._transfer import download_file, resolve_target
from synapse_sdk.resources._base import Resource, fk
from synapse_sdk.resources._enums import GroundTruthCategory, StorageCategory, StorageProvider
from synapse_sdk.resources._files import checked_size, loaded_field
from synapse_sdk.resources._manager import Manager, ReadManager

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "GROUND_TRUTH_DATASETS",
    "GROUND_TRUTH_EVENTS",
    "GROUND_TRUTH_VERSIONS",
    "MODELS",
    "STORAGES",
    "GroundTruthDataset",
    "GroundTruthDatasetManager",
    "GroundTruthEvent",
    "GroundTruthEventFilters",
    "GroundTruthEventManager",
    "GroundTruthVersion",
    "GroundTruthVersionManager",
    "Model",
    "ModelFilters",
    "ModelManager",
    "Storage",
    "StorageFilters",
    "StorageManager",
]


@attrs.define(kw_only=True, eq=False, repr=False)
class Model(Resource):
    """A trained model; ``file`` is the URL of its archive."""

    id: int
    name: str = ""
    description: str | None = None
    category: str | None = None
    project_id: int | None = fk("project", "projects")
    plugin: str | None = None
    version: str | None = None
    checkpoint: int | None = None
    configuration: dict[str, Any] | None = None
    file: str | None = None
    size: int | None = None
    is_released: bool = False
    created: dt.datetime | None = None

    def download(
        self,
        dest: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        max_bytes: int | None = None,
        deadline: float | None = None,
        progress: ProgressLike = None,
    ) -> Path:
        """Download the model's file (streamed to disk, resumable, no auth headers sent).

        Args:
            dest: A directory (the file keeps the URL's safe base name) or a file path.
            overwrite: Replace an existing file.
            max_bytes: Refuse a larger file.
            deadline: Seconds for the whole download.
            progress: ``True`` for a bar, or a ``(done, total)`` callback.

        Returns:
            The downloaded file's path.

        Raises:
            ValueError: The model has no file.
            OriginError: The file URL is not one the SDK downloads from (before any request).
            ResponseValidationError: ``size`` is not a size (before any request).
            FileExistsError: The target exists and ``overwrite`` is False (before any request).
            ResponseError, DeadlineExceededError, IntegrityError, ClientError: The download failed.
        """
        url = loaded_field(self, "file")
        if not url:
            raise ValueError(f"model {self.id} has no file to download")
        return download_file(
            self._require_manager()._ctx.session,
            url,
            resolve_target(dest, url),
            overwrite=overwrite,
            max_bytes=max_bytes,
            deadline=deadline,
            size=checked_size(loaded_field(self, "size"), "size"),
            progress=progress,
        )


class ModelFilters(TypedDict, total=False):
    """Filters of ``client.models.filter()``."""

    project: int
    """Models of this project."""
    plugin: str
    """Models trained by this plugin (its code)."""
    is_released: bool
    """Released models (``True``) or the others (``False``)."""
    name: str
    """Models whose name contains this text (case-insensitive)."""


MODELS = Endpoint(
    name="models",
    path="models/",
    ops=frozenset({"get", "list", "create"}),
    filters=ModelFilters,
)


class ModelManager(Manager[Model]):
    """``client.models``: listing, ``get``; ``client.uploads.create_model`` uploads a file."""

    endpoint = MODELS
    resource = Model

    def filter(self, **filters: Unpack[ModelFilters]) -> QuerySet[Model]:
        """Models matching ``filters`` (lazy)."""
        return self._filter(filters)


@attrs.define(kw_only=True, eq=False, repr=False)
class Storage(Resource):
    """A storage backend configuration."""

    id: int
    name: str = ""
    category: StorageCategory | str | None = None
    provider: StorageProvider | str | None = None
    configuration: dict[str, Any] | None = None
    is_default: bool = False
    created: dt.datetime | None = None


class StorageFilters(TypedDict, total=False):
    """Filters of ``client.storages.filter()``."""

    category: StorageCategory | str
    """Storages of this category (``"internal"``, ``"external"``)."""
    provider: StorageProvider | str
    """Storages of this provider (``"amazon_s3"`` ...)."""
    is_default: bool
    """The tenant's default storage (``True``) or the others (``False``)."""


STORAGES = Endpoint(
    name="storages",
    path="storages/",
    ops=frozenset({"get", "list", "create"}),
    filters=StorageFilters,
    ordering=frozenset({"id", "created", "name"}),
)


class StorageManager(Manager[Storage]):
    """``client.storages``."""

    endpoint = STORAGES
    resource = Storage

    def filter(self, **filters: Unpack[StorageFilters]) -> QuerySet[Storage]:
        """Storages matching ``filters`` (lazy)."""
        return self._filter(filters)

    def default(self) -> Storage | None:
        """The tenant's default storage (``is_default``), else the first one, else ``None``."""
        return self.filter(is_default=True).first() or self.all().first()


@attrs.define(kw_only=True, eq=False, repr=False)
class GroundTruthDataset(Resource):
    """A ground-truth dataset."""

    id: int
    name: str = ""
    project_id: int | None = fk("project", "projects")
    description: str | None = None
    created: dt.datetime | None = None

    @property
    def versions(self) -> GroundTruthVersionManager:
        """The dataset's versions."""
        result: GroundTruthVersionManager = (
            self._require_manager()
            .related("ground_truth_versions")
            .scoped(ground_truth_dataset=self.id)
        )
        return result


class GroundTruthDatasetFilters(TypedDict, total=False):
    """Filters of ``client.ground_truth_datasets.filter()``."""

    project: int
    """Datasets of this project."""
    name: str
    """The dataset with exactly this name."""


GROUND_TRUTH_DATASETS = Endpoint(
    name="ground_truth_datasets",
    path="ground_truth_datasets/",
    filters=GroundTruthDatasetFilters,
)


class GroundTruthDatasetManager(ReadManager[GroundTruthDataset]):
    """``client.ground_truth_datasets``."""

    endpoint = GROUND_TRUTH_DATASETS
    resource = GroundTruthDataset

    def filter(self, **filters: Unpack[GroundTruthDatasetFilters]) -> QuerySet[GroundTruthDataset]:
        """Datasets matching ``filters`` (lazy)."""
        return self._filter(filters)


@attrs.define(kw_only=True, eq=False, repr=False)
class GroundTruthVersion(Resource):
    """A version of a ground-truth dataset."""

    id: int
    version: str = ""
    ground_truth_dataset_id: int | None = fk("ground_truth_dataset", "ground_truth_datasets")
    description: str | None = None
    is_archived: bool = False
    created: dt.datetime | None = None

    @property
    def events(self) -> QuerySet[GroundTruthEvent]:
        """The version's ground-truth events (lazy)."""
        manager = self._require_manager().related("ground_truth_events")
        assert isinstance(manager, GroundTruthEventManager)
        return manager.filter(ground_truth_dataset_versions=[self.id])


class GroundTruthVersionFilters(TypedDict, total=False):
    """Filters of ``client.ground_truth_versions.filter()``."""

    ground_truth_dataset: int
    """Versions of this ground-truth dataset."""
    is_archived: bool
    """Archived versions (``True``) or the others (``False``)."""


GROUND_TRUTH_VERSIONS = Endpoint(
    name="ground_truth_versions",
    path="ground_truth_dataset_versions/",
    filters=GroundTruthVersionFilters,
)


class GroundTruthVersionManager(ReadManager[GroundTruthVersion]):
    """``client.ground_truth_versions``."""

    endpoint = GROUND_TRUTH_VERSIONS
    resource = GroundTruthVersion

    def filter(self, **filters: Unpack[GroundTruthVersionFilters]) -> QuerySet[GroundTruthVersion]:
        """Versions matching ``filters`` (lazy)."""
        return self._filter(filters)


@attrs.define(kw_only=True, eq=False, repr=False)
class GroundTruthEvent(Resource):
    """A ground-truth history event (``id`` repeats across events of one ground truth;
    ``pgh_id`` is unique)."""

    id: int
    pgh_id: int | None = None
    pgh_obj_id: int | None = None
    pgh_label: str | None = None
    ground_truth_dataset_id: int | None = fk("ground_truth_dataset", "ground_truth_datasets")
    ground_truth_dataset_version_id: int | None = fk(
        "ground_truth_dataset_version", "ground_truth_versions"
    )
    data_unit_id: int | None = fk("data_unit", "data_units")
    category: GroundTruthCategory | str | None = None
    classes: list[str] = attrs.field(factory=list)
    data: Any = None
    files: dict[str, Any] | None = None
    created: dt.datetime | None = None


class GroundTruthEventFilters(TypedDict, total=False):
    """Filters of ``client.ground_truth_events.filter()``."""

    ground_truth_dataset_versions: int | Sequence[int]
    """Events in any of these dataset versions (ids)."""
    ground_truth_dataset: int
    """Events of this ground-truth dataset."""
    ground_truth: int
    """Events of this ground truth (the ``id`` that repeats across its events)."""
    category: GroundTruthCategory | str
    """Events in this split (``"train"``, ``"validation"``, ``"test"``)."""
    categories: Sequence[GroundTruthCategory | str]
    """Events in any of these splits."""
    classes: str | Sequence[str]
    """Events with any of these class names."""
    data_unit: int
    """Events on this data unit."""


GROUND_TRUTH_EVENTS = Endpoint(
    name="ground_truth_events",
    path="sdk/ground_truth_events/",
    ops=frozenset({"list"}),
    filters=GroundTruthEventFilters,
    ordering=frozenset({"id", "pgh_id", "created"}),
)


class GroundTruthEventManager(ReadManager[GroundTruthEvent]):
    """``client.ground_truth_events`` (``sdk/ground_truth_events/``)."""

    endpoint = GROUND_TRUTH_EVENTS
    resource = GroundTruthEvent

    def filter(self, **filters: Unpack[GroundTruthEventFilters]) -> QuerySet[GroundTruthEvent]:
        """Events matching ``filters`` (lazy)."""
        return self._filter(filters)

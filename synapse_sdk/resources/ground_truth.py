"""Ground truth (``ground_truth_datasets/``, ``ground_truth_dataset_versions/``,
``ground_truths/``, ``sdk/ground_truth_events/``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

import attrs

from synapse_sdk._endpoint import Action, Endpoint
from synapse_sdk._query import QuerySet
from synapse_sdk.resources._base import BaseResource, Resource, fk
from synapse_sdk.resources._capabilities import DetailManager
from synapse_sdk.resources._enums import GroundTruthCategory
from synapse_sdk.resources._manager import ReadManager
from synapse_sdk.resources._relations import ForeignKey, Related

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from synapse_sdk.resources.data import DataUnit  # noqa: F401 (navigation targets)
    from synapse_sdk.resources.projects import Project  # noqa: F401 (navigation targets)


__all__ = [
    "GROUND_TRUTH_DATASETS",
    "GROUND_TRUTHS",
    "GROUND_TRUTH_EVENTS",
    "GROUND_TRUTH_VERSIONS",
    "GroundTruth",
    "GroundTruthDataset",
    "GroundTruthDatasetFilters",
    "GroundTruthDatasetManager",
    "GroundTruthEvent",
    "GroundTruthEventFilters",
    "GroundTruthEventManager",
    "GroundTruthFilters",
    "GroundTruthManager",
    "GroundTruthVersion",
    "GroundTruthVersionFilters",
    "GroundTruthVersionManager",
]


@attrs.define(kw_only=True, eq=False, repr=False)
class GroundTruthDataset(Resource):
    """A ground-truth dataset."""

    if TYPE_CHECKING:

        def _filter_signature(
            self, **filters: Unpack[GroundTruthDatasetFilters]
        ) -> GroundTruthDataset:
            """The keywords of ``QuerySet.filter`` (for type checkers only)."""
            ...

    id: int
    name: str = ""
    project_id: int | None = fk("project")
    description: str | None = None
    created: dt.datetime | None = None

    project = ForeignKey["Project"]("project_id")
    """The dataset's project (loaded on first use)."""
    versions = Related["GroundTruthVersionManager"]("ground_truth_dataset")
    """The dataset's versions."""


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


class GroundTruthDatasetManager(DetailManager[GroundTruthDataset, int]):
    """``client.ground_truth_datasets``."""

    endpoint = GROUND_TRUTH_DATASETS
    resource = GroundTruthDataset

    def filter(self, **filters: Unpack[GroundTruthDatasetFilters]) -> QuerySet[GroundTruthDataset]:
        """Datasets matching ``filters`` (lazy)."""
        return self._filter(filters)


@attrs.define(kw_only=True, eq=False, repr=False)
class GroundTruthVersion(Resource):
    """A version of a ground-truth dataset."""

    if TYPE_CHECKING:

        def _filter_signature(
            self, **filters: Unpack[GroundTruthVersionFilters]
        ) -> GroundTruthVersion:
            """The keywords of ``QuerySet.filter`` (for type checkers only)."""
            ...

    id: int
    version: str = ""
    ground_truth_dataset_id: int | None = fk("ground_truth_dataset")
    description: str | None = None
    is_archived: bool = False
    created: dt.datetime | None = None

    ground_truth_dataset = ForeignKey["GroundTruthDataset"]("ground_truth_dataset_id")
    """The version's dataset (loaded on first use)."""

    @property
    def ground_truths(self) -> QuerySet[GroundTruth]:
        """The ground truths in this version (lazy)."""
        found = self._require_manager().related(GroundTruthManager)
        return found.filter(ground_truth_dataset_versions=[self.id])

    @property
    def events(self) -> QuerySet[GroundTruthEvent]:
        """The version's ground-truth events (lazy)."""
        events = self._require_manager().related(GroundTruthEventManager)
        return events.filter(ground_truth_dataset_versions=[self.id])


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


class GroundTruthVersionManager(DetailManager[GroundTruthVersion, int]):
    """``client.ground_truth_versions``."""

    endpoint = GROUND_TRUTH_VERSIONS
    resource = GroundTruthVersion

    def filter(self, **filters: Unpack[GroundTruthVersionFilters]) -> QuerySet[GroundTruthVersion]:
        """Versions matching ``filters`` (lazy)."""
        return self._filter(filters)


@attrs.define(kw_only=True, eq=False, repr=False)
class GroundTruthEvent(BaseResource):
    """A ground-truth history event (``id`` repeats across events of one ground truth;
    ``pgh_id`` is unique)."""

    if TYPE_CHECKING:

        def _filter_signature(self, **filters: Unpack[GroundTruthEventFilters]) -> GroundTruthEvent:
            """The keywords of ``QuerySet.filter`` (for type checkers only)."""
            ...

    id: int
    pgh_id: int | None = None
    pgh_obj_id: int | None = None
    pgh_label: str | None = None
    ground_truth_dataset_id: int | None = fk("ground_truth_dataset")
    ground_truth_dataset_version_id: int | None = fk("ground_truth_dataset_version")
    data_unit_id: int | None = fk("data_unit")
    category: GroundTruthCategory | None = None
    classes: list[str] = attrs.field(factory=list)
    data: Any = None
    files: dict[str, Any] | None = None
    created: dt.datetime | None = None

    ground_truth_dataset = ForeignKey["GroundTruthDataset"]("ground_truth_dataset_id")
    """The event's dataset (loaded on first use)."""
    ground_truth_dataset_version = ForeignKey["GroundTruthVersion"](
        "ground_truth_dataset_version_id"
    )
    """The event's dataset version (loaded on first use)."""
    data_unit = ForeignKey["DataUnit"]("data_unit_id")
    """The event's data unit (loaded on first use)."""


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
    actions={
        "list_data": Action("GET", "data/", detail=False),
        "list_files": Action("GET", "files/", detail=False),
    },
)


class GroundTruthEventManager(ReadManager[GroundTruthEvent]):
    """``client.ground_truth_events`` (``sdk/ground_truth_events/``)."""

    endpoint = GROUND_TRUTH_EVENTS
    resource = GroundTruthEvent

    def filter(self, **filters: Unpack[GroundTruthEventFilters]) -> QuerySet[GroundTruthEvent]:
        """Events matching ``filters`` (lazy)."""
        return self._filter(filters)

    def iter_data(self, **filters: Unpack[GroundTruthEventFilters]) -> Iterator[dict[str, Any]]:
        """``{"id", "pgh_id", "data"}`` of every event matching ``filters``
        (``sdk/ground_truth_events/data/``), page by page; filters are checked before I/O."""
        return self._route_rows("list_data", filters)

    def iter_files(self, **filters: Unpack[GroundTruthEventFilters]) -> Iterator[dict[str, Any]]:
        """``{"id", "pgh_id", "files": [...]}`` of every event matching ``filters``
        (``sdk/ground_truth_events/files/``): its files as a list of entries (``spec``, ``url``)."""
        return self._route_rows("list_files", filters)


@attrs.define(kw_only=True, eq=False, repr=False)
class GroundTruth(BaseResource):
    """A ground truth: the reference annotation of one data unit in a ground-truth dataset."""

    id: int
    ground_truth_dataset_id: int | None = fk("ground_truth_dataset")
    ground_truth_dataset_versions: list[int] = attrs.field(factory=list)
    data_unit_id: int | None = fk("data_unit")
    project_id: int | None = fk("project")
    category: GroundTruthCategory | str | None = None
    classes: list[str] = attrs.field(factory=list)
    data: Any = None
    files: dict[str, Any] | None = None
    created: dt.datetime | None = None

    ground_truth_dataset = ForeignKey["GroundTruthDataset"]("ground_truth_dataset_id")
    """The ground truth's dataset (loaded on first use)."""
    data_unit = ForeignKey["DataUnit"]("data_unit_id")
    """The ground truth's data unit (loaded on first use)."""
    project = ForeignKey["Project"]("project_id")
    """The ground truth's project (loaded on first use)."""


class GroundTruthFilters(TypedDict, total=False):
    """Filters of ``client.ground_truths.filter()`` (``ground_truths/``)."""

    id: int
    """The ground truth with this id."""
    ground_truth_dataset: int
    """Ground truths of this ground-truth dataset."""
    ground_truth_dataset_versions: int | Sequence[int]
    """Ground truths in any of these dataset versions (ids)."""
    data_unit: int
    """The ground truth of this data unit."""
    task: int
    """The ground truths of this task's data unit."""
    category: GroundTruthCategory | str
    """Ground truths in this split (``"train"``, ``"validation"``, ``"test"``)."""
    categories: Sequence[GroundTruthCategory | str]
    """Ground truths in any of these splits."""
    classes: str | Sequence[str]
    """Ground truths with any of these class names."""


GROUND_TRUTHS = Endpoint(
    name="ground_truths",
    path="ground_truths/",
    ops=frozenset({"list"}),
    filters=GroundTruthFilters,
    ordering=frozenset({"id", "created"}),
)


class GroundTruthManager(ReadManager[GroundTruth]):
    """``client.ground_truths`` (``ground_truths/``): the ground truths with their annotation
    files (``files``, keyed by file specification)."""

    endpoint = GROUND_TRUTHS
    resource = GroundTruth

    def filter(self, **filters: Unpack[GroundTruthFilters]) -> QuerySet[GroundTruth]:
        """Ground truths matching ``filters`` (lazy; unknown keys raise ``TypeError``)."""
        return self._filter(filters)

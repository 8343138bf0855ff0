"""Projects and task tags (``projects/``, ``task_tags/``)."""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING, Any, TypedDict

import attrs

from synapse_sdk._endpoint import Endpoint
from synapse_sdk._query import QuerySet
from synapse_sdk.resources._base import Resource, fk
from synapse_sdk.resources._capabilities import DetailManager
from synapse_sdk.resources._enums import ProjectCategory
from synapse_sdk.resources._relations import ForeignKey, Related

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from synapse_sdk._export import ExportOptions, ExportResult
    from synapse_sdk.resources.data import DataCollection  # noqa: F401 (navigation targets)
    from synapse_sdk.resources.tasks import TaskManager  # noqa: F401 (navigation targets)


__all__ = [
    "PROJECTS",
    "TASK_TAGS",
    "Project",
    "ProjectFilters",
    "ProjectManager",
    "TaskTag",
    "TaskTagFilters",
    "TaskTagManager",
]


@attrs.define(kw_only=True, eq=False, repr=False)
class Project(Resource):
    """A labelling project."""

    if TYPE_CHECKING:

        def _filter_signature(self, **filters: Unpack[ProjectFilters]) -> Project:
            """The keywords of ``QuerySet.filter`` (for type checkers only)."""
            ...

    id: int
    title: str = ""
    description: str | None = None
    category: ProjectCategory | None = None
    data_collection_id: int | None = fk("data_collection")
    configuration: dict[str, Any] = attrs.field(factory=dict)
    settings: dict[str, Any] | None = None
    access_level: str | None = None
    is_archived: bool = False
    created: dt.datetime | None = None
    task_count: int | None = None

    data_collection = ForeignKey["DataCollection"]("data_collection_id")
    """The project's data collection (loaded on first use)."""
    tasks = Related["TaskManager"]("project")
    """The project's tasks: ``project.tasks.filter(status="completed")``."""
    task_tags = Related["TaskTagManager"]("project")
    """The project's task tags."""

    def export(
        self, dest: str | os.PathLike[str], **options: Unpack[ExportOptions]
    ) -> ExportResult:
        """Export the project's tasks, annotations, data units and files into the folder
        ``dest``, resumably: see :func:`synapse_sdk._export.export_queryset` and docs/export.md.
        """
        return self.tasks.all().export(dest, **options)


class ProjectFilters(TypedDict, total=False):
    """Filters of ``client.projects.filter()``."""

    title: str
    """Projects whose title contains this text (case-insensitive)."""
    category: ProjectCategory | str
    """Projects of this data category."""
    is_archived: bool
    """Archived projects (``True``) or the others (``False``)."""
    data_collection: int
    """Projects labelling this data collection."""
    search: str
    """Projects whose title or description contains this text (case-insensitive)."""


PROJECTS = Endpoint(
    name="projects",
    path="projects/",
    filters=ProjectFilters,
    ordering=frozenset({"id", "created", "title"}),
)


class ProjectManager(DetailManager[Project, int]):
    """``client.projects``: ``get(id)``, ``filter(...)``, ``all()``."""

    endpoint = PROJECTS
    resource = Project

    def filter(self, **filters: Unpack[ProjectFilters]) -> QuerySet[Project]:
        """Projects matching ``filters`` (lazy)."""
        return self._filter(filters)


@attrs.define(kw_only=True, eq=False, repr=False)
class TaskTag(Resource):
    """A tag that can be put on tasks and assignments."""

    if TYPE_CHECKING:

        def _filter_signature(self, **filters: Unpack[TaskTagFilters]) -> TaskTag:
            """The keywords of ``QuerySet.filter`` (for type checkers only)."""
            ...

    id: int
    project_id: int | None = fk("project")
    name: str = ""
    color: str | None = None
    category: str | None = None
    description: str | None = None
    meta: dict[str, Any] | None = None
    created: dt.datetime | None = None

    project = ForeignKey["Project"]("project_id")
    """The tag's project (loaded on first use)."""


class TaskTagFilters(TypedDict, total=False):
    """Filters of ``client.task_tags.filter()``."""

    project: int
    """Tags of this project."""
    name: str
    """The tag with exactly this name."""
    category: str
    """Tags of this category (``"project"``, ``"export"``)."""


TASK_TAGS = Endpoint(
    name="task_tags",
    path="task_tags/",
    filters=TaskTagFilters,
    ordering=frozenset({"id", "created", "name"}),
)


class TaskTagManager(DetailManager[TaskTag, int]):
    """``client.task_tags``."""

    endpoint = TASK_TAGS
    resource = TaskTag

    def filter(self, **filters: Unpack[TaskTagFilters]) -> QuerySet[TaskTag]:
        """Task tags matching ``filters`` (lazy)."""
        return self._filter(filters)

"""Tasks and assignments (``tasks/``, ``sdk/tasks/``, ``assignments/``, ``sdk/assignments/``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypedDict

import attrs

from synapse_sdk._async import asyncify
from synapse_sdk._endpoint import Action, Endpoint
from synapse_sdk._progress import ProgressLike, check_progress
from synapse_sdk._query import QuerySet
from synapse_sdk.resources._base import Resource, fk
from synapse_sdk.resources._bulk_tasks import (
    AnnotateReport,
    AnnotateResult,
    annotate_stream,
    collect,
)
from synapse_sdk.resources._capabilities import CreateManager, DetailManager
from synapse_sdk.resources._enums import AssignmentReviewStatus, AssignmentStatus, TaskStatus
from synapse_sdk.resources._relations import ForeignKey
from synapse_sdk.resources._task_bodies import (
    TAG_CHUNK,
    TagAction,
    tag_chunks,
    tags_body,
    tasks_body,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from synapse_sdk.resources.data import DataUnit  # noqa: F401 (navigation targets)
    from synapse_sdk.resources.projects import Project  # noqa: F401 (navigation targets)


__all__ = [
    "ASSIGNMENTS",
    "TASKS",
    "Assignment",
    "AssignmentFilters",
    "AssignmentManager",
    "Task",
    "TaskFilters",
    "TaskManager",
]


class Taggable(Resource):
    """A resource whose endpoint has a ``set_tags`` action (tasks, assignments)."""

    __slots__ = ()

    def set_tags(self, tags: Sequence[int], *, action: TagAction = "add") -> Any:
        """Add (or remove) task tags on this object (``POST <family>/set_tags/``)."""
        body = tags_body(ids=[self.id], tags=tags, action=action)
        return self._require_manager().action_json("set_tags", json=body)


@attrs.define(kw_only=True, eq=False, repr=False)
class Task(Taggable):
    """A unit of annotation work on one data unit."""

    if TYPE_CHECKING:

        def _filter_signature(self, **filters: Unpack[TaskFilters]) -> Task:
            """The keywords of ``QuerySet.filter`` (for type checkers only)."""
            ...

    id: int
    project_id: int | None = fk("project")
    data_unit_id: int | None = fk("data_unit")
    workshop: int | None = None
    meta: dict[str, Any] | None = None
    data: Any = None
    status: TaskStatus | None = None
    is_discarded: bool = False
    tags: list[int] = attrs.field(factory=list)
    assignments: list[int] = attrs.field(factory=list)
    created: dt.datetime | None = None
    modified: dt.datetime | None = None

    project = ForeignKey["Project"]("project_id")
    """The task's project (loaded on first use)."""
    data_unit = ForeignKey["DataUnit"]("data_unit_id")
    """The task's data unit (embedded with ``expand("data_unit")``, else loaded on use)."""

    def annotate(
        self,
        data: Any,
        *,
        action: Literal["save", "submit"] | None = None,
        schema: Literal["dm_schema_v1", "any"] | None = None,
    ) -> Task:
        """Submit annotation ``data`` (``PUT tasks/<id>/annotate_task_data/``); updates ``self``.

        Args:
            data: The annotation. Sent as given unless ``action`` is set, in which case the body
                is ``{"action": action, "data": data}``.
            action: ``"save"`` (draft) or ``"submit"``.
            schema: ``"any"`` skips the backend's DM-schema validation.
        """
        manager = self._require_manager()
        body = data if action is None else {"action": action, "data": data}
        params = {"schema": schema} if schema else None
        raw = manager.action_json("annotate", self.id, json=body, params=params)
        if isinstance(raw, dict):
            self._apply(raw)
        return self

    aannotate = asyncify(annotate, write=True)


class TaskFilters(TypedDict, total=False):
    """Filters of ``client.tasks.filter()`` (``sdk/tasks/``)."""

    project: int
    """Tasks of this project."""
    id: int
    """The task with this id."""
    id__in: Sequence[int]
    """Tasks whose id is one of these."""
    id__gt: int
    """Tasks whose id is greater than this."""
    id__gte: int
    """Tasks whose id is greater than or equal to this."""
    id__lt: int
    """Tasks whose id is less than this."""
    id__lte: int
    """Tasks whose id is less than or equal to this."""
    ids: Sequence[int]
    """Tasks whose id is one of these (like ``id__in``)."""
    ids_ex: Sequence[int]
    """Tasks whose id is none of these."""
    is_discarded: bool
    """Discarded tasks (``True``) or the others (``False``)."""
    has_assignment: bool
    """Tasks with at least one assignment (``True``) or with none (``False``)."""
    status: TaskStatus | str
    """Tasks in this status."""
    status_label: AssignmentStatus | str
    """Tasks with an assignment in this labelling status."""
    status_review: AssignmentReviewStatus | str
    """Tasks with an assignment in this review status."""
    assignments: int | Sequence[int]
    """Tasks holding any of these assignments (ids)."""
    labelers: int | Sequence[int]
    """Tasks with an assignment labelled by any of these users (ids)."""
    reviewers: int | Sequence[int]
    """Tasks with an assignment reviewed by any of these users (ids)."""
    tags: int | Sequence[int]
    """Tasks carrying any of these task tags (ids)."""
    data_unit: int
    """Tasks on this data unit."""
    created__gt: dt.datetime | str
    """Tasks created after this moment (a datetime or an ISO 8601 string)."""
    created__gte: dt.datetime | str
    """Tasks created at or after this moment."""
    created__lt: dt.datetime | str
    """Tasks created before this moment."""
    created__lte: dt.datetime | str
    """Tasks created at or before this moment."""
    search: str
    """Tasks whose data or meta contains this text (case-insensitive)."""


TASKS = Endpoint(
    name="tasks",
    path="tasks/",
    list_path="sdk/tasks/",
    ops=frozenset({"get", "list", "create"}),
    filters=TaskFilters,
    ordering=frozenset({"id", "created", "modified"}),
    expand=frozenset({"data_unit"}),
    actions={
        "annotate": Action("PUT", "annotate_task_data/"),
        "set_tags": Action("POST", "set_tags/", detail=False),
        "list_data": Action("GET", "sdk/tasks/data/", detail=False, absolute=True),
        "list_files": Action("GET", "sdk/tasks/files/", detail=False, absolute=True),
    },
)


class TaskManager(CreateManager[Task, int]):
    """``client.tasks``: lazy listing from ``sdk/tasks/``, ``get``, ``create``, ``set_tags``."""

    endpoint = TASKS
    resource = Task

    def filter(self, **filters: Unpack[TaskFilters]) -> QuerySet[Task]:
        """Tasks matching ``filters`` (lazy; unknown keys raise ``TypeError``)."""
        return self._filter(filters)

    def iter_data(self, **filters: Unpack[TaskFilters]) -> Iterator[dict[str, Any]]:
        """``{"id", "data"}`` of every task matching ``filters`` (``sdk/tasks/data/``), page by
        page as the iterator is consumed; filters are checked like ``filter()``'s (before I/O)."""
        return self._route_rows("list_data", filters)

    def iter_files(self, **filters: Unpack[TaskFilters]) -> Iterator[dict[str, Any]]:
        """``{"id", "files": [...]}`` of every task matching ``filters`` (``sdk/tasks/files/``):
        the files of its data unit as a list of file entries (``url``, ``checksum`` ...)."""
        return self._route_rows("list_files", filters)

    def _create_body(self, data: dict[str, Any]) -> Any:
        """``create(project=p, data_unit=u)`` sends the wire form ``{"project", "data": [...]}``."""
        return tasks_body(data)

    def create_many(self, data_units: Iterable[int], *, project: int | None = None) -> list[Task]:
        """Create one task per data unit in ``project`` (one request)."""
        project_id = project if project is not None else self._scope.get("project")
        if project_id is None:
            raise TypeError("create_many needs project= (or use project.tasks.create_many)")
        body = {"project": project_id, "data": [{"data_unit": unit} for unit in data_units]}
        raw = self.create_json(body)
        rows = raw if isinstance(raw, list) else [raw]
        return [self.build(row) for row in rows]

    def set_tags(
        self, ids: Sequence[int], tags: Sequence[int], *, action: TagAction = "add"
    ) -> Any:
        """Add (or remove) ``tags`` on the tasks ``ids`` in one request."""
        return self.action_json("set_tags", json=tags_body(ids=ids, tags=tags, action=action))

    def tag_many(
        self,
        tasks: Iterable[int | Task],
        tags: Sequence[int],
        *,
        remove: bool = False,
        chunk_size: int = TAG_CHUNK,
    ) -> list[Any]:
        """Add (``remove=True``: remove) ``tags`` on many tasks: one ``set_tags`` request per
        ``chunk_size`` task ids (1000 by default), in order; returns each request's answer.

        Every id is checked before the first request. Adding or removing a tag is idempotent,
        so after a failure (earlier chunks are applied) the whole call can simply be repeated.

        Raises:
            TypeError, ValueError: A task that is not a positive id or a ``Task``, no tasks, a
                bad tag id or ``chunk_size`` (1..1000), before any request.
        """
        return tag_chunks(self, tasks, tags, remove=remove, chunk_size=chunk_size)

    def annotate_many(
        self,
        items: Iterable[Any],
        *,
        max_workers: int | None = None,
        progress: ProgressLike = None,
        schema: Literal["dm_schema_v1", "any"] | None = None,
        action: Literal["save", "submit"] | None = None,
    ) -> AnnotateReport[Task]:
        """Annotate many tasks: one ``PUT tasks/<id>/annotate_task_data/`` per item, up to
        ``max_workers`` at a time (default ``min(4, pool_maxsize)``); one failure never stops
        the others.

        Args:
            items: ``(task_or_id, data)`` pairs, ``{"task_id", "data", "schema"?, "action"?}``
                mappings, or a pandas DataFrame with ``task_id`` and ``data`` columns (and
                optionally ``schema``/``action``). A list, tuple or DataFrame is checked whole
                before any request; another iterable is read as it is sent (at most
                ``2 * max_workers`` items held), a bad item becoming that item's failure.
            max_workers: Requests in flight (1..64).
            progress: ``True`` for a bar, or a ``(done, total)`` callback (total 0 when the
                input's length is unknown).
            schema: The ``schema`` query value for items without their own (``"any"`` skips
                the backend's DM-schema check).
            action: Send ``{"action": action, "data": data}`` for items without their own.

        Returns:
            One :class:`AnnotateResult` per item, in input order, with the updated ``Task`` or
            the typed error. For very large inputs, :meth:`iter_annotate` keeps no results.

        Raises:
            TypeError, ValueError: ``items`` or an item of a sized input is malformed, or a
                task is named twice, before any request.
        """
        check_progress(progress)
        results, total = annotate_stream(self, items, max_workers, schema, action)
        return collect(results, total, progress)

    def iter_annotate(
        self,
        items: Iterable[Any],
        *,
        max_workers: int | None = None,
        schema: Literal["dm_schema_v1", "any"] | None = None,
        action: Literal["save", "submit"] | None = None,
    ) -> Iterator[AnnotateResult[Task]]:
        """Like :meth:`annotate_many`, yielding each result (in input order) as it is ready and
        keeping none: memory stays bounded for any number of items. The input is checked when
        this is called (a sized input whole, before any request)."""
        return annotate_stream(self, items, max_workers, schema, action)[0]


@attrs.define(kw_only=True, eq=False, repr=False)
class Assignment(Taggable):
    """A labeller's (and reviewer's) assignment to a task."""

    if TYPE_CHECKING:

        def _filter_signature(self, **filters: Unpack[AssignmentFilters]) -> Assignment:
            """The keywords of ``QuerySet.filter`` (for type checkers only)."""
            ...

    id: int
    project_id: int | None = fk("project")
    task_id: int | None = fk("task")
    user: int | None = None
    reviewer: int | None = None
    status_label: AssignmentStatus | None = None
    status_review: AssignmentReviewStatus | None = None
    is_confirmed: bool = False
    is_discarded: bool = False
    data: Any = None
    tags: list[int] = attrs.field(factory=list)
    created: dt.datetime | None = None

    project = ForeignKey["Project"]("project_id")
    """The assignment's project (loaded on first use)."""
    task = ForeignKey["Task"]("task_id")
    """The assignment's task (loaded on first use)."""


class AssignmentFilters(TypedDict, total=False):
    """Filters of ``client.assignments.filter()`` (``sdk/assignments/``)."""

    project: int
    """Assignments of this project."""
    task: int
    """Assignments of this task."""
    tasks: int | Sequence[int]
    """Assignments of any of these tasks (ids)."""
    users: int | Sequence[int]
    """Assignments labelled by any of these users (ids)."""
    reviewers: int | Sequence[int]
    """Assignments reviewed by any of these users (ids)."""
    status_label: AssignmentStatus | str
    """Assignments in this labelling status."""
    status_review: AssignmentReviewStatus | str
    """Assignments in this review status."""
    is_discarded: bool
    """Assignments reported as discarded (``True``) or the others (``False``)."""
    is_confirmed: bool
    """Confirmed assignments (``True``) or the others (``False``)."""
    tags: int | Sequence[int]
    """Assignments carrying any of these tags (ids)."""
    id: int
    """The assignment with this id."""
    id__in: Sequence[int]
    """Assignments whose id is one of these."""
    id__gt: int
    """Assignments whose id is greater than this."""
    id__gte: int
    """Assignments whose id is greater than or equal to this."""
    id__lt: int
    """Assignments whose id is less than this."""
    id__lte: int
    """Assignments whose id is less than or equal to this."""
    ids: Sequence[int]
    """Assignments whose id is one of these (like ``id__in``)."""
    ids_ex: Sequence[int]
    """Assignments whose id is none of these."""
    created__gt: dt.datetime | str
    """Assignments created after this moment (a datetime or an ISO 8601 string)."""
    created__gte: dt.datetime | str
    """Assignments created at or after this moment."""
    created__lt: dt.datetime | str
    """Assignments created before this moment."""
    created__lte: dt.datetime | str
    """Assignments created at or before this moment."""
    search: str
    """Assignments whose data contains this text (case-insensitive)."""


ASSIGNMENTS = Endpoint(
    name="assignments",
    path="assignments/",
    list_path="sdk/assignments/",
    filters=AssignmentFilters,
    actions={
        "set_tags": Action("POST", "set_tags/", detail=False),
        "list_data": Action("GET", "sdk/assignments/data/", detail=False, absolute=True),
        "list_files": Action("GET", "sdk/assignments/files/", detail=False, absolute=True),
    },
)


class AssignmentManager(DetailManager[Assignment, int]):
    """``client.assignments``: lazy listing from ``sdk/assignments/``, ``get``, ``set_tags``."""

    endpoint = ASSIGNMENTS
    resource = Assignment

    def filter(self, **filters: Unpack[AssignmentFilters]) -> QuerySet[Assignment]:
        """Assignments matching ``filters`` (lazy)."""
        return self._filter(filters)

    def iter_data(self, **filters: Unpack[AssignmentFilters]) -> Iterator[dict[str, Any]]:
        """``{"id", "data"}`` of every assignment matching ``filters``
        (``sdk/assignments/data/``), page by page; filters are checked before I/O."""
        return self._route_rows("list_data", filters)

    def iter_files(self, **filters: Unpack[AssignmentFilters]) -> Iterator[dict[str, Any]]:
        """``{"id", "files": [...]}`` of every assignment matching ``filters``
        (``sdk/assignments/files/``): the files of its task's data unit, as a list."""
        return self._route_rows("list_files", filters)

    def set_tags(
        self, ids: Sequence[int], tags: Sequence[int], *, action: TagAction = "add"
    ) -> Any:
        """Add (or remove) ``tags`` on the assignments ``ids`` in one request."""
        body = tags_body(ids=ids, tags=tags, action=action, seed_ids_key="assignment_ids")
        return self.action_json("set_tags", json=body)

"""The seed API's flat methods for projects, tasks, task tags and assignments (raw JSON)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypedDict, overload

from synapse_sdk._exceptions import ResponseValidationError
from synapse_sdk._url_conversion import UrlConversion
from synapse_sdk.clients._listing import ListAllRows
from synapse_sdk.clients._seed_base import SeedBase
from synapse_sdk.clients._shapes import PageEnvelope
from synapse_sdk.resources._bulk_tasks import (
    AnnotateItem,
    annotate_items,
    check_workers,
    run_in_order,
)
from synapse_sdk.resources._manager import as_row
from synapse_sdk.resources._task_bodies import tags_body, tasks_body

__all__ = ["AnnotateOutcome", "AnnotationMethods"]


class AnnotateOutcome(TypedDict):
    """One task's entry in ``annotate_task_data_batch``'s answer."""

    success: bool
    """Whether the backend accepted the annotation."""
    error: str | None
    """Why it failed (``"NotFoundError: 404: ..."``), None on success."""
    response: dict[str, Any] | None
    """The updated task as the backend answered, None on failure."""


class AnnotationMethods(SeedBase):
    """``get_project``, ``get_task``, ``list_tasks``, ``annotate_task_data`` ... (raw JSON)."""

    def get_project(self, pk: int) -> dict[str, Any]:
        """Get project details by id (raw JSON)."""
        return as_row(self.projects.fetch_json(pk), "project")

    def get_task(self, pk: int, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Get task details, e.g. ``params={'expand': 'data_unit'}`` (raw JSON)."""
        return as_row(self.tasks.fetch_json(pk, params), "task")

    def annotate_task_data(self, pk: int, data: Any, schema: str | None = None) -> dict[str, Any]:
        """Submit annotation data for a task (``PUT tasks/<pk>/annotate_task_data/``);
        ``schema`` (``'dm_schema_v1'``, or ``'any'`` to skip the backend's DM-schema check) is
        sent as the ``schema`` query parameter when given."""
        if schema is not None and (not isinstance(schema, str) or not schema):
            raise TypeError(f"schema must be a non-empty string or None, got {schema!r}")
        params = {"schema": schema} if schema is not None else None
        return as_row(self.tasks.action_json("annotate", pk, json=data, params=params), "task")

    def annotate_task_data_batch(
        self, items: Iterable[Any], *, max_workers: int | None = None
    ) -> dict[int, AnnotateOutcome]:
        """Annotate many tasks: one ``PUT tasks/<id>/annotate_task_data/`` per item, up to
        ``max_workers`` at a time (default ``min(4, pool_maxsize)``, at most 64).

        ``items`` holds ``{"task_id": id, "data": {...}, "schema"?: "any"}`` mappings or
        ``(task_id, data)`` pairs. All are checked before the first request (ids, schema, that
        ``data`` is JSON, no task twice). One failure never stops the others: the answer maps
        each task id to ``{"success", "error", "response"}``.

        Raises:
            TypeError, ValueError: A malformed item or a repeated task id (nothing is sent).
        """
        checked, _ = annotate_items(list(_items_of(items)))
        workers = check_workers(max_workers, min(4, self._session.pool_maxsize))

        def send(item: AnnotateItem | Exception) -> Any:
            if isinstance(item, Exception):  # not for a list: it was checked whole
                raise item
            params = {"schema": item.schema} if item.schema else None
            answer = self.tasks.action_json("annotate", item.task_id, json=item.body, params=params)
            if not isinstance(answer, dict):
                raise ResponseValidationError(
                    f"task {item.task_id}: the annotate answer is not a JSON object",
                    response=answer,
                )
            return answer

        out: dict[int, AnnotateOutcome] = {}
        for item, outcome in run_in_order(checked, send, workers):
            assert isinstance(item, AnnotateItem)
            if isinstance(outcome, Exception):
                error = f"{type(outcome).__name__}: {outcome}"
                out[item.task_id] = {"success": False, "error": error, "response": None}
            else:
                out[item.task_id] = {"success": True, "error": None, "response": outcome}
        return out

    @overload
    def list_tasks(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion | None = None,
        list_all: Literal[False] = False,
    ) -> PageEnvelope: ...

    @overload
    def list_tasks(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion | None = None,
        *,
        list_all: Literal[True],
    ) -> ListAllRows: ...

    @overload
    def list_tasks(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
    ) -> PageEnvelope | ListAllRows: ...

    def list_tasks(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
    ) -> PageEnvelope | ListAllRows:
        """List tasks: the first page envelope, or with ``list_all=True`` a lazy iterator over
        every task (dicts), fetched page by page."""
        return self._list(self.tasks, params, url_conversion, list_all)

    def create_tasks(self, data: Any) -> Any:
        """Create tasks from ``[{'project', 'data_unit'}, ...]`` or the wire form."""
        return self.tasks.create_json(tasks_body(data))

    def set_tags_tasks(
        self, data: Mapping[str, Any], params: Mapping[str, Any] | None = None
    ) -> Any:
        """Set tags on tasks: ``{'task_ids': [...], 'tag_ids': [...]}`` (or the wire form)."""
        return self.tasks.action_json("set_tags", json=tags_body(data), params=params)

    def get_assignment(self, pk: int) -> dict[str, Any]:
        """Get assignment details by id (raw JSON)."""
        return as_row(self.assignments.fetch_json(pk), "assignment")

    @overload
    def list_assignments(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion | None = None,
        list_all: Literal[False] = False,
    ) -> PageEnvelope: ...

    @overload
    def list_assignments(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion | None = None,
        *,
        list_all: Literal[True],
    ) -> ListAllRows: ...

    @overload
    def list_assignments(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
    ) -> PageEnvelope | ListAllRows: ...

    def list_assignments(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
    ) -> PageEnvelope | ListAllRows:
        """List assignments (first page, or every row lazily with ``list_all=True``)."""
        return self._list(self.assignments, params, url_conversion, list_all)

    def set_tags_assignments(
        self, data: Mapping[str, Any], params: Mapping[str, Any] | None = None
    ) -> Any:
        """Set tags on assignments: ``{'assignment_ids': [...], 'tag_ids': [...]}``."""
        body = tags_body(data, seed_ids_key="assignment_ids")
        return self.assignments.action_json("set_tags", json=body, params=params)

    @overload
    def list_tasks_data(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: Literal[False] = False,
    ) -> PageEnvelope: ...

    @overload
    def list_tasks_data(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: Literal[True],
    ) -> ListAllRows: ...

    @overload
    def list_tasks_data(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
    ) -> PageEnvelope | ListAllRows: ...

    def list_tasks_data(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
    ) -> PageEnvelope | ListAllRows:
        """``{"id", "data"}`` of the tasks matching ``params`` (``sdk/tasks/data/``): the first
        page envelope, or with ``list_all=True`` a lazy iterator over every row."""
        return self._list_route(self.tasks, "list_data", params, url_conversion, list_all)

    @overload
    def list_tasks_files(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: Literal[False] = False,
    ) -> PageEnvelope: ...

    @overload
    def list_tasks_files(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: Literal[True],
    ) -> ListAllRows: ...

    @overload
    def list_tasks_files(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
    ) -> PageEnvelope | ListAllRows: ...

    def list_tasks_files(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
    ) -> PageEnvelope | ListAllRows:
        """``{"id", "files": [...]}`` of the tasks matching ``params`` (``sdk/tasks/files/``):
        first page envelope, or every row lazily with ``list_all=True``."""
        return self._list_route(self.tasks, "list_files", params, url_conversion, list_all)

    @overload
    def list_assignments_data(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: Literal[False] = False,
    ) -> PageEnvelope: ...

    @overload
    def list_assignments_data(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: Literal[True],
    ) -> ListAllRows: ...

    @overload
    def list_assignments_data(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
    ) -> PageEnvelope | ListAllRows: ...

    def list_assignments_data(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
    ) -> PageEnvelope | ListAllRows:
        """``{"id", "data"}`` of the assignments matching ``params`` (``sdk/assignments/data/``):
        first page envelope, or every row lazily with ``list_all=True``."""
        return self._list_route(self.assignments, "list_data", params, url_conversion, list_all)

    @overload
    def list_assignments_files(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: Literal[False] = False,
    ) -> PageEnvelope: ...

    @overload
    def list_assignments_files(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: Literal[True],
    ) -> ListAllRows: ...

    @overload
    def list_assignments_files(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
    ) -> PageEnvelope | ListAllRows: ...

    def list_assignments_files(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
    ) -> PageEnvelope | ListAllRows:
        """``{"id", "files": [...]}`` of the assignments matching ``params``
        (``sdk/assignments/files/``): first page, or every row lazily with ``list_all=True``."""
        return self._list_route(self.assignments, "list_files", params, url_conversion, list_all)

    def list_task_tags(self, params: Mapping[str, Any] | None = None) -> PageEnvelope:
        """List task tags (first page envelope), e.g. ``params={'project': 1}``."""
        return self.task_tags.list_json(self._params(params))

    def get_task_tag(self, pk: int) -> dict[str, Any]:
        """Get a task tag by id (raw JSON)."""
        return as_row(self.task_tags.fetch_json(pk), "task tag")


def _items_of(items: object) -> Iterable[Any]:
    if isinstance(items, str | bytes | Mapping) or not isinstance(items, Iterable):
        raise TypeError(
            "items must be a list of {'task_id', 'data'} mappings or (task_id, data) pairs, "
            f"got {type(items).__name__}"
        )
    return items

"""tasks/, sdk/tasks/, assignments/, sdk/assignments/ and set_tags."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._context import Ctx, Resp, Route
from .._errors import ApiError, field_error, required
from .._params import (
    FilterFn,
    Listing,
    created_filters,
    f_any,
    f_bool,
    f_in,
    f_search,
    fields_of,
    id_filters,
    paginate,
    to_bool,
    to_int,
    to_str,
    values,
)
from .._render import files_list, public, task, units_by_id
from .._store import Doc, now_iso


def invalid_pk(value: Any) -> str:
    """DRF's message for an unknown primary key."""
    return f'Invalid pk "{value}" - object does not exist.'


def pk_value(field: str, value: Any) -> int:
    """A primary key from a JSON value (ints only, no bools)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise field_error(
            field, f"Incorrect type. Expected pk value, received {type(value).__name__}."
        )
    return value


# -- tasks ----------------------------------------------------------------------------------------


def _via_assignments(field: str, conv: Callable[[str, Any], Any]) -> FilterFn:
    def apply(ctx: Ctx, name: str, vals: list[str], rows: list[Doc]) -> list[Doc]:
        wanted = {conv(name, v) for v in vals}
        hit = {
            a["task"] for a in ctx.store.all("assignments", ctx.tenant) if a.get(field) in wanted
        }
        return [r for r in rows if r["id"] in hit]

    return apply


def _has_assignment(ctx: Ctx, name: str, vals: list[str], rows: list[Doc]) -> list[Doc]:
    wanted = to_bool(name, vals[-1])
    return [r for r in rows if bool(r.get("assignments")) is wanted]


TASKS = Listing(
    filters={
        **id_filters(),
        **created_filters(),
        "project": f_in("project"),
        "is_discarded": f_bool("is_discarded"),
        "has_assignment": _has_assignment,
        "status": f_in("status", to_str),
        "status_label": _via_assignments("status_label", to_str),
        "status_review": _via_assignments("status_review", to_str),
        "assignments": f_any("assignments"),
        "labelers": _via_assignments("user", to_int),
        "reviewers": _via_assignments("reviewer", to_int),
        "tags": f_any("tags"),
        "data_unit": f_in("data_unit"),
        "search": f_search("data", "meta"),
    },
    ordering=frozenset({"id", "created", "modified"}),
)


def _task_rows(ctx: Ctx) -> list[Doc]:
    return TASKS.rows(ctx, ctx.store.all("tasks", ctx.tenant))


def list_sdk_tasks(ctx: Ctx) -> Resp:
    rows = _task_rows(ctx)
    units = units_by_id(ctx) if "data_unit" in values(ctx.request.args, "expand") else None
    return Resp(paginate(ctx, rows, lambda d: task(ctx, d, units)))


def list_sdk_tasks_data(ctx: Ctx) -> Resp:
    return Resp(paginate(ctx, _task_rows(ctx), lambda d: {"id": d["id"], "data": d.get("data")}))


def list_sdk_tasks_files(ctx: Ctx) -> Resp:
    units = units_by_id(ctx)
    return Resp(
        paginate(
            ctx,
            _task_rows(ctx),
            lambda d: {"id": d["id"], "files": files_list(ctx, units.get(d.get("data_unit")))},
        )
    )


def get_task(ctx: Ctx, pk: int) -> Resp:
    return Resp(fields_of(ctx, task(ctx, ctx.get("tasks", pk))))


def _new_task(ctx: Ctx, project: int, item: Any, field: str) -> Doc:
    if not isinstance(item, dict):
        raise field_error(field, "Expected a dictionary of items.")
    if "data_unit" not in item:
        raise ApiError(400, {field: [{"data_unit": ["This field is required."]}]})
    unit = pk_value("data_unit", item["data_unit"])
    if ctx.store.get("data_units", ctx.tenant, unit) is None:
        raise field_error("data_unit", invalid_pk(unit))
    meta = item.get("meta") or {}
    if not isinstance(meta, dict):
        raise field_error("meta", "Expected a dictionary of items.")
    now = now_iso()
    return {
        "project": project,
        "data_unit": unit,
        "workshop": None,
        "meta": meta,
        "data": None,
        "status": "pending",
        "is_discarded": False,
        "tags": [],
        "assignments": [],
        "created": now,
        "modified": now,
    }


def _project_pk(ctx: Ctx, value: Any) -> int:
    if value is None:
        raise required("project")
    pk = pk_value("project", value)
    if ctx.store.get("projects", ctx.tenant, pk) is None:
        raise field_error("project", invalid_pk(pk))
    return pk


def create_tasks(ctx: Ctx) -> Resp:
    body = ctx.json()
    new: list[Doc] = []
    if isinstance(body, list):
        if not body:
            raise ApiError(400, {"non_field_errors": ["This list may not be empty."]})
        for item in body:
            if not isinstance(item, dict):
                raise ApiError(400, {"non_field_errors": ["Expected a dictionary of items."]})
            new.append(_new_task(ctx, _project_pk(ctx, item.get("project")), item, "data"))
    elif isinstance(body, dict):
        project = _project_pk(ctx, body.get("project"))
        items = body.get("data")
        if items is None:
            raise required("data")
        if not isinstance(items, list) or not items:
            raise field_error("data", "Expected a non-empty list of items.")
        new = [_new_task(ctx, project, item, "data") for item in items]
    else:
        raise ApiError(400, {"non_field_errors": ["Expected a dictionary or a list."]})
    with ctx.store.tx():
        created = [ctx.store.insert("tasks", ctx.tenant, doc) for doc in new]
    return Resp([public(d) for d in created], 201)


def annotate_task(ctx: Ctx, pk: int) -> Resp:
    schema = ctx.request.args.get("schema")
    if schema is not None and schema not in ("dm_schema_v1", "any"):
        raise field_error("schema", f'"{schema}" is not a valid choice.')
    body = ctx.json()
    if not isinstance(body, dict):
        raise ApiError(400, {"non_field_errors": ["Expected a JSON object."]})
    if "action" in body:
        action = body["action"]
        if action not in ("save", "submit"):
            raise field_error("action", f'"{action}" is not a valid choice.')
        data = body.get("data")
        if data is not None and not isinstance(data, dict):
            raise field_error("data", "Expected a dictionary of items.")
    else:
        action, data = "submit", body
    with ctx.store.tx():
        doc = ctx.get("tasks", pk)
        doc["data"] = data
        doc["status"] = "completed" if action == "submit" else "in_progress"
        doc["modified"] = now_iso()
        ctx.store.update("tasks", doc)
    return Resp(task(ctx, doc))


def _set_tags(ctx: Ctx, kind: str, seed_key: str) -> Resp:
    body = ctx.object_body()
    ids = body.get("ids", body.get(seed_key))
    tags = body.get("tags", body.get("tag_ids"))
    action = body.get("action", "add")
    errors: dict[str, list[str]] = {}
    for name, value in (("ids", ids), ("tags", tags)):
        if value is None:
            errors[name] = ["This field is required."]
        elif not isinstance(value, list) or any(
            isinstance(v, bool) or not isinstance(v, int) for v in value
        ):
            errors[name] = ["Expected a list of integers."]
    if action not in ("add", "remove"):
        errors["action"] = [f'"{action}" is not a valid choice.']
    if errors:
        raise ApiError(400, errors)
    assert isinstance(ids, list)
    assert isinstance(tags, list)
    known_tags = {t["id"] for t in ctx.store.all("task_tags", ctx.tenant)}
    bad_tags = [t for t in tags if t not in known_tags]
    if bad_tags:
        raise field_error("tags", invalid_pk(bad_tags[0]))
    with ctx.store.tx():
        docs = []
        for ident in ids:
            doc = ctx.store.get(kind, ctx.tenant, ident)
            if doc is None:
                raise field_error("ids", invalid_pk(ident))
            docs.append(doc)
        for doc in docs:
            current = list(doc.get("tags") or [])
            if action == "add":
                current += [t for t in tags if t not in current]
            else:
                current = [t for t in current if t not in tags]
            doc["tags"] = current
            if "modified" in doc:
                doc["modified"] = now_iso()
            ctx.store.update(kind, doc)
    return Resp({"updated": len(docs), "ids": ids, "tags": tags, "action": action})


def set_task_tags(ctx: Ctx) -> Resp:
    return _set_tags(ctx, "tasks", "task_ids")


def set_assignment_tags(ctx: Ctx) -> Resp:
    return _set_tags(ctx, "assignments", "assignment_ids")


# -- assignments ----------------------------------------------------------------------------------


ASSIGNMENTS = Listing(
    filters={
        **id_filters(),
        **created_filters(),
        "project": f_in("project"),
        "task": f_in("task"),
        "tasks": f_in("task"),
        "users": f_in("user"),
        "reviewers": f_in("reviewer"),
        "status_label": f_in("status_label", to_str),
        "status_review": f_in("status_review", to_str),
        "is_discarded": f_bool("is_discarded"),
        "is_confirmed": f_bool("is_confirmed"),
        "tags": f_any("tags"),
        "search": f_search("data"),
    },
    ordering=frozenset({"id", "created"}),
)


def _assignment_rows(ctx: Ctx) -> list[Doc]:
    return ASSIGNMENTS.rows(ctx, ctx.store.all("assignments", ctx.tenant))


def list_sdk_assignments(ctx: Ctx) -> Resp:
    return Resp(paginate(ctx, _assignment_rows(ctx), public))


def list_sdk_assignments_data(ctx: Ctx) -> Resp:
    rows = _assignment_rows(ctx)
    return Resp(paginate(ctx, rows, lambda d: {"id": d["id"], "data": d.get("data")}))


def list_sdk_assignments_files(ctx: Ctx) -> Resp:
    units = units_by_id(ctx)
    tasks = {t["id"]: t for t in ctx.store.all("tasks", ctx.tenant)}

    def render(d: Doc) -> Doc:
        unit_id = (tasks.get(d["task"]) or {}).get("data_unit")
        return {"id": d["id"], "files": files_list(ctx, units.get(unit_id))}

    return Resp(paginate(ctx, _assignment_rows(ctx), render))


def get_assignment(ctx: Ctx, pk: int) -> Resp:
    return Resp(fields_of(ctx, public(ctx.get("assignments", pk))))


LISTINGS = {"sdk/tasks/": TASKS, "sdk/assignments/": ASSIGNMENTS}

ROUTES = [
    Route("/tasks/", "POST", create_tasks),
    Route("/tasks/<int:pk>/", "GET", get_task),
    Route("/tasks/<int:pk>/annotate_task_data/", "PUT", annotate_task),
    Route("/tasks/set_tags/", "POST", set_task_tags),
    Route("/sdk/tasks/", "GET", list_sdk_tasks),
    Route("/sdk/tasks/data/", "GET", list_sdk_tasks_data),
    Route("/sdk/tasks/files/", "GET", list_sdk_tasks_files),
    Route("/assignments/<int:pk>/", "GET", get_assignment),
    Route("/assignments/set_tags/", "POST", set_assignment_tags),
    Route("/sdk/assignments/", "GET", list_sdk_assignments),
    Route("/sdk/assignments/data/", "GET", list_sdk_assignments_data),
    Route("/sdk/assignments/files/", "GET", list_sdk_assignments_files),
]

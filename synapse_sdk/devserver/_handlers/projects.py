"""projects/ and task_tags/."""

from __future__ import annotations

from .._context import Ctx, Resp, Route
from .._params import Listing, f_bool, f_icontains, f_in, f_search, paginate, to_str
from .._render import public
from .._store import Doc


def _task_counts(ctx: Ctx) -> dict[int, int]:
    counts: dict[int, int] = {}
    for t in ctx.store.all("tasks", ctx.tenant):
        counts[t["project"]] = counts.get(t["project"], 0) + 1
    return counts


def _project(doc: Doc, counts: dict[int, int]) -> Doc:
    out = public(doc)
    out["task_count"] = counts.get(doc["id"], 0)
    return out


PROJECTS = Listing(
    filters={
        "title": f_icontains("title"),
        "category": f_in("category", to_str),
        "is_archived": f_bool("is_archived"),
        "data_collection": f_in("data_collection"),
        "search": f_search("title", "description"),
    },
    ordering=frozenset({"id", "created", "title"}),
)


def list_projects(ctx: Ctx) -> Resp:
    rows = PROJECTS.rows(ctx, ctx.store.all("projects", ctx.tenant))
    counts = _task_counts(ctx)
    return Resp(paginate(ctx, rows, lambda d: _project(d, counts)))


def get_project(ctx: Ctx, pk: int) -> Resp:
    doc = ctx.get("projects", pk)
    count = sum(1 for t in ctx.store.all("tasks", ctx.tenant) if t["project"] == pk)
    return Resp(_project(doc, {pk: count}))


TASK_TAGS = Listing(
    filters={
        "project": f_in("project"),
        "name": f_in("name", to_str),
        "category": f_in("category", to_str),
    },
    ordering=frozenset({"id", "created", "name"}),
)


def list_task_tags(ctx: Ctx) -> Resp:
    rows = TASK_TAGS.rows(ctx, ctx.store.all("task_tags", ctx.tenant))
    return Resp(paginate(ctx, rows, public))


def get_task_tag(ctx: Ctx, pk: int) -> Resp:
    return Resp(public(ctx.get("task_tags", pk)))


LISTINGS = {"projects/": PROJECTS, "task_tags/": TASK_TAGS}

ROUTES = [
    Route("/projects/", "GET", list_projects),
    Route("/projects/<int:pk>/", "GET", get_project),
    Route("/task_tags/", "GET", list_task_tags),
    Route("/task_tags/<int:pk>/", "GET", get_task_tag),
]

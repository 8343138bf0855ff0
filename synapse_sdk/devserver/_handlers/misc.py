"""storages/, models/, ground truth and agents/."""

from __future__ import annotations

from typing import Any

from .._context import Ctx, Resp, Route
from .._errors import ApiError, field_error, not_found, required
from .._params import (
    Listing,
    f_any,
    f_bool,
    f_icontains,
    f_in,
    id_filters,
    paginate,
    to_int,
    to_str,
)
from .._render import public
from .._store import Doc, now_iso
from .tasks import invalid_pk, pk_value
from .uploads import completed_upload

STORAGE_CATEGORIES = ("internal", "external")
STORAGE_PROVIDERS = (
    "amazon_s3",
    "azure",
    "digital_ocean",
    "file_system",
    "ftp",
    "sftp",
    "minio",
    "gcp",
    "synology",
    "smb",
)

# -- storages --------------------------------------------------------------------------------------


STORAGES = Listing(
    filters={
        "category": f_in("category", to_str),
        "provider": f_in("provider", to_str),
        "is_default": f_bool("is_default"),
    },
    ordering=frozenset({"id", "created", "name"}),
)


def list_storages(ctx: Ctx) -> Resp:
    rows = STORAGES.rows(ctx, ctx.store.all("storages", ctx.tenant))
    return Resp(paginate(ctx, rows, public))


def get_storage(ctx: Ctx, pk: int) -> Resp:
    return Resp(public(ctx.get("storages", pk)))


def create_storage(ctx: Ctx) -> Resp:
    body = ctx.object_body()
    errors: dict[str, list[str]] = {}
    name = body.get("name")
    category = body.get("category", "external")
    provider = body.get("provider")
    config = body.get("configuration", {})
    if not name or not isinstance(name, str):
        errors["name"] = ["This field is required."]
    if category not in STORAGE_CATEGORIES:
        errors["category"] = [f'"{category}" is not a valid choice.']
    if provider is None:
        errors["provider"] = ["This field is required."]
    elif provider not in STORAGE_PROVIDERS:
        errors["provider"] = [f'"{provider}" is not a valid choice.']
    if not isinstance(config, dict):
        errors["configuration"] = ["Expected a dictionary of items."]
    if errors:
        raise ApiError(400, errors)
    with ctx.store.tx():
        existing = ctx.store.all("storages", ctx.tenant)
        default = bool(body.get("is_default")) or not existing
        if default:
            for s in existing:
                if s["is_default"]:
                    s["is_default"] = False
                    ctx.store.update("storages", s)
        doc = ctx.store.insert(
            "storages",
            ctx.tenant,
            {
                "name": name,
                "category": category,
                "provider": provider,
                "configuration": config,
                "is_default": default,
                "created": now_iso(),
            },
        )
    return Resp(public(doc), 201)


# -- models ----------------------------------------------------------------------------------------


def _model(ctx: Ctx, doc: Doc) -> Doc:
    out = public(doc)
    out["file"] = ctx.media_url(doc.get("_key"))
    return out


MODELS = Listing(
    filters={
        "project": f_in("project"),
        "plugin": f_in("plugin", to_str),
        "is_released": f_bool("is_released"),
        "name": f_icontains("name"),
    },
    ordering=frozenset({"id", "created"}),
)


def list_models(ctx: Ctx) -> Resp:
    rows = MODELS.rows(ctx, ctx.store.all("models", ctx.tenant))
    return Resp(paginate(ctx, rows, lambda d: _model(ctx, d)))


def get_model(ctx: Ctx, pk: int) -> Resp:
    return Resp(_model(ctx, ctx.get("models", pk)))


def _optional_pk(ctx: Ctx, body: dict[str, Any], field: str, kind: str) -> int | None:
    if body.get(field) is None:
        return None
    pk = pk_value(field, body[field])
    if ctx.store.get(kind, ctx.tenant, pk) is None:
        raise field_error(field, invalid_pk(pk))
    return pk


def create_model(ctx: Ctx) -> Resp:
    body = ctx.object_body()
    name = body.get("name")
    if not name or not isinstance(name, str):
        raise required("name")
    plugin = body.get("plugin")
    if plugin is not None:
        codes = {p["code"]: p for p in ctx.store.all("plugins", ctx.tenant)}
        if isinstance(plugin, int) and not isinstance(plugin, bool):
            plugin = next((c for c, p in codes.items() if p["id"] == plugin), plugin)
        if plugin not in codes:
            raise field_error("plugin", f'Plugin "{plugin}" does not exist.')
    project = _optional_pk(ctx, body, "project", "projects")
    checkpoint = _optional_pk(ctx, body, "checkpoint", "models")
    config = body.get("configuration") or {}
    if not isinstance(config, dict):
        raise field_error("configuration", "Expected a dictionary of items.")
    key, size = None, None
    if body.get("chunked_upload") not in (None, ""):
        done = completed_upload(ctx, body["chunked_upload"], "chunked_upload")
        key, size, _ = ctx.save_media(
            done["filename"], ctx.config.upload_dir / f"{done['id']}.part"
        )
    doc = ctx.store.insert(
        "models",
        ctx.tenant,
        {
            "name": name,
            "description": str(body.get("description") or ""),
            "category": str(body.get("category") or ""),
            "project": project,
            "plugin": plugin,
            "version": body.get("version"),
            "checkpoint": checkpoint,
            "configuration": config,
            "size": size,
            "is_released": bool(body.get("is_released", False)),
            "created": now_iso(),
            "_key": key,
        },
    )
    return Resp(_model(ctx, doc), 201)


# -- ground truth ----------------------------------------------------------------------------------


GT_DATASETS = Listing(
    filters={"project": f_in("project"), "name": f_in("name", to_str)},
    ordering=frozenset({"id", "created"}),
)


def list_gt_datasets(ctx: Ctx) -> Resp:
    rows = GT_DATASETS.rows(ctx, ctx.store.all("gt_datasets", ctx.tenant))
    return Resp(paginate(ctx, rows, public))


def get_gt_dataset(ctx: Ctx, pk: int) -> Resp:
    return Resp(public(ctx.get("gt_datasets", pk)))


GT_VERSIONS = Listing(
    filters={
        "ground_truth_dataset": f_in("ground_truth_dataset"),
        "is_archived": f_bool("is_archived"),
    },
    ordering=frozenset({"id", "created"}),
)


def list_gt_versions(ctx: Ctx) -> Resp:
    rows = GT_VERSIONS.rows(ctx, ctx.store.all("gt_versions", ctx.tenant))
    return Resp(paginate(ctx, rows, public))


def get_gt_version(ctx: Ctx, pk: int) -> Resp:
    return Resp(public(ctx.get("gt_versions", pk)))


def _with_urls(ctx: Ctx, doc: Doc) -> Doc:
    out = public(doc)
    out["files"] = {
        spec: {"url": ctx.media_url(f.get("_key")), "meta": f.get("meta") or {}}
        for spec, f in (doc.get("files") or {}).items()
    }
    return out


def _event(doc: Doc) -> Doc:
    # stored under the event's own key (pgh_id); "id" on the wire is the ground truth's id
    out = {k: v for k, v in doc.items() if k not in ("id", "ground_truth")}
    return {"id": doc["ground_truth"], "pgh_id": doc["id"], **out}


GT_EVENTS = Listing(
    filters={
        "ground_truth_dataset_versions": f_in("ground_truth_dataset_version"),
        "ground_truth_dataset": f_in("ground_truth_dataset"),
        "ground_truth": f_in("id"),
        "category": f_in("category", to_str),
        "categories": f_in("category", to_str),
        "classes": f_any("classes", to_str),
        "data_unit": f_in("data_unit"),
    },
    ordering=frozenset({"id", "pgh_id", "created"}),
    default="pgh_id",
)


def _gt_event_rows(ctx: Ctx) -> list[Doc]:
    return GT_EVENTS.rows(ctx, [_event(d) for d in ctx.store.all("gt_events", ctx.tenant)])


def list_gt_events(ctx: Ctx) -> Resp:
    return Resp(paginate(ctx, _gt_event_rows(ctx), lambda d: _with_urls(ctx, d)))


def list_gt_events_data(ctx: Ctx) -> Resp:
    return Resp(
        paginate(
            ctx,
            _gt_event_rows(ctx),
            lambda d: {"id": d["id"], "pgh_id": d["pgh_id"], "data": d.get("data")},
        )
    )


def _files_list(ctx: Ctx, doc: Doc) -> list[Doc]:
    # the list shape of the sdk/*/files/ routes: one entry per file, named by its spec
    return [
        {"spec": spec, "url": ctx.media_url(f.get("_key")), "meta": f.get("meta") or {}}
        for spec, f in (doc.get("files") or {}).items()
    ]


def list_gt_events_files(ctx: Ctx) -> Resp:
    return Resp(
        paginate(
            ctx,
            _gt_event_rows(ctx),
            lambda d: {"id": d["id"], "pgh_id": d["pgh_id"], "files": _files_list(ctx, d)},
        )
    )


def _gt_of_task(ctx: Ctx, name: str, vals: list[str], rows: list[Doc]) -> list[Doc]:
    # the ground truths of the tasks' data units
    wanted = {to_int(name, v) for v in vals}
    units = {t.get("data_unit") for t in ctx.store.all("tasks", ctx.tenant) if t["id"] in wanted}
    return [r for r in rows if r.get("data_unit") in units]


GROUND_TRUTHS = Listing(
    filters={
        **id_filters("id"),
        "ground_truth_dataset": f_in("ground_truth_dataset"),
        "ground_truth_dataset_versions": f_any("ground_truth_dataset_versions", to_int),
        "category": f_in("category", to_str),
        "categories": f_in("category", to_str),
        "classes": f_any("classes", to_str),
        "data_unit": f_in("data_unit"),
        "task": _gt_of_task,
    },
    ordering=frozenset({"id", "created"}),
)


def list_ground_truths(ctx: Ctx) -> Resp:
    rows = GROUND_TRUTHS.rows(ctx, ctx.store.all("ground_truths", ctx.tenant))
    return Resp(paginate(ctx, rows, lambda d: _with_urls(ctx, d)))


# -- agents ----------------------------------------------------------------------------------------


AGENTS = Listing(
    filters={**id_filters("id"), "status": f_in("status", to_str)},
    ordering=frozenset({"id", "created"}),
)


def list_agents(ctx: Ctx) -> Resp:
    rows = AGENTS.rows(ctx, ctx.store.all("agents", ctx.tenant))
    return Resp(
        paginate(ctx, rows, lambda d: {k: d[k] for k in ("id", "name", "url", "status", "created")})
    )


def connect_agent(ctx: Ctx, token: str) -> Resp:
    found = ctx.store.lookup_token(token)
    if found is None or found[0] != "agent" or found[2] is None:
        raise not_found()
    _, tenant, agent_id = found
    with ctx.store.tx():
        agent = ctx.store.get("agents", tenant, agent_id)
        if agent is None:
            raise not_found()
        agent["status"] = "connected"
        agent["connected_at"] = now_iso()
        ctx.store.update("agents", agent)
    return Resp({k: agent[k] for k in ("id", "name", "status", "connected_at")})


LISTINGS = {
    "storages/": STORAGES,
    "models/": MODELS,
    "ground_truth_datasets/": GT_DATASETS,
    "ground_truth_dataset_versions/": GT_VERSIONS,
    "sdk/ground_truth_events/": GT_EVENTS,
    "ground_truths/": GROUND_TRUTHS,
    "agents/": AGENTS,
}

ROUTES = [
    Route("/storages/", "GET", list_storages),
    Route("/storages/", "POST", create_storage),
    Route("/storages/<int:pk>/", "GET", get_storage),
    Route("/models/", "GET", list_models),
    Route("/models/", "POST", create_model),
    Route("/models/<int:pk>/", "GET", get_model),
    Route("/ground_truth_datasets/", "GET", list_gt_datasets),
    Route("/ground_truth_datasets/<int:pk>/", "GET", get_gt_dataset),
    Route("/ground_truth_dataset_versions/", "GET", list_gt_versions),
    Route("/ground_truth_dataset_versions/<int:pk>/", "GET", get_gt_version),
    Route("/sdk/ground_truth_events/", "GET", list_gt_events),
    Route("/sdk/ground_truth_events/data/", "GET", list_gt_events_data),
    Route("/sdk/ground_truth_events/files/", "GET", list_gt_events_files),
    Route("/ground_truths/", "GET", list_ground_truths),
    Route("/agents/", "GET", list_agents),
    Route("/agents/<token>/connect/", "POST", connect_agent, public=True),
]

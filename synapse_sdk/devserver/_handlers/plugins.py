"""plugins/ (with ``run/``, which starts a job) and plugin_releases/; jobs are in :mod:`.jobs`."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from .._context import Ctx, Resp, Route
from .._errors import ApiError, field_error, not_found, required
from .._params import Listing, f_in, id_filters, paginate, to_bool, to_str
from .._render import expands, public
from .._store import Doc, iso_at, now_iso
from .jobs import new_job_key

PLUGIN_CATEGORIES = (
    "neural_net",
    "export",
    "upload",
    "smart_tool",
    "pre_annotation",
    "post_annotation",
    "data_validation",
    "converter",
)
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")

# -- plugins ---------------------------------------------------------------------------------------


def _plugin_ref(ctx: Ctx, ref: str) -> Doc:
    if ref.isdigit():
        return ctx.get("plugins", int(ref))
    for p in ctx.store.all("plugins", ctx.tenant):
        if p["code"] == ref:
            return p
    raise not_found()


def _validate_plugin(ctx: Ctx, body: dict[str, Any], pk: int | None) -> Doc:
    errors: dict[str, list[str]] = {}
    code, name = body.get("code"), body.get("name")
    category = body.get("category", "neural_net")
    if not code:
        errors["code"] = ["This field is required."]
    elif not isinstance(code, str) or not _SLUG.match(code):
        errors["code"] = [
            'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'
        ]
    elif any(p["code"] == code and p["id"] != pk for p in ctx.store.all("plugins", ctx.tenant)):
        errors["code"] = ["plugin with this code already exists."]
    if not name or not isinstance(name, str):
        errors["name"] = ["This field is required."]
    if category not in PLUGIN_CATEGORIES:
        errors["category"] = [f'"{category}" is not a valid choice.']
    for key in ("config",):
        if key in body and not isinstance(body[key], dict):
            errors[key] = ["Expected a dictionary of items."]
    if errors:
        raise ApiError(400, errors)
    return {
        "code": code,
        "name": name,
        "category": category,
        "description": str(body.get("description") or ""),
        "is_active": bool(body.get("is_active", True)),
        "is_public": bool(body.get("is_public", False)),
        "config": body.get("config") or {},
    }


PLUGINS = Listing(
    filters={
        **id_filters("id__in"),
        "code": f_in("code", to_str),
        "category": f_in("category", to_str),
        "name": f_in("name", to_str),
    },
    ordering=frozenset({"id", "created", "code", "name"}),
)


def list_plugins(ctx: Ctx) -> Resp:
    rows = PLUGINS.rows(ctx, ctx.store.all("plugins", ctx.tenant))
    return Resp(paginate(ctx, rows, public))


def get_plugin(ctx: Ctx, pk: int) -> Resp:
    return Resp(public(ctx.get("plugins", pk)))


def create_plugin(ctx: Ctx) -> Resp:
    doc = _validate_plugin(ctx, ctx.object_body(), None)
    doc["created"] = now_iso()
    return Resp(public(ctx.store.insert("plugins", ctx.tenant, doc)), 201)


def update_plugin(ctx: Ctx, pk: int) -> Resp:
    with ctx.store.tx():
        old = ctx.get("plugins", pk)
        doc = {**_validate_plugin(ctx, ctx.object_body(), pk), "id": pk, "created": old["created"]}
        ctx.store.update("plugins", doc)
    return Resp(public(doc))


def run_plugin(ctx: Ctx, ref: str) -> Resp:
    plugin = _plugin_ref(ctx, ref)
    body = ctx.object_body()
    params = body.get("params", body.get("parameters")) or {}
    if not isinstance(params, dict):
        raise field_error("params", "Expected a dictionary of items.")
    releases = [
        r for r in ctx.store.all("plugin_releases", ctx.tenant) if r["plugin"] == plugin["id"]
    ]
    if body.get("version") is not None:
        releases = [r for r in releases if r["version"] == body["version"]]
        if not releases:
            raise field_error("version", f'Release "{body["version"]}" does not exist.')
    meta = {k: body[k] for k in ("context", "agent", "storage_id", "debug") if k in body}
    ts = time.time()
    job = ctx.store.insert(
        "jobs",
        ctx.tenant,
        key=new_job_key(ctx),
        doc={
            "plugin_release": releases[-1]["id"] if releases else None,
            "plugin": plugin["id"],
            "action": str(body.get("action") or "run"),
            "status": "PENDING",
            "params": params,
            "progress_record": {},
            "metrics_record": {},
            "result": None,
            "meta": meta,
            "created": iso_at(ts),
            "started": None,
            "finished": None,
            "_auto": True,
            "_ts": ts,
            "_fail": bool(params.get("fail")),
        },
    )
    return Resp(public(job), 201)


# -- plugin releases -------------------------------------------------------------------------------


def _release(ctx: Ctx, doc: Doc) -> Doc:
    out = public(doc)
    out["file"] = ctx.media_url(doc.get("_key"))
    if "plugin" in expands(ctx):
        p = ctx.store.get("plugins", ctx.tenant, doc["plugin"])
        if p is not None:
            out["plugin"] = {k: p[k] for k in ("id", "code", "name", "category")}
    return out


def _by_plugin(ctx: Ctx, name: str, vals: list[str], rows: list[Doc]) -> list[Doc]:
    """Releases of any of the plugins ``vals`` (ids or codes; unknown ones match nothing)."""
    ids = set()
    for ref in vals:
        try:
            ids.add(_plugin_ref(ctx, ref)["id"])
        except ApiError:
            continue
    return [r for r in rows if r["plugin"] in ids]


RELEASES = Listing(filters={"plugin": _by_plugin}, ordering=frozenset({"id", "created"}))


def list_releases(ctx: Ctx) -> Resp:
    rows = RELEASES.rows(ctx, ctx.store.all("plugin_releases", ctx.tenant))
    return Resp(paginate(ctx, rows, lambda d: _release(ctx, d)))


def get_release(ctx: Ctx, lookup: str) -> Resp:
    if lookup.isdigit():
        return Resp(_release(ctx, ctx.get("plugin_releases", int(lookup))))
    code, sep, version = lookup.rpartition("@")
    if not sep:
        raise not_found()
    plugin = _plugin_ref(ctx, code)
    for r in ctx.store.all("plugin_releases", ctx.tenant):
        if r["plugin"] == plugin["id"] and r["version"] == version:
            return Resp(_release(ctx, r))
    raise not_found()


def _json_field(field: str, value: Any, kind: type) -> Any:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise field_error(field, "Value must be valid JSON.") from None
    if not isinstance(value, kind):
        raise field_error(field, f"Expected a {'list' if kind is list else 'dictionary'}.")
    return value


def create_release(ctx: Ctx) -> Resp:
    key = None
    if ctx.is_multipart():
        form = ctx.request.form
        body: dict[str, Any] = {k: form.get(k) for k in form}
        reqs = form.getlist("requirements")
        body["requirements"] = reqs[0] if len(reqs) == 1 and reqs[0].startswith("[") else reqs
        upload = ctx.request.files.get("file")
        if upload is not None:
            key, _, _ = ctx.save_media(upload.filename or "plugin.zip", upload.stream)
    else:
        body = ctx.object_body()
    if body.get("plugin") in (None, ""):
        raise required("plugin")
    try:
        plugin = _plugin_ref(ctx, str(body["plugin"]))
    except ApiError:
        raise field_error("plugin", f'Plugin "{body["plugin"]}" does not exist.') from None
    version = body.get("version")
    if not version or not isinstance(version, str):
        raise required("version")
    config = _json_field("config", body.get("config") or {}, dict)
    requirements = _json_field("requirements", body.get("requirements") or [], list)
    debug = to_bool("debug", body.get("debug", False))
    with ctx.store.tx():
        for r in ctx.store.all("plugin_releases", ctx.tenant):
            if r["plugin"] == plugin["id"] and r["version"] == version:
                raise ApiError(
                    400,
                    {"non_field_errors": ["The fields plugin, version must make a unique set."]},
                )
        doc = ctx.store.insert(
            "plugin_releases",
            ctx.tenant,
            {
                "plugin": plugin["id"],
                "version": version,
                "config": config,
                "requirements": [str(r) for r in requirements],
                "debug": debug,
                "readme": str(body.get("readme") or ""),
                "created": now_iso(),
                "_key": key,
            },
        )
    return Resp(_release(ctx, doc), 201)


LISTINGS = {"plugins/": PLUGINS, "plugin_releases/": RELEASES}

ROUTES = [
    Route("/plugins/", "GET", list_plugins),
    Route("/plugins/", "POST", create_plugin),
    Route("/plugins/<int:pk>/", "GET", get_plugin),
    Route("/plugins/<int:pk>/", "PUT", update_plugin),
    Route("/plugins/<ref>/run/", "POST", run_plugin),
    Route("/plugin_releases/", "GET", list_releases),
    Route("/plugin_releases/", "POST", create_release),
    Route("/plugin_releases/<lookup>/", "GET", get_release),
]

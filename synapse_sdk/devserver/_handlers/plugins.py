"""plugins/, plugin_releases/ and jobs/ (with simulated execution, computed lazily on read)."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from .._context import Ctx, Resp, Route
from .._errors import ApiError, field_error, not_found, required
from .._params import Listing, f_in, id_filters, order, paginate, to_bool, to_str
from .._render import expands, public
from .._store import Doc, iso_at, now_iso

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
JOB_STATUSES = ("PENDING", "RUNNING", "STOPPED", "SUCCEEDED", "FAILED")
TRANSITIONS = {
    "PENDING": {"RUNNING", "STOPPED", "FAILED"},
    "RUNNING": {"SUCCEEDED", "FAILED", "STOPPED"},
}
LOG_LEVELS = ("debug", "info", "success", "warning", "danger", "error", "critical")
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
        {
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


# -- jobs ------------------------------------------------------------------------------------------


def _log(ctx: Ctx, job: int, message: str, level: str, when: str, silent: bool) -> None:
    ctx.store.insert(
        "job_logs",
        ctx.tenant,
        {"job": job, "message": message, "level": level, "datetime": when},
        silent=silent,
    )


def advance(ctx: Ctx, job: Doc, duration: float) -> Doc:
    """Move an auto-advancing job to the state its age implies (bookkeeping, not a client write)."""
    if not job.get("_auto") or job["status"] not in ("PENDING", "RUNNING"):
        return job
    elapsed = time.time() - float(job["_ts"])
    t_run = min(0.1, duration)
    if elapsed < t_run:
        return job
    with ctx.store.tx():
        fresh = ctx.store.get("jobs", ctx.tenant, job["id"])
        if fresh is None or not fresh.get("_auto"):
            return fresh or job
        job = fresh
        ts = float(job["_ts"])
        if job["status"] == "PENDING":
            job["status"] = "RUNNING"
            job["started"] = iso_at(ts + t_run)
            _log(ctx, job["id"], "Job started", "info", job["started"], True)
        if job["status"] == "RUNNING" and elapsed >= duration:
            job["finished"] = iso_at(ts + duration)
            if job.get("_fail"):
                job["status"] = "FAILED"
                _log(
                    ctx, job["id"], "Job failed: simulated failure", "error", job["finished"], True
                )
            else:
                job["status"] = "SUCCEEDED"
                job["result"] = {"ok": True}
                _log(ctx, job["id"], "Job finished", "success", job["finished"], True)
        ctx.store.update("jobs", job, silent=True)
    return job


JOBS = Listing(
    filters={
        "status": f_in("status", to_str),
        "plugin": f_in("plugin"),
        "plugin_release": f_in("plugin_release"),
        "action": f_in("action", to_str),
    },
    ordering=frozenset({"id", "created"}),
)


def list_jobs(ctx: Ctx) -> Resp:
    rows = [advance(ctx, j, ctx.config.job_duration) for j in ctx.store.all("jobs", ctx.tenant)]
    return Resp(paginate(ctx, JOBS.rows(ctx, rows), public))


def get_job(ctx: Ctx, pk: int) -> Resp:
    return Resp(public(advance(ctx, ctx.get("jobs", pk), ctx.config.job_duration)))


def _console_logs(value: Any) -> list[tuple[str, str]]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, str):
            item = {"message": item}
        if not isinstance(item, dict) or not isinstance(item.get("message"), str):
            raise field_error("console_logs", 'Expected objects with a "message" string.')
        level = item.get("level", "info")
        if level not in LOG_LEVELS:
            raise field_error("console_logs", f'"{level}" is not a valid level.')
        out.append((item["message"], level))
    return out


def patch_job(ctx: Ctx, pk: int) -> Resp:
    body = ctx.object_body()
    logs = _console_logs(body["console_logs"]) if "console_logs" in body else []
    for key in ("progress_record", "metrics_record", "meta"):
        if key in body and not isinstance(body[key], dict):
            raise field_error(key, "Expected a dictionary of items.")
    with ctx.store.tx():
        job = advance(ctx, ctx.get("jobs", pk), ctx.config.job_duration)
        job["_auto"] = False
        if "status" in body:
            new = body["status"]
            if new not in JOB_STATUSES:
                raise field_error("status", f'"{new}" is not a valid choice.')
            old = job["status"]
            if new != old or old not in TRANSITIONS:
                if new not in TRANSITIONS.get(old, set()):
                    raise field_error("status", f"Invalid transition from {old} to {new}.")
                job["status"] = new
                if new == "RUNNING":
                    job["started"] = now_iso()
                else:
                    job["finished"] = now_iso()
                    job["started"] = job["started"] or job["finished"]
        for key in ("progress_record", "metrics_record", "result"):
            if key in body:
                job[key] = body[key]
        if "meta" in body:
            job["meta"] = {**(job.get("meta") or {}), **body["meta"]}
        ctx.store.update("jobs", job)
        for message, level in logs:
            _log(ctx, pk, message, level, now_iso(), False)
    return Resp(public(job))


def job_console_logs(ctx: Ctx, pk: int) -> Resp:
    advance(ctx, ctx.get("jobs", pk), ctx.config.job_duration)
    rows = [row for row in ctx.store.all("job_logs", ctx.tenant) if row["job"] == pk]
    return Resp(paginate(ctx, order(ctx, rows, {"id", "datetime"}), public))


LISTINGS = {"plugins/": PLUGINS, "plugin_releases/": RELEASES, "jobs/": JOBS}

ROUTES = [
    Route("/plugins/", "GET", list_plugins),
    Route("/plugins/", "POST", create_plugin),
    Route("/plugins/<int:pk>/", "GET", get_plugin),
    Route("/plugins/<int:pk>/", "PUT", update_plugin),
    Route("/plugins/<ref>/run/", "POST", run_plugin),
    Route("/plugin_releases/", "GET", list_releases),
    Route("/plugin_releases/", "POST", create_release),
    Route("/plugin_releases/<lookup>/", "GET", get_release),
    Route("/jobs/", "GET", list_jobs),
    Route("/jobs/<int:pk>/", "GET", get_job),
    Route("/jobs/<int:pk>/", "PATCH", patch_job),
    Route("/jobs/<int:pk>/console_logs/", "GET", job_console_logs),
]

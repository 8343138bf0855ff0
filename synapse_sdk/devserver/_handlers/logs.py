"""logs/ (log entries written by plugin runs) and serve_applications/ (a serving job's app)."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from .._context import Ctx, Resp, Route
from .._errors import ApiError
from .._params import Listing, f_in, paginate, to_str
from .._render import public
from .._store import Doc, now_iso
from .jobs import LOG_LEVELS, job_key

_DATA_URI = re.compile(r"data:([-\w.+]+/[-\w.+]+)?;base64,(.*)", re.DOTALL)
SERVE_STATUSES = ("PENDING", "DEPLOYING", "RUNNING", "UNHEALTHY", "DELETING", "STOPPED", "FAILED")


def _log_errors(ctx: Ctx, item: Any) -> tuple[dict[str, list[str]], Doc]:
    """Field errors of one entry (empty when valid) and the document to store."""
    if not isinstance(item, dict):
        return {"non_field_errors": ["Invalid data. Expected a dictionary."]}, {}
    errors: dict[str, list[str]] = {}
    message, level = item.get("message"), item.get("level", "info")
    if message is None:
        errors["message"] = ["This field is required."]
    elif not isinstance(message, str):
        errors["message"] = ["Not a valid string."]
    if level not in LOG_LEVELS:
        errors["level"] = [f'"{level}" is not a valid choice.']
    context = item.get("context")
    if context is not None and not isinstance(context, dict):
        errors["context"] = ["Expected a dictionary of items."]
    key = None
    file = item.get("file")
    if file is not None:
        found = _DATA_URI.fullmatch(file) if isinstance(file, str) else None
        try:
            content = base64.b64decode(found.group(2), validate=True) if found else None
        except (binascii.Error, ValueError):
            content = None
        if content is None:
            errors["file"] = ["Upload a valid file as a data URI (data:<type>;base64,...)."]
        elif not errors:
            key, _, _ = ctx.save_media("log-attachment", content)
    doc = {"message": message, "level": level, "context": context or {}, "_key": key}
    return errors, doc


def _log_json(ctx: Ctx, doc: Doc) -> Doc:
    out = public(doc)
    out["file"] = ctx.media_url(doc.get("_key"))
    return out


def create_logs(ctx: Ctx) -> Resp:
    body = ctx.json()
    items = body if isinstance(body, list) else [body]
    if not items:
        raise ApiError(400, {"non_field_errors": ["This list may not be empty."]})
    checked = [_log_errors(ctx, item) for item in items]
    if any(errors for errors, _ in checked):
        answer: Any = [errors for errors, _ in checked]
        raise ApiError(400, answer if isinstance(body, list) else answer[0])
    with ctx.store.tx():
        created = [
            ctx.store.insert("logs", ctx.tenant, {**doc, "datetime": now_iso()})
            for _, doc in checked
        ]
    rows = [_log_json(ctx, doc) for doc in created]
    return Resp(rows if isinstance(body, list) else rows[0], 201)


# -- serve applications ----------------------------------------------------------------------


def _by_job(ctx: Ctx, name: str, vals: list[str], rows: list[Doc]) -> list[Doc]:
    keys = {job_key(v) for v in vals}
    return [r for r in rows if r["job"] in keys]


SERVE_APPS = Listing(
    filters={"job": _by_job, "status": f_in("status", to_str)},
    ordering=frozenset({"id", "created"}),
)


def list_serve_apps(ctx: Ctx) -> Resp:
    rows = SERVE_APPS.rows(ctx, ctx.store.all("serve_applications", ctx.tenant))
    return Resp(paginate(ctx, rows, public))


def get_serve_app(ctx: Ctx, pk: int) -> Resp:
    return Resp(public(ctx.get("serve_applications", pk)))


def create_serve_app(ctx: Ctx) -> Resp:
    body = ctx.object_body()
    errors: dict[str, list[str]] = {}
    job = body.get("job")
    key = job_key(str(job)) if isinstance(job, int | str) and not isinstance(job, bool) else None
    if job is None:
        errors["job"] = ["This field is required."]
    elif key is None or ctx.store.get("jobs", ctx.tenant, key) is None:
        errors["job"] = [f'Invalid pk "{job}" - object does not exist.']
    status = body.get("status", "PENDING")
    if status not in SERVE_STATUSES:
        errors["status"] = [f'"{status}" is not a valid choice.']
    if body.get("data") is not None and not isinstance(body["data"], dict):
        errors["data"] = ["Expected a dictionary of items."]
    if errors:
        raise ApiError(400, errors)
    doc = {"job": key, "status": status, "data": body.get("data") or {}, "created": now_iso()}
    return Resp(public(ctx.store.insert("serve_applications", ctx.tenant, doc)), 201)


LISTINGS = {"serve_applications/": SERVE_APPS}

ROUTES = [
    Route("/logs/", "POST", create_logs),
    Route("/serve_applications/", "GET", list_serve_apps),
    Route("/serve_applications/", "POST", create_serve_app),
    Route("/serve_applications/<int:pk>/", "GET", get_serve_app),
]

"""jobs/: simulated execution (computed lazily on read), console logs and their live tail.

A job started by ``plugins/<id>/run/`` advances with its age: PENDING, RUNNING after 0.1 s (a
"Job started" line), a "Progress n%" line every ``job_log_interval`` seconds when configured,
then SUCCEEDED (or FAILED when its params say ``fail``) after ``job_duration``. Job ids are ints,
or UUID strings when the backend is started with ``job_ids="uuid"``; the routes take both.

``GET jobs/<id>/tail_console_logs/`` is a Server-Sent Events stream: a ``connected`` event, one
``log`` event per console line (its ``id`` is the line's 1-based position in the job's log, so
``Last-Event-ID: n`` resumes after line n), and a ``complete`` event once the job has finished,
after which the stream ends. ``: ping`` comments keep an idle stream alive.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

from werkzeug.wrappers import Response

from .._context import Ctx, Resp, Route
from .._errors import field_error, not_found
from .._params import Listing, f_in, order, paginate, to_str
from .._render import public
from .._store import Doc, iso_at, now_iso

JOB_STATUSES = ("PENDING", "RUNNING", "STOPPED", "SUCCEEDED", "FAILED")
FINAL_STATUSES = frozenset({"STOPPED", "SUCCEEDED", "FAILED"})
TRANSITIONS = {
    "PENDING": {"RUNNING", "STOPPED", "FAILED"},
    "RUNNING": {"SUCCEEDED", "FAILED", "STOPPED"},
}
LOG_LEVELS = ("debug", "info", "success", "warning", "danger", "error", "critical")
_UUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")


def job_key(ref: str) -> int | str | None:
    """The stored id a URL segment names: an int, a UUID string (lower case), or None."""
    if ref.isascii() and ref.isdigit():
        number = int(ref)
        return number if 0 < number < 2**63 else None
    if _UUID.fullmatch(ref):
        return ref.lower()
    return None


def new_job_key(ctx: Ctx) -> str | None:
    """The id of a new job: a UUID when the backend is configured so, else None (an int)."""
    return str(uuid.uuid4()) if ctx.config.job_ids == "uuid" else None


def get_doc(ctx: Ctx, ref: str) -> Doc:
    """The job ``ref`` names (an int or a UUID), advanced to its current state, or a 404."""
    key = job_key(ref)
    if key is None:
        raise not_found()
    return advance(ctx, ctx.get("jobs", key), ctx.config.job_duration)


def _log(ctx: Ctx, job: int | str, message: str, level: str, when: str, silent: bool) -> None:
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
        before = (job["status"], job.get("_ticks", 0))
        if job["status"] == "PENDING":
            job["status"] = "RUNNING"
            job["started"] = iso_at(ts + t_run)
            _log(ctx, job["id"], "Job started", "info", job["started"], True)
        interval = ctx.config.job_log_interval
        if interval is not None and job["status"] == "RUNNING":
            ticks = int(job.get("_ticks", 0))
            while t_run + (ticks + 1) * interval < min(elapsed, duration):
                ticks += 1
                at = t_run + ticks * interval
                percent = min(99, int(100 * at / duration)) if duration else 99
                _log(ctx, job["id"], f"Progress {percent}%", "info", iso_at(ts + at), True)
                job["progress_record"] = {"progress": percent}
            job["_ticks"] = ticks
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
        if (job["status"], job.get("_ticks", 0)) != before:
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


def get_job(ctx: Ctx, pk: str) -> Resp:
    return Resp(public(get_doc(ctx, pk)))


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


def patch_job(ctx: Ctx, pk: str) -> Resp:
    body = ctx.object_body()
    logs = _console_logs(body["console_logs"]) if "console_logs" in body else []
    for key in ("progress_record", "metrics_record", "meta"):
        if key in body and not isinstance(body[key], dict):
            raise field_error(key, "Expected a dictionary of items.")
    with ctx.store.tx():
        job = get_doc(ctx, pk)
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
            _log(ctx, job["id"], message, level, now_iso(), False)
    return Resp(public(job))


def _job_logs(ctx: Ctx, key: int | str) -> list[Doc]:
    return [row for row in ctx.store.all("job_logs", ctx.tenant) if row["job"] == key]


def job_console_logs(ctx: Ctx, pk: str) -> Resp:
    job = get_doc(ctx, pk)
    rows = _job_logs(ctx, job["id"])
    return Resp(paginate(ctx, order(ctx, rows, {"id", "datetime"}), public))


# -- the live tail (Server-Sent Events) -------------------------------------------------------


def _event(event_id: int, payload: dict[str, Any]) -> bytes:
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return f"id: {event_id}\ndata: {data}\n\n".encode()


def _log_payload(row: Doc) -> dict[str, Any]:
    inner = {
        "type": "log",
        "id": row["id"],
        "message": row["message"],
        "level": row["level"],
        "datetime": row["datetime"],
    }
    # The real backend relays the agent's own SSE line inside the event's data.
    return {"type": "log", "data": "data: " + json.dumps(inner, separators=(",", ":"))}


def _resume_point(ctx: Ctx) -> int:
    raw = (ctx.request.headers.get("Last-Event-ID") or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else 0


def tail_console_logs(ctx: Ctx, pk: str) -> Response:
    job = get_doc(ctx, pk)  # a 404 before the stream starts
    key = job["id"]
    sent = _resume_point(ctx)
    config = ctx.config

    def stream() -> Iterator[bytes]:
        nonlocal job, sent
        yield _event(sent, {"type": "connected", "job_id": key})
        quiet_since = time.monotonic()
        while not config.stop.is_set():
            job = advance(ctx, ctx.store.get("jobs", ctx.tenant, key) or job, config.job_duration)
            logs = sorted(_job_logs(ctx, key), key=lambda row: row["id"])
            for position, row in enumerate(logs[sent:], start=sent + 1):
                yield _event(position, _log_payload(row))
                sent = position
                quiet_since = time.monotonic()
            if job["status"] in FINAL_STATUSES:
                yield _event(sent + 1, {"type": "complete", "status": job["status"]})
                return
            if time.monotonic() - quiet_since >= config.tail_ping:
                yield b": ping\n\n"
                quiet_since = time.monotonic()
            config.stop.wait(config.tail_poll)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(stream(), 200, headers=headers, mimetype="text/event-stream")


LISTINGS = {"jobs/": JOBS}

ROUTES = [
    Route("/jobs/", "GET", list_jobs),
    Route("/jobs/<pk>/", "GET", get_job),
    Route("/jobs/<pk>/", "PATCH", patch_job),
    Route("/jobs/<pk>/console_logs/", "GET", job_console_logs),
    Route("/jobs/<pk>/tail_console_logs/", "GET", tail_console_logs),
]

"""The live log tail of a job (``jobs/<id>/tail_console_logs/``): Server-Sent Events read by
:func:`synapse_sdk._http.stream_events`, turned into :class:`JobLogEvent` records.

The stream's events carry JSON with a ``type``: ``connected`` (skipped), ``log`` (its ``data``
is the agent's own SSE line, ``data: {"type": "log", "message": ...}``, or the log object
itself) and ``complete``, after which the tail ends. Odd payloads are read leniently: a non-JSON
event is a log line of its text.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import attrs

from synapse_sdk._converter._isotime import parse_iso
from synapse_sdk._http import SSEEvent, stream_events
from synapse_sdk.resources._enums import LogLevel

if TYPE_CHECKING:
    from synapse_sdk.resources._manager import BaseManager

__all__ = ["JobLogEvent", "tail_blocks", "tail_events"]


@attrs.frozen
class JobLogEvent:
    """One log line of a live tail (``job.tail()``).

    Attributes:
        message: The line.
        level: Its level (``LogLevel.INFO`` ...), a string the SDK does not know, or None.
        time: When it was logged, if the server said.
        event_id: The stream's event id (a tail resumes after it).
        log_id: The log line's own id, if the server sent it.
        data: The event's payload as received (the log object).
    """

    message: str
    level: LogLevel | str | None
    time: dt.datetime | None
    event_id: str | None
    log_id: int | None = None
    data: dict[str, Any] = attrs.field(factory=dict, repr=False)


def _payload(block: SSEEvent) -> dict[str, Any]:
    """The JSON object an event carries (a non-JSON event becomes a log line of its text)."""
    try:
        payload = json.loads(block.data or "")
    except ValueError:
        return {"type": "log", "message": block.data}
    return payload if isinstance(payload, dict) else {"type": "log", "message": str(payload)}


def _log_event(block: SSEEvent, payload: dict[str, Any]) -> JobLogEvent:
    inner: Any = payload.get("data", payload)
    if isinstance(inner, str):
        text = inner[5:].strip() if inner.startswith("data:") else inner
        try:
            inner = json.loads(text)
        except ValueError:
            inner = {"message": text}
    if not isinstance(inner, dict):
        inner = {"message": str(inner)}
    message = inner.get("message", inner.get("log", payload.get("message", "")))
    level: Any = inner.get("level")
    try:
        level = LogLevel(level)
    except ValueError:
        level = level if isinstance(level, str) else None
    when: dt.datetime | None = None
    stamp = inner.get("datetime", inner.get("time"))
    if isinstance(stamp, str):
        try:
            when = parse_iso(stamp)
        except ValueError:
            when = None
    log_id = inner.get("id")
    return JobLogEvent(
        message=message if isinstance(message, str) else json.dumps(message),
        level=level,
        time=when,
        event_id=block.id,
        log_id=log_id if type(log_id) is int else None,
        data=inner,
    )


def tail_blocks(
    manager: BaseManager[Any], pk: object, **options: Any
) -> Generator[tuple[SSEEvent, dict[str, Any] | None], None, None]:
    """The blocks of ``jobs/<pk>/tail_console_logs/`` with their payloads (None for comments),
    ending after the ``complete`` event. The id and options are checked before returning."""
    _, path = manager.endpoint.action_path("tail_console_logs", pk)
    blocks = stream_events(manager._ctx.session, path, **options)

    def walk() -> Generator[tuple[SSEEvent, dict[str, Any] | None], None, None]:
        with _closing(blocks):
            for block in blocks:
                payload = None if block.data is None else _payload(block)
                yield block, payload
                if payload is not None and payload.get("type") == "complete":
                    return

    return walk()


class _closing:
    def __init__(self, it: Iterator[Any]) -> None:
        self.it = it

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        close = getattr(self.it, "close", None)
        if close is not None:
            close()


def tail_events(manager: BaseManager[Any], pk: object, **options: Any) -> Iterator[JobLogEvent]:
    """The typed tail: one :class:`JobLogEvent` per log event, until the job completes."""
    blocks = tail_blocks(manager, pk, **options)

    def walk() -> Iterator[JobLogEvent]:
        with _closing(blocks):
            for block, payload in blocks:
                if payload is not None and payload.get("type") == "log":
                    yield _log_event(block, payload)

    return walk()

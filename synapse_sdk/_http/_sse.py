"""Server-Sent Events: one long GET read as a stream of events, resumed after a dropped connection.

:func:`stream_events` opens the stream through the one attempt loop (auth headers on the API
origin only, the same transports, error mapping and redaction as every call) and parses the body
as the SSE format says: ``field: value`` lines, ``data`` lines joined by newlines, ``:`` comments,
``id`` and ``retry`` fields, a blank line ending each event, CR, LF or CRLF line ends.

What a hostile or broken server cannot do:

* **Hold memory.** A line longer than ``max_line_bytes`` or an event block larger than
  ``max_event_bytes`` (comments included) raises ``ResponseTooLargeError``; a gzip/deflate body
  is inflated in small steps under the same limits, other content codings are refused.
* **Hold the caller.** There is no per-call deadline: instead no byte for ``idle_timeout``
  seconds counts as a dropped connection (keep-alive comments reset it), and an optional overall
  ``timeout`` ends the stream with ``DeadlineExceededError`` however the server drips.
* **Duplicate or skip events.** After a drop (a reset, a cut-off event, an idle timeout, a clean
  end of the body, a 5xx, 429) the stream reconnects with ``Last-Event-ID`` set to the id of the
  last event *dispatched* (an event cut off mid-way is discarded and asked for again). Events
  whose id was seen already are dropped: numeric ids must grow, other ids are remembered (the
  last 4,096). Events without an id cannot be told apart and are passed through.
* **Loop forever.** At most ``max_reconnects`` reconnects in a row without a new event, each paid
  from the session's retry budget, paused by full-jitter backoff (the server's ``retry:`` field
  is the base, at most 60 s) or by a 429/503's ``Retry-After`` (capped by the retry policy,
  60 s by default). 401, 403, 404 and other 4xx raise their typed error at once, as does a 2xx
  that is not ``text/event-stream``; a 204 ends the stream.
"""

from __future__ import annotations

import random
import time
import zlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import urllib3

from synapse_sdk._exceptions import (
    ClientConnectionError,
    ClientError,
    ClientTimeoutError,
    DeadlineExceededError,
    ResponseDecodeError,
    TransportError,
)
from synapse_sdk._http import _attempt
from synapse_sdk._http._attempt import Call, finish_attempt
from synapse_sdk._http._body import MAX_ERROR_BYTES, READ_BLOCK, read_body, set_read_timeout
from synapse_sdk._http._request_id import request_id
from synapse_sdk._http._response import Response, build_status_error
from synapse_sdk._http._retry import RetryPolicy
from synapse_sdk._http._sse_parse import SeenIds, SSEEvent, SSEParser
from synapse_sdk._http._timeout import Timeout
from synapse_sdk._http._urls import add_params, redact_text, redact_url
from synapse_sdk._http._watchdog import WATCHDOG, Guard

if TYPE_CHECKING:
    from synapse_sdk._http._session import Session

__all__ = ["SSEEvent", "stream_events"]

_NO_RETRY = RetryPolicy(max_retries=0)
_MAX_BASE = 60.0


class _Open:
    """A 2xx answer taken over by the reader (the attempt loop returns it as is)."""

    __slots__ = ("raw",)

    def __init__(self, raw: urllib3.BaseHTTPResponse) -> None:
        self.raw = raw


def _read_head(raw: urllib3.BaseHTTPResponse, guard: Guard | None, call: Call) -> Any:
    """Take a 2xx over (the opening deadline stops here); buffer an error answer and hand it
    back as a :class:`Response`, so the loop never retries it (the stream decides)."""
    if 200 <= raw.status < 300:
        if guard is not None:
            # The opening deadline ends with the head; if it fired, the socket is shut down
            # and the first read fails (a drop, reconnected like any other).
            WATCHDOG.disarm(guard)
        return _Open(raw)
    content, _ = read_body(
        raw,
        read_timeout=call.timeout.read,
        deadline_at=call.deadline_at,
        clock=call.clock,
        limit=MAX_ERROR_BYTES,
    )
    finish_attempt(guard, raw, reuse=False)
    context = call.context
    return Response(
        status=raw.status,
        headers=raw.headers,
        content=content,
        method="GET",
        url=context["url"],
        request_id=context["request_id"],
    )


def _positive(name: str, value: object, *, optional: bool = False) -> None:
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, got {type(value).__name__}")
    if not value > 0 or value != value or value == float("inf"):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


def stream_events(
    session: Session,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    idle_timeout: float = 60.0,
    timeout: float | None = None,
    max_reconnects: int = 5,
    max_line_bytes: int = 1024 * 1024,
    max_event_bytes: int = 8 * 1024 * 1024,
    last_event_id: str | None = None,
) -> Iterator[SSEEvent]:
    """Open the event stream at ``path`` (API-relative or same-origin) and iterate its blocks.

    Arguments are checked now, before any I/O; the request is sent when iteration starts.
    Closing the iterator (``break``, ``close()``) closes the connection.

    Args:
        session: The API session (its auth headers, transport, retry budget, sleep and clock).
        path: The stream's path.
        params: Query parameters.
        idle_timeout: Seconds without a byte after which the connection counts as dropped.
        timeout: Seconds the whole stream may last, reconnects included (None: no limit).
        max_reconnects: Reconnects in a row without a new event before the last error is raised.
        max_line_bytes: The longest line accepted.
        max_event_bytes: The largest event block accepted.
        last_event_id: Resume after this event id (sent as ``Last-Event-ID``).

    Raises:
        TypeError, ValueError: A bad argument (at once). While iterating: the typed errors of
            the module docstring.
    """
    _positive("idle_timeout", idle_timeout)
    _positive("timeout", timeout, optional=True)
    for name, number in (
        ("max_line_bytes", max_line_bytes),
        ("max_event_bytes", max_event_bytes),
        ("max_reconnects", max_reconnects),
    ):
        if isinstance(number, bool) or not isinstance(number, int):
            raise TypeError(f"{name} must be an int, got {type(number).__name__}")
        if number < (0 if name == "max_reconnects" else 1):
            raise ValueError(f"{name} is out of range: {number}")
    if last_event_id is not None and (
        not isinstance(last_event_id, str) or any(c in last_event_id for c in "\0\r\n")
    ):
        raise ValueError("last_event_id must be a string without NUL, CR or LF")
    url = add_params(session.resolve_url(path), params)
    return _run(
        session,
        url,
        float(idle_timeout),
        timeout,
        max_reconnects,
        (max_line_bytes, max_event_bytes),
        last_event_id,
    )


def _run(
    session: Session,
    url: str,
    idle: float,
    timeout: float | None,
    max_reconnects: int,
    limits: tuple[int, int],
    last_id: str | None,
) -> Iterator[SSEEvent]:
    clock = session.clock
    deadline_at = None if timeout is None else clock() + timeout
    seen = SeenIds()
    base = 0.5
    failures = 0
    while True:
        headers = {
            **session._headers,
            "Accept": "text/event-stream",
            "Cache-Control": "no-cache",
            "User-Agent": session.user_agent,
            "X-Request-ID": request_id(),
        }
        if last_id is not None:
            headers["Last-Event-ID"] = last_id
        context: dict[str, Any] = {
            "method": "GET",
            "url": redact_url(url),
            "request_id": headers["X-Request-ID"],
        }
        error: ClientError
        retry_after: float | None = None
        progressed = False
        try:
            raw = _open(session, url, headers, idle, deadline_at)
        except TransportError as exc:
            error = exc
        else:
            if isinstance(raw, Response):
                if raw.status == 204:
                    return  # the server says: stop reconnecting
                retry_after = session.retry.retry_after(
                    raw.headers.get("Retry-After"), now=time.time()
                )
                error = build_status_error(raw, retry_after=retry_after)
                if raw.status == 503:
                    error.retry_after = retry_after  # type: ignore[attr-defined]
                if raw.status not in (429, 500, 502, 503, 504):
                    raise error
            else:
                parser = SSEParser(*limits, context)
                try:
                    for block in _blocks(raw, parser, idle, deadline_at, clock, context):
                        if block.data is not None and block.id is not None:
                            if seen.duplicate(block.id):
                                continue
                            progressed = True
                        last_id = parser.last_id if parser.last_id is not None else last_id
                        yield block
                    error = ClientConnectionError("the event stream ended", **context)
                except TransportError as exc:
                    error = exc
                finally:
                    finish_attempt(None, raw, reuse=False)
                last_id = parser.last_id if parser.last_id is not None else last_id
                if parser.retry_ms is not None:
                    base = min(_MAX_BASE, max(0.001, parser.retry_ms / 1000))
        if (
            isinstance(error, DeadlineExceededError)
            and deadline_at is not None
            and (clock() >= deadline_at - 0.01)
        ):
            raise error
        failures = 0 if progressed else failures + 1
        if failures > max_reconnects:
            raise error
        ceiling = min(_MAX_BASE, base * 2 ** min(max(failures, 1) - 1, 16))
        delay = retry_after if retry_after is not None else random.uniform(0.0, ceiling)
        if deadline_at is not None and clock() + delay >= deadline_at:
            raise DeadlineExceededError(
                f"the stream's timeout of {timeout:g} s passed (last failure: {error})", **context
            ) from error
        if not session.budget.try_spend():
            raise error
        session.sleep(delay)


def _blocks(
    raw: urllib3.BaseHTTPResponse,
    parser: SSEParser,
    idle: float,
    deadline_at: float | None,
    clock: Any,
    context: dict[str, Any],
) -> Iterator[SSEEvent]:
    """Read the body and parse it, inflating an unasked gzip/deflate coding step by step."""
    coding = (raw.headers.get("Content-Encoding") or "").strip().lower()
    if coding not in ("", "identity", "gzip", "x-gzip", "deflate"):
        raise ResponseDecodeError(
            f"the event stream has Content-Encoding {coding!r}, which the SDK cannot decode",
            **context,
        )
    inflater: Any = None
    while True:
        remaining = None if deadline_at is None else deadline_at - clock()
        if remaining is not None and remaining <= 0:
            raise DeadlineExceededError("the stream's timeout passed while reading", **context)
        set_read_timeout(raw, idle if remaining is None else max(0.001, min(idle, remaining)))
        try:
            data = raw.read1(READ_BLOCK)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            if deadline_at is not None and clock() >= deadline_at - 0.01:
                raise DeadlineExceededError(
                    "the stream's timeout passed while reading", **context
                ) from None
            if isinstance(exc, (urllib3.exceptions.ReadTimeoutError, TimeoutError)):
                raise ClientTimeoutError(
                    f"the event stream sent nothing for {idle:g} s (idle_timeout)", **context
                ) from None
            raise ClientConnectionError(
                f"the event stream broke: {redact_text(str(exc))}", **context
            ) from None
        if not data:
            return
        if coding in ("", "identity"):
            yield from parser.feed(data)
            continue
        if inflater is None:
            wbits = 16 + zlib.MAX_WBITS if coding != "deflate" else zlib.MAX_WBITS
            if coding == "deflate" and data[:1] != b"\x78":
                wbits = -zlib.MAX_WBITS
            inflater = zlib.decompressobj(wbits)
        try:
            while data:
                yield from parser.feed(inflater.decompress(data, READ_BLOCK))
                data = inflater.unconsumed_tail
        except zlib.error as exc:
            raise ResponseDecodeError(
                f"the {coding} event stream could not be inflated: {exc}", **context
            ) from None


def _open(
    session: Session, url: str, headers: dict[str, str], idle: float, deadline_at: float | None
) -> urllib3.BaseHTTPResponse | Response:
    connect = session.timeout.connect
    opening = session.clock() + (connect or 5.0) + idle
    call = Call(
        session,
        "GET",
        url,
        headers,
        timeout=Timeout(connect=connect, read=idle, deadline=None),
        retry=_NO_RETRY,
        idempotent=True,
        deadline_at=opening if deadline_at is None else min(opening, deadline_at),
    )
    opener, target = session._pool.route(url)
    got = _attempt.run(session, call, opener, target, _read_head)
    if isinstance(got, Response):
        return got
    assert isinstance(got, _Open)
    raw = got.raw
    mime = (raw.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
    if mime != "text/event-stream":
        finish_attempt(None, raw, reuse=False)
        raise ResponseDecodeError(
            f"expected an event stream (text/event-stream) but got content type {mime or 'none'!r}",
            status_code=raw.status,
            **call.context,
        )
    return raw

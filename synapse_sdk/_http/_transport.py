"""The transport seam and the urllib3 boundary: per-attempt timeouts and error mapping.

A **transport** is what the attempt loop (:mod:`._attempt`) opens requests with. It routes a URL
to an *opener* (anything with urllib3's ``urlopen(method, target, body=..., headers=..., ...)``
returning a ``urllib3.BaseHTTPResponse``) and the target to pass it. The default is
:class:`~._pools.PoolHolder` (urllib3 pools over sockets); :class:`~._wsgi.WSGITransport` calls
a WSGI app in-process. Everything above the opener - retries, deadlines, body caps, decoding,
error mapping, logging - is the same code for every transport.

Nothing urllib3 raises leaves this package: :func:`map_error` turns every urllib3 exception into
the SDK error it means, and says whether the attempt may be retried. Messages built from urllib3's
text are redacted (:func:`redact_text`), and so is the urllib3 exception itself, which becomes the
SDK error's ``__cause__``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import urllib3
from urllib3 import exceptions as u3

from synapse_sdk._exceptions import (
    ClientConnectionError,
    ClientError,
    ClientTimeoutError,
    DeadlineExceededError,
    OutcomeUnknownError,
    ResponseDecodeError,
    ResponseTooLargeError,
    TruncatedBodyError,
)
from synapse_sdk._http._body import BodyTooLarge, UndecodableBody
from synapse_sdk._http._urls import redact_text, redact_url
from synapse_sdk._http._watchdog import CONNECTING, SENDING, DeadlineReached, Guard

__all__ = [
    "DeadlineReached",
    "Opener",
    "Transport",
    "TruncatedBodyError",
    "attempt_timeout",
    "map_error",
    "remaining_time",
]


class Opener(Protocol):
    """Opens one request (urllib3's ``HTTPConnectionPool.urlopen`` has this shape).

    Called with ``retries=False, redirect=False, preload_content=False, decode_content=False``
    and the attempt's ``timeout``/``pool_timeout``; returns the answer with its body unread.
    """

    def urlopen(self, method: str, url: str, **kwargs: Any) -> urllib3.BaseHTTPResponse:
        """Send ``method url`` and return the answer once its head has arrived."""
        ...


class Transport(Protocol):
    """Where a :class:`~synapse_sdk._http.Session` sends its requests (see the module docstring).

    Implementations must be thread-safe (a session is shared by threads) and survive ``fork``
    (a child must never reuse a socket of its parent's).
    """

    def route(self, url: str) -> tuple[Opener, str]:
        """The opener for an API call to the absolute ``url`` and the target to pass it."""
        ...

    def route_download(self, url: str) -> tuple[Opener, str]:
        """The opener for a download (any origin) of the absolute ``url`` and its target."""
        ...

    def close(self) -> None:
        """Release idle resources (idle connections); the transport stays usable."""
        ...


def remaining_time(deadline_at: float | None, clock: Callable[[], float]) -> float | None:
    """Seconds left before ``deadline_at`` (may be <= 0), or None without a deadline."""
    return None if deadline_at is None else deadline_at - clock()


def _cap(limit: float | None, remaining: float | None) -> float | None:
    if remaining is None:
        return limit
    remaining = max(remaining, 0.001)
    return remaining if limit is None else min(limit, remaining)


#: urllib3 Timeouts of the configured limits, while no deadline is near (urllib3 clones the
#: one it is given, so one object serves every call; bounded, as the limits are few).
_UNCAPPED: dict[tuple[float | None, float | None], urllib3.Timeout] = {}


def attempt_timeout(
    connect: float | None, read: float | None, remaining: float | None
) -> urllib3.Timeout:
    """The socket timeouts for one attempt: the configured ones, never past the deadline."""
    capped = (_cap(connect, remaining), _cap(read, remaining))
    if capped != (connect, read):
        return urllib3.Timeout(connect=capped[0], read=capped[1])
    timeout = _UNCAPPED.get(capped)
    if timeout is None:
        timeout = urllib3.Timeout(connect=connect, read=read)
        if len(_UNCAPPED) < 64:
            _UNCAPPED[capped] = timeout
    return timeout


def map_error(
    exc: BaseException,
    *,
    sent: bool,
    idempotent: bool,
    deadline_passed: bool,
    context: dict[str, Any],
    answer: tuple[int, str] | None = None,
    guard: Guard | None = None,
) -> tuple[ClientError, bool]:
    """Translate a failed attempt into the SDK error and whether a retry is allowed.

    Args:
        exc: What urllib3 (or the body reader) raised.
        sent: True if the failure came after urlopen returned (headers received), so the request
            certainly reached the server; failures inside urlopen are classified by type.
        idempotent: Whether the call may be repeated safely.
        deadline_passed: Whether the call's deadline has passed (a timeout then means the
            deadline, not the socket limit, was hit).
        context: ``method``, ``url`` (redacted) and ``request_id`` for the error.
        answer: ``(status, content type)`` when the status line had arrived before the failure
            (the body was being read), else None.
        guard: The attempt's watchdog guard: when it fired, the watchdog ended the attempt at
            the deadline, whatever urllib3 made of the shut-down socket.

    Returns:
        ``(error, retryable)``; the caller raises ``error from exc`` when not retrying.
    """
    _scrub(exc)
    status = answer[0] if answer is not None else None
    if isinstance(exc, BodyTooLarge):
        error = ResponseTooLargeError(_too_large_text(exc, answer), status_code=status, **context)
        error.limit = exc.limit
        return error, False
    if isinstance(exc, UndecodableBody):
        what = f"could not decode the {status} response: {exc}"
        return ResponseDecodeError(what, status_code=status, **context), False
    if guard is not None and guard.fired:
        if not sent and guard.phase != SENDING:
            # Nothing was sent: a deadline error even for a write (it provably never left).
            phase = "connecting" if guard.phase == CONNECTING else "waiting for a connection"
            return DeadlineExceededError(_deadline_text(phase), **context), False
        what = _deadline_text(
            "reading the response" if sent else "sending the request or reading the answer's head"
        )
        if not idempotent:
            return OutcomeUnknownError(_outcome_text(what), **context), False
        return DeadlineExceededError(what, **context), False
    text = redact_text(str(exc))
    never_sent = not sent and isinstance(
        exc, (u3.NewConnectionError, u3.ConnectTimeoutError, u3.EmptyPoolError)
    )
    if never_sent:
        # NewConnectionError subclasses ConnectTimeoutError, so test it first.
        if isinstance(exc, u3.NameResolutionError):
            return ClientConnectionError(f"could not resolve host: {text}", **context), True
        if isinstance(exc, u3.NewConnectionError):
            return ClientConnectionError(f"could not connect: {text}", **context), True
        if deadline_passed:
            return DeadlineExceededError(_deadline_text("connecting"), **context), False
        what = "no free connection in the pool" if isinstance(exc, u3.EmptyPoolError) else text
        return ClientTimeoutError(f"connect timed out: {what}", **context), True
    if isinstance(exc, u3.SSLError) and not sent:
        return ClientConnectionError(f"TLS error: {text}", **context), False
    if isinstance(exc, u3.DecodeError):
        return ResponseDecodeError(f"could not decode the response body: {text}", **context), False
    if isinstance(exc, (u3.LocationValueError, u3.ProxyError, u3.HostChangedError)):
        return ClientConnectionError(f"request failed: {text}", **context), False
    # Everything else happened after the request may have reached the server.
    if isinstance(exc, DeadlineReached) or (
        deadline_passed and isinstance(exc, (u3.ReadTimeoutError, TimeoutError))
    ):
        what = _deadline_text("reading the response" if sent else "waiting for the response")
        if not idempotent:
            return OutcomeUnknownError(_outcome_text(what), **context), False
        return DeadlineExceededError(what, **context), False
    if isinstance(exc, (u3.ReadTimeoutError, TimeoutError)):
        what = f"read timed out: {text}"
        if not idempotent:
            return OutcomeUnknownError(_outcome_text(what), **context), False
        return ClientTimeoutError(what, **context), True
    if answer is not None:
        status, content_type = answer
        what = (
            f"the {status} response ({content_type or 'no content type'}) was cut off before its "
            f"body was complete: {text}"
        )
        if not idempotent:
            return OutcomeUnknownError(_outcome_text(what), **context), False
        return TruncatedBodyError(what, status_code=status, **context), True
    what = f"connection broken: {text}"
    if not idempotent:
        return OutcomeUnknownError(_outcome_text(what), **context), False
    return ClientConnectionError(what, **context), True


def _too_large_text(exc: BodyTooLarge, answer: tuple[int, str] | None) -> str:
    status = answer[0] if answer is not None else "successful"
    if exc.announced is not None:
        what = f"announces {exc.announced} bytes (Content-Length)"
    elif exc.coding:
        what = f"inflates ({exc.coding}) to more than that"
    else:
        what = "grew past that"
    return (
        f"the {status} response body is larger than max_response_bytes={exc.limit}: it {what}. "
        "Nothing more was read. If such answers are expected, raise the limit with "
        "BackendClient(..., max_response_bytes=...) (or Session(max_response_bytes=...))"
    )


def _scrub(exc: BaseException) -> None:
    """Redact what urllib3 (and the exceptions it chained) keep: ``exc`` becomes the
    ``__cause__`` of the SDK's error, and its args and string attributes (``url`` - a path can
    carry a token: ``agents/<token>/connect/`` -, ``location``, ``_message``) may hold a
    presigned URL's signature."""
    stack: list[BaseException] = [exc]
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        # Every string attribute: urllib3 keeps ``url``, ``location``, ``_message`` ...
        for attr, value in list(getattr(item, "__dict__", {}).items()):
            if isinstance(value, str):
                clean_value = redact_url(value) if attr == "url" else redact_text(value)
                if clean_value != value:
                    try:
                        setattr(item, attr, clean_value)
                    except AttributeError:
                        pass
        args = item.args
        clean = tuple(redact_text(arg) if isinstance(arg, str) else arg for arg in args)
        if clean != args:
            try:
                item.args = clean
            except (AttributeError, TypeError):
                pass
        stack.extend(arg for arg in args if isinstance(arg, BaseException))
        stack.extend(e for e in (item.__cause__, item.__context__) if e is not None)


def _deadline_text(phase: str) -> str:
    return f"the call's deadline passed while {phase}"


def _outcome_text(what: str) -> str:
    return (
        f"{what}; the request was sent but its answer was lost, so the server may have applied "
        "it. It was not resent: check the server's state before trying again"
    )

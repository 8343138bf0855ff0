"""The urllib3 boundary: the shared pool, per-attempt timeouts and error mapping.

Nothing urllib3 raises leaves this package: :func:`map_error` turns every urllib3 exception into
the SDK error it means, and says whether the attempt may be retried. Messages built from urllib3's
text are redacted (:func:`redact_text`), and so is the urllib3 exception itself, which becomes the
SDK error's ``__cause__``.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable
from typing import Any

import urllib3
from urllib3 import exceptions as u3
from urllib3.connectionpool import HTTPConnectionPool

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
from synapse_sdk._http._connection import (
    GuardedHTTPConnectionPool,
    GuardedHTTPSConnectionPool,
    QuietHTTPSConnectionPool,
)
from synapse_sdk._http._urls import redact_text, redact_url
from synapse_sdk._http._watchdog import CONNECTING, SENDING, DeadlineReached, Guard

__all__ = [
    "DeadlineReached",
    "PoolHolder",
    "TruncatedBodyError",
    "attempt_timeout",
    "map_error",
    "remaining_time",
]

#: Every live holder, so a forked child can drop the pools it inherited (see ``_after_fork``).
_HOLDERS: weakref.WeakSet[PoolHolder] = weakref.WeakSet()


class PoolHolder:
    """One lazily built ``PoolManager`` shared by a Session and its ``with_options`` copies.

    Args:
        maxsize: Connections kept per origin; with ``block=True`` extra threads wait for a free
            connection instead of opening throwaway ones ("connection pool is full" warnings).
        verify: Verify TLS certificates.
        ca_certs: A CA bundle path, or None for the system default.
    """

    def __init__(self, maxsize: int, verify: bool, ca_certs: str | None) -> None:
        self.maxsize = maxsize
        self.verify = verify
        self.ca_certs = ca_certs
        self._forget()
        _HOLDERS.add(self)

    def _forget(self) -> None:
        """Start empty (also in a forked child: the parent's pooled sockets are shared with the
        child after ``fork``, so a child reusing one would read the answers to the parent's, or
        a sibling's, requests). The inherited pools are dropped, never closed or shut down: that
        would end the parent's connections too."""
        self._lock = threading.Lock()
        self._manager: urllib3.PoolManager | None = None
        # API calls go straight to the origin's connection pool with the request target: going
        # through PoolManager.urlopen re-parsed the absolute URL and rebuilt the pool key on
        # every call (about a tenth of the client's CPU per small request).
        self._origins: dict[str, HTTPConnectionPool] = {}

    def route(self, url: str) -> tuple[HTTPConnectionPool, str]:
        """The connection pool of ``url``'s origin and the request target (path and query)."""
        slash = url.find("/", url.find("//") + 2)
        origin, target = (url, "/") if slash == -1 else (url[:slash], url[slash:])
        pool = self._origins.get(origin)
        if pool is None:
            with self._lock:
                pool = self._origins.get(origin)
                if pool is None:
                    pool = self._build_origin_pool(origin)
                    self._origins[origin] = pool
        return pool, target

    def _build_origin_pool(self, origin: str) -> HTTPConnectionPool:
        parsed = urllib3.util.parse_url(origin)
        host = parsed.host or ""
        kwargs: dict[str, Any] = {"maxsize": self.maxsize, "block": True, "retries": False}
        if parsed.scheme == "https":
            kwargs["cert_reqs"] = "CERT_REQUIRED" if self.verify else "CERT_NONE"
            if self.ca_certs is not None:
                kwargs["ca_certs"] = self.ca_certs
            cls: type[HTTPConnectionPool] = (
                GuardedHTTPSConnectionPool if self.verify else QuietHTTPSConnectionPool
            )
            return cls(host, parsed.port or 443, **kwargs)
        return GuardedHTTPConnectionPool(host, parsed.port or 80, **kwargs)

    def get(self) -> urllib3.PoolManager:
        """Return the pool manager, building it on first use (also after :meth:`close`)."""
        manager = self._manager
        if manager is not None:
            return manager
        with self._lock:
            if self._manager is None:
                kwargs: dict[str, Any] = {
                    "maxsize": self.maxsize,
                    "block": True,
                    "retries": False,
                    "cert_reqs": "CERT_REQUIRED" if self.verify else "CERT_NONE",
                }
                if self.ca_certs is not None:
                    kwargs["ca_certs"] = self.ca_certs
                manager = urllib3.PoolManager(**kwargs)
                manager.pool_classes_by_scheme = {
                    "http": GuardedHTTPConnectionPool,
                    "https": GuardedHTTPSConnectionPool
                    if self.verify
                    else QuietHTTPSConnectionPool,
                }
                self._manager = manager
            return self._manager

    def close(self) -> None:
        """Close every idle connection; a later request builds a fresh pool."""
        with self._lock:
            manager, self._manager = self._manager, None
            origins, self._origins = self._origins, {}
        if manager is not None:
            manager.clear()
        for pool in origins.values():
            pool.close()


def remaining_time(deadline_at: float | None, clock: Callable[[], float]) -> float | None:
    """Seconds left before ``deadline_at`` (may be <= 0), or None without a deadline."""
    return None if deadline_at is None else deadline_at - clock()


def _cap(limit: float | None, remaining: float | None) -> float | None:
    if remaining is None:
        return limit
    remaining = max(remaining, 0.001)
    return remaining if limit is None else min(limit, remaining)


def attempt_timeout(
    connect: float | None, read: float | None, remaining: float | None
) -> urllib3.Timeout:
    """The socket timeouts for one attempt: the configured ones, never past the deadline."""
    return urllib3.Timeout(connect=_cap(connect, remaining), read=_cap(read, remaining))


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


def _after_fork_in_child() -> None:
    for holder in list(_HOLDERS):
        holder._forget()


if hasattr(os, "register_at_fork"):  # pragma: no branch - POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)

"""The urllib3 boundary: the shared pool, per-attempt timeouts, body reads and error mapping.

Nothing urllib3 raises leaves this package: :func:`map_error` turns every urllib3 exception into
the SDK error it means, and says whether the attempt may be retried.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

import urllib3
from urllib3 import exceptions as u3
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from synapse_sdk._exceptions import (
    ClientConnectionError,
    ClientError,
    ClientTimeoutError,
    DeadlineExceededError,
    OutcomeUnknownError,
    ResponseDecodeError,
    TruncatedBodyError,
)
from synapse_sdk._http._urls import redact_url

__all__ = [
    "READ_BLOCK",
    "DeadlineReached",
    "PoolHolder",
    "TruncatedBodyError",
    "attempt_timeout",
    "map_error",
    "read_body",
    "remaining_time",
    "set_read_timeout",
]

#: Bytes asked for per body read; ``read1`` returns after one socket read, often less.
READ_BLOCK = 64 * 1024


class DeadlineReached(Exception):
    """Internal: the call's deadline passed between two reads (mapped by :func:`map_error`)."""


class _QuietHTTPSConnectionPool(HTTPSConnectionPool):
    """HTTPS pool for ``verify=False`` sessions: the Session warns once, not on every request.

    urllib3 emits ``InsecureRequestWarning`` per request; with warnings as errors (or in a loop of
    thousands of calls) that breaks or floods programs whose owner already opted out.
    """

    def _validate_conn(self, conn: Any) -> None:
        HTTPConnectionPool._validate_conn(self, conn)
        if conn.is_closed:
            conn.connect()


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
                HTTPSConnectionPool if self.verify else _QuietHTTPSConnectionPool
            )
            return cls(host, parsed.port or 443, **kwargs)
        return HTTPConnectionPool(host, parsed.port or 80, **kwargs)

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
                if not self.verify:
                    manager.pool_classes_by_scheme = {
                        "http": HTTPConnectionPool,
                        "https": _QuietHTTPSConnectionPool,
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


def set_read_timeout(response: urllib3.BaseHTTPResponse, seconds: float | None) -> None:
    # urllib3 fixes the socket timeout once per request; shrinking it before each read keeps a
    # stalled read from running past the deadline.
    sock = getattr(getattr(response, "connection", None), "sock", None)
    if sock is not None and sock.gettimeout() != seconds:
        with contextlib.suppress(OSError):
            sock.settimeout(seconds)


def read_body(
    response: urllib3.BaseHTTPResponse,
    *,
    read_timeout: float | None,
    deadline_at: float | None,
    clock: Callable[[], float],
) -> bytes:
    """Read a whole body, checking the deadline between socket reads.

    The connection goes back to the pool only after a clean read to the end; on any error the
    response is closed, so a half-read connection is never reused.

    Args:
        response: A response opened with ``preload_content=False``.
        read_timeout: The per-read socket timeout.
        deadline_at: The call's deadline on ``clock``, or None.
        clock: The monotonic clock.

    Returns:
        The body bytes.

    Raises:
        DeadlineReached: The deadline passed before the body was complete.
        urllib3.exceptions.HTTPError: The read failed (for :func:`map_error`).
    """
    chunks: list[bytes] = []
    try:
        while True:
            remaining = remaining_time(deadline_at, clock)
            if remaining is not None:
                if remaining <= 0:
                    raise DeadlineReached
                set_read_timeout(response, _cap(read_timeout, remaining))
            data = response.read1(READ_BLOCK)
            if not data:
                break
            chunks.append(data)
            if response.length_remaining == 0:
                break  # Content-Length reached: spare the read that would only return b""
    except BaseException:
        response.close()
        response.release_conn()
        raise
    response.release_conn()
    return b"".join(chunks)


def map_error(
    exc: BaseException,
    *,
    sent: bool,
    idempotent: bool,
    deadline_passed: bool,
    context: dict[str, Any],
    answer: tuple[int, str] | None = None,
) -> tuple[ClientError, bool]:
    """Translate a failed attempt into the SDK error and whether a retry is allowed.

    Args:
        exc: What urllib3 (or :func:`read_body`) raised.
        sent: True if the failure came after urlopen returned (headers received), so the request
            certainly reached the server; failures inside urlopen are classified by type.
        idempotent: Whether the call may be repeated safely.
        deadline_passed: Whether the call's deadline has passed (a timeout then means the
            deadline, not the socket limit, was hit).
        context: ``method``, ``url`` (redacted) and ``request_id`` for the error.
        answer: ``(status, content type)`` when the status line had arrived before the failure
            (the body was being read), else None.

    Returns:
        ``(error, retryable)``; the caller raises ``error from exc`` when not retrying.
    """
    _scrub_url(exc)
    never_sent = not sent and isinstance(
        exc, (u3.NewConnectionError, u3.ConnectTimeoutError, u3.EmptyPoolError)
    )
    if never_sent:
        # NewConnectionError subclasses ConnectTimeoutError, so test it first.
        if isinstance(exc, u3.NameResolutionError):
            return ClientConnectionError(f"could not resolve host: {exc}", **context), True
        if isinstance(exc, u3.NewConnectionError):
            return ClientConnectionError(f"could not connect: {exc}", **context), True
        if deadline_passed:
            return DeadlineExceededError(_deadline_text("connecting"), **context), False
        what = "no free connection in the pool" if isinstance(exc, u3.EmptyPoolError) else exc
        return ClientTimeoutError(f"connect timed out: {what}", **context), True
    if isinstance(exc, u3.SSLError) and not sent:
        return ClientConnectionError(f"TLS error: {exc}", **context), False
    if isinstance(exc, u3.DecodeError):
        return ResponseDecodeError(f"could not decode the response body: {exc}", **context), False
    if isinstance(exc, (u3.LocationValueError, u3.ProxyError, u3.HostChangedError)):
        return ClientConnectionError(f"request failed: {exc}", **context), False
    # Everything else happened after the request may have reached the server.
    if isinstance(exc, DeadlineReached) or (
        deadline_passed and isinstance(exc, (u3.ReadTimeoutError, TimeoutError))
    ):
        what = _deadline_text("reading the response" if sent else "waiting for the response")
        if not idempotent:
            return OutcomeUnknownError(_outcome_text(what), **context), False
        return DeadlineExceededError(what, **context), False
    if isinstance(exc, (u3.ReadTimeoutError, TimeoutError)):
        what = f"read timed out: {exc}"
        if not idempotent:
            return OutcomeUnknownError(_outcome_text(what), **context), False
        return ClientTimeoutError(what, **context), True
    if answer is not None:
        status, content_type = answer
        what = (
            f"the {status} response ({content_type or 'no content type'}) was cut off before its "
            f"body was complete: {exc}"
        )
        if not idempotent:
            return OutcomeUnknownError(_outcome_text(what), **context), False
        return TruncatedBodyError(what, status_code=status, **context), True
    what = f"connection broken: {exc}"
    if not idempotent:
        return OutcomeUnknownError(_outcome_text(what), **context), False
    return ClientConnectionError(what, **context), True


def _scrub_url(exc: BaseException) -> None:
    """Redact the request path urllib3 keeps on its errors (``err.url``): ``exc`` becomes the
    ``__cause__`` of the SDK's error, and a path can carry a token (``agents/<token>/connect/``)."""
    url = getattr(exc, "url", None)
    if isinstance(url, str):
        try:
            exc.url = redact_url(url)  # type: ignore[attr-defined]
        except AttributeError:
            pass


def _deadline_text(phase: str) -> str:
    return f"the call's deadline passed while {phase}"


def _outcome_text(what: str) -> str:
    return (
        f"{what}; the request was sent but its answer was lost, so the server may have applied "
        "it. It was not resent: check the server's state before trying again"
    )

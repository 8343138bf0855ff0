"""The SDK's urllib3 connection and pool classes.

They differ from urllib3's in three ways:

* **Informational answers are skipped.** ``http.client`` only skips ``100 Continue``; a
  ``103 Early Hints`` or ``102 Processing`` before the real answer used to *be* the answer (and a
  caller retrying on that HTTPError created the object twice). :class:`GuardedResponse` reads past
  every 1xx but ``101`` (at most :data:`MAX_INFORMATIONAL`, each header block bounded like a
  normal one) to the real status line.
* **A header block cut off by the end of the connection is an error**, not an answer with the
  headers that happened to arrive (``http.client`` accepts it silently).
* **Deadlines reach inside the socket calls.** Connections attach themselves to the calling
  thread's watchdog guard (:mod:`._watchdog`) when they connect and when they send a request, so
  the watchdog can shut the right socket down and the attempt knows whether its request may have
  left.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable
from typing import Any, cast

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from synapse_sdk._http._watchdog import (
    CONNECTING,
    SENDING,
    WATCHDOG,
    DeadlineReached,
    current_guard,
)

__all__ = [
    "MAX_INFORMATIONAL",
    "GuardedHTTPConnection",
    "GuardedHTTPConnectionPool",
    "GuardedHTTPSConnection",
    "GuardedHTTPSConnectionPool",
    "GuardedResponse",
    "QuietHTTPSConnectionPool",
]

#: Informational (1xx) answers skipped before the real one; more is a protocol error.
MAX_INFORMATIONAL = 100
_MAXLINE: int = getattr(http.client, "_MAXLINE", 65536)
_MAXHEADERS: int = getattr(http.client, "_MAXHEADERS", 100)


class _LineRecorder:
    """Wraps the response's file during :meth:`GuardedResponse.begin` to see how the header
    block ended (``http.client`` treats the end of the stream like the blank line)."""

    __slots__ = ("fp", "last")

    def __init__(self, fp: Any) -> None:
        self.fp = fp
        self.last = b"\r\n"

    def readline(self, limit: int = -1) -> bytes:
        line: bytes = self.fp.readline(limit)
        self.last = line
        return line

    def close(self) -> None:
        self.fp.close()


class GuardedResponse(http.client.HTTPResponse):
    """An ``http.client`` response that skips 1xx answers and refuses a cut-off header block."""

    def begin(self) -> None:
        # typeshed types ``headers`` and ``fp`` as always set; http.client starts them as None.
        this = cast(Any, self)
        if this.headers is not None:
            return
        real = this.fp
        recorder = _LineRecorder(real)
        this.fp = recorder
        try:
            super().begin()
        finally:
            if this.fp is recorder:
                this.fp = real
        if recorder.last == b"":
            this._close_conn()
            raise http.client.HTTPException(
                "the connection closed before the end of the response headers"
            )
        if this.length is None and not this.chunked and this.status >= 200:
            # http.client ignores a negative or garbled length and reads to the end of the
            # stream; RFC 9112 6.3 makes it an unrecoverable error. (A parsed length is valid:
            # only a body without one needs the header looked up.)
            value = this.msg.get("Content-Length")
            if value is not None:
                this._close_conn()
                raise http.client.HTTPException(f"invalid Content-Length {value[:100]!r}")

    def _read_status(self) -> tuple[str, int, str]:
        read_status: Callable[[], tuple[str, int, str]] = super()._read_status  # type: ignore[misc]
        for _ in range(MAX_INFORMATIONAL + 1):
            version, status, reason = read_status()
            if not 100 <= status < 200 or status == 101:
                return version, status, reason
            _skip_header_block(self.fp)
        raise http.client.HTTPException(
            f"the server sent more than {MAX_INFORMATIONAL} informational (1xx) answers before "
            "the real one"
        )


def _skip_header_block(fp: Any) -> None:
    """Read one header block (of a 1xx answer) to its blank line, bounded like http.client's."""
    for _ in range(_MAXHEADERS + 1):
        line = fp.readline(_MAXLINE + 1)
        if len(line) > _MAXLINE:
            raise http.client.LineTooLong("header line")
        if line in (b"\r\n", b"\n"):
            return
        if not line:
            raise http.client.HTTPException(
                "the connection closed inside an informational (1xx) answer"
            )
    raise http.client.HTTPException(f"got more than {_MAXHEADERS} headers in a 1xx answer")


def _connect(conn: HTTPConnection, connect: Callable[[], None]) -> None:
    guard = current_guard()
    if guard is None:
        connect()
        return
    guard.conn = conn
    conn._synapse_guard = guard  # type: ignore[attr-defined]
    if guard.fired:
        raise DeadlineReached
    prior = guard.phase
    guard.phase = CONNECTING
    try:
        connect()
    finally:
        if guard.handshake is not None:
            WATCHDOG.drop_handshake(guard)
    guard.phase = prior
    if guard.fired:
        raise DeadlineReached


def _sending(conn: HTTPConnection) -> None:
    guard = current_guard()
    if guard is not None:
        guard.conn = conn
        conn._synapse_guard = guard  # type: ignore[attr-defined]
        if guard.fired:
            raise DeadlineReached
        guard.phase = SENDING


class GuardedHTTPConnection(HTTPConnection):
    """urllib3's HTTP connection with :class:`GuardedResponse` and the watchdog hooks."""

    response_class = GuardedResponse

    def connect(self) -> None:
        _connect(self, super().connect)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _sending(self)
        super().request(*args, **kwargs)


class GuardedHTTPSConnection(HTTPSConnection):
    """urllib3's HTTPS connection with :class:`GuardedResponse` and the watchdog hooks."""

    response_class = GuardedResponse

    def connect(self) -> None:
        _connect(self, super().connect)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _sending(self)
        super().request(*args, **kwargs)

    def _new_conn(self) -> Any:
        sock = super()._new_conn()
        guard = current_guard()
        if guard is not None:
            # The TLS wrapper detaches ``sock``; a duplicate of the descriptor lets the watchdog
            # shut the connection down while the handshake runs (closed right after it).
            WATCHDOG.watch_handshake(guard, sock)
        return sock


def _detach(conn: Any) -> None:
    """Before a connection goes back to the pool (urllib3 does that by itself once a body is
    read to its end), take it off its guard: the watchdog must never shut down a socket another
    call may be using. A connection whose guard fired has a shut-down socket: close it."""
    guard = getattr(conn, "_synapse_guard", None)
    if guard is not None:
        conn._synapse_guard = None
        if WATCHDOG.detach(guard, conn):
            conn.close()


class GuardedHTTPConnectionPool(HTTPConnectionPool):
    """An HTTP pool of :class:`GuardedHTTPConnection`."""

    ConnectionCls = GuardedHTTPConnection

    def _put_conn(self, conn: Any) -> None:
        if conn is not None:
            _detach(conn)
        super()._put_conn(conn)


class GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    """An HTTPS pool of :class:`GuardedHTTPSConnection`."""

    ConnectionCls = GuardedHTTPSConnection

    def _put_conn(self, conn: Any) -> None:
        if conn is not None:
            _detach(conn)
        super()._put_conn(conn)


class QuietHTTPSConnectionPool(GuardedHTTPSConnectionPool):
    """HTTPS pool for ``verify=False`` sessions: the Session warns once, not on every request.

    urllib3 emits ``InsecureRequestWarning`` per request; with warnings as errors (or in a loop of
    thousands of calls) that breaks or floods programs whose owner already opted out.
    """

    def _validate_conn(self, conn: Any) -> None:
        HTTPConnectionPool._validate_conn(self, conn)
        if conn.is_closed:
            conn.connect()

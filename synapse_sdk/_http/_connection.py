"""The SDK's urllib3 connection and pool classes.

They differ from urllib3's in four ways:

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
* **Plain header blocks skip the e-mail parser** (:mod:`._headers`): the same message
  ``http.client`` builds, at a tenth of the cost.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable
from typing import Any, cast

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from synapse_sdk._http._headers import parse_header_block, read_header_block
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


class GuardedResponse(http.client.HTTPResponse):
    """An ``http.client`` response that skips 1xx answers, refuses a cut-off header block and
    parses plain header blocks without the e-mail parser (:mod:`._headers`).

    :meth:`begin` is ``http.client``'s own (the same from Python 3.10 to 3.13) but for how the
    header block is read and parsed, and the two checks the module docstring names.
    """

    def begin(self) -> None:
        # typeshed types ``headers`` and ``fp`` as always set; http.client starts them as None.
        this = cast(Any, self)
        if this.headers is not None:
            return  # already begun
        version, status, reason = this._read_status()  # never a 1xx but 101
        this.code = this.status = status
        this.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            this.version = 10  # http.client treats 0.9 as 1.0
        elif version.startswith("HTTP/1."):
            this.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        lines = read_header_block(this.fp)
        if lines[-1] == b"":
            # http.client treats the end of the stream like the blank line and answers with the
            # headers that happened to arrive.
            this._close_conn()
            raise http.client.HTTPException(
                "the connection closed before the end of the response headers"
            )
        headers = this.headers = this.msg = parse_header_block(lines)
        coding = headers.get("transfer-encoding")
        if coding and coding.lower() == "chunked":
            this.chunked = True
            this.chunk_left = None
        else:
            this.chunked = False
        this.will_close = this._check_close()
        this.length = None
        length = headers.get("content-length")
        if length and not this.chunked:
            try:
                this.length = int(length)
            except ValueError:
                this.length = None
            else:
                if this.length < 0:
                    this.length = None
        if status in (204, 304) or 100 <= status < 200 or this._method == "HEAD":
            this.length = 0
        if not this.will_close and not this.chunked and this.length is None:
            this.will_close = True
        if this.length is None and not this.chunked and status >= 200:
            # http.client ignores a negative or garbled length and reads to the end of the
            # stream; RFC 9112 6.3 makes it an unrecoverable error. (A parsed length is valid:
            # only a body without one needs the header looked up.)
            value = headers.get("Content-Length")
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
    if read_header_block(fp)[-1] == b"":
        raise http.client.HTTPException(
            "the connection closed inside an informational (1xx) answer"
        )


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

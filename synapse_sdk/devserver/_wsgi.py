"""HTTP/1.1 keep-alive WSGI server on werkzeug's threaded server, with real connection resets.

werkzeug's development handler closes every connection and waits 10 ms per request to drain the
socket, which caps a keep-alive client at ~100 requests/s; this handler keeps connections open,
drains exactly the declared body and lets the app ask for a TCP reset or a plain close.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import socket
import struct
import sys
import threading
import traceback
from collections.abc import Iterable
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

ENV_BODY = "devserver.body"
ENV_CLOSE = "devserver.close"


class Abort(Exception):
    """Raised by the app to end the connection without an answer.

    Args:
        reset: True sends a TCP RST (SO_LINGER 0), False closes normally (FIN).
    """

    def __init__(self, reset: bool) -> None:
        super().__init__("reset" if reset else "close")
        self.reset = reset


class BodyStream(io.RawIOBase):
    """The request body limited to its Content-Length, hashed (SHA-256) as it is read.

    Args:
        raw: the connection's buffered reader (or a dechunking wrapper).
        limit: bytes to read, None to read until EOF (chunked requests).
    """

    def __init__(self, raw: Any, limit: int | None) -> None:
        super().__init__()
        self._raw = raw
        self._left = limit
        self.sha = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        view = memoryview(b).cast("B")
        want = len(view) if self._left is None else min(len(view), self._left)
        if want <= 0:
            return 0
        data = self._raw.read(want)
        if not data:
            if self._left:
                raise ConnectionError("client disconnected before sending the whole body")
            self._left = 0
            return 0
        n = len(data)
        view[:n] = data
        self.sha.update(data)
        self.size += n
        if self._left is not None:
            self._left -= n
        return n

    def exhaust(self) -> None:
        """Read and hash whatever the app did not read."""
        if self._left == 0:
            return
        while self.read(65536):
            pass


class Handler(WSGIRequestHandler):
    """Request handler with HTTP/1.1 keep-alive and app-driven abort/close."""

    protocol_version = "HTTP/1.1"
    timeout = 60  # idle keep-alive connections are dropped after this many seconds
    server: Server

    def setup(self) -> None:
        super().setup()
        # headers and body go out in one write; Nagle would still delay small follow-ups
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self.server.access_log:
            super().log_request(code, size)

    def log_error(self, format: str, *args: Any) -> None:
        if self.server.access_log:
            super().log_error(format, *args)

    def _abort(self, reset: bool) -> None:
        self.close_connection = True
        if reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            # the real close happens when finish() drops the last file object: an RST, no FIN
            self.connection.close()

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        environ = self.make_environ()
        self.environ = environ
        if environ.get("wsgi.input_terminated"):  # chunked request body
            body = BodyStream(environ["wsgi.input"], None)
            self.close_connection = True
        else:
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
                self.close_connection = True
            body = BodyStream(self.rfile, max(length, 0))
        environ["wsgi.input"] = body
        environ["wsgi.input_terminated"] = True
        environ[ENV_BODY] = body

        started: list[Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            started[:] = [status, headers]
            return None

        try:
            result = self.server.app(environ, start_response)
            try:
                self._send(environ, started, result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            body.exhaust()
        except Abort as abort:
            with contextlib.suppress(OSError):
                body.exhaust()
            self._abort(abort.reset)
        except (TimeoutError, ConnectionError, BrokenPipeError):
            self.close_connection = True
        except Exception:
            self.close_connection = True
            traceback.print_exc(file=sys.stderr)
        if environ.get(ENV_CLOSE):
            self.close_connection = True

    def _send(self, environ: dict[str, Any], started: list[Any], result: Iterable[bytes]) -> None:
        chunks = iter(result)
        first = b""
        for first in chunks:
            if first:
                break
        status, headers = started
        lines = [f"HTTP/1.1 {status}\r\n"]
        has_length = False
        for key, value in headers:
            lines.append(f"{key}: {value}\r\n")
            if key.lower() == "content-length":
                has_length = True
        code = int(status.split(None, 1)[0])
        chunked = not has_length and code not in (204, 304) and environ["REQUEST_METHOD"] != "HEAD"
        if chunked:
            lines.append("Transfer-Encoding: chunked\r\n")
        if self.close_connection or environ.get(ENV_CLOSE):
            lines.append("Connection: close\r\n")
        lines.append("\r\n")
        head = "".join(lines).encode("latin-1")

        def frame(data: bytes) -> bytes:
            return b"%x\r\n%s\r\n" % (len(data), data) if chunked else data

        self.wfile.write(head + (frame(first) if first else b""))
        for data in chunks:
            if data:
                self.wfile.write(frame(data))
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class Server(ThreadedWSGIServer):
    """werkzeug's threaded server that knows its open connections (to close them on stop)."""

    access_log = False

    def __init__(self, host: str, port: int, app: Any) -> None:
        super().__init__(host, port, app, handler=Handler)
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()

    def track(self, conn: socket.socket, add: bool) -> None:
        """Add or remove a live connection."""
        with self._conns_lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    def close_connections(self) -> None:
        """Shut down every open connection so its handler thread ends."""
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client vanishing mid-request is routine for a fault-injection server
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, socket.timeout, OSError)):
            return
        super().handle_error(request, client_address)

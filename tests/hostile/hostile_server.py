"""A hostile HTTP server on 127.0.0.1 that writes whatever bytes a test tells it to.

The local backend's fault plane models a *faulty* server (resets, stalls, 503s). This one models a
*malicious* or badly broken one: every request is read off the raw socket and handed to a Python
function that writes the answer byte by byte, so a test can drip headers, send endless or
compressed bodies, 1xx answers, lying lengths, odd headers, or hostile URLs in JSON.

Usage (see ``conftest.py`` for the ``hostile`` fixture)::

    def handler(conn: Conn, req: Request) -> bool:
        conn.send_head(200, {"Content-Length": "2"})
        conn.send(b"{}")
        return True                       # keep the connection open for the next request

    hostile.route("/tasks/1/", handler)   # or hostile.default = handler
    hostile.json("/projects/", {"count": 1, "results": [...]})  # a plain JSON answer

Handlers return True to keep the connection alive, False to close it. Every request that was read
is journaled (``server.journal``) with its headers and body, so a test can assert what arrived -
for example that no auth header ever reached a second server.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import select
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AUTH_HEADERS",
    "Conn",
    "HostileServer",
    "Request",
    "gzip_bomb",
    "head_bytes",
]

#: Header names (lower case) that carry credentials or the tenant: they must never reach a server
#: that is not the API origin.
AUTH_HEADERS = ("synapse-access-token", "synapse-agent", "synapse-tenant", "authorization")


@dataclass
class Request:
    """One request as it arrived (header names lower-cased)."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def auth_headers(self) -> dict[str, str]:
        return {k: v for k, v in self.headers.items() if k in AUTH_HEADERS}


def head_bytes(status: int | str, headers: dict[str, str] | Iterable[tuple[str, str]]) -> bytes:
    """A status line and headers: ``status`` may be a full custom reason (``"103 Early Hints"``)."""
    line = f"HTTP/1.1 {status}" if isinstance(status, str) else f"HTTP/1.1 {status} X"
    pairs = headers.items() if isinstance(headers, dict) else headers
    lines = [line] + [f"{k}: {v}" for k, v in pairs]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def gzip_bomb(inflated: int) -> bytes:
    """A gzip body of about ``inflated // 1000`` bytes that inflates to ``inflated`` zero bytes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip container
    block = b"\0" * (1024 * 1024)
    parts = []
    left = inflated
    while left > 0:
        piece = block if left >= len(block) else block[:left]
        parts.append(compressor.compress(piece))
        left -= len(piece)
    parts.append(compressor.flush())
    return b"".join(parts)


class Conn:
    """The accepted socket with helpers; all sends stop quietly once the server is closing."""

    def __init__(self, sock: socket.socket, stopping: threading.Event) -> None:
        self.sock = sock
        self.stopping = stopping

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_head(self, status: int | str, headers: dict[str, str] | None = None) -> None:
        self.sock.sendall(head_bytes(status, headers or {}))

    def send_json(
        self, body: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        all_headers = {"Content-Type": "application/json", "Content-Length": str(len(data))}
        all_headers.update(headers or {})
        self.sock.sendall(head_bytes(status, all_headers) + data)

    def wait(self, seconds: float) -> bool:
        """Sleep ``seconds``; True if the server is closing (stop what you are doing)."""
        return self.stopping.wait(seconds)

    def drip(self, data: bytes, interval: float, *, limit: float = 30.0) -> bool:
        """Send ``data`` one byte per ``interval`` s (at most ``limit`` s); False if stopped."""
        started = time.monotonic()
        for i in range(len(data)):
            if self.wait(interval) or time.monotonic() - started > limit:
                return False
            self.sock.sendall(data[i : i + 1])
        return True

    def endless(
        self, block: bytes = b"x" * 65536, *, chunked: bool = True, limit: float = 30.0
    ) -> None:
        """Send ``block`` again and again (as HTTP chunks, or raw) until the client goes away,
        the server closes, or ``limit`` seconds pass."""
        frame = f"{len(block):x}\r\n".encode() + block + b"\r\n" if chunked else block
        started = time.monotonic()
        with contextlib.suppress(OSError):
            while not self.stopping.is_set() and time.monotonic() - started < limit:
                self.sock.sendall(frame)

    def reset(self) -> None:
        """Close with RST instead of FIN."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


Handler = Callable[[Conn, Request], bool]


class HostileServer:
    """The server; use the ``hostile`` fixture (or ``with HostileServer() as srv``)."""

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.journal: list[Request] = []
        self.connections = 0
        self.default: Handler = _not_found
        self._routes: list[tuple[str, Handler]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._socks: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self._acceptor.start()

    # -- control ---------------------------------------------------------------------------

    def route(self, prefix: str, handler: Handler) -> None:
        """Answer requests whose path starts with ``prefix`` (longest prefix wins)."""
        with self._lock:
            self._routes.append((prefix, handler))
            self._routes.sort(key=lambda item: -len(item[0]))

    def json(self, prefix: str, body: Any, status: int = 200, **headers: str) -> None:
        """Answer ``prefix`` with a plain JSON body (a dict, list, or raw bytes)."""

        def handler(conn: Conn, req: Request) -> bool:
            conn.send_json(body, status, {k.replace("_", "-"): v for k, v in headers.items()})
            return True

        self.route(prefix, handler)

    def requests(self, path_prefix: str = "") -> list[Request]:
        with self._lock:
            return [r for r in self.journal if r.path.startswith(path_prefix)]

    def close(self) -> None:
        self._stopping.set()
        self._listener.close()
        with self._lock:
            socks = list(self._socks)
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._acceptor.join(5)
        for thread in self._threads:
            thread.join(5)

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- serving ---------------------------------------------------------------------------

    def _handler_for(self, path: str) -> Handler:
        with self._lock:
            for prefix, handler in self._routes:
                if path.startswith(prefix):
                    return handler
            return self.default

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._socks.add(sock)
                self.connections += 1
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        buffer = b""
        conn = Conn(sock, self._stopping)
        try:
            while not self._stopping.is_set():
                if not buffer:
                    readable, _, _ = select.select([sock], [], [], 0.1)
                    if not readable:
                        continue
                    if not sock.recv(1, socket.MSG_PEEK):
                        return
                request, buffer = _read_request(sock, buffer, self._stopping)
                if request is None:
                    return
                with self._lock:
                    self.journal.append(request)
                if not self._handler_for(request.path)(conn, request):
                    return
        except OSError:
            return
        finally:
            with self._lock:
                self._socks.discard(sock)
            with contextlib.suppress(OSError):
                sock.close()


def _not_found(conn: Conn, req: Request) -> bool:
    conn.send_json({"detail": "Not found."}, 404)
    return True


def _recv(sock: socket.socket, stopping: threading.Event) -> bytes:
    while not stopping.is_set():
        readable, _, _ = select.select([sock], [], [], 0.1)
        if readable:
            return sock.recv(65536)
    return b""


def _read_request(
    sock: socket.socket, buffer: bytes, stopping: threading.Event
) -> tuple[Request | None, bytes]:
    while b"\r\n\r\n" not in buffer:
        data = _recv(sock, stopping)
        if not data:
            return None, b""
        buffer += data
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body, rest = _read_chunked(sock, rest, stopping)
        if body is None:
            return None, b""
        return Request(method, target, headers, body), rest
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        data = _recv(sock, stopping)
        if not data:
            return None, b""
        rest += data
    return Request(method, target, headers, rest[:length]), rest[length:]


def _read_chunked(
    sock: socket.socket, rest: bytes, stopping: threading.Event
) -> tuple[bytes | None, bytes]:
    body = b""
    while True:
        while b"\r\n" not in rest:
            data = _recv(sock, stopping)
            if not data:
                return None, b""
            rest += data
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        while len(rest) < size + 2:
            data = _recv(sock, stopping)
            if not data:
                return None, b""
            rest += data
        body += rest[:size]
        rest = rest[size + 2 :]
        if size == 0:
            return body, rest


# Re-exported for tests that build compressed bodies by hand.
gzip_compress = gzip.compress


# -- small helpers for the session-layer attack tests (tests/hostile/test_http_*.py) -------------


def task_json(pk: int = 1) -> dict[str, Any]:
    """A task as the backend sends it (enough for ``client.tasks.get`` to build a Task)."""
    return {
        "id": pk,
        "project": 1,
        "data_unit": 1,
        "meta": {},
        "data": {},
        "status": "pending",
        "is_discarded": False,
        "tags": [],
        "assignments": [],
    }

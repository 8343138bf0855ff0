"""A scriptable raw-socket HTTP/1.1 server on 127.0.0.1 for the session layer's fault tests.

Each incoming request consumes the next scripted action (or the default, an echo). Actions:

- ``Reply(status, body, headers)``: a normal answer (keep-alive).
- ``RESET_BEFORE_READ``: wait until the request arrives, then reset without reading it.
- ``RESET_AFTER_READ``: read the whole request (journaled), then reset: the answer is lost.
- ``Stall(seconds)``: read the request, then send nothing for ``seconds`` and close.
- ``Drip(interval, body)``: send headers, then the body one byte per ``interval``.
- ``Truncate(body, announced)``: announce ``announced`` bytes, send ``body``, close.

The journal records every request the server read (method, path, headers, body), so tests can
assert what arrived, not only what the client saw.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | Any = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Stall:
    seconds: float


@dataclass
class Drip:
    interval: float
    body: bytes


@dataclass
class Truncate:
    body: bytes
    announced: int


RESET_BEFORE_READ = "reset_before_read"
RESET_AFTER_READ = "reset_after_read"
ECHO = "echo"


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class FaultServer:
    """The server; use the ``server`` fixture."""

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        # accept() in another thread is not woken by close(); poll so close() returns promptly.
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._script: list[Any] = []
        self.default: Any = ECHO
        self.journal: list[Request] = []
        self.actions: list[str] = []
        self._conns: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self._acceptor.start()

    # -- control ---------------------------------------------------------------------------

    def script(self, *actions: Any) -> None:
        with self._lock:
            self._script.extend(actions)

    @property
    def attempts(self) -> int:
        """Requests that reached the server (each consumed one action)."""
        with self._lock:
            return len(self.actions)

    def _next_action(self) -> Any:
        with self._lock:
            action = self._script.pop(0) if self._script else self.default
            self.actions.append(type(action).__name__ if not isinstance(action, str) else action)
            return action

    def close(self) -> None:
        self._stopping.set()
        self._listener.close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._acceptor.join(5)
        for thread in self._threads:
            thread.join(5)

    # -- serving ---------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._conns.add(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        buffer = b""
        try:
            while not self._stopping.is_set():
                if not buffer:
                    readable, _, _ = select.select([conn], [], [], 0.1)
                    if not readable:
                        continue
                    # Peek: the client may simply have closed an idle keep-alive connection.
                    if not conn.recv(1, socket.MSG_PEEK):
                        return
                action = self._next_action()
                if action == RESET_BEFORE_READ:
                    _reset(conn)
                    return
                request, buffer = _read_request(conn, buffer)
                if request is None:
                    return
                with self._lock:
                    self.journal.append(request)
                if not self._respond(conn, action, request):
                    return
        except OSError:
            return
        finally:
            with self._lock:
                self._conns.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()

    def _respond(self, conn: socket.socket, action: Any, request: Request) -> bool:
        """Answer ``request``; return False when the connection must be dropped."""
        if action == RESET_AFTER_READ:
            _reset(conn)
            return False
        if isinstance(action, Stall):
            self._stopping.wait(action.seconds)
            return False
        if isinstance(action, Drip):
            conn.sendall(_head(200, {"Content-Length": str(len(action.body))}))
            for i in range(len(action.body)):
                if self._stopping.wait(action.interval):
                    return False
                conn.sendall(action.body[i : i + 1])
            return True
        if isinstance(action, Truncate):
            headers = {"Content-Length": str(action.announced), "Content-Type": "application/json"}
            conn.sendall(_head(200, headers) + action.body)
            return False
        if action == ECHO:
            action = Reply(200, _echo(request))
        assert isinstance(action, Reply), action
        body = action.body
        headers = dict(action.headers)
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            headers.setdefault("Content-Type", "application/json")
        if isinstance(body, str):
            body = body.encode("utf-8")
        headers.setdefault("Content-Type", "application/json")
        headers["Content-Length"] = str(len(body))
        conn.sendall(_head(action.status, headers) + (b"" if request.method == "HEAD" else body))
        return True


def _echo(request: Request) -> dict[str, Any]:
    return {
        "method": request.method,
        "path": request.path,
        "headers": request.headers,
        "body": request.body.decode("utf-8", errors="replace"),
    }


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _reset(conn: socket.socket) -> None:
    # SO_LINGER 0 makes close() send RST instead of FIN: the client sees "connection reset".
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def _read_request(conn: socket.socket, buffer: bytes) -> tuple[Request | None, bytes]:
    while b"\r\n\r\n" not in buffer:
        data = conn.recv(65536)
        if not data:
            return None, b""
        buffer += data
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        data = conn.recv(65536)
        if not data:
            return None, b""
        rest += data
    return Request(method, path, headers, rest[:length]), rest[length:]


class SleepRecorder:
    """An injected ``sleep`` that records durations and advances a fake clock instantly."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.offset = 0.0

    def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.offset += seconds

    def clock(self) -> float:
        return time.monotonic() + self.offset

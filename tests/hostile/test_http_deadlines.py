"""Finding 5: the call's wall-clock deadline holds while connecting, sending and reading the status
line and headers, not only between body reads.

A server that sends the status line and then one header byte every 0.2 s (each byte resets the
socket read timeout) must not hold a GET, a POST or a download past its deadline; nor may a
server that reads an upload slowly (or never) hold the upload.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hostile_server import Conn, HostileServer, Request, task_json

from synapse_sdk import (
    ClientError,
    DeadlineExceededError,
    OutcomeUnknownError,
    Timeout,
)
from synapse_sdk._http import Multipart, Session
from synapse_sdk.clients.backend import BackendClient

DEADLINE = 1.5
SLACK = 0.5

Call = Callable[[BackendClient], Any]

READS: dict[str, Call] = {
    "typed": lambda c: c.tasks.get(1),
    "seed": lambda c: c.get_task(1),
}
CREATES: dict[str, Call] = {
    "typed": lambda c: c.tasks.create_many([1], project=1),
    "seed": lambda c: c.create_tasks([{"project": 1, "data_unit": 1}]),
}


def make_client(server: HostileServer, **kwargs: Any) -> BackendClient:
    kwargs.setdefault("timeout", Timeout(connect=5, read=5, deadline=DEADLINE))
    return BackendClient(server.url, api_token="hostile-token", **kwargs)


def header_drip(conn: Conn, req: Request) -> bool:
    """The status line at once, then one header byte every 0.2 s (for far longer than the
    deadline: the old code only returned when the server gave up)."""
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
    conn.drip(b"X-Padding: " + b"a" * 200 + b"\r\n\r\n{}", 0.2, limit=DEADLINE + 4)
    return False


def status_line_drip(conn: Conn, req: Request) -> bool:
    conn.drip(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}" + b" " * 100, 0.2, limit=6)
    return False


def body_drip(conn: Conn, req: Request) -> bool:
    """Head and the start of a body of announced length at once, then one body byte every 0.2 s:
    the body is read in one call on a watched connection, so only the watchdog can end it."""
    body = json.dumps({"id": 1, "data": {"pad": "a" * 400}}).encode()
    head = (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    conn.send(head.encode() + body[:10])
    conn.drip(body[10:], 0.2, limit=DEADLINE + 4)
    return False


@contextlib.contextmanager
def elapsed_at_most(seconds: float) -> Iterator[None]:
    started = time.monotonic()
    yield
    took = time.monotonic() - started
    assert took < seconds, f"the call took {took:.2f} s, more than {seconds} s"


@pytest.mark.parametrize("drip", [header_drip, body_drip], ids=["headers", "body"])
@pytest.mark.parametrize("surface", sorted(READS))
def test_header_or_body_drip_get_ends_within_the_deadline(
    hostile: HostileServer, surface: str, drip: Callable[[Conn, Request], bool]
) -> None:
    hostile.default = drip
    with (
        make_client(hostile) as client,
        elapsed_at_most(DEADLINE + SLACK),
        pytest.raises(DeadlineExceededError, match="deadline"),
    ):
        READS[surface](client)
    assert len(hostile.requests()) == 1  # no retry after the deadline


@pytest.mark.parametrize("surface", sorted(CREATES))
def test_header_drip_post_is_outcome_unknown_within_the_deadline(
    hostile: HostileServer, surface: str
) -> None:
    hostile.default = header_drip
    with (
        make_client(hostile) as client,
        elapsed_at_most(DEADLINE + SLACK),
        pytest.raises(OutcomeUnknownError, match="deadline"),
    ):
        CREATES[surface](client)
    assert len(hostile.requests()) == 1  # never resent


@pytest.mark.parametrize("surface", sorted(READS))
def test_status_line_drip_ends_within_the_deadline(hostile: HostileServer, surface: str) -> None:
    hostile.default = status_line_drip
    with (
        make_client(hostile) as client,
        elapsed_at_most(DEADLINE + SLACK),
        pytest.raises(DeadlineExceededError),
    ):
        READS[surface](client)


def test_header_drip_download_ends_within_the_deadline(hostile: HostileServer) -> None:
    hostile.default = header_drip
    with (
        Session(hostile.url) as session,
        elapsed_at_most(2 + SLACK),
        pytest.raises(DeadlineExceededError),
    ):
        session.download(f"{hostile.url}/media/f.bin", timeout=Timeout(deadline=2))


def test_header_drip_with_an_injected_clock(hostile: HostileServer) -> None:
    """The watchdog runs in real time even when the session's clock is a test clock (here the
    real clock plus an offset, as the reliability suite's SleepRecorder does)."""
    hostile.default = header_drip
    offset = 12345.0
    client = make_client(hostile, clock=lambda: time.monotonic() + offset)
    with client, elapsed_at_most(DEADLINE + SLACK), pytest.raises(DeadlineExceededError):
        client.get_task(1)


def test_fast_answers_are_not_affected(hostile: HostileServer) -> None:
    """Many quick calls under a short deadline: the watchdog never fires on a finished call,
    and the keep-alive connection is reused throughout."""
    hostile.json("/tasks/", task_json(1))
    with make_client(hostile, timeout=Timeout(connect=2, read=2, deadline=0.3)) as client:
        for _ in range(200):
            assert client.tasks.get(1).id == 1
        time.sleep(0.5)  # every armed deadline has passed by now
        assert client.get_task(1)["id"] == 1
    assert hostile.connections == 1


# -- uploads to a server that reads slowly or not at all -------------------------------------


class SlowReader:
    """A listener that accepts connections and reads ``rate`` bytes per 0.1 s (0: never)."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stop = threading.Event()
        self.received = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        conns: list[socket.socket] = []
        try:
            while not self.stop.is_set():
                with contextlib.suppress(TimeoutError):
                    conn, _ = self.sock.accept()
                    conn.setblocking(False)
                    conns.append(conn)
                for conn in conns:
                    budget = self.rate
                    while budget > 0:
                        try:
                            data = conn.recv(budget)
                        except OSError:
                            break
                        if not data:
                            break
                        budget -= len(data)
                        self.received += len(data)
                self.stop.wait(0.1)
        finally:
            for conn in conns:
                conn.close()
            self.sock.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)


@pytest.fixture
def slow_reader() -> Iterator[SlowReader]:
    reader = SlowReader(rate=256 * 1024)  # 2.5 MB/s: a 1 MiB block in 0.4 s
    yield reader
    reader.close()


@pytest.fixture
def deaf_server() -> Iterator[SlowReader]:
    reader = SlowReader(rate=0)
    yield reader
    reader.close()


def test_streamed_upload_to_a_slow_reader_ends_within_the_deadline(
    slow_reader: SlowReader,
) -> None:
    # 1 MiB blocks: every block is one send with its own socket timeout, and the server takes
    # each one in well under the 5 s read timeout, so only the deadline can stop the upload.
    body = Multipart(files=[("file", "big.bin", bytearray(16 * 1024 * 1024), None)])
    session = Session(slow_reader.url, timeout=Timeout(connect=5, read=5, deadline=DEADLINE))
    with (
        session,
        elapsed_at_most(DEADLINE + SLACK),
        pytest.raises(OutcomeUnknownError, match="deadline"),
    ):
        session.request("POST", "data_files/", body=body)


@pytest.mark.parametrize("surface", sorted(CREATES))
def test_json_upload_to_a_server_that_never_reads(deaf_server: SlowReader, surface: str) -> None:
    rows = [{"project": 1, "data_unit": i, "meta": {"pad": "x" * 1000}} for i in range(20_000)]
    calls: dict[str, Call] = {
        "typed": lambda c: c.tasks.create_many(range(1_000_000, 1_400_000), project=1),
        "seed": lambda c: c.create_tasks(rows),
    }
    client = BackendClient(
        deaf_server.url, api_token="t", timeout=Timeout(connect=5, read=30, deadline=DEADLINE)
    )
    # The deadline starts once the body is encoded: allow for encoding it (measured here).
    started = time.monotonic()
    json.dumps(rows if surface == "seed" else [{"data_unit": i} for i in range(400_000)])
    encoding = time.monotonic() - started
    with (
        client,
        elapsed_at_most(DEADLINE + SLACK + 2 * encoding),
        pytest.raises(ClientError) as info,
    ):
        calls[surface](client)
    assert isinstance(info.value, (OutcomeUnknownError, DeadlineExceededError))


# -- a TLS handshake that drips ---------------------------------------------------------------


class TlsDripper:
    """Accepts TCP and answers a TLS ClientHello with the header of a 16 KiB handshake record,
    then its payload one byte every 0.2 s: each byte resets the socket timeout."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.url = f"https://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while not self.stop.is_set():
                try:
                    conn, _ = self.sock.accept()
                except TimeoutError:
                    continue
                threading.Thread(target=self._drip, args=(conn,), daemon=True).start()
        finally:
            self.sock.close()

    def _drip(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.recv(65536)  # the ClientHello
            conn.sendall(b"\x16\x03\x03\x40\x00")  # a handshake record of 16,384 bytes
            for _ in range(60):
                if self.stop.wait(0.2):
                    return
                conn.sendall(b"\x00")

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)


@pytest.fixture
def tls_dripper() -> Iterator[TlsDripper]:
    server = TlsDripper()
    yield server
    server.close()


@pytest.mark.parametrize("call", ["get", "download"])
def test_dripping_tls_handshake_ends_within_the_deadline(
    tls_dripper: TlsDripper, call: str
) -> None:
    session = Session(tls_dripper.url, timeout=Timeout(connect=5, read=5, deadline=DEADLINE))
    with (
        session,
        elapsed_at_most(DEADLINE + SLACK),
        pytest.raises(DeadlineExceededError, match="connecting"),
    ):
        if call == "get":
            session.request("GET", "tasks/1/")
        else:
            session.download("media/f.bin", timeout=Timeout(connect=5, read=5, deadline=DEADLINE))

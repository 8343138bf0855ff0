"""Neighbouring attacks on the HTTP framing: garbage status lines, header blocks that never end,
bogus chunk sizes and lying lengths all end in a typed SDK error within the deadline, and a
write is never resent after its request went out."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from hostile_server import Conn, HostileServer, Request, head_bytes

from synapse_sdk import ClientError, OutcomeUnknownError, Timeout
from synapse_sdk.clients.backend import BackendClient

Call = Callable[[BackendClient], Any]

CALLS: dict[str, Call] = {
    "typed-get": lambda c: c.tasks.get(1),
    "seed-get": lambda c: c.get_task(1),
    "typed-post": lambda c: c.tasks.create_many([1], project=1),
    "seed-post": lambda c: c.create_tasks([{"project": 1, "data_unit": 1}]),
}


def send_and_close(data: bytes, *, hold: float = 0.0) -> Callable[[Conn, Request], bool]:
    def handler(conn: Conn, req: Request) -> bool:
        conn.send(data)
        if hold:
            conn.wait(hold)
        return False

    return handler


def huge_headers(conn: Conn, req: Request) -> bool:
    conn.send(b"HTTP/1.1 200 OK\r\n")
    conn.send(b"".join(b"X-H%d: v\r\n" % i for i in range(200_000)))
    conn.wait(3)
    return False


def long_header_line(conn: Conn, req: Request) -> bool:
    conn.send(b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 10_000_000)
    conn.wait(3)
    return False


def endless_header_line(conn: Conn, req: Request) -> bool:
    conn.send(b"HTTP/1.1 200 OK\r\nX-Long: ")
    conn.endless(b"a" * 65536, chunked=False, limit=8)
    return False


ATTACKS: dict[str, Callable[[Conn, Request], bool]] = {
    "garbage-status-line": send_and_close(b"SPDY/9 banana\r\n\r\n"),
    "binary-status-line": send_and_close(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" * 50),
    "status-999": send_and_close(head_bytes("999 Weird", {"Content-Length": "0"})),
    "status-0": send_and_close(b"HTTP/1.1 000 Zero\r\nContent-Length: 0\r\n\r\n"),
    "endless-status-line": send_and_close(b"HTTP/1.1 200 " + b"O" * 200_000, hold=3),
    "200k-headers": huge_headers,
    "10MB-header-line": long_header_line,
    "endless-header-line": endless_header_line,
    "bogus-chunk-size": send_and_close(
        head_bytes(200, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
        + b"zz\r\n{}\r\n0\r\n\r\n"
    ),
    "huge-chunk-size": send_and_close(
        head_bytes(200, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
        + b"ffffffffffffffffffff\r\n{}",
        hold=3,
    ),
    "negative-content-length": send_and_close(
        head_bytes(200, {"Content-Type": "application/json", "Content-Length": "-5"}) + b"{}"
    ),
    "two-content-lengths": send_and_close(
        head_bytes(
            200,
            [
                ("Content-Type", "application/json"),
                ("Content-Length", "2"),
                ("Content-Length", "9"),
            ],
        )
        + b"{}"
    ),
    "content-length-longer-than-body": send_and_close(
        head_bytes(200, {"Content-Type": "application/json", "Content-Length": "50"}) + b"{}"
    ),
    "http-0.9-answer": send_and_close(b'{"id": 1}'),
    "empty-answer": send_and_close(b""),
}


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_broken_framing_is_a_typed_error(hostile: HostileServer, call: str, attack: str) -> None:
    hostile.route("/tasks/", ATTACKS[attack])
    client = BackendClient(
        hostile.url,
        api_token="t",
        timeout=Timeout(connect=2, read=2, deadline=2),
        sleep=lambda s: None,
    )
    started = time.monotonic()
    with client:
        try:
            CALLS[call](client)
        except ClientError as exc:
            error: ClientError | None = exc
        else:
            error = None
    took = time.monotonic() - started
    assert took < 2.5, f"{attack}: {took:.2f} s"
    assert error is not None, f"{attack}: a broken answer was accepted"
    if call.endswith("post"):
        # One request on the wire: a write is never resent once it may have been applied.
        assert len(hostile.requests("/tasks/")) == 1
        if error.status_code is None:
            assert isinstance(error, OutcomeUnknownError), repr(error)

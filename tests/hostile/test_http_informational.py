"""Finding 11: informational answers (1xx other than 101) are skipped; the real answer is read.

A POST answered ``103 Early Hints`` then ``201`` used to raise ``HTTPError("103: Early Hints")``,
and a caller retrying on HTTPError created the object twice.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from hostile_server import Conn, HostileServer, Request, head_bytes, task_json

from synapse_sdk import ClientError, DeadlineExceededError, HTTPError, OutcomeUnknownError, Timeout
from synapse_sdk.clients.backend import BackendClient

Call = Callable[[BackendClient], Any]

CREATES: dict[str, Call] = {
    "typed": lambda c: [t.id for t in c.tasks.create_many([1], project=1)],
    "seed": lambda c: [t["id"] for t in c.create_tasks([{"project": 1, "data_unit": 1}])],
}
READS: dict[str, Call] = {
    "typed": lambda c: c.tasks.get(7).id,
    "seed": lambda c: c.get_task(7)["id"],
}


def make_client(server: HostileServer, deadline: float = 3.0) -> BackendClient:
    return BackendClient(
        server.url, api_token="t", timeout=Timeout(connect=2, read=2, deadline=deadline)
    )


def json_answer(status: int, body: Any) -> bytes:
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "Content-Length": str(len(data))}
    return head_bytes(status, headers) + data


@pytest.mark.parametrize("surface", sorted(CREATES))
def test_post_answered_103_then_201(hostile: HostileServer, surface: str) -> None:
    def handler(conn: Conn, req: Request) -> bool:
        conn.send(head_bytes("103 Early Hints", {"Link": "</style.css>; rel=preload"}))
        conn.send(json_answer(201, [task_json(41)]))
        return True

    hostile.route("/tasks/", handler)
    with make_client(hostile) as client:
        assert CREATES[surface](client) == [41]
        # The connection is still in step: the next call gets its own answer.
        assert CREATES[surface](client) == [41]
    assert len(hostile.requests("/tasks/")) == 2
    assert hostile.connections == 1


@pytest.mark.parametrize("surface", sorted(READS))
def test_get_answered_100_102_then_200(hostile: HostileServer, surface: str) -> None:
    def handler(conn: Conn, req: Request) -> bool:
        conn.send(head_bytes("100 Continue", {}))
        conn.send(head_bytes("102 Processing", {"X-Progress": "50%"}))
        conn.send(json_answer(200, task_json(7)))
        return True

    hostile.route("/tasks/", handler)
    with make_client(hostile) as client:
        assert READS[surface](client) == 7
    assert len(hostile.requests()) == 1


@pytest.mark.parametrize("surface", sorted(CREATES))
def test_a_flood_of_103s_ends_with_a_typed_error_and_no_resend(
    hostile: HostileServer, surface: str
) -> None:
    """Thousands of 1xx answers (sent as fast as possible) never end in a success or an
    untyped error, and the write is not resent."""

    def handler(conn: Conn, req: Request) -> bool:
        block = head_bytes("103 Early Hints", {"Link": "</a.css>; rel=preload"}) * 1000
        started = time.monotonic()
        while not conn.stopping.is_set() and time.monotonic() - started < 8:
            conn.send(block)
        return False

    hostile.route("/tasks/", handler)
    started = time.monotonic()
    with make_client(hostile, deadline=2.0) as client, pytest.raises(ClientError) as info:
        CREATES[surface](client)
    assert time.monotonic() - started < 2.5
    assert isinstance(info.value, OutcomeUnknownError)
    assert "1xx" in str(info.value) or "deadline" in str(info.value)
    assert len(hostile.requests("/tasks/")) == 1


@pytest.mark.parametrize("surface", sorted(READS))
def test_slow_103s_forever_hit_the_deadline(hostile: HostileServer, surface: str) -> None:
    def handler(conn: Conn, req: Request) -> bool:
        for _ in range(80):
            if conn.wait(0.1):
                break
            conn.send(head_bytes("103 Early Hints", {}))
        return False

    hostile.route("/tasks/", handler)
    started = time.monotonic()
    with make_client(hostile, deadline=1.5) as client, pytest.raises(DeadlineExceededError):
        READS[surface](client)
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize("surface", sorted(READS))
def test_101_switching_protocols_is_an_http_error(hostile: HostileServer, surface: str) -> None:
    def handler(conn: Conn, req: Request) -> bool:
        conn.send(head_bytes("101 Switching Protocols", {"Upgrade": "websocket"}))
        conn.wait(5)
        return False

    hostile.route("/tasks/", handler)
    started = time.monotonic()
    with make_client(hostile) as client, pytest.raises(HTTPError) as info:
        READS[surface](client)
    assert info.value.status_code == 101
    assert time.monotonic() - started < 1.0

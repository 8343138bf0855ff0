"""A hostile server's listing rows against the page build: every bad row fails the page with its
row and field named, whichever row of the page it is, and nothing of a bad page is delivered."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hostile_server import Conn, HostileServer, Request, head_bytes, task_json

from synapse_sdk import ResponseValidationError, Timeout
from synapse_sdk.clients.backend import BackendClient


def serve_page(server: HostileServer, rows: list[Any]) -> None:
    body = json.dumps({"count": len(rows), "next": None, "previous": None, "results": rows})

    def handler(conn: Conn, req: Request) -> bool:
        data = body.encode()
        headers = {"Content-Type": "application/json", "Content-Length": str(len(data))}
        conn.send(head_bytes(200, headers) + data)
        return True

    server.route("/sdk/tasks/", handler)


def client_for(server: HostileServer) -> BackendClient:
    return BackendClient(
        server.url, api_token="t", retries=0, timeout=Timeout(connect=2, read=2, deadline=5)
    )


BAD: list[tuple[Callable[[dict[str, Any]], Any], str]] = [
    (lambda row: 5, ""),  # not an object
    (lambda row: [row], ""),  # a list where the row goes
    (lambda row: {**row, "id": "7"}, "id"),
    (lambda row: {**row, "id": True}, "id"),  # a bool is not an id
    (lambda row: {**row, "project": {"name": "no id"}}, "project"),  # expanded, without an id
    (lambda row: {**row, "status": 3}, "status"),
    (lambda row: {**row, "tags": "1,2"}, "tags"),
    (lambda row: {**row, "is_discarded": None}, "is_discarded"),
    (lambda row: {**row, "created": ["2026"]}, "created"),
]


@pytest.mark.parametrize(("spoil", "field"), BAD)
@pytest.mark.parametrize("where", [0, 3, 6])
def test_a_bad_row_fails_its_page_naming_row_and_field(
    hostile: HostileServer, spoil: Callable[[dict[str, Any]], Any], field: str, where: int
) -> None:
    rows: list[Any] = [task_json(pk) for pk in range(1, 8)]
    rows[where] = spoil(rows[where])
    serve_page(hostile, rows)
    delivered: list[int] = []
    with client_for(hostile) as client, pytest.raises(ResponseValidationError) as info:
        for task in client.tasks.all().options(prefetch=0):
            delivered.append(task.id)
    expected = f"results[{where}].{field}" if field else f"results[{where}]"
    assert info.value.path == expected
    assert delivered == []  # the page fails as a whole: no row of it was handed out


def test_partial_and_expanded_rows_among_whole_ones_are_delivered(
    hostile: HostileServer,
) -> None:
    rows: list[Any] = [task_json(pk) for pk in range(1, 5)]
    rows[1] = {"id": 2}  # a partial row (only() or a trimmed server)
    rows[2] = {**rows[2], "data_unit": {"id": 30, "meta": {}}, "brand_new": [1]}
    serve_page(hostile, rows)
    with client_for(hostile) as client:
        tasks = list(client.tasks.all().options(prefetch=0))
    assert [t.id for t in tasks] == [1, 2, 3, 4]
    assert tasks[2].data_unit_id == 30 and tasks[2].extra == {"brand_new": [1]}
    assert tasks[0].status is not None

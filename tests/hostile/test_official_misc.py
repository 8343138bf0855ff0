"""Hostile answers to the official client's remaining methods: ``url_host`` through hostile
``next`` links (kept on the API origin, never carrying auth elsewhere), and server values that
``annotate_task_data_batch`` and ``upload_data_collection`` read."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hostile_server import Conn, HostileServer, Request
from test_pagination import bounded

from synapse_sdk import OriginError
from synapse_sdk.clients.backend import BackendClient

TOKEN = "hostile-authz-canary"


def make_client(srv: HostileServer, **options: Any) -> BackendClient:
    options.setdefault("prefetch", 0)
    return BackendClient(
        srv.url,
        authorization_token=TOKEN,
        url_host="internal",
        retries=0,
        sleep=lambda seconds: None,
        **options,
    )


def page(next_url: Any, ids: list[int]) -> dict[str, Any]:
    return {"count": 4, "next": next_url, "previous": None, "results": [{"id": i} for i in ids]}


def test_url_host_is_added_to_a_next_link_that_dropped_it(hostile: HostileServer) -> None:
    def handler(conn: Conn, req: Request) -> bool:
        query = parse_qs(urlsplit(req.target).query)
        second = query.get("page") == ["2"]
        body = page(None, [3, 4]) if second else page(f"{hostile.url}/sdk/tasks/?page=2", [1, 2])
        conn.send_json(body)
        return True

    hostile.route("/sdk/tasks/", handler)
    with make_client(hostile) as client:
        rows = bounded(lambda: list(client.list_tasks(list_all=True)))
    assert [r["id"] for r in rows] == [1, 2, 3, 4]
    targets = [parse_qs(urlsplit(r.target).query) for r in hostile.requests("/sdk/tasks/")]
    assert len(targets) == 2
    assert all(q["url_host"] == ["internal"] for q in targets)  # once each, not duplicated


def test_a_next_link_naming_its_own_url_host_is_not_given_a_second(
    hostile: HostileServer,
) -> None:
    def handler(conn: Conn, req: Request) -> bool:
        second = "page=2" in req.target
        nxt = f"{hostile.url}/sdk/tasks/?page=2&url_host=internal"
        conn.send_json(page(None, [3]) if second else page(nxt, [1]))
        return True

    hostile.route("/sdk/tasks/", handler)
    with make_client(hostile) as client:
        bounded(lambda: list(client.list_tasks(list_all=True)))
    second = hostile.requests("/sdk/tasks/")[-1]
    assert parse_qs(urlsplit(second.target).query)["url_host"] == ["internal"]


@pytest.mark.parametrize("prefetch", [0, 2])
def test_a_next_link_to_another_origin_gets_neither_auth_nor_url_host(
    hostile_factory: Any, prefetch: int
) -> None:
    api, attacker = hostile_factory(), hostile_factory()
    attacker.json("/", page(None, [9]))
    api.json("/sdk/tasks/", page(f"{attacker.url}/steal/?url_host=internal", [1, 2]))
    with make_client(api, prefetch=prefetch) as client, pytest.raises(OriginError) as info:
        bounded(lambda: list(client.list_tasks(list_all=True)))
    assert attacker.journal == []
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)
    first = api.requests("/sdk/tasks/")[0]
    assert first.header("authorization") == f"Token {TOKEN}"
    assert parse_qs(urlsplit(first.target).query)["url_host"] == ["internal"]

"""Hostile answers to the official client's remaining methods: ``url_host`` through hostile
``next`` links (kept on the API origin, never carrying auth elsewhere), and server values that
``annotate_task_data_batch`` and ``upload_data_collection`` read."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hostile_server import Conn, HostileServer, Request
from test_pagination import bounded

from synapse_sdk import ClientError, OriginError
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


# -- annotate_task_data_batch / annotate_many: what the task answer may be -----------------------


def annotate_server(hostile: HostileServer, answers: dict[int, Any]) -> None:
    """``PUT tasks/<id>/annotate_task_data/`` answers ``answers[id]`` (raw bytes or JSON)."""

    def handler(conn: Conn, req: Request) -> bool:
        pk = int(req.path.split("/")[2])
        answer = answers[pk]
        if isinstance(answer, bytes):
            conn.send_head(
                200, {"Content-Type": "application/json", "Content-Length": str(len(answer))}
            )
            conn.send(answer)
        else:
            conn.send_json(answer)
        return True

    hostile.route("/tasks/", handler)


HOSTILE_ANSWERS: dict[int, Any] = {
    1: {"id": 1, "data": {"ok": True}},
    2: b"<html>not json</html>",
    3: [1, 2, 3],
    4: "a string",
    5: {"id": 5, "data": None},
}


def test_batch_survives_answers_that_are_not_a_task(hostile: HostileServer) -> None:
    annotate_server(hostile, HOSTILE_ANSWERS)
    with make_client(hostile) as client:
        result = bounded(
            lambda: client.annotate_task_data_batch([(pk, {"v": pk}) for pk in HOSTILE_ANSWERS])
        )
    assert [pk for pk, r in result.items() if r["success"]] == [1, 5]
    assert result[2]["error"] is not None and result[2]["error"].startswith("ResponseDecodeError")
    for pk in (3, 4):
        error = result[pk]["error"]
        assert error is not None and error.startswith("ResponseValidationError"), error
        assert result[pk]["response"] is None
    assert len(hostile.requests("/tasks/")) == 5


def test_annotate_many_types_the_errors_of_hostile_answers(hostile: HostileServer) -> None:
    from synapse_sdk import ResponseDecodeError, ResponseValidationError

    annotate_server(hostile, {**HOSTILE_ANSWERS, 6: {"id": "not an int"}, 7: {"no": "id"}})
    with make_client(hostile) as client:
        report = bounded(lambda: client.tasks.annotate_many([(pk, {}) for pk in range(1, 8)]))
    status = {r.task_id: r.status for r in report}
    assert status == {
        1: "annotated",
        2: "failed",
        3: "failed",
        4: "failed",
        5: "annotated",
        6: "failed",
        7: "failed",
    }
    assert isinstance(report[1].error, ResponseDecodeError)
    assert isinstance(report[2].error, ResponseValidationError)
    assert isinstance(report[5].error, ClientError)


def test_requests_in_flight_never_exceed_max_workers(hostile: HostileServer) -> None:
    import threading
    import time

    lock = threading.Lock()
    state = {"now": 0, "peak": 0}

    def slow(conn: Conn, req: Request) -> bool:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.05)
        with lock:
            state["now"] -= 1
        pk = int(req.path.split("/")[2])
        conn.send_json({"id": pk})
        return True

    hostile.route("/tasks/", slow)
    with make_client(hostile, pool_maxsize=8) as client:
        result = bounded(
            lambda: client.annotate_task_data_batch(
                [(pk, {}) for pk in range(1, 13)], max_workers=3
            )
        )
        assert all(r["success"] for r in result.values())
        assert 2 <= state["peak"] <= 3, state
        state["peak"] = 0
        with make_client(hostile, pool_maxsize=2) as small:
            bounded(lambda: small.annotate_task_data_batch([(pk, {}) for pk in range(1, 9)]))
        assert state["peak"] <= 2, state  # the default is bounded by pool_maxsize


# -- upload_data_collection: what POST data_units/ (and tasks/) may answer -----------------------

CONTENT = b"\x89PNG same bytes for every file"


def collection_server(hostile: HostileServer, units: Any, tasks: Any = None) -> None:
    """``data_files/`` accepts any upload; ``data_units/`` and ``tasks/`` answer ``units`` /
    ``tasks`` (a value, or a callable of the request's JSON body)."""
    import hashlib
    import json

    checksum = hashlib.md5(CONTENT).hexdigest()
    counter = iter(range(1, 10_000))

    def data_files(conn: Conn, req: Request) -> bool:
        conn.send_json({"id": next(counter), "checksum": checksum, "size": len(CONTENT)}, 201)
        return True

    def answer(value: Any) -> Any:
        def handler(conn: Conn, req: Request) -> bool:
            body = value(json.loads(req.body)) if callable(value) else value
            if isinstance(body, bytes):
                conn.send_head(201, {"Content-Length": str(len(body))})
                conn.send(body)
            else:
                conn.send_json(body, 201)
            return True

        return handler

    hostile.route("/data_files/", data_files)
    hostile.route("/data_units/", answer(units))
    hostile.route("/tasks/", answer(tasks if tasks is not None else []))


def collection_items(tmp_path: Any, count: int) -> list[dict[str, Any]]:
    items = []
    for n in range(count):
        path = tmp_path / f"f{n}.png"
        path.write_bytes(CONTENT)
        items.append({"files": {"image_1": str(path)}})
    return items


def units_for(body: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": 100 + i, "files": item["files"]} for i, item in enumerate(body)]


@pytest.mark.parametrize(
    "shape",
    [
        lambda body: units_for(body),  # a list (what the backend answers for a list)
        lambda body: {"results": units_for(body)},  # a dict with results (the wheel's reading)
    ],
    ids=["list", "dict-results"],
)
def test_both_answer_shapes_of_data_units_are_read(
    hostile: HostileServer, tmp_path: Any, shape: Any
) -> None:
    collection_server(hostile, shape)
    with make_client(hostile) as client:
        result = bounded(lambda: client.upload_data_collection(1, collection_items(tmp_path, 3)))
    assert [r["success"] for r in result] == [True, True, True]
    assert [r["data_unit"]["id"] for r in result if r["data_unit"]] == [100, 101, 102]


@pytest.mark.parametrize(
    "answer",
    [
        {"detail": "created"},  # a dict without results
        {"results": "nope"},
        "a string",
        None,
        42,
        lambda body: units_for(body)[:-1],  # one row short
        lambda body: [*units_for(body)[:-1], "not a unit"],
        b"<html>",  # not JSON
    ],
    ids=["dict", "results-str", "str", "null", "int", "short", "row-str", "html"],
)
def test_any_other_data_units_answer_is_a_typed_failure_of_the_batch(
    hostile: HostileServer, tmp_path: Any, answer: Any
) -> None:
    collection_server(hostile, answer)
    with make_client(hostile) as client:
        result = bounded(
            lambda: client.upload_data_collection(
                1, collection_items(tmp_path, 3), project_id=7, batch_size=3
            )
        )
    for r in result:
        assert r["success"] is False and r["stage"] == "data_unit" and r["data_unit"] is None
        assert r["error"] is not None
        assert r["error"].startswith(("ResponseValidationError", "ResponseDecodeError"))
    assert len(hostile.requests("/data_units/")) == 1  # never resent: the units may exist
    assert hostile.requests("/tasks/") == []


def test_units_without_a_usable_id_get_no_task(hostile: HostileServer, tmp_path: Any) -> None:
    def units(body: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows = units_for(body)
        rows[1]["id"] = "x"
        rows[2]["id"] = True
        return rows

    collection_server(hostile, units, tasks=lambda body: [{"id": 1, **body["data"][0]}])
    with make_client(hostile) as client:
        result = bounded(
            lambda: client.upload_data_collection(1, collection_items(tmp_path, 3), project_id=7)
        )
    assert [r["stage"] for r in result] == [None, "task", "task"]
    assert result[0]["task"] == {"id": 1, "data_unit": 100}
    assert result[1]["data_unit"] is not None  # the unit exists; only its task is missing
    sent = hostile.requests("/tasks/")
    assert len(sent) == 1


def test_a_tasks_answer_of_the_wrong_shape_fails_only_the_task_stage(
    hostile: HostileServer, tmp_path: Any
) -> None:
    collection_server(hostile, units_for, tasks={"created": 2})
    with make_client(hostile) as client:
        result = bounded(
            lambda: client.upload_data_collection(1, collection_items(tmp_path, 2), project_id=7)
        )
    for r in result:
        assert r["stage"] == "task" and r["data_unit"] is not None and r["task"] is None
        assert r["error"] is not None and r["error"].startswith("ResponseValidationError")

"""Prefetching against a server that lies: it ignores ``id__in`` and pages on forever, answers with
rows nobody asked for, or answers a detail GET with another object. The prefetch sends a bounded
number of requests, attaches only the objects whose ids match, and leaves the others lazy.

The server is a small WSGI app answered in-process (``WSGITransport``: the client's real attempt
loop, body caps and errors), so each answer is exactly what the test writes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest

from synapse_sdk import ResponseValidationError, WSGITransport
from synapse_sdk.clients.backend import BackendClient

URL = "http://testserver"
Answer = Callable[[str, dict[str, str]], Any]


def task(pk: int, project: int = 1) -> dict[str, Any]:
    return {
        "id": pk,
        "project": project,
        "data_unit": 1,
        "workshop": None,
        "meta": {},
        "data": None,
        "status": "pending",
        "is_discarded": False,
        "tags": [],
        "assignments": [],
        "created": "2026-01-01T00:00:00Z",
        "modified": "2026-01-01T00:00:00Z",
    }


def assignment(pk: int, task_id: int) -> dict[str, Any]:
    return {"id": pk, "project": 1, "task": task_id, "status": "pending"}


def page(rows: list[dict[str, Any]], nxt: str | None = None) -> dict[str, Any]:
    return {"count": len(rows), "next": nxt, "previous": None, "results": rows}


class Liar:
    """Answers ``path -> answer(path, query)``; records ``(path, query)`` of every request."""

    def __init__(self, routes: dict[str, Answer]) -> None:
        self.routes = routes
        self.seen: list[tuple[str, dict[str, str]]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ["PATH_INFO"].lstrip("/")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        self.seen.append((path, query))
        if len(self.seen) > 50:  # a loop fails the test instead of hanging it
            start_response("500 Internal Server Error", [("Content-Type", "application/json")])
            return [b'{"detail": "too many requests"}']
        answer = self.routes[path](path, query)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(answer).encode()]

    def paths(self) -> list[str]:
        return [path for path, _ in self.seen]


@pytest.fixture
def liar() -> Iterator[Callable[[dict[str, Answer]], tuple[Liar, BackendClient]]]:
    clients: list[BackendClient] = []

    def make(routes: dict[str, Answer]) -> tuple[Liar, BackendClient]:
        app = Liar(routes)
        client = BackendClient(URL, api_token="t", transport=WSGITransport(app), retries=0)
        clients.append(client)
        return app, client

    yield make
    for client in clients:
        client.close()


def assignments_of(*task_ids: int) -> Answer:
    rows = [assignment(i + 1, t) for i, t in enumerate(task_ids)]
    return lambda path, query: page(rows)


def test_a_server_ignoring_id_in_is_not_walked_to_its_end(liar: Any) -> None:
    def every_task_forever(path: str, query: dict[str, str]) -> Any:
        number = int(query.get("page", "1"))
        size = int(query.get("page_size", "100"))
        rows = [task(pk) for pk in range((number - 1) * size + 100, number * size + 100)]
        return page(rows, f"{URL}/sdk/tasks/?page={number + 1}&page_size={size}")

    app, client = liar({"sdk/assignments/": assignments_of(1, 2), "sdk/tasks/": every_task_forever})
    rows = list(client.assignments.all().prefetch_related("task"))
    assert app.paths() == ["sdk/assignments/", "sdk/tasks/"]  # one bounded request
    assert app.seen[1][1]["id__in"] == "1,2" and app.seen[1][1]["page_size"] == "2"
    for row in rows:  # nothing matched: the relations stay lazy stubs of the right ids
        stub = row.task
        assert stub is not None and stub.id == row.task_id and not stub.is_loaded


def test_rows_nobody_asked_for_are_dropped(liar: Any) -> None:
    def some_extra(path: str, query: dict[str, str]) -> Any:
        return page([task(9), task(2), task(1), task(7)])

    app, client = liar({"sdk/assignments/": assignments_of(1, 2, 1), "sdk/tasks/": some_extra})
    rows = list(client.assignments.all().prefetch_related("task"))
    # At most one row per id asked (3 rows, 2 distinct ids): 9 was dropped, 2 and 1 kept.
    loaded = [r.task.is_loaded if r.task else None for r in rows]
    assert app.paths() == ["sdk/assignments/", "sdk/tasks/"]
    assert [r.task.id for r in rows if r.task] == [1, 2, 1]
    assert loaded == [False, True, False]
    assert rows[1].task is not None and rows[1].task.status == "pending"


def test_a_detail_answer_for_another_object_is_not_attached(liar: Any) -> None:
    def some_other_project(path: str, query: dict[str, str]) -> Any:
        return {"id": 2, "title": "not the one asked for"}

    tasks = [task(1), task(2)]
    app, client = liar(
        {"sdk/tasks/": lambda path, query: page(tasks), "projects/1/": some_other_project}
    )
    rows = list(client.tasks.all().prefetch_related("project"))
    assert app.paths() == ["sdk/tasks/", "projects/1/"]  # one GET for the one distinct id
    for row in rows:
        stub = row.project
        assert stub is not None and stub.id == 1 and not stub.is_loaded


def test_a_malformed_embedded_object_is_a_validation_error(liar: Any) -> None:
    def bad_units(path: str, query: dict[str, str]) -> Any:
        assert query["expand"] == "data_unit"
        return page([{**task(1), "data_unit": {"meta": {}}}])

    _, client = liar({"sdk/tasks/": bad_units})
    with pytest.raises(ResponseValidationError, match="data_unit"):
        list(client.tasks.all().prefetch_related("data_unit"))

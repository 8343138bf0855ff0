"""``prefetch_related``: the related objects of each page in one request per relation (embedded by
``expand``, else one ``id__in`` listing, else one GET per distinct id), counted in the local
backend's journal. In-process backend."""

from __future__ import annotations

from typing import Any

import pytest

from synapse_sdk import Assignment, Task
from synapse_sdk._query import _prefetch
from synapse_sdk.clients.backend import BackendClient


@pytest.fixture
def synapse_backend(synapse_backend_wsgi: Any) -> Any:
    return synapse_backend_wsgi


@pytest.fixture
def client(wsgi_client: BackendClient) -> BackendClient:
    return wsgi_client


def paths(backend: Any) -> list[str]:
    return [e.path for e in backend.journal.entries()]


def test_without_prefetch_every_row_loads_its_own_project(
    client: BackendClient, synapse_backend: Any
) -> None:
    synapse_backend.journal.clear()
    titles = [t.project.title for t in client.tasks.filter(project=1) if t.project]
    assert len(titles) == 5
    assert paths(synapse_backend).count("projects/1/") == 5  # the cost prefetching removes


def test_a_relation_without_id_in_loads_each_distinct_object_once(
    client: BackendClient, synapse_backend: Any
) -> None:
    synapse_backend.journal.clear()
    qs = client.with_options(page_size=2).tasks.filter(project=1).prefetch_related("project")
    tasks = list(qs)
    assert len(tasks) == 5 and paths(synapse_backend).count("sdk/tasks/") == 3
    assert paths(synapse_backend).count("projects/1/") == 1  # once for 3 pages and 5 rows
    sent = len(synapse_backend.journal.entries())
    projects = {id(t.project) for t in tasks}
    assert len(projects) == 1  # one shared object
    assert all(t.project is not None and t.project.title == "Demo project" for t in tasks)
    assert len(synapse_backend.journal.entries()) == sent


def test_a_listable_family_is_loaded_by_id_in_once_per_page(
    client: BackendClient, synapse_backend: Any
) -> None:
    synapse_backend.journal.clear()
    qs = client.with_options(page_size=2).assignments.all().prefetch_related("task")
    assignments = list(qs.iterator())
    assert [a.task_id for a in assignments] == [1, 2, 3]
    listings = [e for e in synapse_backend.journal.entries() if e.path == "sdk/tasks/"]
    assert [e.query.split("&")[0] for e in listings] == ["id__in=1,2", "id__in=3"]
    assert not [p for p in paths(synapse_backend) if p.startswith("tasks/")]
    sent = len(synapse_backend.journal.entries())
    for assignment in assignments:
        task = assignment.task
        assert isinstance(task, Task) and task.id == assignment.task_id and task.is_loaded
        assert task.status is not None
    assert len(synapse_backend.journal.entries()) == sent


def test_id_in_requests_are_chunked(
    client: BackendClient, synapse_backend: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_prefetch, "CHUNK", 2)
    synapse_backend.journal.clear()
    assignments = list(client.assignments.all().prefetch_related("task"))
    assert len(assignments) == 3 and all(a.task and a.task.is_loaded for a in assignments)
    queries = [e.query for e in synapse_backend.journal.entries() if e.path == "sdk/tasks/"]
    assert [q.split("&")[0] for q in queries] == ["id__in=1,2", "id__in=3"]


def test_an_expandable_relation_is_embedded_in_the_page(
    client: BackendClient, synapse_backend: Any
) -> None:
    synapse_backend.journal.clear()
    qs = client.tasks.filter(project=1).prefetch_related("data_unit")
    assert qs.params()["expand"] == "data_unit"
    tasks = list(qs)
    assert paths(synapse_backend) == ["sdk/tasks/"]
    assert all(t.data_unit is not None and t.data_unit.is_loaded for t in tasks)
    assert paths(synapse_backend) == ["sdk/tasks/"]


def test_two_relations_and_page_prefetch(client: BackendClient, synapse_backend: Any) -> None:
    synapse_backend.journal.clear()
    qs = (
        client.with_options(page_size=1, prefetch=2)
        .assignments.all()
        .prefetch_related("task", "project")
    )
    rows = list(qs.iterator())
    assert len(rows) == 3
    got = paths(synapse_backend)
    assert got.count("sdk/assignments/") == 3 and got.count("sdk/tasks/") == 3
    assert got.count("projects/1/") == 1
    sent = len(synapse_backend.journal.entries())
    assert all(isinstance(r, Assignment) and r.task and r.project for r in rows)
    assert {r.project.title for r in rows if r.project} == {"Demo project"}
    assert len(synapse_backend.journal.entries()) == sent


def test_pages_and_first_fill_the_cache(client: BackendClient, synapse_backend: Any) -> None:
    qs = client.with_options(page_size=2).assignments.all().prefetch_related("task")
    pages = list(qs.pages())
    first = qs.first()
    synapse_backend.journal.clear()
    assert [len(p.items) for p in pages] == [2, 1]
    assert all(a.task and a.task.is_loaded for p in pages for a in p.items)
    assert first is not None and first.task is not None and first.task.is_loaded
    assert paths(synapse_backend) == []


def test_partial_rows_are_not_loaded_by_the_prefetch(
    client: BackendClient, synapse_backend: Any
) -> None:
    synapse_backend.journal.clear()
    rows = list(client.tasks.filter(project=1).only("status").prefetch_related("project"))
    assert len(rows) == 5 and paths(synapse_backend) == ["sdk/tasks/"]


def test_bad_names_fail_before_any_request(client: BackendClient, synapse_backend: Any) -> None:
    synapse_backend.journal.clear()
    with pytest.raises(ValueError, match=r"no foreign key 'projet' .*valid: data_unit, project"):
        client.tasks.all().prefetch_related("projet")
    with pytest.raises(ValueError, match="no foreign key 'tasks'"):
        client.projects.all().prefetch_related("tasks")  # a reverse relation
    with pytest.raises(TypeError, match="relation names"):
        client.tasks.all().prefetch_related(1)  # type: ignore[arg-type]
    assert synapse_backend.journal.entries() == []


def test_a_related_object_the_server_does_not_return_stays_lazy(
    client: BackendClient, synapse_backend: Any
) -> None:
    rows = list(client.assignments.all())
    object.__setattr__(rows[0], "task_id", 99999)
    _prefetch.RelatedLoader(["task"]).fill(rows)
    assert rows[1].task is not None and rows[1].task.is_loaded
    stub = rows[0].task
    assert stub is not None and stub.id == 99999 and not stub.is_loaded

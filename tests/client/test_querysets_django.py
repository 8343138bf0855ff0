"""Django-grade querysets and managers against the local backend (in-process WSGI transport):
counts that follow the server, managers that are querysets, checked and narrowing filters,
``values``/``values_list``/``last``/``in_bulk`` and ``to_pandas`` by attribute names."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from synapse_sdk import NotFoundError, Project, Task
from synapse_sdk._query._source import MultipleObjectsReturned
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.resources import FAMILIES


@pytest.fixture
def synapse_backend(synapse_backend_wsgi: Any) -> Any:
    """This module's backend: served in-process (``demo`` and ``client`` follow it)."""
    return synapse_backend_wsgi


@pytest.fixture
def client(wsgi_client: BackendClient) -> BackendClient:
    """This module's client: in-process, bound to ``synapse_backend``."""
    return wsgi_client


def listings(backend: Any, path: str = "sdk/tasks/") -> list[Any]:
    return [e for e in backend.journal.entries() if e.path.endswith(path)]


# -- item 1 ------------------------------------------------------------------------------------


def test_count_follows_the_server_after_an_annotation(
    client: BackendClient, demo: dict[str, Any], synapse_backend: Any
) -> None:
    pending = client.tasks.filter(project=demo["project"], status="pending")
    before = pending.count()
    assert before >= 1 and pending.exists()
    task = pending.first()
    assert task is not None
    task.annotate({"boxes": []}, action="submit")  # the task is completed now
    synapse_backend.journal.clear()
    assert pending.count() == before - 1
    assert len(listings(synapse_backend)) == 1  # asked, not remembered
    list(pending)  # evaluated: now the result cache answers
    synapse_backend.journal.clear()
    assert pending.count() == before - 1 and synapse_backend.journal.entries() == []


# -- item 2 ------------------------------------------------------------------------------------


def test_managers_answer_the_queryset_api(
    client: BackendClient, demo: dict[str, Any], synapse_backend: Any
) -> None:
    synapse_backend.journal.clear()
    assert "TaskManager" in repr(client.tasks) and synapse_backend.journal.entries() == []
    ids = [t.id for t in client.tasks.order_by("id")]
    assert client.tasks.count() == len(ids) >= 2
    assert client.tasks.exists()
    projects = list(client.projects)
    assert projects and all(isinstance(p, Project) for p in projects)
    first = client.projects.first()
    assert isinstance(first, Project)
    last = client.tasks.last()
    assert isinstance(last, Task) and last.id == max(ids)
    assert client.tasks.order_by("id")[0].id == ids[0]
    assert [t.id for t in client.tasks.order_by("id")[:2]] == ids[:2]
    assert [t.id for t in client.tasks.iterator()] and client.tasks[:1].count() == 1
    assert list(client.tasks.order_by("id").values_list("id", flat=True)) == ids
    assert sorted(client.tasks.in_bulk(ids[:2])) == ids[:2]
    assert client.tasks.only("status").first() is not None
    assert client.tasks.expand("data_unit").first() is not None
    scoped = client.projects.get(demo["project"]).tasks
    assert scoped.count() == client.tasks.filter(project=demo["project"]).count()


@pytest.mark.parametrize("name", list(FAMILIES))
def test_only_listable_families_offer_the_queryset_api(client: BackendClient, name: str) -> None:
    manager = getattr(client, name)
    methods = ("count", "exists", "first", "last", "iterator", "values", "values_list")
    methods += ("in_bulk", "to_pandas", "order_by", "only", "expand", "__iter__", "__getitem__")
    listable = "list" in FAMILIES[name].endpoint.ops
    for method in methods:
        assert hasattr(manager, method) == listable, (name, method)
    if not listable:
        with pytest.raises(TypeError):
            iter(manager)


# -- item 3 ------------------------------------------------------------------------------------


def test_filter_values_are_checked_before_any_request(
    client: BackendClient, synapse_backend: Any
) -> None:
    synapse_backend.journal.clear()
    with pytest.raises(ValueError, match="pending"):
        client.tasks.filter(status="pendng")
    with pytest.raises(ValueError, match="SUCCEEDED"):
        client.jobs.filter(status="succeeded")
    with pytest.raises(TypeError, match="status__in"):
        client.tasks.filter(status__in=["pending"])  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="cannot both hold"):
        client.tasks.filter(status="pending").filter(status="completed")
    assert synapse_backend.journal.entries() == []


def test_chained_id_in_filters_intersect_on_the_server(
    client: BackendClient, demo: dict[str, Any]
) -> None:
    ids = sorted(t.id for t in client.tasks.all())
    narrowed = client.tasks.filter(id__in=ids[:3]).filter(id__in=ids[1:])
    assert sorted(t.id for t in narrowed) == ids[1:3]
    assert client.tasks.filter(id__gt=ids[0]).filter(id__gt=ids[1]).count() == len(ids) - 2


# -- item 4 ------------------------------------------------------------------------------------


def test_values_ask_only_for_the_fields(
    client: BackendClient, demo: dict[str, Any], synapse_backend: Any
) -> None:
    qs = client.tasks.filter(project=demo["project"]).order_by("id")
    synapse_backend.journal.clear()
    rows = list(qs.values("id", "project_id", "created"))
    assert rows and set(rows[0]) == {"id", "project_id", "created"}
    assert all(row["project_id"] == demo["project"] for row in rows)
    assert isinstance(rows[0]["created"], dt.datetime) and rows[0]["created"].tzinfo is not None
    queries = [e.query for e in listings(synapse_backend)]
    assert queries and all("fields=id,project,created" in q for q in queries), queries
    first = qs.first()
    assert first is not None
    assert qs.values_list("id", "status")[0] == (first.id, first.status)


# -- item 5 ------------------------------------------------------------------------------------


def test_to_pandas_by_attribute_names(client: BackendClient, demo: dict[str, Any]) -> None:
    pd = pytest.importorskip("pandas")
    qs = client.tasks.filter(project=demo["project"]).order_by("id")
    frame = qs.to_pandas(columns=["id", "project_id", "status", "created"])
    assert set(frame["project_id"]) == {demo["project"]}
    assert all(type(v) is str for v in frame["status"])
    assert isinstance(frame["created"].dtype, pd.DatetimeTZDtype)
    with pytest.raises(ValueError, match="project_id"):
        qs.to_pandas(columns=["project"])
    assert list(client.tasks.to_pandas(columns=["id"])["id"]) == [t.id for t in client.tasks]


def test_manager_get_takes_an_id_or_filters_like_django(
    client: BackendClient, demo: dict[str, Any], synapse_backend: Any
) -> None:
    task = client.tasks.get(demo["task"])
    assert client.tasks.get(id=task.id, project=demo["project"]).id == task.id
    assert client.projects.get(pk=demo["project"]).id == demo["project"]
    with pytest.raises(MultipleObjectsReturned):
        client.tasks.get(project=demo["project"])
    with pytest.raises(NotFoundError):
        client.tasks.get(id=999999)
    synapse_backend.journal.clear()
    with pytest.raises(TypeError, match="an id, or filters"):
        client.tasks.get()
    with pytest.raises(TypeError, match="not both"):
        client.tasks.get(task.id, project=demo["project"])
    with pytest.raises(TypeError, match="did you mean 'project'"):
        client.tasks.get(projct=1)
    with pytest.raises(ValueError, match="pending"):
        client.tasks.get(status="pendng")
    assert synapse_backend.journal.entries() == []


def test_queryset_get_takes_django_filters(client: BackendClient, demo: dict[str, Any]) -> None:
    tasks = client.tasks.filter(project=demo["project"])
    assert tasks.get(id=demo["task"]).id == demo["task"]
    with pytest.raises(NotFoundError, match="no task matched"):
        tasks.get(id=999_999)
    with pytest.raises(MultipleObjectsReturned, match="more than one task matched"):
        tasks.get(is_discarded=False)
    with pytest.raises(TypeError):
        tasks.get(projct=1)  # a typo is refused before any request, as in filter()

"""Resources and querysets pickle without credentials and bind again: explicitly with
``client.bind(obj)``, or on first use to the client the environment names (same base URL only),
in this process or in a ``spawn`` worker. The client itself still pickles with its tokens (its
documented behaviour)."""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections.abc import Iterator
from typing import Any

import pytest

from synapse_sdk import Project, Task
from synapse_sdk._converter import plan_for
from synapse_sdk._query import QuerySet
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.resources import _context
from synapse_sdk.resources._context import PendingManager

ENV = ("SYNAPSE_BASE_URL", "SYNAPSE_API_TOKEN", "SYNAPSE_AGENT_TOKEN", "SYNAPSE_TENANT")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No SYNAPSE_* variable unless a test sets one; the env client is built anew per test."""
    for key in ENV:
        monkeypatch.delenv(key, raising=False)
    _context._ENV_CONTEXTS.clear()
    yield
    for ctx in _context._ENV_CONTEXTS.values():
        ctx.session.close()
    _context._ENV_CONTEXTS.clear()


@pytest.fixture
def client(synapse_backend: Any) -> Iterator[BackendClient]:
    with BackendClient(synapse_backend.url, api_token=synapse_backend.api_token) as c:
        yield c


def use_env(monkeypatch: pytest.MonkeyPatch, backend: Any, url: str | None = None) -> None:
    monkeypatch.setenv("SYNAPSE_BASE_URL", url or backend.url)
    monkeypatch.setenv("SYNAPSE_API_TOKEN", backend.api_token)


def test_resources_and_querysets_pickle_without_the_token(
    client: BackendClient, synapse_backend: Any
) -> None:
    token = synapse_backend.api_token.encode()
    task = client.tasks.get(1, expand=("data_unit",))
    assert task.project is not None and task.project.title  # a cached, loaded project
    qs = client.tasks.filter(project=1).order_by("-id").only("status").expand("data_unit")
    evaluated = client.projects.all()
    assert len(evaluated) == 2
    for obj in (task, qs, evaluated, [task, task.project], client.tasks.scoped(project=1)):
        data = pickle.dumps(obj)
        assert token not in data and b"Token" not in data
    assert token in pickle.dumps(client)  # the client keeps its documented behaviour


def test_an_unpickled_resource_keeps_its_state_and_cache(
    client: BackendClient, synapse_backend: Any
) -> None:
    task = client.tasks.get(1, expand=("data_unit",))
    project = task.project
    assert project is not None and project.title
    task.meta = {"edited": True}
    clone = pickle.loads(pickle.dumps(task))
    assert isinstance(clone, Task) and clone == task and clone.is_loaded
    assert clone.changes() == task.changes() == {"meta": {"edited": True}}
    assert isinstance(clone._manager, PendingManager)
    synapse_backend.journal.clear()
    # Cached objects need no client: no request, no binding.
    assert clone.project is not None and clone.project.title == project.title
    assert clone.data_unit is not None and clone.data_unit.meta == {"name": "sample-1"}
    assert synapse_backend.journal.entries() == []
    assert repr(clone).startswith("<Task id=1 ")


def test_without_a_client_in_the_environment_the_error_says_to_bind(
    client: BackendClient,
) -> None:
    stub = pickle.loads(pickle.dumps(client.tasks.ref(2)))
    qs = pickle.loads(pickle.dumps(client.tasks.filter(project=1)))
    assert "not evaluated" in repr(qs)  # no I/O, no binding
    with pytest.raises(RuntimeError, match=r"SYNAPSE_BASE_URL is not set; call client\.bind"):
        stub.project_id  # noqa: B018 - the first read loads the stub
    with pytest.raises(RuntimeError, match=r"client\.bind\(obj\)"):
        list(qs)


def test_an_environment_naming_another_backend_is_refused(
    client: BackendClient, synapse_backend: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_env(monkeypatch, synapse_backend, url="http://127.0.0.1:9/")
    task = pickle.loads(pickle.dumps(client.tasks.get(1)))
    with pytest.raises(RuntimeError, match=r"another backend \(http://127\.0\.0\.1:9/\)") as info:
        task.refresh()
    assert synapse_backend.url in str(info.value) and "client.bind(obj)" in str(info.value)
    assert synapse_backend.api_token not in str(info.value)


def test_the_environment_client_binds_on_first_use(
    client: BackendClient, synapse_backend: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub, qs = pickle.loads(
        pickle.dumps((client.tasks.ref(2), client.tasks.filter(project=1).order_by("-id")))
    )
    use_env(monkeypatch, synapse_backend, url=synapse_backend.url + "/")  # same, with a slash
    assert [t.id for t in qs] == [5, 4, 3, 2, 1]
    assert stub.data_unit_id == 2 and stub.project is not None
    assert stub.project.title == "Demo project"
    assert len(_context._ENV_CONTEXTS) == 1  # one client for every unpickled object


def test_bind_resources_lists_and_querysets(client: BackendClient, synapse_backend: Any) -> None:
    task = client.tasks.get(1)
    assert task.project is not None
    project = task.project
    restored = pickle.loads(pickle.dumps([task, client.projects.ref(2)]))
    bound = client.bind(restored)
    assert type(bound) is list and bound[0] is restored[0] and bound[1] is restored[1]
    assert bound[0]._manager is client.tasks
    assert bound[0].project is not None and bound[0].project._manager is client.projects
    assert isinstance(bound[1], Project) and bound[1].title
    assert client.bind((task,)) == (task,)
    pair = client.bind(pickle.loads(pickle.dumps((task, project))))
    assert type(pair) is tuple and pair[1].title == project.title

    qs = client.tasks.filter(project=1).order_by("-id").expand("data_unit")
    assert len(qs) == 5  # evaluated: the result cache is not pickled
    again = client.bind(pickle.loads(pickle.dumps(qs.prefetch_related("project"))))
    assert isinstance(again, QuerySet) and again._cache is None
    assert again.params() == qs.params() and again._related == ("project",)
    synapse_backend.journal.clear()
    rows = list(again)
    assert [t.id for t in rows] == [5, 4, 3, 2, 1]
    assert [e.path for e in synapse_backend.journal.entries()] == ["sdk/tasks/", "projects/1/"]
    partial = client.tasks.filter(project=1).only("status")[1:3]
    restored_partial = client.bind(pickle.loads(pickle.dumps(partial)))
    assert restored_partial.params() == partial.params() and "fields" in partial.params()
    assert [t.id for t in restored_partial] == [t.id for t in partial]
    scoped = client.bind(pickle.loads(pickle.dumps(project.tasks.all())))
    assert {t.project_id for t in scoped} == {1}
    with pytest.raises(TypeError, match="takes a resource, a queryset or a list"):
        client.bind(42)


def test_bind_moves_an_object_to_another_client(
    client: BackendClient, synapse_backend: Any
) -> None:
    task = client.tasks.get(1)
    with BackendClient(synapse_backend.url, api_token=synapse_backend.api_token) as other:
        assert other.bind(task) is task and task._manager is other.tasks
        assert task.refresh().id == 1
    unbound = plan_for(Task).build({"id": 3})  # built without a manager
    assert client.bind(unbound).project_id == 1


# -- across processes (spawn: nothing inherited but the environment) ---------------------------


def _load_in_worker(data: bytes) -> Any:
    qs, task = pickle.loads(data)
    try:
        ids = [t.id for t in qs]
        return ids, task.project.title, [t.project.title for t in qs][:1], os.getpid()
    except RuntimeError as exc:
        return str(exc)


def test_a_spawned_worker_loads_through_its_environment_client(
    client: BackendClient, synapse_backend: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    qs = client.tasks.filter(project=1).order_by("-id").prefetch_related("project")
    data = pickle.dumps((qs, client.tasks.ref(6)))
    assert synapse_backend.api_token.encode() not in data
    use_env(monkeypatch, synapse_backend)  # the workers inherit the environment only
    context = multiprocessing.get_context("spawn")
    pool = context.Pool(2)
    try:
        results = [pool.apply_async(_load_in_worker, (data,)) for _ in range(2)]
        answers = [r.get(timeout=60) for r in results]
        monkeypatch.setenv("SYNAPSE_BASE_URL", "http://127.0.0.1:9")
    finally:
        pool.terminate()
        pool.join()
    for answer in answers:
        assert not isinstance(answer, str), answer
        ids, title, first, pid = answer
        assert ids == [5, 4, 3, 2, 1] and title == "Archived demo" and first == ["Demo project"]
        assert pid != os.getpid()


def test_a_spawned_worker_for_another_backend_says_to_bind(
    client: BackendClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = pickle.dumps((client.tasks.all(), client.tasks.ref(1)))
    monkeypatch.setenv("SYNAPSE_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("SYNAPSE_API_TOKEN", "other")
    context = multiprocessing.get_context("spawn")
    pool = context.Pool(1)
    try:
        answer = pool.apply_async(_load_in_worker, (data,)).get(timeout=60)
    finally:
        pool.terminate()
        pool.join()
    assert isinstance(answer, str) and "another backend" in answer
    assert "client.bind(obj)" in answer

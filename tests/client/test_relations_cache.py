"""The relation cache: ``task.project`` is one object per task, loaded by one GET however often
it is read; setting the id field or ``refresh()`` drops it; an embedded (``expand``) object
fills it without any request. In-process backend (API logic, not the network)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from synapse_sdk import Project, Task
from synapse_sdk.clients.backend import BackendClient


@pytest.fixture
def synapse_backend(synapse_backend_wsgi: Any) -> Any:
    return synapse_backend_wsgi


@pytest.fixture
def client(wsgi_client: BackendClient) -> BackendClient:
    return wsgi_client


def sent(backend: Any, path: str | None = None) -> list[Any]:
    return [e for e in backend.journal.entries() if path is None or e.path == path]


def test_a_related_object_is_loaded_once(client: BackendClient, synapse_backend: Any) -> None:
    task = client.tasks.get(1)
    synapse_backend.journal.clear()
    assert task.project is task.project
    assert sent(synapse_backend) == []  # a stub: nothing sent yet
    title, description = task.project.title, task.project.description
    assert isinstance(task.project, Project) and title == "Demo project"
    assert description == task.project.description
    assert len(sent(synapse_backend, "projects/1/")) == 1 and len(sent(synapse_backend)) == 1


def test_setting_the_id_field_drops_the_cached_object(
    client: BackendClient, synapse_backend: Any
) -> None:
    task = client.tasks.get(1)
    first = task.project
    assert first is not None and first.title == "Demo project"
    task.project_id = 2
    second = task.project
    assert second is not None and second is not first
    assert second.id == 2 and second.title != first.title
    assert task.project is second
    task.project_id = None
    assert task.project is None
    task.project_id = 1
    third = task.project
    assert third is not None and third.id == 1 and third is not first


def test_refresh_drops_the_cached_object(client: BackendClient, synapse_backend: Any) -> None:
    task = client.tasks.get(1)
    before = task.project
    assert before is not None and before.title
    task.refresh()
    after = task.project
    assert after is not before and after is not None and after.id == before.id
    synapse_backend.journal.clear()
    assert after.title == before.title
    assert len(sent(synapse_backend, "projects/1/")) == 1


def test_an_expanded_object_fills_the_cache_without_a_request(
    client: BackendClient, synapse_backend: Any
) -> None:
    tasks = list(client.tasks.filter(project=1).expand("data_unit"))
    one = client.tasks.get(2, expand=("data_unit",))
    synapse_backend.journal.clear()
    for task in [*tasks, one]:
        unit = task.data_unit
        assert unit is not None and unit is task.data_unit
        assert unit.id == task.data_unit_id and unit.is_loaded
        assert unit.meta is not None and unit.meta["name"].startswith("sample-")
    assert sent(synapse_backend) == []
    # The embedded copy belongs to its id: pointing the task elsewhere loads the other unit.
    one.data_unit_id = 3
    unit = one.data_unit
    assert unit is not None and unit.id == 3 and not unit.is_loaded


def test_expand_takes_only_what_the_endpoint_embeds(client: BackendClient) -> None:
    with pytest.raises(ValueError, match=r"cannot expand 'project' \(valid: data_unit\)"):
        client.tasks.all().expand("project")


def test_copies_keep_the_binding_and_the_cache(client: BackendClient, synapse_backend: Any) -> None:
    task = client.tasks.get(1)
    assert task.project is not None and task.project.title
    for clone in (copy.copy(task), copy.deepcopy(task)):
        assert isinstance(clone, Task) and clone == task and clone._manager is task._manager
        synapse_backend.journal.clear()
        assert clone.project is not None and clone.project.title == "Demo project"
        assert sent(synapse_backend) == []
    deep = copy.deepcopy(task)
    assert deep.meta == task.meta and deep.meta is not task.meta

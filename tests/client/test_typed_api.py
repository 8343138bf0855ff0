"""The typed API against the local backend: managers, querysets, resources, ``save()``.

These tests check API logic, not the network, so the backend answers in-process
(``WSGITransport``: the same attempt loop, errors and journal, no socket). The one test of
pickling uses a socket backend: a pickled client must reach its backend from another process.
"""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from synapse_sdk import (
    Job,
    JobStatus,
    NotFoundError,
    Project,
    ResponseDecodeError,
    ResponseValidationError,
    Storage,
    Task,
    ValidationError,
)
from synapse_sdk.clients.backend import BackendClient


@pytest.fixture
def synapse_backend(synapse_backend_wsgi: Any) -> Any:
    """This module's backend: served in-process (``demo`` and ``client`` follow it)."""
    return synapse_backend_wsgi


@pytest.fixture
def client(wsgi_client: BackendClient) -> BackendClient:
    """This module's client: in-process, bound to ``synapse_backend``."""
    return wsgi_client


def requests_to(backend: Any, path_fragment: str) -> int:
    return sum(1 for e in backend.journal.entries() if path_fragment in e.path)


def test_get_returns_typed_objects(client: BackendClient, demo: dict[str, Any]) -> None:
    task = client.tasks.get(demo["task"])
    assert isinstance(task, Task)
    assert task.id == demo["task"] and task.project_id == demo["project"]
    with pytest.raises(NotFoundError) as info:
        client.tasks.get(99999)
    assert info.value.status_code == 404


def test_bad_ids_and_filters_fail_before_io(client: BackendClient, synapse_backend: Any) -> None:
    synapse_backend.journal.clear()
    for bad in ["1", True, None, -1, 0, 1.5]:
        with pytest.raises((TypeError, ValueError)):
            client.tasks.get(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="did you mean 'project'"):
        client.tasks.filter(projet=1)  # type: ignore[call-arg]
    assert synapse_backend.journal.entries() == []


def test_lazy_queryset_and_counts(
    client: BackendClient, demo: dict[str, Any], synapse_backend: Any
) -> None:
    synapse_backend.journal.clear()
    qs = client.tasks.filter(project=demo["project"]).order_by("-id")
    assert "not evaluated" in repr(qs)
    assert synapse_backend.journal.entries() == []
    ids = [t.id for t in qs]
    assert ids == sorted(ids, reverse=True) and len(ids) >= 1
    assert qs.count() == len(ids)
    assert requests_to(synapse_backend, "sdk/tasks/") == 1
    first = client.tasks.filter(project=demo["project"]).first()
    assert isinstance(first, Task)
    assert client.tasks.filter(project=demo["project"], id=999999).exists() is False
    assert client.tasks.filter(project=demo["project"]).count() == len(ids)


def test_foreign_keys_are_lazy_and_expand_embeds(
    client: BackendClient, demo: dict[str, Any], synapse_backend: Any
) -> None:
    task = client.tasks.get(demo["task"])
    synapse_backend.journal.clear()
    project = task.project
    assert isinstance(project, Project)
    assert project.id == demo["project"]
    assert synapse_backend.journal.entries() == []
    assert project.title  # first read of another field: one request
    assert requests_to(synapse_backend, "projects/") == 1
    expanded = client.tasks.filter(project=demo["project"]).expand("data_unit").first()
    assert expanded is not None
    synapse_backend.journal.clear()
    unit = expanded.data_unit
    assert unit is not None and unit.files and synapse_backend.journal.entries() == []


def test_only_fetches_partial_rows_then_loads_on_demand(
    client: BackendClient, demo: dict[str, Any], synapse_backend: Any
) -> None:
    task = client.tasks.filter(project=demo["project"]).only("data").first()
    assert task is not None and not task.is_loaded
    synapse_backend.journal.clear()
    assert task.created is not None
    assert requests_to(synapse_backend, f"tasks/{task.id}/") == 1


def test_annotate_and_tags(client: BackendClient, demo: dict[str, Any]) -> None:
    task = client.tasks.get(demo["tasks"][1])
    task.annotate({"boxes": [[1, 2, 3, 4]]}, action="save")
    assert task.data == {"boxes": [[1, 2, 3, 4]]}
    assert client.tasks.get(task.id).data == {"boxes": [[1, 2, 3, 4]]}
    task.set_tags([2])
    assert 2 in task.refresh().tags
    client.tasks.set_tags([task.id], [2], action="remove")
    assert 2 not in task.refresh().tags
    assignment = client.assignments.get(demo["assignments"][0])
    assignment.set_tags([1])
    assert 1 in client.assignments.get(assignment.id).tags


def test_project_scoped_managers_and_create_many(
    client: BackendClient, demo: dict[str, Any]
) -> None:
    project = client.projects.get(demo["project"])
    before = project.tasks.all().count()
    created = project.tasks.create_many(demo["data_units"][:2])
    assert [t.project_id for t in created] == [demo["project"]] * 2
    assert project.tasks.all().count() == before + 2
    with pytest.raises(ValidationError) as info:
        client.tasks.create_many([999999], project=demo["project"])
    assert info.value.status_code == 400


def test_save_sends_only_changes_including_nested_edits(
    client: BackendClient, demo: dict[str, Any], synapse_backend: Any
) -> None:
    plugin = client.plugins.get(demo["plugin"])
    synapse_backend.journal.clear()
    assert plugin.save() is plugin
    assert synapse_backend.journal.entries() == []  # nothing changed: nothing sent
    plugin.description = "edited"
    plugin.save()
    assert client.plugins.get(plugin.id).description == "edited"

    job = client.plugins.get(demo["plugin"]).run(action="noop", params={"k": 1})
    assert isinstance(job, Job)
    job.meta = {"tags": ["a"]}
    job.save()
    assert job.meta is not None
    job.meta["tags"].append("b")
    assert job.changes() == {"meta": {"tags": ["a", "b"]}}
    job.save()
    assert client.jobs.get(job.id).meta == {"tags": ["a", "b"]}


def test_unknown_fields_round_trip(client: BackendClient, demo: dict[str, Any]) -> None:
    plugin = client.plugins.get(demo["plugin"])
    raw = client.get_plugin(demo["plugin"])
    known = set(plugin.to_dict()) - set(plugin.extra)
    assert set(raw) == known | set(plugin.extra)


def test_job_wait_and_logs(client: BackendClient, demo: dict[str, Any]) -> None:
    job = client.plugins.get(demo["plugin"]).run(action="train", params={"epochs": 1})
    assert job.wait(timeout=10, poll=0.05) is job
    assert job.status is JobStatus.SUCCEEDED
    assert [line.message for line in job.logs()]
    failing = client.plugins.run(demo["plugin"], action="train", params={"fail": True})
    assert failing.wait(timeout=10, poll=0.05, raise_on_failure=False).status is JobStatus.FAILED
    slow = client.plugins.run(demo["plugin"], action="train")
    with pytest.raises(TimeoutError, match="still"):
        client.with_options(timeout=5).jobs.get(slow.id).wait(timeout=0.01, poll=0.01)


def test_storages_models_ground_truth(client: BackendClient, demo: dict[str, Any]) -> None:
    default = client.storages.default()
    assert isinstance(default, Storage) and default.is_default
    assert {s.category for s in client.storages.all()} == {"internal", "external"}
    model = client.models.get(demo["model"])
    assert model.file and model.file.startswith("http")
    version = client.ground_truth_versions.get(demo["ground_truth_dataset_version"])
    events = list(version.events)
    assert len(events) == len(demo["ground_truth_events"])
    collection = client.data_collections.get(demo["data_collection"])
    assert collection.spec("image_1").accepts("a.JPG")
    with pytest.raises(KeyError, match="image_1"):
        collection.spec("nope")
    assert collection.data_units.all().count() == len(demo["data_units"])


def test_with_options_and_repr(client: BackendClient, synapse_backend: Any) -> None:
    fast = client.with_options(timeout=5, retries=0, page_size=2)
    assert [t.id for t in fast.tasks.all()] == [t.id for t in client.tasks.all()]
    token = synapse_backend.api_token
    for text in (repr(client), repr(client._config), repr(client.tasks)):
        assert token not in text


def test_pickled_client_reaches_its_backend(synapse_backend_session: Any) -> None:
    backend = synapse_backend_session
    with BackendClient(backend.url, api_token=backend.api_token, page_size=2) as original:
        clone = pickle.loads(pickle.dumps(original))
    with clone:
        assert clone.projects.get(1).id == 1
        assert clone._config.page_size == 2


def test_listing_many_rows_with_prefetch_keeps_order(
    client: BackendClient, demo: dict[str, Any]
) -> None:
    project = client.projects.get(demo["project"])
    project.tasks.create_many(demo["data_units"] * 80)
    expected = [
        t["id"] for t in client.list_tasks(params={"project": demo["project"]}, list_all=True)
    ]
    small = client.with_options(page_size=7, prefetch=3)
    got = [t.id for t in small.tasks.filter(project=demo["project"]).iterator()]
    assert got == expected and len(got) == len(set(got)) >= 240
    window = [t.id for t in small.tasks.filter(project=demo["project"])[50:75]]
    assert window == expected[50:75]


def test_bad_bodies_raise_typed_errors(client: BackendClient, synapse_backend: Any) -> None:
    synapse_backend.faults.add("malformed_json", method="GET", path="projects/*")
    with pytest.raises(ResponseDecodeError) as decode:
        client.projects.get(1)
    assert decode.value.status_code == 200
    synapse_backend.faults.add(
        "status", method="GET", path="projects/*", status=200, body={"id": "x"}
    )
    with pytest.raises(ResponseValidationError) as shape:
        client.projects.get(1)
    assert shape.value.path == "id"
    page = {"count": 1, "next": None, "previous": None, "results": [{"id": 1, "tags": "oops"}]}
    synapse_backend.faults.add("status", method="GET", path="sdk/tasks/", status=200, body=page)
    with pytest.raises(ResponseValidationError) as row:
        list(client.tasks.all())
    assert row.value.path == "results[0].tags"


def test_create_single_task_and_plugin_filters(client: BackendClient, demo: dict[str, Any]) -> None:
    task = client.tasks.create(project=demo["project"], data_unit=demo["data_units"][0])
    assert isinstance(task, Task) and task.project_id == demo["project"]
    scoped = client.projects.get(demo["project"]).tasks.create(data_unit=demo["data_units"][1])
    assert scoped.project_id == demo["project"] and scoped.data_unit_id == demo["data_units"][1]
    plugin = client.plugins.filter(code=demo["plugin_code"]).get()
    assert client.plugins.filter(name=plugin.name).first() == plugin
    assert client.plugins.all().order_by("-code").first() is not None

"""One door per endpoint and capabilities at run time, against the local backend.

* every operation a family's manager has works (none raises ``NotImplementedError``), and an
  operation it lacks is an ``AttributeError`` before any request;
* models, data files and plugin releases are created through their managers; the ``uploads``
  names are the same operation (same requests);
* every navigation descriptor returns the right type; ``related()``/``scoped()`` are typed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk import (
    DataCollection,
    DataFile,
    DataUnit,
    GroundTruthDataset,
    GroundTruthVersion,
    Model,
    Plugin,
    PluginRelease,
    Project,
    Task,
)
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.resources import FAMILIES, BaseManager, PluginReleaseManager, TaskManager


@pytest.fixture
def make_file(tmp_path: Path) -> Any:
    """``make_file(size, name) -> (path, bytes)`` with random content."""

    def make(size: int, name: str) -> tuple[Path, bytes]:
        data = os.urandom(size)
        path = tmp_path / name
        path.write_bytes(data)
        return path, data

    return make


def _journal(backend: Any) -> list[tuple[str, str]]:
    return [(e.method, e.path.split("/")[0]) for e in backend.journal.entries()]


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_operation_a_manager_has_works(
    client: BackendClient, synapse_backend: Any, family: str
) -> None:
    manager: BaseManager[Any] = getattr(client, family)
    ops = manager.endpoint.ops
    row = None
    if "list" in ops:
        row = manager.all().first()  # type: ignore[attr-defined]
        assert row is None or isinstance(row, manager.resource)
    if "get" in ops:
        pk = row.id if row is not None else client.data_files.upload_json(__file__)["id"]
        got = manager.get(pk)  # type: ignore[attr-defined]
        assert isinstance(got, manager.resource) and got.id == pk
        assert got.refresh() is got
        assert manager.ref(pk).fetch().is_loaded  # type: ignore[attr-defined]
    synapse_backend.journal.clear()
    for op, method in (("get", "get"), ("create", "create"), ("delete", "delete")):
        if op not in ops:
            with pytest.raises(AttributeError):
                getattr(manager, method)(1)
    if not ops & {"update", "partial_update"}:
        with pytest.raises(AttributeError):
            manager.update(1)  # type: ignore[attr-defined]
    assert synapse_backend.journal.entries() == []


def test_a_list_only_resource_says_what_it_lacks(client: BackendClient) -> None:
    event = client.ground_truth_events.all().only("classes").first()
    assert event is not None
    with pytest.raises(AttributeError, match="no detail route"):
        _ = event.data
    with pytest.raises(AttributeError):
        event.refresh()  # type: ignore[attr-defined]
    task = client.tasks.all().first()
    assert task is not None
    with pytest.raises(AttributeError):
        task.save()  # type: ignore[attr-defined]


def test_models_create_is_the_upload_door(
    client: BackendClient, synapse_backend: Any, make_file: Any
) -> None:
    path, data = make_file(40_000, name="weights.bin")
    synapse_backend.journal.clear()
    model = client.models.create(name="typed", file=path, chunk_size=16_384, description="d")
    assert isinstance(model, Model) and model.size == len(data) and model.description == "d"
    via_models = _journal(synapse_backend)
    synapse_backend.journal.clear()
    again = client.uploads.create_model("typed", file=path, chunk_size=16_384, description="d")
    assert _journal(synapse_backend) == via_models
    assert via_models[-1] == ("POST", "models") and ("PUT", "chunked_upload") in via_models
    assert again.size == model.size and again.id != model.id
    bare = client.models.create(name="no file")
    assert bare.file is None


def test_data_files_upload_and_create(
    client: BackendClient, synapse_backend: Any, make_file: Any
) -> None:
    path, data = make_file(5_000, name="a.png")
    synapse_backend.journal.clear()
    data_file = client.data_files.upload(path)
    assert isinstance(data_file, DataFile) and data_file.size == len(data)
    assert _journal(synapse_backend) == [("POST", "data_files")]
    assert client.uploads.data_file(path).checksum == data_file.checksum
    upload = client.uploads.chunked(path)
    created = client.data_files.create(chunked_upload=upload.id)
    assert isinstance(created, DataFile) and created.checksum == data_file.checksum
    assert client.data_files.get(created.id) == created


def test_plugin_releases_create_with_an_archive(
    client: BackendClient, synapse_backend: Any, demo: dict[str, Any]
) -> None:
    releases = client.plugins.get(demo["plugin"]).releases
    assert isinstance(releases, PluginReleaseManager)
    synapse_backend.journal.clear()
    release = client.plugin_releases.create(
        plugin=demo["plugin_code"], version="7.0.0", file=b"PK\x03\x04zip", config={"a": 1}
    )
    assert isinstance(release, PluginRelease) and release.version == "7.0.0"
    posts = [e for e in synapse_backend.journal.entries() if e.method == "POST"]
    assert len(posts) == 1 and "multipart/form-data" in posts[0].headers["Content-Type"]
    plain = client.uploads.create_plugin_release(demo["plugin_code"], "7.0.1")
    assert plain.version == "7.0.1"
    code = client.plugin_releases.get(f"{demo['plugin_code']}@7.0.0")
    assert code == release and isinstance(code.plugin, Plugin)


def test_every_relation_navigates_to_its_type(
    client: BackendClient, synapse_backend: Any, demo: dict[str, Any]
) -> None:
    task = client.tasks.get(demo["task"])
    assert isinstance(task.project, Project) and isinstance(task.data_unit, DataUnit)
    assignment = client.assignments.get(demo["assignments"][0])
    assert isinstance(assignment.task, Task) and isinstance(assignment.project, Project)
    assert isinstance(client.task_tags.get(demo["task_tags"][0]).project, Project)
    project = client.projects.get(demo["project"])
    assert isinstance(project.data_collection, DataCollection)
    assert isinstance(project.tasks, TaskManager) and project.tasks.all().count() >= 1
    assert {t.project_id for t in project.tasks.all()} == {project.id}
    job = client.jobs.get(demo["job"])
    assert isinstance(job.plugin, Plugin) and isinstance(job.plugin_release, PluginRelease)
    assert isinstance(client.models.get(demo["model"]).project, Project)
    dataset = client.ground_truth_datasets.get(demo["ground_truth_dataset"])
    assert isinstance(dataset.project, Project)
    assert dataset.versions.all().count() >= 1
    version = client.ground_truth_versions.get(demo["ground_truth_dataset_version"])
    assert isinstance(version.ground_truth_dataset, GroundTruthDataset)
    event = next(iter(version.events))
    assert isinstance(event.ground_truth_dataset_version, GroundTruthVersion)
    assert isinstance(event.data_unit, DataUnit)
    synapse_backend.journal.clear()
    assert task.project is not None and task.project.id == demo["project"]
    assert synapse_backend.journal.entries() == []  # a stub: no request until a field is read


def test_related_and_scoped_are_typed_and_share_the_client(client: BackendClient) -> None:
    tasks = client.projects.related(TaskManager)
    assert tasks is client.tasks
    scoped = client.tasks.scoped(project=1)
    assert type(scoped) is TaskManager and scoped is not client.tasks
    with pytest.raises(KeyError):
        client.tasks.related(BaseManager)


def test_upload_collection_goes_through_the_units_manager(
    client: BackendClient, demo: dict[str, Any], tmp_path: Path
) -> None:
    image = tmp_path / "x.png"
    image.write_bytes(b"\x89PNG" + b"0" * 64)
    collection = client.data_collections.ref(demo["data_collection"])
    report = collection.upload([image], skip_existing=False)
    assert report.ok and isinstance(report.items[0].data_unit, DataUnit)

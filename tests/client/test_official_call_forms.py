"""The official v1 client's call forms, against the local backend: where the official client
returns or takes something the seed does not, the seed API accepts the official form too (the
migration is in docs/seed-api.md, "Migrating from the official client")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from synapse_sdk import ClientError, JobStatus
from synapse_sdk.clients.backend import BackendClient, ListAllRows
from synapse_sdk.devserver import LocalBackend

# -- list_*(list_all=True): the lazy iterator carries the count ---------------------------------


def test_list_all_count_replaces_the_official_tuple(
    client: BackendClient, synapse_backend: LocalBackend, demo: dict[str, Any]
) -> None:
    query = {"project": demo["project"], "page_size": 2}
    total = client.list_tasks(query)["count"]
    assert total > 2  # more than one page
    synapse_backend.journal.clear()
    rows = client.list_tasks(query, list_all=True)
    assert isinstance(rows, Iterator) and isinstance(rows, ListAllRows)
    assert synapse_backend.journal.entries() == []  # lazy: nothing sent yet
    assert rows.count == total and len(rows) == total
    assert type(rows.count) is int
    assert len(synapse_backend.journal.entries()) == 1  # the first page, read once
    ids = [row["id"] for row in rows]
    assert len(ids) == total == len(set(ids))
    # The first page the count came from is the walk's own: page 1 was fetched once.
    firsts = [e for e in synapse_backend.journal.entries() if "page=" not in e.query]
    assert len(firsts) == 1
    assert rows.count == total  # kept after the walk


def test_list_all_count_after_reading_sends_nothing_more(
    client: BackendClient, synapse_backend: LocalBackend, demo: dict[str, Any]
) -> None:
    rows = client.list_tasks({"project": demo["project"], "page_size": 2}, list_all=True)
    first = next(rows)
    sent = len(synapse_backend.journal.entries())
    assert rows.count >= 1 and len(synapse_backend.journal.entries()) == sent
    assert first["id"] not in [row["id"] for row in rows]


def test_list_of_list_all_rows_costs_no_extra_request(
    client: BackendClient, synapse_backend: LocalBackend, demo: dict[str, Any]
) -> None:
    every = client.list_tasks({"project": demo["project"]})
    synapse_backend.journal.clear()
    rows = client.list_tasks({"project": demo["project"]}, list_all=True)
    assert bool(rows) and synapse_backend.journal.entries() == []  # truthiness sends nothing
    listed = list(rows)  # list() asks len() first
    assert [row["id"] for row in listed] == [row["id"] for row in every["results"]]
    assert len(synapse_backend.journal.entries()) == 1


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.list_tasks(list_all=True),
        lambda c: c.list_assignments(list_all=True),
        lambda c: c.list_ground_truth_events(list_all=True),
        lambda c: c.list_tasks_data(list_all=True),
        lambda c: c.list_tasks_files(list_all=True),
        lambda c: c.list_assignments_data(list_all=True),
        lambda c: c.list_assignments_files(list_all=True),
        lambda c: c.list_data_units(list_all=True),
        lambda c: c.list_ground_truth_events_data(list_all=True),
        lambda c: c.list_ground_truth_events_files(list_all=True),
        lambda c: c.list_tasks(list_all=True, url_conversion={"files": str.upper}),
    ],
)
def test_every_list_all_has_a_count(
    client: BackendClient, synapse_backend: LocalBackend, call: Any
) -> None:
    rows = call(client)
    assert synapse_backend.journal.entries() == []
    count = rows.count
    assert count == len(rows) == len(list(rows))
    assert len(synapse_backend.journal.entries()) >= 1


def test_empty_listing_counts_zero(client: BackendClient) -> None:
    rows = client.list_tasks({"project": 10**9}, list_all=True)
    assert rows.count == 0 and len(rows) == 0 and list(rows) == []


def test_list_all_bad_page_size_still_refused_before_io(
    client: BackendClient, synapse_backend: LocalBackend
) -> None:
    with pytest.raises((TypeError, ValueError)):
        client.list_tasks({"page_size": 0}, list_all=True)
    assert synapse_backend.journal.entries() == []


# -- annotate_task_data(task_id, data, schema=None) ---------------------------------------------


def test_annotate_task_data_sends_the_schema(
    client: BackendClient, synapse_backend: LocalBackend, demo: dict[str, Any]
) -> None:
    task = demo["task"]
    client.annotate_task_data(task, {"action": "submit", "data": {"a": 1}}, schema="any")
    assert synapse_backend.journal.entries()[-1].query == "schema=any"
    client.annotate_task_data(task, {"action": "save", "data": {}}, "dm_schema_v1")
    assert synapse_backend.journal.entries()[-1].query == "schema=dm_schema_v1"
    client.annotate_task_data(task, {"action": "save", "data": {}})
    assert synapse_backend.journal.entries()[-1].query == ""


@pytest.mark.parametrize("bad", ["", 1, True, ["any"]])
def test_annotate_task_data_refuses_a_bad_schema_before_io(
    client: BackendClient, synapse_backend: LocalBackend, demo: dict[str, Any], bad: Any
) -> None:
    with pytest.raises(TypeError, match="schema"):
        client.annotate_task_data(demo["task"], {}, schema=bad)
    assert synapse_backend.journal.entries() == []


# -- read_timeout= and use_chunked_upload=None ------------------------------------------------


@pytest.fixture
def slow_reader(synapse_backend: LocalBackend) -> Iterator[BackendClient]:
    """A client whose read timeout (0.2 s) is shorter than the injected latency, no retries."""
    with BackendClient(
        synapse_backend.url, api_token=synapse_backend.api_token, timeout=0.2, retries=0
    ) as c:
        yield c


def test_create_data_file_read_timeout_is_for_that_call(
    slow_reader: BackendClient, synapse_backend: LocalBackend, tmp_path: Any
) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"abc")
    synapse_backend.faults.add("latency", method="POST", path="data_files/", seconds=0.6)
    with pytest.raises(ClientError):
        slow_reader.create_data_file(path)
    synapse_backend.faults.add("latency", method="POST", path="data_files/", seconds=0.6)
    made = slow_reader.create_data_file(path, read_timeout=5)
    assert made["id"] and made["checksum"]


def test_create_chunked_upload_read_timeout(
    slow_reader: BackendClient, synapse_backend: LocalBackend, tmp_path: Any
) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"x" * 1000)
    # Every request of the upload answers after 0.6 s: the client's 0.2 s read timeout cannot
    # finish it (whatever it recovers), read_timeout=5 can.
    synapse_backend.faults.add("latency", path="chunked_upload*", seconds=0.6, times=None)
    with pytest.raises(ClientError):
        slow_reader.create_chunked_upload(path)
    done = slow_reader.create_chunked_upload(path, read_timeout=5)
    assert done["id"] and done["size"] == 1000


def test_upload_data_file_read_timeout(
    slow_reader: BackendClient, synapse_backend: LocalBackend, demo: dict[str, Any], tmp_path: Any
) -> None:
    collection = slow_reader.get_data_collection(demo["data_collection"])
    spec = collection["file_specifications"][0]["name"]
    path = tmp_path / "a.bin"
    path.write_bytes(b"abc")
    synapse_backend.faults.add("latency", method="POST", path="data_files/", seconds=0.6)
    item = slow_reader.upload_data_file(
        {"files": {spec: path}, "meta": {}}, demo["data_collection"], read_timeout=5
    )
    assert item["files"][spec]


@pytest.mark.parametrize("bad", [True, "5", -1, 0, float("nan")])
def test_read_timeout_refused_before_io(
    client: BackendClient, synapse_backend: LocalBackend, tmp_path: Any, bad: Any
) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"abc")
    for call in (
        lambda: client.create_data_file(path, read_timeout=bad),
        lambda: client.create_chunked_upload(path, read_timeout=bad),
        lambda: client.upload_data_file({"files": {"f": path}}, 1, read_timeout=bad),
    ):
        with pytest.raises((TypeError, ValueError), match="timeout"):
            call()
    assert synapse_backend.journal.entries() == []


def test_read_timeout_past_the_deadline_raises_the_deadline(client: BackendClient) -> None:
    copy = client._reading(900)
    assert copy._config.timeout.read == 900 and copy._config.timeout.deadline == 900
    assert client._reading(None) is client
    assert client._reading(10)._config.timeout.deadline == client._config.timeout.deadline


def test_use_chunked_upload_none_decides_by_size(
    client: BackendClient,
    synapse_backend: LocalBackend,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"x" * 100)
    client.create_data_file(path)  # 100 bytes: one multipart POST
    assert not [e for e in synapse_backend.journal.entries() if "chunked_upload" in e.path]
    monkeypatch.setattr("synapse_sdk._transfer._datafile.CHUNKED_THRESHOLD", 10)
    synapse_backend.journal.clear()
    made = client.create_data_file(path)  # now above the threshold: chunked by default
    assert [e for e in synapse_backend.journal.entries() if "chunked_upload" in e.path]
    assert made["id"]
    synapse_backend.journal.clear()
    client.create_data_file(path, use_chunked_upload=False)
    assert not [e for e in synapse_backend.journal.entries() if "chunked_upload" in e.path]


@pytest.mark.parametrize("bad", [1, "yes", 0])
def test_use_chunked_upload_refused_before_io(
    client: BackendClient, synapse_backend: LocalBackend, tmp_path: Any, bad: Any
) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"abc")
    with pytest.raises(TypeError, match="use_chunked_upload"):
        client.create_data_file(path, use_chunked_upload=bad)
    with pytest.raises(TypeError, match="use_chunked_upload"):
        client.upload_data_file({"files": {"f": path}}, 1, use_chunked_upload=bad)
    assert synapse_backend.journal.entries() == []


# -- create_model(data, *, file=path), create_plugin_release(data, *, file=path) ---------------


def test_create_model_file_keyword(
    client: BackendClient, synapse_backend: LocalBackend, demo: dict[str, Any], tmp_path: Any
) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(b"weights" * 10)
    model = client.create_model({"name": "m1", "plugin": demo["plugin_code"]}, file=path)
    assert model["id"]
    posts = [e for e in synapse_backend.journal.entries() if e.path == "models/"]
    assert len(posts) == 1
    assert [e for e in synapse_backend.journal.entries() if "chunked_upload" in e.path]
    seed_form = client.create_model({"name": "m2", "plugin": demo["plugin_code"], "file": path})
    assert seed_form["id"] != model["id"]


def test_create_plugin_release_file_keyword(
    client: BackendClient, demo: dict[str, Any], tmp_path: Any
) -> None:
    archive = tmp_path / "plugin.zip"
    archive.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    release = client.create_plugin_release(
        {"plugin": demo["plugin_code"], "version": "3.0.0"}, file=archive
    )
    assert release["version"] == "3.0.0"
    seed_form = client.create_plugin_release(
        {"plugin": demo["plugin_code"], "version": "3.0.1", "file": archive}
    )
    assert seed_form["version"] == "3.0.1"


# -- update_job: the backend's statuses only -----------------------------------------------------


@pytest.mark.parametrize("bad", ["completed", "succeeded", "DONE", "", None, 1, ["RUNNING"]])
def test_update_job_refuses_an_unknown_status_before_io(
    client: BackendClient, synapse_backend: LocalBackend, demo: dict[str, Any], bad: Any
) -> None:
    with pytest.raises(ValueError, match="PENDING, RUNNING, STOPPED, SUCCEEDED, FAILED") as info:
        client.update_job(demo["job"], {"status": bad})
    assert repr(bad) in str(info.value)
    assert synapse_backend.journal.entries() == []


def test_update_job_takes_every_backend_status(client: BackendClient, demo: dict[str, Any]) -> None:
    job = client.run_plugin(demo["plugin"], {"action": "noop"})
    assert client.update_job(job["id"], {"status": JobStatus.RUNNING})["status"] == "RUNNING"
    assert client.update_job(job["id"], {"status": "SUCCEEDED"})["status"] == "SUCCEEDED"
    assert client.update_job(job["id"], {"progress_record": {"progress": 100}})["id"] == job["id"]


def test_update_job_refuses_a_non_mapping_before_io(
    client: BackendClient, synapse_backend: LocalBackend, demo: dict[str, Any]
) -> None:
    with pytest.raises(TypeError, match="mapping"):
        client.update_job(demo["job"], [("status", "RUNNING")])  # type: ignore[arg-type]
    assert synapse_backend.journal.entries() == []


def test_update_plugin_with_a_partial_body_reads_merges_and_puts(
    client: BackendClient, synapse_backend: LocalBackend
) -> None:
    created = client.create_plugin({"name": "Merge me", "code": "merge-me", "category": "export"})
    partial = {"description": "only this"}
    synapse_backend.journal.clear()
    updated = client.update_plugin(created["id"], partial)
    assert updated["description"] == "only this"
    assert (updated["code"], updated["name"], updated["category"]) == (
        "merge-me",
        "Merge me",
        "export",
    )
    assert [e.method for e in synapse_backend.journal.entries()] == ["GET", "PUT"]
    assert partial == {"description": "only this"}  # the caller's dict is not modified
    assert client.get_plugin(created["id"])["description"] == "only this"


def test_update_plugin_with_the_whole_object_sends_one_put(
    client: BackendClient, synapse_backend: LocalBackend
) -> None:
    created = client.create_plugin({"name": "Whole", "code": "whole-one", "category": "export"})
    synapse_backend.journal.clear()
    client.update_plugin(created["id"], {**created, "description": "whole"})
    assert [e.method for e in synapse_backend.journal.entries()] == ["PUT"]
    with pytest.raises(TypeError, match="mapping"):
        client.update_plugin(created["id"], [("description", "x")])  # type: ignore[arg-type]

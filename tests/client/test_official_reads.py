"""The official v1 client's simple reads and small utilities, against the local backend: each
returns the documented rows, refuses bad ids and arguments before any I/O (the journal stays
empty), maps a 404 to ``NotFoundError``, and agrees with its typed twin on the managers."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from synapse_sdk import NotFoundError, Storage
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend

BAD_IDS: list[object] = ["1", True, None, 1.0, -1, 0, "../1", "1?x=y", 2**70]


def _ids(rows: Any) -> list[int]:
    return [row["id"] for row in rows]


# -- sdk/*/data/ and sdk/*/files/ ---------------------------------------------------------------


def test_list_tasks_data_rows(client: BackendClient, demo: dict[str, Any]) -> None:
    page = client.list_tasks_data({"project": demo["project"], "page_size": 2})
    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == client.list_tasks({"project": demo["project"]})["count"]
    assert all(set(row) == {"id", "data"} for row in page["results"])
    assert len(page["results"]) == 2 and page["next"]
    first = client.get_task(page["results"][0]["id"])
    assert page["results"][0]["data"] == first["data"]

    rows = client.list_tasks_data(list_all=True)
    assert isinstance(rows, Iterator)
    assert _ids(rows) == demo["tasks"]
    assert [r["id"] for r in client.tasks.iter_data()] == demo["tasks"]


def test_list_tasks_files_rows(client: BackendClient, demo: dict[str, Any]) -> None:
    page = client.list_tasks_files({"ids": [demo["task"]]})
    [row] = page["results"]
    assert set(row) == {"id", "files"} and row["id"] == demo["task"]
    unit = client.get_task(demo["task"], params={"expand": "data_unit"})["data_unit"]
    assert isinstance(row["files"], list)
    assert {f["spec"] for f in row["files"]} == set(unit["files"])
    assert all(f["url"].startswith("http") for f in row["files"])

    converted = client.list_tasks_files(
        {"ids": [demo["task"]]}, url_conversion={"files": lambda url: "local:" + url[-5:]}
    )
    assert all(f["url"].startswith("local:") for f in converted["results"][0]["files"])
    every = list(client.list_tasks_files(list_all=True, url_conversion={"files": lambda url: "x"}))
    assert _ids(every) == demo["tasks"]
    assert all(f["url"] == "x" for row in every for f in row["files"])
    typed = list(client.tasks.iter_files(ids=[demo["task"]]))
    assert typed == [client.list_tasks_files({"ids": [demo["task"]]})["results"][0]]


def test_list_assignments_data_and_files(client: BackendClient, demo: dict[str, Any]) -> None:
    page = client.list_assignments_data({"project": demo["project"]})
    assert sorted(_ids(page["results"])) == sorted(demo["assignments"])
    assert all(set(row) == {"id", "data"} for row in page["results"])
    assert _ids(client.list_assignments_data(list_all=True)) == _ids(page["results"])

    files = client.list_assignments_files({"ids": [demo["assignments"][0]]})
    [row] = files["results"]
    assignment = client.get_assignment(demo["assignments"][0])
    task_files = client.list_tasks_files({"ids": [assignment["task"]]})["results"][0]["files"]
    assert row == {"id": assignment["id"], "files": task_files}
    assert _ids(client.list_assignments_files(list_all=True)) == _ids(page["results"])

    assert [r["id"] for r in client.assignments.iter_data(project=demo["project"])] == _ids(
        page["results"]
    )
    assert list(client.assignments.iter_files(ids=[assignment["id"]])) == [row]


def test_scoped_typed_twins_keep_the_scope(client: BackendClient, demo: dict[str, Any]) -> None:
    project = client.projects.get(demo["project"])
    mine = {t.id for t in project.tasks.all()}
    assert {r["id"] for r in project.tasks.iter_data()} == mine
    assert {r["id"] for r in client.projects.get(2).tasks.iter_files()} == {
        t.id for t in client.tasks.filter(project=2)
    }


def test_ground_truth_events_data_and_files(client: BackendClient, demo: dict[str, Any]) -> None:
    version = demo["ground_truth_dataset_version"]
    events = client.list_ground_truth_events({"ground_truth_dataset_versions": version})
    by_pgh = {e["pgh_id"]: e for e in events["results"]}

    data = client.list_ground_truth_events_data({"ground_truth_dataset_versions": version})
    assert data["count"] == events["count"] == len(demo["ground_truth_events"])
    for row in data["results"]:
        assert set(row) == {"id", "pgh_id", "data"}
        assert row["data"] == by_pgh[row["pgh_id"]]["data"]
        assert row["id"] == by_pgh[row["pgh_id"]]["id"]

    files = client.list_ground_truth_events_files(page_size=1)
    assert len(files["results"]) == 1 and files["next"]
    row = files["results"][0]
    assert {f["spec"] for f in row["files"]} == set(by_pgh[row["pgh_id"]]["files"])
    assert [f["url"] for f in row["files"]] == [
        entry["url"] for entry in by_pgh[row["pgh_id"]]["files"].values()
    ]

    every = list(client.list_ground_truth_events_files(list_all=True, page_size=1))
    assert sorted(r["pgh_id"] for r in every) == sorted(by_pgh)
    typed = list(client.ground_truth_events.iter_data(ground_truth_dataset_versions=[version]))
    assert typed == list(client.list_ground_truth_events_data(list_all=True))
    assert len(list(client.ground_truth_events.iter_files(classes="cat"))) == len(
        [e for e in events["results"] if "cat" in e["classes"]]
    )


# -- task tags, data units, agents, ground-truth versions ------------------------------------


def test_task_tags(client: BackendClient, demo: dict[str, Any]) -> None:
    page = client.list_task_tags()
    assert _ids(page["results"]) == demo["task_tags"]
    assert client.list_task_tags({"name": "urgent"})["results"][0]["name"] == "urgent"
    tag = client.get_task_tag(demo["task_tags"][0])
    assert tag["id"] == demo["task_tags"][0] and tag["name"] == "urgent"
    assert client.task_tags.get(tag["id"]).name == tag["name"]


def test_data_units(client: BackendClient, synapse_backend: LocalBackend) -> None:
    demo = synapse_backend.demo
    page = client.list_data_units({"data_collection": demo["data_collection"]})
    assert _ids(page["results"]) == demo["data_units"]
    assert all(isinstance(u["files"], dict) for u in page["results"])
    assert synapse_backend.journal.entries()[-1].query.count("page_size=100") == 1

    small = client.list_data_units(page_size=2)
    assert len(small["results"]) == 2 and small["count"] == len(demo["data_units"])
    caller_wins = client.list_data_units({"page_size": 1}, page_size=2)
    assert len(caller_wins["results"]) == 1

    rows = client.list_data_units(list_all=True, page_size=1, timeout=5)
    assert _ids(rows) == demo["data_units"]
    converted = client.list_data_units(
        list_all=True, url_conversion={"files": lambda url: "local"}, timeout=None
    )
    assert all(f["url"] == "local" for u in converted for f in u["files"].values())

    unit = client.get_data_unit(demo["data_units"][0], params={"expand": "files"})
    assert unit["id"] == demo["data_units"][0] and set(unit["files"])
    assert client.get_data_unit(demo["data_units"][1])["id"] == demo["data_units"][1]


def test_agents_and_ground_truth_versions(client: BackendClient, demo: dict[str, Any]) -> None:
    agents = client.list_agents()
    assert _ids(agents["results"]) == [demo["agent"]]
    assert set(agents["results"][0]) >= {"id", "name", "status"}
    assert client.list_agents({"id": demo["agent"] + 1})["results"] == []
    assert [a.id for a in client.agents.all()] == [demo["agent"]]

    versions = client.list_ground_truth_versions(
        {"ground_truth_dataset": demo["ground_truth_dataset"]}
    )
    assert _ids(versions["results"]) == [demo["ground_truth_dataset_version"]]
    assert client.list_ground_truth_versions({"is_archived": True})["results"] == []


def test_plugin_releases_by_code_and_lookup(
    client: BackendClient, synapse_backend: LocalBackend
) -> None:
    demo = synapse_backend.demo
    releases = client.list_plugin_releases(demo["plugin_code"])
    assert isinstance(releases, list) and _ids(releases) == [demo["plugin_release"]]
    assert client.list_plugin_releases(demo["plugin"]) == releases
    assert client.list_plugin_releases("no-such-plugin") == []
    assert [r.id for r in client.plugin_releases.filter(plugin=demo["plugin_code"])] == _ids(
        releases
    )

    version = releases[0]["version"]
    found = client.get_plugin_release_by_lookup(f"{demo['plugin_code']}@{version}")
    assert found["id"] == demo["plugin_release"]
    assert found["plugin"]["code"] == demo["plugin_code"]  # expand=plugin by default
    assert "expand=plugin" in synapse_backend.journal.entries()[-1].query
    by_pk = client.get_plugin_release_by_lookup(str(demo["plugin_release"]), expand=None)
    assert by_pk["id"] == demo["plugin_release"] and by_pk["plugin"] == demo["plugin"]
    assert synapse_backend.journal.entries()[-1].query == ""
    typed = client.plugin_releases.get(f"{demo['plugin_code']}@{version}", expand=("plugin",))
    assert typed.id == found["id"]
    with pytest.raises(NotFoundError):
        client.get_plugin_release_by_lookup(f"{demo['plugin_code']}@9.9.9")


# -- data files, chunked uploads, storages ------------------------------------------------------


def test_verify_data_files_checksums(client: BackendClient, synapse_backend: LocalBackend) -> None:
    demo = synapse_backend.demo
    known = [client.data_files.get(pk).checksum for pk in demo["data_files"][:2]]
    unknown = "0" * 32
    answer = client.verify_data_files_checksums([unknown, *known, known[0]])
    assert answer == {"existing_checksums": known}
    assert client.data_files.verify_checksums([unknown, *known]) == set(known)

    synapse_backend.journal.clear()
    many = [f"{i:032x}" for i in range(2500)] + known
    assert client.verify_data_files_checksums(many) == {"existing_checksums": known}
    posts = [e for e in synapse_backend.journal.entries() if e.path.endswith("verify_checksums/")]
    assert len(posts) == 3  # 1000 + 1000 + 502: no request above the backend's limit

    synapse_backend.journal.clear()
    assert client.verify_data_files_checksums([]) == {"existing_checksums": []}
    assert synapse_backend.journal.entries() == []


def test_get_chunked_upload(client: BackendClient, tmp_path: Any) -> None:
    path = tmp_path / "weights.bin"
    path.write_bytes(b"x" * 1000)
    done = client.create_chunked_upload(path, chunk_size=400)
    state = client.get_chunked_upload(done["id"])
    assert state["id"] == done["id"] and state["offset"] == 1000 and state["completed_at"]
    assert client.uploads.get_chunked(done["id"]) == state
    with pytest.raises(NotFoundError):
        client.get_chunked_upload(str(uuid.uuid4()))
    with pytest.raises(NotFoundError):
        client.get_chunked_upload(12345)  # an int id is sent as is; this backend has none


def test_get_default_storage(client: BackendClient, demo: dict[str, Any]) -> None:
    default = client.get_default_storage()
    assert default["id"] == demo["storages"][0]
    assert default["category"] == "internal" and default["is_default"] is True
    typed = client.storages.default()
    assert isinstance(typed, Storage) and typed.id == default["id"]

    client.create_storage(
        {"name": "Second", "category": "internal", "provider": "minio", "is_default": True}
    )
    again = client.get_default_storage()
    assert again["name"] == "Second" and again["is_default"] is True


def test_get_default_storage_without_a_default(synapse_backend: LocalBackend) -> None:
    with LocalBackend(seed=None) as empty, BackendClient(empty.url, api_token=empty.api_token) as c:
        assert c.get_default_storage() is None
        assert c.storages.default() is None
        created = c.create_storage({"name": "ext", "category": "external", "provider": "sftp"})
        assert created["is_default"] is True
        assert c.get_default_storage() is None  # only internal storages count, as officially
        internal = c.create_storage({"name": "int", "category": "internal", "provider": "ftp"})
        assert c.get_default_storage()["id"] == internal["id"]


# -- exists and reset_connection -----------------------------------------------------------------


def test_exists(client: BackendClient, demo: dict[str, Any]) -> None:
    assert client.exists("list_tasks", {"project": demo["project"]}) is True
    assert client.exists("list_tasks", {"project": 2, "status": "nope"}) is False
    assert client.exists("list_task_tags", params={"name": "urgent"}) is True
    assert client.exists("list_task_tags", params={"name": "missing"}) is False
    assert client.exists("get_task", demo["task"]) is True
    assert client.exists("get_task_tag", 999) is False
    assert client.exists("list_tasks_data", {"ids": [demo["task"]]}, list_all=True) is True
    assert client.exists("list_tasks", {"ids": [999]}, list_all=True) is False
    assert client.exists("get_default_storage") is True


def test_reset_connection(client: BackendClient, demo: dict[str, Any]) -> None:
    assert client.get_task_tag(demo["task_tags"][0])["id"] == demo["task_tags"][0]
    client.reset_connection()
    assert client.get_task_tag(demo["task_tags"][1])["id"] == demo["task_tags"][1]
    client.reset_connection()
    client.reset_connection()  # closing twice is fine
    assert client.exists("list_agents")


# -- refused before any I/O, and 404s -------------------------------------------------------------

ID_METHODS: dict[str, Callable[[BackendClient, Any], Any]] = {
    "get_task_tag": lambda c, pk: c.get_task_tag(pk),
    "get_data_unit": lambda c, pk: c.get_data_unit(pk),
    "get_chunked_upload": lambda c, pk: c.get_chunked_upload(pk),
}
LOOKUP_METHODS: dict[str, Callable[[BackendClient, Any], Any]] = {
    "get_plugin_release_by_lookup": lambda c, pk: c.get_plugin_release_by_lookup(pk),
    "list_plugin_releases": lambda c, pk: c.list_plugin_releases(pk),
}
BAD_LOOKUPS: list[object] = [
    *(bad for bad in BAD_IDS if bad != "1"),
    "a b",
    "x?role=admin",
    "é",
    "a" * 101,
    "a/b",
]


@pytest.mark.parametrize("method", sorted(ID_METHODS))
def test_bad_ids_fail_before_any_io(
    client: BackendClient, synapse_backend: LocalBackend, method: str
) -> None:
    synapse_backend.journal.clear()
    for bad in [*BAD_IDS, "not-a-uuid", b"1"]:
        with pytest.raises((TypeError, ValueError)):
            ID_METHODS[method](client, bad)
    assert synapse_backend.journal.entries() == []


@pytest.mark.parametrize("method", sorted(LOOKUP_METHODS))
def test_bad_lookups_fail_before_any_io(
    client: BackendClient, synapse_backend: LocalBackend, method: str
) -> None:
    synapse_backend.journal.clear()
    for bad in BAD_LOOKUPS:
        with pytest.raises((TypeError, ValueError)):
            LOOKUP_METHODS[method](client, bad)
    assert synapse_backend.journal.entries() == []


BAD_CALLS: dict[str, Callable[[BackendClient], Any]] = {
    "tasks_data params": lambda c: c.list_tasks_data(params=[("project", 1)]),  # type: ignore[arg-type]
    "tasks_files page": lambda c: c.list_tasks_files({"page": 0}),
    "assignments_data page_size": lambda c: c.list_assignments_data({"page_size": 10**6}),
    "assignments_files list_all page": lambda c: c.list_assignments_files(
        {"page": "x"}, list_all=True
    ),
    "url_conversion": lambda c: c.list_tasks_data(url_conversion={"files": "nope"}),  # type: ignore[dict-item]
    "task_tags params": lambda c: c.list_task_tags("project=1"),  # type: ignore[arg-type]
    "data_units page_size": lambda c: c.list_data_units(page_size=0),
    "data_units timeout": lambda c: c.list_data_units(timeout=-1),
    "data_units timeout type": lambda c: c.list_data_units(timeout="60"),  # type: ignore[arg-type]
    "data_unit params": lambda c: c.get_data_unit(1, params=["expand"]),  # type: ignore[arg-type]
    "checksums str": lambda c: c.verify_data_files_checksums("abc"),
    "checksums ints": lambda c: c.verify_data_files_checksums([1, 2]),  # type: ignore[list-item]
    "checksums none": lambda c: c.verify_data_files_checksums(None),  # type: ignore[arg-type]
    "agents params": lambda c: c.list_agents(5),  # type: ignore[arg-type]
    "gt_versions params": lambda c: c.list_ground_truth_versions(("a",)),  # type: ignore[arg-type]
    "gt_events_data page_size": lambda c: c.list_ground_truth_events_data(page_size=-1),
    "gt_events_files list_all": lambda c: c.list_ground_truth_events_files(
        list_all=True, page_size=True
    ),
    "typed filter key": lambda c: c.tasks.iter_data(projct=1),  # type: ignore[call-arg]
    "typed filter value": lambda c: c.assignments.iter_files(project="1"),  # type: ignore[arg-type]
    "typed gt filter": lambda c: c.ground_truth_events.iter_data(classez="cat"),  # type: ignore[call-arg]
    "plugin_releases params": lambda c: c.list_plugin_releases("p", params=[1]),  # type: ignore[arg-type]
    "release lookup expand": lambda c: c.get_plugin_release_by_lookup("p@1", expand=1),  # type: ignore[arg-type]
    "exists api type": lambda c: c.exists(7),  # type: ignore[arg-type]
    "exists unknown": lambda c: c.exists("list_nothing"),
    "exists write": lambda c: c.exists("create_tasks", []),
    "exists private": lambda c: c.exists("_list", None),
    "exists bad id": lambda c: c.exists("get_task_tag", "1"),
}


@pytest.mark.parametrize("call", sorted(BAD_CALLS))
def test_bad_arguments_fail_before_any_io(
    client: BackendClient, synapse_backend: LocalBackend, call: str
) -> None:
    synapse_backend.journal.clear()
    with pytest.raises((TypeError, ValueError)):
        BAD_CALLS[call](client)
    assert synapse_backend.journal.entries() == []


def test_not_found(client: BackendClient, demo: dict[str, Any]) -> None:
    with pytest.raises(NotFoundError):
        client.get_task_tag(999)
    with pytest.raises(NotFoundError):
        client.get_data_unit(999)
    with pytest.raises(NotFoundError):
        client.list_tasks_data({"page": 99})
    with pytest.raises(NotFoundError):
        client.list_ground_truth_events_files({"page": 50})
    other_tenant_tag = 10**6
    assert client.exists("get_task_tag", other_tenant_tag) is False

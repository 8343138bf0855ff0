"""Write routes: creates, updates, validation errors (400 field errors)."""

from __future__ import annotations

import hashlib
import json
import time

import pytest

from ._helpers import Api, ids


def upload_file(api: Api, data: bytes, name: str = "blob.bin") -> dict:
    return api.ok("POST", "data_files/", 201, fields={"file": (name, data)})


def test_create_tasks_both_forms(api: Api) -> None:
    before = api.ok("GET", "sdk/tasks/")["count"]
    made = api.ok(
        "POST",
        "tasks/",
        201,
        json={"project": 1, "data": [{"data_unit": 1, "meta": {"a": 1}}, {"data_unit": 2}]},
    )
    assert isinstance(made, list) and len(made) == 2
    assert made[0]["meta"] == {"a": 1} and made[0]["status"] == "pending"
    made2 = api.ok("POST", "tasks/", 201, json=[{"project": 2, "data_unit": 3}])
    assert made2[0]["project"] == 2 and made2[0]["data_unit"] == 3
    assert api.ok("GET", "sdk/tasks/")["count"] == before + 3
    assert api.ok("GET", "projects/2/")["task_count"] == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"project": 99, "data": [{"data_unit": 1}]}, "project"),
        ({"project": 1, "data": [{"data_unit": 99}]}, "data_unit"),
        ({"data": [{"data_unit": 1}]}, "project"),
        ({"project": 1}, "data"),
        ({"project": 1, "data": []}, "data"),
        ([{"project": 1, "data_unit": 42}], "data_unit"),
        ({"project": "x", "data": [{"data_unit": 1}]}, "project"),
    ],
)
def test_create_tasks_errors(api: Api, body: object, field: str) -> None:
    r = api.post("tasks/", json=body)
    assert r.status == 400 and field in r.json(), r.json()
    assert api.ok("GET", "sdk/tasks/")["count"] == 6


def test_annotate(api: Api) -> None:
    t = api.ok("PUT", "tasks/2/annotate_task_data/", json={"action": "save", "data": {"x": 1}})
    assert t["data"] == {"x": 1} and t["status"] == "in_progress"
    t = api.ok(
        "PUT", "tasks/2/annotate_task_data/?schema=any", json={"action": "submit", "data": {"x": 2}}
    )
    assert t["status"] == "completed"
    t = api.ok("PUT", "tasks/3/annotate_task_data/", json={"annotations": [1]})
    assert t["data"] == {"annotations": [1]} and t["status"] == "completed"
    assert api.ok("GET", "tasks/3/")["data"] == {"annotations": [1]}
    assert api.put("tasks/3/annotate_task_data/", json={"action": "zap", "data": {}}).status == 400
    assert api.put("tasks/3/annotate_task_data/?schema=bad", json={"a": 1}).status == 400
    assert api.put("tasks/3/annotate_task_data/", json=[1]).status == 400
    assert api.put("tasks/99/annotate_task_data/", json={"a": 1}).status == 404
    assert api.post("tasks/3/annotate_task_data/", json={"a": 1}).status == 405


def test_set_tags(api: Api) -> None:
    r = api.ok("POST", "tasks/set_tags/", json={"ids": [3, 4], "tags": [2], "action": "add"})
    assert r == {"updated": 2, "ids": [3, 4], "tags": [2], "action": "add"}
    assert ids(api.ok("GET", "sdk/tasks/?tags=2")) == [3, 4]
    api.ok("POST", "tasks/set_tags/", json={"task_ids": [3], "tag_ids": [2], "action": "remove"})
    assert ids(api.ok("GET", "sdk/tasks/?tags=2")) == [4]
    r = api.ok("POST", "assignments/set_tags/", json={"assignment_ids": [2], "tag_ids": [1]})
    assert r["action"] == "add"
    assert api.ok("GET", "assignments/2/")["tags"] == [1]
    assert api.post("tasks/set_tags/", json={"ids": [99], "tags": [1]}).json() == {
        "ids": ['Invalid pk "99" - object does not exist.']
    }
    assert "tags" in api.post("tasks/set_tags/", json={"ids": [1], "tags": [9]}).json()
    assert (
        "action"
        in api.post("tasks/set_tags/", json={"ids": [1], "tags": [1], "action": "x"}).json()
    )
    assert set(api.post("assignments/set_tags/", json={}).json()) == {"ids", "tags"}


def test_data_file_multipart_and_verify(api: Api) -> None:
    blob = b"hello devserver"
    df = upload_file(api, blob, "hello.txt")
    assert df["checksum"] == hashlib.md5(blob).hexdigest() and df["size"] == len(blob)
    assert df["file"].endswith("/hello.txt")
    assert api.pool.request("GET", df["file"]).data == blob
    assert api.ok("GET", f"data_files/{df['id']}/")["checksum"] == df["checksum"]
    assert api.get("data_files/999/").status == 404
    r = api.ok(
        "POST", "data_files/verify_checksums/", json={"checksums": [df["checksum"], "0" * 32]}
    )
    assert r == {"existing_checksums": [df["checksum"]]}
    assert api.post("data_files/verify_checksums/", json={"checksums": ["a"] * 1001}).status == 400
    assert api.post("data_files/verify_checksums/", json={}).json() == {
        "checksums": ["This field is required."]
    }
    assert api.post("data_files/", fields={"other": "x"}).json() == {
        "file": ["No file was submitted."]
    }


def test_data_units_create(api: Api) -> None:
    img = upload_file(api, b"\x89PNG fake", "cat.png")
    meta = upload_file(api, b"{}", "cat.json")
    item = {
        "data_collection": 1,
        "files": {
            "image_1": {"checksum": img["checksum"], "path": "/tmp/x/cat.png"},
            "meta_1": {"checksum": meta["checksum"], "path": "cat.json"},
        },
        "meta": {"k": "v"},
        "groups": ["batch-1", "left"],
    }
    unit = api.ok("POST", "data_units/", 201, json=item)
    assert isinstance(unit, dict) and unit["group"] is not None
    f = unit["files"]["image_1"]
    assert f["file_name_original"] == "cat.png" and f["is_primary"] is True
    assert api.pool.request("GET", f["url"]).data == b"\x89PNG fake"
    expected = hashlib.sha1(
        "".join(sorted([img["checksum"], meta["checksum"]])).encode()
    ).hexdigest()
    assert unit["checksum"] == expected
    both = api.ok("POST", "data_units/", 201, json=[item, {**item, "groups": ["batch-1", "left"]}])
    assert isinstance(both, list) and len(both) == 2
    assert both[0]["group"] == both[1]["group"] == unit["group"]
    assert ids(api.ok("GET", f"data_units/?group={unit['group']}")) == [
        unit["id"],
        *ids({"results": both}),
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"data_collection": 9}, "data_collection"),
        ({"data_collection": None}, "data_collection"),
        ({"files": {"meta_1": {"checksum": "CHK", "path": "a.json"}}}, "files"),
        ({"files": {"image_9": {"checksum": "CHK", "path": "a.png"}}}, "files"),
        ({"files": {"image_1": {"checksum": "0" * 32, "path": "a.png"}}}, "files"),
        ({"files": None}, "files"),
        ({"meta": [1]}, "meta"),
        ({"groups": "abc"}, "groups"),
    ],
)
def test_data_units_errors(api: Api, change: dict, field: str) -> None:
    df = upload_file(api, b"x", "x.png")
    item = {
        "data_collection": 1,
        "files": {"image_1": {"checksum": df["checksum"], "path": "x.png"}},
    }
    item.update(json.loads(json.dumps(change).replace("CHK", df["checksum"])))
    r = api.post("data_units/", json=item)
    assert r.status == 400 and field in r.json(), r.json()
    r = api.post("data_units/", json=[item])
    assert r.status == 400
    assert api.ok("GET", "data_units/")["count"] == 3


def test_plugins_create_update_run(api: Api) -> None:
    p = api.ok(
        "POST", "plugins/", 201, json={"code": "my-plug", "name": "Mine", "category": "export"}
    )
    assert p["code"] == "my-plug" and p["is_active"] is True
    r = api.post("plugins/", json={"code": "my-plug", "name": "Again"})
    assert r.status == 400 and "code" in r.json()
    r = api.post("plugins/", json={"code": "bad slug!", "category": "nope"})
    assert set(r.json()) == {"code", "name", "category"}
    u = api.ok(
        "PUT",
        f"plugins/{p['id']}/",
        json={"code": "my-plug", "name": "Renamed", "category": "upload"},
    )
    assert u["name"] == "Renamed" and u["category"] == "upload"
    assert api.put(f"plugins/{p['id']}/", json={"code": "demo-plugin", "name": "x"}).status == 400
    assert api.put("plugins/99/", json={"code": "a", "name": "b"}).status == 404
    job = api.ok(
        "POST", "plugins/demo-plugin/run/", 201, json={"action": "train", "params": {"lr": 1}}
    )
    assert job["action"] == "train" and job["params"] == {"lr": 1} and job["plugin_release"] == 1
    job2 = api.ok("POST", "plugins/1/run/", 201, json={"parameters": {"a": 1}, "context": {}})
    assert job2["action"] == "run" and job2["params"] == {"a": 1} and job2["status"] == "PENDING"
    assert api.post("plugins/nope/run/", json={}).status == 404
    assert api.post("plugins/1/run/", json={"params": [1]}).status == 400


def test_plugin_release_create(api: Api) -> None:
    r = api.ok(
        "POST",
        "plugin_releases/",
        201,
        json={
            "plugin": "demo-plugin",
            "version": "2.0.0",
            "config": {"a": 1},
            "requirements": ["x"],
        },
    )
    assert r["plugin"] == 1 and r["debug"] is False and r["file"] is None
    m = api.ok(
        "POST",
        "plugin_releases/",
        201,
        fields=[
            ("plugin", "1"),
            ("version", "3.0.0"),
            ("config", json.dumps({"b": 2})),
            ("requirements", "numpy"),
            ("requirements", "torch"),
            ("debug", "True"),
            ("file", ("plugin.zip", b"PK zip")),
        ],
    )
    assert (
        m["config"] == {"b": 2} and m["requirements"] == ["numpy", "torch"] and m["debug"] is True
    )
    assert api.pool.request("GET", m["file"]).data == b"PK zip"
    assert ids(api.ok("GET", "plugin_releases/?plugin=demo-plugin")) == [1, r["id"], m["id"]]
    dup = api.post("plugin_releases/", json={"plugin": "demo-plugin", "version": "2.0.0"})
    assert dup.status == 400 and "non_field_errors" in dup.json()
    assert "plugin" in api.post("plugin_releases/", json={"plugin": "zzz", "version": "1"}).json()
    assert "version" in api.post("plugin_releases/", json={"plugin": "demo-plugin"}).json()
    assert (
        "debug"
        in api.post("plugin_releases/", json={"plugin": 1, "version": "9", "debug": "maybe"}).json()
    )


def test_jobs_auto_advance(api: Api) -> None:
    job = api.ok("POST", "plugins/1/run/", 201, json={"action": "train"})
    assert job["status"] == "PENDING" and job["started"] is None
    time.sleep(0.12)
    assert api.ok("GET", f"jobs/{job['id']}/")["status"] == "RUNNING"
    time.sleep(0.15)
    done = api.ok("GET", f"jobs/{job['id']}/")
    assert done["status"] == "SUCCEEDED" and done["result"] == {"ok": True} and done["finished"]
    logs = api.ok("GET", f"jobs/{job['id']}/console_logs/")["results"]
    assert [x["message"] for x in logs] == ["Job started", "Job finished"]
    failing = api.ok("POST", "plugins/1/run/", 201, json={"params": {"fail": True}})
    time.sleep(0.25)
    failed = api.ok("GET", "jobs/", params={"status": "FAILED"})["results"]
    assert [j["id"] for j in failed] == [failing["id"]]
    logs = api.ok("GET", f"jobs/{failing['id']}/console_logs/")["results"]
    assert logs[-1]["level"] == "error"


def test_job_patch_transitions(api: Api) -> None:
    job = api.ok("POST", "plugins/1/run/", 201, json={})
    j = api.ok(
        "PATCH", f"jobs/{job['id']}/", json={"status": "RUNNING", "progress_record": {"p": 1}}
    )
    assert j["status"] == "RUNNING" and j["progress_record"] == {"p": 1} and j["started"]
    time.sleep(0.3)  # PATCHed jobs no longer advance on their own
    assert api.ok("GET", f"jobs/{job['id']}/")["status"] == "RUNNING"
    j = api.ok(
        "PATCH",
        f"jobs/{job['id']}/",
        json={
            "status": "SUCCEEDED",
            "metrics_record": {"m": 2},
            "result": [1, 2],
            "meta": {"queue": {"position": 0}},
            "console_logs": [{"message": "hi", "level": "warning"}, {"message": "bye"}],
        },
    )
    assert j["status"] == "SUCCEEDED" and j["finished"] and j["result"] == [1, 2]
    assert j["meta"] == {"queue": {"position": 0}}
    r = api.patch(f"jobs/{job['id']}/", json={"status": "RUNNING"})
    assert r.status == 400 and r.json() == {
        "status": ["Invalid transition from SUCCEEDED to RUNNING."]
    }
    logs = api.ok("GET", f"jobs/{job['id']}/console_logs/")["results"]
    assert [(x["message"], x["level"]) for x in logs] == [("hi", "warning"), ("bye", "info")]
    api.ok("PATCH", f"jobs/{job['id']}/", json={"console_logs": {"message": "one more"}})
    fresh = api.ok("POST", "plugins/1/run/", 201, json={})
    assert api.patch(f"jobs/{fresh['id']}/", json={"status": "SUCCEEDED"}).status == 400
    assert api.patch(f"jobs/{fresh['id']}/", json={"status": "DONE"}).status == 400
    assert api.patch(f"jobs/{fresh['id']}/", json={"console_logs": [{"level": "x"}]}).status == 400
    assert (
        api.ok("PATCH", f"jobs/{fresh['id']}/", json={"status": "STOPPED"})["status"] == "STOPPED"
    )
    assert api.patch("jobs/999/", json={}).status == 404


def test_storages_create(api: Api) -> None:
    s = api.ok(
        "POST",
        "storages/",
        201,
        json={"name": "S", "category": "external", "provider": "minio", "configuration": {"a": 1}},
    )
    assert s["is_default"] is False
    d = api.ok("POST", "storages/", 201, json={"name": "D", "provider": "gcp", "is_default": True})
    assert d["is_default"] is True
    assert ids(api.ok("GET", "storages/?is_default=true")) == [d["id"]]
    r = api.post("storages/", json={"category": "cloud", "provider": "dropbox"})
    assert set(r.json()) == {"name", "category", "provider"}


def test_first_storage_becomes_default(synapse_backend, pool) -> None:  # type: ignore[no-untyped-def]
    tenant = synapse_backend.create_tenant("fresh")
    token = synapse_backend.create_user(tenant, "u")
    api = Api(synapse_backend, pool, token)
    s = api.ok("POST", "storages/", 201, json={"name": "first", "provider": "sftp"})
    assert s["is_default"] is True


def test_models_create(api: Api) -> None:
    m = api.ok(
        "POST",
        "models/",
        201,
        json={"name": "m1", "plugin": "demo-plugin", "version": "1", "checkpoint": 1, "project": 1},
    )
    assert m["file"] is None and m["checkpoint"] == 1
    assert "name" in api.post("models/", json={}).json()
    assert "plugin" in api.post("models/", json={"name": "x", "plugin": "nope"}).json()
    assert "project" in api.post("models/", json={"name": "x", "project": 99}).json()
    assert (
        "chunked_upload"
        in api.post("models/", json={"name": "x", "chunked_upload": "not-a-uuid"}).json()
    )

"""Read routes on the demo seed: happy paths, 404s and every filter."""

from __future__ import annotations

import hashlib

import pytest

from ._helpers import Api, ids


def test_demo_seed_contents(ro: Api) -> None:
    demo = ro.backend.demo
    assert len(demo["projects"]) == 2
    coll = ro.ok("GET", f"data_collections/{demo['data_collection']}/")
    specs = {s["name"]: s for s in coll["file_specifications"]}
    assert specs["image_1"]["is_required"] and specs["image_1"]["is_primary"]
    assert (
        specs["image_1"]["extensions"] == [".jpg", ".png"]
        and specs["image_1"]["file_type"] == "image"
    )
    assert not specs["meta_1"]["is_required"] and specs["meta_1"]["extensions"] == [".json"]
    assert coll["category"] == "image" and coll["count_projects"] == 2
    assert ro.ok("GET", "data_units/")["count"] == 3
    assert ro.ok("GET", "sdk/tasks/")["count"] == 6
    assert ro.ok("GET", "sdk/assignments/")["count"] == 3
    assert ro.ok("GET", "task_tags/")["count"] == 2
    job = ro.ok("GET", f"jobs/{demo['job']}/")
    assert job["status"] == "SUCCEEDED"
    assert ro.ok("GET", f"jobs/{demo['job']}/console_logs/")["count"] == 2
    storages = ro.ok("GET", "storages/")["results"]
    assert {s["category"] for s in storages} == {"internal", "external"}
    assert [s["category"] for s in storages if s["is_default"]] == ["internal"]
    assert ro.ok("GET", "sdk/ground_truth_events/")["count"] == 3
    assert ro.ok("GET", "ground_truth_dataset_versions/")["count"] == 1
    assert ro.ok("GET", "agents/")["count"] == 1
    rel = ro.ok("GET", f"plugin_releases/{demo['plugin_release']}/")
    assert rel["version"] == "1.0.0"


def test_project(ro: Api) -> None:
    p = ro.ok("GET", "projects/1/")
    assert p["task_count"] == 5 and p["data_collection"] == 1
    assert set(p) >= {
        "id",
        "title",
        "description",
        "category",
        "data_collection",
        "configuration",
        "settings",
        "access_level",
        "is_archived",
        "created",
        "task_count",
    }
    assert p["created"].endswith("Z")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("title=demo", [1, 2]),
        ("title=archived", [2]),
        ("category=image", [1, 2]),
        ("category=video", []),
        ("is_archived=true", [2]),
        ("is_archived=false", [1]),
        ("search=Archived", [2]),
        ("ordering=-id", [2, 1]),
    ],
)
def test_project_filters(ro: Api, query: str, expected: list[int]) -> None:
    assert ids(ro.ok("GET", f"projects/?{query}")) == expected


def test_task_tags(ro: Api) -> None:
    assert ro.ok("GET", "task_tags/1/")["name"] == "urgent"
    assert ids(ro.ok("GET", "task_tags/?name=review")) == [2]
    assert ids(ro.ok("GET", "task_tags/?project=1")) == [1, 2]
    assert ids(ro.ok("GET", "task_tags/?project=2")) == []
    assert ids(ro.ok("GET", "task_tags/?category=project")) == [1, 2]
    assert ro.get("task_tags/9/").status == 404


def test_task_get_expand_fields(ro: Api) -> None:
    t = ro.ok("GET", "tasks/1/")
    assert t["data_unit"] == 1 and t["assignments"] == [1] and t["tags"] == [1]
    assert t["workshop"] is None and t["status"] == "completed"
    x = ro.ok("GET", "tasks/1/?expand=data_unit")
    assert x["data_unit"]["id"] == 1
    assert set(x["data_unit"]["files"]) == {"image_1", "meta_1"}
    only = ro.ok("GET", "tasks/1/?fields=id,data")
    assert set(only) == {"id", "data"}
    both = ro.ok("GET", "tasks/1/?fields=id&fields=data_unit&expand=data_unit")
    assert set(both) == {"id", "data_unit"} and both["data_unit"]["id"] == 1
    assert ro.get("tasks/99/").status == 404
    page = ro.ok("GET", "sdk/tasks/?fields=id,status&expand=data_unit")
    assert set(page["results"][0]) == {"id", "status"}
    page = ro.ok("GET", "sdk/tasks/?expand=data_unit&page_size=1")
    assert isinstance(page["results"][0]["data_unit"], dict)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("project=1", [1, 2, 3, 4, 5]),
        ("project=2", [6]),
        ("id=2", [2]),
        ("id__in=2,4", [2, 4]),
        ("id__gt=4", [5, 6]),
        ("id__gte=4", [4, 5, 6]),
        ("id__lt=2", [1]),
        ("id__lte=2", [1, 2]),
        ("ids=1,6", [1, 6]),
        ("ids_ex=1,2,3", [4, 5, 6]),
        ("is_discarded=true", [5]),
        ("has_assignment=true", [1, 2, 3]),
        ("has_assignment=false", [4, 5, 6]),
        ("status=completed", [1]),
        ("status=pending", [2, 3, 4, 5, 6]),
        ("status_label=in_progress", [2]),
        ("status_review=completed", [1]),
        ("assignments=2", [2]),
        ("labelers=1", [1, 2, 3]),
        ("labelers=99", []),
        ("reviewers=1", [1]),
        ("tags=1", [1, 2]),
        ("tags=2", []),
        ("data_unit=1", [1, 4]),
        ("created__gte=2000-01-01", [1, 2, 3, 4, 5, 6]),
        ("created__gt=2000-01-01T00:00:00Z", [1, 2, 3, 4, 5, 6]),
        ("created__lt=2000-01-01", []),
        ("created__lte=2000-01-01T00:00:00", []),
        ("search=cat", [1]),
        ("search=index", [1, 2, 3, 4, 5, 6]),
        ("ordering=-modified", [6, 5, 4, 3, 2, 1]),
    ],
)
def test_sdk_tasks_filters(ro: Api, query: str, expected: list[int]) -> None:
    assert ids(ro.ok("GET", f"sdk/tasks/?{query}")) == expected


def test_sdk_tasks_bad_values(ro: Api) -> None:
    assert ro.get("sdk/tasks/?created__gt=yesterday").status == 400
    assert ro.get("sdk/tasks/?is_discarded=maybe").status == 400


def test_sdk_tasks_data_and_files(ro: Api) -> None:
    data = ro.ok("GET", "sdk/tasks/data/?ids=1")
    assert data["results"] == [{"id": 1, "data": {"annotations": [{"class": "cat"}]}}]
    files = ro.ok("GET", "sdk/tasks/files/?ids=1")["results"][0]["files"]
    assert {f["spec"] for f in files} == {"image_1", "meta_1"}
    primary = next(f for f in files if f["is_primary"])
    assert set(primary) == {"spec", "url", "checksum", "size", "is_primary", "file_name_original"}
    blob = ro.pool.request("GET", primary["url"]).data  # anonymous download
    assert hashlib.md5(blob).hexdigest() == primary["checksum"] and len(blob) == primary["size"]


def test_assignment(ro: Api) -> None:
    a = ro.ok("GET", "assignments/1/")
    assert a["task"] == 1 and a["status_label"] == "completed" and a["tags"] == [2]
    assert ro.get("assignments/9/").status == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("project=1", [1, 2, 3]),
        ("task=2", [2]),
        ("tasks=2,3", [2, 3]),
        ("users=1", [1, 2, 3]),
        ("reviewers=1", [1]),
        ("status_label=stand_by", [3]),
        ("status_review=stand_by", [2, 3]),
        ("is_discarded=false", [1, 2, 3]),
        ("is_confirmed=true", [1]),
        ("tags=2", [1]),
        ("id__gt=1", [2, 3]),
        ("id__lte=1", [1]),
        ("ids=1,3", [1, 3]),
        ("ids_ex=1", [2, 3]),
        ("created__gte=2000-01-01", [1, 2, 3]),
        ("created__lt=2000-01-01", []),
        ("ordering=-id", [3, 2, 1]),
    ],
)
def test_sdk_assignments_filters(ro: Api, query: str, expected: list[int]) -> None:
    assert ids(ro.ok("GET", f"sdk/assignments/?{query}")) == expected


def test_sdk_assignments_data_files(ro: Api) -> None:
    assert ro.ok("GET", "sdk/assignments/data/?ids=2")["results"] == [{"id": 2, "data": None}]
    files = ro.ok("GET", "sdk/assignments/files/?ids=1")["results"][0]["files"]
    assert len(files) == 2


def test_data_collections(ro: Api) -> None:
    assert ids(ro.ok("GET", "data_collections/?name=Demo images")) == [1]
    assert ids(ro.ok("GET", "data_collections/?category=video")) == []
    assert ids(ro.ok("GET", "data_collections/?category=image")) == [1]
    assert ro.get("data_collections/5/").status == 404


def test_data_units(ro: Api) -> None:
    u = ro.ok("GET", "data_units/2/")
    f = u["files"]["image_1"]
    assert set(f) >= {"url", "checksum", "size", "is_primary", "file_name_original", "meta"}
    assert f["url"].endswith(".png")
    assert ro.get("data_units/99/").status == 404
    assert ids(ro.ok("GET", "data_units/?data_collection=1")) == [1, 2, 3]
    assert ids(ro.ok("GET", "data_units/?data_collection=2")) == []
    assert ids(ro.ok("GET", "data_units/?id__gt=1&id__lt=3")) == [2]
    assert ids(ro.ok("GET", "data_units/?ids=1,3")) == [1, 3]
    assert ids(ro.ok("GET", f"data_units/?checksum={u['checksum']}")) == [2]
    assert ids(ro.ok("GET", "data_units/?search=sample-3")) == [3]
    assert ids(ro.ok("GET", "data_units/?group=1")) == []
    assert ids(ro.ok("GET", "data_units/?ordering=-created")) == [3, 2, 1]


def test_media_download_range_and_404(ro: Api) -> None:
    url = ro.ok("GET", "data_units/1/")["files"]["meta_1"]["url"]
    whole = ro.pool.request("GET", url)
    assert whole.status == 200 and whole.headers["Content-Type"] == "application/json"
    assert int(whole.headers["Content-Length"]) == len(whole.data)
    part = ro.pool.request("GET", url, headers={"Range": "bytes=2-5"})
    assert part.status == 206 and part.data == whole.data[2:6]
    assert ro.pool.request("GET", url + "x").status == 404
    assert ro.pool.request("GET", f"{ro.backend.url}/media/../devserver.sqlite3").status == 404


def test_plugins_read(ro: Api) -> None:
    p = ro.ok("GET", "plugins/1/")
    assert p["code"] == "demo-plugin" and p["category"] == "neural_net"
    assert ids(ro.ok("GET", "plugins/?code=demo-plugin")) == [1]
    assert ro.get("plugins/5/").status == 404


def test_plugin_releases_read(ro: Api) -> None:
    assert ids(ro.ok("GET", "plugin_releases/?plugin=demo-plugin")) == [1]
    assert ids(ro.ok("GET", "plugin_releases/?plugin=1")) == [1]
    assert ids(ro.ok("GET", "plugin_releases/?plugin=unknown")) == []
    r = ro.ok("GET", "plugin_releases/demo-plugin@1.0.0/?expand=plugin")
    assert r["plugin"] == {
        "id": 1,
        "code": "demo-plugin",
        "name": "Demo plugin",
        "category": "neural_net",
    }
    assert ro.ok("GET", "plugin_releases/1/")["plugin"] == 1
    assert ro.pool.request("GET", r["file"]).status == 200
    assert ro.get("plugin_releases/demo-plugin@9.9/").status == 404
    assert ro.get("plugin_releases/nope@1.0.0/").status == 404
    assert ro.get("plugin_releases/77/").status == 404


def test_jobs_read(ro: Api) -> None:
    assert ids(ro.ok("GET", "jobs/?status=SUCCEEDED")) == [1]
    assert ids(ro.ok("GET", "jobs/?status=FAILED")) == []
    assert ids(ro.ok("GET", "jobs/?plugin=1&plugin_release=1&action=train")) == [1]
    assert ids(ro.ok("GET", "jobs/?action=deploy")) == []
    assert ro.get("jobs/42/").status == 404
    assert ro.get("jobs/42/console_logs/").status == 404
    logs = ro.ok("GET", "jobs/1/console_logs/")["results"]
    assert [x["message"] for x in logs] == ["Job started", "Job finished"]
    assert set(logs[0]) == {"id", "job", "message", "level", "datetime"}


def test_storages_read(ro: Api) -> None:
    assert ids(ro.ok("GET", "storages/?category=internal")) == [1]
    assert ids(ro.ok("GET", "storages/?provider=amazon_s3")) == [2]
    assert ids(ro.ok("GET", "storages/?is_default=true")) == [1]
    assert ro.ok("GET", "storages/2/")["provider"] == "amazon_s3"
    assert ro.get("storages/9/").status == 404


def test_models_read(ro: Api) -> None:
    m = ro.ok("GET", "models/1/")
    blob = ro.pool.request("GET", m["file"])
    assert blob.status == 200 and len(blob.data) == m["size"]
    assert ids(ro.ok("GET", "models/?project=1&plugin=demo-plugin&is_released=true")) == [1]
    assert ids(ro.ok("GET", "models/?name=nothing")) == []
    assert ids(ro.ok("GET", "models/?name=Demo")) == [1]
    assert ro.get("models/9/").status == 404


def test_ground_truth(ro: Api) -> None:
    assert ro.ok("GET", "ground_truth_datasets/1/")["name"] == "Demo ground truth"
    assert ids(ro.ok("GET", "ground_truth_datasets/")) == [1]
    assert ro.get("ground_truth_datasets/4/").status == 404
    v = ro.ok("GET", "ground_truth_dataset_versions/1/")
    assert v["ground_truth_dataset"] == 1 and v["version"] == "v1"
    assert ro.get("ground_truth_dataset_versions/4/").status == 404
    assert ids(ro.ok("GET", "ground_truth_dataset_versions/?ground_truth_dataset=1")) == [1]
    assert ids(ro.ok("GET", "ground_truth_dataset_versions/?is_archived=true")) == []
    ev = ro.ok("GET", "sdk/ground_truth_events/")["results"]
    assert {e["category"] for e in ev} == {"train", "validation", "test"}
    assert set(ev[0]["files"]["image_1"]) == {"url", "meta"}
    q = "sdk/ground_truth_events/?"
    assert len(ro.ok("GET", q + "ground_truth_dataset_versions=1")["results"]) == 3
    assert len(ro.ok("GET", q + "ground_truth_dataset_versions=1,2")["results"]) == 3
    assert len(ro.ok("GET", q + "ground_truth_dataset_versions=2")["results"]) == 0
    assert len(ro.ok("GET", q + "category=train")["results"]) == 1
    assert len(ro.ok("GET", q + "categories=train,test")["results"]) == 2
    assert len(ro.ok("GET", q + "classes=dog")["results"]) == 1
    assert len(ro.ok("GET", q + "data_unit=2")["results"]) == 1
    assert len(ro.ok("GET", q + f"ground_truth={ev[0]['id']}")["results"]) == 1
    pgh = [e["pgh_id"] for e in ro.ok("GET", q + "ordering=-pgh_id")["results"]]
    assert pgh == sorted(pgh, reverse=True)
    gts = ro.ok("GET", "ground_truths/?ground_truth_dataset=1&ground_truth_dataset_versions=1")
    assert gts["count"] == 3
    assert ro.ok("GET", "ground_truths/?ground_truth_dataset_versions=5")["count"] == 0


def test_agents(ro: Api) -> None:
    a = ro.ok("GET", "agents/")["results"][0]
    assert set(a) == {"id", "name", "url", "status", "created"}
    r = ro.post(f"agents/{ro.backend.agent_token}/connect/", auth=False)
    assert r.status == 200
    body = r.json()
    assert body["status"] == "connected" and body["id"] == a["id"] and body["connected_at"]
    assert ro.post("agents/unknown/connect/").status == 404
    assert ids(ro.ok("GET", "agents/?status=connected")) == [a["id"]]

"""Every code example of the seed document (shared/seed/backend-client.md), run against the local
backend. Only base URLs, tokens and ids are changed; the calls and the shapes they return are the
seed's."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.clients.backend import BackendClient, StorageCategory, StorageProvider
from synapse_sdk.clients.exceptions import ClientError


def test_constructor_explicit_token_and_env(
    synapse_backend: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = BackendClient(base_url=synapse_backend.url, api_token=synapse_backend.api_token)
    assert client.get_project(synapse_backend.demo["project"])["id"] == 1
    monkeypatch.setenv("SYNAPSE_API_TOKEN", synapse_backend.api_token)
    env_client = BackendClient(base_url=synapse_backend.url)
    assert env_client.get_project(synapse_backend.demo["project"])["title"]
    client.close()
    env_client.close()
    assert os.environ["SYNAPSE_API_TOKEN"] == synapse_backend.api_token


def test_annotation_operations(client: BackendClient, demo: dict[str, Any]) -> None:
    project = client.get_project(demo["project"])
    assert project["id"] == demo["project"] and "data_collection" in project

    task = client.get_task(demo["task"], params={"expand": "data_unit"})
    assert isinstance(task["data_unit"], dict) and "files" in task["data_unit"]

    result = client.annotate_task_data(
        demo["task"], {"annotations": [{"type": "bbox", "coordinates": [10, 10, 100, 100]}]}
    )
    assert result["data"] == {"annotations": [{"type": "bbox", "coordinates": [10, 10, 100, 100]}]}

    tasks = client.list_tasks(params={"project": demo["project"]})
    assert set(tasks) >= {"count", "next", "previous", "results"}
    assert all(t["project"] == demo["project"] for t in tasks["results"])

    all_tasks = client.list_tasks(list_all=True)
    rows = list(all_tasks)
    assert len(rows) == len(demo["tasks"])

    units = demo["data_units"]
    new_tasks = client.create_tasks(
        [
            {"project": demo["project"], "data_unit": units[0]},
            {"project": demo["project"], "data_unit": units[1]},
        ]
    )
    assert [t["data_unit"] for t in new_tasks] == units[:2]

    tagged = client.set_tags_tasks({"task_ids": [t["id"] for t in new_tasks], "tag_ids": [1, 2]})
    assert tagged is not None
    assert set(client.get_task(new_tasks[0]["id"])["tags"]) == {1, 2}


def test_chunked_upload_and_data_files(
    client: BackendClient, demo: dict[str, Any], tmp_path: Path
) -> None:
    big = tmp_path / "large_file.zip"
    big.write_bytes(os.urandom(300_000))
    result = client.create_chunked_upload(big)
    assert result["id"] and result.get("completed_at")

    image = tmp_path / "file.jpg"
    image.write_bytes(b"\xff\xd8\xff" + os.urandom(1000))
    data_file = client.create_data_file(image)
    assert len(data_file["checksum"]) == 32
    large = client.create_data_file(big, use_chunked_upload=True)
    assert large["size"] == 300_000

    collections = client.list_data_collection()
    assert collections["results"]
    collection = client.get_data_collection(demo["data_collection"])
    file_specs = collection["file_specifications"]
    assert {s["name"] for s in file_specs} >= {"image_1"}

    item = client.upload_data_file(
        organized_file={"files": {"image_1": image}, "meta": {"origin": "test"}},
        collection_id=demo["data_collection"],
        use_chunked_upload=False,
    )
    data_units = client.create_data_units([item])
    assert isinstance(data_units, list) and data_units[0]["files"]["image_1"]["url"]


def test_hitl_operations(client: BackendClient, demo: dict[str, Any]) -> None:
    assignment = client.get_assignment(demo["assignments"][0])
    assert assignment["id"] == demo["assignments"][0]
    assignments = client.list_assignments(params={"project": demo["project"]})
    assert assignments["count"] >= 1
    all_assignments = list(client.list_assignments(list_all=True))
    assert len(all_assignments) == len(demo["assignments"])
    client.set_tags_assignments({"assignment_ids": demo["assignments"][:2], "tag_ids": [1, 2]})
    assert set(client.get_assignment(demo["assignments"][0])["tags"]) >= {1, 2}


def test_integration_operations(
    client: BackendClient, synapse_backend: Any, demo: dict[str, Any], tmp_path: Path
) -> None:
    status = client.health_check_agent(synapse_backend.agent_token)
    assert status["status"] == "connected"

    plugin = client.get_plugin(demo["plugin"])
    assert plugin["code"] == demo["plugin_code"]
    new_plugin = client.create_plugin(
        {"name": "My Plugin", "code": "my-plugin", "description": "Plugin description"}
    )
    updated = client.update_plugin(
        new_plugin["id"], {**new_plugin, "description": "Updated description"}
    )
    assert updated["description"] == "Updated description"

    job = client.run_plugin(demo["plugin"], {"parameters": {"input": "value"}, "context": {}})
    assert job["status"] in ("PENDING", "RUNNING")

    archive = tmp_path / "plugin.zip"
    archive.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    with archive.open("rb") as fh:
        release = client.create_plugin_release(
            {"plugin": demo["plugin_code"], "version": "2.0.0", "file": fh}
        )
    assert release["version"] == "2.0.0"
    release_info = client.get_plugin_release(release["id"])
    assert release_info["id"] == release["id"]

    jobs = client.list_jobs(params={"status": "SUCCEEDED"})
    assert all(j["status"] == "SUCCEEDED" for j in jobs["results"])
    job_detail = client.get_job(job["id"], params={"expand": "logs"})
    assert job_detail["id"] == job["id"]
    fresh = client.run_plugin(demo["plugin"], {"action": "noop"})
    client.update_job(fresh["id"], {"status": "RUNNING"})
    client.update_job(fresh["id"], {"status": "SUCCEEDED"})
    assert client.get_job(fresh["id"])["status"] == "SUCCEEDED"
    logs = client.list_job_console_logs(demo["job"])
    assert logs["results"]


def test_storage_operations(client: BackendClient) -> None:
    storages = client.list_storages()
    assert storages["count"] >= 2
    storage = client.get_storage(storages["results"][0]["id"])
    assert "configuration" in storage
    new_storage = client.create_storage(
        {"name": "My Storage", "provider": "amazon_s3", "configuration": {"bucket": "b"}}
    )
    assert new_storage["provider"] == StorageProvider.AMAZON_S3.value
    assert {c.value for c in StorageCategory} == {"internal", "external"}
    assert {p.value for p in StorageProvider} >= {
        "amazon_s3",
        "azure",
        "digital_ocean",
        "file_system",
        "ftp",
        "sftp",
        "minio",
        "gcp",
    }


def test_ml_operations(client: BackendClient, demo: dict[str, Any], tmp_path: Path) -> None:
    models = client.list_models(params={"project": demo["project"]})
    assert "results" in models
    model = client.get_model(demo["model"], params={"expand": "metrics"})
    assert model["id"] == demo["model"] and model["file"]
    converted = client.get_model(
        demo["model"], url_conversion={"file": lambda url: "https://cdn.example.com/x"}
    )
    assert converted["file"] == "https://cdn.example.com/x"

    weights = tmp_path / "model.pkl"
    weights.write_bytes(os.urandom(5000))
    new_model = client.create_model(
        {"name": "My Model", "project": demo["project"], "file": str(weights)}
    )
    assert new_model["id"] and new_model["file"]

    events = client.list_ground_truth_events(
        params={"ground_truth_dataset_versions": [demo["ground_truth_dataset_version"]]},
        list_all=True,
    )
    assert len(list(events)) == len(demo["ground_truth_events"])
    version = client.get_ground_truth_version(demo["ground_truth_dataset_version"])
    assert version["id"] == demo["ground_truth_dataset_version"]


def test_error_handling(client: BackendClient) -> None:
    with pytest.raises(ClientError) as info:
        client.get_project(999)
    e = info.value
    assert e.status_code == 404
    assert e.response == {"detail": "Not found."}
    assert "404" in f"API Error: {e}"


def test_pagination_and_url_conversion(client: BackendClient, demo: dict[str, Any]) -> None:
    tasks_page1 = client.list_tasks(params={"page": 1, "page_size": 100})
    assert tasks_page1["count"] == len(demo["tasks"])
    all_tasks = list(client.list_tasks(list_all=True))
    assert [t["id"] for t in all_tasks] == sorted(t["id"] for t in all_tasks)

    files = client.list_tasks(
        params={"expand": "data_unit"},
        url_conversion={"files": lambda url: f"https://cdn.example.com{url}"},
    )
    assert files["results"]
    events = list(
        client.list_ground_truth_events(
            url_conversion={"files": lambda url: "https://cdn.example.com/f"}, list_all=True
        )
    )
    urls = [f["url"] for e in events for f in (e.get("files") or {}).values()]
    assert urls and all(u == "https://cdn.example.com/f" for u in urls)

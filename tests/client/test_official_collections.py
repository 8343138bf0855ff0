"""``upload_data_collection`` against the local backend: files uploaded in parallel, data units
created in batches, one task per unit for a project, and one bad item never stopping the rest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk import WSGITransport
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend


@pytest.fixture
def backend(synapse_backend_wsgi: LocalBackend) -> LocalBackend:
    return synapse_backend_wsgi


@pytest.fixture
def c(backend: LocalBackend) -> Iterator[BackendClient]:
    transport = WSGITransport(backend.wsgi_app)
    with BackendClient(
        "http://testserver", api_token=backend.api_token, transport=transport
    ) as client:
        yield client


def make_items(tmp_path: Path, count: int, *, meta: bool = True) -> list[dict[str, Any]]:
    items = []
    for n in range(count):
        image = tmp_path / f"img_{n}.png"
        image.write_bytes(b"\x89PNG" + str(n).encode() * 50)
        item: dict[str, Any] = {"files": {"image_1": str(image)}}
        if meta:
            item["meta"] = {"n": n}
        items.append(item)
    return items


def posts(backend: LocalBackend, path: str) -> int:
    return sum(1 for e in backend.journal.entries() if e.method == "POST" and e.path == path)


def test_uploads_items_creates_units_and_tasks(
    c: BackendClient, backend: LocalBackend, tmp_path: Path
) -> None:
    demo = backend.demo
    before = c.list_tasks({"project": demo["project"]})["count"]
    seen: list[tuple[int, int]] = []
    result = c.upload_data_collection(
        demo["data_collection"],
        make_items(tmp_path, 3),
        project_id=demo["project"],
        on_progress=lambda done, total: seen.append((done, total)),
    )
    assert [r["index"] for r in result] == [0, 1, 2]
    assert all(r["success"] and r["stage"] is None and r["error"] is None for r in result)
    units = [r["data_unit"] for r in result]
    assert all(u is not None and u["meta"] == {"n": i} for i, u in enumerate(units))
    tasks = [r["task"] for r in result]
    assert all(t is not None for t in tasks)
    assert [t["data_unit"] for t in tasks if t] == [u["id"] for u in units if u]
    assert c.list_tasks({"project": demo["project"]})["count"] == before + 3
    assert posts(backend, "data_files/") == 3
    assert posts(backend, "data_units/") == 1 and posts(backend, "tasks/") == 1
    assert sorted(seen) == [(1, 3), (2, 3), (3, 3)]


def test_batches_of_batch_size_and_no_tasks_without_a_project(
    c: BackendClient, backend: LocalBackend, tmp_path: Path
) -> None:
    result = c.upload_data_collection(
        backend.demo["data_collection"], make_items(tmp_path, 5), batch_size=2, max_workers=3
    )
    assert all(r["success"] and r["task"] is None for r in result)
    assert posts(backend, "data_units/") == 3
    assert posts(backend, "tasks/") == 0
    assert len({r["data_unit"]["id"] for r in result if r["data_unit"]}) == 5


def test_one_bad_item_never_stops_the_others(
    c: BackendClient, backend: LocalBackend, tmp_path: Path
) -> None:
    good = make_items(tmp_path, 3)
    extra = tmp_path / "extra.png"
    extra.write_bytes(b"extra")
    data: list[Any] = [
        good[0],
        {"files": {"image_1": str(tmp_path / "missing.png")}},  # check: no such file
        "not a dict",  # check
        {"files": {"image_1": str(good[1]["files"]["image_1"]), "nope_9": str(extra)}},  # 400
        {"files": {"image_1": str(extra)}, "meta": "not a dict"},  # check
        good[2],
    ]
    result = c.upload_data_collection(
        backend.demo["data_collection"], data, project_id=backend.demo["project"]
    )
    stages = [r["stage"] for r in result]
    assert stages == [None, "check", "check", "data_unit", "check", None]
    assert [r["success"] for r in result] == [True, False, False, False, False, True]
    assert result[3]["error"] is not None and result[3]["error"].startswith("ValidationError")
    assert "nope_9" in result[3]["error"]
    assert result[1]["error"] is not None and "missing.png" in result[1]["error"]
    assert all(r["data_unit"] is None and r["task"] is None for r in result if not r["success"])
    # the refused batch was split to isolate the bad item: 1 batch + 3 single retries
    assert posts(backend, "data_units/") == 4
    assert posts(backend, "tasks/") == 1


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda c, d: c.upload_data_collection(0, d), ValueError),
        (lambda c, d: c.upload_data_collection("1", d), TypeError),
        (lambda c, d: c.upload_data_collection(1, d, project_id=True), TypeError),
        (lambda c, d: c.upload_data_collection(1, d, batch_size=0), ValueError),
        (lambda c, d: c.upload_data_collection(1, d, batch_size=1001), ValueError),
        (lambda c, d: c.upload_data_collection(1, d, max_workers=0), ValueError),
        (lambda c, d: c.upload_data_collection(1, d, max_workers=2.0), TypeError),
        (lambda c, d: c.upload_data_collection(1, d, on_progress=5), TypeError),
        (lambda c, d: c.upload_data_collection(1, d[0]), TypeError),
        (lambda c, d: c.upload_data_collection(1, "files"), TypeError),
    ],
)
def test_bad_arguments_are_refused_before_any_request(
    c: BackendClient, backend: LocalBackend, tmp_path: Path, call: Any, error: type[Exception]
) -> None:
    data = make_items(tmp_path, 1)
    backend.journal.clear()
    with pytest.raises(error):
        call(c, data)
    assert backend.journal.entries() == []


def test_an_empty_list_sends_nothing(c: BackendClient, backend: LocalBackend) -> None:
    backend.journal.clear()
    assert c.upload_data_collection(backend.demo["data_collection"], []) == []
    assert backend.journal.entries() == []


def test_a_failed_file_upload_fails_only_its_item(
    c: BackendClient, backend: LocalBackend, tmp_path: Path
) -> None:
    items = make_items(tmp_path, 3)
    backend.faults.add("status", method="POST", path="data_files/", status=400, times=1)
    result = c.upload_data_collection(backend.demo["data_collection"], items, max_workers=1)
    assert [r["stage"] for r in result].count("upload") == 1
    assert sum(r["success"] for r in result) == 2
    failed = next(r for r in result if r["stage"] == "upload")
    assert failed["error"] is not None and failed["error"].startswith("ValidationError")

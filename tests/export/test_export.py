"""``project.export(dest)`` / ``tasks.filter(...).export(dest)`` against the local backend: the
layout, the manifest, byte-identical repeats, per-file errors, refusals before any I/O."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from export_support import snapshot

from synapse_sdk import NotFoundError
from synapse_sdk._export import ExportMismatchError
from synapse_sdk.clients.backend import BackendClient


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_export_of_the_demo_project(
    synapse_backend: Any, client: BackendClient, demo: dict[str, Any], tmp_path: Path
) -> None:
    project = client.projects.get(demo["project"])
    tasks = list(client.tasks.filter(project=project.id).order_by("id"))
    result = project.export(tmp_path / "out")
    root = result.path
    assert result.ok and not result.resumed
    units = {t.data_unit_id for t in tasks}
    assert result.counts == {
        "tasks": len(tasks),
        "annotations": len(tasks),
        "data_units": len(units),
        "files": 2 * len(units),
        "errors": 0,
        "bytes": result.counts["bytes"],
    }

    task_lines = lines(root / "tasks.jsonl")
    assert [t["id"] for t in task_lines] == [t.id for t in tasks]
    assert all("data" not in t and type(t["data_unit"]) is int for t in task_lines)
    notes = lines(root / "annotations.jsonl")
    assert [(n["task"], n["data"]) for n in notes] == [(t.id, t.data) for t in tasks]

    unit_lines = lines(root / "data_units.jsonl")
    assert [u["id"] for u in unit_lines] == sorted(units)  # first met in task-id order
    for unit_line in unit_lines:
        unit = client.data_units.get(unit_line["id"])
        for spec, entry in unit_line["files"].items():
            assert "url" not in entry  # presigned URLs expire: the export holds local paths
            data = (root / entry["path"]).read_bytes()
            assert hashlib.md5(data).hexdigest() == unit.files[spec].checksum
    for record in lines(root / "files.jsonl"):
        data = (root / record["path"]).read_bytes()
        assert record["size"] == len(data)
        assert record["sha256"] == hashlib.sha256(data).hexdigest()

    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest == result.manifest
    assert manifest["query"] == {"project": str(project.id)}
    assert manifest["include"] == ["tasks", "annotations", "files"]
    assert manifest["counts"] == result.counts
    for name, meta in manifest["jsonl"].items():
        data = (root / name).read_bytes()
        assert meta["sha256"] == hashlib.sha256(data).hexdigest() and meta["size"] == len(data)
        assert meta["lines"] == data.count(b"\n")
    assert "started" not in json.dumps(manifest)

    # A second export into another folder is byte-identical; a re-run of a finished one sends
    # nothing.
    again = project.export(tmp_path / "again")
    assert snapshot(again.path) == snapshot(root)
    synapse_backend.journal.clear()
    assert project.export(root).counts == result.counts
    assert synapse_backend.journal.entries() == []


def test_a_task_queryset_exports_its_filter(
    client: BackendClient, demo: dict[str, Any], tmp_path: Path
) -> None:
    qs = client.tasks.filter(project=demo["project"], status="pending")
    result = qs.export(tmp_path / "pending", include=("tasks",))
    ids = [t["id"] for t in lines(result.path / "tasks.jsonl")]
    assert ids == sorted(t.id for t in qs) and ids
    assert sorted(p.name for p in result.path.iterdir() if not p.name.startswith(".")) == [
        "errors.jsonl",
        "manifest.json",
        "tasks.jsonl",
    ]
    assert result.manifest["query"] == {"project": str(demo["project"]), "status": "pending"}


def test_data_units_without_files(
    synapse_backend: Any, client: BackendClient, demo: dict[str, Any], tmp_path: Path
) -> None:
    synapse_backend.journal.clear()
    result = client.projects.get(demo["project"]).export(tmp_path / "o", include=["data_units"])
    assert not (result.path / "files").exists()
    assert all(
        "path" not in e and "url" not in e
        for u in lines(result.path / "data_units.jsonl")
        for e in u["files"].values()
    )
    assert not [e for e in synapse_backend.journal.entries() if e.path.startswith("media/")]


def test_a_bad_file_lands_in_errors_and_the_rest_completes(
    synapse_backend: Any, client: BackendClient, demo: dict[str, Any], tmp_path: Path
) -> None:
    synapse_backend.faults.add("status", method="GET", path="media/*meta_3.json", times=None,
                               status=404)  # fmt: skip
    # The same length as image_2.png, other bytes (a JSON string: 2 quotes): the MD5 fails.
    size = client.data_units.get(2).files["image_1"].size
    assert size is not None
    synapse_backend.faults.add("status", method="GET", path="media/*image_2.png", times=None,
                               status=200, body="x" * (size - 2))  # fmt: skip
    result = client.projects.get(demo["project"]).export(tmp_path / "o")
    assert not result.ok and result.counts["errors"] == 2
    errors = {(e["spec"], e["error"]): e for e in result.error_records()}
    assert set(errors) == {("meta_1", "NotFoundError"), ("image_1", "IntegrityError")}
    assert errors["meta_1", "NotFoundError"]["status"] == 404
    assert "MD5" in errors["image_1", "IntegrityError"]["message"]
    for e in errors.values():
        assert not (result.path / e["path"]).exists()  # wrong bytes are never kept
    assert result.counts["files"] == 4
    done = {r["path"] for r in lines(result.path / "files.jsonl")}
    assert len(done) == 4 and all((result.path / p).exists() for p in done)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"format": "csv"}, ValueError, "'jsonl'"),
        ({"include": ["tasks", "bogus"]}, ValueError, "bogus"),
        ({"include": "tasks"}, TypeError, "list of family names"),
        ({"include": []}, ValueError, "no family"),
        ({"max_workers": 0}, ValueError, "max_workers"),
        ({"max_workers": True}, TypeError, "max_workers"),
        ({"max_bytes": -1}, ValueError, "max_bytes"),
        ({"progress": "yes"}, TypeError, "progress"),
        ({"frobnicate": 1}, TypeError, "frobnicate"),
    ],
)
def test_bad_options_are_refused_before_any_io(
    synapse_backend: Any,
    client: BackendClient,
    tmp_path: Path,
    options: dict[str, Any],
    error: type[Exception],
    message: str,
) -> None:
    project = client.projects.get(1)
    synapse_backend.journal.clear()
    with pytest.raises(error, match=message):
        project.export(tmp_path / "o", **options)
    assert synapse_backend.journal.entries() == []
    assert not (tmp_path / "o").exists()


def test_other_querysets_and_dests_are_refused_before_any_io(
    synapse_backend: Any, client: BackendClient, tmp_path: Path
) -> None:
    synapse_backend.journal.clear()
    with pytest.raises(TypeError, match="only task querysets"):
        client.projects.all().export(tmp_path / "p")  # type: ignore[misc]
    with pytest.raises(TypeError, match="sliced"):
        client.tasks.filter(project=1)[:3].export(tmp_path / "s")
    with pytest.raises(TypeError, match="dest"):
        client.tasks.filter(project=1).export(b"bytes")  # type: ignore[arg-type]
    assert synapse_backend.journal.entries() == []
    assert list(tmp_path.iterdir()) == []


def test_a_dest_holding_something_else_is_refused(
    client: BackendClient, demo: dict[str, Any], tmp_path: Path
) -> None:
    client.projects.get(demo["project"]).export(tmp_path / "one", include=["tasks"])
    before = snapshot(tmp_path / "one")
    other = client.projects.get(demo["projects"][1])
    with pytest.raises(ExportMismatchError, match=r"holds another export: tasks \(project=1"):
        other.export(tmp_path / "one", include=["tasks"])
    with pytest.raises(ExportMismatchError, match="another export"):
        client.projects.get(demo["project"]).export(tmp_path / "one")  # other families
    assert snapshot(tmp_path / "one") == before

    (tmp_path / "stranger").mkdir()
    (tmp_path / "stranger" / "notes.txt").write_text("mine")
    with pytest.raises(ExportMismatchError, match=r"not empty .*notes\.txt"):
        other.export(tmp_path / "stranger")
    assert [p.name for p in (tmp_path / "stranger").iterdir()] == ["notes.txt"]


def test_a_missing_project_raises_not_found(client: BackendClient, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        client.projects.get(999_999).export(tmp_path / "o")


def test_progress_callback_counts_tasks(
    client: BackendClient, demo: dict[str, Any], tmp_path: Path
) -> None:
    seen: list[tuple[int, int]] = []
    client.projects.get(demo["project"]).export(
        tmp_path / "o", progress=lambda done, total: seen.append((done, total))
    )
    n = client.tasks.filter(project=demo["project"]).count()
    assert seen[-1] == (n, n) and [d for d, _ in seen] == sorted(d for d, _ in seen)

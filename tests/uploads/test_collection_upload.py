"""``collection.upload(items)``: checked before sending, deduplicated by checksum, bounded
concurrency, data units in batches, per-item and per-file results, one bad file never aborts."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend
from synapse_sdk.resources import DataCollection, DataUnit

from .conftest import entries, fetch, md5


@pytest.fixture
def collection(client: BackendClient, demo: dict[str, Any]) -> DataCollection:
    """The demo collection: ``image_1`` (required, primary, .jpg/.png), ``meta_1`` (.json)."""
    return client.data_collections.get(demo["data_collection"])


def images(tmp_path: Path, count: int, prefix: str = "img") -> list[Path]:
    out = []
    for i in range(count):
        path = tmp_path / f"{prefix}{i}.png"
        path.write_bytes(b"\x89PNG" + os.urandom(3000))
        out.append(path)
    return out


def test_items_become_data_units(
    collection: DataCollection, synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    pngs = images(tmp_path, 3)
    meta = tmp_path / "m.json"
    meta.write_text('{"a": 1}')
    items: list[Any] = [
        pngs[0],  # a bare path: the primary spec
        {"image_1": pngs[1], "meta_1": meta},  # spec name -> path
        {"files": {"image_1": pngs[2]}, "meta": {"n": 2}, "groups": ["root", "leaf"]},
    ]
    report = collection.upload(items)
    assert report.ok and len(report) == 3 and len(report.data_units) == 3
    assert all(isinstance(u, DataUnit) for u in report.data_units)
    assert report.file_counts() == {"uploaded": 4, "skipped": 0, "failed": 0}
    third = report[2]
    assert third.data_unit is not None and third.data_unit.meta == {"n": 2}
    assert third.data_unit.group is not None
    second = report[1].data_unit
    assert second is not None and set(second.files) == {"image_1", "meta_1"}
    assert fetch(second.files["meta_1"].url or "") == b'{"a": 1}'
    assert report[0].files["image_1"].checksum == md5(pngs[0].read_bytes())


def test_bad_items_fail_alone_and_before_any_request(
    collection: DataCollection, synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    good = images(tmp_path, 2)
    gif = tmp_path / "x.gif"
    gif.write_bytes(b"GIF89a")
    meta = tmp_path / "only.json"
    meta.write_text("{}")
    items: list[Any] = [
        good[0],
        {"image_1": gif},  # extension not allowed
        {"meta_1": meta},  # required image_1 missing
        {"image_9": good[1]},  # unknown spec
        {"image_1": tmp_path / "missing.png"},  # no such file
        {"image_1": tmp_path},  # a directory
        {"files": {"image_1": good[1]}, "meta": "not a dict"},
        12,  # not an item at all
        good[1],
    ]
    synapse_backend.journal.clear()
    report = collection.upload(items)
    assert [r.status for r in report] == ["created"] + ["failed"] * 7 + ["created"]
    reasons = [r.reason or "" for r in report.failed]
    for text in (
        "allowed extension",
        "required file specification",
        "not a file specification",
        "no such file",
        "directory",
        "'meta' must be a dict",
        "expected a path",
    ):
        assert any(text in reason for reason in reasons), text
    assert report[1].files["image_1"].status == "failed"
    uploaded = entries(synapse_backend, "POST", "data_files/")
    assert len([e for e in uploaded if e.path == "data_files/"]) == 2  # only the good files


def test_all_bad_sends_nothing(
    collection: DataCollection, synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    gif = tmp_path / "x.gif"
    gif.write_bytes(b"GIF89a")
    synapse_backend.journal.clear()
    report = collection.upload([{"image_1": gif}, tmp_path / "missing.png"])
    assert not report.ok and len(report.failed) == 2
    assert synapse_backend.journal.entries() == []


def test_files_the_server_has_are_skipped(
    collection: DataCollection, synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    pngs = images(tmp_path, 3)
    first = collection.upload(pngs)
    assert first.file_counts()["uploaded"] == 3
    synapse_backend.journal.clear()
    # A duplicate inside the batch too; "create" so the units are made (reuse: test_reupload_*).
    again = collection.upload([*pngs, pngs[0]], existing_units="create")
    assert again.ok and again.file_counts() == {"uploaded": 0, "skipped": 4, "failed": 0}
    assert [e.path for e in entries(synapse_backend, "POST")] == [
        "data_files/verify_checksums/",
        "data_units/",
    ]


def test_duplicates_in_one_batch_upload_once(
    collection: DataCollection, synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    (png,) = images(tmp_path, 1)
    copy = tmp_path / "copy.png"
    copy.write_bytes(png.read_bytes())
    synapse_backend.journal.clear()
    report = collection.upload([png, copy, png])
    assert report.ok and len(report.data_units) == 3
    assert len([e for e in entries(synapse_backend, "POST") if e.path == "data_files/"]) == 1


def test_units_are_created_in_batches(
    collection: DataCollection, synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    synapse_backend.journal.clear()
    report = collection.upload(images(tmp_path, 5), batch_size=2)
    assert report.ok
    assert len(entries(synapse_backend, "POST", "data_units/")) == 3


def test_a_rejected_batch_is_split_to_isolate_items(
    collection: DataCollection, synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    synapse_backend.faults.add(
        "status", method="POST", path="data_units/", status=400, body={"files": ["bad"]}
    )
    report = collection.upload(images(tmp_path, 3), batch_size=3)
    assert report.ok
    posts = entries(synapse_backend, "POST", "data_units/")
    assert len(posts) == 4 and synapse_backend.journal.committed("POST", "data_units/") == 3


def test_a_lost_unit_create_is_reported_not_resent(
    collection: DataCollection, synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    synapse_backend.faults.add("reset_after", method="POST", path="data_units/")
    report = collection.upload(images(tmp_path, 2))
    assert [r.status for r in report] == ["failed", "failed"]
    assert all("may exist" in (r.reason or "") for r in report)
    assert len(entries(synapse_backend, "POST", "data_units/")) == 1


def test_a_lost_file_create_is_reconciled_by_checksum(
    collection: DataCollection, synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    synapse_backend.faults.add("reset_after", method="POST", path="data_files/")
    synapse_backend.journal.clear()
    report = collection.upload(images(tmp_path, 3), parallel=1)
    assert report.ok and report.file_counts()["uploaded"] == 3
    assert synapse_backend.journal.committed("POST", "data_files/") == 3  # no duplicate


def test_parallel_uploads_are_bounded(
    collection: DataCollection, synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    synapse_backend.faults.add(
        "latency", method="POST", path="data_files/", seconds=0.25, times=None
    )
    pngs = images(tmp_path, 12)
    started = time.monotonic()
    report = collection.upload(pngs, parallel=4)
    elapsed = time.monotonic() - started
    assert report.ok
    # 12 files, 0.25 s each: 4 at a time takes 3 rounds (0.75 s); more would take 2 or fewer,
    # one at a time would take 3 s.
    assert 0.7 <= elapsed < 2.5, elapsed


def test_progress_counts_files(collection: DataCollection, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    collection.upload(images(tmp_path, 4), progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (4, 4)


def test_bad_arguments(collection: DataCollection, tmp_path: Path) -> None:
    for kwargs in ({"parallel": 0}, {"parallel": 65}, {"batch_size": 0}, {"parallel": True}):
        with pytest.raises(ValueError):
            collection.upload([], **kwargs)
    with pytest.raises(TypeError, match="list"):
        collection.upload(str(tmp_path / "a.png"))  # type: ignore[arg-type]

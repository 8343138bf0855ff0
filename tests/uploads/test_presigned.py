"""Presigned bulk upload against the local backend: small files and multipart (threshold
lowered), results, data files whose bytes download identical, no auth headers on storage PUTs,
retries through the fault plane, and the official call forms of the seed API."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk import BackendClient, PresignedReport, RetryPolicy, WSGITransport
from synapse_sdk.devserver import LocalBackend

THRESHOLD = 100_000
PART = 40_000
AUTH = ("synapse-access-token", "synapse-agent", "synapse-tenant", "authorization")


@pytest.fixture
def backend() -> Iterator[LocalBackend]:
    with LocalBackend(
        seed="demo", job_duration=0.2, multipart_threshold=THRESHOLD, multipart_part_size=PART
    ) as b:
        yield b


@pytest.fixture
def pclient(backend: LocalBackend) -> Iterator[BackendClient]:
    retries = RetryPolicy(backoff_initial=0.001, backoff_max=0.01)
    with BackendClient(backend.url, api_token=backend.api_token, retries=retries) as c:
        yield c


def _files(tmp: Path, sizes: list[int]) -> list[Path]:
    out = []
    for i, size in enumerate(sizes):
        path = tmp / f"file{i}.bin"
        path.write_bytes(hashlib.sha256(str(i).encode()).digest() * (size // 32 + 1))
        path.write_bytes(path.read_bytes()[:size])
        out.append(path)
    return out


def _storage_puts(backend: LocalBackend) -> list[Any]:
    return [e for e in backend.journal.entries() if e.method == "PUT" and "_storage/" in e.path]


def test_small_and_multipart_files_become_data_files_with_identical_bytes(
    backend: LocalBackend, pclient: BackendClient, tmp_path: Path
) -> None:
    paths = _files(tmp_path, [0, 10, 2048, 250_000])
    seen: list[tuple[int, int]] = []
    report = pclient.uploads.presigned(paths, progress=lambda d, t: seen.append((d, t)))
    assert isinstance(report, PresignedReport)
    assert report.ok, [f.reason for f in report]
    total = sum(p.stat().st_size for p in paths)
    assert seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert [f.attempts for f in report] == [1, 1, 1, 7]  # 250,000 B in 40,000 B parts
    out = tmp_path / "out"
    out.mkdir()
    for path, result in zip(paths, report, strict=True):
        assert result.checksum == hashlib.sha1(path.read_bytes()).hexdigest()
        assert result.size == path.stat().st_size
        data_file = pclient.data_files.get(result.data_file_id or 0)
        target = data_file.download(out / path.name)
        assert target.read_bytes() == path.read_bytes()
    puts = _storage_puts(backend)
    assert len(puts) == 3 + 7
    for entry in puts:
        names = {k.lower() for k in entry.headers}
        assert not names & set(AUTH), entry.headers
    parts = [e for e in puts if "partNumber" in e.query]
    assert len(parts) == 7 and all(
        "content-type" not in {k.lower() for k in e.headers} for e in parts
    )


def test_storage_503_through_the_fault_plane_is_retried(
    backend: LocalBackend, pclient: BackendClient, tmp_path: Path
) -> None:
    backend.faults.add("status", method="PUT", path="_storage/*", times=2, status=503)
    report = pclient.uploads.presigned(_files(tmp_path, [100]))
    assert report.ok and report[0].attempts == 3


def test_in_process_transport(backend: LocalBackend, tmp_path: Path) -> None:
    client = BackendClient(
        "http://testserver", api_token=backend.api_token, transport=WSGITransport(backend.wsgi_app)
    )
    report = client.uploads.presigned(_files(tmp_path, [10, 150_000]))
    assert report.ok, [f.reason for f in report]


def test_seed_upload_files_bulk_picks_presigned_for_a_minio_storage(
    backend: LocalBackend, pclient: BackendClient, tmp_path: Path
) -> None:
    paths = _files(tmp_path, [10, 20, 150_000])
    calls: list[tuple[int, int]] = []
    result = pclient.upload_files_bulk(
        [str(p) for p in paths],
        max_workers=2,
        on_progress=lambda d, t: calls.append((d, t)),
        batch_size=2,
    )
    assert result["strategy"] == "presigned"
    assert (result["created_count"], result["failed_count"]) == (3, 0)
    assert [r["path"] for r in result["results"]] == [str(p) for p in paths]
    assert all(r["success"] and r["error"] is None for r in result["results"])
    assert calls[-1][0] == calls[-1][1] == sum(p.stat().st_size for p in paths)
    json.dumps(result)  # plain JSON


def test_seed_upload_files_bulk_falls_back_without_a_presigned_storage(tmp_path: Path) -> None:
    with LocalBackend() as backend:  # no default storage
        client = BackendClient(backend.url, api_token=backend.api_token)
        result = client.upload_files_bulk(_files(tmp_path, [10, 20]))
        assert result["strategy"] == "direct" and result["created_count"] == 2
        posts = [e for e in backend.journal.entries() if e.path == "data_files/"]
        assert len(posts) == 2
        assert not [e for e in backend.journal.entries() if "presigned" in e.path]


def test_seed_strategy_direct_and_presigned_skip_the_storage_check(
    backend: LocalBackend, pclient: BackendClient, tmp_path: Path
) -> None:
    result = pclient.upload_files_bulk(_files(tmp_path, [10]), strategy="direct")
    assert result["strategy"] == "direct" and result["created_count"] == 1
    result = pclient.upload_files_bulk(_files(tmp_path, [10]), strategy="presigned")
    assert result["strategy"] == "presigned" and result["created_count"] == 1
    assert not [e for e in backend.journal.entries() if e.path.startswith("storages")]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"strategy": "bogus"}, ValueError),
        ({"max_workers": 0}, ValueError),
        ({"max_workers": True}, ValueError),
        ({"batch_size": 5000}, ValueError),
        ({"max_upload_retries": -1}, ValueError),
        ({"max_upload_retries": 1.5}, TypeError),
        ({"on_progress": "yes"}, TypeError),
    ],
)
def test_seed_bulk_refuses_bad_arguments_before_any_io(
    backend: LocalBackend, pclient: BackendClient, tmp_path: Path, kwargs: Any, error: type
) -> None:
    before = len(backend.journal.entries())
    with pytest.raises(error):
        pclient.upload_files_bulk(_files(tmp_path, [10]), **kwargs)
    assert len(backend.journal.entries()) == before


@pytest.mark.parametrize(
    ("paths", "error"),
    [
        ("one/path.bin", TypeError),
        (["/no/such/file.bin"], FileNotFoundError),
        ([b"/bytes"], TypeError),
    ],
)
def test_bad_paths_are_refused_before_any_io(
    backend: LocalBackend, pclient: BackendClient, tmp_path: Path, paths: Any, error: type
) -> None:
    good = _files(tmp_path, [10])
    before = len(backend.journal.entries())
    with pytest.raises(error):
        pclient.uploads.presigned([*good, *paths] if isinstance(paths, list) else paths)
    with pytest.raises(error):
        pclient.upload_files_bulk([*good, *paths] if isinstance(paths, list) else paths)
    with pytest.raises(IsADirectoryError):
        pclient.uploads.presigned([tmp_path])
    assert len(backend.journal.entries()) == before


def test_official_raw_round_trip(
    backend: LocalBackend, pclient: BackendClient, tmp_path: Path
) -> None:
    path = _files(tmp_path, [3000])[0]
    files = [{"filename": path.name, "size": 3000, "content_type": None}]
    snapshot = json.dumps(files)
    answer = pclient.request_presigned_upload(files, expiration=600)
    assert json.dumps(files) == snapshot
    entry = answer["files"][0]
    put = pclient.upload_file_to_presigned_url(entry["presigned_url"], path)
    assert put["size"] == 3000 and put["attempts"] == 1
    assert put["checksum"] == hashlib.sha1(path.read_bytes()).hexdigest()
    confirm = [{"file_key": entry["file_key"], "checksum": put["checksum"], "size": 3000}]
    snapshot = json.dumps(confirm)
    done = pclient.confirm_presigned_upload(confirm)
    assert json.dumps(confirm) == snapshot
    assert done["created_count"] == 1 and done["results"][0]["success"] is True
    assert pclient.data_files.get(done["results"][0]["data_file_id"]).size == 3000


@pytest.mark.parametrize(
    ("call", "args", "error"),
    [
        ("request_presigned_upload", ([],), ValueError),
        ("request_presigned_upload", ({"filename": "a", "size": 1},), TypeError),
        ("request_presigned_upload", ([{"filename": "", "size": 1}],), ValueError),
        ("request_presigned_upload", ([{"filename": "a/b", "size": 1}],), ValueError),
        ("request_presigned_upload", ([{"filename": "a", "size": -1}],), ValueError),
        ("request_presigned_upload", ([{"filename": "a", "size": True}],), ValueError),
        ("request_presigned_upload", ([{"filename": "a", "size": 1, "x": 1}],), ValueError),
        ("confirm_presigned_upload", ([{"file_key": "k", "size": 1}],), ValueError),
        (
            "confirm_presigned_upload",
            ([{"file_key": "k", "checksum": "c", "size": "1"}],),
            ValueError,
        ),
        (
            "confirm_presigned_upload",
            ([{"file_key": "k", "checksum": "c", "size": 1, "multipart": {"upload_id": "u"}}],),
            ValueError,
        ),
        ("upload_file_to_presigned_url", (5, "x"), TypeError),
    ],
)
def test_official_raw_calls_check_their_input_before_any_io(
    backend: LocalBackend, pclient: BackendClient, call: str, args: Any, error: type
) -> None:
    before = len(backend.journal.entries())
    with pytest.raises(error):
        getattr(pclient, call)(*args)
    assert len(backend.journal.entries()) == before


@pytest.mark.parametrize("expiration", [0, 59, 86_401, True, 60.5])
def test_expiration_is_bounded(pclient: BackendClient, expiration: Any) -> None:
    with pytest.raises(ValueError, match="expiration"):
        pclient.request_presigned_upload(
            [{"filename": "a", "size": 1, "content_type": None}], expiration=expiration
        )


def test_upload_file_to_presigned_url_refuses_a_hostile_url_without_io(
    backend: LocalBackend, pclient: BackendClient, tmp_path: Path
) -> None:
    from synapse_sdk import OriginError

    path = _files(tmp_path, [10])[0]
    before = len(backend.journal.entries())
    with pytest.raises(OriginError):
        pclient.upload_file_to_presigned_url(f"http://u:p@127.0.0.1:{backend.port}/x", path)
    assert len(backend.journal.entries()) == before

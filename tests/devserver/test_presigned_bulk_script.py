"""End to end: a plain urllib3 script doing what the official client's ``upload_files_bulk``
does (batches, guessed MIME types, parallel storage PUTs without Synapse credentials, multipart
parts with ETags, confirm with SHA-1 checksums), then every data file downloads byte-identical
and the MD5 dedup check finds it."""

from __future__ import annotations

import hashlib
import json
import mimetypes
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import urllib3

from synapse_sdk.devserver import LocalBackend

from ._helpers import Api
from .presigned_support import CONFIRM, THRESHOLD, UPLOAD, backend, clock, papi, payload

__all__ = ["backend", "clock", "papi"]  # fixtures

BATCH = 3
WORKERS = 4


def upload_files_bulk(base: str, token: str, paths: list[Path]) -> list[dict[str, Any]]:
    """The official bulk flow, written against the wire protocol only."""
    api = urllib3.PoolManager(maxsize=WORKERS)
    storage = urllib3.PoolManager(maxsize=WORKERS)  # no Synapse headers ever reach it
    auth = {"Synapse-Access-Token": f"Token {token}", "Content-Type": "application/json"}

    def post(path: str, body: Any) -> Any:
        r = api.request(
            "POST",
            f"{base}/{path}",
            body=json.dumps(body).encode(),
            headers=auth,
            timeout=urllib3.Timeout(connect=5, read=120),
            retries=False,
        )
        assert r.status == 200, (path, r.status, r.data[:300])
        return r.json()

    def put(url: str, body: bytes, content_type: str | None) -> str:
        headers = {"Content-Type": content_type} if content_type else {}
        r = storage.request("PUT", url, body=body, headers=headers, timeout=300.0, retries=False)
        assert r.status // 100 == 2, (r.status, r.data)
        return str(r.headers.get("ETag", ""))

    results: list[dict[str, Any]] = []
    try:
        for start in range(0, len(paths), BATCH):
            batch = paths[start : start + BATCH]
            mimes = [mimetypes.guess_type(p.name)[0] for p in batch]
            answer = post(
                UPLOAD,
                {
                    "files": [
                        {"filename": p.name, "size": p.stat().st_size, "content_type": m}
                        for p, m in zip(batch, mimes, strict=True)
                    ],
                    "expiration": 3600,
                },
            )
            jobs: list[tuple[int, int | None, str, bytes, str | None]] = []
            for i, (path, entry) in enumerate(zip(batch, answer["files"], strict=True)):
                data = path.read_bytes()
                if entry["multipart"] is None:
                    jobs.append((i, None, entry["presigned_url"], data, mimes[i]))
                    continue
                size = entry["multipart"]["part_size"]
                for part in entry["multipart"]["parts"]:
                    n = part["part_number"]
                    jobs.append(
                        (i, n, part["presigned_url"], data[(n - 1) * size : n * size], None)
                    )
            with ThreadPoolExecutor(WORKERS) as pool:
                etags = list(pool.map(lambda job: put(job[2], job[3], job[4]), jobs))
            confirm = []
            for i, (path, entry) in enumerate(zip(batch, answer["files"], strict=True)):
                item: dict[str, Any] = {
                    "file_key": entry["file_key"],
                    "checksum": hashlib.sha1(path.read_bytes()).hexdigest(),
                    "size": path.stat().st_size,
                }
                if entry["multipart"] is not None:
                    parts = [
                        {"part_number": job[1], "etag": etag}
                        for job, etag in zip(jobs, etags, strict=True)
                        if job[0] == i
                    ]
                    item["multipart"] = {
                        "upload_id": entry["multipart"]["upload_id"],
                        "parts": parts,
                    }
                confirm.append(item)
            done = post(CONFIRM, {"files": confirm})
            assert done["failed_count"] == 0, done
            results.extend(done["results"])
    finally:
        api.clear()
        storage.clear()
    return results


def test_bulk_script(papi: Api, backend: LocalBackend, tmp_path: Path) -> None:
    sizes = {
        "a.txt": 10,
        "b.png": 2048,
        "c.json": 0,
        "big.bin": THRESHOLD + 5000,
        "d e (1).csv": 777,
        "huge.tar": 2 * THRESHOLD + 1,
        "f.unknownext": 33,
    }
    paths = []
    for i, (name, size) in enumerate(sizes.items()):
        path = tmp_path / name
        path.write_bytes(payload(size, seed=100 + i))
        paths.append(path)
    results = upload_files_bulk(backend.url, backend.api_token, paths)
    assert len(results) == len(paths) and all(r["success"] and r["created"] for r in results)
    ids = [r["data_file_id"] for r in results]
    assert len(set(ids)) == len(ids)
    for path, result in zip(paths, results, strict=True):
        data = path.read_bytes()
        assert result["checksum"] == hashlib.sha1(data).hexdigest()
        row = papi.ok("GET", f"data_files/{result['data_file_id']}/")
        assert row["size"] == len(data) and row["checksum"] == hashlib.md5(data).hexdigest()
        assert papi.pool.request("GET", row["file"], retries=False, timeout=10.0).data == data
    md5s = [hashlib.md5(p.read_bytes()).hexdigest() for p in paths]
    found = papi.ok("POST", "data_files/verify_checksums/", json={"checksums": md5s})
    assert sorted(found["existing_checksums"]) == sorted(set(md5s))
    puts = [e for e in backend.journal.entries() if e.method == "PUT"]
    assert len(puts) == 5 + 3 + 5  # five single PUTs, 3 + 5 parts
    assert all(e.path.startswith("_storage/") and e.status == 200 for e in puts)
    assert not any(
        k.lower() in ("synapse-access-token", "authorization") for e in puts for k in e.headers
    )

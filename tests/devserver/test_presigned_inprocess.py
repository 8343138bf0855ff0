"""Presigned uploads in process (``listen=False``: URLs on the caller's origin, served by the
same WSGI app) and concurrent confirms of one file (one data file, one ``created``)."""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

import urllib3
from werkzeug.test import Client

from synapse_sdk.devserver import LocalBackend

from ._helpers import Api
from .presigned_support import (
    CONFIRM,
    THRESHOLD,
    UPLOAD,
    backend,
    clock,
    papi,
    payload,
    put_parts,
    request_upload,
    spec,
)

__all__ = ["backend", "clock", "papi"]  # fixtures


def test_in_process_round_trip() -> None:
    with LocalBackend(
        seed="demo", listen=False, multipart_threshold=100, multipart_part_size=60
    ) as b:
        client = Client(b.wsgi_app)
        auth = {"Synapse-Access-Token": f"Token {b.api_token}"}
        data = bytes(range(150))
        r = client.post(
            f"/{UPLOAD}",
            base_url="http://testserver",
            headers=auth,
            json={"files": [{"filename": "w.bin", "size": 150, "content_type": None}]},
        )
        assert r.status_code == 200, r.data
        (entry,) = r.get_json()["files"]
        parts = []
        for part in entry["multipart"]["parts"]:
            url = part["presigned_url"]
            assert url.startswith("http://testserver/_storage/")
            n = part["part_number"]
            answer = client.put(url, data=data[(n - 1) * 60 : n * 60])
            assert answer.status_code == 200, answer.data
            parts.append({"part_number": n, "etag": answer.headers["ETag"]})
        assert len(parts) == 3
        item = {
            "file_key": entry["file_key"],
            "checksum": hashlib.sha1(data).hexdigest(),
            "size": 150,
            "multipart": {"upload_id": entry["multipart"]["upload_id"], "parts": parts},
        }
        r = client.post(f"/{CONFIRM}", headers=auth, json={"files": [item]})
        (result,) = r.get_json()["results"]
        assert result["success"], result
        row = client.get(f"/data_files/{result['data_file_id']}/", headers=auth).get_json()
        assert client.get(row["file"]).data == data
        assert [e.method for e in b.journal.entries()].count("PUT") == 3


def test_concurrent_confirms_create_one_data_file(papi: Api, pool: urllib3.PoolManager) -> None:
    # multipart, so that every confirm spends time assembling parts: the race is real
    data = payload(3 * THRESHOLD, seed=9)
    (entry,) = request_upload(papi, spec("c", len(data)))["files"]
    parts = put_parts(pool, entry["multipart"], data)
    multipart = {"upload_id": entry["multipart"]["upload_id"], "parts": parts}
    item = {
        "file_key": entry["file_key"],
        "checksum": hashlib.md5(data).hexdigest(),
        "size": len(data),
        "multipart": multipart,
    }
    body = json.dumps({"files": [item]}).encode()
    answers: list[dict[str, Any]] = []
    barrier = threading.Barrier(4, timeout=10)

    def worker() -> None:
        barrier.wait()
        r = pool.request(
            "POST",
            f"{papi.backend.url}/{CONFIRM}",
            body=body,
            retries=False,
            timeout=10.0,
            headers={**papi.backend.headers(), "Content-Type": "application/json"},
        )
        answers.append(r.json()["results"][0])

    before = papi.backend.store.count("data_files", 1)
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert not any(t.is_alive() for t in threads)
    assert len(answers) == 4 and all(a["success"] for a in answers)
    assert len({a["data_file_id"] for a in answers}) == 1
    assert sorted(a["created"] for a in answers) == [False, False, False, True]
    assert papi.backend.store.count("data_files", 1) == before + 1

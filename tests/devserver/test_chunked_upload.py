"""chunked_upload/ protocol (Content-Range chunks, offsets, md5 finalize)."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3

from synapse_sdk.devserver import LocalBackend

from ._helpers import Api


def put_chunk(api: Api, url: str, data: bytes, start: int, total: int, **kw: Any) -> Any:
    headers = {"Content-Range": f"bytes {start}-{start + len(data) - 1}/{total}"}
    headers.update(kw.pop("headers", {}))
    return api.put(
        url, fields={"filename": "big.bin", "file": ("file", data)}, headers=headers, **kw
    )


def upload(api: Api, data: bytes, chunk: int) -> dict[str, Any]:
    url, offset = "chunked_upload/", 0
    while offset < len(data):
        piece = data[offset : offset + chunk]
        r = put_chunk(api, url, piece, offset, len(data))
        assert r.status == 200, r.data
        body = r.json()
        url, offset = body["url"], body["offset"]
    return api.ok("POST", url, json={"md5": hashlib.md5(data).hexdigest()})


def test_multi_chunk_byte_identical(api: Api) -> None:
    data = os.urandom(3 * 700_000 + 123)  # parts above werkzeug's in-memory limit spool to disk
    done = upload(api, data, 700_000)
    assert done["status"] == 2 and done["completed_at"] and done["offset"] == len(data)
    assert done["checksum"] == hashlib.md5(data).hexdigest() and done["size"] == len(data)
    assert done["filename"] == "big.bin"
    state = api.ok("GET", f"chunked_upload/{done['id']}/")
    assert state["completed_at"] == done["completed_at"] and "checksum" not in state
    df = api.ok("POST", "data_files/", 201, json={"chunked_upload": done["id"]})
    assert df["checksum"] == hashlib.md5(data).hexdigest() and df["size"] == len(data)
    assert api.pool.request("GET", df["file"]).data == data
    again = api.ok("POST", "data_files/", 201, json={"chunked_upload": done["id"]})
    assert again["id"] != df["id"]
    model = api.ok("POST", "models/", 201, json={"name": "m", "chunked_upload": done["id"]})
    assert model["size"] == len(data) and api.pool.request("GET", model["file"]).data == data


def test_first_put_state(api: Api) -> None:
    r = put_chunk(api, "chunked_upload/", b"abcd", 0, 10)
    body = r.json()
    assert r.status == 200 and body["offset"] == 4 and body["status"] == 1
    assert body["url"] == f"{api.backend.url}/chunked_upload/{body['id']}/"
    assert body["completed_at"] is None and body["expires_at"] and body["created_at"]
    state = api.ok("GET", body["url"])
    assert state["offset"] == 4 and state["completed_at"] is None


@pytest.fixture
def started(api: Api) -> dict[str, Any]:
    return put_chunk(api, "chunked_upload/", b"abcd", 0, 8).json()


def test_offset_mismatch(api: Api, started: dict[str, Any]) -> None:
    r = put_chunk(api, started["url"], b"abcd", 0, 8)  # replayed chunk
    assert r.status == 400
    assert r.json() == {
        "detail": "Offsets do not match",
        "expected_offset": 4,
        "provided_offset": 0,
    }
    assert put_chunk(api, "chunked_upload/", b"ab", 2, 8).json()["expected_offset"] == 0


@pytest.mark.parametrize("header", [None, "bytes 4-7", "bytes=4-7/8", "items 4-7/8", "bytes a-b/8"])
def test_bad_content_range(api: Api, started: dict[str, Any], header: str | None) -> None:
    headers = {"Content-Range": header} if header else {}
    r = api.put(started["url"], fields={"file": ("file", b"efgh")}, headers=headers)
    assert r.status == 400 and r.json() == {"detail": "Error in request headers"}


def test_chunk_length_and_total(api: Api, started: dict[str, Any]) -> None:
    r = api.put(
        started["url"], fields={"file": ("file", b"ef")}, headers={"Content-Range": "bytes 4-7/8"}
    )
    assert r.json() == {"detail": "File size doesn't match headers: file size is 2 but 4 reported"}
    r = api.put(
        started["url"], fields={"file": ("file", b"efgh")}, headers={"Content-Range": "bytes 4-9/8"}
    )
    assert r.status == 400 and r.json()["detail"].startswith("End of chunk exceeds reported total")
    r = api.put(started["url"], fields={"filename": "x"}, headers={"Content-Range": "bytes 4-7/8"})
    assert r.json() == {"detail": "No chunk file was submitted"}


def test_md5_mismatch_missing_and_complete(api: Api, started: dict[str, Any]) -> None:
    put_chunk(api, started["url"], b"efgh", 4, 8)
    r = api.post(started["url"], json={"md5": "0" * 32})
    assert r.status == 400 and r.json() == {"detail": "checksum does not match"}
    r = api.post(started["url"], json={})
    assert r.status == 400 and r.json() == {"detail": "Checksum of type 'md5' is required"}
    api.ok("POST", started["url"], json={"md5": hashlib.md5(b"abcdefgh").hexdigest()})
    again = api.post(started["url"], json={"md5": hashlib.md5(b"abcdefgh").hexdigest()})
    assert again.status == 400
    assert again.json() == {"detail": 'Upload has already been marked as "complete"'}
    assert put_chunk(api, started["url"], b"ij", 8, 10).status == 400


def test_incomplete_upload_is_rejected_by_consumers(api: Api, started: dict[str, Any]) -> None:
    r = api.post("data_files/", json={"chunked_upload": started["id"]})
    assert r.status == 400 and "chunked_upload" in r.json()
    assert api.post("models/", json={"name": "m", "chunked_upload": started["id"]}).status == 400


def test_unknown_ids(api: Api) -> None:
    for path in ("chunked_upload/00000000-0000-0000-0000-000000000000/", "chunked_upload/zzz/"):
        assert api.get(path).status == 404
        assert api.post(path, json={"md5": "x"}).status == 404
        assert put_chunk(api, path, b"a", 0, 1).status == 404
    r = api.post("data_files/", json={"chunked_upload": "00000000-0000-0000-0000-000000000000"})
    assert r.status == 400


def test_other_tenant_upload(api: Api, started: dict[str, Any]) -> None:
    api.backend.create_tenant("t2")
    other = api.with_token(api.backend.create_user("t2", "bob"))
    assert other.get(started["url"]).status == 404
    assert put_chunk(other, started["url"], b"efgh", 4, 8).status == 404
    assert other.post(started["url"], json={"md5": "x"}).status == 404
    done = upload(api, b"xyz", 2)
    assert other.post("data_files/", json={"chunked_upload": done["id"]}).status == 400


def test_whole_file_post_and_empty(api: Api) -> None:
    data = b"one shot"
    r = api.ok(
        "POST",
        "chunked_upload/",
        fields={"file": ("file", data), "md5": hashlib.md5(data).hexdigest()},
    )
    assert r["status"] == 2 and r["size"] == len(data)
    empty = api.ok("POST", "chunked_upload/", json={"md5": hashlib.md5(b"").hexdigest()})
    assert empty["status"] == 2 and empty["size"] == 0 and empty["completed_at"]
    df = api.ok("POST", "data_files/", 201, json={"chunked_upload": empty["id"]})
    assert df["size"] == 0
    bad = api.post("chunked_upload/", fields={"file": ("file", data), "md5": "0" * 32})
    assert bad.json() == {"detail": "checksum does not match"}
    assert api.post("chunked_upload/", json={"md5": "1" * 32}).status == 400
    assert api.post("chunked_upload/", json={}).status == 400


@pytest.fixture
def expiring() -> Iterator[LocalBackend]:
    with LocalBackend(upload_expiry=0.2) as backend:
        yield backend


def test_expired(expiring: LocalBackend, pool: urllib3.PoolManager) -> None:
    api = Api(expiring, pool)
    started = put_chunk(api, "chunked_upload/", b"abcd", 0, 8).json()
    done = upload(api, b"ok", 1)
    time.sleep(0.3)
    expired = {"detail": "Upload has expired"}
    r = put_chunk(api, started["url"], b"efgh", 4, 8)
    assert r.status == 410 and r.json() == expired
    r = api.post(started["url"], json={"md5": hashlib.md5(b"abcd").hexdigest()})
    assert r.status == 410 and r.json() == expired
    assert api.get(started["url"]).status == 410
    assert api.get(done["url"]).status == 200  # completed uploads do not expire

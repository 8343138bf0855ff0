"""Presigned bulk upload on the local backend: request URLs, PUT to the object store, confirm.

Raw urllib3 throughout (no client code), against a backend whose multipart threshold is 1 MiB
with 512 KiB parts and whose clock the test sets.
"""

from __future__ import annotations

from datetime import datetime

import urllib3

from synapse_sdk.devserver import LocalBackend

from ._helpers import Api
from .presigned_support import (
    CONFIRM,
    PART,
    THRESHOLD,
    UPLOAD,
    Clock,
    backend,
    clock,
    confirm,
    md5,
    papi,
    payload,
    put,
    put_parts,
    request_upload,
    sha1,
    spec,
)

__all__ = ["backend", "clock", "papi"]  # fixtures


def download(api: Api, data_file_id: int) -> tuple[dict[str, object], bytes]:
    row = api.ok("GET", f"data_files/{data_file_id}/")
    r = api.pool.request("GET", str(row["file"]), retries=False, timeout=10.0)
    assert r.status == 200
    return row, r.data


def test_small_file_round_trip(papi: Api, pool: urllib3.PoolManager, clock: Clock) -> None:
    data = payload(3000)
    answer = request_upload(papi, spec("notes.txt", len(data), "text/plain"), expiration=600)
    (entry,) = answer["files"]
    assert entry["filename"] == "notes.txt" and entry["multipart"] is None
    url = entry["presigned_url"]
    assert url.startswith(f"{papi.backend.url}/_storage/") and "X-Signature=" in url
    assert entry["file_key"].endswith("/notes.txt")
    expires = datetime.fromisoformat(answer["expires_at"].replace("Z", "+00:00"))
    assert abs(expires.timestamp() - (clock.now + 600)) < 1.01

    r = put(pool, url, data, "text/plain")
    assert r.status == 200 and r.headers["ETag"] == f'"{md5(data)}"' and r.data == b""
    stored = papi.backend.journal.entries()[-1]
    assert stored.method == "PUT" and stored.path.startswith("_storage/")
    assert stored.body_size == len(data) and stored.committed and stored.status == 200
    assert not any(h.lower().startswith("synapse") for h in stored.headers)
    assert "X-Signature=***" in stored.query  # the URL's credential never reaches the journal

    done = confirm(papi, {"file_key": entry["file_key"], "checksum": sha1(data), "size": len(data)})
    assert done["created_count"] == 1 and done["failed_count"] == 0
    (result,) = done["results"]
    assert result["success"] is True and result["error"] is None and result["created"] is True
    assert result["file_key"] == entry["file_key"] and result["checksum"] == sha1(data)
    row, body = download(papi, result["data_file_id"])
    assert body == data
    assert row["checksum"] == md5(data) and row["size"] == len(data)  # same as POST data_files/


def test_multipart_round_trip(papi: Api, pool: urllib3.PoolManager) -> None:
    data = payload(THRESHOLD + 1000, seed=1)
    (entry,) = request_upload(papi, spec("big.bin", len(data)))["files"]
    assert entry["presigned_url"] is None
    multipart = entry["multipart"]
    assert multipart["part_size"] == PART
    assert [p["part_number"] for p in multipart["parts"]] == [1, 2, 3]
    parts = put_parts(pool, multipart, data)
    assert parts[2]["etag"] == f'"{md5(data[2 * PART :])}"'  # the short last part
    done = confirm(
        papi,
        {
            "file_key": entry["file_key"],
            "checksum": md5(data),
            "size": len(data),
            "multipart": {"upload_id": multipart["upload_id"], "parts": parts},
        },
    )
    (result,) = done["results"]
    assert result["success"], result
    assert download(papi, result["data_file_id"])[1] == data


def test_threshold_is_inclusive_for_single_puts(papi: Api) -> None:
    at, above = request_upload(papi, spec("a", THRESHOLD), spec("b", THRESHOLD + 1))["files"]
    assert at["presigned_url"] and at["multipart"] is None
    assert above["presigned_url"] is None and len(above["multipart"]["parts"]) == 3
    (empty,) = request_upload(papi, spec("empty", 0))["files"]
    assert empty["presigned_url"] and empty["multipart"] is None


def test_urls_use_the_request_host(papi: Api) -> None:
    url = f"http://localhost:{papi.backend.port}/{UPLOAD}"
    answer = papi.ok("POST", url, json={"files": [spec("x", 1), spec("y", THRESHOLD + 1)]})
    single, multi = answer["files"]
    assert single["presigned_url"].startswith(f"http://localhost:{papi.backend.port}/_storage/")
    part_url = multi["multipart"]["parts"][0]["presigned_url"]
    assert part_url.startswith(f"http://localhost:{papi.backend.port}/_storage/")


def test_repeated_put_overwrites(papi: Api, pool: urllib3.PoolManager) -> None:
    first, second = payload(100, seed=2), payload(100, seed=3)
    (entry,) = request_upload(papi, spec("f.bin", 100))["files"]
    assert put(pool, entry["presigned_url"], first).status == 200
    r = put(pool, entry["presigned_url"], second)
    assert r.status == 200 and r.headers["ETag"] == f'"{md5(second)}"'
    stale = confirm(papi, {"file_key": entry["file_key"], "checksum": md5(first), "size": 100})
    assert stale["results"][0]["success"] is False
    done = confirm(papi, {"file_key": entry["file_key"], "checksum": md5(second), "size": 100})
    assert download(papi, done["results"][0]["data_file_id"])[1] == second


def test_confirm_failures_are_per_file(papi: Api, pool: urllib3.PoolManager) -> None:
    good, bad = payload(50, seed=4), payload(60, seed=5)
    a, b, never = request_upload(papi, spec("a", 50), spec("b", 60), spec("c", 70))["files"]
    assert put(pool, a["presigned_url"], good).status == 200
    assert put(pool, b["presigned_url"], bad).status == 200
    before = papi.backend.store.count("data_files", 1)
    done = confirm(
        papi,
        {"file_key": a["file_key"], "checksum": sha1(good), "size": 50},
        {"file_key": b["file_key"], "checksum": sha1(good), "size": 60},  # wrong checksum
        {"file_key": b["file_key"], "checksum": md5(good), "size": 60},  # wrong md5
        {"file_key": b["file_key"], "checksum": md5(bad), "size": 61},  # wrong size
        {"file_key": b["file_key"], "checksum": "not-hex", "size": 60},
        {"file_key": never["file_key"], "checksum": md5(b""), "size": 70},  # never PUT
        {"file_key": "uploads/nope/x", "checksum": md5(b""), "size": 0},  # unknown key
    )
    ok, *failed = done["results"]
    assert ok["success"] and ok["created"] and isinstance(ok["data_file_id"], int)
    assert done["created_count"] == 1 and done["failed_count"] == 6
    errors = [r["error"] for r in failed]
    assert all(not r["success"] and r["data_file_id"] is None for r in failed)
    assert "checksum does not match" in errors[0] and "checksum does not match" in errors[1]
    assert "size" in errors[2] and "MD5 (32 hex digits)" in errors[3]
    assert "not uploaded" in errors[4] and "No presigned upload" in errors[5]
    assert papi.backend.store.count("data_files", 1) == before + 1


def _multipart_item(
    entry: dict[str, object], data: bytes, parts: list[dict[str, object]]
) -> dict[str, object]:
    multipart = entry["multipart"]
    assert isinstance(multipart, dict)
    return {
        "file_key": entry["file_key"],
        "checksum": sha1(data),
        "size": len(data),
        "multipart": {"upload_id": multipart["upload_id"], "parts": parts},
    }


def test_multipart_confirm_checks_every_part(papi: Api, pool: urllib3.PoolManager) -> None:
    data = payload(THRESHOLD + 10, seed=6)
    (entry,) = request_upload(papi, spec("m.bin", len(data)))["files"]
    multipart = entry["multipart"]
    first = multipart["parts"][0]["presigned_url"]
    assert put(pool, first, data[:PART], content_type=None).status == 200
    missing = confirm(
        papi,
        _multipart_item(
            entry,
            data,
            [
                {"part_number": 1, "etag": md5(data[:PART])},
                {"part_number": 2, "etag": md5(b"")},
                {"part_number": 3, "etag": md5(b"")},
            ],
        ),
    )["results"][0]
    assert missing["success"] is False and "Part 2 was not uploaded" in missing["error"]

    parts = put_parts(pool, multipart, data)
    wrong = [dict(p) for p in parts]
    wrong[1]["etag"] = md5(b"other")
    cases = {
        "ETag of part 2": wrong,
        "1 to 3": [parts[1], parts[0], parts[2]],
        "each once": parts[:2],
    }
    for message, given in cases.items():
        result = confirm(papi, _multipart_item(entry, data, given))["results"][0]
        assert result["success"] is False and message in result["error"], (message, result)
    no_multipart = {"file_key": entry["file_key"], "checksum": sha1(data), "size": len(data)}
    result = confirm(papi, no_multipart)["results"][0]
    assert "multipart (upload_id, parts) is required" in result["error"]
    foreign = _multipart_item(entry, data, parts)
    foreign["multipart"] = {"upload_id": "0" * 32, "parts": parts}
    assert "upload_id" in confirm(papi, foreign)["results"][0]["error"]
    # ETags are accepted quoted or bare, and the good description succeeds after the failures
    bare = [{"part_number": p["part_number"], "etag": str(p["etag"]).strip('"')} for p in parts]
    result = confirm(papi, _multipart_item(entry, data, bare))["results"][0]
    assert result["success"], result
    assert download(papi, result["data_file_id"])[1] == data


def test_single_upload_refuses_a_multipart_description(
    papi: Api, pool: urllib3.PoolManager
) -> None:
    (entry,) = request_upload(papi, spec("s", 3))["files"]
    assert put(pool, entry["presigned_url"], b"abc").status == 200
    item = {
        "file_key": entry["file_key"],
        "checksum": md5(b"abc"),
        "size": 3,
        "multipart": {"upload_id": "x", "parts": [{"part_number": 1, "etag": md5(b"abc")}]},
    }
    assert "not uploaded in parts" in confirm(papi, item)["results"][0]["error"]


def test_duplicate_confirm_is_idempotent(papi: Api, pool: urllib3.PoolManager) -> None:
    data = payload(10, seed=7)
    (entry,) = request_upload(papi, spec("d", 10))["files"]
    assert put(pool, entry["presigned_url"], data).status == 200
    item = {"file_key": entry["file_key"], "checksum": sha1(data), "size": 10}
    first = confirm(papi, item)["results"][0]
    count = papi.backend.store.count("data_files", 1)
    again = confirm(papi, item, {**item, "checksum": md5(data)})
    assert again["created_count"] == 0 and again["failed_count"] == 0
    for result in again["results"]:
        assert result["success"] and result["created"] is False
        assert result["data_file_id"] == first["data_file_id"]
    assert papi.backend.store.count("data_files", 1) == count
    wrong = confirm(papi, {**item, "checksum": md5(b"x")})["results"][0]
    assert wrong["success"] is False and wrong["data_file_id"] is None


def test_tenant_isolation(papi: Api, pool: urllib3.PoolManager, backend: LocalBackend) -> None:
    data = payload(20, seed=8)
    (entry,) = request_upload(papi, spec("t", 20))["files"]
    assert put(pool, entry["presigned_url"], data).status == 200
    backend.create_tenant("other")
    other = papi.with_token(backend.create_user("other", "eve"))
    item = {"file_key": entry["file_key"], "checksum": md5(data), "size": 20}
    stolen = confirm(other, item)["results"][0]
    assert stolen["success"] is False and "No presigned upload" in stolen["error"]
    mine = confirm(papi, item)["results"][0]
    assert mine["success"]
    assert other.get(f"data_files/{mine['data_file_id']}/").status == 404
    # a tenant without storages uploads to the local object store too
    (theirs,) = request_upload(other, spec("t", 20))["files"]
    assert "/_storage/" in theirs["presigned_url"]
    assert (
        theirs["presigned_url"].split("/_storage/")[1].split("/")[0]
        != (entry["presigned_url"].split("/_storage/")[1].split("/")[0])
    )


def test_auth_is_required(papi: Api) -> None:
    for path in (UPLOAD, CONFIRM):
        r = papi.post(path, json={"files": []}, auth=False)
        assert r.status == 401, r.data
        assert papi.with_token("bogus").post(path, json={"files": []}).status == 401


def test_default_storage_must_be_presigned_capable(papi: Api) -> None:
    papi.ok(
        "POST",
        "storages/",
        201,
        json={
            "name": "disk",
            "provider": "file_system",
            "category": "internal",
            "is_default": True,
        },
    )
    r = papi.post(UPLOAD, json={"files": [spec("x", 1)]})
    assert r.status == 400 and "does not support presigned uploads" in r.json()["detail"]
    papi.ok(
        "POST",
        "storages/",
        201,
        json={"name": "s3", "provider": "amazon_s3", "category": "internal", "is_default": True},
    )
    assert papi.post(UPLOAD, json={"files": [spec("x", 1)]}).status == 200


def test_demo_default_storage_is_minio(papi: Api) -> None:
    rows = papi.ok("GET", "storages/?category=internal")["results"]
    assert [(s["provider"], s["is_default"]) for s in rows] == [("minio", True)]


def test_urls_survive_a_restart_on_the_same_data_dir(
    tmp_path: object, pool: urllib3.PoolManager
) -> None:
    with LocalBackend(seed="demo", data_dir=str(tmp_path)) as first:
        (entry,) = request_upload(Api(first, pool), spec("r", 4))["files"]
        port = first.port
    with LocalBackend(seed="demo", data_dir=str(tmp_path)) as second:
        url = entry["presigned_url"].replace(f":{port}/", f":{second.port}/")
        assert put(pool, url, b"abcd").status == 200
        item = {"file_key": entry["file_key"], "checksum": md5(b"abcd"), "size": 4}
        assert confirm(Api(second, pool), item)["results"][0]["success"]

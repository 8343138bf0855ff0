"""The local object store's presigned PUTs: signatures, expiry, sizes, content types, S3-style
XML errors; the fault plane and journal on the storage path and the presigned routes; and
``python -m synapse_sdk.devserver`` serving all of it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import urllib3

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
    request_upload,
    spec,
    xml_code,
)

__all__ = ["backend", "clock", "papi"]  # fixtures


def with_query(url: str, **changes: str | None) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


def object_files(api: Api) -> list[Path]:
    root = api.backend.data_dir / "objects"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def single(api: Api, size: int, content_type: str | None = "application/octet-stream") -> str:
    (entry,) = request_upload(api, spec("o.bin", size, content_type))["files"]
    url: str = entry["presigned_url"]
    return url


def test_signature_is_checked(papi: Api, pool: urllib3.PoolManager) -> None:
    url = single(papi, 4)
    sig = parse_qs(urlsplit(url).query)["X-Signature"][0]
    tampered = {
        "signature": with_query(url, **{"X-Signature": ("0" if sig[0] != "0" else "1") + sig[1:]}),
        "expiry": with_query(url, **{"X-Expires": str(int(time.time()) + 10**6)}),
        "key": url.replace("/o.bin?", "/p.bin?"),
        "bucket": url.replace("/_storage/tenant-1/", "/_storage/tenant-2/"),
        "part of a single upload": with_query(url, partNumber="1", uploadId="x"),
    }
    for what, bad in tampered.items():
        r = put(pool, bad, b"abcd")
        assert r.status == 403 and xml_code(r) == "SignatureDoesNotMatch", (what, r.data)
    for missing in ("X-Signature", "X-Expires"):
        r = put(pool, with_query(url, **{missing: None}), b"abcd")
        assert r.status == 403 and xml_code(r) == "AccessDenied", missing
    assert object_files(papi) == []
    # Synapse credentials are neither needed nor a substitute for the signature
    r = put(pool, tampered["signature"], b"abcd", headers=papi.backend.headers())
    assert r.status == 403
    assert put(pool, url, b"abcd").status == 200


def test_expired_url(papi: Api, pool: urllib3.PoolManager, clock: Clock) -> None:
    answer = request_upload(papi, spec("e", 4), spec("m", THRESHOLD + 1), expiration=60)
    url = answer["files"][0]["presigned_url"]
    part_url = answer["files"][1]["multipart"]["parts"][0]["presigned_url"]
    clock.now += 59
    assert put(pool, url, b"abcd").status == 200
    clock.now += 2
    for target, body in ((url, b"abcd"), (part_url, payload(PART))):
        r = put(
            pool,
            target,
            body,
            content_type=None if target == part_url else "application/octet-stream",
        )
        assert r.status == 403 and xml_code(r) == "AccessDenied" and b"expired" in r.data


def test_body_length_must_equal_the_signed_size(papi: Api, pool: urllib3.PoolManager) -> None:
    url = single(papi, 10)
    short = put(pool, url, b"123456789")
    assert short.status == 400 and xml_code(short) == "IncompleteBody"
    long = put(pool, url, b"12345678901")
    assert long.status == 400 and xml_code(long) == "EntityTooLarge"
    assert object_files(papi) == []


def test_chunked_body_is_capped_at_the_signed_size(papi: Api, pool: urllib3.PoolManager) -> None:
    url = single(papi, 10)

    def blocks(n: int) -> Iterator[bytes]:
        for _ in range(n):
            yield b"x" * 5

    for n, code in ((3, "EntityTooLarge"), (1, "IncompleteBody")):
        r = pool.request(
            "PUT",
            url,
            body=blocks(n),
            chunked=True,
            retries=False,
            timeout=10.0,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert r.status == 400 and xml_code(r) == code
    assert object_files(papi) == []
    r = pool.request(
        "PUT",
        url,
        body=blocks(2),
        chunked=True,
        retries=False,
        timeout=10.0,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert r.status == 200 and r.headers["ETag"] == f'"{md5(b"x" * 10)}"'


def test_content_type_is_part_of_the_signature(papi: Api, pool: urllib3.PoolManager) -> None:
    url = single(papi, 2, "image/png")
    for wrong in ("image/jpeg", None, "image/png; charset=x"):
        r = put(pool, url, b"ab", content_type=wrong)
        assert r.status == 403 and xml_code(r) == "SignatureDoesNotMatch", wrong
    assert put(pool, url, b"ab", content_type="image/png").status == 200
    unsigned = single(papi, 2, None)  # content_type null: any Content-Type is accepted
    assert put(pool, unsigned, b"ab", content_type="text/whatever").status == 200
    assert put(pool, unsigned, b"ab", content_type=None).status == 200


def test_multipart_part_urls(papi: Api, pool: urllib3.PoolManager) -> None:
    (entry,) = request_upload(papi, spec("m", THRESHOLD + 7))["files"]
    first, second, last = (p["presigned_url"] for p in entry["multipart"]["parts"])
    assert "partNumber=1" in first and f"uploadId={entry['multipart']['upload_id']}" in first
    r = put(pool, last, payload(8), content_type=None)
    assert r.status == 400 and xml_code(r) == "EntityTooLarge"  # the last part has 7 bytes
    r = put(pool, first, payload(PART - 1), content_type=None)
    assert r.status == 400 and xml_code(r) == "IncompleteBody"
    for bad in (
        with_query(first, partNumber="2"),
        with_query(first, uploadId="0" * 32),
        with_query(first, partNumber="x"),
        with_query(first, partNumber="4"),
    ):
        r = put(pool, bad, payload(PART), content_type=None)
        assert r.status == 403 and xml_code(r) == "SignatureDoesNotMatch", bad
    whole = with_query(first, partNumber=None, uploadId=None)
    r = put(pool, whole, payload(THRESHOLD + 7))
    assert r.status == 403 and xml_code(r) == "SignatureDoesNotMatch"
    # parts carry no Content-Type in their signature
    r = put(pool, second, payload(PART), content_type="text/plain")
    assert r.status == 200 and r.headers["ETag"] == f'"{md5(payload(PART))}"'


def test_status_fault_on_the_storage_put(papi: Api, pool: urllib3.PoolManager) -> None:
    url = single(papi, 3)
    papi.backend.faults.add("status", method="PUT", path="_storage/*", status=503)
    r = put(pool, url, b"abc")
    assert r.status == 503
    entry = papi.backend.journal.entries()[-1]
    assert entry.fault == "status" and entry.committed is False and entry.body_size == 3
    assert object_files(papi) == []
    assert put(pool, url, b"abc").status == 200  # times=1: used up, the retry stores it
    assert papi.backend.journal.committed("PUT", entry.path) == 1


def test_reset_fault_on_the_storage_put(papi: Api, pool: urllib3.PoolManager) -> None:
    url = single(papi, 3)
    papi.backend.faults.add("reset_before", method="PUT", path="_storage/*")
    try:
        put(pool, url, b"abc")
    except urllib3.exceptions.ProtocolError:
        pass
    else:
        raise AssertionError("the reset fault did not reset the connection")
    assert papi.backend.journal.entries()[-1].status is None
    assert object_files(papi) == []


def test_faults_and_journal_on_the_presigned_routes(papi: Api, pool: urllib3.PoolManager) -> None:
    papi.backend.faults.add("status", method="POST", path=UPLOAD, status=429, retry_after="1")
    r = papi.post(UPLOAD, json={"files": [spec("x", 1)]})
    assert r.status == 429 and r.headers["Retry-After"] == "1"
    assert papi.backend.store.count("presigned_uploads", 1) == 0
    url = single(papi, 1)
    upload_entry = papi.backend.journal.entries()[-1]
    assert upload_entry.path == UPLOAD and upload_entry.committed and upload_entry.status == 200
    assert put(pool, url, b"z").status == 200
    file_key = "uploads/" + url.split("/uploads/", 1)[1].split("?", 1)[0]
    item = {"file_key": file_key, "checksum": md5(b"z"), "size": 1}
    papi.backend.faults.add("reset_after", method="POST", path=CONFIRM)
    try:
        papi.post(CONFIRM, json={"files": [item]})
    except urllib3.exceptions.ProtocolError:
        pass
    else:
        raise AssertionError("the reset_after fault did not reset the connection")
    entry = papi.backend.journal.entries()[-1]
    assert entry.path == CONFIRM and entry.status is None and entry.committed  # applied, unanswered
    again = confirm(papi, item)["results"][0]
    assert again["success"] and again["created"] is False  # the retry finds the data file


def test_cli_serves_presigned_uploads(tmp_path: Path, pool: urllib3.PoolManager) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "synapse_sdk.devserver",
            "--port",
            "0",
            "--seed",
            "demo",
            "--data-dir",
            str(tmp_path),
            "--multipart-threshold",
            "1000",
            "--multipart-part-size",
            "600",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # the first line names the URL
        match = re.search(r"listening on (http://\S+)", line)
        assert match, line
        base = match.group(1)
        token = ""
        for _ in range(10):
            extra = proc.stdout.readline()
            if "api token:" in extra:
                token = extra.split("api token:")[1].split()[0]
                break
        headers = {"Synapse-Access-Token": f"Token {token}", "Content-Type": "application/json"}
        body = b'{"files": [{"filename": "c.txt", "size": 1500, "content_type": null}]}'
        r = pool.request(
            "POST", f"{base}/{UPLOAD}", body=body, headers=headers, timeout=10.0, retries=False
        )
        assert r.status == 200, r.data
        multipart = r.json()["files"][0]["multipart"]
        assert [p["part_number"] for p in multipart["parts"]] == [1, 2, 3]
        assert multipart["parts"][0]["presigned_url"].startswith(f"{base}/_storage/")
        r = pool.request(
            "PUT",
            multipart["parts"][2]["presigned_url"],
            body=b"q" * 300,
            timeout=10.0,
            retries=False,
        )
        assert r.status == 200 and r.headers["ETag"] == f'"{md5(b"q" * 300)}"'
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate(timeout=5)


def test_client_vanishing_mid_body_stores_nothing(
    papi: Api, capfd: pytest.CaptureFixture[str]
) -> None:
    url = urlsplit(single(papi, 10))
    with socket.create_connection((url.hostname or "", url.port or 80), timeout=10) as sock:
        head = (
            f"PUT {url.path}?{url.query} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            "Content-Type: application/octet-stream\r\nContent-Length: 10\r\n\r\n"
        )
        sock.sendall(head.encode() + b"abc")
        sock.shutdown(socket.SHUT_WR)
        sock.recv(65536)  # whatever comes back (or nothing) before the server closes
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any(
        e.method == "PUT" for e in papi.backend.journal.entries()
    ):
        time.sleep(0.02)
    (entry,) = [e for e in papi.backend.journal.entries() if e.method == "PUT"]
    assert entry.committed is False and entry.body_size == 3
    assert object_files(papi) == []
    assert "Traceback" not in capfd.readouterr().err

"""Shared pieces of the presigned-upload tests: a backend with a small multipart threshold and
a clock the test advances, and raw urllib3 steps of the protocol."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3

from synapse_sdk.devserver import LocalBackend

from ._helpers import Api

THRESHOLD = 1024 * 1024  # multipart above 1 MiB
PART = 512 * 1024
UPLOAD = "data_files/presigned_upload/upload/"
CONFIRM = "data_files/presigned_upload/confirm_upload/"


class Clock:
    """A settable time source for the backend (``clock.now += 3601``)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def backend(clock: Clock) -> Iterator[LocalBackend]:
    with LocalBackend(
        seed="demo",
        job_duration=0.2,
        multipart_threshold=THRESHOLD,
        multipart_part_size=PART,
        clock=clock,
    ) as b:
        yield b


@pytest.fixture
def papi(backend: LocalBackend, pool: urllib3.PoolManager) -> Api:
    return Api(backend, pool)


def payload(size: int, seed: int = 0) -> bytes:
    """``size`` deterministic, non-repeating-looking bytes."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def request_upload(api: Api, *files: dict[str, Any], **extra: Any) -> dict[str, Any]:
    answer: dict[str, Any] = api.ok("POST", UPLOAD, json={"files": list(files), **extra})
    return answer


def spec(
    name: str, size: int, content_type: str | None = "application/octet-stream"
) -> dict[str, Any]:
    return {"filename": name, "size": size, "content_type": content_type}


def put(
    pool: urllib3.PoolManager,
    url: str,
    body: bytes,
    content_type: str | None = "application/octet-stream",
    headers: dict[str, str] | None = None,
) -> urllib3.BaseHTTPResponse:
    """A storage PUT as the official client sends it: no Synapse credentials."""
    hdrs = dict(headers or {})
    if content_type is not None:
        hdrs["Content-Type"] = content_type
    return pool.request("PUT", url, body=body, headers=hdrs, retries=False, timeout=10.0)


def put_parts(
    pool: urllib3.PoolManager, multipart: dict[str, Any], data: bytes
) -> list[dict[str, Any]]:
    """PUT every part of ``data``; return the ``parts`` of the confirm body."""
    size = multipart["part_size"]
    parts = []
    for part in multipart["parts"]:
        n = part["part_number"]
        r = put(pool, part["presigned_url"], data[(n - 1) * size : n * size], content_type=None)
        assert r.status == 200, r.data
        parts.append({"part_number": n, "etag": r.headers["ETag"]})
    return parts


def confirm(api: Api, *files: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = api.ok("POST", CONFIRM, json={"files": list(files)})
    return answer


def xml_code(r: urllib3.BaseHTTPResponse) -> str:
    """The ``<Code>`` of an S3-style error body."""
    text = r.data.decode()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>'), text
    assert r.headers["Content-Type"].startswith("application/xml")
    return text.split("<Code>", 1)[1].split("</Code>", 1)[0]

"""Fixtures and journal helpers for the upload/download tests (all against the local backend)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3

from synapse_sdk import RetryPolicy
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend

#: A small chunk so multi-chunk cases stay fast.
CHUNK = 64 * 1024


@pytest.fixture
def fast_client(synapse_backend: LocalBackend) -> Iterator[BackendClient]:
    """A client whose backoff sleeps are milliseconds (recovery paths sleep between polls)."""
    policy = RetryPolicy(backoff_initial=0.001, backoff_max=0.01)
    token = synapse_backend.api_token
    with BackendClient(synapse_backend.url, api_token=token, retries=policy) as c:
        yield c


@pytest.fixture
def make_file(tmp_path: Path) -> Any:
    """``make_file(size, name="f.bin") -> (path, bytes)`` with random content."""

    def make(size: int, name: str = "f.bin") -> tuple[Path, bytes]:
        data = os.urandom(size)
        path = tmp_path / name
        path.write_bytes(data)
        return path, data

    return make


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def entries(backend: LocalBackend, method: str | None = None, prefix: str = "") -> list[Any]:
    """Journal entries for ``method`` whose path starts with ``prefix``."""
    return [
        e
        for e in backend.journal.entries()
        if (method is None or e.method == method) and e.path.startswith(prefix)
    ]


def chunk_puts(backend: LocalBackend) -> list[Any]:
    return entries(backend, "PUT", "chunked_upload/")


def completed_uploads(backend: LocalBackend) -> int:
    """Committed finalize POSTs (``POST chunked_upload/...``): uploads completed on the server."""
    return backend.journal.committed("POST", "chunked_upload/*")


def stored_bytes(backend: LocalBackend, client: BackendClient, upload_id: str) -> bytes:
    """What the server holds for a completed upload, through a data file made from it."""
    data_file = client.data_files.create(chunked_upload=upload_id)
    assert data_file.file is not None
    return fetch(data_file.file)


def fetch(url: str) -> bytes:
    """GET a file URL anonymously."""
    pool = urllib3.PoolManager()
    try:
        response = pool.request("GET", url)
        assert response.status == 200, response.status
        return bytes(response.data)
    finally:
        pool.clear()

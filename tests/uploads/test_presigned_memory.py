"""A presigned upload streams from disk: memory stays at a few blocks whatever the file size
(single PUT and multipart), measured with tracemalloc against the in-process-served backend."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from synapse_sdk import BackendClient
from synapse_sdk.devserver import LocalBackend

MiB = 1024 * 1024


@pytest.fixture
def backend() -> Iterator[LocalBackend]:
    with LocalBackend(seed="demo", multipart_threshold=40 * MiB, multipart_part_size=16 * MiB) as b:
        yield b


@pytest.mark.parametrize("size", [32 * MiB, 48 * MiB], ids=["single-put", "multipart"])
def test_memory_stays_below_a_part(backend: LocalBackend, tmp_path: Path, size: int) -> None:
    path = tmp_path / "big.bin"
    sha1 = hashlib.sha1()
    with path.open("wb") as fh:
        for _ in range(size // (4 * MiB)):
            block = os.urandom(4 * MiB)
            sha1.update(block)
            fh.write(block)
    client = BackendClient(backend.url, api_token=backend.api_token)
    tracemalloc.start()
    try:
        report = client.uploads.presigned([path])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.ok, report[0].reason
    assert report[0].checksum == sha1.hexdigest()
    assert report[0].attempts == (1 if size < 40 * MiB else 3)
    # Python allocations of this process (client and in-process server) during the upload.
    assert peak < 8 * MiB, f"peak traced allocation {peak / MiB:.1f} MiB"

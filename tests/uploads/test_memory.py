"""Memory stays bounded by about one chunk whatever the file size (measured, not assumed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend
from synapse_sdk.uploads import ChunkedUploader

from .conftest import chunk_puts, completed_uploads

MiB = 1024 * 1024


def write_random(path: Path, size: int) -> str:
    import hashlib

    md5 = hashlib.md5()
    with path.open("wb") as fh:
        left = size
        while left:
            block = os.urandom(min(4 * MiB, left))
            md5.update(block)
            fh.write(block)
            left -= len(block)
    return md5.hexdigest()


@pytest.mark.parametrize("overlap", [False, True], ids=["sequential", "overlap"])
def test_64_mib_with_8_mib_chunks_allocates_less_than_one_chunk(
    client: BackendClient, synapse_backend: LocalBackend, tmp_path: Path, overlap: bool
) -> None:
    path = tmp_path / "big.bin"
    expected = write_random(path, 64 * MiB)
    uploader = ChunkedUploader(client._session, chunk_size=8 * MiB, overlap=overlap)
    tracemalloc.start()
    try:
        result = uploader.upload(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result["checksum"] == expected and result["size"] == 64 * MiB
    assert len(chunk_puts(synapse_backend)) == 8
    # Python allocations of this process (client and in-process server) during the upload:
    # a few 1 MiB blocks, never a chunk, let alone the file.
    assert peak < 8 * MiB, f"peak traced allocation {peak / MiB:.1f} MiB"


def test_overlap_mode_survives_drops(
    fast_client: BackendClient, synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    path = tmp_path / "f.bin"
    expected = write_random(path, 3 * MiB + 5)
    for kind in ("reset_before", "reset_after"):
        synapse_backend.faults.add(kind, method="PUT", path="chunked_upload/*/")
    uploader = ChunkedUploader(
        fast_client._session, chunk_size=MiB, overlap=True, block_size=256 * 1024
    )
    result = uploader.upload(path)
    assert result["checksum"] == expected and completed_uploads(synapse_backend) == 1


CHILD = """
import json, sys
def hwm(field):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
from synapse_sdk.clients.backend import BackendClient
url, token, path, chunk = sys.argv[1:5]
with BackendClient(url, api_token=token) as client:
    before = hwm("VmRSS")
    result = client.create_chunked_upload(path, chunk_size=int(chunk))
print(json.dumps({"before": before, "peak": hwm("VmHWM"), "md5": result["checksum"]}))
"""


@pytest.mark.slow
def test_300_mb_with_8_mb_chunks_peak_rss_in_a_subprocess(
    synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    """The issue's case: 300 MB, 8 MB chunks; the client runs alone in a subprocess."""
    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc to read the peak RSS")
    chunk = 8 * 1000 * 1000
    path = tmp_path / "huge.bin"
    expected = write_random(path, 300 * 1000 * 1000)
    args = [synapse_backend.url, synapse_backend.api_token, str(path), str(chunk)]
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["md5"] == expected
    growth = out["peak"] - out["before"]
    assert growth < 2 * chunk, f"RSS grew by {growth / MiB:.1f} MiB during the upload"
    assert out["peak"] < 2 * chunk + 50 * MiB
    assert completed_uploads(synapse_backend) == 1

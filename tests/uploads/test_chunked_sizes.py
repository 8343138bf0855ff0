"""Chunked upload of every size class: byte-identical on the server, one Content-Range per chunk,
exactly one completed upload; the seed call, the typed twin and progress reporting."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend
from synapse_sdk.uploads import ChunkedUpload

from .conftest import CHUNK, chunk_puts, completed_uploads, md5, stored_bytes

SIZES = {
    "empty": 0,
    "one byte": 1,
    "one chunk minus one": CHUNK - 1,
    "exactly one chunk": CHUNK,
    "one chunk plus one": CHUNK + 1,
    "k chunks": 3 * CHUNK,
    "k chunks plus one": 3 * CHUNK + 1,
}


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_sizes_are_byte_identical(
    client: BackendClient, synapse_backend: LocalBackend, make_file: Any, size: int
) -> None:
    path, data = make_file(size)
    synapse_backend.journal.clear()
    result = client.create_chunked_upload(path, chunk_size=CHUNK)
    assert result["checksum"] == md5(data) and result["size"] == size and result["completed_at"]
    puts = chunk_puts(synapse_backend)
    assert len(puts) == math.ceil(size / CHUNK)
    expected_ranges = [
        f"bytes {start}-{min(start + CHUNK, size) - 1}/{size}" for start in range(0, size, CHUNK)
    ]
    assert [e.headers.get("Content-Range") for e in puts] == expected_ranges
    assert completed_uploads(synapse_backend) == 1
    assert stored_bytes(synapse_backend, client, result["id"]) == data


def test_typed_twin_returns_a_chunked_upload(
    client: BackendClient, synapse_backend: LocalBackend, make_file: Any
) -> None:
    path, data = make_file(2 * CHUNK + 7)
    upload = client.uploads.chunked(path, chunk_size=CHUNK)
    assert isinstance(upload, ChunkedUpload)
    assert upload.size == len(data) and upload.checksum == md5(data)
    assert upload.completed_at is not None and upload.filename == "f.bin"
    assert stored_bytes(synapse_backend, client, str(upload.id)) == data


def test_unicode_names(
    client: BackendClient, synapse_backend: LocalBackend, make_file: Any
) -> None:
    path, data = make_file(CHUNK + 3, name="데이터 ☃ é.bin")
    result = client.create_chunked_upload(path, chunk_size=CHUNK)
    assert result["checksum"] == md5(data)
    assert stored_bytes(synapse_backend, client, result["id"]) == data
    data_file = client.uploads.data_file(path, chunked=False)
    assert data_file.checksum == md5(data)


def test_progress_callback_reaches_the_total(client: BackendClient, make_file: Any) -> None:
    path, data = make_file(5 * CHUNK + 11)
    seen: list[tuple[int, int]] = []
    client.create_chunked_upload(path, CHUNK, lambda sent, total: seen.append((sent, total)))
    assert seen[-1] == (len(data), len(data))
    assert all(total == len(data) for _, total in seen)
    assert [s for s, _ in seen] == sorted(s for s, _ in seen)  # never backwards without faults
    assert len(seen) >= 5


def test_progress_true_shows_a_bar(
    client: BackendClient, make_file: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = make_file(2 * CHUNK)
    client.create_chunked_upload(path, chunk_size=CHUNK, progress=True)
    assert "f.bin" in capsys.readouterr().err


def test_bad_chunk_size_fails_before_any_request(
    client: BackendClient, synapse_backend: LocalBackend, make_file: Any
) -> None:
    path, _ = make_file(10)
    synapse_backend.journal.clear()
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="chunk_size"):
            client.create_chunked_upload(path, chunk_size=bad)
    assert synapse_backend.journal.entries() == []


def test_data_file_from_chunked_upload(
    client: BackendClient, synapse_backend: LocalBackend, tmp_path: Path, make_file: Any
) -> None:
    path, data = make_file(3 * CHUNK)
    synapse_backend.journal.clear()
    data_file = client.uploads.data_file_json(path, chunked=True, chunk_size=CHUNK)
    assert data_file["checksum"] == md5(data) and data_file["size"] == len(data)
    assert len(chunk_puts(synapse_backend)) == 3

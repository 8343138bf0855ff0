"""``resume_chunked_upload(upload_id, path)``: continue from the server's offset, in another
process too, after checking the local file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.clients.exceptions import IntegrityError, NotFoundError
from synapse_sdk.devserver import LocalBackend

from .conftest import CHUNK, chunk_puts, completed_uploads, md5, stored_bytes

CHILD = """
import sys
from synapse_sdk.clients.backend import BackendClient
url, token, path, chunk = sys.argv[1:5]
with BackendClient(url, api_token=token) as client:
    client.create_chunked_upload(path, chunk_size=int(chunk))
"""


def start_upload(backend: LocalBackend, path: Path, chunks: int) -> str:
    """Upload ``chunks`` chunks with the first ``chunks`` PUTs, then stop (the rest fail)."""
    backend.faults.add("status", method="PUT", path="chunked_upload/*/", status=400, times=None)
    with (
        BackendClient(backend.url, api_token=backend.api_token) as client,
        pytest.raises(Exception) as info,
    ):
        client.create_chunked_upload(path, chunk_size=chunks * CHUNK)
    backend.faults.clear()
    upload_id = getattr(info.value, "upload_id", None)
    assert isinstance(upload_id, str)
    return upload_id


def test_resume_in_another_process_after_a_kill(
    synapse_backend: LocalBackend, make_file: Any, client: BackendClient
) -> None:
    """A process is killed mid-upload; a new one continues from the server's offset."""
    path, data = make_file(6 * CHUNK + 9)
    synapse_backend.faults.add(
        "latency", method="PUT", path="chunked_upload/*", seconds=0.15, times=None
    )
    args = [synapse_backend.url, synapse_backend.api_token, str(path), str(CHUNK)]
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while sum(e.committed for e in chunk_puts(synapse_backend)) < 2:
            assert time.monotonic() < deadline and child.poll() is None
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    synapse_backend.faults.clear()
    upload_id = next(
        e.path.split("/")[1] for e in chunk_puts(synapse_backend) if e.path != "chunked_upload/"
    )
    state = client.uploads.get_chunked(upload_id)
    assert 0 < state["offset"] < len(data) and state["completed_at"] is None
    synapse_backend.journal.clear()
    result = client.resume_chunked_upload(upload_id, path, chunk_size=CHUNK)
    remaining = -(-(len(data) - state["offset"]) // CHUNK)
    assert len(chunk_puts(synapse_backend)) == remaining
    assert result["checksum"] == md5(data) and result["id"] == upload_id
    assert completed_uploads(synapse_backend) == 1
    assert stored_bytes(synapse_backend, client, upload_id) == data


def test_resume_from_a_subprocess(
    synapse_backend: LocalBackend, make_file: Any, client: BackendClient
) -> None:
    path, data = make_file(5 * CHUNK)
    upload_id = start_upload(synapse_backend, path, 1)
    code = (
        "import sys, json\n"
        "from synapse_sdk.clients.backend import BackendClient\n"
        "with BackendClient(sys.argv[1], api_token=sys.argv[2]) as c:\n"
        "    print(json.dumps(c.resume_chunked_upload(sys.argv[3], sys.argv[4], chunk_size=65536)))"
    )
    args = [synapse_backend.url, synapse_backend.api_token, upload_id, str(path)]
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert md5(data) in done.stdout
    assert stored_bytes(synapse_backend, client, upload_id) == data


def test_resume_checks_the_local_file_first(
    synapse_backend: LocalBackend, make_file: Any, client: BackendClient, tmp_path: Path
) -> None:
    path, _ = make_file(4 * CHUNK)
    upload_id = start_upload(synapse_backend, path, 2)  # the server holds 2 chunks
    short = tmp_path / "short.bin"
    short.write_bytes(os.urandom(CHUNK))
    synapse_backend.journal.clear()
    with pytest.raises(ValueError, match="not this file"):
        client.resume_chunked_upload(upload_id, short)
    assert [e.method for e in synapse_backend.journal.entries()] == ["GET"]


def test_resume_with_another_file_of_the_same_size_never_completes(
    synapse_backend: LocalBackend, make_file: Any, client: BackendClient, tmp_path: Path
) -> None:
    path, data = make_file(4 * CHUNK)
    upload_id = start_upload(synapse_backend, path, 2)
    other = tmp_path / "other.bin"
    other.write_bytes(os.urandom(len(data)))
    with pytest.raises(IntegrityError):
        client.resume_chunked_upload(upload_id, other, chunk_size=CHUNK)
    assert completed_uploads(synapse_backend) == 0
    assert client.uploads.get_chunked(upload_id)["completed_at"] is None


def test_resume_a_completed_upload_returns_it(
    synapse_backend: LocalBackend, make_file: Any, client: BackendClient
) -> None:
    path, _ = make_file(CHUNK + 1)
    done = client.create_chunked_upload(path, chunk_size=CHUNK)
    synapse_backend.journal.clear()
    again = client.resume_chunked_upload(done["id"], path)
    assert again["completed_at"] == done["completed_at"]
    assert [e.method for e in synapse_backend.journal.entries()] == ["GET"]


def test_resume_bad_or_unknown_ids(
    synapse_backend: LocalBackend, make_file: Any, client: BackendClient
) -> None:
    path, _ = make_file(10)
    synapse_backend.journal.clear()
    for bad in ("..", "not-a-uuid", "7#x", 7):
        with pytest.raises((TypeError, ValueError)):
            client.resume_chunked_upload(bad, path)  # type: ignore[arg-type]
    assert synapse_backend.journal.entries() == []
    with pytest.raises(NotFoundError):
        client.resume_chunked_upload("1b4e28ba-2fa1-11d2-883f-0016d3cca427", path)


def test_typed_resume(synapse_backend: LocalBackend, make_file: Any, client: BackendClient) -> None:
    path, data = make_file(3 * CHUNK)
    upload_id = start_upload(synapse_backend, path, 1)
    upload = client.uploads.resume_chunked(upload_id, path, chunk_size=CHUNK)
    assert upload.id == upload_id and upload.checksum == md5(data) and upload.size == len(data)

"""Every upload fault of guides/reliability.md against the local backend: the result is
byte-identical, the journal shows exactly one completed upload, and a drop costs at most one
resent chunk."""

from __future__ import annotations

import time
from typing import Any

import pytest

from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.clients.exceptions import ClientError, HTTPError, IntegrityError
from synapse_sdk.devserver import LocalBackend

from .conftest import CHUNK, chunk_puts, completed_uploads, entries, md5, stored_bytes

CHUNKS = 4
APPEND = "chunked_upload/*/"  # PUT/POST on an existing upload (not the creating PUT)


def upload_with(
    client: BackendClient, backend: LocalBackend, make_file: Any, *faults: dict[str, Any]
) -> tuple[dict[str, Any], bytes]:
    path, data = make_file(CHUNKS * CHUNK - 5)
    backend.journal.clear()
    for fault in faults:
        backend.faults.add(**fault)
    result = client.create_chunked_upload(path, chunk_size=CHUNK)
    assert result["checksum"] == md5(data) and result["size"] == len(data)
    assert completed_uploads(backend) == 1
    return result, data


@pytest.mark.parametrize("kind", ["reset_before", "reset_after"])
def test_chunk_lost(
    fast_client: BackendClient, synapse_backend: LocalBackend, make_file: Any, kind: str
) -> None:
    result, data = upload_with(
        fast_client, synapse_backend, make_file, {"kind": kind, "method": "PUT", "path": APPEND}
    )
    puts = chunk_puts(synapse_backend)
    resent = len(puts) - CHUNKS
    # Lost before commit: that one chunk is sent again. Lost after commit: the server's offset
    # says it landed, so nothing is resent.
    assert resent == (1 if kind == "reset_before" else 0)
    gets = entries(synapse_backend, "GET", "chunked_upload/")
    assert len(gets) == 1  # one offset read per drop
    assert stored_bytes(synapse_backend, fast_client, result["id"]) == data


@pytest.mark.parametrize("kind", ["reset_before", "reset_after"])
def test_first_chunk_lost_starts_a_new_upload(
    fast_client: BackendClient, synapse_backend: LocalBackend, make_file: Any, kind: str
) -> None:
    result, data = upload_with(
        fast_client,
        synapse_backend,
        make_file,
        {"kind": kind, "method": "PUT", "path": "chunked_upload/"},
    )
    creates = [e for e in chunk_puts(synapse_backend) if e.path == "chunked_upload/"]
    assert len(creates) == 2 and len(chunk_puts(synapse_backend)) == CHUNKS + 1
    assert stored_bytes(synapse_backend, fast_client, result["id"]) == data


def test_finalize_lost_after_commit_is_rechecked_not_resent(
    fast_client: BackendClient, synapse_backend: LocalBackend, make_file: Any
) -> None:
    result, data = upload_with(
        fast_client,
        synapse_backend,
        make_file,
        {"kind": "reset_after", "method": "POST", "path": APPEND},
    )
    assert len(entries(synapse_backend, "POST", "chunked_upload/")) == 1
    assert result["completed_at"] and result["checksum"] == md5(data)
    assert stored_bytes(synapse_backend, fast_client, result["id"]) == data


def test_finalize_lost_before_commit_is_sent_once_more(
    fast_client: BackendClient, synapse_backend: LocalBackend, make_file: Any
) -> None:
    result, data = upload_with(
        fast_client,
        synapse_backend,
        make_file,
        {"kind": "reset_before", "method": "POST", "path": APPEND},
    )
    posts = entries(synapse_backend, "POST", "chunked_upload/")
    assert len(posts) == 2 and sum(e.committed for e in posts) == 1
    assert stored_bytes(synapse_backend, fast_client, result["id"]) == data


def test_checksum_mismatch_is_an_integrity_error(
    fast_client: BackendClient, synapse_backend: LocalBackend, make_file: Any
) -> None:
    path, _ = make_file(2 * CHUNK)
    synapse_backend.faults.add(
        "status",
        method="POST",
        path=APPEND,
        status=400,
        body={"detail": "checksum does not match"},
    )
    with pytest.raises(IntegrityError) as info:
        fast_client.create_chunked_upload(path, chunk_size=CHUNK)
    assert info.value.status_code == 400 and getattr(info.value, "upload_id", None)
    assert completed_uploads(synapse_backend) == 0


def test_file_changed_during_upload_is_never_completed(
    fast_client: BackendClient, synapse_backend: LocalBackend, make_file: Any
) -> None:
    path, data = make_file(3 * CHUNK)

    def tamper(sent: int, total: int) -> None:
        if sent == CHUNK:  # after the first chunk: same size, other bytes
            path.write_bytes(data[:CHUNK] + bytes(len(data) - CHUNK))

    with pytest.raises(IntegrityError, match="changed on disk"):
        fast_client.create_chunked_upload(path, CHUNK, tamper)
    assert completed_uploads(synapse_backend) == 0


def test_injected_expiry_restarts_once_from_byte_zero(
    fast_client: BackendClient, synapse_backend: LocalBackend, make_file: Any
) -> None:
    result, data = upload_with(
        fast_client,
        synapse_backend,
        make_file,
        {"kind": "status", "method": "PUT", "path": APPEND, "status": 410},
    )
    creates = [e for e in chunk_puts(synapse_backend) if e.path == "chunked_upload/"]
    assert len(creates) == 2
    assert stored_bytes(synapse_backend, fast_client, result["id"]) == data


def test_expiry_twice_is_raised(
    fast_client: BackendClient, synapse_backend: LocalBackend, make_file: Any
) -> None:
    path, _ = make_file(3 * CHUNK)
    synapse_backend.faults.add("status", method="PUT", path=APPEND, status=410, times=2)
    with pytest.raises(HTTPError) as info:
        fast_client.create_chunked_upload(path, chunk_size=CHUNK)
    assert info.value.status_code == 410
    assert completed_uploads(synapse_backend) == 0


def test_real_expiry_restarts(make_file: Any) -> None:
    """The server's own 410 (``upload_expiry``), not an injected one."""
    path, data = make_file(3 * CHUNK)
    with (
        LocalBackend(seed=None, upload_expiry=0.3) as backend,
        BackendClient(backend.url, api_token=backend.api_token) as client,
    ):
        waited: list[int] = []

        def slow_second_chunk(sent: int, total: int) -> None:
            # Called as the second chunk's bytes go out (before its request ends): the server
            # sees that chunk after the upload has expired.
            if sent >= 2 * CHUNK and not waited:
                waited.append(sent)
                time.sleep(0.4)

        result = client.create_chunked_upload(path, CHUNK, slow_second_chunk)
        assert result["checksum"] == md5(data)
        statuses = [e.status for e in backend.journal.entries() if e.method == "PUT"]
        assert 410 in statuses
        assert completed_uploads(backend) == 1
        assert stored_bytes(backend, client, result["id"]) == data


def test_ten_drops_across_chunks_and_finalize(
    fast_client: BackendClient, synapse_backend: LocalBackend, make_file: Any
) -> None:
    """reliability.md target: byte-identical, one completed record, <= one chunk per drop."""
    chunks = 8
    path, data = make_file(chunks * CHUNK - 123)
    synapse_backend.journal.clear()
    faults = [("reset_before", "PUT", "chunked_upload/")]  # the creating PUT
    faults += [("reset_before", "PUT", APPEND), ("reset_after", "PUT", APPEND)] * 4
    faults += [("reset_after", "POST", APPEND)]  # the finalize
    for kind, method, pattern in faults:
        synapse_backend.faults.add(kind, method=method, path=pattern)
    result = fast_client.create_chunked_upload(path, chunk_size=CHUNK)
    drops = [e for e in synapse_backend.journal.entries() if e.fault]
    assert len(drops) == 10
    assert result["checksum"] == md5(data) and result["size"] == len(data)
    assert completed_uploads(synapse_backend) == 1
    resent = len(chunk_puts(synapse_backend)) - chunks
    assert 0 <= resent <= len(drops)
    assert resent == 5  # exactly the drops before commit (4 appends + the create)
    assert stored_bytes(synapse_backend, fast_client, result["id"]) == data


def test_persistent_failure_gives_up_with_the_upload_id(
    fast_client: BackendClient, synapse_backend: LocalBackend, make_file: Any
) -> None:
    path, data = make_file(4 * CHUNK)
    synapse_backend.faults.add("reset_before", method="PUT", path=APPEND, times=None)
    with pytest.raises(ClientError) as info:
        fast_client.create_chunked_upload(path, chunk_size=CHUNK)
    upload_id = getattr(info.value, "upload_id", None)
    assert upload_id and "resume_chunked_upload" in str(info.value)
    assert len(chunk_puts(synapse_backend)) <= 1 + 6  # the create + max_stalls + 1 attempts
    synapse_backend.faults.clear()
    synapse_backend.journal.clear()
    result = fast_client.resume_chunked_upload(upload_id, path, chunk_size=CHUNK)
    assert len(chunk_puts(synapse_backend)) == 3  # only what the server did not have
    assert result["checksum"] == md5(data)
    assert stored_bytes(synapse_backend, fast_client, result["id"]) == data


@pytest.mark.parametrize(
    ("fault", "resent"),
    [
        ({"kind": "malformed_json"}, 1),  # handler not run: the chunk is sent again
        ({"kind": "html", "status": 502}, 1),
        ({"kind": "status", "status": 503}, 1),  # 503 = not processed: the session retries it
        ({"kind": "truncate"}, 0),  # stored, answer cut off: the offset says it landed
    ],
    ids=["malformed", "html 502", "503", "truncated answer"],
)
def test_garbled_or_failed_chunk_answers(
    fast_client: BackendClient,
    synapse_backend: LocalBackend,
    make_file: Any,
    fault: dict[str, Any],
    resent: int,
) -> None:
    result, data = upload_with(
        fast_client, synapse_backend, make_file, {**fault, "method": "PUT", "path": APPEND}
    )
    assert len(chunk_puts(synapse_backend)) - CHUNKS == resent
    assert stored_bytes(synapse_backend, fast_client, result["id"]) == data

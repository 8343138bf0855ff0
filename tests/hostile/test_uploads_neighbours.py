"""Attacks next to findings 8 and 1: lying finalize answers, expiry games, offsets that skip,
stall loops. Each ends in a typed error (or a correct upload), within a few requests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hostile_server import HostileServer
from test_uploads_kit import UPLOAD_ID, ChunkServer, Put, client_for, md5

from synapse_sdk import (
    ClientError,
    HTTPError,
    IntegrityError,
    ResponseValidationError,
    ServerError,
)

SIZE = 3 * 1024
CHUNK = 1024
MISMATCH = {"detail": "Offsets do not match"}


@pytest.fixture
def file(tmp_path: Path) -> Path:
    path = tmp_path / "f.bin"
    path.write_bytes(os.urandom(SIZE))
    return path


def finalize_with(**fields: Any) -> Any:
    def hook(server: ChunkServer, req: Any) -> tuple[int, Any]:
        server.honest_finalize(req)
        body = server.state(checksum=md5(bytes(server.data)), size=len(server.data))
        body.update(fields)
        return 200, body

    return hook


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"checksum": "0" * 32}, IntegrityError),
        ({"checksum": "ABC"}, IntegrityError),
        ({"size": SIZE - 1}, IntegrityError),
        ({"size": 10**30}, IntegrityError),
        ({"size": "3072"}, ResponseValidationError),
        ({"size": "abc"}, ResponseValidationError),
        ({"size": True}, ResponseValidationError),
        ({"size": -1}, ResponseValidationError),
        ({"checksum": 123}, ResponseValidationError),
        ({"checksum": ["x"]}, ResponseValidationError),
        ({"id": "11111111-2222-4333-8444-555555555555"}, ResponseValidationError),
        ({"id": "../x"}, ResponseValidationError),
    ],
    ids=lambda v: repr(v) if isinstance(v, dict) else v.__name__,
)
def test_finalize_answers_that_lie(
    hostile: HostileServer, file: Path, fields: dict[str, Any], error: type[ClientError]
) -> None:
    server = ChunkServer(hostile)
    server.on_finalize = finalize_with(**fields)
    with client_for(hostile) as client:
        with pytest.raises(error) as info:
            client.uploads.chunked(file, chunk_size=CHUNK)
        assert getattr(info.value, "upload_id", None) == UPLOAD_ID
        with pytest.raises(error):
            client.create_chunked_upload(file, CHUNK)
    assert len(server.finalizes) == 2  # one per call: a lie is never "fixed" by resending


@pytest.mark.parametrize("body", [[], None, "done", 1, [{"id": UPLOAD_ID}]])
def test_finalize_answer_not_an_object(hostile: HostileServer, file: Path, body: Any) -> None:
    server = ChunkServer(hostile)
    server.on_finalize = lambda s, req: (200, body)
    with client_for(hostile) as client, pytest.raises(ResponseValidationError):
        client.uploads.chunked(file, chunk_size=CHUNK)
    assert len(server.finalizes) == 1


def test_a_completed_state_with_the_wrong_size_is_not_success(
    hostile: HostileServer, file: Path
) -> None:
    """The finalize answer is lost; the GET says "completed" but holds fewer bytes."""
    server = ChunkServer(hostile)
    server.on_finalize = lambda s, req: (502, {"detail": "bad gateway"})
    server.on_get = lambda s, req: (
        200,
        s.state(completed_at="2024-01-01T00:00:00Z", offset=SIZE - 1),
    )
    with client_for(hostile) as client, pytest.raises(ClientError) as info:
        client.uploads.chunked(file, chunk_size=CHUNK)
    assert isinstance(info.value, (IntegrityError, ResponseValidationError)), repr(info.value)
    assert len(server.finalizes) == 1


@pytest.mark.parametrize(
    "expires", ["1999-01-01T00:00:00Z", "yesterday", 12, None, {"at": 1}], ids=repr
)
def test_expires_in_the_past_or_garbage_is_ignored(
    hostile: HostileServer, file: Path, expires: Any
) -> None:
    """``expires`` is a hint; the server's 410 decides. The upload completes, bytes identical."""
    server = ChunkServer(hostile)
    server.expires = expires
    with client_for(hostile) as client:
        upload = client.uploads.chunked(file, chunk_size=CHUNK)
    assert upload.id == UPLOAD_ID and bytes(server.data) == file.read_bytes()
    assert len(server.puts) == 3


def test_a_410_loop_restarts_once(hostile: HostileServer, file: Path) -> None:
    server = ChunkServer(hostile)
    server.on_put = lambda s, put: (
        (410, {"detail": "Upload has expired"}) if put.start else (s.data.clear(), None)[1]
    )
    with client_for(hostile) as client, pytest.raises(HTTPError) as info:
        client.uploads.chunked(file, chunk_size=CHUNK)
    assert info.value.status_code == 410
    assert len(server.puts) == 4  # create, 410, create again (the one restart), 410


def test_a_410_on_every_create_is_raised(hostile: HostileServer, file: Path) -> None:
    server = ChunkServer(hostile)
    server.on_put = lambda s, put: (410, {"detail": "Upload has expired"})
    with client_for(hostile) as client, pytest.raises(HTTPError):
        client.create_chunked_upload(file, CHUNK)
    assert len(server.puts) == 2


def test_a_410_loop_on_finalize_restarts_once(hostile: HostileServer, file: Path) -> None:
    server = ChunkServer(hostile)

    def reset(s: ChunkServer, put: Put) -> tuple[int, Any] | None:
        if put.start == 0:
            s.data.clear()
        return None

    server.on_put = reset
    server.on_finalize = lambda s, req: (410, {"detail": "Upload has expired"})
    with client_for(hostile) as client, pytest.raises(HTTPError):
        client.uploads.chunked(file, chunk_size=CHUNK)
    assert len(server.finalizes) == 2 and len(server.puts) == 6


@pytest.mark.parametrize("where", ["create", "append"])
def test_mismatch_at_the_same_offset_forever(
    hostile: HostileServer, file: Path, where: str
) -> None:
    """The server keeps saying "expected the offset you sent": no progress, bounded stalls."""
    server = ChunkServer(hostile)

    def hook(s: ChunkServer, put: Put) -> tuple[int, Any] | None:
        if where == "append" and len(s.puts) == 1:
            return None
        return 400, {**MISMATCH, "expected_offset": put.start}

    server.on_put = hook
    with client_for(hostile) as client, pytest.raises(ClientError):
        client.uploads.chunked(file, chunk_size=CHUNK)
    assert len(server.puts) <= 8


def test_a_chunk_that_always_fails_is_bounded(hostile: HostileServer, file: Path) -> None:
    server = ChunkServer(hostile)
    server.on_put = lambda s, put: None if len(s.puts) == 1 else (503, {"detail": "busy"})
    with client_for(hostile) as client, pytest.raises(ServerError) as info:
        client.uploads.chunked(file, chunk_size=CHUNK)
    assert getattr(info.value, "upload_id", None) == UPLOAD_ID
    assert len(server.puts) <= 1 + 6 * 4  # each attempt: 1 send + 3 session retries (503)


def test_forward_jump_after_a_lost_chunk_is_refused(hostile: HostileServer, file: Path) -> None:
    """The chunk's answer is lost, and the GET claims the whole file: bytes would be skipped."""
    server = ChunkServer(hostile)
    server.on_put = lambda s, put: None if len(s.puts) == 1 else (502, {"detail": "x"})
    server.on_get = lambda s, req: (200, s.state(offset=SIZE))
    with client_for(hostile) as client, pytest.raises(ResponseValidationError) as info:
        client.uploads.chunked(file, chunk_size=CHUNK)
    assert "never sent" in str(info.value) and server.finalizes == []


def test_the_assembled_bytes_equal_the_file_through_faults(
    hostile: HostileServer, file: Path
) -> None:
    """Control: a server that loses every other answer after storing the chunk still ends up
    with exactly the file (the SDK follows the offset, skips nothing, repeats nothing)."""
    server = ChunkServer(hostile)

    def lossy(s: ChunkServer, put: Put) -> tuple[int, Any] | None:
        answer = s.honest_put(put)
        return (502, {"detail": "lost"}) if len(s.puts) % 2 == 0 else answer

    server.on_put = lossy
    with client_for(hostile) as client:
        upload = client.uploads.chunked(file, chunk_size=CHUNK)
    assert bytes(server.data) == file.read_bytes() and upload.checksum == md5(file.read_bytes())

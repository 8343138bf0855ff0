"""Finding 8: a server that never lets a chunked upload finish must not make the SDK loop.

Every server here stops answering after 2,000 PUTs; the SDK must give up long before that, with a
typed error that names the upload and how to resume it, having sent a few KB for a 3 KB file.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from hostile_server import HostileServer
from test_uploads_kit import UPLOAD_ID, ChunkServer, Put, client_for

from synapse_sdk import ClientError, DeadlineExceededError, UploadStalledError

SIZE = 3 * 1024


@pytest.fixture
def file(tmp_path: Path) -> Path:
    path = tmp_path / "small.bin"
    path.write_bytes(os.urandom(SIZE))
    return path


def alternate(server: ChunkServer, put: Put) -> tuple[int, Any] | None:
    """Accept one chunk, then answer "Offsets do not match" with ``expected_offset: 0``."""
    if len(server.puts) % 2:
        return None
    server.data.clear()
    return 400, {"detail": "Offsets do not match", "expected_offset": 0}


def creep(server: ChunkServer, put: Put) -> tuple[int, Any] | None:
    """Keep one byte of every chunk: progress, but one byte per PUT."""
    if put.start != len(server.data):
        return server.honest_put(put)
    server.data += put.chunk[:1]
    return 200, server.state()


def bounce_200(server: ChunkServer, put: Put) -> tuple[int, Any] | None:
    """Store every chunk but answer every second one 200 with ``offset: 0`` (and forget)."""
    answer = server.honest_put(put)
    if len(server.puts) % 2 == 0:
        server.data.clear()
        return 200, server.state()
    return answer


def expect_stalled(
    server: ChunkServer, call: Any, *, chunk: int = 1024, puts: int = 10
) -> UploadStalledError:
    """The call raises ``UploadStalledError`` within 3 s, naming the upload, after at most
    ``puts`` PUTs and at most twice the file plus four chunks on the wire (the default budget)."""
    started = time.monotonic()
    with pytest.raises(ClientError) as info:
        call()
    elapsed = time.monotonic() - started
    assert len(server.puts) <= puts, f"{len(server.puts)} PUTs for a {SIZE}-byte file"
    assert server.sent_bytes() <= 2 * SIZE + 4 * min(chunk, SIZE), server.sent_bytes()
    assert elapsed < 3, elapsed
    err = info.value
    assert isinstance(err, UploadStalledError), repr(err)
    assert err.upload_id == UPLOAD_ID and UPLOAD_ID in str(err)
    assert f"resume_chunked_upload({UPLOAD_ID!r}, path)" in str(err)
    assert isinstance(err.offset, int) and "offset" in str(err)
    assert server.finalizes == []  # never completed
    return err


@pytest.mark.parametrize("api", ["typed", "seed"])
def test_alternating_accept_and_offset_zero_stops(
    hostile: HostileServer, file: Path, api: str
) -> None:
    server = ChunkServer(hostile)
    server.on_put = alternate
    with client_for(hostile) as client:
        if api == "typed":
            expect_stalled(server, lambda: client.uploads.chunked(file, chunk_size=1024))
        else:
            expect_stalled(server, lambda: client.create_chunked_upload(file, 1024))


def test_alternating_with_one_chunk_per_file_stops(hostile: HostileServer, file: Path) -> None:
    """Default chunk size: the whole 3 KB is one chunk; the server says "mismatch, 0" to half."""
    server = ChunkServer(hostile)
    server.on_put = lambda s, put: (
        (400, {"detail": "Offsets do not match", "expected_offset": 0}) if put.start else None
    )

    def short_ack(s: ChunkServer, put: Put) -> tuple[int, Any] | None:
        if len(s.puts) % 2:  # accept, but claim only half the chunk landed
            s.data[:] = put.chunk[: SIZE // 2]
            return 200, s.state()
        s.data.clear()
        return 400, {"detail": "Offsets do not match", "expected_offset": 0}

    server.on_put = short_ack
    with client_for(hostile) as client:
        expect_stalled(server, lambda: client.create_chunked_upload(file), chunk=SIZE)


def test_creeping_progress_is_bounded_by_bytes_sent(hostile: HostileServer, file: Path) -> None:
    """One byte of progress per 3 KB PUT: progress every time, so only a byte budget stops it."""
    server = ChunkServer(hostile)
    server.on_put = creep
    with client_for(hostile) as client:
        err = expect_stalled(server, lambda: client.uploads.chunked(file), chunk=SIZE)
    assert "bytes" in str(err)


def test_offset_reset_by_a_200_stops(hostile: HostileServer, file: Path) -> None:
    server = ChunkServer(hostile)
    server.on_put = bounce_200
    with client_for(hostile) as client:
        expect_stalled(server, lambda: client.uploads.chunked(file, chunk_size=1024))


def test_resend_budget_is_configurable(hostile: HostileServer, file: Path) -> None:
    server = ChunkServer(hostile)
    server.on_put = creep
    with client_for(hostile) as client, pytest.raises(UploadStalledError):
        client.uploads.chunked(file, max_resend=0.0)
    # No slack at all: the file once, plus the fixed allowance of chunks, nothing more.
    assert server.sent_bytes() <= SIZE + 4 * SIZE


def test_upload_deadline_bounds_a_slow_but_progressing_server(
    hostile: HostileServer, tmp_path: Path
) -> None:
    """Honest but slow (0.2 s per 1 KB chunk of 20 KB): ``deadline=1`` stops it at ~1 s."""
    path = tmp_path / "bigger.bin"
    path.write_bytes(os.urandom(20 * 1024))
    server = ChunkServer(hostile)

    def slow(s: ChunkServer, put: Put) -> tuple[int, Any] | None:
        time.sleep(0.2)
        return None

    server.on_put = slow
    started = time.monotonic()
    with client_for(hostile) as client, pytest.raises(DeadlineExceededError) as info:
        client.uploads.chunked(path, chunk_size=1024, deadline=1.0)
    assert time.monotonic() - started < 2.0
    assert 3 <= len(server.puts) <= 7
    err = info.value
    assert getattr(err, "upload_id", None) == UPLOAD_ID
    assert "resume_chunked_upload" in str(err)
    assert server.finalizes == []

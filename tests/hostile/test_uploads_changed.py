"""Finding 10d: a file that shrinks, grows or changes while it is uploaded raises
``IntegrityError`` naming the upload (so it can be resumed once the file is restored), through
the typed API, the seed API and ``resume_chunked_upload``; the upload is never completed.

The change is injected at a precise byte: the test wraps the SDK's incremental hasher (which sees
every block the upload reads) so the file is rewritten right after the block that crosses
``at`` was read. Uploads are 5 MiB with 2 MiB chunks and the SDK reads 1 MiB blocks, so a change
lands between chunks (``at=CHUNK``: the first chunk was read whole before the change) or mid-chunk
(``at=CHUNK + 1``: after the first block of the second chunk).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hostile_server import HostileServer
from test_uploads_kit import UPLOAD_ID, ChunkServer, client_for, md5, serve_collection

from synapse_sdk import IntegrityError
from synapse_sdk._transfer._hashing import IncrementalMD5
from synapse_sdk.clients.backend import BackendClient

MIB = 1024 * 1024
SIZE = 5 * MIB
CHUNK = 2 * MIB

CHANGES: dict[str, Callable[[Path, bytes], None]] = {
    "shrinks": lambda path, data: path.write_bytes(data[: MIB + MIB // 2]),
    "shrinks to nothing": lambda path, data: path.write_bytes(b""),
    "grows": lambda path, data: path.write_bytes(data + b"more"),
    "rewritten, same size": lambda path, data: path.write_bytes(bytes(len(data))),
}


@pytest.fixture
def file(tmp_path: Path) -> tuple[Path, bytes]:
    data = os.urandom(SIZE)
    path = tmp_path / "scan.tif"
    path.write_bytes(data)
    return path, data


def change_at(
    monkeypatch: pytest.MonkeyPatch, path: Path, data: bytes, at: int, how: str
) -> list[int]:
    """Rewrite ``path`` (per ``CHANGES[how]``) once a block ending past byte ``at`` was read."""
    done: list[int] = []
    feed = IncrementalMD5.feed

    def patched(self: IncrementalMD5, start: int, block: Any) -> None:
        feed(self, start, block)
        if not done and start + len(block) >= at:
            done.append(start)
            stat = path.stat()
            CHANGES[how](path, data)
            # Same size and mtime would be invisible to any cheap check; make the mtime move.
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))

    monkeypatch.setattr(IncrementalMD5, "feed", patched)
    return done


def chunked_calls() -> dict[str, Callable[[BackendClient, Path], Any]]:
    return {
        "typed chunked": lambda c, p: c.uploads.chunked(p, chunk_size=CHUNK),
        "seed create_chunked_upload": lambda c, p: c.create_chunked_upload(p, CHUNK),
        "typed data_file chunked": lambda c, p: c.uploads.data_file(
            p, chunked=True, chunk_size=CHUNK
        ),
        "typed create_model": lambda c, p: c.uploads.create_model("m", file=p, chunk_size=CHUNK),
    }


CHUNKED = chunked_calls()
DIRECT = {
    "seed create_data_file": lambda c, p: c.create_data_file(p),
    "seed upload_data_file": lambda c, p: c.upload_data_file({"files": {"image_1": p}}, 1),
    "typed data_file": lambda c, p: c.uploads.data_file(p),
}


def assert_names_upload(err: IntegrityError, path: Path) -> None:
    text = str(err)
    assert err.upload_id == UPLOAD_ID  # type: ignore[attr-defined]
    assert UPLOAD_ID in text and "changed" in text and str(path) in text
    assert f"resume_chunked_upload({UPLOAD_ID!r}, path)" in text


@pytest.mark.parametrize("how", CHANGES, ids=list(CHANGES))
@pytest.mark.parametrize("at", [CHUNK, CHUNK + 1], ids=["between chunks", "mid-chunk"])
@pytest.mark.parametrize("call", CHUNKED.values(), ids=CHUNKED.keys())
def test_chunked_upload_of_a_changing_file(
    hostile: HostileServer,
    file: tuple[Path, bytes],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
    at: int,
    call: Callable[[BackendClient, Path], Any],
) -> None:
    path, data = file
    server = ChunkServer(hostile)
    changed = change_at(monkeypatch, path, data, at, how)
    with client_for(hostile) as client, pytest.raises(IntegrityError) as info:
        call(client, path)
    assert changed
    assert_names_upload(info.value, path)
    assert server.finalizes == [] and not server.completed
    assert bytes(server.data) == data[: len(server.data)]  # what the server holds is the original


@pytest.mark.parametrize("how", CHANGES, ids=list(CHANGES))
def test_a_change_in_the_first_chunk_names_the_file(
    hostile: HostileServer, file: tuple[Path, bytes], monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """Before the server answered the first chunk there is no upload id: the file is named."""
    path, data = file
    server = ChunkServer(hostile)
    change_at(monkeypatch, path, data, 1, how)
    with client_for(hostile) as client, pytest.raises(IntegrityError) as info:
        client.uploads.chunked(path, chunk_size=CHUNK)
    assert str(path) in str(info.value) and "changed" in str(info.value)
    assert server.finalizes == []


@pytest.mark.parametrize("how", CHANGES, ids=list(CHANGES))
@pytest.mark.parametrize("call", DIRECT.values(), ids=DIRECT.keys())
def test_direct_data_file_of_a_changing_file(
    hostile: HostileServer,
    file: tuple[Path, bytes],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
    call: Callable[[BackendClient, Path], Any],
) -> None:
    path, data = file
    ChunkServer(hostile)
    change_at(monkeypatch, path, data, MIB, how)
    with client_for(hostile) as client, pytest.raises(IntegrityError) as info:
        call(client, path)
    assert str(path) in str(info.value) and "changed" in str(info.value)


@pytest.mark.parametrize("how", CHANGES, ids=list(CHANGES))
def test_resume_of_a_changing_file(
    hostile: HostileServer, file: tuple[Path, bytes], monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """The server holds the first chunk; the file changes while the rest is sent."""
    path, data = file
    server = ChunkServer(hostile)
    server.data += data[:CHUNK]
    change_at(monkeypatch, path, data, CHUNK + 1, how)
    with client_for(hostile) as client, pytest.raises(IntegrityError) as info:
        client.resume_chunked_upload(UPLOAD_ID, path, CHUNK)
    assert_names_upload(info.value, path)
    assert server.finalizes == []


def test_after_restoring_the_file_the_upload_resumes(
    hostile: HostileServer, file: tuple[Path, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the error message promises: restore the file, resume, and it completes."""
    path, data = file
    server = ChunkServer(hostile)
    change_at(monkeypatch, path, data, CHUNK + 1, "shrinks")
    with client_for(hostile) as client:
        with pytest.raises(IntegrityError) as info:
            client.create_chunked_upload(path, CHUNK)
        monkeypatch.undo()
        path.write_bytes(data)
        result = client.resume_chunked_upload(info.value.upload_id, path, CHUNK)  # type: ignore[attr-defined]
    assert result["id"] == UPLOAD_ID and bytes(server.data) == data and server.completed


# -- collection.upload -------------------------------------------------------------------------


@pytest.fixture
def png(tmp_path: Path) -> tuple[Path, bytes]:
    data = b"\x89PNG" + os.urandom(SIZE - 4)
    path = tmp_path / "scan.png"
    path.write_bytes(data)
    return path, data


def _collection_upload(hostile: HostileServer, path: Path) -> Any:
    ChunkServer(hostile)
    serve_collection(hostile)
    with client_for(hostile) as client:
        collection = client.data_collections.get(1)
        report = collection.upload([path])
    assert hostile.requests("/data_units/") == []  # no unit was ever asked for
    return report


@pytest.mark.parametrize("how", CHANGES, ids=list(CHANGES))
def test_collection_upload_of_a_file_changing_while_sent(
    hostile: HostileServer, png: tuple[Path, bytes], monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    path, data = png
    # The dedup hash reads the file unpatched; the change comes while the file is sent.
    monkeypatch.setattr("synapse_sdk._transfer._batch.file_md5", lambda p, *a: md5(p.read_bytes()))
    changed = change_at(monkeypatch, path, data, MIB, how)
    report = _collection_upload(hostile, path)
    assert changed and not report.ok
    (item,) = report.failed
    assert "IntegrityError" in (item.reason or "") and "changed" in (item.reason or "")


@pytest.mark.parametrize("how", ["grows", "rewritten, same size"])
def test_collection_upload_of_a_file_changed_after_hashing(
    hostile: HostileServer, png: tuple[Path, bytes], monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """The file changes between the dedup hash and the upload (and is stable while sent): the
    unit would name a checksum the server's data file does not have. The item fails, saying
    the file changed, and no unit is requested."""
    path, data = png

    def hash_then_change(p: Path, *args: Any) -> str:
        checksum = md5(p.read_bytes())
        stat = p.stat()
        CHANGES[how](p, data)
        os.utime(p, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        return checksum

    monkeypatch.setattr("synapse_sdk._transfer._batch.file_md5", hash_then_change)
    report = _collection_upload(hostile, path)
    assert not report.ok
    (item,) = report.failed
    assert "changed" in (item.reason or ""), item.reason

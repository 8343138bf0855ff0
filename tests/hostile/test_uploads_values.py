"""Finding 8 (second half): every value a chunked-upload server supplies is checked before the SDK
builds a request from it. A hostile ``offset``, ``expected_offset``, ``id`` or ``url`` raises a
typed error and no further request is sent."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hostile_server import HostileServer
from test_uploads_kit import UPLOAD_ID, ChunkServer, Put, client_for

from synapse_sdk import ClientError, OriginError, ResponseValidationError

SIZE = 3 * 1024
CHUNK = 1024

BAD_OFFSETS = {
    "negative": -1,
    "past the end": SIZE + 1,
    "huge": 10**30,
    "string": "1024",
    "bool": True,
    "float": 1024.0,
    "null": None,
    "list": [1024],
}
BAD_IDS = {
    "missing": ...,
    "null": None,
    "bool": True,
    "float": 1.5,
    "list": ["x"],
    "empty": "",
    "slash": "a/b",
    "dotdot": "..",
    "traversal": "../../tasks/1",
    "crlf": "x\r\nHost: evil",
    "nul": "x\x00",
    "space": "a b",
    "query": "x?y",
    "fragment": "x#y",
    "percent": "%2e%2e",
    "backslash": "a\\b",
    "zero": 0,
    "negative": -7,
    "too long": "a" * 300,
}
BAD_URL_VALUES = {
    "int": 12,
    "list": ["http://x/"],
    "dict": {"href": "x"},
    "bool": True,
    "empty": "",
}


@pytest.fixture
def file(tmp_path: Path) -> Path:
    path = tmp_path / "f.bin"
    path.write_bytes(os.urandom(SIZE))
    return path


def first_answer(body: dict[str, Any]) -> Any:
    """A hook answering the first PUT with ``body`` (the honest state with changes)."""

    def hook(server: ChunkServer, put: Put) -> tuple[int, Any] | None:
        server.honest_put(put)
        state = server.state()
        for key, value in body.items():
            if value is ...:
                state.pop(key, None)
            else:
                state[key] = value
        return 200, state

    return hook


def assert_refused(hostile: HostileServer, info: pytest.ExceptionInfo[ClientError], n: int) -> None:
    assert isinstance(info.value, (ResponseValidationError, OriginError)), repr(info.value)
    assert len(hostile.journal) == n, [(r.method, r.target) for r in hostile.journal]


@pytest.mark.parametrize("value", BAD_OFFSETS.values(), ids=BAD_OFFSETS.keys())
def test_bad_offset_in_a_chunk_answer(hostile: HostileServer, file: Path, value: Any) -> None:
    server = ChunkServer(hostile)
    server.on_put = first_answer({"offset": value})
    with client_for(hostile) as client, pytest.raises(ClientError) as info:
        client.uploads.chunked(file, chunk_size=CHUNK)
    assert_refused(hostile, info, 1)
    assert "offset" in str(info.value)


@pytest.mark.parametrize("value", BAD_OFFSETS.values(), ids=BAD_OFFSETS.keys())
def test_bad_expected_offset(hostile: HostileServer, file: Path, value: Any) -> None:
    server = ChunkServer(hostile)

    def hook(s: ChunkServer, put: Put) -> tuple[int, Any] | None:
        if len(s.puts) == 1:
            return None
        return 400, {"detail": "Offsets do not match", "expected_offset": value}

    server.on_put = hook
    with client_for(hostile) as client, pytest.raises(ClientError) as info:
        client.create_chunked_upload(file, CHUNK)
    assert_refused(hostile, info, 2)
    assert "expected_offset" in str(info.value)
    assert getattr(info.value, "upload_id", None) == UPLOAD_ID


@pytest.mark.parametrize("value", BAD_OFFSETS.values(), ids=BAD_OFFSETS.keys())
def test_bad_offset_in_the_state_after_a_lost_chunk(
    hostile: HostileServer, file: Path, value: Any
) -> None:
    server = ChunkServer(hostile)
    server.on_put = lambda s, put: None if len(s.puts) == 1 else (502, {"detail": "bad gateway"})
    server.on_get = lambda s, req: (200, s.state(offset=value))
    with client_for(hostile) as client, pytest.raises(ClientError) as info:
        client.uploads.chunked(file, chunk_size=CHUNK)
    assert_refused(hostile, info, 3)  # create, the lost chunk, the GET: nothing after


@pytest.mark.parametrize("value", BAD_OFFSETS.values(), ids=BAD_OFFSETS.keys())
def test_bad_offset_when_resuming(hostile: HostileServer, file: Path, value: Any) -> None:
    server = ChunkServer(hostile)
    server.on_get = lambda s, req: (200, s.state(offset=value))
    with client_for(hostile) as client:
        if isinstance(value, int) and not isinstance(value, bool) and value > SIZE:
            # More bytes than the local file: documented as ValueError ("not this file").
            with pytest.raises(ValueError, match="not this file"):
                client.resume_chunked_upload(UPLOAD_ID, file, CHUNK)
            assert len(hostile.journal) == 1
            return
        with pytest.raises(ClientError) as info:
            client.resume_chunked_upload(UPLOAD_ID, file, CHUNK)
    assert_refused(hostile, info, 1)


@pytest.mark.parametrize("with_url", [True, False], ids=["with url", "without url"])
@pytest.mark.parametrize("value", BAD_IDS.values(), ids=BAD_IDS.keys())
def test_bad_upload_id(hostile: HostileServer, file: Path, value: Any, with_url: bool) -> None:
    server = ChunkServer(hostile)
    server.on_put = first_answer({"id": value, **({} if with_url else {"url": ...})})
    with client_for(hostile) as client, pytest.raises(ClientError) as info:
        client.uploads.chunked(file, chunk_size=CHUNK)
    assert_refused(hostile, info, 1)
    assert "id" in str(info.value)
    assert getattr(info.value, "upload_id", None) is None  # a hostile id is never echoed as one


def test_an_id_that_changes_between_chunks(hostile: HostileServer, file: Path) -> None:
    server = ChunkServer(hostile)
    other = "11111111-2222-4333-8444-555555555555"

    def hook(s: ChunkServer, put: Put) -> tuple[int, Any] | None:
        answer = s.honest_put(put)
        if len(s.puts) == 2:
            return 200, {**answer[1], "id": other, "url": f"{s.srv.url}/chunked_upload/{other}/"}
        return answer

    server.on_put = hook
    with client_for(hostile) as client, pytest.raises(ClientError) as info:
        client.uploads.chunked(file, chunk_size=CHUNK)
    assert_refused(hostile, info, 2)
    assert getattr(info.value, "upload_id", None) == UPLOAD_ID


def test_a_state_answer_for_another_upload_is_refused(hostile: HostileServer, file: Path) -> None:
    server = ChunkServer(hostile)
    server.on_get = lambda s, req: (200, s.state(id="11111111-2222-4333-8444-555555555555"))
    with client_for(hostile) as client, pytest.raises(ClientError) as info:
        client.resume_chunked_upload(UPLOAD_ID, file, CHUNK)
    assert_refused(hostile, info, 1)


@pytest.mark.parametrize("value", BAD_URL_VALUES.values(), ids=BAD_URL_VALUES.keys())
def test_bad_url_values(hostile: HostileServer, file: Path, value: Any) -> None:
    server = ChunkServer(hostile)
    server.on_put = first_answer({"url": value})
    with client_for(hostile) as client, pytest.raises(ClientError) as info:
        client.uploads.chunked(file, chunk_size=CHUNK)
    assert_refused(hostile, info, 1)
    assert "url" in str(info.value)


@pytest.mark.parametrize("body", [[], None, "ok", 3, [{"id": UPLOAD_ID, "offset": CHUNK}]])
def test_a_chunk_answer_that_is_not_an_object(
    hostile: HostileServer, file: Path, body: Any
) -> None:
    server = ChunkServer(hostile)
    server.on_put = lambda s, put: (s.honest_put(put), (200, body))[1]
    with client_for(hostile) as client, pytest.raises(ClientError) as info:
        client.uploads.chunked(file, chunk_size=CHUNK)
    assert isinstance(info.value, ResponseValidationError)
    assert len(server.puts) == 1  # no id came back: nothing addressable, no guessing


def test_an_offset_past_what_was_sent_is_refused(hostile: HostileServer, file: Path) -> None:
    """The server claims 2 KB after a 1 KB chunk: the SDK would skip a KB; it refuses."""
    server = ChunkServer(hostile)

    def hook(s: ChunkServer, put: Put) -> tuple[int, Any] | None:
        s.honest_put(put)
        return 200, s.state(offset=2 * CHUNK)

    server.on_put = hook
    with client_for(hostile) as client, pytest.raises(ResponseValidationError) as info:
        client.uploads.chunked(file, chunk_size=CHUNK)
    assert len(hostile.journal) == 1 and "never sent" in str(info.value)
    assert getattr(info.value, "upload_id", None) == UPLOAD_ID


def test_an_expected_offset_past_what_was_sent_is_refused(
    hostile: HostileServer, file: Path
) -> None:
    server = ChunkServer(hostile)

    def hook(s: ChunkServer, put: Put) -> tuple[int, Any] | None:
        if len(s.puts) == 1:
            return None
        return 400, {"detail": "Offsets do not match", "expected_offset": 3 * CHUNK}

    server.on_put = hook
    with client_for(hostile) as client, pytest.raises(ResponseValidationError):
        client.uploads.chunked(file, chunk_size=CHUNK)
    assert len(hostile.journal) == 2 and server.finalizes == []

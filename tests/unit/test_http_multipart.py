"""Multipart encoding, parsed back with the stdlib email parser (no sockets)."""

from __future__ import annotations

import email.parser
import email.policy

import pytest

from synapse_sdk._http import Multipart
from synapse_sdk._http._multipart import BLOCK_SIZE


def _parse(body: Multipart) -> list:
    raw = b"".join(body.iter_body())
    assert len(raw) == body.content_length
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {body.content_type}\r\n\r\n".encode() + raw
    )
    assert message.is_multipart()
    return list(message.iter_parts())


def test_fields_and_files_round_trip(tmp_path):
    path = tmp_path / "data.bin"
    payload = bytes(range(256)) * (BLOCK_SIZE // 256 * 2 + 3)  # more than two blocks
    path.write_bytes(payload)
    chunks = [b"ab", b"", b"cd"]
    body = Multipart(
        fields=[("plugin", "7"), ("name", "사과")],
        files=[
            ("file", "data.bin", path, None),
            ("raw", "r.txt", b"hello", "text/plain"),
            ("view", "v", memoryview(b"0123456789"), None),
            ("gen", "g.bin", (lambda: iter(chunks), 4), "application/x-test"),
        ],
    )
    parts = _parse(body)
    assert [p.get_param("name", header="content-disposition") for p in parts] == [
        "plugin",
        "name",
        "file",
        "raw",
        "view",
        "gen",
    ]
    assert parts[0].get_payload(decode=True) == b"7"
    assert parts[1].get_payload(decode=True).decode() == "사과"
    assert parts[2].get_filename() == "data.bin"
    assert parts[2].get_payload(decode=True) == payload
    assert parts[3].get_content_type() == "text/plain"
    assert parts[3].get_payload(decode=True) == b"hello"
    assert parts[4].get_content_type() == "application/octet-stream"
    assert parts[4].get_payload(decode=True) == b"0123456789"
    assert parts[5].get_payload(decode=True) == b"abcd"


def test_re_iterable_and_lazy(tmp_path):
    path = tmp_path / "f.txt"
    path.write_bytes(b"v1")
    body = Multipart(files=[("file", "f.txt", path, None)])
    first = b"".join(body.iter_body())
    assert first == b"".join(body.iter_body())
    assert b"Content-Type: text/plain" in first
    blocks = list(body.iter_body())
    assert max(len(b) for b in blocks) <= BLOCK_SIZE


def test_file_blocks_bounded(tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * (BLOCK_SIZE * 3 + 1))
    body = Multipart(files=[("file", "big.bin", path, None)])
    assert max(len(b) for b in body.iter_body()) == BLOCK_SIZE


def test_quoting_in_names():
    body = Multipart(fields=[('a"b', "v")], files=[("f", 'x"\r\ny.txt', b"1", None)])
    raw = b"".join(body.iter_body())
    assert b'name="a%22b"' in raw
    assert b'filename="x%22%0D%0Ay.txt"' in raw


def test_changed_source_detected(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"12345")
    body = Multipart(files=[("f", "f", path, None)])
    path.write_bytes(b"12")
    with pytest.raises(ValueError, match="modified"):
        b"".join(body.iter_body())
    short = Multipart(files=[("f", "f", (lambda: [b"1"], 3), None)])
    with pytest.raises(ValueError):
        b"".join(short.iter_body())


def test_bad_inputs(tmp_path):
    with pytest.raises(TypeError):
        Multipart(files=[("f", "f", "not-a-path-or-bytes", None)])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="not a readable file"):
        Multipart(files=[("f", "f", tmp_path / "missing", None)])
    with pytest.raises(ValueError, match="surrogate"):
        Multipart(fields=[("f", "\udc80")])
    with pytest.raises(TypeError):
        Multipart(fields=[("f", 1)])  # type: ignore[list-item]

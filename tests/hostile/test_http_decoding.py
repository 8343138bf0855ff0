"""Findings 10a and 12 and the content-coding part of 9: every odd body ends in a typed error or
the right bytes, never an untyped ``RecursionError``/``UnicodeError`` and never bytes the SDK did
not ask for.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import time
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from hostile_server import Conn, HostileServer, Request, head_bytes, task_json

from synapse_sdk import (
    HTTPError,
    ResponseDecodeError,
    ServerError,
    Timeout,
    ValidationError,
)
from synapse_sdk._http import Response, Session
from synapse_sdk.clients.backend import BackendClient

Call = Callable[[BackendClient], Any]

READS: dict[str, Call] = {
    "typed": lambda c: c.tasks.get(1),
    "seed": lambda c: c.get_task(1),
}
CREATES: dict[str, Call] = {
    "typed": lambda c: c.tasks.create_many([1], project=1),
    "seed": lambda c: c.create_tasks([{"project": 1, "data_unit": 1}]),
}
CALLS = {
    f"{kind}-{surface}": calls[surface]
    for kind, calls in (("get", READS), ("post", CREATES))
    for surface in calls
}

DEEP = b"[" * 100_000 + b"]" * 100_000


def make_client(server: HostileServer) -> BackendClient:
    return BackendClient(
        server.url, api_token="t", retries=0, timeout=Timeout(connect=2, read=2, deadline=5)
    )


def answer(
    status: int, body: bytes, content_type: str, **extra: str
) -> Callable[[Conn, Request], bool]:
    def handler(conn: Conn, req: Request) -> bool:
        headers = {"Content-Type": content_type, "Content-Length": str(len(body))}
        headers.update({k.replace("_", "-"): v for k, v in extra.items()})
        conn.send(head_bytes(status, headers) + body)
        return True

    return handler


# -- 10a: deep JSON --------------------------------------------------------------------------


@pytest.mark.parametrize("call", sorted(CALLS))
def test_deeply_nested_json_is_a_decode_error(hostile: HostileServer, call: str) -> None:
    status = 201 if call.startswith("post") else 200
    hostile.default = answer(status, DEEP, "application/json")
    with make_client(hostile) as client, pytest.raises(ResponseDecodeError) as info:
        CALLS[call](client)
    assert "nest" in str(info.value) or "deep" in str(info.value)
    assert info.value.status_code == status


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize(
    ("status", "error"), [(400, ValidationError), (500, ServerError)], ids=["400", "500"]
)
def test_deeply_nested_json_error_answer_is_the_status_error(
    hostile: HostileServer, call: str, status: int, error: type[HTTPError]
) -> None:
    hostile.default = answer(status, DEEP, "application/json")
    with make_client(hostile) as client, pytest.raises(error) as info:
        CALLS[call](client)
    assert info.value.status_code == status
    assert isinstance(info.value.response, str)  # kept as text, not parsed


def test_deep_json_500_is_retried_like_any_500(hostile: HostileServer) -> None:
    hostile.default = answer(500, DEEP, "application/json")
    sleeps: list[float] = []
    client = BackendClient(hostile.url, api_token="t", sleep=sleeps.append)
    with client, pytest.raises(ServerError):
        client.get_task(1)
    assert len(hostile.requests()) == 4 and len(sleeps) == 3


# -- 10a: hostile charsets -------------------------------------------------------------------


@pytest.mark.parametrize(
    "charset", ["idna", "punycode", "utf-16", "rot13", "no-such-codec", "undefined", "base64"]
)
def test_response_text_never_raises_on_a_charset(charset: str) -> None:
    response = Response(
        status=400,
        headers={"Content-Type": f"text/plain; charset={charset}"},
        content="caf\u00e9 \u2603 \xff".encode() + b"\xff\xfe\x00",
        method="GET",
        url="http://x/",
        request_id="r",
    )
    assert isinstance(response.text(), str)


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize("charset", ["idna", "punycode"])
def test_error_answer_with_a_hostile_charset_is_the_status_error(
    hostile: HostileServer, call: str, charset: str
) -> None:
    body = "d\u00e9j\u00e0 vu \u2603".encode() * 10
    hostile.default = answer(400, body, f"text/plain; charset={charset}")
    with make_client(hostile) as client, pytest.raises(ValidationError) as info:
        CALLS[call](client)
    assert "vu" in str(info.value)


@pytest.mark.parametrize("surface", sorted(READS))
def test_json_with_charset_idna_still_parses(hostile: HostileServer, surface: str) -> None:
    hostile.default = answer(
        200, json.dumps(task_json(1)).encode(), "application/json; charset=idna"
    )
    with make_client(hostile) as client:
        result = READS[surface](client)
    assert (result.id if surface == "typed" else result["id"]) == 1


def test_punycode_charset_on_a_large_error_body_is_fast(hostile: HostileServer) -> None:
    """The punycode decoder is quadratic; a 1 MiB error page labelled with it must not pin the
    CPU (the SDK decodes such labels as UTF-8)."""
    hostile.default = answer(
        404, b"a" * 900_000 + b"-" + "\u00e9".encode() * 1000, "text/plain; charset=punycode"
    )
    started = time.monotonic()
    with make_client(hostile) as client, pytest.raises(HTTPError):
        client.get_task(1)
    assert time.monotonic() - started < 2.0


# -- content codings the SDK did not ask for -------------------------------------------------


def test_the_sdk_asks_for_identity(hostile: HostileServer) -> None:
    hostile.json("/tasks/", task_json(1))
    with make_client(hostile) as client:
        client.get_task(1)
        with client._session.download(f"{hostile.url}/tasks/1/") as stream:
            b"".join(stream.iter_content())
    assert [r.header("accept-encoding") for r in hostile.requests()] == ["identity", "identity"]


@pytest.mark.parametrize("surface", sorted(READS))
@pytest.mark.parametrize("coding", ["gzip", "deflate", "x-gzip", "raw-deflate"])
def test_unasked_gzip_json_is_inflated(hostile: HostileServer, surface: str, coding: str) -> None:
    data = json.dumps(task_json(1)).encode()
    if coding in ("gzip", "x-gzip"):
        body = gzip.compress(data)
    elif coding == "deflate":
        body = zlib.compress(data)
    else:
        compressor = zlib.compressobj(wbits=-15)
        body = compressor.compress(data) + compressor.flush()
        coding = "deflate"
    hostile.default = answer(200, body, "application/json", Content_Encoding=coding)
    with make_client(hostile) as client:
        result = READS[surface](client)
    assert (result.id if surface == "typed" else result["id"]) == 1


@pytest.mark.parametrize("surface", sorted(READS))
@pytest.mark.parametrize("coding", ["br", "zstd", "compress", "gzip-but-garbage"])
def test_unsupported_or_broken_coding_is_a_decode_error(
    hostile: HostileServer, surface: str, coding: str
) -> None:
    body = b"\x1f\x8b\x08\x00garbage" if coding == "gzip-but-garbage" else b"\x00\x01\x02garbage"
    hostile.default = answer(200, body, "application/json", Content_Encoding=coding.split("-")[0])
    with make_client(hostile) as client, pytest.raises(ResponseDecodeError) as info:
        READS[surface](client)
    assert coding.split("-")[0] in str(info.value)


# -- 12: downloads store the bytes as stored -------------------------------------------------


def test_download_of_a_gzip_object_is_byte_for_byte(hostile: HostileServer) -> None:
    stored = gzip.compress(b"column,value\n" * 50_000)

    def handler(conn: Conn, req: Request) -> bool:
        headers = {
            "Content-Type": "text/csv",
            "Content-Encoding": "gzip",
            "Content-Length": str(len(stored)),
            "ETag": hashlib.md5(stored).hexdigest(),
        }
        conn.send(head_bytes(200, headers) + stored)
        return True

    hostile.route("/media/", handler)
    with Session(hostile.url) as session, session.download("media/table.csv.gz") as stream:
        got = b"".join(stream.iter_content(4096))
        assert stream.headers["Content-Length"] == str(len(got))
    assert got == stored


def test_typed_download_of_a_gzip_object_matches_its_checksum(
    hostile: HostileServer, tmp_path: Any
) -> None:
    stored = gzip.compress(b"x" * 1_000_000)
    hostile.json(
        "/data_files/",
        {
            "id": 5,
            "file": f"{hostile.url}/media/blob.gz",
            "checksum": hashlib.md5(stored).hexdigest(),
            "size": len(stored),
        },
    )
    hostile.route(
        "/media/", answer(200, stored, "application/octet-stream", Content_Encoding="gzip")
    )
    with make_client(hostile) as client:
        path = client.data_files.get(5).download(tmp_path)
    assert path.read_bytes() == stored

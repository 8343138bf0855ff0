"""Finding 12: a download stores the bytes the server sent (``Content-Encoding`` is not undone),
so sizes and checksums are checked on those raw bytes; and ``max_bytes`` bounds every body,
error answers included."""

from __future__ import annotations

import gzip
import hashlib
import os
import time
from pathlib import Path

import pytest
import test_downloads_basics as base
from hostile_server import Conn, HostileServer, Request, gzip_bomb
from test_downloads_basics import FileRoute, gets, unit_json

from synapse_sdk._http import Session
from synapse_sdk._transfer import download_file
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.clients.exceptions import ClientError, NotFoundError, ResponseError

api = base.api
session = base.session
PLAIN = os.urandom(20_000) + b"a" * 200_000  # compresses to a fraction of its size
COMPRESSED = gzip.compress(PLAIN)


def gzip_route(srv: HostileServer) -> FileRoute:
    route = FileRoute(COMPRESSED, extra={"Content-Encoding": "gzip"})
    srv.route("/gz/", route)
    return route


def test_a_gzip_encoded_object_is_stored_as_sent(
    hostile: HostileServer, session: Session, tmp_path: Path
) -> None:
    gzip_route(hostile)
    target = download_file(
        session,
        f"{hostile.url}/gz/scan.tif",
        tmp_path / "scan.tif",
        size=len(COMPRESSED),
        md5=hashlib.md5(COMPRESSED).hexdigest(),
    )
    assert target.read_bytes() == COMPRESSED
    assert len(gets(hostile, "/gz/")) == 1


def test_a_gzip_encoded_data_unit_file_in_one_request(
    hostile: HostileServer, api: BackendClient, tmp_path: Path
) -> None:
    gzip_route(hostile)
    entry = {
        "url": f"{hostile.url}/gz/scan.tif",
        "checksum": hashlib.md5(COMPRESSED).hexdigest(),
        "size": len(COMPRESSED),
        "file_name_original": "scan.tif",
    }
    hostile.json("/data_units/1/", unit_json({"image_1": entry}))
    files = api.data_units.get(1).download(tmp_path)
    assert files["image_1"].read_bytes() == COMPRESSED
    (get,) = gets(hostile, "/gz/")
    assert get.header("range") is None


def test_a_gzip_encoded_model_without_size(
    hostile: HostileServer, api: BackendClient, tmp_path: Path
) -> None:
    gzip_route(hostile)
    hostile.json("/models/1/", {"id": 1, "name": "m", "file": f"{hostile.url}/gz/w.pt"})
    assert api.models.get(1).download(tmp_path).read_bytes() == COMPRESSED
    assert len(gets(hostile, "/gz/")) == 1


def test_a_gzip_bomb_is_bounded_by_its_raw_size(
    hostile: HostileServer, session: Session, tmp_path: Path
) -> None:
    bomb = gzip_bomb(200 * 1024 * 1024)  # ~200 KB on the wire, 200 MiB inflated
    hostile.route("/gz/", FileRoute(bomb, extra={"Content-Encoding": "gzip"}))
    started = time.monotonic()
    target = download_file(
        session, f"{hostile.url}/gz/b.bin", tmp_path / "b.bin", max_bytes=1024 * 1024
    )
    assert target.read_bytes() == bomb
    assert time.monotonic() - started < 5


def test_max_bytes_bounds_an_endless_error_body(
    hostile: HostileServer, session: Session, tmp_path: Path
) -> None:
    def endless_404(conn: Conn, req: Request) -> bool:
        conn.send_head(404, {"Content-Type": "text/plain", "Transfer-Encoding": "chunked"})
        conn.endless(limit=1.5)  # bounds the test when the error body is not capped
        return False

    hostile.route("/f/", endless_404)
    started = time.monotonic()
    with pytest.raises(ClientError) as info:
        download_file(session, f"{hostile.url}/f/x.bin", tmp_path / "x.bin", max_bytes=1000)
    assert time.monotonic() - started < 3
    assert isinstance(info.value, NotFoundError | ResponseError)
    assert list(tmp_path.iterdir()) == []


def test_max_bytes_bounds_an_endless_body(
    hostile: HostileServer, session: Session, tmp_path: Path
) -> None:
    def endless(conn: Conn, req: Request) -> bool:
        conn.send_head(200, {"Transfer-Encoding": "chunked"})
        conn.endless(limit=1.5)
        return False

    hostile.route("/f/", endless)
    started = time.monotonic()
    with pytest.raises(ResponseError, match="max_bytes"):
        download_file(session, f"{hostile.url}/f/x.bin", tmp_path / "x.bin", max_bytes=100_000)
    assert time.monotonic() - started < 3
    assert list(tmp_path.iterdir()) == []
    assert len(gets(hostile, "/f/")) == 1

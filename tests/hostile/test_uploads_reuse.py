"""The re-run lookup (``GET data_units/?data_collection=&checksum=``) against a server that
ignores the filters or answers rows of the wrong shape: no item ever reuses a unit that is not
its own, a real match among junk is still found, and an unusable answer creates nothing."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hostile_server import Conn, HostileServer, Request

from synapse_sdk._transfer._reuse import unit_checksum
from synapse_sdk.clients.backend import BackendClient

COLLECTION = {
    "id": 3,
    "name": "c",
    "file_specifications": [
        {"name": "image_1", "is_required": True, "is_primary": True, "extensions": [".png"]},
        {"name": "meta_1", "is_required": False, "is_primary": False, "extensions": [".json"]},
    ],
}


def serve(srv: HostileServer, md5: str, units_page: Any) -> list[Any]:
    """The collection, "the server has this file", ``units_page`` for the lookup, and a
    ``POST data_units/`` that creates unit 900 (the bodies it got are returned)."""
    posted: list[Any] = []
    srv.json("/data_collections/3/", COLLECTION)
    srv.json("/data_files/verify_checksums/", {"existing_checksums": [md5]})

    def create(conn: Conn, req: Request) -> bool:
        if req.method != "POST":
            conn.send_json(units_page)
            return True
        body = json.loads(req.body)
        posted.append(body)
        files = {k: {"checksum": v["checksum"]} for k, v in body[0]["files"].items()}
        conn.send_json([{"id": 900, "data_collection": 3, "files": files}], 201)
        return True

    srv.route("/data_units/", create)
    return posted


@pytest.fixture
def png(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "a.png"
    data = b"\x89PNG" + os.urandom(500)
    path.write_bytes(data)
    return path, hashlib.md5(data).hexdigest()


def junk_rows(md5: str) -> list[Any]:
    other = "f" * 32
    good_sum = unit_checksum([md5])
    mine = {"image_1": {"checksum": md5}}
    return [
        {"id": 1, "data_collection": 4, "checksum": good_sum, "files": mine},  # other collection
        {"id": 2, "data_collection": 3, "checksum": good_sum, "files": {"meta_1": mine["image_1"]}},
        {"id": 3, "data_collection": 3, "files": {"image_1": {"checksum": other}}},
        {"id": True, "data_collection": 3, "files": {"image_1": {"checksum": md5}}},
        {"id": "5", "data_collection": 3, "files": {"image_1": {"checksum": md5}}},
        {"id": 6, "data_collection": 3, "checksum": "0" * 40},
        {"id": 7, "data_collection": 3, "files": {"image_1": "x"}, "checksum": good_sum},
        "not a row",
        None,
    ]


def test_a_server_that_ignores_the_filters_never_causes_a_false_reuse(
    hostile: HostileServer, png: tuple[Path, str]
) -> None:
    path, md5 = png
    posted = serve(hostile, md5, {"count": 9, "next": None, "results": junk_rows(md5)})
    with BackendClient(hostile.url, api_token="t", retries=0) as client:
        report = client.data_collections.get(3).upload([path])
    assert [r.status for r in report] == ["created"]
    assert report[0].data_unit_id == 900
    assert len(posted) == 1
    lookup = [r for r in hostile.requests("/data_units/") if r.method == "GET"]
    assert len(lookup) == 1
    assert f"checksum={unit_checksum([md5])}" in lookup[0].target
    assert "data_collection=3" in lookup[0].target


def test_a_real_match_among_junk_is_reused(hostile: HostileServer, png: tuple[Path, str]) -> None:
    path, md5 = png
    rows = [
        *junk_rows(md5),
        {"id": 44, "data_collection": 3, "files": {"image_1": {"checksum": md5.upper()}}},
    ]
    posted = serve(hostile, md5, {"count": len(rows), "next": None, "results": rows})
    with BackendClient(hostile.url, api_token="t", retries=0) as client:
        report = client.data_collections.get(3).upload([path])
    assert [(r.status, r.data_unit_id) for r in report] == [("reused", 44)]
    assert posted == []


@pytest.mark.parametrize(
    "page",
    [
        {"count": 1, "next": None, "results": "rows"},  # not a list
        {"count": 1, "next": None},  # no results
        b"<html>oops</html>",
    ],
)
def test_an_unusable_lookup_answer_creates_nothing(
    hostile: HostileServer, png: tuple[Path, str], page: Any
) -> None:
    path, md5 = png
    posted = serve(hostile, md5, page)
    with BackendClient(hostile.url, api_token="t", retries=0) as client:
        report = client.data_collections.get(3).upload([path])
    assert [r.status for r in report] == ["failed"]
    assert "looking for an existing data unit failed" in (report[0].reason or "")
    assert posted == []  # a unit may exist: none is created blindly

"""Every value the export takes from the server, sent hostile by a raw-socket server: file URLs,
names, sizes, checksums, task and unit ids, the listing's order. Each ends in an error record or
a typed error, never in a request elsewhere or a file outside the export folder."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hostile"))
from hostile_server import Conn, HostileServer, Request

from synapse_sdk import ResponseValidationError
from synapse_sdk.clients.backend import BackendClient

BODY = b"hostile bytes\n"


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as srv:

        def media(conn: Conn, req: Request) -> bool:
            conn.send_head(200, {"Content-Length": str(len(BODY))})
            conn.send(BODY)
            return True

        srv.route("/media/", media)
        yield srv


def listing(server: HostileServer, tasks: list[dict[str, Any]]) -> None:
    server.json("/sdk/tasks/", {"count": len(tasks), "next": None, "previous": None,
                                "results": tasks})  # fmt: skip


def task(pk: int, unit: Any) -> dict[str, Any]:
    return {"id": pk, "project": 1, "data": {"n": pk}, "data_unit": unit}


def unit(pk: Any, **files: dict[str, Any]) -> dict[str, Any]:
    return {"id": pk, "meta": {}, "files": files}


def export(server: HostileServer, dest: Path) -> Any:
    with BackendClient(server.url, api_token="t", retries=0) as client:
        return client.tasks.filter(project=1).export(dest)


def test_hostile_file_urls_are_recorded_and_never_requested(
    server: HostileServer, tmp_path: Path
) -> None:
    with HostileServer() as other:
        bad = {
            "a": {"url": "file:///etc/passwd"},
            "b": {"url": "javascript:alert(1)"},
            "c": {"url": f"http://127.0.0.1:{other.port}\\@127.0.0.1:{server.port}/media/x"},
            "d": {"url": f"http://user@127.0.0.1:{other.port}/media/x"},
            "e": {"url": 12},
            "f": {"url": f"{server.url}/media/fine.bin"},
        }
        listing(server, [task(1, unit(7, **bad))])
        result = export(server, tmp_path / "out")
        assert other.journal == []
    errors = {e["spec"]: e["error"] for e in result.error_records()}
    assert set(errors) == {"a", "b", "c", "d", "e"}
    assert set(errors.values()) <= {"OriginError", "TypeError"}
    assert result.counts["files"] == 1
    assert (tmp_path / "out" / "files" / "7" / "fine.bin").read_bytes() == BODY
    assert [r.path for r in server.requests("/media/")] == ["/media/fine.bin"]


def test_hostile_names_stay_inside_the_folder(server: HostileServer, tmp_path: Path) -> None:
    url = f"{server.url}/media/x.bin"
    names = {
        "a": {"url": url, "file_name_original": "../../../escape.png"},
        "b": {"url": url, "file_name_original": "/etc/cron.d/evil"},
        "c": {"url": url, "file_name_original": "..\\..\\win.ini"},
        "d": {"url": url, "file_name_original": "same.png"},
        "e": {"url": url, "file_name_original": "same.png"},
        "f": {"url": url, "file_name_original": "same.png.part"},
        "g": {"url": url, "file_name_original": ".."},
    }
    listing(server, [task(1, unit(3, **names))])
    result = export(server, tmp_path / "out")
    assert result.ok, result.error_records()
    folder = tmp_path / "out" / "files" / "3"
    written = sorted(p.name for p in folder.iterdir())
    assert len(written) == 7
    assert {"escape.png", "evil", "win.ini", "same.png"} <= set(written)
    assert sorted(tmp_path.iterdir()) == [tmp_path / "out"]  # nothing outside the folder
    text = (tmp_path / "out" / "files.jsonl").read_text(encoding="utf-8")
    paths = [json.loads(line)["path"] for line in text.splitlines()]
    assert len(set(paths)) == 7 and all(p.startswith("files/3/") for p in paths)


def test_hostile_sizes_and_checksums(server: HostileServer, tmp_path: Path) -> None:
    url = f"{server.url}/media/x.bin"
    good = hashlib.md5(BODY).hexdigest()
    files = {
        "str_size": {"url": url, "size": "14"},
        "negative": {"url": url, "size": -1},
        "bool": {"url": url, "size": True},
        "short": {"url": url, "size": 3},
        "md5": {"url": url, "checksum": "0" * 32, "size": len(BODY)},
        "sha1": {"url": url, "checksum": "a" * 40},  # not an MD5: not checked
        "ok": {"url": url, "checksum": good, "size": len(BODY)},
    }
    listing(server, [task(1, unit(4, **files))])
    before = len(server.requests("/media/"))
    result = export(server, tmp_path / "out")
    errors = {e["spec"]: e["error"] for e in result.error_records()}
    assert errors == {
        "str_size": "ResponseValidationError",
        "negative": "ResponseValidationError",
        "bool": "ResponseValidationError",
        "short": "IntegrityError",
        "md5": "IntegrityError",
    }
    assert result.counts["files"] == 2
    # Bad sizes are refused before any request; the two mismatches are fetched and dropped.
    assert len(server.requests("/media/")) - before == 4
    for spec in ("short", "md5"):
        path = next(e["path"] for e in result.error_records() if e["spec"] == spec)
        assert not (tmp_path / "out" / path).exists()


def test_hostile_ids_and_order(server: HostileServer, tmp_path: Path) -> None:
    listing(server, [task(1, unit("../x", a={"url": "/media/a"})), task(2, 5)])
    result = export(server, tmp_path / "a")
    errors = result.error_records()
    assert [(e["task"], e["data_unit"]) for e in errors] == [(1, None), (2, 5)]
    assert "did not embed" in errors[0]["message"]
    assert not (tmp_path / "a" / "files").exists() and not (tmp_path / "x").exists()

    for i, rows in enumerate(
        [
            [task(2, None), task(1, None)],  # out of id order: resuming would lose tasks
            [task(1, None), task(1, None)],  # a repeated row
            [{"id": "1", "data_unit": None}],  # not an int id
            [[1, 2]],  # not an object
        ]
    ):
        srv = HostileServer()
        try:
            listing(srv, rows)
            with pytest.raises(ResponseValidationError):
                export(srv, tmp_path / f"bad{i}")
        finally:
            srv.close()
        assert not (tmp_path / f"bad{i}" / "manifest.json").exists()

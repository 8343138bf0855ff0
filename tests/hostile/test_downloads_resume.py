"""Finding 3: a ``.part`` is resumed only when it provably belongs to the same object.

An interrupted download leaves ``<name>.part`` and a sidecar ``<name>.part.json`` (URL without
its query, expected size, checksum, first ETag / Last-Modified). A later download resumes only
when they match, with ``If-Range`` so a changed object answers 200; anything else starts at 0.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
import test_downloads_basics as base
from hostile_server import Conn, HostileServer, Request
from test_downloads_basics import FileRoute, gets, unit_json

from synapse_sdk._http import Session
from synapse_sdk._transfer import download_file
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.clients.exceptions import (
    ClientConnectionError,
    IntegrityError,
    ResponseError,
    TransportError,
)

HALF = 256 * 1024
api = base.api
session = base.session


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def interrupt(route: FileRoute) -> None:
    """Every answer of ``route`` is cut after half the first body: downloads fail mid-way."""
    route.cuts = [HALF] + [0] * 20


def model_json(srv: HostileServer, pk: int, path: str, size: int | None) -> None:
    srv.json(
        f"/models/{pk}/", {"id": pk, "name": f"m{pk}", "file": f"{srv.url}{path}", "size": size}
    )


def test_spliced_model_download_is_refused(
    hostile: HostileServer, api: BackendClient, tmp_path: Path
) -> None:
    one, two = os.urandom(2 * HALF), os.urandom(2 * HALF)
    first = FileRoute(one, etag='"one"')
    interrupt(first)
    hostile.route("/m/1/", first)
    hostile.route("/m/2/", FileRoute(two, etag='"two"'))
    model_json(hostile, 1, "/m/1/weights.pt", len(one))
    model_json(hostile, 2, "/m/2/weights.pt", len(two))
    with pytest.raises(TransportError):
        api.models.get(1).download(tmp_path)
    assert (tmp_path / "weights.pt.part").read_bytes() == one[:HALF]
    saved = api.models.get(2).download(tmp_path)
    assert saved.read_bytes() == two
    (get,) = gets(hostile, "/m/2/")
    assert get.header("range") is None and get.header("if-range") is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weights.pt"]


def test_spliced_data_unit_download_is_refused(
    hostile: HostileServer, api: BackendClient, tmp_path: Path
) -> None:
    one, two = os.urandom(2 * HALF), os.urandom(2 * HALF)
    first = FileRoute(one, etag=None)
    interrupt(first)
    hostile.route("/d/1/", first)
    hostile.route("/d/2/", FileRoute(two, etag=None))
    for pk, data in ((1, one), (2, two)):
        entry = {"url": f"{hostile.url}/d/{pk}/scan.png", "checksum": md5(data), "size": len(data)}
        hostile.json(f"/data_units/{pk}/", unit_json({"image_1": entry}, pk))
    with pytest.raises(TransportError):
        api.data_units.get(1).download(tmp_path)
    files = api.data_units.get(2).download(tmp_path)
    assert files["image_1"].read_bytes() == two
    (get,) = gets(hostile, "/d/2/")  # one request, from byte 0: no splice, no second fetch
    assert get.header("range") is None


def test_spliced_download_file_is_refused(
    hostile: HostileServer, session: Session, tmp_path: Path
) -> None:
    one, two = os.urandom(2 * HALF), os.urandom(2 * HALF)
    first = FileRoute(one, etag=None, last_modified=None)
    interrupt(first)
    hostile.route("/a/", first)
    hostile.route("/b/", FileRoute(two, etag=None, last_modified=None))
    target = tmp_path / "f.bin"
    with pytest.raises(ClientConnectionError):
        download_file(session, f"{hostile.url}/a/f.bin", target, size=len(one))
    assert download_file(session, f"{hostile.url}/b/f.bin", target, size=len(two)) == target
    assert target.read_bytes() == two
    assert [g.header("range") for g in gets(hostile, "/b/")] == [None]


def test_same_object_is_resumed_with_if_range(
    hostile: HostileServer, api: BackendClient, tmp_path: Path
) -> None:
    data = os.urandom(2 * HALF)
    route = FileRoute(data, etag='"v1"')
    route.cuts = [HALF, 0, 0, 0, 0]
    hostile.route("/m/1/", route)
    model_json(hostile, 1, "/m/1/weights.pt", len(data))
    with pytest.raises(TransportError):
        api.models.get(1).download(tmp_path)
    sidecar = json.loads((tmp_path / "weights.pt.part.json").read_text())
    assert sidecar["etag"] == '"v1"' and sidecar["size"] == len(data)
    route.served = len(route.cuts)  # the server is healthy again
    hostile.journal.clear()
    saved = api.models.get(1).download(tmp_path)
    assert saved.read_bytes() == data
    (get,) = gets(hostile, "/m/1/")
    assert get.header("range") == f"bytes={HALF}-" and get.header("if-range") == '"v1"'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weights.pt"]


def test_last_modified_is_the_validator_without_an_etag(
    hostile: HostileServer, session: Session, tmp_path: Path
) -> None:
    data = os.urandom(2 * HALF)
    stamp = "Wed, 21 Oct 2015 07:28:00 GMT"
    route = FileRoute(data, etag='W/"weak"', last_modified=stamp)  # a weak ETag is no validator
    route.cuts = [HALF, 0, 0, 0, 0]
    hostile.route("/f/", route)
    url = f"{hostile.url}/f/x.bin"
    with pytest.raises(ClientConnectionError):
        download_file(session, url, tmp_path / "x.bin")
    route.served = len(route.cuts)
    hostile.journal.clear()
    assert download_file(session, url, tmp_path / "x.bin").read_bytes() == data
    (get,) = gets(hostile, "/f/")
    assert get.header("range") == f"bytes={HALF}-" and get.header("if-range") == stamp


def test_a_changed_object_answers_200_to_if_range(
    hostile: HostileServer, api: BackendClient, tmp_path: Path
) -> None:
    old, new = os.urandom(2 * HALF), os.urandom(2 * HALF)  # same URL, same size, new content
    route = FileRoute(old, etag='"old"')
    interrupt(route)
    hostile.route("/m/1/", route)
    model_json(hostile, 1, "/m/1/weights.pt", len(old))
    with pytest.raises(TransportError):
        api.models.get(1).download(tmp_path)
    route.data, route.etag, route.cuts = new, '"new"', []
    hostile.journal.clear()
    assert api.models.get(1).download(tmp_path).read_bytes() == new
    (get,) = gets(hostile, "/m/1/")
    assert get.header("if-range") == '"old"'


def test_a_206_with_another_etag_is_not_spliced(
    hostile: HostileServer, session: Session, tmp_path: Path
) -> None:
    """A server that ignores If-Range and answers 206 for a changed object: caught by the ETag."""
    old, new = os.urandom(2 * HALF), os.urandom(2 * HALF)
    route = FileRoute(old, etag='"old"')
    interrupt(route)
    hostile.route("/f/", route)
    url = f"{hostile.url}/f/x.bin"
    with pytest.raises(ClientConnectionError):
        download_file(session, url, tmp_path / "x.bin")
    changed = FileRoute(new, etag='"new"')

    def ignores_if_range(conn: Conn, req: Request) -> bool:
        req.headers.pop("if-range", None)
        return changed(conn, req)

    route.instead = ignores_if_range
    hostile.journal.clear()
    assert download_file(session, url, tmp_path / "x.bin").read_bytes() == new
    assert [g.header("range") for g in gets(hostile, "/f/")] == [f"bytes={HALF}-", None]


def test_presigned_query_changes_still_resume(
    hostile: HostileServer, session: Session, tmp_path: Path
) -> None:
    data = os.urandom(2 * HALF)
    route = FileRoute(data)
    route.cuts = [HALF, 0, 0, 0, 0]
    hostile.route("/s3/", route)
    target = tmp_path / "x.bin"
    with pytest.raises(ClientConnectionError):
        download_file(session, f"{hostile.url}/s3/x.bin?X-Amz-Signature=aaa", target)
    assert "aaa" not in (tmp_path / "x.bin.part.json").read_text()  # no signature kept on disk
    route.served = len(route.cuts)
    hostile.journal.clear()
    download_file(session, f"{hostile.url}/s3/x.bin?X-Amz-Signature=bbb", target)
    assert target.read_bytes() == data
    assert [g.header("range") for g in gets(hostile, "/s3/")] == [f"bytes={HALF}-"]


def test_another_host_is_another_object(
    hostile_factory: object, session: Session, tmp_path: Path
) -> None:
    make = hostile_factory
    assert callable(make)
    a, b = make(), make()
    one, two = os.urandom(2 * HALF), os.urandom(2 * HALF)
    first = FileRoute(one)  # same path and ETag on both hosts
    interrupt(first)
    a.route("/f/", first)
    b.route("/f/", FileRoute(two))
    target = tmp_path / "x.bin"
    with pytest.raises(ClientConnectionError):
        download_file(session, f"{a.url}/f/x.bin", target)
    download_file(session, f"{b.url}/f/x.bin", target)
    assert target.read_bytes() == two
    assert [g.header("range") for g in gets(b, "/f/")] == [None]


def test_a_part_without_sidecar_is_never_resumed(
    hostile: HostileServer, api: BackendClient, tmp_path: Path
) -> None:
    data = os.urandom(2 * HALF)
    hostile.route("/m/1/", FileRoute(data))
    model_json(hostile, 1, "/m/1/weights.pt", len(data))
    (tmp_path / "weights.pt.part").write_bytes(data[:HALF])  # even a true prefix: unknown origin
    assert api.models.get(1).download(tmp_path).read_bytes() == data
    assert [g.header("range") for g in gets(hostile, "/m/1/")] == [None]


def test_the_checksum_decides_when_given(
    hostile_factory: object, api: BackendClient, hostile: HostileServer, tmp_path: Path
) -> None:
    """With an MD5 the URL may move (another host, a new presigned path): the MD5 is the
    object's identity, and the final MD5 check protects the resumed file."""
    make = hostile_factory
    assert callable(make)
    old_host, new_host = make(), make()
    data = os.urandom(2 * HALF)
    first = FileRoute(data)
    interrupt(first)
    old_host.route("/f/", first)
    new_host.route("/g/", FileRoute(data, etag='"elsewhere"'))
    entry = {"url": f"{old_host.url}/f/scan.png", "checksum": md5(data), "size": len(data)}
    hostile.json("/data_units/1/", unit_json({"image_1": entry}))
    with pytest.raises(TransportError):
        api.data_units.get(1).download(tmp_path)
    entry["url"] = f"{new_host.url}/g/scan.png"
    hostile.json("/data_units/1/", unit_json({"image_1": entry}))
    files = api.data_units.get(1).download(tmp_path)
    assert files["image_1"].read_bytes() == data
    (get,) = gets(new_host, "/g/")
    assert get.header("range") == f"bytes={HALF}-"
    assert get.header("if-range") is None  # another URL's validator means nothing here


def test_a_forged_sidecar_with_the_right_md5_is_caught_by_the_md5(
    hostile: HostileServer, session: Session, tmp_path: Path
) -> None:
    data = os.urandom(2 * HALF)
    hostile.route("/f/", FileRoute(data))
    url = f"{hostile.url}/f/x.bin"
    target = tmp_path / "x.bin"
    (tmp_path / "x.bin.part").write_bytes(os.urandom(HALF))  # not this object's bytes
    sidecar = {"v": 1, "url": url, "size": len(data), "md5": md5(data), "etag": None}
    sidecar.update(last_modified=None, total=len(data))
    (tmp_path / "x.bin.part.json").write_text(json.dumps(sidecar))
    download_file(session, url, target, md5=md5(data), size=len(data))
    assert target.read_bytes() == data
    assert [g.header("range") for g in gets(hostile, "/f/")] == [f"bytes={HALF}-", None]


@pytest.mark.parametrize(
    "sidecar",
    [
        b"{not json",
        b"[]",
        b'{"v": 1, "url": 5}',
        b"\xff\xfe\x00",
        b'{"v": 1, "url": "' + b"x" * (2 * 1024 * 1024) + b'"}',  # huge: never read whole
        b'{"v": 99}',
    ],
    ids=["malformed", "list", "wrong-types", "binary", "huge", "future-version"],
)
def test_a_bad_sidecar_means_start_again(
    hostile: HostileServer, session: Session, tmp_path: Path, sidecar: bytes
) -> None:
    data = os.urandom(2 * HALF)
    hostile.route("/f/", FileRoute(data))
    (tmp_path / "x.bin.part").write_bytes(data[:HALF])
    (tmp_path / "x.bin.part.json").write_bytes(sidecar)
    target = download_file(session, f"{hostile.url}/f/x.bin", tmp_path / "x.bin")
    assert target.read_bytes() == data
    assert [g.header("range") for g in gets(hostile, "/f/")] == [None]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.bin"]


# -- lying ranges and lengths ------------------------------------------------------------------


def _resumable(
    srv: HostileServer, session: Session, tmp_path: Path, data: bytes
) -> tuple[str, FileRoute]:
    """Leave a genuine half ``.part`` + sidecar of ``data`` (served at ``/f/x.bin``)."""
    route = FileRoute(data)
    interrupt(route)
    srv.route("/f/", route)
    url = f"{srv.url}/f/x.bin"
    with pytest.raises(ClientConnectionError):
        download_file(session, url, tmp_path / "x.bin")
    srv.journal.clear()
    return url, route


def test_a_206_starting_elsewhere_restarts_from_zero(
    hostile: HostileServer, session: Session, tmp_path: Path
) -> None:
    data = os.urandom(2 * HALF)
    url, route = _resumable(hostile, session, tmp_path, data)
    healthy = FileRoute(data)

    def wrong_start(conn: Conn, req: Request) -> bool:
        if req.header("range"):
            body = data[100:]
            conn.send_head(
                206,
                {
                    "ETag": '"v1"',
                    "Content-Range": f"bytes 100-{len(data) - 1}/{len(data)}",
                    "Content-Length": str(len(body)),
                },
            )
            conn.send(body)
            return True
        return healthy(conn, req)

    route.instead = wrong_start
    assert download_file(session, url, tmp_path / "x.bin").read_bytes() == data
    assert [g.header("range") for g in gets(hostile, "/f/")] == [f"bytes={HALF}-", None]


def test_a_206_to_a_plain_get_is_refused(
    hostile: HostileServer, session: Session, tmp_path: Path
) -> None:
    data = os.urandom(1000)

    def partial(conn: Conn, req: Request) -> bool:
        body = data[100:200]
        conn.send_head(206, {"Content-Range": "bytes 100-199/1000", "Content-Length": "100"})
        conn.send(body)
        return True

    hostile.route("/f/", partial)
    with pytest.raises(ResponseError, match="206"):
        download_file(session, f"{hostile.url}/f/x.bin", tmp_path / "x.bin")  # size unknown
    assert list(tmp_path.iterdir()) == []
    assert len(gets(hostile, "/f/")) <= 2


def test_a_206_of_the_whole_file_to_a_plain_get_is_fine(
    hostile: HostileServer, session: Session, tmp_path: Path
) -> None:
    data = os.urandom(1000)

    def whole(conn: Conn, req: Request) -> bool:
        conn.send_head(206, {"Content-Range": "bytes 0-999/1000", "Content-Length": "1000"})
        conn.send(data)
        return True

    hostile.route("/f/", whole)
    assert download_file(session, f"{hostile.url}/f/x.bin", tmp_path / "x.bin").read_bytes() == data


def test_a_206_with_another_total_restarts(
    hostile: HostileServer, session: Session, tmp_path: Path
) -> None:
    data = os.urandom(2 * HALF)
    url, route = _resumable(hostile, session, tmp_path, data)
    healthy = FileRoute(data)

    def other_total(conn: Conn, req: Request) -> bool:
        if req.header("range"):
            body = b"z" * 10
            total = HALF + 10
            conn.send_head(
                206,
                {
                    "ETag": '"v1"',
                    "Content-Range": f"bytes {HALF}-{total - 1}/{total}",
                    "Content-Length": "10",
                },
            )
            conn.send(body)
            return True
        return healthy(conn, req)

    route.instead = other_total
    assert download_file(session, url, tmp_path / "x.bin").read_bytes() == data
    assert [g.header("range") for g in gets(hostile, "/f/")] == [f"bytes={HALF}-", None]


def test_a_content_length_other_than_the_known_size_fails_before_the_body(
    hostile: HostileServer, session: Session, tmp_path: Path
) -> None:
    data = os.urandom(1000)

    def short(conn: Conn, req: Request) -> bool:
        conn.send_head(200, {"Content-Length": "500"})
        conn.send(data)  # more than it said
        return False

    hostile.route("/f/", short)
    with pytest.raises(IntegrityError, match="1000"):
        download_file(session, f"{hostile.url}/f/x.bin", tmp_path / "x.bin", size=1000)
    assert list(tmp_path.iterdir()) == []


def test_a_content_length_larger_than_sent_is_resumed(
    hostile: HostileServer, session: Session, tmp_path: Path
) -> None:
    data = os.urandom(2 * HALF)
    route = FileRoute(data)
    route.cuts = [HALF]  # says 2*HALF, sends HALF and closes
    hostile.route("/f/", route)
    target = download_file(session, f"{hostile.url}/f/x.bin", tmp_path / "x.bin")
    assert target.read_bytes() == data
    assert [g.header("range") for g in gets(hostile, "/f/")] == [None, f"bytes={HALF}-"]


def test_a_server_that_always_lies_about_the_length_ends_typed(
    hostile: HostileServer, session: Session, tmp_path: Path
) -> None:
    data = os.urandom(1000)

    def liar(conn: Conn, req: Request) -> bool:
        conn.send_head(200, {"Content-Length": "5000"})
        conn.send(data)
        return False

    hostile.route("/f/", liar)
    with pytest.raises(ClientConnectionError):
        download_file(session, f"{hostile.url}/f/x.bin", tmp_path / "x.bin")
    assert not (tmp_path / "x.bin").exists()
    assert len(gets(hostile, "/f/")) <= 5


def test_a_complete_part_with_its_md5_needs_no_request(
    hostile: HostileServer, session: Session, tmp_path: Path
) -> None:
    """A crash between the last byte and the rename: with an MD5 the file is verified and
    renamed without asking the server again."""
    data = os.urandom(HALF)
    hostile.route("/f/", FileRoute(data))
    url = f"{hostile.url}/f/x.bin"
    (tmp_path / "x.bin.part").write_bytes(data)
    sidecar = {"v": 1, "url": url, "size": len(data), "md5": md5(data), "etag": '"v1"'}
    (tmp_path / "x.bin.part.json").write_text(json.dumps(sidecar))
    download_file(session, url, tmp_path / "x.bin", md5=md5(data), size=len(data))
    assert (tmp_path / "x.bin").read_bytes() == data
    assert gets(hostile, "/f/") == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.bin"]


def test_resume_false_starts_at_zero(
    hostile: HostileServer, session: Session, tmp_path: Path
) -> None:
    data = os.urandom(2 * HALF)
    url, route = _resumable(hostile, session, tmp_path, data)
    route.instead = FileRoute(data)
    download_file(session, url, tmp_path / "x.bin", resume=False)
    assert (tmp_path / "x.bin").read_bytes() == data
    assert [g.header("range") for g in gets(hostile, "/f/")] == [None]


def test_an_empty_file(hostile: HostileServer, session: Session, tmp_path: Path) -> None:
    hostile.route("/f/", FileRoute(b""))
    target = download_file(session, f"{hostile.url}/f/x.bin", tmp_path / "x.bin", size=0)
    assert target.read_bytes() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.bin"]


def test_an_interrupted_download_keeps_a_resumable_part_and_a_failed_one_does_not(
    hostile: HostileServer, session: Session, tmp_path: Path
) -> None:
    data = os.urandom(2 * HALF)
    _resumable(hostile, session, tmp_path, data)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.bin.part", "x.bin.part.json"]
    hostile.route("/g/", FileRoute(data))
    with pytest.raises(IntegrityError):
        download_file(session, f"{hostile.url}/g/y.bin", tmp_path / "y.bin", md5="0" * 32)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.bin.part", "x.bin.part.json"]

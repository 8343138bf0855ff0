"""Finding 14: a download never follows a link it did not create at the destination.

``<name>.part`` and its sidecar are opened with ``O_NOFOLLOW``; a symlink, FIFO, hard link or
directory in their place is removed (the name, never what it points to) or refused; the final
target is replaced, never written through. ``dest`` itself may be a symlink (the user's choice).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

import pytest
import test_downloads_basics as base
from hostile_server import Conn, HostileServer, Request
from test_downloads_basics import FileRoute, gets, unit_json

from synapse_sdk._http import Session
from synapse_sdk._transfer import download_file
from synapse_sdk.clients.backend import BackendClient

pytestmark = pytest.mark.skipif(not hasattr(os, "O_NOFOLLOW"), reason="POSIX links")

api = base.api
session = base.session
DATA = os.urandom(300_000)
SECRET = b"precious: never overwritten\n"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file outside the download folder that an attacker points links at."""
    path = tmp_path / "outside.txt"
    path.write_bytes(SECRET)
    return path


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    path = tmp_path / "dest"
    path.mkdir()
    return path


def serve(srv: HostileServer) -> str:
    srv.route("/f/", FileRoute(DATA))
    srv.json("/models/1/", {"id": 1, "name": "m", "file": f"{srv.url}/f/f.bin", "size": len(DATA)})
    return f"{srv.url}/f/f.bin"


def sidecar_for(url: str, **over: object) -> str:
    """A sidecar that matches ``url``'s object (an attacker can forge one)."""
    body = {"v": 1, "url": url, "size": len(DATA), "md5": None, "etag": '"v1"'}
    body.update(last_modified=None, total=len(DATA))
    body.update(over)
    return json.dumps(body)


def assert_clean(dest: Path, outside: Path) -> None:
    assert outside.read_bytes() == SECRET
    target = dest / "f.bin"
    assert not target.is_symlink() and target.read_bytes() == DATA
    assert os.stat(target).st_nlink == 1
    assert sorted(p.name for p in dest.iterdir()) == ["f.bin"]


def test_a_symlinked_part_is_not_followed(
    hostile: HostileServer, api: BackendClient, dest: Path, outside: Path
) -> None:
    serve(hostile)
    (dest / "f.bin.part").symlink_to(outside)
    api.models.get(1).download(dest)
    assert_clean(dest, outside)


def test_a_symlinked_part_with_a_forged_sidecar_is_not_resumed_through(
    hostile: HostileServer, session: Session, dest: Path, outside: Path
) -> None:
    url = serve(hostile)
    (dest / "f.bin.part").symlink_to(outside)
    (dest / "f.bin.part.json").write_text(sidecar_for(url))
    download_file(session, url, dest / "f.bin")
    assert_clean(dest, outside)
    assert [g.header("range") for g in gets(hostile, "/f/")] == [None]


def test_a_dangling_symlinked_part_creates_nothing_outside(
    hostile: HostileServer, session: Session, dest: Path, tmp_path: Path
) -> None:
    url = serve(hostile)
    (dest / "f.bin.part").symlink_to(tmp_path / "created-by-attacker")
    download_file(session, url, dest / "f.bin")
    assert not (tmp_path / "created-by-attacker").exists()
    assert (dest / "f.bin").read_bytes() == DATA


def test_a_hard_linked_part_is_not_written_through(
    hostile: HostileServer, session: Session, dest: Path, outside: Path
) -> None:
    url = serve(hostile)
    os.link(outside, dest / "f.bin.part")
    (dest / "f.bin.part.json").write_text(sidecar_for(url, size=None, total=None))
    download_file(session, url, dest / "f.bin")
    assert_clean(dest, outside)


def test_a_fifo_part_does_not_hang(hostile: HostileServer, session: Session, dest: Path) -> None:
    url = serve(hostile)
    fifo = dest / "f.bin.part"
    os.mkfifo(fifo)
    (dest / "f.bin.part.json").write_text(sidecar_for(url))
    errors: list[BaseException] = []

    def run() -> None:
        try:
            download_file(session, url, dest / "f.bin")
        except BaseException as exc:  # reported below
            errors.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(5)
    if worker.is_alive():  # blocked opening the FIFO: unblock it, then fail
        with open(fifo, "rb") as reader:
            reader.read()
        worker.join(5)
        pytest.fail("the download blocked on a FIFO .part")
    assert errors == []
    assert (dest / "f.bin").read_bytes() == DATA


def test_a_directory_part_is_refused_before_any_request(
    hostile: HostileServer, api: BackendClient, dest: Path
) -> None:
    serve(hostile)
    (dest / "f.bin.part").mkdir()
    (dest / "f.bin.part" / "keep.txt").write_text("mine")
    with pytest.raises(IsADirectoryError, match=r"f\.bin\.part"):
        api.models.get(1).download(dest)
    assert gets(hostile, "/f/") == []
    assert (dest / "f.bin.part" / "keep.txt").read_text() == "mine"


def test_a_directory_sidecar_is_refused_before_any_request(
    hostile: HostileServer, session: Session, dest: Path
) -> None:
    url = serve(hostile)
    (dest / "f.bin.part.json").mkdir()
    with pytest.raises(IsADirectoryError, match=r"f\.bin\.part\.json"):
        download_file(session, url, dest / "f.bin")
    assert gets(hostile, "/f/") == []


def test_a_symlinked_sidecar_is_not_followed(
    hostile: HostileServer, session: Session, dest: Path, outside: Path
) -> None:
    url = serve(hostile)
    (dest / "f.bin.part").write_bytes(DATA[:1000])
    (dest / "f.bin.part.json").symlink_to(outside)
    download_file(session, url, dest / "f.bin")
    assert_clean(dest, outside)


def test_a_symlinked_sidecar_with_good_content_is_not_trusted(
    hostile: HostileServer, session: Session, dest: Path, tmp_path: Path
) -> None:
    url = serve(hostile)
    (dest / "f.bin.part").write_bytes(DATA[:1000])
    forged = tmp_path / "forged.json"
    forged.write_text(sidecar_for(url))
    (dest / "f.bin.part.json").symlink_to(forged)
    download_file(session, url, dest / "f.bin")
    assert (dest / "f.bin").read_bytes() == DATA
    assert [g.header("range") for g in gets(hostile, "/f/")] == [None]
    assert forged.read_text() == sidecar_for(url)


def test_a_symlinked_target_is_existing_even_when_dangling(
    hostile: HostileServer, session: Session, dest: Path, tmp_path: Path
) -> None:
    url = serve(hostile)
    (dest / "f.bin").symlink_to(tmp_path / "nowhere")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        download_file(session, url, dest / "f.bin")
    assert gets(hostile, "/f/") == []
    assert (dest / "f.bin").is_symlink()


def test_overwrite_replaces_a_symlinked_target_not_its_file(
    hostile: HostileServer, api: BackendClient, dest: Path, outside: Path
) -> None:
    serve(hostile)
    (dest / "f.bin").symlink_to(outside)
    with pytest.raises(FileExistsError):
        api.models.get(1).download(dest)
    api.models.get(1).download(dest, overwrite=True)
    assert_clean(dest, outside)


def test_a_directory_target_is_refused_even_with_overwrite(
    hostile: HostileServer, session: Session, dest: Path
) -> None:
    url = serve(hostile)
    (dest / "f.bin").mkdir()
    with pytest.raises(IsADirectoryError):
        download_file(session, url, dest / "f.bin", overwrite=True)
    assert gets(hostile, "/f/") == []


def test_a_data_unit_into_a_folder_with_a_symlinked_part(
    hostile: HostileServer, api: BackendClient, dest: Path, outside: Path
) -> None:
    hostile.route("/f/", FileRoute(DATA))
    entry = {
        "url": f"{hostile.url}/f/f.bin",
        "checksum": hashlib.md5(DATA).hexdigest(),
        "size": len(DATA),
        "is_primary": True,
        "file_name_original": "f.bin",
    }
    hostile.json("/data_units/1/", unit_json({"image_1": entry}))
    (dest / "f.bin.part").symlink_to(outside)
    files = api.data_units.get(1).download(dest)
    assert files["image_1"] == dest / "f.bin"
    assert_clean(dest, outside)


def test_a_symlinked_dest_folder_is_the_users_choice(
    hostile: HostileServer, api: BackendClient, tmp_path: Path
) -> None:
    serve(hostile)
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    saved = api.models.get(1).download(tmp_path / "link")
    assert saved == tmp_path / "link" / "f.bin"
    assert (real / "f.bin").read_bytes() == DATA


def test_a_part_swapped_for_a_symlink_during_the_request(
    hostile: HostileServer, session: Session, dest: Path, outside: Path
) -> None:
    """The race: the ``.part`` is replaced by a link after the checks, while the request is in
    flight. The SDK writes only through the descriptor it opened (``O_NOFOLLOW``/``O_EXCL``),
    so the link's target is never touched and the link is never renamed into place: the
    download is refused."""
    route = FileRoute(DATA)
    part = dest / "f.bin.part"

    def swap(conn: Conn, req: Request) -> bool:
        if part.exists() or part.is_symlink():
            part.unlink()
        part.symlink_to(outside)
        route.instead = None
        return route(conn, req)

    route.instead = swap
    hostile.route("/f/", route)
    url = f"{hostile.url}/f/f.bin"
    with pytest.raises(OSError, match="replaced"):
        download_file(session, url, dest / "f.bin")
    assert not (dest / "f.bin").exists() and not (dest / "f.bin").is_symlink()
    assert outside.read_bytes() == SECRET
    assert not (dest / "f.bin.part.json").exists()


def test_a_resumed_part_swapped_during_the_request(
    hostile: HostileServer, session: Session, dest: Path, outside: Path
) -> None:
    url = f"{hostile.url}/f/f.bin"
    route = FileRoute(DATA)
    part = dest / "f.bin.part"
    part.write_bytes(DATA[:1000])
    (dest / "f.bin.part.json").write_text(sidecar_for(url))

    def swap(conn: Conn, req: Request) -> bool:
        part.unlink()
        part.symlink_to(outside)
        route.instead = None
        return route(conn, req)

    route.instead = swap
    hostile.route("/f/", route)
    with pytest.raises(OSError, match="replaced"):
        download_file(session, url, dest / "f.bin")
    assert not (dest / "f.bin").exists() and not (dest / "f.bin").is_symlink()
    assert outside.read_bytes() == SECRET
    assert not (dest / "f.bin.part.json").exists()


def test_a_fifo_sidecar_does_not_hang(hostile: HostileServer, session: Session, dest: Path) -> None:
    url = serve(hostile)
    (dest / "f.bin.part").write_bytes(DATA[:1000])
    os.mkfifo(dest / "f.bin.part.json")
    worker = threading.Thread(
        target=download_file, args=(session, url, dest / "f.bin"), daemon=True
    )
    worker.start()
    worker.join(5)
    if worker.is_alive():
        with open(dest / "f.bin.part.json", "wb"):
            pass
        pytest.fail("the download blocked on a FIFO sidecar")
    assert (dest / "f.bin").read_bytes() == DATA
    assert [g.header("range") for g in gets(hostile, "/f/")] == [None]


def test_a_symlinked_sidecar_temp_file_is_not_followed(
    hostile: HostileServer, session: Session, dest: Path, outside: Path
) -> None:
    url = serve(hostile)
    (dest / "f.bin.part.json.tmp").symlink_to(outside)
    download_file(session, url, dest / "f.bin")
    assert_clean(dest, outside)

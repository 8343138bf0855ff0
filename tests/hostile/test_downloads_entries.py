"""Finding 10c: odd data-unit file entries give typed errors or sensible defaults, never
``AttributeError``; refused URLs are never requested. Plus hostile names through the public API.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
import test_downloads_basics as base
from hostile_server import HostileServer
from test_downloads_basics import FileRoute, gets, unit_json

from synapse_sdk._http import Session
from synapse_sdk._transfer import download_file
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.clients.exceptions import OriginError, ResponseValidationError
from synapse_sdk.resources import DataUnitFile

api = base.api
session = base.session
DATA = os.urandom(50_000)


def put_unit(srv: HostileServer, files: dict[str, Any]) -> None:
    srv.json("/data_units/1/", unit_json(files))


def test_an_entry_with_only_url_primary_and_name(
    hostile: HostileServer, api: BackendClient, tmp_path: Path
) -> None:
    hostile.route("/f/", FileRoute(DATA))
    entry = {"url": f"{hostile.url}/f/x", "is_primary": True, "file_name_original": "scan.png"}
    put_unit(hostile, {"image_1": entry})
    unit = api.data_units.get(1)
    file = unit.files["image_1"]
    assert isinstance(file, DataUnitFile)
    assert file.checksum is None and file.size is None and file.meta is None
    assert file.is_primary is True and file.file_name_original == "scan.png"
    files = unit.download(tmp_path)
    assert files == {"image_1": tmp_path / "scan.png"}
    assert files["image_1"].read_bytes() == DATA


def test_an_entry_with_only_a_url(
    hostile: HostileServer, api: BackendClient, tmp_path: Path
) -> None:
    hostile.route("/f/", FileRoute(DATA))
    put_unit(hostile, {"image_1": {"url": f"{hostile.url}/f/from-url.bin"}})
    file = api.data_units.get(1).files["image_1"]
    assert file.is_primary is False and file.file_name_original is None
    assert repr(file).startswith("DataUnitFile(")
    files = api.data_units.get(1).download(tmp_path)
    assert files["image_1"].name == "from-url.bin" and files["image_1"].read_bytes() == DATA


def test_an_empty_entry_is_left_out(
    hostile: HostileServer, api: BackendClient, tmp_path: Path
) -> None:
    hostile.route("/f/", FileRoute(DATA))
    put_unit(hostile, {"image_1": {}, "meta_1": {"url": f"{hostile.url}/f/m.json"}})
    unit = api.data_units.get(1)
    assert unit.files["image_1"].url is None
    assert set(unit.download(tmp_path)) == {"meta_1"}


@pytest.mark.parametrize(
    ("entry", "path"),
    [
        ({"url": "http://x/a", "size": "abc"}, "files.image_1.size"),
        ({"url": 5}, "files.image_1.url"),
        ({"url": "http://x/a", "checksum": 7}, "files.image_1.checksum"),
        ({"url": "http://x/a", "meta": "m"}, "files.image_1.meta"),
        ({"url": "http://x/a", "is_primary": "yes"}, "files.image_1.is_primary"),
        ({"url": "http://x/a", "size": True}, "files.image_1.size"),
        ("not an object", "files.image_1"),
    ],
)
def test_wrong_typed_fields_name_their_path(
    hostile: HostileServer, api: BackendClient, entry: Any, path: str
) -> None:
    put_unit(hostile, {"image_1": entry})
    with pytest.raises(ResponseValidationError) as info:
        api.data_units.get(1)
    assert info.value.path == path


def test_a_negative_size_is_refused_before_any_request(
    hostile: HostileServer, api: BackendClient, tmp_path: Path
) -> None:
    hostile.route("/f/", FileRoute(DATA))
    put_unit(hostile, {"image_1": {"url": f"{hostile.url}/f/x", "size": -5}})
    with pytest.raises(ResponseValidationError) as info:
        api.data_units.get(1).download(tmp_path)
    assert info.value.path == "files.image_1.size"
    assert gets(hostile, "/f/") == []


BAD_URLS = [
    "javascript:alert(1)",
    "file:///etc/passwd",
    "data:text/plain,hi",
    "ftp://127.0.0.1/x",
    "//evil.example/x",
    "http:///nohost",
    "http://127.0.0.1:{port}/a\r\nX-Injected: 1",
    "http://127.0.0.1:{port}/a\nb",
    "http://127.0.0.1:{port}/a b",
    "http://127.0.0.1:{port}/a\x00b",
    "",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_refused_urls_are_never_requested(
    hostile: HostileServer, api: BackendClient, tmp_path: Path, url: str
) -> None:
    bad = url.replace("{port}", str(hostile.port))
    put_unit(hostile, {"image_1": {"url": bad, "file_name_original": "x.png"}})
    unit = api.data_units.get(1)
    hostile.journal.clear()
    if not bad:  # an empty URL is "no file": left out, nothing requested
        assert unit.download(tmp_path) == {}
    else:
        with pytest.raises(OriginError):
            unit.download(tmp_path)
    assert hostile.journal == []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("url", [u for u in BAD_URLS if u])
def test_refused_urls_in_download_file_and_models(
    hostile: HostileServer, api: BackendClient, session: Session, tmp_path: Path, url: str
) -> None:
    bad = url.replace("{port}", str(hostile.port))
    with pytest.raises(OriginError):
        download_file(session, bad, tmp_path / "x.bin")
    hostile.json("/models/1/", {"id": 1, "name": "m", "file": bad})
    model = api.models.get(1)
    hostile.journal.clear()
    with pytest.raises(OriginError):
        model.download(tmp_path / "m.bin")
    assert hostile.journal == []
    assert list(tmp_path.iterdir()) == []


def test_a_refused_url_in_one_file_means_no_request_for_any(
    hostile: HostileServer, api: BackendClient, tmp_path: Path
) -> None:
    hostile.route("/f/", FileRoute(DATA))
    put_unit(
        hostile,
        {"image_1": {"url": f"{hostile.url}/f/a.png"}, "image_2": {"url": "javascript:x"}},
    )
    unit = api.data_units.get(1)
    hostile.journal.clear()
    with pytest.raises(OriginError, match="image_2"):
        unit.download(tmp_path)
    assert hostile.journal == []


@pytest.mark.parametrize(
    ("name", "saved"),
    [
        ("../../escape.png", "escape.png"),
        ("..", "x"),
        ("a\x00b.png", "ab.png"),
        ("\x1b[31mred.png", "[31mred.png"),
        ("n" * 1000 + ".png", "n" * 236 + ".png"),
        ("데" * 200 + ".png", "데" * 78 + ".png"),
        ("/etc/passwd", "passwd"),
        (".bashrc", "bashrc"),
    ],
)
def test_hostile_names_stay_in_the_folder(
    hostile: HostileServer, api: BackendClient, tmp_path: Path, name: str, saved: str
) -> None:
    hostile.route("/f/", FileRoute(DATA))
    entry = {"url": f"{hostile.url}/f/x", "file_name_original": name, "size": len(DATA)}
    put_unit(hostile, {"image_1": entry})
    out = tmp_path / "out"
    files = api.data_units.get(1).download(out)
    assert files["image_1"] == out / saved
    assert sorted(p.name for p in out.iterdir()) == [saved]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_name_that_is_another_files_part_is_kept_apart(
    hostile: HostileServer, api: BackendClient, tmp_path: Path
) -> None:
    """``a.bin`` and ``a.bin.part`` in one unit: the second must not be the first's ``.part``."""
    one, two = os.urandom(1000), os.urandom(2000)
    hostile.route("/f/1", FileRoute(one))
    hostile.route("/f/2", FileRoute(two))
    put_unit(
        hostile,
        {
            "image_1": {"url": f"{hostile.url}/f/1", "file_name_original": "a.bin"},
            "image_2": {"url": f"{hostile.url}/f/2", "file_name_original": "a.bin.part"},
            "image_3": {"url": f"{hostile.url}/f/2", "file_name_original": "a.bin.part.json"},
        },
    )
    files = api.data_units.get(1).download(tmp_path)
    assert files["image_1"].read_bytes() == one
    assert files["image_2"].read_bytes() == two and files["image_3"].read_bytes() == two
    assert len({files[k] for k in files}) == 3
    assert not any(p.name.endswith((".part", ".part.json")) for p in files.values())


def test_download_without_checksum_or_size_is_not_verified_but_works(
    hostile: HostileServer, api: BackendClient, tmp_path: Path
) -> None:
    hostile.route("/f/", FileRoute(DATA, etag=None))
    put_unit(hostile, {"image_1": {"url": f"{hostile.url}/f/x.bin"}})
    files = api.data_units.get(1).download(tmp_path)
    assert hashlib.md5(files["image_1"].read_bytes()).hexdigest() == hashlib.md5(DATA).hexdigest()

"""Downloads: streamed to disk, safe names, no overwrite unless asked, Range resume (only of a
``.part`` known to be the same object), no auth headers, bounded size and time."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk._transfer import download_file
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.clients.exceptions import (
    ClientConnectionError,
    DeadlineExceededError,
    ResponseError,
)
from synapse_sdk.devserver import LocalBackend
from synapse_sdk.resources import DataFile, DataUnit
from synapse_sdk.uploads import check_upload_path

from .conftest import entries

TOKEN_HEADERS = ("synapse-access-token", "authorization", "synapse-agent", "synapse-tenant")


@pytest.fixture
def unit(client: BackendClient, demo: dict[str, Any], tmp_path: Path) -> tuple[DataUnit, bytes]:
    src = tmp_path.parent / f"{tmp_path.name}-src"
    src.mkdir()
    data = os.urandom(3 * 1024 * 1024 + 17)
    path, meta = src / "scan.png", src / "scan.json"
    path.write_bytes(data)
    meta.write_text('{"source": "test"}')
    collection = client.data_collections.get(demo["data_collection"])
    report = collection.upload([{"image_1": path, "meta_1": meta}])
    assert report.ok
    return report.data_units[0], data


def media_gets(backend: LocalBackend) -> list[Any]:
    return entries(backend, "GET", "media/")


def test_data_unit_download(
    unit: tuple[DataUnit, bytes], synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    data_unit, data = unit
    synapse_backend.journal.clear()
    files = data_unit.download(tmp_path / "out")
    assert set(files) == {"image_1", "meta_1"}
    assert files["image_1"] == tmp_path / "out" / "scan.png"
    assert files["image_1"].read_bytes() == data
    assert not list((tmp_path / "out").glob("*.part"))
    gets = media_gets(synapse_backend)
    assert len(gets) == 2
    for entry in gets:
        assert not {h.lower() for h in entry.headers} & set(TOKEN_HEADERS)
    only = data_unit.download(tmp_path / "only", specs=["meta_1"])
    assert list(only) == ["meta_1"]
    with pytest.raises(KeyError, match="image_9"):
        data_unit.download(tmp_path, specs=["image_9"])


def test_no_overwrite_unless_asked(
    unit: tuple[DataUnit, bytes], synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    data_unit, data = unit
    data_unit.download(tmp_path)
    (tmp_path / "scan.png").write_bytes(b"mine")
    synapse_backend.journal.clear()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        data_unit.download(tmp_path)
    assert media_gets(synapse_backend) == []
    assert (tmp_path / "scan.png").read_bytes() == b"mine"
    data_unit.download(tmp_path, overwrite=True)
    assert (tmp_path / "scan.png").read_bytes() == data


def test_an_interrupted_download_is_resumed_with_range(
    unit: tuple[DataUnit, bytes], synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    data_unit, data = unit
    entry = data_unit.files["image_1"]
    assert entry.url is not None
    session = data_unit._require_manager()._ctx.session
    synapse_backend.faults.add("truncate", method="GET", path="media/*")
    with pytest.raises(ClientConnectionError):  # one attempt only: the run is "interrupted"
        download_file(session, entry.url, tmp_path / "scan.png", max_attempts=1)
    kept = (tmp_path / "scan.png.part").stat().st_size
    assert 0 < kept < len(data) and (tmp_path / "scan.png.part.json").is_file()
    synapse_backend.journal.clear()
    files = data_unit.download(tmp_path, specs=["image_1"])
    assert files["image_1"].read_bytes() == data
    (get,) = media_gets(synapse_backend)
    assert get.headers.get("Range") == f"bytes={kept}-" and get.status == 206
    assert get.headers.get("If-Range")  # the first answer's Last-Modified
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scan.png"]


def test_a_partial_file_of_unknown_origin_is_fetched_again(
    unit: tuple[DataUnit, bytes], synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    data_unit, data = unit
    (tmp_path / "scan.png.part").write_bytes(data[:1_000_000])  # no sidecar: never resumed
    synapse_backend.journal.clear()
    files = data_unit.download(tmp_path, specs=["image_1"])
    assert files["image_1"].read_bytes() == data
    assert [(e.status, e.headers.get("Range")) for e in media_gets(synapse_backend)] == [
        (200, None)
    ]


def test_a_dropped_body_is_resumed(
    unit: tuple[DataUnit, bytes], synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    data_unit, data = unit
    synapse_backend.faults.add("truncate", method="GET", path="media/*")
    synapse_backend.journal.clear()
    files = data_unit.download(tmp_path, specs=["image_1"])
    assert files["image_1"].read_bytes() == data
    first, second = media_gets(synapse_backend)
    assert first.fault == "truncate" and second.headers.get("Range", "").startswith("bytes=")


def test_max_bytes(
    unit: tuple[DataUnit, bytes], synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    data_unit, _ = unit
    synapse_backend.journal.clear()
    with pytest.raises(ResponseError, match="max_bytes"):
        data_unit.download(tmp_path, specs=["image_1"], max_bytes=1_000_000)
    assert media_gets(synapse_backend) == []  # the size was known: refused before the request
    assert not list(tmp_path.iterdir())


def test_max_bytes_from_content_length(
    client: BackendClient, synapse_backend: LocalBackend, demo: dict[str, Any], tmp_path: Path
) -> None:
    model = client.models.get(demo["model"])
    object.__setattr__(model, "size", None)  # the server did not say: Content-Length decides
    with pytest.raises(ResponseError, match="max_bytes"):
        model.download(tmp_path, max_bytes=1)
    assert not list(tmp_path.iterdir())


def test_deadline_bounds_a_slow_download(
    unit: tuple[DataUnit, bytes], synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    data_unit, _ = unit
    synapse_backend.faults.add("drip", method="GET", path="media/*", interval=0.05, times=None)
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError):
        data_unit.download(tmp_path, specs=["meta_1"], deadline=0.5)
    assert time.monotonic() - started < 1.0


def test_data_file_and_model_downloads(
    client: BackendClient, demo: dict[str, Any], make_file: Any, tmp_path: Path
) -> None:
    path, data = make_file(10_000, name="doc.json")
    data_file = client.uploads.data_file(path)
    tmp_path = tmp_path / "dl"
    tmp_path.mkdir()
    assert isinstance(data_file, DataFile)
    assert data_file.download(tmp_path).read_bytes() == data
    target = data_file.download(tmp_path / "named.bin")
    assert target.name == "named.bin" and target.read_bytes() == data
    model = client.models.get(demo["model"])
    saved = model.download(f"{tmp_path}/models/")  # a trailing slash: a folder
    assert saved.parent == tmp_path / "models" and saved.stat().st_size > 0
    with pytest.raises(FileExistsError):
        model.download(tmp_path / "models")


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("..", "download"),
        (".", "download"),
        ("", "download"),
        (".bashrc", "bashrc"),
        ("a\x00b\nc.txt", "abc.txt"),
        ("C:evil.txt", "Cevil.txt"),
        ("데이터.png", "데이터.png"),
        ("x" * 300 + ".png", "x" * 236 + ".png"),
    ],
)
def test_safe_names(name: str, safe: str) -> None:
    from synapse_sdk._transfer import safe_name

    assert safe_name(name) == safe


def test_hostile_original_name_stays_in_the_folder(
    client: BackendClient, synapse_backend: LocalBackend, tmp_path: Path, make_file: Any
) -> None:
    data_unit = client.data_units.get(1)
    entry = data_unit.files["image_1"]
    object.__setattr__(entry, "file_name_original", "../../../escape.png")
    files = data_unit.download(tmp_path / "in")
    assert files["image_1"] == tmp_path / "in" / "escape.png"
    assert check_upload_path(files["image_1"])

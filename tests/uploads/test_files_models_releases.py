"""Data files (seed defaults and the typed size switch), data-unit items, model files through the
chunked upload, and plugin release archives through streamed multipart."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend
from synapse_sdk.resources import DataFile, Model, PluginRelease
from synapse_sdk.uploads import CHUNKED_THRESHOLD

from .conftest import chunk_puts, entries, fetch, md5


def test_seed_create_data_file_is_direct_by_default(
    client: BackendClient, synapse_backend: LocalBackend, make_file: Any
) -> None:
    path, data = make_file(300_000, name="photo.png")
    synapse_backend.journal.clear()
    answer = client.create_data_file(path)
    assert answer["checksum"] == md5(data) and answer["size"] == len(data)
    posts = entries(synapse_backend, "POST", "data_files/")
    assert len(posts) == 1 and "multipart/form-data" in posts[0].headers["Content-Type"]
    assert chunk_puts(synapse_backend) == []
    assert fetch(answer["file"]) == data


def test_seed_create_data_file_chunked_when_asked(
    client: BackendClient, synapse_backend: LocalBackend, make_file: Any
) -> None:
    path, data = make_file(1000)
    synapse_backend.journal.clear()
    answer = client.create_data_file(path, use_chunked_upload=True)
    assert answer["checksum"] == md5(data)
    assert len(chunk_puts(synapse_backend)) == 1
    post = entries(synapse_backend, "POST", "data_files/")[0]
    assert post.headers["Content-Type"] == "application/json"


def test_typed_data_file_switches_to_chunked_above_50_mib(
    client: BackendClient, synapse_backend: LocalBackend, make_file: Any
) -> None:
    path, data = make_file(CHUNKED_THRESHOLD, name="at-threshold.bin")
    synapse_backend.journal.clear()
    at = client.uploads.data_file(path)
    assert isinstance(at, DataFile) and at.checksum == md5(data)
    assert chunk_puts(synapse_backend) == []  # exactly 50 MiB: still one direct POST
    with path.open("ab") as fh:
        fh.write(b"!")
    synapse_backend.journal.clear()
    above = client.uploads.data_file(path)
    assert above.size == CHUNKED_THRESHOLD + 1
    assert len(chunk_puts(synapse_backend)) == 2  # 50 MiB + 1 byte


def test_seed_upload_data_file_and_create_data_units(
    client: BackendClient, demo: dict[str, Any], make_file: Any
) -> None:
    image, image_bytes = make_file(2048, name="a.png")
    meta, _ = make_file(30, name="a.json")
    item = client.upload_data_file(
        organized_file={"files": {"image_1": image, "meta_1": meta}, "meta": {"k": 1}},
        collection_id=demo["data_collection"],
    )
    assert item["data_collection"] == demo["data_collection"]
    assert item["files"]["image_1"] == {"checksum": md5(image_bytes), "path": "a.png"}
    units = client.create_data_units([item])
    assert isinstance(units, list) and units[0]["meta"] == {"k": 1}
    assert fetch(units[0]["files"]["image_1"]["url"]) == image_bytes


def test_upload_data_file_checks_every_file_first(
    client: BackendClient, synapse_backend: LocalBackend, demo: dict[str, Any], make_file: Any
) -> None:
    good, _ = make_file(10, name="ok.png")
    synapse_backend.journal.clear()
    with pytest.raises(FileNotFoundError):
        client.upload_data_file(
            {"files": {"image_1": good, "meta_1": good.with_name("missing.json")}},
            demo["data_collection"],
        )
    assert synapse_backend.journal.entries() == []


def test_seed_create_model_uploads_the_file_then_references_it(
    client: BackendClient, synapse_backend: LocalBackend, make_file: Any, demo: dict[str, Any]
) -> None:
    path, data = make_file(200_000, name="model.pkl")
    synapse_backend.journal.clear()
    model = client.create_model({"name": "My Model", "project": demo["project"], "file": str(path)})
    methods = [(e.method, e.path.split("/")[0]) for e in synapse_backend.journal.entries()]
    assert methods == [("PUT", "chunked_upload"), ("POST", "chunked_upload"), ("POST", "models")]
    assert entries(synapse_backend, "POST", "models/")[0].headers["Content-Type"] == (
        "application/json"
    )
    assert model["size"] == len(data) and fetch(model["file"]) == data


def test_typed_create_model_and_download(
    client: BackendClient, make_file: Any, tmp_path: Path
) -> None:
    path, data = make_file(70_000, name="weights.bin")
    model = client.uploads.create_model("typed", file=path, description="d", chunk_size=32_768)
    assert isinstance(model, Model) and model.name == "typed" and model.size == len(data)
    out = model.download(tmp_path / "out")
    assert out.read_bytes() == data
    bare = client.uploads.create_model("no file")
    assert bare.file is None
    with pytest.raises(ValueError, match="no file"):
        bare.download(tmp_path)


@pytest.mark.parametrize("kind", ["open file", "path", "bytes", "in-memory file"])
def test_plugin_release_archive_is_sent_multipart(
    client: BackendClient,
    synapse_backend: LocalBackend,
    demo: dict[str, Any],
    make_file: Any,
    kind: str,
) -> None:
    path, data = make_file(150_000, name="plugin.zip")
    synapse_backend.journal.clear()
    fields = {"plugin": demo["plugin_code"], "version": "2.0.0", "config": {"a": 1}}
    if kind == "open file":
        with path.open("rb") as fh:
            release = client.create_plugin_release({**fields, "file": fh})
    elif kind == "path":
        release = client.create_plugin_release(fields, file=path)
    elif kind == "bytes":
        release = client.create_plugin_release(fields, file=data)
    else:
        release = client.create_plugin_release(fields, file=io.BytesIO(data))
    post = entries(synapse_backend, "POST", "plugin_releases/")
    assert len(post) == 1 and "multipart/form-data" in post[0].headers["Content-Type"]
    assert release["version"] == "2.0.0" and release["config"] == {"a": 1}
    assert fetch(release["file"]) == data


def test_typed_plugin_release(client: BackendClient, demo: dict[str, Any], make_file: Any) -> None:
    path, data = make_file(5000, name="p.zip")
    release = client.uploads.create_plugin_release(
        demo["plugin_code"], "3.1.0", file=path, requirements=["numpy", "attrs"], debug=True
    )
    assert isinstance(release, PluginRelease)
    assert release.requirements == ["numpy", "attrs"] and release.debug is True
    assert release.file is not None and fetch(release.file) == data
    plain = client.uploads.create_plugin_release(demo["plugin_code"], "3.2.0")
    assert plain.version == "3.2.0"


def test_plugin_release_refuses_a_text_file(
    client: BackendClient, demo: dict[str, Any], tmp_path: Path
) -> None:
    text = tmp_path / "t.txt"
    text.write_text("x")
    with text.open("r") as fh, pytest.raises(TypeError, match="binary"):
        client.create_plugin_release({"plugin": demo["plugin_code"], "version": "1", "file": fh})

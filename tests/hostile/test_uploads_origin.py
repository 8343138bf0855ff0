"""Finding 1 (upload part): a chunked upload's server-supplied ``url`` must never send the file's
bytes or the token anywhere but the API origin.

Two servers: the API answers the first chunk with a hostile ``url``; the other is what the URL
tries to reach. The SDK must raise a typed error before sending anything more, the other server's
journal must stay empty, and the API must see no request but the first chunk.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hostile_server import HostileServer
from test_uploads_kit import UPLOAD_ID, ChunkServer, Put, client_for

from synapse_sdk import ClientError, OriginError, ResponseValidationError

SIZE = 3 * 1024
CHUNK = 1024

# {api} and {other} are "127.0.0.1:<port>" of the two servers.
OTHER_ORIGIN = {
    "backslash userinfo": "http://{other}\\@{api}/chunked_upload/{id}/",
    "plain other port": "http://{other}/chunked_upload/{id}/",
    "localhost other port": "http://localhost:{other_port}/chunked_upload/{id}/",
    "other host": "http://other/chunked_upload/{id}/",
    "scheme-relative": "//{other}/chunked_upload/{id}/",
    "file scheme": "file:///etc/passwd",
    "https on the api port": "https://{api}/chunked_upload/{id}/",
    "userinfo to other": "http://{api}@{other}/chunked_upload/{id}/",
    "userinfo on the api": "http://user:pw@{api}/chunked_upload/{id}/",
    "encoded backslash userinfo": "http://{other}%5C@{api}/chunked_upload/{id}/",
    "upper-case scheme, other": "HTTP://{other}/chunked_upload/{id}/",
    "javascript": "javascript:alert(1)",
    "ipv6 mapped other": "http://[::ffff:127.0.0.1]:{other_port}/chunked_upload/{id}/",
}
# Same origin, but not this upload's URL: refused too (the URL must name the upload).
WRONG_PATH = {
    "another endpoint": "http://{api}/tasks/1/",
    "dot-dot": "http://{api}/chunked_upload/../tasks/1/",
    "another upload": "http://{api}/chunked_upload/11111111-2222-4333-8444-555555555555/",
    "relative path": "chunked_upload/{id}/",
    "crlf": "http://{api}/chunked_upload/{id}/\r\nX-Evil: 1",
    "space": "http://{api}/chunked_upload/{id}/ x",
}


@pytest.fixture
def file(tmp_path: Path) -> Path:
    path = tmp_path / "secret-scan.bin"
    path.write_bytes(os.urandom(SIZE))
    return path


def _url(template: str, api: HostileServer, other: HostileServer) -> str:
    return template.format(
        api=f"127.0.0.1:{api.port}",
        other=f"127.0.0.1:{other.port}",
        other_port=other.port,
        id=UPLOAD_ID,
    )


def _setup(
    hostile_factory: Callable[[], HostileServer], template: str
) -> tuple[HostileServer, HostileServer, ChunkServer]:
    api, other = hostile_factory(), hostile_factory()
    other.default = lambda conn, req: (conn.send_json({"id": UPLOAD_ID, "offset": CHUNK}), True)[1]
    url = _url(template, api, other)
    server = ChunkServer(api)

    def hook(s: ChunkServer, put: Put) -> tuple[int, Any] | None:
        s.honest_put(put)
        return 200, s.state(url=url)

    server.on_put = hook
    return api, other, server


def _check_nothing_left(api: HostileServer, other: HostileServer, file: Path) -> None:
    assert other.journal == [], [(r.method, r.target, r.auth_headers()) for r in other.journal]
    assert other.connections == 0
    # The API saw the first chunk only: nothing was sent to a path built from the hostile URL.
    assert [(r.method, r.path) for r in api.journal] == [("PUT", "/chunked_upload/")]
    data = file.read_bytes()
    assert data[:CHUNK] in api.journal[0].body


@pytest.mark.parametrize("template", OTHER_ORIGIN.values(), ids=OTHER_ORIGIN.keys())
@pytest.mark.parametrize("api_kind", ["typed", "seed", "seed data file", "typed model"])
def test_upload_url_on_another_origin_is_refused(
    hostile_factory: Callable[[], HostileServer], file: Path, template: str, api_kind: str
) -> None:
    api, other, _ = _setup(hostile_factory, template)
    with client_for(api) as client, pytest.raises(ClientError) as info:
        if api_kind == "typed":
            client.uploads.chunked(file, chunk_size=CHUNK)
        elif api_kind == "seed":
            client.create_chunked_upload(file, CHUNK)
        elif api_kind == "seed data file":
            client.uploads.data_file_json(file, chunked=True, chunk_size=CHUNK)
        else:
            client.uploads.create_model("m", file=file, chunk_size=CHUNK)
    assert isinstance(info.value, OriginError), repr(info.value)
    assert "pw" not in str(info.value)  # userinfo is never echoed
    _check_nothing_left(api, other, file)


@pytest.mark.parametrize("template", WRONG_PATH.values(), ids=WRONG_PATH.keys())
def test_upload_url_that_is_not_this_upload_is_refused(
    hostile_factory: Callable[[], HostileServer], file: Path, template: str
) -> None:
    api, other, _ = _setup(hostile_factory, template)
    with client_for(api) as client, pytest.raises(ClientError) as info:
        client.uploads.chunked(file, chunk_size=CHUNK)
    assert isinstance(info.value, (OriginError, ResponseValidationError)), repr(info.value)
    _check_nothing_left(api, other, file)


def test_the_honest_url_is_used(hostile_factory: Callable[[], HostileServer], file: Path) -> None:
    """The control: the same setup with the API's own URL completes, bytes identical."""
    api, other, server = _setup(hostile_factory, "http://{api}/chunked_upload/{id}/")
    with client_for(api) as client:
        upload = client.uploads.chunked(file, chunk_size=CHUNK)
    assert upload.id == UPLOAD_ID and bytes(server.data) == file.read_bytes()
    assert other.journal == []
    assert {r.path for r in api.journal[1:]} == {f"/chunked_upload/{UPLOAD_ID}/"}


@pytest.mark.parametrize("template", OTHER_ORIGIN.values(), ids=OTHER_ORIGIN.keys())
def test_resume_state_with_a_url_on_another_origin_is_refused(
    hostile_factory: Callable[[], HostileServer], file: Path, template: str
) -> None:
    """``resume_chunked_upload`` reads the upload's state first; its ``url`` is checked too."""
    api, other, server = _setup(hostile_factory, template)
    server.data += file.read_bytes()[:CHUNK]
    url = server.on_put  # the first-chunk hook knows the URL; reuse it for the state
    server.on_get = lambda s, req: url(s, Put(req, len(s.data), b"")) or (200, {})
    with client_for(api) as client, pytest.raises(OriginError):
        client.resume_chunked_upload(UPLOAD_ID, file, CHUNK)
    assert other.journal == [] and other.connections == 0
    assert [r.method for r in api.journal] == ["GET"]
    assert server.puts == []

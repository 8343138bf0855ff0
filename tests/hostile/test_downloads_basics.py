"""Downloads against the hostile server: the shared file route, and the plain cases.

:class:`FileRoute` serves one object like an object store does (``Range: bytes=N-``,
``If-Range``, ``ETag``/``Last-Modified``) and can misbehave on cue (cut a body, change the
object). The other ``test_downloads_*`` modules import it from here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hostile_server import Conn, HostileServer, Request

from synapse_sdk import RetryPolicy
from synapse_sdk._http import Session, Timeout
from synapse_sdk._transfer import download_file
from synapse_sdk.clients.backend import BackendClient

_RANGE = re.compile(r"^bytes=(\d+)-$")


@dataclass
class FileRoute:
    """One object at one path, served with single-range support.

    Attributes:
        data: The object's bytes (replace it to "change the object" on the server).
        etag: The ``ETag`` sent (None: none).
        last_modified: The ``Last-Modified`` sent (None: none).
        cuts: Per request, in order: how many body bytes to send before closing the connection
            (None: the whole body). Requests past the list get the whole body.
        extra: More headers for every answer.
        instead: A handler that answers in this route's place (set it to change the server's
            behaviour mid-test: the hostile server keeps the first route added for a prefix).
    """

    data: bytes
    etag: str | None = '"v1"'
    last_modified: str | None = None
    cuts: list[int | None] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)
    instead: Callable[[Conn, Request], bool] | None = None
    served: int = 0

    def __call__(self, conn: Conn, req: Request) -> bool:
        if self.instead is not None:
            return self.instead(conn, req)
        cut = self.cuts[self.served] if self.served < len(self.cuts) else None
        self.served += 1
        headers = {"Accept-Ranges": "bytes", **self.extra}
        if self.etag is not None:
            headers["ETag"] = self.etag
        if self.last_modified is not None:
            headers["Last-Modified"] = self.last_modified
        start, status = 0, 200
        match = _RANGE.match(req.header("range") or "")
        if_range = req.header("if-range")
        if match and (if_range is None or if_range in (self.etag, self.last_modified)):
            start = int(match.group(1))
            if start >= len(self.data):
                range_headers = {
                    "Content-Range": f"bytes */{len(self.data)}",
                    "Content-Length": "0",
                }
                conn.send_head(416, {**headers, **range_headers})
                return True
            status = 206
            headers["Content-Range"] = f"bytes {start}-{len(self.data) - 1}/{len(self.data)}"
        body = self.data[start:]
        headers["Content-Length"] = str(len(body))
        conn.send_head(status, headers)
        if cut is not None:
            conn.send(body[:cut])
            return False
        conn.send(body)
        return True


def fast_policy() -> RetryPolicy:
    return RetryPolicy(backoff_initial=0.001, backoff_max=0.01)


#: Short socket timeouts: a test that waits on a silent server fails in seconds, not minutes.
TIMEOUT = Timeout(connect=2, read=2, deadline=20)


@pytest.fixture
def api(hostile: HostileServer) -> Iterator[BackendClient]:
    """A client whose API origin is the hostile server (JSON routes set by each test)."""
    with BackendClient(
        hostile.url, api_token="tok-secret", retries=fast_policy(), timeout=TIMEOUT
    ) as c:
        yield c


@pytest.fixture
def session() -> Iterator[Session]:
    """A bare session for ``download_file`` (its base URL is never used by absolute URLs)."""
    s = Session("http://127.0.0.1:9", retry=fast_policy(), timeout=TIMEOUT)
    try:
        yield s
    finally:
        s.close()


def gets(srv: HostileServer, path: str) -> list[Request]:
    return [r for r in srv.requests(path) if r.method == "GET"]


def unit_json(files: dict[str, dict[str, Any]], pk: int = 1) -> dict[str, Any]:
    return {"id": pk, "data_collection": 1, "files": files}


# -- the plain cases ---------------------------------------------------------------------------


def test_plain_download_sends_no_auth_and_asks_for_identity(
    hostile: HostileServer, api: BackendClient, tmp_path: Path
) -> None:
    data = bytes(range(256)) * 40
    hostile.route("/m/1/", FileRoute(data))
    hostile.json("/models/1/", {"id": 1, "file": f"{hostile.url}/m/1/w.pt", "size": len(data)})
    saved = api.models.get(1).download(tmp_path)
    assert saved == tmp_path / "w.pt" and saved.read_bytes() == data
    (get,) = gets(hostile, "/m/")
    assert get.auth_headers() == {}
    assert get.header("accept-encoding") == "identity"
    assert get.header("range") is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.pt"]  # no .part, no sidecar


def test_download_file_plain(hostile: HostileServer, session: Session, tmp_path: Path) -> None:
    data = b"abc" * 1000
    hostile.route("/f/", FileRoute(data))
    target = download_file(session, f"{hostile.url}/f/x.bin", tmp_path / "x.bin")
    assert target.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.bin"]

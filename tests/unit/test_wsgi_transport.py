"""``WSGITransport``: a WSGI app answers the Session in-process, through the one attempt loop.

Small apps pin the wire semantics (status, headers, bodies, streamed request bodies, HEAD/204,
body caps, app errors, deadlines, redirects, fork); the last tests run the local backend's app
(journal and faults recorded at the app level, as over a socket).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from synapse_sdk import (
    BackendClient,
    ClientConnectionError,
    DeadlineExceededError,
    HTTPError,
    NotFoundError,
    OutcomeUnknownError,
    ResponseTooLargeError,
    ServerError,
    Timeout,
    TruncatedBodyError,
    ValidationError,
    WSGITransport,
)
from synapse_sdk._http import Multipart, RetryPolicy, Session
from synapse_sdk.devserver import LocalBackend

StartResponse = Callable[..., Any]
Environ = dict[str, Any]
URL = "http://testserver"
NO_RETRY = RetryPolicy(max_retries=0)


def session_for(app: Callable[[Environ, StartResponse], Iterable[bytes]], **kw: Any) -> Session:
    kw.setdefault("retry", NO_RETRY)
    return Session(URL, transport=WSGITransport(app), **kw)


def echo(environ: Environ, start_response: StartResponse) -> list[bytes]:
    """Answers with what it saw: method, path, query, headers, the body's sha256 and size."""
    body = environ["wsgi.input"].read()
    seen = {
        "method": environ["REQUEST_METHOD"],
        "path": environ["PATH_INFO"],
        "query": environ["QUERY_STRING"],
        "headers": {k: v for k, v in environ.items() if k.startswith(("HTTP_", "CONTENT_"))},
        "sha": hashlib.sha256(body).hexdigest(),
        "size": len(body),
        "host": environ["SERVER_NAME"],
        "scheme": environ["wsgi.url_scheme"],
    }
    data = json.dumps(seen).encode()
    start_response(
        "200 OK",
        [("Content-Type", "application/json"), ("Content-Length", str(len(data))), ("X-A", "1")],
    )
    return [data]


def answer(status: str, body: bytes = b"", headers: list[tuple[str, str]] | None = None) -> Any:
    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        start_response(status, headers if headers is not None else [("Content-Type", "text/plain")])
        return [body]

    return app


class Closing:
    """A body iterable that records whether the transport closed it (PEP 3333)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        return self.chunks

    def close(self) -> None:
        self.closed = True


# -- the wire ------------------------------------------------------------------------------------


def test_status_headers_body_and_environ() -> None:
    with session_for(echo, headers={"Synapse-Access-Token": "Token t"}) as session:
        response = session.request("POST", "tasks/a%20b/", params={"x": 1}, json={"k": "v"})
    assert response.status == 200 and response.headers["x-a"] == "1"
    seen = response.json()
    assert seen["method"] == "POST" and seen["path"] == "/tasks/a b/" and seen["query"] == "x=1"
    headers = seen["headers"]
    assert headers["HTTP_SYNAPSE_ACCESS_TOKEN"] == "Token t"
    assert headers["HTTP_HOST"] == "testserver" and headers["HTTP_ACCEPT_ENCODING"] == "identity"
    assert headers["CONTENT_TYPE"] == "application/json" and headers["CONTENT_LENGTH"] == "10"
    assert len(headers["HTTP_X_REQUEST_ID"]) == 32 and headers["HTTP_USER_AGENT"]
    assert seen["size"] == int(headers["CONTENT_LENGTH"]) and seen["host"] == "testserver"


def test_error_statuses_are_typed_and_retried_like_over_a_socket() -> None:
    not_found = session_for(answer("404 Not Found", b'{"detail": "no"}'))
    with not_found, pytest.raises(NotFoundError) as info:
        not_found.request("GET", "tasks/1/")
    assert info.value.status_code == 404 and "no" in str(info.value)
    invalid = session_for(answer("400 Bad Request", b'{"name": ["bad"]}'))
    with invalid, pytest.raises(ValidationError):
        invalid.request("POST", "tasks/", json={})
    calls: list[int] = []

    def flaky(environ: Environ, start_response: StartResponse) -> list[bytes]:
        calls.append(1)
        status = "503 Service Unavailable" if len(calls) < 3 else "200 OK"
        start_response(status, [("Retry-After", "0.25"), ("Content-Type", "application/json")])
        return [b"{}"]

    sleeps: list[float] = []
    with session_for(flaky, retry=RetryPolicy(max_retries=3), sleep=sleeps.append) as session:
        assert session.request("GET", "x/").status == 200
    assert len(calls) == 3 and sleeps == [0.25, 0.25]


def test_streamed_multipart_body_is_read_lazily_and_completely(tmp_path: Any) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    body = Multipart(fields=[("name", "n")], files=[("file", "big.bin", path, None)])
    expected = hashlib.sha256(b"".join(bytes(b) for b in body.iter_body())).hexdigest()
    pieces: list[int] = []

    def reader(environ: Environ, start_response: StartResponse) -> list[bytes]:
        sha, stream = hashlib.sha256(), environ["wsgi.input"]
        while data := stream.read(100_000):
            pieces.append(len(data))
            sha.update(data)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [sha.hexdigest().encode(), b" ", environ["CONTENT_LENGTH"].encode()]

    with session_for(reader) as session:
        digest, length = session.request("POST", "upload/", body=body).content.split()
    assert digest.decode() == expected and int(length) == body.content_length
    assert max(pieces) <= 100_000 and len(pieces) > 30  # read as the app asked, not buffered
    # An app that reads nothing still gets the whole body sent (as a server would receive it).
    with session_for(answer("201 Created", b"{}")) as session:
        assert session.request("POST", "upload/", body=body).status == 201


def test_a_body_that_fails_is_raised_unchanged(tmp_path: Any) -> None:
    def produce() -> Iterator[bytes]:
        yield b"short"  # announced 10 bytes: the file "changed while uploading"

    body = Multipart(files=[("file", "f", (produce, 10), None)])
    with session_for(echo) as session, pytest.raises(ValueError, match="modified"):
        session.request("POST", "upload/", body=body)


def test_head_204_and_304_carry_no_body() -> None:
    with session_for(answer("200 OK", b"ignored")) as session:
        assert session.request("HEAD", "x/").content == b""
    with session_for(answer("204 No Content", b"ignored")) as session:
        response = session.request("DELETE", "x/1/")
    assert response.status == 204 and response.content == b""
    unread = Closing(iter([b"first chunk", b"never read"]))

    def not_modified(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        start_response("304 Not Modified", [])
        return unread

    cached = session_for(not_modified)
    with cached, pytest.raises(HTTPError) as info:
        cached.request("GET", "x/")
    assert info.value.status_code == 304 and info.value.response is None
    assert unread.closed and next(unread.chunks) == b"never read"


def test_write_callable_and_late_start_response() -> None:
    def legacy(environ: Environ, start_response: StartResponse) -> list[bytes]:
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"written ")
        return [b"returned"]

    def lazy(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        yield b""
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"after"

    with session_for(legacy) as session:
        assert session.request("GET", "x/").content == b"written returned"
    with session_for(lazy) as session:
        assert session.request("GET", "x/").content == b"after"


def test_large_bodies_stream_and_the_cap_holds() -> None:
    block = b"x" * (1024 * 1024)
    endless = Closing(iter(lambda: block, None))

    def big(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return endless if environ["PATH_INFO"] == "/endless/" else [block] * 5

    with session_for(big) as session:
        assert session.request("GET", "five/").content == block * 5
    capped = session_for(big, max_response_bytes=2 * 1024 * 1024)
    with capped, pytest.raises(ResponseTooLargeError) as info:
        capped.request("GET", "endless/")
    assert info.value.limit == 2 * 1024 * 1024 and endless.closed
    announced = answer("200 OK", b"", [("Content-Length", str(10**10))])
    small = session_for(announced, max_response_bytes=1000)
    with small, pytest.raises(ResponseTooLargeError, match="announces"):
        small.request("GET", "huge/")


# -- failures --------------------------------------------------------------------------------------


def test_app_exceptions_are_connection_failures() -> None:
    def broken(environ: Environ, start_response: StartResponse) -> list[bytes]:
        raise RuntimeError("database is locked")

    with session_for(broken) as session:
        with pytest.raises(ClientConnectionError, match="WSGI app raised RuntimeError") as info:
            session.request("GET", "x/")
        assert isinstance(info.value.__cause__.__cause__, RuntimeError)  # type: ignore[union-attr]
        with pytest.raises(OutcomeUnknownError):
            session.request("POST", "x/", json={})

    def dies_midway(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Length", "100")])
        yield b"x" * 50
        raise RuntimeError("worker killed")

    with session_for(dies_midway) as session, pytest.raises(TruncatedBodyError) as cut:
        session.request("GET", "x/")
    assert cut.value.status_code == 200


@pytest.mark.parametrize(
    ("status", "headers"),
    [("200 OK", [("Content-Length", "abc")]), ("99 Odd", []), ("OK", [])],
    ids=["bad-content-length", "1xx", "no-code"],
)
def test_protocol_errors(status: str, headers: list[tuple[str, str]]) -> None:
    session = session_for(answer(status, b"", headers))
    with session, pytest.raises(ClientConnectionError):
        session.request("GET", "x/")


def test_short_body_is_truncated_and_retried() -> None:
    calls: list[int] = []

    def short(environ: Environ, start_response: StartResponse) -> list[bytes]:
        calls.append(1)
        start_response("200 OK", [("Content-Length", "100")])
        return [b"x" * 50 if len(calls) == 1 else b"y" * 100]

    with session_for(short, retry=RetryPolicy(max_retries=1), sleep=lambda s: None) as session:
        assert session.request("GET", "x/").content == b"y" * 100
    assert len(calls) == 2


def test_deadline_on_a_slow_app_and_a_slow_body() -> None:
    def slow(environ: Environ, start_response: StartResponse) -> list[bytes]:
        time.sleep(0.3)
        start_response("200 OK", [])
        return [b"late"]

    def drip(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Length", "1000")])
        for _ in range(1000):
            time.sleep(0.01)
            yield b"x"

    deadline = Timeout(deadline=0.1)
    with session_for(slow) as session:
        with pytest.raises(DeadlineExceededError):
            session.request("GET", "x/", timeout=deadline)
        with pytest.raises(OutcomeUnknownError):  # the app ran: a write may have applied
            session.request("POST", "x/", json={}, timeout=deadline)
    started = time.monotonic()
    with session_for(drip) as session, pytest.raises(DeadlineExceededError):
        session.request("GET", "x/", timeout=Timeout(deadline=0.3))
    assert time.monotonic() - started < 1.0  # checked between chunks, not after all 10 s


def test_downloads_go_to_the_app_follow_redirects_and_send_no_auth() -> None:
    # The first chunk is pulled (an app may call start_response lazily); nothing more.
    redirect_body = Closing(iter([b"first chunk", b"never read"]))

    def storage(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ["PATH_INFO"] == "/files/1/":
            start_response("302 Found", [("Location", "https://storage.example/obj?sig=s")])
            return redirect_body
        assert "HTTP_SYNAPSE_ACCESS_TOKEN" not in environ
        body = f"{environ['wsgi.url_scheme']}://{environ['HTTP_HOST']}".encode()
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]

    session = session_for(storage, headers={"Synapse-Access-Token": "Token t"})
    with session, session.download("files/1/") as stream:
        assert b"".join(stream.iter_content()) == b"https://storage.example"
    assert redirect_body.closed and next(redirect_body.chunks) == b"never read"


def test_a_forked_child_uses_the_transport() -> None:
    session = session_for(echo)
    assert session.request("GET", "parent/").json()["path"] == "/parent/"
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            ok = session.request("GET", "child/", timeout=Timeout(deadline=5))
            os.write(write, b"1" if ok.json()["path"] == "/child/" else b"0")
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"
    os.close(read)


def test_pickling_keeps_a_picklable_app() -> None:
    session = session_for(echo)
    clone = pickle.loads(pickle.dumps(session))
    assert isinstance(clone._pool, WSGITransport) and clone._pool.app is echo
    assert clone.request("GET", "again/").json()["path"] == "/again/"
    assert repr(WSGITransport(echo)).startswith("WSGITransport(")
    with pytest.raises(TypeError, match="WSGI callable"):
        WSGITransport("not an app")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="transport must be a Transport"):
        Session(URL, transport=echo)  # type: ignore[arg-type]


# -- the local backend's app ---------------------------------------------------------------------


@pytest.fixture
def backend() -> Iterator[LocalBackend]:
    with LocalBackend(seed="demo", listen=False) as local:
        yield local


def in_process(backend: LocalBackend, **kw: Any) -> BackendClient:
    transport = WSGITransport(backend.wsgi_app, errors=io.StringIO())
    return BackendClient(URL, api_token=backend.api_token, transport=transport, **kw)


def test_the_journal_records_in_process_requests(backend: LocalBackend) -> None:
    with in_process(backend) as client:
        backend.journal.clear()
        plugin = client.plugins.get(backend.demo["plugin"])
        plugin.description = "edited"
        plugin.save()
    get, patch = backend.journal.entries()
    assert (get.method, get.status, patch.status) == ("GET", 200, 200)
    assert patch.method in ("PATCH", "PUT") and patch.committed and patch.body_size > 0
    assert patch.body_sha256 != hashlib.sha256(b"").hexdigest()
    assert patch.headers["Synapse-Access-Token"] == "***" and patch.request_id


def test_faults_act_in_process(backend: LocalBackend) -> None:
    with in_process(backend, retries=0) as client:
        backend.faults.add("reset_after", method="POST", path="plugins/*/run/")
        with pytest.raises(OutcomeUnknownError):
            client.plugins.run(backend.demo["plugin"], action="noop")
        assert backend.journal.committed("POST") == 1
        backend.faults.add("status", method="GET", path="projects/*", status=503)
        with pytest.raises(ServerError) as busy:
            client.projects.get(1)
        assert busy.value.status_code == 503


def test_a_backend_without_a_socket(backend: LocalBackend) -> None:
    assert backend.running and "in-process" in repr(backend)
    with pytest.raises(RuntimeError, match="listen=False"):
        backend.url  # noqa: B018 - the property raises
    with in_process(backend) as client, pytest.raises(TypeError, match="does not pickle"):
        pickle.dumps(client)
    backend.stop()
    with pytest.raises(RuntimeError, match="not running"):
        backend.wsgi_app  # noqa: B018

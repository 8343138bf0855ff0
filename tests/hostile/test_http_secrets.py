"""Finding 13a (the session layer's part): no secret of a URL survives into an error's str, repr
or its ``__cause__``/``__context__`` chain, whatever urllib3 put in its own exception."""

from __future__ import annotations

import socket
import traceback
from collections.abc import Iterator

import pytest
from hostile_server import Conn, HostileServer, Request

from synapse_sdk import ClientError, Timeout
from synapse_sdk._http import Session

SECRET = "SECRET-c4n4ry-77"


def chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    stack = [exc]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        stack.extend(e for e in (item.__cause__, item.__context__) if e is not None)


def texts(exc: BaseException) -> list[str]:
    out = ["".join(traceback.format_exception(exc))]
    for item in chain(exc):
        out += [str(item), repr(item), repr(item.args)]
        out += [repr(v) for v in vars(item).values()] if hasattr(item, "__dict__") else []
    return out


def assert_clean(exc: BaseException) -> None:
    leaks = [t for t in texts(exc) if SECRET in t]
    assert not leaks, leaks[0][:2000]


@pytest.fixture
def refused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize(
    "url",
    [
        f"http://127.0.0.1:99999/f?X-Amz-Signature={SECRET}",
        f"http://127.0.0.1:notaport/f?token={SECRET}",
        f"http://user:{SECRET}@127.0.0.1:99999/f",
        f"http://[::1/f?sig={SECRET}",
    ],
    ids=["port-out-of-range", "port-not-a-number", "password", "bad-ipv6"],
)
def test_download_of_a_malformed_url_never_shows_the_secret(url: str) -> None:
    with Session("http://127.0.0.1:1") as session, pytest.raises((ClientError, ValueError)) as info:
        session.download(url, timeout=Timeout(connect=1, read=1, deadline=2))
    assert_clean(info.value)


def test_download_connection_refused_never_shows_the_secret(refused_port: int) -> None:
    url = f"http://127.0.0.1:{refused_port}/f?X-Amz-Signature={SECRET}&X-Amz-Credential={SECRET}"
    with (
        Session("http://127.0.0.1:1", sleep=lambda s: None) as session,
        pytest.raises(ClientError) as info,
    ):
        session.download(url, timeout=Timeout(connect=1, read=1, deadline=2))
    assert_clean(info.value)


def test_download_redirected_to_a_refused_port_never_shows_the_secret(
    hostile: HostileServer, refused_port: int
) -> None:
    target = f"http://127.0.0.1:{refused_port}/obj?X-Amz-Signature={SECRET}"

    def handler(conn: Conn, req: Request) -> bool:
        conn.send_head(302, {"Location": target, "Content-Length": "0"})
        return True

    hostile.route("/files/", handler)
    with Session(hostile.url, sleep=lambda s: None) as session, pytest.raises(ClientError) as info:
        session.download("files/1/", timeout=Timeout(connect=1, read=1, deadline=2))
    assert_clean(info.value)


def test_api_call_with_a_secret_in_the_query_never_shows_it(refused_port: int) -> None:
    with (
        Session(f"http://127.0.0.1:{refused_port}", sleep=lambda s: None) as session,
        pytest.raises(ClientError) as info,
    ):
        session.request("GET", "tasks/", params={"token": SECRET})
    assert_clean(info.value)


def test_download_body_cut_off_never_shows_the_secret(hostile: HostileServer) -> None:
    def handler(conn: Conn, req: Request) -> bool:
        conn.send_head(200, {"Content-Length": "100"})
        conn.send(b"short")
        return False

    hostile.route("/media/", handler)
    with Session(hostile.url) as session:
        stream = session.download(f"{hostile.url}/media/f?X-Amz-Signature={SECRET}")
        with stream, pytest.raises(ClientError) as info:
            b"".join(stream.iter_content())
    assert_clean(info.value)

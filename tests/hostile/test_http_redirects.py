"""Finding 6: a download never reads the body of a redirect; it closes that connection instead.

A 302 whose body is endless (or drips) used to hold ``download(deadline=2)`` until the server
stopped, because the redirect's body was drained to reuse the connection.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from hostile_server import Conn, HostileServer, Request, head_bytes

from synapse_sdk import DeadlineExceededError, Timeout
from synapse_sdk._http import Session

PAYLOAD = b"the real file\n" * 100


def serve_file(conn: Conn, req: Request) -> bool:
    conn.send(head_bytes(200, {"Content-Length": str(len(PAYLOAD))}) + PAYLOAD)
    return True


def endless_redirect(target: str) -> Callable[[Conn, Request], bool]:
    def handler(conn: Conn, req: Request) -> bool:
        conn.send_head(302, {"Location": target, "Transfer-Encoding": "chunked"})
        conn.endless(limit=8)
        return False

    return handler


def dripping_redirect(target: str) -> Callable[[Conn, Request], bool]:
    def handler(conn: Conn, req: Request) -> bool:
        conn.send_head(302, {"Location": target, "Content-Length": "1000"})
        conn.drip(b"x" * 1000, 0.2, limit=8)
        return False

    return handler


def huge_redirect(target: str) -> Callable[[Conn, Request], bool]:
    """A redirect announcing 10 GB of body and sending none of it."""

    def handler(conn: Conn, req: Request) -> bool:
        conn.send_head(302, {"Location": target, "Content-Length": str(10**10)})
        conn.wait(8)
        return False

    return handler


@pytest.mark.parametrize(
    "make_handler",
    [endless_redirect, dripping_redirect, huge_redirect],
    ids=["endless-body", "dripping-body", "announced-10GB"],
)
def test_redirect_body_is_never_read(
    hostile_factory: Callable[[], HostileServer],
    make_handler: Callable[[str], Callable[[Conn, Request], bool]],
) -> None:
    storage, api = hostile_factory(), hostile_factory()
    storage.route("/real.bin", serve_file)
    api.route("/files/", make_handler(f"{storage.url}/real.bin"))
    started = time.monotonic()
    with (
        Session(api.url) as session,
        session.download(f"{api.url}/files/1/", timeout=Timeout(deadline=2)) as stream,
    ):
        body = b"".join(stream.iter_content())
    assert body == PAYLOAD
    assert time.monotonic() - started < 1.0
    assert len(storage.requests("/real.bin")) == 1


def test_same_origin_redirect_opens_a_new_connection(hostile: HostileServer) -> None:
    """The redirect's connection is closed, never reused: the next hop (on the same origin)
    arrives on a second connection and gets its own answer."""
    hostile.route("/real.bin", serve_file)
    hostile.route("/files/", endless_redirect("/real.bin"))
    started = time.monotonic()
    with (
        Session(hostile.url) as session,
        session.download("files/1/", timeout=Timeout(deadline=2)) as stream,
    ):
        assert b"".join(stream.iter_content()) == PAYLOAD
    assert time.monotonic() - started < 1.0
    assert hostile.connections == 2


def test_redirect_loop_with_endless_bodies_is_bounded(hostile: HostileServer) -> None:
    hostile.route("/files/", endless_redirect("/files/again/"))
    started = time.monotonic()
    with Session(hostile.url) as session, pytest.raises(Exception) as info:
        session.download("files/1/", timeout=Timeout(deadline=2))
    assert time.monotonic() - started < 2.5
    assert "redirects" in str(info.value) or isinstance(info.value, DeadlineExceededError)

"""A hostile server behind the job log tail (Server-Sent Events): every attack ends in a typed
error, bounded in time and memory, or in the right events exactly once.

The tail is read through the typed API (``client.jobs.tail``) and the seed's raw lines
(``client.tail_job_console_logs``); reconnect pauses go through an injected ``sleep``, so backoff
and ``Retry-After`` are asserted without waiting."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hostile_server import Conn, HostileServer, Request, gzip_bomb

from synapse_sdk import (
    AuthenticationError,
    AuthorizationError,
    ClientConnectionError,
    ClientTimeoutError,
    DeadlineExceededError,
    NotFoundError,
    OriginError,
    RateLimitError,
    ResponseDecodeError,
    ResponseTooLargeError,
    ServerError,
    Timeout,
)
from synapse_sdk._http import Session, stream_events
from synapse_sdk.clients.backend import BackendClient

TAIL = "/jobs/7/tail_console_logs/"


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(hostile: HostileServer, sleeps: Sleeps) -> Iterator[BackendClient]:
    with BackendClient(
        hostile.url, api_token="hostile-token", sleep=sleeps, timeout=Timeout(5, 5, 5)
    ) as c:
        yield c


def head(conn: Conn, **extra: str) -> None:
    conn.send_head(200, {"Content-Type": "text/event-stream", "Connection": "close", **extra})


def event(event_id: int | None, payload: dict[str, Any]) -> bytes:
    line = f"id: {event_id}\n" if event_id is not None else ""
    return f"{line}data: {json.dumps(payload)}\n\n".encode()


def log(n: int) -> bytes:
    inner = json.dumps({"type": "log", "message": f"line {n}", "level": "info"})
    return event(n, {"type": "log", "data": f"data: {inner}"})


COMPLETE = event(99, {"type": "complete", "status": "SUCCEEDED"})


def messages(client: BackendClient, **kw: Any) -> list[str]:
    return [e.message for e in client.jobs.tail(7, **kw)]


def test_an_endless_line_raises_a_typed_error_not_memory(
    hostile: HostileServer, client: BackendClient
) -> None:
    def handler(conn: Conn, req: Request) -> bool:
        head(conn)
        conn.send(b"data: ")
        conn.endless(b"x" * 65536, chunked=False, limit=20)
        return False

    hostile.route(TAIL, handler)
    started = time.monotonic()
    with pytest.raises(ResponseTooLargeError, match="a line longer than 1048576") as info:
        messages(client)
    assert info.value.limit == 1024 * 1024
    assert time.monotonic() - started < 5
    assert len(hostile.requests(TAIL)) == 1  # not retried: the server would do it again


def test_an_event_block_of_endless_comments_is_capped(hostile: HostileServer) -> None:
    def handler(conn: Conn, req: Request) -> bool:
        head(conn)
        conn.endless(b": spam\n" * 1000, chunked=False, limit=20)
        return False

    hostile.route(TAIL, handler)
    with Session(hostile.url) as session:
        events = stream_events(session, TAIL, max_event_bytes=100_000)
        with pytest.raises(ResponseTooLargeError, match="an event longer than 100000"):
            list(events)


def test_keep_alives_forever_end_at_the_timeout(
    hostile: HostileServer, client: BackendClient
) -> None:
    def handler(conn: Conn, req: Request) -> bool:
        head(conn)
        with_ids = event(0, {"type": "connected"})
        conn.send(with_ids)
        while not conn.wait(0.05):
            conn.send(b": ping\n\n")
        return False

    hostile.route(TAIL, handler)
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError):
        messages(client, idle_timeout=0.3, timeout=1.0)
    assert 0.9 < time.monotonic() - started < 2.0
    assert len(hostile.requests(TAIL)) == 1  # the pings kept the idle timeout from firing


def test_a_silent_stream_is_reopened_after_the_idle_timeout(hostile: HostileServer) -> None:
    stop = threading.Event()

    def handler(conn: Conn, req: Request) -> bool:
        head(conn)
        conn.send(event(1, {"type": "connected"}))
        stop.wait(5)
        return False

    hostile.route(TAIL, handler)
    with Session(hostile.url, sleep=lambda s: None) as session:
        started = time.monotonic()
        with pytest.raises(ClientTimeoutError, match=r"nothing for 0\.2 s"):
            list(stream_events(session, TAIL, idle_timeout=0.2, max_reconnects=1))
        assert time.monotonic() - started < 2
    stop.set()
    requests = hostile.requests(TAIL)
    # the first reconnect got no new event (the connected event again): the second is the last
    assert [r.header("last-event-id") for r in requests] == [None, "1", "1"]


def test_a_drop_mid_event_resumes_after_the_last_whole_event(
    hostile: HostileServer, client: BackendClient
) -> None:
    def handler(conn: Conn, req: Request) -> bool:
        head(conn)
        if req.header("last-event-id") is None:
            conn.send(event(0, {"type": "connected"}) + log(1) + log(2))
            conn.send(b'id: 3\ndata: {"type": "log", "data": "data: {\\"mess')  # cut off
            return False
        after = int(req.header("last-event-id") or 0)
        conn.send(b"".join(log(n) for n in range(after + 1, 5)) + COMPLETE)
        return False

    hostile.route(TAIL, handler)
    assert messages(client) == ["line 1", "line 2", "line 3", "line 4"]
    assert [r.header("last-event-id") for r in hostile.requests(TAIL)] == [None, "2"]


def test_a_server_that_resends_old_ids_gives_each_event_once(
    hostile: HostileServer, client: BackendClient
) -> None:
    def handler(conn: Conn, req: Request) -> bool:  # ignores Last-Event-ID: replays from 1
        head(conn)
        count = (len(hostile.requests(TAIL)) - 1) % 3 + 1  # 1, 2, 3, then again for the seed
        conn.send(b"".join(log(n) for n in range(1, 2 + count)))
        if count == 3:
            conn.send(COMPLETE)
        return False

    hostile.route(TAIL, handler)
    assert messages(client) == ["line 1", "line 2", "line 3", "line 4"]
    seed = list(BackendClient(hostile.url, api_token="t").tail_job_console_logs(7))
    assert (
        seed.count("id: 1") == 1 and seed[-1] == 'data: {"type": "complete", "status": "SUCCEEDED"}'
    )


def test_retry_after_99999_on_a_503_is_capped_at_60_s(
    hostile: HostileServer, client: BackendClient, sleeps: Sleeps
) -> None:
    def handler(conn: Conn, req: Request) -> bool:
        if len(hostile.requests(TAIL)) == 1:
            conn.send_json({"detail": "hub down"}, 503, {"Retry-After": "99999"})
            return True
        head(conn)
        conn.send(log(1) + COMPLETE)
        return False

    hostile.route(TAIL, handler)
    assert messages(client) == ["line 1"]
    assert sleeps == [60.0]


def test_a_429_that_never_ends_raises_with_retry_after(
    hostile: HostileServer, client: BackendClient, sleeps: Sleeps
) -> None:
    hostile.json(TAIL, {"detail": "member ceiling"}, 429, Retry_After="2")
    with pytest.raises(RateLimitError) as info:
        messages(client)
    assert info.value.retry_after == 2.0
    assert sleeps == [2.0] * 5 and len(hostile.requests(TAIL)) == 6


def test_a_503_carries_retry_after_too(hostile: HostileServer, client: BackendClient) -> None:
    hostile.json(TAIL, {"detail": "hub down"}, 503, Retry_After="3")
    with pytest.raises(ServerError) as info:
        messages(client)
    assert getattr(info.value, "retry_after", None) == 3.0


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, AuthenticationError), (403, AuthorizationError), (404, NotFoundError)],
)
def test_auth_and_missing_jobs_raise_at_once(
    hostile: HostileServer, client: BackendClient, sleeps: Sleeps, status: int, error: type
) -> None:
    hostile.json(TAIL, {"detail": "no"}, status)
    with pytest.raises(error):
        messages(client)
    assert len(hostile.requests(TAIL)) == 1 and sleeps == []


def test_a_wrong_content_type_is_refused(hostile: HostileServer, client: BackendClient) -> None:
    hostile.json(TAIL, {"type": "log"})
    with pytest.raises(ResponseDecodeError, match=r"text/event-stream.*application/json"):
        messages(client)
    assert len(hostile.requests(TAIL)) == 1


def test_a_gzip_bomb_stops_at_the_line_limit(hostile: HostileServer, client: BackendClient) -> None:
    bomb = gzip_bomb(64 * 1024 * 1024)  # 64 KiB on the wire

    def handler(conn: Conn, req: Request) -> bool:
        head(conn, **{"Content-Encoding": "gzip"})
        conn.send(bomb)
        return False

    hostile.route(TAIL, handler)
    started = time.monotonic()
    with pytest.raises(ResponseTooLargeError):
        messages(client)
    assert time.monotonic() - started < 5


def test_a_gzipped_stream_is_read(hostile: HostileServer, client: BackendClient) -> None:
    import gzip

    def handler(conn: Conn, req: Request) -> bool:
        head(conn, **{"Content-Encoding": "gzip"})
        conn.send(gzip.compress(log(1) + COMPLETE))
        return False

    hostile.route(TAIL, handler)
    assert messages(client) == ["line 1"]


def test_reconnects_are_bounded_and_use_backoff(
    hostile: HostileServer, client: BackendClient, sleeps: Sleeps
) -> None:
    def handler(conn: Conn, req: Request) -> bool:
        head(conn)
        return False  # an empty stream, every time

    hostile.route(TAIL, handler)
    with pytest.raises(ClientConnectionError, match="ended"):
        messages(client)
    assert len(hostile.requests(TAIL)) == 6
    assert len(sleeps) == 5 and all(0 <= s <= 8 for s in sleeps)


def test_auth_headers_go_to_the_api_origin_only(
    hostile: HostileServer, client: BackendClient
) -> None:
    def handler(conn: Conn, req: Request) -> bool:
        head(conn)
        conn.send(log(1) + COMPLETE)
        return False

    hostile.route(TAIL, handler)
    messages(client)
    [request] = hostile.requests(TAIL)
    assert request.auth_headers() == {"synapse-access-token": "Token hostile-token"}
    assert request.header("accept") == "text/event-stream"


def test_crlf_cr_multiline_data_and_retry(hostile: HostileServer) -> None:
    def handler(conn: Conn, req: Request) -> bool:
        head(conn)
        conn.send(b"\xef\xbb\xbfretry: 1500\r\nid: 1\r")
        conn.wait(0.1)  # a CRLF split across two reads is one line end, not two
        conn.send(b"\ndata: a\r\ndata: b\r\n\r\n: note\rid: 2\rdata:c\r\r")
        return False

    hostile.route(TAIL, handler)
    with Session(hostile.url) as session:
        events = stream_events(session, TAIL, max_reconnects=0)
        first = next(events)
        second = next(events)
        events.close()
    assert (first.id, first.data, first.lines) == (
        "1",
        "a\nb",
        ("retry: 1500", "id: 1", "data: a", "data: b"),
    )
    assert (second.id, second.data, second.lines) == ("2", "c", (": note", "id: 2", "data:c"))


def test_bad_options_are_refused_before_any_request(
    hostile: HostileServer, client: BackendClient
) -> None:
    for bad in ("1", "../x", None, 1.5, True):
        with pytest.raises((TypeError, ValueError)):
            client.jobs.tail(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        client.jobs.tail(7, idle_timeout=0)
    with pytest.raises(TypeError):
        client.tail_job_console_logs(7, timeout="5")  # type: ignore[arg-type]
    assert hostile.requests() == []


def test_a_stream_on_another_origin_is_refused_before_any_request(
    hostile_factory: Any,
) -> None:
    api, other = hostile_factory(), hostile_factory()
    session = Session(api.url, headers={"Synapse-Access-Token": "Token t"})
    with session, pytest.raises(OriginError):
        stream_events(session, f"{other.url}{TAIL}")
    assert other.requests() == [] and api.requests() == []


def test_a_line_dripped_one_byte_per_read_costs_linear_time() -> None:
    """Each read scans only its new bytes: 200,000 one-byte reads of one line took > 100 s when
    every read rescanned the held part of the line."""
    from synapse_sdk._http._sse_parse import SSEParser

    parser = SSEParser(1024 * 1024, 8 * 1024 * 1024, {})
    started = time.monotonic()
    for _ in range(200_000):
        assert list(parser.feed(b"x")) == []
    [block] = parser.feed(b"\n\n")  # a field named "xxx...": a block without data
    assert block.data is None and block.lines == ("x" * 200_000,)
    assert time.monotonic() - started < 10


def test_the_servers_retry_field_sets_the_backoff_base(
    hostile: HostileServer, client: BackendClient, sleeps: Sleeps
) -> None:
    def handler(conn: Conn, req: Request) -> bool:
        head(conn)
        if len(hostile.requests(TAIL)) < 4:
            conn.send(b"retry: 100\n\n")  # then a drop, without a new event
            return False
        conn.send(log(1) + COMPLETE)
        return False

    hostile.route(TAIL, handler)
    assert messages(client) == ["line 1"]
    assert len(sleeps) == 3
    assert all(0 <= s <= bound for s, bound in zip(sleeps, (0.1, 0.2, 0.4), strict=True))

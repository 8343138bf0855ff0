"""Timeouts, deadlines, broken bodies and redirects against a live local server (real time)."""

from __future__ import annotations

import time

import pytest
from http_fault_server import Drip, Reply, Stall, Truncate

from synapse_sdk._exceptions import (
    ClientConnectionError,
    ClientTimeoutError,
    DeadlineExceededError,
    HTTPError,
    OutcomeUnknownError,
    ResponseDecodeError,
)
from synapse_sdk._http import RetryPolicy, Timeout

NO_RETRY = RetryPolicy(max_retries=0)


def test_slow_drip_hits_deadline(server, make_session):
    server.script(Drip(0.2, b'{"a": "' + b"x" * 50 + b'"}'))
    session, _ = make_session(server.url, sleep=time.sleep, clock=time.monotonic)
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError) as info:
        session.request("GET", "tasks/", timeout=Timeout(connect=1, read=0.5, deadline=1.0))
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 1.5
    assert info.value.request_id
    assert server.attempts == 1  # no time left to retry


def test_slow_drip_post_is_outcome_unknown(server, make_session):
    server.script(Drip(0.2, b"x" * 50))
    session, _ = make_session(server.url, sleep=time.sleep, clock=time.monotonic)
    started = time.monotonic()
    with pytest.raises(OutcomeUnknownError):
        session.request("POST", "tasks/", json={}, timeout=Timeout(read=0.5, deadline=0.6))
    assert time.monotonic() - started < 1.1
    assert len(server.journal) == 1


def test_stall_before_headers_read_timeout_then_retry(server, make_session):
    server.script(Stall(2.0))
    session, sleeper = make_session(server.url)
    response = session.request("GET", "tasks/", timeout=Timeout(read=0.2))
    assert response.status == 200
    assert server.attempts == 2
    assert len(sleeper.sleeps) == 1


def test_stall_read_timeout_exhausted_is_typed(server, make_session):
    server.default = Stall(2.0)
    session, _ = make_session(server.url, retry=NO_RETRY)
    with pytest.raises(ClientTimeoutError) as info:
        session.request("GET", "tasks/", timeout=Timeout(read=0.2))
    assert not isinstance(info.value, DeadlineExceededError)
    assert info.value.status_code is None


def test_stall_post_outcome_unknown(server, make_session):
    server.script(Stall(2.0))
    session, sleeper = make_session(server.url)
    with pytest.raises(OutcomeUnknownError):
        session.request("POST", "tasks/", json={"x": 1}, timeout=Timeout(read=0.2))
    assert server.attempts == 1
    assert sleeper.sleeps == []


def test_stall_with_deadline_shorter_than_read(server, make_session):
    server.default = Stall(3.0)
    session, _ = make_session(server.url, sleep=time.sleep, clock=time.monotonic)
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError):
        session.request("GET", "tasks/", timeout=Timeout(read=30, deadline=0.5))
    assert time.monotonic() - started < 1.0


def test_truncated_body_retried_for_get(server, make_session):
    server.script(Truncate(b'{"a": 1', 100))
    session, _ = make_session(server.url)
    assert session.request("GET", "tasks/").json()["method"] == "GET"
    assert server.attempts == 2


def test_truncated_body_exhausted_is_connection_error(server, make_session):
    server.default = Truncate(b'{"a": 1', 100)
    session, _ = make_session(server.url, retry=NO_RETRY)
    with pytest.raises(ClientConnectionError) as info:
        session.request("GET", "tasks/")
    assert not isinstance(info.value, OutcomeUnknownError)


def test_truncated_body_post_outcome_unknown(server, make_session):
    server.script(Truncate(b'{"id": 1', 100))
    session, _ = make_session(server.url)
    with pytest.raises(OutcomeUnknownError):
        session.request("POST", "tasks/", json={})
    assert len(server.journal) == 1


def test_broken_connection_not_reused(server, make_session):
    server.script(Truncate(b"{", 10))
    session, _ = make_session(server.url, retry=NO_RETRY)
    with pytest.raises(ClientConnectionError):
        session.request("GET", "a/")
    for _ in range(3):
        assert session.request("GET", "b/").status == 200


def test_malformed_json_is_decode_error(server, make_session):
    server.script(Reply(200, b'{"a": tru', {"Content-Type": "application/json"}))
    session, _ = make_session(server.url)
    response = session.request("GET", "tasks/")
    with pytest.raises(ResponseDecodeError) as info:
        response.json()
    assert "200" in str(info.value)
    assert "application/json" in str(info.value)


def test_html_page_is_decode_error(server, make_session):
    server.script(Reply(200, "<html><body>proxy</body></html>", {"Content-Type": "text/html"}))
    session, _ = make_session(server.url)
    with pytest.raises(ResponseDecodeError) as info:
        session.request("GET", "tasks/").json()
    assert "text/html" in str(info.value)


def test_html_error_page_message(server, make_session):
    server.script(Reply(404, "<html>" + "x" * 5000 + "</html>", {"Content-Type": "text/html"}))
    session, _ = make_session(server.url)
    with pytest.raises(HTTPError) as info:
        session.request("GET", "tasks/")
    assert info.value.status_code == 404
    assert "HTML page" in str(info.value)
    assert len(str(info.value)) < 600


def test_empty_and_204(server, make_session):
    server.script(Reply(204, b""), Reply(200, b""))
    session, _ = make_session(server.url)
    assert session.request("DELETE", "tasks/1/").json() is None
    assert session.request("GET", "tasks/").json() is None


def test_redirect_not_followed_for_api_calls(server, make_session):
    server.script(Reply(302, b"", {"Location": "http://example.invalid/x?token=s3cr3t"}))
    session, _ = make_session(server.url)
    with pytest.raises(HTTPError) as info:
        session.request("GET", "tasks/")
    assert info.value.status_code == 302
    assert "never follow redirects" in str(info.value)
    assert "s3cr3t" not in str(info.value)
    assert server.attempts == 1


def test_long_error_detail_truncated(server, make_session):
    server.script(Reply(400, {"detail": "y" * 5000}))
    session, _ = make_session(server.url)
    with pytest.raises(HTTPError) as info:
        session.request("GET", "tasks/")
    assert len(info.value.message) <= 500
    assert info.value.response == {"detail": "y" * 5000}

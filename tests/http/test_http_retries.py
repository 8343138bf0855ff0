"""Retry semantics against a live local server: what is retried, how often, how long we wait."""

from __future__ import annotations

import email.utils
import time

import pytest
from http_fault_server import RESET_AFTER_READ, RESET_BEFORE_READ, Reply

from synapse_sdk._exceptions import (
    ClientConnectionError,
    GpuUnavailableError,
    OutcomeUnknownError,
    RateLimitError,
    ServerError,
    ValidationError,
)
from synapse_sdk._http import RetryBudget, RetryPolicy


@pytest.mark.parametrize("status", [503, 502, 504, 500, 429])
def test_get_retried_on_status_then_succeeds(server, make_session, status):
    server.script(Reply(status, {"detail": "busy"}), Reply(status, {"detail": "busy"}))
    session, sleeper = make_session(server.url)
    response = session.request("GET", "tasks/1/")
    assert response.status == 200
    assert response.json()["path"] == "/tasks/1/"
    assert server.attempts == 3
    assert len(sleeper.sleeps) == 2


@pytest.mark.parametrize("fault", [RESET_BEFORE_READ, RESET_AFTER_READ])
def test_get_retried_on_reset_then_succeeds(server, make_session, fault):
    server.script(fault, fault)
    session, _ = make_session(server.url)
    assert session.request("GET", "tasks/").status == 200
    assert server.attempts == 3


@pytest.mark.parametrize("status", [500, 502, 504])
def test_post_not_retried_on_ambiguous_status(server, make_session, status):
    server.script(Reply(status, {"detail": "gateway"}))
    session, sleeper = make_session(server.url)
    with pytest.raises(ServerError) as info:
        session.request("POST", "tasks/", json={"a": 1})
    assert info.value.status_code == status
    assert server.attempts == 1
    assert len(server.journal) == 1
    assert sleeper.sleeps == []


@pytest.mark.parametrize("fault", [RESET_AFTER_READ, RESET_BEFORE_READ])
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_write_reset_raises_outcome_unknown_without_resend(server, make_session, fault, method):
    server.script(fault)
    session, sleeper = make_session(server.url)
    with pytest.raises(OutcomeUnknownError) as info:
        session.request(method, "tasks/", json={"a": 1})
    assert server.attempts == 1
    assert len(server.journal) == (1 if fault == RESET_AFTER_READ else 0)
    assert sleeper.sleeps == []
    assert info.value.method == method
    assert info.value.request_id
    assert "may have applied" in str(info.value)


@pytest.mark.parametrize("status", [503, 429])
def test_post_retried_when_server_says_not_processed(server, make_session, status):
    server.script(Reply(status, {"detail": "later"}))
    session, _ = make_session(server.url)
    response = session.request("POST", "tasks/", json={"a": 1})
    assert response.status == 200
    assert server.attempts == 2
    assert [r.body for r in server.journal] == [b'{"a": 1}', b'{"a": 1}']


def test_post_retried_on_connection_refused(free_port, make_session):
    session, sleeper = make_session(f"http://127.0.0.1:{free_port}")
    with pytest.raises(ClientConnectionError) as info:
        session.request("POST", "tasks/", json={})
    assert not isinstance(info.value, OutcomeUnknownError)
    assert len(sleeper.sleeps) == 3  # every attempt failed before anything was sent
    assert info.value.status_code is None


def test_post_idempotent_override_retries_reset(server, make_session):
    server.script(RESET_AFTER_READ)
    session, _ = make_session(server.url)
    assert session.request("POST", "search/", json={}, idempotent=True).status == 200
    assert server.attempts == 2


def test_put_retried_after_reset(server, make_session):
    server.script(RESET_AFTER_READ)
    session, _ = make_session(server.url)
    assert session.request("PUT", "tasks/1/", json={"a": 1}).status == 200
    assert len(server.journal) == 2


def test_exhausted_retries_raise_last_real_status(server, make_session):
    server.script(Reply(503), Reply(502), Reply(504), Reply(502, {"detail": "bad gateway"}))
    session, sleeper = make_session(server.url)
    with pytest.raises(ServerError) as info:
        session.request("GET", "tasks/")
    assert info.value.status_code == 502
    assert info.value.response == {"detail": "bad gateway"}
    assert str(info.value).startswith("502: bad gateway")
    assert server.attempts == 4
    assert len(sleeper.sleeps) == 3


def test_not_retried_statuses(server, make_session):
    server.script(Reply(400, {"name": ["This field is required."]}))
    session, sleeper = make_session(server.url)
    with pytest.raises(ValidationError) as info:
        session.request("GET", "tasks/")
    assert info.value.response == {"name": ["This field is required."]}
    assert server.attempts == 1
    assert sleeper.sleeps == []


def test_gpu_unavailable_is_typed(server, make_session):
    body = {"error_type": "gpu_unavailable", "message": "no GPU"}
    server.default = Reply(503, body)
    session, _ = make_session(server.url, retry=RetryPolicy(max_retries=0))
    with pytest.raises(GpuUnavailableError) as info:
        session.request("POST", "plugins/1/run/", json={})
    assert info.value.response == body


def test_max_retries_zero_disables_retrying(server, make_session):
    server.script(Reply(503))
    session, _ = make_session(server.url, retry=RetryPolicy(max_retries=0))
    with pytest.raises(ServerError):
        session.request("GET", "tasks/")
    assert server.attempts == 1


def test_per_call_retry_override(server, make_session):
    server.script(Reply(503), Reply(503))
    session, _ = make_session(server.url, retry=RetryPolicy(max_retries=0))
    fast = RetryPolicy(max_retries=2, backoff_initial=0.001)
    assert session.request("GET", "tasks/", retry=fast).status == 200


def _retry_after_sleeps(server, make_session, value):
    server.script(Reply(429, {"detail": "slow down"}, {"Retry-After": value}))
    session, sleeper = make_session(
        server.url, retry=RetryPolicy(max_retries=1, backoff_initial=0.05, backoff_max=0.05)
    )
    assert session.request("GET", "tasks/").status == 200
    return sleeper.sleeps


def test_retry_after_seconds(server, make_session):
    assert _retry_after_sleeps(server, make_session, "2") == [2.0]


def test_retry_after_decimal(server, make_session):
    assert _retry_after_sleeps(server, make_session, "1.5") == [1.5]


def test_retry_after_http_date(server, make_session):
    value = email.utils.formatdate(time.time() + 10, usegmt=True)
    (slept,) = _retry_after_sleeps(server, make_session, value)
    assert 8.5 <= slept <= 10.5


def test_retry_after_capped(server, make_session):
    assert _retry_after_sleeps(server, make_session, "99999") == [60.0]


@pytest.mark.parametrize("value", ["-1", "abc", "", "1e3", "nan"])
def test_retry_after_garbage_falls_back_to_backoff(server, make_session, value):
    (slept,) = _retry_after_sleeps(server, make_session, value)
    assert 0.0 <= slept <= 0.05


def test_rate_limit_error_carries_retry_after(server, make_session):
    server.default = Reply(429, {"detail": "slow down"}, {"Retry-After": "7"})
    session, sleeper = make_session(server.url, retry=RetryPolicy(max_retries=1))
    with pytest.raises(RateLimitError) as info:
        session.request("GET", "tasks/")
    assert info.value.retry_after == 7.0
    assert sleeper.sleeps == [7.0]


def test_sleep_never_crosses_deadline(server, make_session):
    from synapse_sdk._http import Timeout

    server.default = Reply(503, {"detail": "down"}, {"Retry-After": "30"})
    session, sleeper = make_session(server.url, timeout=Timeout(deadline=10))
    with pytest.raises(ServerError) as info:
        session.request("GET", "tasks/")
    assert info.value.status_code == 503  # the last real answer, raised before a useless sleep
    assert sleeper.sleeps == []
    assert server.attempts == 1


def test_budget_stops_retries(server, make_session):
    server.default = Reply(503)
    budget = RetryBudget(capacity=2, refill_per_success=0)
    session, sleeper = make_session(server.url, budget=budget)
    with pytest.raises(ServerError):
        session.request("GET", "a/")
    assert server.attempts == 3  # two tokens: two retries, then the last error
    with pytest.raises(ServerError):
        session.request("GET", "a/")
    assert server.attempts == 4
    assert len(sleeper.sleeps) == 2


def test_budget_shared_with_copies(server, make_session):
    server.default = Reply(503)
    session, _ = make_session(server.url, budget=RetryBudget(capacity=1, refill_per_success=0))
    copy = session.with_options(retry=RetryPolicy(max_retries=5, backoff_initial=0.001))
    with pytest.raises(ServerError):
        copy.request("GET", "a/")
    assert session.budget is copy.budget
    assert server.attempts == 2

"""Retry-After parsing, backoff bounds, policy validation and the retry budget (no sockets)."""

from __future__ import annotations

import email.utils
import pickle
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synapse_sdk._http import RetryBudget, RetryPolicy, parse_retry_after

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2", 2.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        ("120", 120.0),
        (None, None),
        ("", None),
        ("-1", None),
        ("abc", None),
        ("1e3", None),
        ("inf", None),
        ("nan", None),
        ("Wed, 32 Foo 2015 99:99:99 GMT", None),
    ],
)
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value, now=NOW) == expected


def test_parse_retry_after_http_date():
    future = email.utils.formatdate(NOW + 42, usegmt=True)
    assert parse_retry_after(future, now=NOW) == pytest.approx(42.0)
    past = email.utils.formatdate(NOW - 42, usegmt=True)
    assert parse_retry_after(past, now=NOW) == 0.0
    naive = email.utils.formatdate(NOW + 5, usegmt=True).replace("GMT", "-0000")
    assert parse_retry_after(naive, now=NOW) == pytest.approx(5.0)


@given(st.text(max_size=40))
def test_parse_retry_after_never_raises(value):
    result = parse_retry_after(value, now=NOW)
    assert result is None or result >= 0


def test_retry_after_capped():
    policy = RetryPolicy()
    assert policy.retry_after("99999", now=NOW) == 60.0
    assert policy.retry_after("3", now=NOW) == 3.0
    assert RetryPolicy(retry_after_max=5).retry_after("10", now=NOW) == 5.0


@given(st.integers(min_value=0, max_value=2000))
def test_backoff_bounds(retry_index):
    policy = RetryPolicy(backoff_initial=0.5, backoff_max=8.0)
    ceiling = 8.0 if retry_index > 10 else min(8.0, 0.5 * 2**retry_index)
    assert 0.0 <= policy.backoff(retry_index) <= ceiling
    assert policy.backoff(retry_index, uniform=lambda a, b: b) == ceiling


def test_backoff_full_jitter_uses_uniform_zero_to_ceiling():
    calls = []
    RetryPolicy().backoff(2, uniform=lambda a, b: calls.append((a, b)) or 0.0)
    assert calls == [(0.0, 2.0)]


def test_status_sets():
    policy = RetryPolicy()
    for status in (429, 500, 502, 503, 504):
        assert policy.retries_status(status, idempotent=True)
    assert policy.retries_status(503, idempotent=False)
    assert policy.retries_status(429, idempotent=False)
    for status in (500, 502, 504, 400, 404):
        assert not policy.retries_status(status, idempotent=False)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"max_retries": -1}, ValueError),
        ({"max_retries": True}, TypeError),
        ({"max_retries": 1.5}, TypeError),
        ({"backoff_initial": -0.1}, ValueError),
        ({"backoff_max": float("nan")}, ValueError),
        ({"retry_after_max": -1}, ValueError),
        ({"idempotent_statuses": {99}}, ValueError),
    ],
)
def test_policy_validation(kwargs, error):
    with pytest.raises(error):
        RetryPolicy(**kwargs)


def test_budget_spend_and_refill():
    budget = RetryBudget(capacity=2, refill_per_success=0.5)
    assert budget.try_spend()
    assert budget.try_spend()
    assert not budget.try_spend()
    budget.record_success()
    assert not budget.try_spend()
    budget.record_success()
    assert budget.try_spend()
    for _ in range(10):
        budget.record_success()
    assert budget.tokens == 2.0


def test_budget_thread_safe():
    budget = RetryBudget(capacity=1000, refill_per_success=0)
    taken = []

    def spend():
        taken.append(sum(budget.try_spend() for _ in range(200)))

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(taken) == 1000


def test_budget_pickles_and_validates():
    budget = RetryBudget(capacity=3)
    budget.try_spend()
    clone = pickle.loads(pickle.dumps(budget))
    assert clone.tokens == 2.0
    assert clone.try_spend()
    with pytest.raises(ValueError):
        RetryBudget(capacity=-1)

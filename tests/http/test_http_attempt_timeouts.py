"""The socket timeouts of one attempt: the configured limits, never past the deadline. The
uncapped ones are one reused urllib3 Timeout; a capped one never leaks into a later call."""

from __future__ import annotations

import pytest
import urllib3

from synapse_sdk._http._transport import attempt_timeout


def test_the_configured_limits_are_one_reused_timeout() -> None:
    first = attempt_timeout(5.0, 30.0, None)
    assert first is attempt_timeout(5.0, 30.0, 299.0)  # a far deadline caps nothing
    assert (first.connect_timeout, first.read_timeout) == (5.0, 30.0)


def test_a_near_deadline_caps_both_and_is_not_kept() -> None:
    near = attempt_timeout(5.0, 30.0, 2.5)
    assert (near.connect_timeout, near.read_timeout) == (2.5, 2.5)
    later = attempt_timeout(5.0, 30.0, None)
    assert (later.connect_timeout, later.read_timeout) == (5.0, 30.0)
    assert attempt_timeout(5.0, 30.0, 4.0).connect_timeout == 4.0 and near is not later


@pytest.mark.parametrize("remaining", [0.0, -3.0])
def test_a_passed_deadline_still_gives_a_positive_timeout(remaining: float) -> None:
    timeout = attempt_timeout(5.0, 30.0, remaining)
    assert timeout.connect_timeout == timeout.read_timeout == 0.001


def test_no_limits_and_a_deadline() -> None:
    assert attempt_timeout(None, None, None).read_timeout is None
    capped = attempt_timeout(None, None, 7.0)
    assert (capped.connect_timeout, capped.read_timeout) == (7.0, 7.0)


def test_urllib3_clones_what_it_is_given() -> None:
    # The reuse is safe only because urllib3 never starts the clock on the object it is given.
    pool = urllib3.HTTPConnectionPool("127.0.0.1", 9)
    shared = attempt_timeout(5.0, 30.0, None)
    assert pool._get_timeout(shared) is not shared
    pool.close()

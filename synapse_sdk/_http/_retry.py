"""Retry policy (which failures to retry, how long to wait) and the per-client retry budget."""

from __future__ import annotations

import email.utils
import math
import os
import random
import re
import threading
import weakref
from collections.abc import Callable
from typing import Any

import attrs

__all__ = ["IDEMPOTENT_METHODS", "RetryBudget", "RetryPolicy", "parse_retry_after"]

#: Methods that may be repeated without changing the outcome (RFC 9110 §9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})

_SECONDS = re.compile(r"\d+(\.\d+)?")


def _non_negative(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"RetryPolicy.{attribute.name} must be a number, got {value!r}")
    if math.isnan(value) or value < 0:
        raise ValueError(f"RetryPolicy.{attribute.name} must be >= 0, got {value!r}")


def _statuses(value: Any) -> frozenset[int]:
    statuses = frozenset(value)
    for status in statuses:
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise ValueError(f"retry statuses must be HTTP status codes, got {status!r}")
    return statuses


@attrs.frozen
class RetryPolicy:
    """Which failed attempts are retried and how long to wait between them.

    Connection failures before the request was sent are retried for every method. Failures after
    it was sent are retried only for idempotent calls; a POST/PATCH whose answer was lost raises
    :class:`~synapse_sdk.clients.exceptions.OutcomeUnknownError` instead of being resent.

    Attributes:
        max_retries: Retries after the first attempt (0 disables retrying).
        backoff_initial: Upper bound of the first backoff sleep, in seconds.
        backoff_max: Cap on the backoff upper bound. Sleeps use full jitter:
            ``uniform(0, min(backoff_max, backoff_initial * 2**retry_index))``.
        retry_after_max: Cap on a server's ``Retry-After`` (a hostile 99999 must not pin a worker).
        idempotent_statuses: Statuses retried for idempotent calls (GET/HEAD/PUT/DELETE/OPTIONS).
        unsafe_statuses: Statuses retried for POST/PATCH: only those where the server states it
            did not process the request (a 502/504 can hide a committed write).
    """

    max_retries: int = attrs.field(default=3)
    backoff_initial: float = attrs.field(default=0.5, validator=_non_negative)
    backoff_max: float = attrs.field(default=8.0, validator=_non_negative)
    retry_after_max: float = attrs.field(default=60.0, validator=_non_negative)
    idempotent_statuses: frozenset[int] = attrs.field(
        default=frozenset({429, 500, 502, 503, 504}), converter=_statuses
    )
    unsafe_statuses: frozenset[int] = attrs.field(
        default=frozenset({429, 503}), converter=_statuses
    )

    @max_retries.validator
    def _check_max_retries(self, attribute: attrs.Attribute[int], value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"RetryPolicy.max_retries must be an int, got {value!r}")
        if value < 0:
            raise ValueError(f"RetryPolicy.max_retries must be >= 0, got {value!r}")

    def retries_status(self, status: int, *, idempotent: bool) -> bool:
        """Return whether an answer with ``status`` may be retried.

        Args:
            status: The HTTP status received.
            idempotent: Whether the call is idempotent.

        Returns:
            True when the status is in the applicable retry set.
        """
        return status in (self.idempotent_statuses if idempotent else self.unsafe_statuses)

    def backoff(
        self, retry_index: int, *, uniform: Callable[[float, float], float] = random.uniform
    ) -> float:
        """Return a full-jitter backoff sleep for the ``retry_index``-th retry (0-based).

        Args:
            retry_index: 0 for the first retry, 1 for the second, ...
            uniform: The random source (injectable for tests).

        Returns:
            Seconds in ``[0, min(backoff_max, backoff_initial * 2**retry_index)]``.
        """
        # min() before the power would overflow: 2**1100 is fine for int, not for float.
        ceiling = self.backoff_max
        if retry_index < 64:
            ceiling = min(ceiling, self.backoff_initial * (2**retry_index))
        return uniform(0.0, ceiling)

    def retry_after(self, value: str | None, *, now: float) -> float | None:
        """Parse a ``Retry-After`` header and cap it at :attr:`retry_after_max`.

        Args:
            value: The header value, or None.
            now: The current wall-clock time (seconds since the epoch), for HTTP-dates.

        Returns:
            Seconds to wait, or None when the header is absent or unusable (use backoff then).
        """
        seconds = parse_retry_after(value, now=now)
        return None if seconds is None else min(seconds, self.retry_after_max)


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Parse a ``Retry-After`` value without ever raising.

    Args:
        value: Delay seconds (``"2"``, ``"1.5"``) or an HTTP-date
            (``"Wed, 21 Oct 2015 07:28:00 GMT"``).
        now: Wall-clock seconds since the epoch, to turn a date into a delay.

    Returns:
        Seconds to wait (0 for a date in the past), or None for a missing, negative or garbage
        value: stock urllib3 raises ``InvalidHeader`` on ``abc``/``-1``; callers fall back to
        backoff instead.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if _SECONDS.fullmatch(text):
        seconds = float(text)
        return seconds if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        # RFC 9110 dates are always GMT; a naive result means the zone was omitted or "-0000".
        timestamp: float = email.utils.mktime_tz((*when.timetuple()[:9], 0))
    else:
        timestamp = when.timestamp()
    return max(0.0, timestamp - now)


class RetryBudget:
    """A thread-safe token bucket limiting retries across a client and its copies.

    Each retry spends one token; each successful call refills ``refill_per_success`` tokens (up
    to ``capacity``). When the bucket is empty no call retries, so an outage does not multiply
    the load on a struggling server by ``max_retries + 1``.

    Args:
        capacity: Maximum (and initial) number of tokens.
        refill_per_success: Tokens returned to the bucket per successful call.

    Raises:
        ValueError: A negative or non-finite argument.
    """

    def __init__(self, capacity: float = 50.0, refill_per_success: float = 0.2) -> None:
        for name, number in (("capacity", capacity), ("refill_per_success", refill_per_success)):
            if isinstance(number, bool) or not isinstance(number, (int, float)):
                raise TypeError(f"RetryBudget {name} must be a number, got {number!r}")
            if not math.isfinite(number) or number < 0:
                raise ValueError(f"RetryBudget {name} must be a finite number >= 0, got {number!r}")
        self.capacity = float(capacity)
        self.refill_per_success = float(refill_per_success)
        self._tokens = float(capacity)
        self._lock = threading.Lock()
        _BUDGETS.add(self)

    @property
    def tokens(self) -> float:
        """Tokens currently available."""
        with self._lock:
            return self._tokens

    def try_spend(self) -> bool:
        """Take one token for a retry.

        Returns:
            True if a token was taken (the retry may proceed), False if the budget is empty.
        """
        with self._lock:
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False

    def record_success(self) -> None:
        """Refill the bucket after a successful call."""
        if self._tokens >= self.capacity:
            return  # full (the usual case): no refill, no lock
        with self._lock:
            self._tokens = min(self.capacity, self._tokens + self.refill_per_success)

    def __getstate__(self) -> dict[str, float]:
        with self._lock:
            return {
                "capacity": self.capacity,
                "refill_per_success": self.refill_per_success,
                "tokens": self._tokens,
            }

    def __setstate__(self, state: dict[str, float]) -> None:
        self.capacity = state["capacity"]
        self.refill_per_success = state["refill_per_success"]
        self._tokens = state["tokens"]
        self._lock = threading.Lock()
        _BUDGETS.add(self)

    def __repr__(self) -> str:
        return f"RetryBudget(tokens={self.tokens:g}/{self.capacity:g})"


#: Every live budget: a forked child gets fresh locks (one may have been held at the fork).
_BUDGETS: weakref.WeakSet[RetryBudget] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for budget in list(_BUDGETS):
        budget._lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # pragma: no branch - POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)

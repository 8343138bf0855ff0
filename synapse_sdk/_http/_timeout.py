"""Timeouts: per-socket connect/read limits plus a wall-clock deadline for a whole call."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["Timeout"]

_KEYS = ("connect", "read", "deadline")


def _check_seconds(name: str, value: Any) -> float | None:
    """Validate one timeout value; return it as a float (or None for "no limit")."""
    if value is None:
        return None
    # bool is an int subclass: ``Timeout(read=True)`` is a bug, never one second.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"timeout {name!r} must be a number of seconds or None, got {type(value).__name__}"
        )
    seconds = float(value)
    if math.isnan(seconds) or math.isinf(seconds):
        raise ValueError(f"timeout {name!r} must be finite, got {value!r} (use None for no limit)")
    if seconds <= 0:
        raise ValueError(f"timeout {name!r} must be > 0 seconds, got {value!r}")
    return seconds


def _validator(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    _check_seconds(attribute.name, value)


@attrs.frozen
class Timeout:
    """How long a call may take.

    Attributes:
        connect: Seconds to establish a TCP (and TLS) connection, per attempt; None = no limit.
        read: Seconds to wait for each socket read (headers or body), per attempt; None = no limit.
        deadline: Wall-clock seconds for the whole call: every attempt, every retry sleep and the
            full body read. A server dripping one byte at a time cannot hold a call longer than
            this (socket read timeouts alone cannot stop it). None = no deadline.
    """

    connect: float | None = attrs.field(default=5.0, validator=_validator)
    read: float | None = attrs.field(default=30.0, validator=_validator)
    deadline: float | None = attrs.field(default=300.0, validator=_validator)

    @classmethod
    def coerce(
        cls,
        value: Timeout | Mapping[str, float | None] | float | int | None,
        *,
        base: Timeout | None = None,
    ) -> Timeout:
        """Build a Timeout from what users pass as ``timeout=``.

        Args:
            value: A Timeout (returned as is); a dict such as ``{'connect': 5, 'read': 30}`` with
                optional ``'deadline'`` (missing keys come from ``base``); a number (both connect
                and read, deadline from ``base``); or None (``base``, else the defaults).
            base: The Timeout that supplies missing values (defaults when None).

        Returns:
            The validated Timeout.

        Raises:
            TypeError: ``value`` has an unsupported type (booleans included) or a value in it does.
            ValueError: A dict has unknown keys, or a value is negative, zero, NaN or infinite.
        """
        start = base if base is not None else cls()
        if value is None:
            return start
        if isinstance(value, Timeout):
            return value
        if isinstance(value, Mapping):
            unknown = sorted(str(k) for k in value if k not in _KEYS)
            if unknown:
                raise ValueError(
                    f"unknown timeout key(s) {', '.join(map(repr, unknown))}; "
                    f"expected some of {', '.join(map(repr, _KEYS))}"
                )
            return attrs.evolve(
                start, **{str(k): _check_seconds(str(k), v) for k, v in value.items()}
            )
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(
                "timeout must be a Timeout, a dict like {'connect': 5, 'read': 30}, a number of "
                f"seconds or None, got {type(value).__name__}"
            )
        seconds = _check_seconds("timeout", value)
        return attrs.evolve(start, connect=seconds, read=seconds)

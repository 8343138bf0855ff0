"""The SDK's one ISO-8601 timestamp parser (and writer), for every timestamp the server sends.

Accepted, on every supported Python:

* ``YYYY-MM-DD`` (a naive datetime at midnight);
* ``YYYY-MM-DD`` + ``T``/``t``/space + ``HH:MM[:SS[.fraction]]`` with any number of fraction
  digits (``.`` or ``,``; truncated to microseconds);
* optionally followed by ``Z``/``z`` (UTC) or an offset ``±HH:MM`` (``±HHMM`` and ``±HH`` too);
  without one the datetime is naive.

On Python 3.11+ everything ``datetime.fromisoformat`` accepts is accepted as well (it is the fast
path: basic ``20261127T204544Z`` and week ``2026-W48-5`` forms are valid ISO 8601). Anything else
(``"yesterday"``, ``""``, ``2026-13-01``, an offset of 24 hours or more) raises ``ValueError``.

:func:`parse_iso` is :data:`fast_parse`, then :func:`parse_form` for what that refused. The record
builders inline those same two steps (no call on the hot path); ``_transfer`` calls
:func:`parse_iso`.
"""

from __future__ import annotations

import datetime as _dt
import re
import sys
from collections.abc import Callable

__all__ = ["fast_parse", "format_iso", "parse_form", "parse_iso"]

_FORM = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]+))?)?"
    r"([Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?)?"
)


def parse_form(text: str) -> _dt.datetime:
    """Parse the grammar of the module docstring (the slow path; ``ValueError`` if it is not)."""
    match = _FORM.fullmatch(text)
    if match is None:
        raise ValueError(f"not an ISO-8601 timestamp: {text[:40]!r}")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    if hour is None:
        return _dt.datetime(int(year), int(month), int(day))
    tz: _dt.tzinfo | None = None
    if offset in ("Z", "z"):
        tz = _dt.timezone.utc
    elif offset:
        minutes = int(offset[1:3]) * 60 + (int(offset[-2:]) if len(offset) > 3 else 0)
        tz = _dt.timezone(_dt.timedelta(minutes=-minutes if offset[0] == "-" else minutes))
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    return _dt.datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tz
    )


def _fast_py310(text: str) -> _dt.datetime:
    # 3.10's fromisoformat knows neither "Z" nor fraction widths other than 3 and 6 (those two
    # go to the slow path).
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    return _dt.datetime.fromisoformat(text)


#: The first step of :func:`parse_iso` (``ValueError`` sends a text on to :func:`parse_form`):
#: the C parser itself on 3.11+.
fast_parse: Callable[[str], _dt.datetime] = (
    _dt.datetime.fromisoformat if sys.version_info >= (3, 11) else _fast_py310
)


def parse_iso(text: str) -> _dt.datetime:
    """Parse an ISO-8601 timestamp (the forms of the module docstring), else ``ValueError``."""
    try:
        return fast_parse(text)
    except ValueError:
        return parse_form(text)


def format_iso(value: _dt.datetime) -> str:
    """The wire form of a datetime: ISO 8601, ``Z`` for UTC (what the backend writes)."""
    return value.isoformat().replace("+00:00", "Z")

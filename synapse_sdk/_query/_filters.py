"""Chained ``filter()`` calls narrow: how a second value for the same filter key combines with the
first, and which filter values make a queryset match nothing without asking the server.

Django ANDs chained filters, and so does this module where the query string can say it:

* ``id__in`` (and ``ids``) sets intersect, keeping the first call's order;
* ``ids_ex`` exclusion sets unite;
* lower bounds (``__gt``, ``__gte``) keep the larger value, upper bounds (``__lt``, ``__lte``)
  the smaller one (ints with ints, datetimes with datetimes, dates with dates);
* the same value twice is kept once.

Anything else (``status="a"`` then ``status="b"``, two different ``search`` texts, two "any of"
sets on a relation) cannot be sent as one query parameter (the backend reads only one value per
key), so it raises :class:`ValueError` instead of silently keeping one of the two.

An empty ``id__in`` / ``ids`` set matches nothing. Sending it would send ``id__in=``, which the
backend ignores (every row would match), so a queryset holding one answers empty with no request.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from typing import Any

__all__ = ["matches_nothing", "merge_filters"]

_SETS = (list, tuple, set, frozenset)


def _is_intersecting(key: str) -> bool:
    return key.endswith("__in") or key == "ids"


def _plain(value: object) -> object:
    """Enum members compare by their wire value; collections as ordered tuples of plain items."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, _SETS):
        return tuple(_plain(item) for item in value)
    return value


def _bound_key(value: object) -> tuple[int, Any] | None:
    """A comparable form of a bound: ints, aware/naive datetimes and dates kept apart."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return (0, value)
    if isinstance(value, dt.datetime):
        return (1 if value.tzinfo is not None else 2, value)
    if isinstance(value, dt.date):
        return (3, value)
    return None


def _combine(name: str, key: str, old: object, new: object) -> object:
    if _plain(old) == _plain(new):
        return old
    if isinstance(old, _SETS) and isinstance(new, _SETS):
        if _is_intersecting(key):
            wanted = {_plain(v) for v in new}
            return [v for v in dict.fromkeys(old) if _plain(v) in wanted]
        if key == "ids_ex":
            return list(dict.fromkeys([*old, *new]))
    lower = key.endswith(("__gt", "__gte"))
    upper = key.endswith(("__lt", "__lte"))
    if lower or upper:
        a, b = _bound_key(old), _bound_key(new)
        if a is not None and b is not None and a[0] == b[0]:
            keep_new = b[1] > a[1] if lower else b[1] < a[1]
            return new if keep_new else old
        raise ValueError(
            f"{name}: cannot combine {key}={old!r} with {key}={new!r} (compare ints with ints, "
            "datetimes with datetimes; ISO strings are not compared): pass one bound"
        )
    raise ValueError(
        f"{name}: filter({key}={old!r}) and then filter({key}={new!r}) cannot both hold in one "
        f"request (the backend reads one value per filter key); pass one {key!r} value"
        + (
            ""
            if not isinstance(old, _SETS)
            else " (a list here means 'any of these'; the backend cannot intersect two of them)"
        )
    )


def merge_filters(
    name: str, old: Mapping[str, object], new: Mapping[str, object]
) -> dict[str, object]:
    """``old`` narrowed by ``new`` (both already checked by the endpoint).

    Raises:
        ValueError: A key's two values cannot be expressed as one query parameter.
    """
    merged = dict(old)
    for key, value in new.items():
        if value is None:
            merged.setdefault(key, None)
            continue
        previous = merged.get(key)
        merged[key] = value if previous is None else _combine(name, key, previous, value)
    return merged


def matches_nothing(filters: Mapping[str, object]) -> bool:
    """Whether a filter provably matches no row (an empty ``id__in`` / ``ids`` set)."""
    return any(
        _is_intersecting(key) and isinstance(value, _SETS) and not value
        for key, value in filters.items()
    )

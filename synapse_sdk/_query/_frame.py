"""``QuerySet.to_pandas()``: listing rows into a DataFrame, with pandas imported only when asked.

pandas is an optional extra (``pip install 'synapse-sdk[pandas]'``); importing the SDK never
imports it. Columns are the resources' attribute names, as the objects and their HTML tables show
them (``project_id``, not the wire key ``project``); fields this SDK does not know keep their wire
name. Values are the objects' values: datetimes as timezone-aware datetimes, enums as their
values. Rows arrive page by page; with ``columns`` only those values are kept.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from typing import Any

from synapse_sdk._converter import plan_for
from synapse_sdk._converter._lazy import MISSING, complete, peek

__all__ = ["build_frame", "check_columns", "import_pandas"]


def import_pandas() -> Any:
    """Import pandas, or explain which extra provides it.

    Raises:
        ImportError: pandas is not installed.
    """
    try:
        import pandas
    except ImportError as exc:
        raise ImportError(
            "QuerySet.to_pandas() needs pandas, which is not installed; "
            "install the SDK's 'pandas' extra: pip install 'synapse-sdk[pandas]'"
        ) from exc
    return pandas


def check_columns(columns: Sequence[str] | None) -> tuple[str, ...] | None:
    """Validate ``columns`` (a sequence of field names) before any request.

    Raises:
        TypeError: ``columns`` is a single string or holds something other than names.
        ValueError: ``columns`` is empty or names a field twice.
    """
    if columns is None:
        return None
    if isinstance(columns, str | bytes):
        raise TypeError(f"columns takes a list of field names, got the string {columns!r}")
    names = tuple(columns)
    for name in names:
        if not isinstance(name, str) or not name:
            raise TypeError(f"columns takes field names, got {name!r}")
    if not names:
        raise ValueError("columns is empty; pass None for every field")
    if len(set(names)) != len(names):
        raise ValueError(f"columns names a field twice: {list(names)}")
    return names


def _cell(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _read(obj: Any, attr: str) -> Any:
    value = peek(obj, attr)  # a lazy row's field converts here (no I/O)
    return None if value is MISSING else value  # not sent (or a stub): a missing cell


_GETTERS: dict[type, dict[str, tuple[str, Any]]] = {}


def _getters(cls: type) -> dict[str, tuple[str, Any]]:
    """Wire name -> ``(attribute, slot descriptor)`` of a record class, once per class: reading a
    slot through its descriptor never falls back to ``__getattr__`` (which would load)."""
    getters = _GETTERS.get(cls)
    if getters is None:
        plan = plan_for(cls)
        getters = _GETTERS[cls] = {f.wire: (f.attr, getattr(cls, f.attr)) for f in plan.fields}
    return getters


def _record(obj: Any) -> dict[str, Any]:
    """One row of the frame: the attributes the server sent (by attribute name, in the row's
    order), then the fields this SDK does not know (by wire name)."""
    if not hasattr(type(obj), "_loaded_items"):
        return dict(obj) if isinstance(obj, dict) else {"value": obj}
    try:
        raw = object.__getattribute__(obj, "_raw")
    except AttributeError:
        raw = None
    if type(raw) is not dict:  # not built from a row: what is loaded
        return {n: _cell(v) for n, v in obj._loaded_items()} | dict(obj.extra)
    complete(obj)  # a lazy row: convert its fields (the slot getters below read slots only)
    getters = _getters(type(obj))
    record: dict[str, Any] = {}
    for key in raw:
        known = getters.get(key)
        if known is None:
            record.setdefault(key, raw[key])
            continue
        name, getter = known
        try:
            value = getter.__get__(obj, None)
        except AttributeError:  # pragma: no cover - a sent field is set
            continue
        record[name] = value.value if isinstance(value, enum.Enum) else value
    return record


def build_frame(pandas: Any, objects: Iterable[Any], columns: tuple[str, ...] | None) -> Any:
    """A DataFrame of ``objects`` (resources), keeping only the attributes ``columns`` if given.

    A column an object lacks is missing in that row (the server left the field out).
    """
    if columns is None:
        records = [_record(obj) for obj in objects]
        return pandas.DataFrame.from_records(records) if records else pandas.DataFrame()
    data: dict[str, list[Any]] = {name: [] for name in columns}
    for obj in objects:
        for name in columns:
            data[name].append(_cell(_read(obj, name)))
    return pandas.DataFrame(data, columns=list(columns))

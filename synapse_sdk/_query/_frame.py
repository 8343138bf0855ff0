"""``QuerySet.to_pandas()``: listing rows into a DataFrame, with pandas imported only when asked.

pandas is an optional extra (``pip install 'synapse-sdk[pandas]'``); importing the SDK never
imports it. Rows arrive page by page; with ``columns`` only those values are kept, so the rest of
each page can be dropped as soon as it has been read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from synapse_sdk._exceptions import ResponseValidationError

__all__ = ["build_frame", "check_columns", "import_pandas", "wire_rows"]


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


def wire_rows(items: Iterable[Any]) -> Iterable[tuple[int, int, Any]]:
    """Cached resources as ``(page, index, wire dict)`` rows (no I/O)."""
    for index, item in enumerate(items):
        to_dict = getattr(item, "to_dict", None)
        yield 1, index, to_dict() if to_dict is not None else item


def _checked(page: int, index: int, row: Any) -> dict[str, Any]:
    if type(row) is not dict:
        err = ResponseValidationError(
            f"page {page} row {index} should be an object, got {type(row).__name__}"
        )
        err.path = f"results[{index}]"
        raise err
    return row


def build_frame(
    pandas: Any, rows: Iterable[tuple[int, int, Any]], columns: tuple[str, ...] | None
) -> Any:
    """A DataFrame of ``rows`` (``(page, index, row dict)``), keeping only ``columns`` if given.

    A column a row lacks is ``None`` in that row (the server left the field out).

    Raises:
        ResponseValidationError: A row is not a JSON object.
    """
    if columns is None:
        records = [_checked(page, index, row) for page, index, row in rows]
        return pandas.DataFrame.from_records(records) if records else pandas.DataFrame()
    data: dict[str, list[Any]] = {name: [] for name in columns}
    for page, index, row in rows:
        checked = _checked(page, index, row)
        for name in columns:
            data[name].append(checked.get(name))
    return pandas.DataFrame(data, columns=list(columns))

"""Query-string helpers in DRF style: filters, ordering, page-number pagination, fields."""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ._errors import ApiError
from ._store import IdOrderedRows

if TYPE_CHECKING:
    from werkzeug.datastructures import MultiDict

    from ._context import Ctx

Doc = dict[str, Any]
#: One filter: ``(ctx, name, values, rows) -> the rows that match``.
FilterFn = Callable[["Ctx", str, list[str], list[Doc]], list[Doc]]

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def values(args: MultiDict[str, str], name: str) -> list[str]:
    """All values of ``name``: repeated keys and comma-separated lists, blanks dropped."""
    return [p.strip() for v in args.getlist(name) for p in v.split(",") if p.strip()]


def to_int(name: str, value: Any) -> int:
    """Parse an integer filter value or raise a 400 naming the parameter."""
    if isinstance(value, bool):
        raise ApiError(400, {name: ["Enter a whole number."]})
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, {name: ["Enter a whole number."]}) from None


def to_bool(name: str, value: Any) -> bool:
    """Parse a boolean (true/false/True/False/1/0) or raise a 400 naming the parameter."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ApiError(400, {name: ["Must be a valid boolean."]})


def to_str(name: str, value: Any) -> str:
    """Identity conversion (for string filters)."""
    return str(value)


def to_datetime(name: str, value: Any) -> datetime:
    """Parse an ISO 8601 date or datetime (naive = UTC) or raise a 400."""
    text = str(value).strip().replace(" ", "+")
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(400, {name: ["Enter a valid date/time."]}) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def f_in(field: str, conv: Callable[[str, Any], Any] = to_int) -> FilterFn:
    """Rows whose ``field`` equals any given value."""

    def apply(ctx: Ctx, name: str, vals: list[str], rows: list[Doc]) -> list[Doc]:
        wanted = {conv(name, v) for v in vals}
        return [r for r in rows if r.get(field) in wanted]

    return apply


def f_not_in(field: str, conv: Callable[[str, Any], Any] = to_int) -> FilterFn:
    """Rows whose ``field`` is none of the given values."""

    def apply(ctx: Ctx, name: str, vals: list[str], rows: list[Doc]) -> list[Doc]:
        unwanted = {conv(name, v) for v in vals}
        return [r for r in rows if r.get(field) not in unwanted]

    return apply


def f_bool(field: str) -> FilterFn:
    """Rows whose boolean ``field`` equals the given value."""

    def apply(ctx: Ctx, name: str, vals: list[str], rows: list[Doc]) -> list[Doc]:
        wanted = to_bool(name, vals[-1])
        return [r for r in rows if bool(r.get(field)) is wanted]

    return apply


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


def f_cmp(field: str, op: str, conv: Callable[[str, Any], Any] = to_int) -> FilterFn:
    """Rows whose ``field`` compares (gt/gte/lt/lte) to the given value."""
    cmp = _OPS[op]

    def apply(ctx: Ctx, name: str, vals: list[str], rows: list[Doc]) -> list[Doc]:
        bound = conv(name, vals[-1])
        return [r for r in rows if r.get(field) is not None and cmp(conv(field, r[field]), bound)]

    return apply


def f_any(field: str, conv: Callable[[str, Any], Any] = to_int) -> FilterFn:
    """Rows whose list ``field`` contains any of the given values."""

    def apply(ctx: Ctx, name: str, vals: list[str], rows: list[Doc]) -> list[Doc]:
        wanted = {conv(name, v) for v in vals}
        return [r for r in rows if wanted.intersection(r.get(field) or ())]

    return apply


def f_icontains(field: str) -> FilterFn:
    """Rows whose string ``field`` contains the value (case-insensitive)."""

    def apply(ctx: Ctx, name: str, vals: list[str], rows: list[Doc]) -> list[Doc]:
        needle = ",".join(vals).lower()
        return [r for r in rows if needle in str(r.get(field) or "").lower()]

    return apply


def f_search(*fields: str) -> FilterFn:
    """Rows where any of ``fields`` (JSON-dumped) contains the value (case-insensitive)."""

    def apply(ctx: Ctx, name: str, vals: list[str], rows: list[Doc]) -> list[Doc]:
        needle = ",".join(vals).lower()
        return [
            r
            for r in rows
            if any(needle in json.dumps(r.get(f), ensure_ascii=False).lower() for f in fields)
        ]

    return apply


def created_filters(field: str = "created") -> dict[str, FilterFn]:
    """``created__gt/gte/lt/lte`` filters on an ISO timestamp field."""
    return {f"created__{op}": f_cmp(field, op, to_datetime) for op in _OPS}


def id_filters(*names: str) -> dict[str, FilterFn]:
    """``id``, ``id__in``, ``id__gt`` ..., ``ids`` and ``ids_ex`` filters (only ``names`` if given).

    Raises:
        KeyError: A name is not one of these filters.
    """
    out: dict[str, FilterFn] = {"id": f_in("id"), "id__in": f_in("id"), "ids": f_in("id")}
    out.update({f"id__{op}": _id_cmp(op) for op in _OPS})
    out["ids_ex"] = f_not_in("id")
    return {name: out[name] for name in names} if names else out


#: The id comparisons (``id__gt`` ...): on the id-ordered documents of the store they cut a
#: slice by bisection (O(log n)) instead of testing every row.
_ID_CMP: dict[FilterFn, str] = {}


def _id_cmp(op: str) -> FilterFn:
    fn = f_cmp("id", op)
    _ID_CMP[fn] = op
    return fn


def _id_slice(rows: IdOrderedRows, op: str, bound: int) -> IdOrderedRows:
    ids = rows.ids
    if op in ("gt", "lte"):
        cut = bisect.bisect_right(ids, bound)
    else:  # gte, lt
        cut = bisect.bisect_left(ids, bound)
    if op in ("gt", "gte"):
        return IdOrderedRows(rows[cut:], ids[cut:])
    return IdOrderedRows(rows[:cut], ids[:cut])


def apply_filters(ctx: Ctx, rows: list[Doc], spec: Mapping[str, FilterFn]) -> list[Doc]:
    """Apply every filter of ``spec`` present in the query (unknown keys are ignored, and so
    are the filters the backend was told to ignore: ``LocalBackend(ignore_filters=...)``).

    Id comparisons come first and, on the store's id-ordered documents, cut by bisection."""
    args = ctx.request.args
    ignored = ctx.config.ignore_filters
    later: list[tuple[str, FilterFn, list[str]]] = []
    for name, fn in spec.items():
        if name in args and name not in ignored:
            vals = values(args, name)
            if not vals:
                continue
            op = _ID_CMP.get(fn)
            if op is not None and isinstance(rows, IdOrderedRows) and rows.in_sync():
                rows = _id_slice(rows, op, to_int(name, vals[-1]))
            else:
                later.append((name, fn, vals))
    for name, fn, vals in later:
        rows = fn(ctx, name, vals, rows)
    return rows


@dataclass(frozen=True)
class Listing:
    """What one list route reads from its query: its filters and the fields it orders by.

    Each handler module declares its listings once, in ``LISTINGS`` (list path -> ``Listing``),
    and its handlers filter and order through them; tests/meta/test_filter_parity.py checks them
    against the client's declarations.

    Attributes:
        filters: Filter name -> filter function.
        ordering: Fields ``ordering=`` accepts (``-`` for descending).
        default: The ordering when none is asked for.
    """

    filters: Mapping[str, FilterFn]
    ordering: frozenset[str]
    default: str = "id"

    def rows(self, ctx: Ctx, rows: list[Doc]) -> list[Doc]:
        """``rows`` filtered and ordered as the request's query asks.

        Raises:
            ApiError: 400 for a bad filter value or an ordering field outside ``ordering``.
        """
        by_id = isinstance(rows, IdOrderedRows)  # filters keep the order of their input
        filtered = apply_filters(ctx, rows, self.filters)
        return order(ctx, filtered, self.ordering, self.default, by_id=by_id)


def _sort_key(field: str) -> Callable[[Doc], tuple[bool, Any]]:
    def key(row: Doc) -> tuple[bool, Any]:
        value = row.get(field)
        if isinstance(value, (dict, list)):
            value = json.dumps(value)
        return (value is None, value if value is not None else 0)

    return key


def order(
    ctx: Ctx,
    rows: list[Doc],
    allowed: set[str] | frozenset[str],
    default: str = "id",
    *,
    by_id: bool = False,
) -> list[Doc]:
    """Sort by the ``ordering`` parameter (``-`` = descending) within ``allowed`` fields.

    ``by_id``: the rows are known to be in id order (``-id`` is then a reversal, not a sort).

    Raises:
        ApiError: 400 for a field outside ``allowed``.
    """
    fields = values(ctx.request.args, "ordering") or [default]
    for f in fields:
        if f.lstrip("-") not in allowed:
            raise ApiError(400, {"ordering": [f'Invalid ordering field "{f}".']})
    if fields == ["id"]:
        return rows  # documents come from the store in id order and filters keep it
    if fields == ["-id"] and (by_id or isinstance(rows, IdOrderedRows)):
        return rows[::-1]
    # stable sorts from the last key to the first give a multi-key ordering; id breaks ties
    rows = sorted(rows, key=_sort_key("id"))
    for f in reversed(fields):
        rows = sorted(rows, key=_sort_key(f.lstrip("-")), reverse=f.startswith("-"))
    return rows


def query_values(ctx: Ctx, name: str) -> list[str]:
    """``values(ctx.request.args, name)``, parsed once per request (treat as read-only)."""
    found = ctx.memo.get(name)
    if found is None:
        found = ctx.memo[name] = values(ctx.request.args, name)
    return found


def fields_of(ctx: Ctx, doc: Doc) -> Doc:
    """Limit ``doc`` to the ``fields`` parameter's keys when given."""
    wanted = query_values(ctx, "fields")
    if not wanted:
        return doc
    return {k: doc[k] for k in wanted if k in doc}


def _page_url(ctx: Ctx, page: int) -> str:
    pairs = [(k, v) for k, v in ctx.request.args.items(multi=True) if k != "page"]
    pairs.append(("page", str(page)))
    return f"{ctx.request.base_url}?{urlencode(pairs)}"


def paginate(ctx: Ctx, rows: list[Doc], render: Callable[[Doc], Doc]) -> Doc:
    """Build the ``{count, next, previous, results}`` envelope of one page.

    ``render`` is applied only to the rows of the page. ``page`` is 1-based (``last`` works),
    ``page_size`` defaults to 100 and is clamped to 1000.

    Raises:
        ApiError: 404 ``Invalid page.`` for a page that does not exist.
    """
    args = ctx.request.args
    size = DEFAULT_PAGE_SIZE
    raw_size = args.get("page_size")
    if raw_size:
        try:
            size = int(raw_size)
        except ValueError:
            size = DEFAULT_PAGE_SIZE
        if size < 1:
            size = DEFAULT_PAGE_SIZE
        size = min(size, MAX_PAGE_SIZE)
    count = len(rows)
    pages = max(1, math.ceil(count / size))
    raw_page = args.get("page", "1") or "1"
    try:
        page = pages if raw_page == "last" else int(raw_page)
    except ValueError:
        raise ApiError(404, {"detail": "Invalid page."}) from None
    if page < 1 or page > pages:
        raise ApiError(404, {"detail": "Invalid page."})
    chunk = rows[(page - 1) * size : page * size]
    return {
        "count": count,
        "next": _page_url(ctx, page + 1) if page < pages else None,
        "previous": _page_url(ctx, page - 1) if page > 1 else None,
        "results": [fields_of(ctx, render(r)) for r in chunk],
    }

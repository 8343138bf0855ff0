"""Notebook display (``_repr_html_``) of resources, pages and querysets.

Everything here renders what is already in memory: no function in this module does I/O, so a
notebook showing an object never sends a request. Every piece of text that comes from the server
or the user (field names, values, filter values) goes through :func:`html.escape`.
"""

from __future__ import annotations

import datetime as dt
import enum
import html
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["describe_query", "display_value", "render_card", "render_query", "render_table"]

#: Rows shown in a table before it is truncated (the caption gives the full count).
MAX_ROWS = 20
#: Columns shown in a table; the rest are counted in the caption.
MAX_COLUMNS = 8
#: Fields shown on a resource card.
MAX_FIELDS = 14
#: Characters shown of one value.
MAX_CHARS = 80

# One small style sheet per output, scoped by class; the markup stays readable without it
# (GitHub and some viewers drop styles).
_STYLE = (
    "<style>"
    ".synapse-box{display:inline-block;border:1px solid #8885;border-radius:6px;"
    "padding:4px 10px;font-size:90%;max-width:60em}"
    ".synapse-box th,.synapse-box td{text-align:left;vertical-align:top;padding:1px 10px 1px 0}"
    ".synapse-muted{opacity:.6}"
    "</style>"
)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def display_value(value: Any, limit: int = MAX_CHARS) -> str:
    """A short, plain-text form of ``value`` for a table cell (not yet HTML-escaped)."""
    if isinstance(value, enum.Enum):
        value = value.value
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = value
    elif isinstance(value, dt.datetime):
        text = value.isoformat(sep=" ", timespec="seconds")
    elif isinstance(value, dt.date):
        text = value.isoformat()
    else:
        text = repr(value)
    text = " ".join(text.split())  # newlines and tabs would break the table layout
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _cell(value: Any) -> str:
    text = display_value(value)
    full = display_value(value, limit=2000)
    title = f' title="{_e(full)}"' if full != text else ""
    return f"<td{title}>{_e(text)}</td>"


def render_card(
    kind: str, pk: Any, items: Sequence[tuple[str, Any]], *, note: str = "", extra: int = 0
) -> str:
    """A compact card: the type and id in a header, then one row per loaded field.

    Args:
        kind: The resource type (``"Task"``).
        pk: Its id (``None`` if unknown).
        items: ``(field name, value)`` pairs that are already loaded (the id excluded).
        note: A short remark shown next to the header (``"partial"``).
        extra: The number of server fields this SDK version does not know.
    """
    header = f"<b>{_e(kind)}</b>"
    if pk is not None:
        header += f" <code>{_e(display_value(pk))}</code>"
    if note:
        header += f' <span class="synapse-muted">{_e(note)}</span>'
    shown = list(items)[:MAX_FIELDS]
    rows = "".join(f"<tr><th>{_e(name)}</th>{_cell(value)}</tr>" for name, value in shown)
    hidden = len(items) - len(shown)
    remarks = []
    if hidden > 0:
        remarks.append(f"{hidden} more field{'s' if hidden != 1 else ''}")
    if extra:
        remarks.append(f"{extra} unknown field{'s' if extra != 1 else ''} kept in .extra")
    footer = f'<div class="synapse-muted">{_e("; ".join(remarks))}</div>' if remarks else ""
    table = f"<table>{rows}</table>" if rows else ""
    return f'{_STYLE}<div class="synapse-box synapse-card">{header}{table}{footer}</div>'


def _row_items(item: Any) -> list[tuple[str, Any]]:
    if isinstance(item, Mapping):
        return [(str(k), v) for k, v in item.items()]
    loaded = getattr(item, "_loaded_items", None)
    if loaded is not None:
        pairs: list[tuple[str, Any]] = loaded()
        return pairs
    return [("value", item)]


def render_table(items: Sequence[Any], title: str, total: int | None) -> str:
    """An HTML table of the first :data:`MAX_ROWS` of ``items``, from memory only.

    Args:
        items: Resources (their loaded fields become columns) or dicts.
        title: The caption's subject (a query description or ``"Page 2"``).
        total: How many rows match in all, when known (may exceed ``len(items)``).
    """
    shown = list(items[:MAX_ROWS])
    rows = [dict(_row_items(item)) for item in shown]
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    hidden_columns = len(columns) - MAX_COLUMNS
    columns = columns[:MAX_COLUMNS]
    missing = object()
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join(
        "<tr>"
        + "".join("<td></td>" if row.get(c, missing) is missing else _cell(row[c]) for c in columns)
        + "</tr>"
        for row in rows
    )
    caption = f"{title}: {_count_text(len(items), total)}"
    notes = []
    if len(items) > len(shown):
        notes.append(f"first {len(shown)} shown")
    if hidden_columns > 0:
        notes.append(f"{hidden_columns} more column{'s' if hidden_columns != 1 else ''}")
    if notes:
        caption += f" ({', '.join(notes)})"
    table = f"<table><tr>{head}</tr>{body}</table>" if rows else ""
    return (
        f'{_STYLE}<div class="synapse-box synapse-table">'
        f'<div class="synapse-muted">{_e(caption)}</div>{table}</div>'
    )


def _count_text(held: int, total: int | None) -> str:
    noun = "row" if held == 1 else "rows"
    if total is None or total == held:
        return f"{held} {noun}"
    return f"{held} {noun} of {total}"


def describe_query(
    name: str,
    filters: Mapping[str, object],
    ordering: Sequence[str],
    fields: Sequence[str],
    expand: Sequence[str],
    start: int,
    stop: int | None,
) -> str:
    """The query as the chained calls that built it: ``tasks.filter(project=1)[:5]``."""
    parts = [name]
    if filters:
        parts.append("filter(" + ", ".join(f"{k}={v!r}" for k, v in filters.items()) + ")")
    if ordering:
        parts.append("order_by(" + ", ".join(repr(o) for o in ordering) + ")")
    if fields:
        parts.append("only(" + ", ".join(repr(f) for f in fields) + ")")
    if expand:
        parts.append("expand(" + ", ".join(repr(e) for e in expand) + ")")
    text = ".".join(parts)
    if start or stop is not None:
        text += f"[{start or ''}:{'' if stop is None else stop}]"
    return text


def render_query(description: str, path: str, params: Mapping[str, str], count: int | None) -> str:
    """An unevaluated queryset: what it would request, and how to fetch a sample."""
    query = "&".join(f"{k}={v}" for k, v in params.items())
    url = f"GET {path}" + (f"?{query}" if query else "")
    known = f" The last listing reported {count} rows." if count is not None else ""
    return (
        f'{_STYLE}<div class="synapse-box synapse-query">'
        f"<b>QuerySet</b> <code>{_e(description)}</code><br>"
        f'<span class="synapse-muted">{_e(url)}</span><br>'
        f"This queryset is not evaluated: nothing has been fetched.{_e(known)} "
        "<code>.preview(20)</code> fetches a sample in one request; "
        "<code>.count()</code> asks for the total.</div>"
    )

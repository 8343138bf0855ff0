"""``Page[R]``: one page of a listing, typed, with a notebook display that does no I/O."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any, Generic, TypeVar

import attrs

__all__ = ["Page"]

R = TypeVar("R")


@attrs.frozen
class Page(Generic[R]):
    """One page of results.

    Attributes:
        items: The objects on this page, in server order.
        count: The total number of rows across all pages, when the server said.
        number: The 1-based page number.
        next: The absolute URL of the next page, or ``None`` on the last page.
        previous: The absolute URL of the previous page, or ``None`` on the first page.
    """

    items: list[R]
    count: int | None
    number: int
    next: str | None = None
    previous: str | None = None

    def __iter__(self) -> Iterator[R]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> R:
        return self.items[index]

    def _repr_html_(self) -> str:
        return render_table(self.items, f"Page {self.number}", self.count)


def render_table(items: list[Any], title: str, count: int | None, limit: int = 20) -> str:
    """An HTML table of ``items`` (first ``limit`` rows), built from what is in memory only."""
    shown = items[:limit]
    rows = [_row_dict(item) for item in shown]
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns and len(columns) < 8:
                columns.append(key)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape(_short(row.get(c, '')))}</td>" for c in columns)
        + "</tr>"
        for row in rows
    )
    total = f"{count} in all" if count is not None else f"{len(items)} rows"
    more = f" (showing {len(shown)})" if len(items) > len(shown) else ""
    caption = html.escape(f"{title}: {total}{more}")
    return f"<table><caption>{caption}</caption><tr>{head}</tr>{body}</table>"


def _row_dict(item: Any) -> dict[str, Any]:
    if isinstance(item, dict):
        return item
    to_dict = getattr(type(item), "to_dict", None)
    if to_dict is not None:
        result: dict[str, Any] = to_dict(item)
        return result
    return {"value": item}


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."

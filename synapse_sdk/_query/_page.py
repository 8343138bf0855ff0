"""``Page[R]``: one page of a listing, typed, with a notebook display that does no I/O."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

import attrs

from synapse_sdk._query._display import render_table

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

    def __repr__(self) -> str:
        total = "" if self.count is None else f" of {self.count}"
        return f"<Page {self.number}: {len(self.items)} items{total}>"

    def _repr_html_(self) -> str:
        """A table of the page's rows (first 20), with the total; no I/O."""
        return render_table(self.items, f"Page {self.number}", self.count)

"""What a seed ``list_*(list_all=True)`` returns: :class:`ListAllRows`."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any

from synapse_sdk._query._pages import PageSource

__all__ = ["CountingSource", "ListAllRows"]


class CountingSource:
    """A page source that keeps the ``count`` of the first page body the walk fetches (the
    walk's own first request: no extra one)."""

    __slots__ = ("count", "fetched", "source")

    def __init__(self, source: PageSource) -> None:
        self.source = source
        self.count = 0
        self.fetched = False

    def fetch_page(self, params: Mapping[str, str] | None, url: str | None = None) -> Any:
        body = self.source.fetch_page(params, url)
        if not self.fetched:
            self.fetched = True
            found = body.get("count") if isinstance(body, dict) else None
            if isinstance(found, int) and not isinstance(found, bool) and found >= 0:
                self.count = found
        return body

    def check_url(self, url: str) -> None:
        self.source.check_url(url)


class ListAllRows(Iterator[dict[str, Any]]):
    """What a seed ``list_*(list_all=True)`` returns: the lazy iterator over every row, plus the
    listing's total as :attr:`count` and ``len()``.

    ``rows = client.list_tasks(params, list_all=True); rows.count`` replaces the official
    client's ``rows, count = client.list_tasks(params, list_all=True)``. Nothing is sent before
    the first ``next()`` or ``count``/``len()``. The count is the first page's ``count`` (0 when
    the page gives none), read from the page the walk fetches anyway: asking for it before any
    row was read fetches that first page (its rows are kept for iteration), so ``len(rows)`` and
    ``list(rows)`` cost no extra request.
    """

    __slots__ = ("_ahead", "_rows", "_source")

    def __init__(self, rows: Iterator[dict[str, Any]], source: CountingSource) -> None:
        self._rows = rows
        self._source = source
        self._ahead: list[dict[str, Any]] = []

    def __iter__(self) -> ListAllRows:
        return self

    def __next__(self) -> dict[str, Any]:
        if self._ahead:
            return self._ahead.pop()
        return next(self._rows)

    @property
    def count(self) -> int:
        """The listing's total rows (the first page's ``count``; 0 when it gives none)."""
        if not self._source.fetched:
            for row in itertools.islice(self._rows, 1):
                self._ahead.append(row)
        return self._source.count

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return True  # an iterator is truthy: ``if rows:`` sends nothing

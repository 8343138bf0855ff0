"""Walking a page-number listing: sequentially, or with a bounded window of pages fetched ahead.

Both the typed querysets and the seed's ``list_*(list_all=True)`` use :func:`iter_pages`, so there
is one paging mechanism. When the first page gives ``count``, later pages are addressed by number
and up to ``prefetch`` of them are fetched concurrently while the caller consumes earlier ones
(order preserved; memory bounded by the window; nothing fetched past what the caller asked for).
Without ``count`` (or with ``prefetch=0``) the walk follows ``next`` links one page at a time.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

import attrs

from synapse_sdk._exceptions import NotFoundError, ResponseValidationError

__all__ = ["Envelope", "PageSource", "iter_pages", "parse_envelope"]


class PageSource(Protocol):
    """What a listing needs from a manager: one page request."""

    def fetch_page(self, params: Mapping[str, str] | None, url: str | None = None) -> Any:
        """GET one page: the list path with ``params``, or the absolute ``url`` of a next link."""
        ...


@attrs.frozen
class Envelope:
    """A parsed page envelope ``{count, next, previous, results}``."""

    results: list[dict[str, Any]]
    count: int | None
    next: str | None
    previous: str | None
    number: int


def parse_envelope(body: Any, number: int) -> Envelope:
    """Check a list response's shape and return it as an :class:`Envelope`.

    A bare JSON list (some endpoints answer that way) is taken as a single, complete page.

    Raises:
        ResponseValidationError: The body is not an envelope or a list of objects.
    """
    if type(body) is list:
        return Envelope(body, len(body), None, None, number)
    if type(body) is not dict or type(body.get("results")) is not list:
        err = ResponseValidationError(
            "a list response should be an object with a 'results' list "
            f"(got {type(body).__name__})",
            response=body if type(body) is not dict else None,
        )
        err.path = "results"
        raise err
    count = body.get("count")
    if count is not None and (type(count) is not int or count < 0):
        err = ResponseValidationError(f"'count' should be a non-negative int, got {count!r}")
        err.path = "count"
        raise err
    return Envelope(body["results"], count, body.get("next"), body.get("previous"), number)


def iter_pages(
    source: PageSource,
    params: Mapping[str, str],
    *,
    page_size: int,
    start: int = 0,
    limit: int | None = None,
    prefetch: int = 0,
) -> Iterator[Envelope]:
    """Yield the pages covering rows ``start .. start+limit`` of a listing, in order.

    Args:
        source: Fetches one page.
        params: Filters and options of the listing (without ``page``/``page_size``).
        page_size: Rows per page to ask for.
        start: Index of the first row wanted (the first page yielded may begin earlier; the
            caller skips ``start % page_size`` rows).
        limit: How many rows are wanted in all, or ``None`` for all of them.
        prefetch: Pages to fetch ahead concurrently once ``count`` is known (0 = sequential).
    """
    first_page = start // page_size + 1
    query = dict(params)
    query["page_size"] = str(page_size)
    if first_page > 1:
        query["page"] = str(first_page)
    try:
        envelope = parse_envelope(source.fetch_page(query), first_page)
    except NotFoundError:
        if first_page > 1:  # DRF answers 404 past the last page: the slice is simply empty
            return
        raise
    yield envelope
    skip = start - (first_page - 1) * page_size
    wanted_rows = None if limit is None else skip + limit
    if wanted_rows is not None and wanted_rows <= page_size:
        return
    if envelope.next is None:
        return
    last_page: int | None = None
    if envelope.count is not None:
        last_page = math.ceil(envelope.count / page_size)
        if wanted_rows is not None:
            last_page = min(last_page, first_page - 1 + math.ceil(wanted_rows / page_size))
    if prefetch > 0 and last_page is not None:
        yield from _prefetched(source, query, first_page + 1, last_page, prefetch)
        return
    number = first_page
    next_url: str | None = envelope.next
    while next_url is not None and (last_page is None or number < last_page):
        number += 1
        envelope = parse_envelope(source.fetch_page(None, next_url), number)
        yield envelope
        next_url = envelope.next


def _prefetched(
    source: PageSource, query: Mapping[str, str], first: int, last: int, window: int
) -> Iterator[Envelope]:
    """Fetch pages ``first..last`` with at most ``window`` requests in flight, yielding in order."""
    if first > last:
        return

    def fetch(number: int) -> Envelope:
        return parse_envelope(source.fetch_page({**query, "page": str(number)}), number)

    pool = ThreadPoolExecutor(max_workers=window, thread_name_prefix="synapse-prefetch")
    pending: deque[Future[Envelope]] = deque()
    next_number = first
    try:
        while pending or next_number <= last:
            while next_number <= last and len(pending) < window:
                pending.append(pool.submit(fetch, next_number))
                next_number += 1
            try:
                envelope = pending.popleft().result()
            except NotFoundError:
                return  # rows were deleted while we listed: the listing simply ends earlier
            yield envelope
            if envelope.next is None:
                return
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)

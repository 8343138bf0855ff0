"""Walking a page-number listing: sequentially, or with a bounded window of pages fetched ahead.

Both the typed querysets and the seed's ``list_*(list_all=True)`` use :func:`iter_pages`, so there
is one paging mechanism. When the first page gives ``count``, later pages are addressed by number
and up to ``prefetch`` of them are fetched concurrently while the caller consumes earlier ones
(order preserved; memory bounded by the window; nothing fetched past what the caller asked for).
Without ``count`` (or with ``prefetch=0``) the walk follows ``next`` links one page at a time.

Each page request is retried by the session like any GET. When a page after the first still
fails, the error raised is the session's own (``ServerError``, ``ClientConnectionError`` ...), with
the failed page and how to resume from it added: ``err.page``, ``err.resume_offset`` (the row
index to slice from: ``queryset[err.resume_offset:]``) and ``err.resume_params`` (``{'page': n,
'page_size': size}`` for the seed's ``list_*(params=..., list_all=True)``); the message says the
same. Rows before that page were already delivered, so nothing is lost or repeated on resume.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

import attrs

from synapse_sdk._exceptions import ClientError, NotFoundError, ResponseValidationError

__all__ = ["Envelope", "PageSource", "iter_pages", "mark_failed_page", "parse_envelope"]


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


def mark_failed_page(exc: ClientError, number: int, page_size: int) -> None:
    """Record on ``exc`` which page of a listing failed and how to resume from it.

    Sets ``page``, ``resume_offset`` and ``resume_params`` on the error and appends a resume hint
    to its message (once; an error already marked is left alone).

    Args:
        exc: The error the page request raised.
        number: The 1-based number of the page that failed.
        page_size: Rows per page of the listing.
    """
    if "page" in vars(exc):
        return
    offset = (number - 1) * page_size
    vars(exc).update(
        page=number,
        resume_offset=offset,
        resume_params={"page": number, "page_size": page_size},
    )
    exc.message = (
        f"{exc.message} [listing interrupted at page {number} (page_size {page_size}); rows "
        f"before row {offset} were delivered. Resume with queryset[{offset}:] (same filters and "
        f"ordering) or list_*(params={{..., 'page': {number}, 'page_size': {page_size}}}, "
        "list_all=True)]"
    )
    exc.args = (exc.message,)


def _fetch(
    source: PageSource,
    query: Mapping[str, str] | None,
    url: str | None,
    number: int,
    page_size: int,
) -> Envelope:
    """Fetch and parse page ``number``; a failure names the page and how to resume."""
    try:
        return parse_envelope(source.fetch_page(query, url), number)
    except ClientError as exc:
        mark_failed_page(exc, number, page_size)
        raise


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
        yield from _prefetched(source, query, first_page + 1, last_page, prefetch, page_size)
        return
    number = first_page
    next_url: str | None = envelope.next
    while next_url is not None and (last_page is None or number < last_page):
        number += 1
        envelope = _fetch(source, None, next_url, number, page_size)
        yield envelope
        next_url = envelope.next


def _prefetched(
    source: PageSource,
    query: Mapping[str, str],
    first: int,
    last: int,
    window: int,
    page_size: int,
) -> Iterator[Envelope]:
    """Fetch pages ``first..last`` with at most ``window`` requests in flight, yielding in order."""
    if first > last:
        return

    def fetch(number: int) -> Envelope:
        return _fetch(source, {**query, "page": str(number)}, None, number, page_size)

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

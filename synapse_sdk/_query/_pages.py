"""Walking a page-number listing: sequentially, or with a bounded window of pages fetched ahead.

Both the typed querysets and the seed's ``list_*(list_all=True)`` use :func:`iter_pages`, so there
is one paging mechanism. The window is adaptive: while pages arrive faster than
the caller consumes them (the last request waited less on the server than the caller spent on
the page before, or under 5 ms), the walk follows ``next`` links on the caller's thread and
starts no thread. Once two requests in a row wait longer (latency dominates) and the first page gave
``count``, later pages are addressed by number and fetched concurrently while the caller
consumes earlier ones, 2 in flight at first, doubling each time the caller had to wait, up to
``prefetch`` (order preserved; memory bounded by the window; nothing fetched past what the
caller asked for). Without ``count`` (or with ``prefetch=0``) the walk stays sequential.

The walk trusts the rows, not its own arithmetic. Servers cap ``page_size`` (a DRF backend asked
for 5,000 rows a page serves 1,000, and page 2 then starts at row 1,000): a page with a ``next``
link is full, so its length is the page size the server uses, and page numbers (and the page a
slice starts on) are re-planned from it. Rows are never skipped or repeated because of it, and
every yielded envelope holds exactly the rows asked for, ``offset`` telling where they start.

A page is refused with a :class:`ResponseValidationError` whose ``path`` names the field when the
listing cannot go on safely: a malformed envelope, a ``next`` that is not a usable link or does
not lead to the following page (a loop, or a skip), an empty page with a ``next`` link, a page
that repeats an earlier page's rows (the server ignores the page number), more rows than the
first page's ``count`` promised (plus a margin for rows added while listing), or a page size that
keeps changing. Later counts may change freely: rows are trusted and the walk ends where ``next``
is null.

Each page request is retried by the session like any GET. When a page after the first still
fails (or is refused), the error raised is the session's own (``ServerError``,
``ClientConnectionError``, ``OriginError`` ...) or the refusal, with the failed page and how to
resume from it added: ``err.page``, ``err.resume_offset`` (the row index to slice from:
``queryset[err.resume_offset:]``) and ``err.resume_params`` (``{'page': n, 'page_size': size}``
for the seed's ``list_*(params=..., list_all=True)``, in the page size the server served); the
message says the same. Rows before that page were already delivered, so nothing is lost or
repeated on resume. Errors before any row was delivered are raised as they are.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Generator, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from synapse_sdk._exceptions import ClientError, NotFoundError
from synapse_sdk._http._urls import redact_text
from synapse_sdk._query._envelope import (
    Envelope,
    check_next,
    mark_failed_page,
    parse_envelope,
    refusal,
)

__all__ = ["Envelope", "PageSource", "iter_pages", "mark_failed_page", "parse_envelope"]

#: How many times one walk may re-plan for a new page size before refusing the listing.
_MAX_RESIZES = 4
#: The least time a page request must wait on the server before fetching ahead is considered.
_MIN_WAIT = 0.005
#: How many page requests in a row must wait that long.
_SLOW_PAGES = 2


class PageSource(Protocol):
    """What a listing needs from a manager: one page request."""

    def fetch_page(self, params: Mapping[str, str] | None, url: str | None = None) -> Any:
        """GET one page: the list path with ``params``, or the absolute ``url`` of a next link."""
        ...

    def check_url(self, url: str) -> None:
        """Raise what requesting ``url`` would raise before any I/O (``OriginError`` for another
        origin): pages fetched ahead by number check the ``next`` links they do not follow."""
        ...


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

    Each envelope's ``results`` are exactly the wanted rows of that page (the first one starts at
    row ``start``, the last one stops at ``start + limit``); the first envelope is yielded even
    when it holds no wanted row, for its ``count``.

    Args:
        source: Fetches one page.
        params: Filters and options of the listing (without ``page``/``page_size``).
        page_size: Rows per page to ask for (the server may serve fewer or more).
        start: Index of the first row wanted.
        limit: How many rows are wanted in all, or ``None`` for all of them.
        prefetch: Pages to fetch ahead concurrently once ``count`` is known (0 = sequential).
    """
    if limit is not None and limit <= 0:
        return
    yield from _Walk(source, params, page_size, start, limit).run(prefetch)


class _Walk:
    """The state of one walk: the page size in use, the next row to deliver, what was seen."""

    def __init__(
        self,
        source: PageSource,
        params: Mapping[str, str],
        page_size: int,
        start: int,
        limit: int | None,
    ) -> None:
        self.source = source
        self.query = dict(params)
        self.size = page_size  # the page size the server serves, once a page has shown it
        self.pos = start  # the row index of the next row to deliver
        self.end = None if limit is None else start + limit
        self.bound: int | None = None  # no walk delivers rows past this index
        self.count: int | None = None
        self.delivered = False
        self.ended = False
        self.resizes = 0
        self.known: int | None = None  # the page size a full page (with a next link) showed
        self.waited = 0.0  # seconds the last page request on the caller's thread waited
        self.slow = 0  # page requests in a row that waited longer than the caller worked
        self.firsts: set[Any] = set()  # ids of the first and last rows of the pages delivered
        self.lasts: set[Any] = set()

    # -- the walk ----------------------------------------------------------------------------

    def run(self, prefetch: int) -> Iterator[Envelope]:
        ahead: Generator[Envelope, None, None] | None = None
        try:
            env = self.land()
            if env is None:
                return
            window = prefetch > 0 and self.count is not None
            while True:
                handed = time.perf_counter()
                yield env
                consumed = time.perf_counter() - handed
                if env.next is None or (self.end is not None and self.pos >= self.end):
                    return
                switch = window and self.waiting(consumed)
                link = self.link(env, verify=switch or ahead is not None)
                number = env.number + 1
                del env  # the delivered page is not held while the next one is fetched
                if switch:
                    window = False
                    last = self.last_page()
                    if last >= number:
                        ahead = self.window(number, last, prefetch)
                if ahead is not None:
                    raw = next(ahead, None)
                    if raw is None:
                        ahead = None
                        if self.ended:
                            return  # rows were deleted while we listed: the listing ends here
                    else:
                        size = self.served(raw)
                        accepted = self.accept(raw) if size == self.size else None
                        if accepted is None:  # the page size changed: go on one page at a time
                            ahead.close()
                            ahead = None
                            accepted = self.settle(raw, size)
                        if accepted is None:
                            return
                        env = accepted
                        continue
                accepted = self.follow(link, number)
                if accepted is None:
                    return
                env = accepted
        finally:
            if ahead is not None:
                ahead.close()

    def waiting(self, consumed: float) -> bool:
        """Whether the last :data:`_SLOW_PAGES` page requests each spent longer waiting for the
        server than the caller spent on the page before (and at least :data:`_MIN_WAIT`): then
        fetching ahead pays (one slow page, a scheduling hiccup, is not enough).
        Otherwise pages arrive faster than they are consumed and the walk stays on the
        caller's thread (threads would only add their own cost)."""
        if self.waited >= _MIN_WAIT and self.waited > consumed:
            self.slow += 1
        else:
            self.slow = 0
        return self.slow >= _SLOW_PAGES

    def fetch(self, params: Mapping[str, str] | None, url: str | None = None) -> Any:
        """One page request on the caller's thread, noting how long it waited (wall time not
        spent on this thread's CPU: the network and the server)."""
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return self.source.fetch_page(params, url)
        finally:
            self.waited = (time.perf_counter() - wall) - (time.thread_time() - cpu)

    def land(self) -> Envelope | None:
        """Fetch the page holding row ``pos`` by number, re-planning for the served page size."""
        while True:
            number = self.pos // self.size + 1
            env = self.fetch_number(number)
            if (env is None or not self.fits(env)) and self.known == self.size:
                # A full page already showed this page size: past the end, or a count that
                # changed; trust the rows.
                return None if env is None else self.accept(env)
            if env is None or not self.fits(env):
                # Past the end (404), or a last page that does not fit its count: page 1 tells
                # the page size the server really uses.
                probe = self.fetch_number(1)
                assert probe is not None  # page 1 is never "past the end": 404 raises
                size = self.served(probe)
                if size == self.size:
                    return None if env is None else self.accept(env)
                self.resize(size, 1)
                env = probe
            else:
                size = self.served(env)
                if size != self.size:
                    self.resize(size, number)
            accepted = self.accept(env)
            if accepted is not None:
                return accepted

    def follow(self, link: str, number: int) -> Envelope | None:
        """Request ``link`` (page ``number``) and deliver it, re-planning if its size changed."""
        try:
            body = self.fetch(None, link)
        except ClientError as exc:
            self.mark(exc, number)
            raise
        except ValueError as exc:  # the session refused to build the request
            raise self.refuse(number, "next", _unusable(number - 1, exc)) from None
        env = self.parse(body, number)
        return self.settle(env, self.served(env))

    def settle(self, env: Envelope, size: int) -> Envelope | None:
        if size != self.size:
            self.resize(size, env.number)
        accepted = self.accept(env)
        return accepted if accepted is not None else self.land()

    def window(self, first: int, last: int, window: int) -> Generator[Envelope, None, None]:
        """Pages ``first..last`` by number, in order, with up to ``width`` requests in flight:
        ``width`` starts at 2 and doubles (up to ``window``) each time the caller had to wait
        for the next page."""
        query = {**self.query, "page_size": str(self.size)}

        def fetch(number: int) -> Any:
            return self.source.fetch_page({**query, "page": str(number)})

        pool = ThreadPoolExecutor(max_workers=window, thread_name_prefix="synapse-prefetch")
        pending: deque[tuple[int, Future[Any]]] = deque()
        next_number = first
        width = min(2, window)
        try:
            while pending or next_number <= last:
                while next_number <= last and len(pending) < width:
                    pending.append((next_number, pool.submit(fetch, next_number)))
                    next_number += 1
                number, future = pending.popleft()
                if not future.done() and width < window:
                    width = min(window, 2 * width)  # latency dominates: more in flight
                try:
                    body = future.result()
                except NotFoundError:
                    self.ended = True
                    return
                except ClientError as exc:
                    self.mark(exc, number)
                    raise
                yield self.parse(body, number)
        finally:
            for _, future in pending:
                future.cancel()
            pool.shutdown(wait=True, cancel_futures=True)

    # -- one page ----------------------------------------------------------------------------

    def fetch_number(self, number: int) -> Envelope | None:
        """Page ``number`` in the current page size; ``None`` when it is past the end (404)."""
        query = {**self.query, "page_size": str(self.size)}
        if number > 1:
            query["page"] = str(number)
        try:
            body = self.fetch(query)
        except NotFoundError as exc:
            if number > 1:  # DRF answers 404 past the last page
                return None
            self.mark(exc, number)
            raise
        except ClientError as exc:
            self.mark(exc, number)
            raise
        return self.parse(body, number)

    def parse(self, body: Any, number: int) -> Envelope:
        try:
            return parse_envelope(body, number)
        except ClientError as exc:
            self.mark(exc, number)
            raise

    def served(self, env: Envelope) -> int:
        """The page size the server used for ``env``."""
        rows = len(env.results)
        if env.next is not None:
            if rows == 0:
                raise self.refuse(
                    env.number,
                    "results",
                    f"page {env.number} is empty but has a 'next' link: an endless chain of "
                    "empty pages",
                )
            self.known = rows
            return rows  # a page with a next link is full: its length is the page size
        return max(self.size, rows)  # the last page: short, or everything at once

    def fits(self, env: Envelope) -> bool:
        """Whether a page the walk landed on agrees with the page size asked for: a last page
        after page 1 must fit its count (else the server uses another page size)."""
        if env.next is not None or env.number == 1:
            return True
        rows = len(env.results)
        return rows <= self.size and (
            env.count is None or env.count == (env.number - 1) * self.size + rows
        )

    def accept(self, env: Envelope) -> Envelope | None:
        """Deliver the wanted rows of ``env`` (``None``: it does not hold row ``pos``)."""
        rows = env.results
        offset = (env.number - 1) * self.size
        if self.pos < offset or (env.next is not None and self.pos >= offset + len(rows)):
            return None
        if rows:
            self.check_rows(env)
        if self.count is None and not self.delivered:
            self.count = env.count
            if env.count is not None:
                self.bound = env.count + max(2 * self.size, env.count // 10)
        if self.pos > offset:
            rows = rows[self.pos - offset :]
        if self.end is not None and len(rows) > self.end - self.pos:
            rows = rows[: self.end - self.pos]
        if self.bound is not None and self.pos + len(rows) > self.bound:
            raise self.refuse(
                env.number,
                "count",
                f"page {env.number} goes past the {self.count} rows the listing's count promised "
                f"(margin {self.bound - (self.count or 0)}): the listing does not end",
            )
        env.results = rows
        env.offset = self.pos
        self.pos += len(rows)
        self.delivered = True
        return env

    def check_rows(self, env: Envelope) -> None:
        """Refuse a page that starts and ends like an earlier one (the server ignores ``page``)."""
        first, last = env.results[0], env.results[-1]
        first_id = first.get("id") if type(first) is dict else None
        last_id = last.get("id") if type(last) is dict else None
        if type(first_id) not in (int, str) or type(last_id) not in (int, str):
            return
        if first_id in self.firsts and last_id in self.lasts:
            raise self.refuse(
                env.number,
                "results",
                f"page {env.number} repeats the rows of an earlier page (ids {first_id!r} to "
                f"{last_id!r}): the server ignores the page number",
            )
        self.firsts.add(first_id)
        self.lasts.add(last_id)

    def link(self, env: Envelope, *, verify: bool) -> str:
        """Page ``env``'s next link, checked (and, with ``verify``, checked as the session would
        before requesting it: pages fetched ahead by number do not request it)."""
        try:
            link = check_next(env.next, env.number)
            if verify:
                self.source.check_url(link)
        except ClientError as exc:
            self.mark(exc, env.number + 1)
            raise
        except ValueError as exc:
            raise self.refuse(env.number + 1, "next", _unusable(env.number, exc)) from None
        return link

    # -- bookkeeping -------------------------------------------------------------------------

    def last_page(self) -> int:
        wanted = self.count or 0
        if self.end is not None:
            wanted = min(wanted, self.end)
        return -(-wanted // self.size)

    def resize(self, size: int, number: int) -> None:
        self.resizes += 1
        if self.resizes > _MAX_RESIZES:
            raise self.refuse(
                number,
                "results",
                f"page {number}: the server changed its page size more than {_MAX_RESIZES} "
                f"times during one listing (now {size} rows a page)",
            )
        self.size = size

    def refuse(self, number: int, path: str, message: str) -> ClientError:
        err = refusal(path, message)
        self.mark(err, number)
        return err

    def mark(self, exc: ClientError, number: int) -> None:
        if self.delivered:
            mark_failed_page(exc, number, self.size, self.pos)


def _unusable(number: int, exc: ValueError) -> str:
    return f"page {number}: the 'next' link cannot be requested: {redact_text(str(exc))}"

"""The evaluation half of a queryset: planning the page walk of its slice and building the
objects of each page (a base class of :class:`~synapse_sdk._query._queryset.QuerySet`, which holds
the state)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from synapse_sdk._async import asyncify_iter
from synapse_sdk._exceptions import ResponseValidationError
from synapse_sdk._gcpause import paused
from synapse_sdk._progress import ProgressLike, Reporter, check_progress, reporter
from synapse_sdk._query._filters import matches_nothing
from synapse_sdk._query._page import Page
from synapse_sdk._query._pages import Envelope, iter_pages
from synapse_sdk._query._prefetch import RelatedLoader

if TYPE_CHECKING:
    from synapse_sdk._query._source import ListSource

__all__ = ["PageWalk"]

R = TypeVar("R", covariant=True)


class PageWalk(Generic[R]):
    """Iteration, page by page, of the rows ``_start .. _stop`` of a listing."""

    if TYPE_CHECKING:  # the queryset holds the state in its slots
        __slots__ = ("_count",)
    else:
        __slots__ = ()

    if TYPE_CHECKING:
        _source: ListSource[R]
        _filters: Mapping[str, object]
        _start: int
        _stop: int | None
        _page_size: int | None
        _prefetch: int | None
        _count: int | None
        _related: tuple[str, ...]

        def params(self) -> dict[str, str]:
            """The query parameters (the queryset provides them)."""
            ...

    # -- evaluation -------------------------------------------------------------------------

    def _limit(self) -> int | None:
        return None if self._stop is None else max(0, self._stop - self._start)

    def _plan_page_size(self) -> int:
        size = self._page_size or self._source.default_page_size
        limit = self._limit()
        if limit is not None and 0 < limit < size and self._start % limit == 0:
            return limit  # qs[100:150] -> page 3 of 50: no row is fetched in vain
        return size

    def _matches_nothing(self) -> bool:
        return self._limit() == 0 or matches_nothing(self._filters)

    def _envelopes(self) -> Iterator[Envelope]:
        if self._matches_nothing():
            return iter(())
        prefetch = self._prefetch if self._prefetch is not None else self._source.default_prefetch
        return iter_pages(
            self._source,
            self.params(),
            page_size=self._plan_page_size(),
            start=self._start,
            limit=self._limit(),
            prefetch=prefetch,
        )

    def iterator(self, *, progress: ProgressLike = None) -> Iterator[R]:
        """Stream the results page by page: bounded memory, no result cache.

        Args:
            progress: ``True`` shows a progress bar (tqdm when installed) once the server has
                reported the count; a ``(done, total)`` callable receives the same updates.
                Silent by default.
        """
        check_progress(progress)
        return self._objects(progress)

    #: ``async for obj in qs.aiterator()``: a page's rows per trip to the client's pool.
    aiterator = asyncify_iter(iterator, batch=_plan_page_size)

    def _objects(self, progress: ProgressLike) -> Iterator[R]:
        # Hot path: one call per page; a failing row is located and labelled only when building
        # the page failed.
        loader = RelatedLoader(self._related) if self._related else None
        for number, rows in self._page_slices(progress):
            built = self._build_page(rows, number)
            if loader is not None:
                loader.fill(built)
            del rows
            yield from built
            # Drop the page before the next one is fetched: its objects die young (fewer and
            # cheaper garbage-collector passes) and at most one page is held at a time.
            del built

    def _page_slices(self, progress: ProgressLike = None) -> Iterator[tuple[int, list[Any]]]:
        """``(page number, rows)`` of every page of the slice, in order (the walk delivers
        exactly the rows of the slice, whatever page size the server serves)."""
        limit = self._limit()
        bar: Reporter | None = None
        done = 0
        try:
            for envelope in self._envelopes():
                if self._count is None and envelope.count is not None:
                    self._count = envelope.count
                if progress and bar is None and envelope.count is not None:
                    total = max(0, envelope.count - self._start)
                    total = total if limit is None else min(total, limit)
                    bar = reporter(progress, total, self._source.endpoint.name, unit="rows")
                rows = envelope.results
                yield envelope.number, rows
                done += len(rows)
                del envelope, rows  # not held while the next page is fetched
                if bar is not None:
                    bar.update(done)
        finally:
            if bar is not None:
                bar.close()

    def _build_page(self, rows: list[Any], number: int) -> Sequence[R]:
        """The objects of page ``number``; when it fails, the failing row is located and the
        error labelled with its index (``results[3].tags``)."""
        try:
            with paused():  # a page of objects, all kept (see synapse_sdk._gcpause)
                return self._source.build_page(rows)
        except ResponseValidationError:
            build = self._source.build
            for index, row in enumerate(rows):
                self._build(build, row, number, index)
            raise

    @staticmethod
    def _build(build: Any, row: Any, page: int, index: int) -> R:
        if type(row) is not dict:
            err = ResponseValidationError(
                f"page {page} row {index} should be an object, got {type(row).__name__}"
            )
            err.path = f"results[{index}]"
            raise err
        try:
            result: R = build(row)
        except ResponseValidationError as exc:
            exc.path = f"results[{index}].{exc.path}" if exc.path else f"results[{index}]"
            exc.message = f"page {page}, {exc.message} (at {exc.path})"
            exc.args = (exc.message,)
            raise
        return result

    def pages(self) -> Iterator[Page[R]]:
        """Yield typed pages (``Page[R]`` with ``items``, ``count``, ``next``)."""
        loader = RelatedLoader(self._related) if self._related else None
        for envelope in self._envelopes():
            items = list(self._build_page(envelope.results, envelope.number))
            if loader is not None:
                loader.fill(items)
            link = envelope.next if type(envelope.next) is str else None  # else refused next
            yield Page(items, envelope.count, envelope.number, link, envelope.previous)

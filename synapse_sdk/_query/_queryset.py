"""``QuerySet[R]``: a lazy, immutable, chainable query over one list endpoint.

Nothing is sent until the queryset is evaluated (iteration, ``len``, ``bool``, ``list``, ``count``,
``first``, ``exists``, ``get``, ``preview``, ``to_pandas``, an integer index). Every refining call
returns a new queryset. ``repr`` and ``_repr_html_`` never do I/O: an unevaluated queryset
describes its query.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, overload

from synapse_sdk._endpoint import Endpoint
from synapse_sdk._exceptions import NotFoundError, ResponseValidationError
from synapse_sdk._progress import ProgressLike, Reporter, check_progress, reporter
from synapse_sdk._query._display import describe_query, render_query, render_table
from synapse_sdk._query._frame import build_frame, check_columns, import_pandas, wire_rows
from synapse_sdk._query._page import Page
from synapse_sdk._query._pages import Envelope, PageSource, iter_pages

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from synapse_sdk._export import ExportOptions, ExportResult
    from synapse_sdk.resources.tasks import Task

__all__ = ["ListSource", "MultipleObjectsReturned", "QuerySet"]

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)

_MAX_PAGE_SIZE = 1000


class MultipleObjectsReturned(ValueError):
    """``QuerySet.get()`` matched more than one object."""


class ListSource(PageSource, Protocol[R_co]):
    """What a queryset needs from its manager."""

    @property
    def endpoint(self) -> Endpoint:
        """The endpoint declaration (filters, ordering, list path)."""
        ...

    @property
    def default_page_size(self) -> int:
        """Rows per page unless the query says otherwise."""
        ...

    @property
    def default_prefetch(self) -> int:
        """Pages fetched ahead unless the query says otherwise."""
        ...

    def build(self, row: dict[str, Any]) -> R_co:
        """Turn one wire row into an object."""
        ...


class QuerySet(Generic[R]):
    """Lazy query over a list endpoint: ``client.tasks.filter(project=1).order_by("-id")``."""

    __slots__ = (
        "_cache",
        "_count",
        "_expand",
        "_fields",
        "_filters",
        "_ordering",
        "_page_size",
        "_prefetch",
        "_source",
        "_start",
        "_stop",
    )

    def __init__(
        self,
        source: ListSource[R],
        filters: Mapping[str, object] | None = None,
        *,
        ordering: tuple[str, ...] = (),
        fields: tuple[str, ...] = (),
        expand: tuple[str, ...] = (),
        start: int = 0,
        stop: int | None = None,
        page_size: int | None = None,
        prefetch: int | None = None,
    ) -> None:
        self._source = source
        self._filters: dict[str, object] = dict(filters or {})
        self._ordering = ordering
        self._fields = fields
        self._expand = expand
        self._start = start
        self._stop = stop
        self._page_size = page_size
        self._prefetch = prefetch
        self._cache: list[R] | None = None
        self._count: int | None = None

    # -- building ---------------------------------------------------------------------------

    def _clone(self, **changes: Any) -> QuerySet[R]:
        state: dict[str, Any] = {
            "filters": self._filters,
            "ordering": self._ordering,
            "fields": self._fields,
            "expand": self._expand,
            "start": self._start,
            "stop": self._stop,
            "page_size": self._page_size,
            "prefetch": self._prefetch,
        }
        state.update(changes)
        return QuerySet(self._source, **state)

    def _refuse_if_sliced(self, what: str) -> None:
        if self._start or self._stop is not None:
            raise TypeError(f"cannot {what} a queryset after slicing it; {what} first, then slice")

    def all(self) -> QuerySet[R]:
        """A copy of this queryset (with no cached results)."""
        return self._clone()

    def filter(self, **filters: Any) -> QuerySet[R]:
        """Narrow the query; an unknown key raises ``TypeError`` naming the closest valid one."""
        self._refuse_if_sliced("filter")
        self._source.endpoint.check_filters(filters)
        return self._clone(filters={**self._filters, **filters})

    def order_by(self, *fields: str) -> QuerySet[R]:
        """Order by the given fields (``"-created"`` = descending); replaces earlier ordering."""
        self._refuse_if_sliced("order")
        return self._clone(ordering=self._source.endpoint.check_ordering(fields))

    def only(self, *fields: str) -> QuerySet[R]:
        """Ask the server for these fields only; reading another field later loads the object."""
        if not self._source.endpoint.fields_param:
            raise ValueError(
                f"{self._source.endpoint.name} cannot return selected fields (its endpoint has no "
                "?fields= parameter): list whole objects instead"
            )
        for field in fields:
            if not isinstance(field, str) or not field:
                raise TypeError(f"only() takes field names, got {field!r}")
        wanted = ("id", *fields) if "id" not in fields else fields
        return self._clone(fields=tuple(dict.fromkeys(wanted)))

    fields = only

    def expand(self, *names: str) -> QuerySet[R]:
        """Ask the server to embed related objects (``expand("data_unit")``)."""
        allowed = self._source.endpoint.expand
        for name in names:
            if name not in allowed:
                valid = ", ".join(sorted(allowed)) or "none"
                raise ValueError(
                    f"{self._source.endpoint.name} cannot expand {name!r} (valid: {valid})"
                )
        return self._clone(expand=tuple(dict.fromkeys((*self._expand, *names))))

    def options(self, *, page_size: int | None = None, prefetch: int | None = None) -> QuerySet[R]:
        """Set rows per request (1..1000) and pages fetched ahead (0 = sequential)."""
        if page_size is not None:
            if isinstance(page_size, bool) or not isinstance(page_size, int):
                raise TypeError(f"page_size must be an int, got {type(page_size).__name__}")
            if not 1 <= page_size <= _MAX_PAGE_SIZE:
                raise ValueError(
                    f"page_size must be between 1 and {_MAX_PAGE_SIZE}, got {page_size}"
                )
        if prefetch is not None:
            if isinstance(prefetch, bool) or not isinstance(prefetch, int):
                raise TypeError(f"prefetch must be an int, got {type(prefetch).__name__}")
            if not 0 <= prefetch <= 16:
                raise ValueError(f"prefetch must be between 0 and 16, got {prefetch}")
        return self._clone(
            page_size=page_size if page_size is not None else self._page_size,
            prefetch=prefetch if prefetch is not None else self._prefetch,
        )

    def params(self) -> dict[str, str]:
        """The query parameters this queryset sends (without paging)."""
        endpoint = self._source.endpoint
        params = endpoint.encode_filters(self._filters)
        if self._ordering:
            params["ordering"] = ",".join(self._ordering)
        if self._fields:
            params["fields"] = ",".join(self._fields)
        if self._expand:
            params["expand"] = ",".join(self._expand)
        return params

    # -- slicing ----------------------------------------------------------------------------

    @overload
    def __getitem__(self, key: int) -> R: ...

    @overload
    def __getitem__(self, key: slice) -> QuerySet[R]: ...

    def __getitem__(self, key: int | slice) -> R | QuerySet[R]:
        if isinstance(key, slice):
            if key.step not in (None, 1):
                raise ValueError("querysets do not support slice steps")
            start, stop = key.start or 0, key.stop
            for bound in (start, stop):
                if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int)):
                    raise TypeError(f"slice bounds must be ints, got {bound!r}")
                if bound is not None and bound < 0:
                    raise ValueError(
                        "negative indexing is not supported on querysets (the total may change "
                        "between requests); use order_by('-field') and a positive slice instead"
                    )
            if self._cache is not None:
                # Already evaluated: slice in memory, no request.
                cached = self._clone(start=self._start + start)
                cached._cache = self._cache[start:stop]
                return cached
            new_start = self._start + start
            new_stop = self._stop
            if stop is not None:
                candidate = self._start + stop
                new_stop = candidate if new_stop is None else min(new_stop, candidate)
            return self._clone(start=new_start, stop=new_stop)
        if isinstance(key, bool) or not isinstance(key, int):
            raise TypeError(f"queryset indices must be ints or slices, got {type(key).__name__}")
        if key < 0:
            raise ValueError(
                "negative indexing is not supported on querysets; use order_by('-field')[0]"
            )
        if self._cache is not None:
            return self._cache[key]
        rows = list(self[key : key + 1].iterator())
        if not rows:
            raise IndexError(f"queryset index {key} out of range")
        return rows[0]

    # -- evaluation -------------------------------------------------------------------------

    def _limit(self) -> int | None:
        return None if self._stop is None else max(0, self._stop - self._start)

    def _plan_page_size(self) -> int:
        size = self._page_size or self._source.default_page_size
        limit = self._limit()
        if limit is not None and 0 < limit < size and self._start % limit == 0:
            return limit  # qs[100:150] -> page 3 of 50: no row is fetched in vain
        return size

    def _envelopes(self) -> Iterator[Envelope]:
        limit = self._limit()
        if limit == 0:
            return iter(())
        prefetch = self._prefetch if self._prefetch is not None else self._source.default_prefetch
        return iter_pages(
            self._source,
            self.params(),
            page_size=self._plan_page_size(),
            start=self._start,
            limit=limit,
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

    def _objects(self, progress: ProgressLike) -> Iterator[R]:
        # Hot path: one list comprehension per page; a failing row is located and labelled only
        # when building the page failed.
        build = self._source.build
        for number, rows in self._page_slices(progress):
            try:
                built = [build(row) for row in rows]
            except ResponseValidationError:
                for index, row in enumerate(rows):
                    self._build(build, row, number, index)
                raise
            yield from built

    def _rows(self, progress: ProgressLike = None) -> Iterator[tuple[int, int, Any]]:
        """``(page number, index on page, raw row)`` of every row in the slice, in order."""
        for number, rows in self._page_slices(progress):
            for index, row in enumerate(rows):
                yield number, index, row

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
                if bar is not None:
                    bar.update(done)
        finally:
            if bar is not None:
                bar.close()

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
        build = self._source.build
        for envelope in self._envelopes():
            items = [
                self._build(build, row, envelope.number, i)
                for i, row in enumerate(envelope.results)
            ]
            link = envelope.next if type(envelope.next) is str else None  # else refused next
            yield Page(items, envelope.count, envelope.number, link, envelope.previous)

    def _fetch_all(self) -> list[R]:
        if self._cache is None:
            self._cache = list(self.iterator())
        return self._cache

    def __iter__(self) -> Iterator[R]:
        return iter(self._fetch_all())

    def __len__(self) -> int:
        return len(self._fetch_all())

    def __bool__(self) -> bool:
        return bool(self._fetch_all())

    def count(self) -> int:
        """The number of matching rows: the cached length, or one ``page_size=1`` request."""
        if self._cache is not None:
            return len(self._cache)
        if self._count is None:
            params = {**self.params(), "page_size": "1"}
            envelope = next(iter_pages(self._source, params, page_size=1, limit=1))
            if envelope.count is None:
                return len(self._fetch_all())
            self._count = envelope.count
        total = max(0, self._count - self._start)
        limit = self._limit()
        return total if limit is None else min(total, limit)

    def exists(self) -> bool:
        """Whether any row matches (one small request unless already evaluated)."""
        if self._cache is not None:
            return bool(self._cache)
        return self.first() is not None

    def first(self) -> R | None:
        """The first matching object, or ``None`` (one small request)."""
        if self._cache is not None:
            return self._cache[0] if self._cache else None
        rows = list(self[:1].iterator())
        return rows[0] if rows else None

    def get(self) -> R:
        """The single matching object.

        Raises:
            NotFoundError: Nothing matched.
            MultipleObjectsReturned: More than one object matched.
        """
        rows = list(self[:2].iterator())
        if not rows:
            raise NotFoundError(f"no {self._source.endpoint.name} matched {self._describe()}")
        if len(rows) > 1:
            raise MultipleObjectsReturned(
                f"more than one {self._source.endpoint.name} matched {self._describe()}"
            )
        return rows[0]

    def preview(self, n: int = 20) -> Page[R]:
        """Fetch the first ``n`` rows in one request, as a page (handy in notebooks)."""
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= _MAX_PAGE_SIZE:
            raise ValueError(f"preview takes 1..{_MAX_PAGE_SIZE} rows, got {n!r}")
        sample = self[:n]
        items = list(sample.iterator())
        # The sample's first page reported the total: keep it for the page's caption.
        count = sample._count if sample._count is not None else self._count
        if count is not None:
            count = max(0, count - self._start)
            if self._stop is not None:
                count = min(count, self._stop - self._start)
        return Page(items, count, 1)

    def to_pandas(
        self, columns: Sequence[str] | None = None, *, progress: ProgressLike = None
    ) -> Any:
        """Fetch the rows into a ``pandas.DataFrame``, page by page (wire field names).

        With ``columns``, only those fields are requested (``?fields=``) where the endpoint
        supports it, and only those columns are kept. An evaluated queryset is converted from its
        cache without a request. Needs pandas: ``pip install 'synapse-sdk[pandas]'``.

        Args:
            columns: The fields to keep, in order (default: every field the server sends).
            progress: As for :meth:`iterator`.

        Raises:
            ImportError: pandas is not installed.
        """
        columns = check_columns(columns)
        check_progress(progress)
        pandas = import_pandas()
        if self._cache is not None:
            return build_frame(pandas, wire_rows(self._cache), columns)
        qs = self
        if columns and self._source.endpoint.fields_param and not self._fields:
            qs = self._clone(fields=tuple(dict.fromkeys(("id", *columns))))
        return build_frame(pandas, qs._rows(progress), columns)

    def export(
        self: QuerySet[Task], dest: str | os.PathLike[str], **options: Unpack[ExportOptions]
    ) -> ExportResult:
        """Export these tasks, resumably, into the folder ``dest`` (docs/export.md)."""
        from synapse_sdk._export import export_queryset

        return export_queryset(self, dest, **options)

    # -- display (no I/O) -------------------------------------------------------------------

    def _describe(self) -> str:
        return describe_query(
            self._source.endpoint.name,
            self._filters,
            self._ordering,
            self._fields,
            self._expand,
            self._start,
            self._stop,
        )

    def __repr__(self) -> str:
        if self._cache is None:
            return f"<QuerySet {self._describe()}: not evaluated; .preview(20) fetches a sample>"
        shown = ", ".join(repr(item) for item in self._cache[:5])
        more = f", ... ({len(self._cache)} rows)" if len(self._cache) > 5 else ""
        return f"<QuerySet {self._describe()} [{shown}{more}]>"

    def _repr_html_(self) -> str:
        """Notebook display: the cached rows as a table, or the query when not evaluated."""
        if self._cache is None:
            endpoint = self._source.endpoint
            return render_query(self._describe(), endpoint.listing_path, self.params(), self._count)
        return render_table(self._cache, self._describe(), None)

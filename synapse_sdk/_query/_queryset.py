"""``QuerySet[R]``: a lazy, immutable, chainable query over one list endpoint.

Nothing is sent until the queryset is evaluated (iteration, ``len``, ``bool``, ``list``, ``count``,
``first``, ``last``, ``exists``, ``get``, ``in_bulk``, ``preview``, ``to_pandas``, an integer
index). Every refining call returns a new queryset; chained ``filter()`` calls narrow (see
:mod:`synapse_sdk._query._filters`). As in Django, only an evaluated result cache (the queryset was
iterated, ``list()``-ed, ``len()``-ed or ``bool()``-ed) answers ``count()``, ``exists()``,
``first()`` and ``last()`` without a request; otherwise each call asks the server. ``repr`` and
``_repr_html_`` never do I/O: an unevaluated queryset describes its query.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast, overload

from synapse_sdk._async import asyncify
from synapse_sdk._endpoint import check_id
from synapse_sdk._exceptions import (
    DoesNotExist,
    MultipleObjectsReturned,
    ResponseValidationError,
)
from synapse_sdk._query._filters import merge_filters
from synapse_sdk._query._outward import Outward
from synapse_sdk._query._page import Page
from synapse_sdk._query._pages import iter_pages
from synapse_sdk._query._prefetch import split_related
from synapse_sdk._query._source import Filtered, ListSource
from synapse_sdk._query._values import RowQuery, Shaping, read_field
from synapse_sdk._query._walk import PageWalk

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from synapse_sdk._export import ExportOptions, ExportResult
    from synapse_sdk.resources.tasks import Task

__all__ = ["Filtered", "ListSource", "MultipleObjectsReturned", "QuerySet", "RowQuery"]

R = TypeVar("R", covariant=True)
P = ParamSpec("P")
R_co = TypeVar("R_co", covariant=True)
T_co = TypeVar("T_co", covariant=True)

#: Ids per ``id__in`` request of ``in_bulk`` (keeps each URL short).
IN_BULK_CHUNK = 100

_MAX_PAGE_SIZE = 1000


class QuerySet(PageWalk[R], Shaping[R], Outward[R]):
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
        "_related",
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
        related: tuple[str, ...] = (),
    ) -> None:
        self._source = source
        self._related = related
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

    def _query_state(self) -> dict[str, Any]:
        """The query (not its results): the keywords that rebuild it (clone and pickle)."""
        return {
            "filters": self._filters,
            "ordering": self._ordering,
            "fields": self._fields,
            "expand": self._expand,
            "start": self._start,
            "stop": self._stop,
            "page_size": self._page_size,
            "prefetch": self._prefetch,
            "related": self._related,
        }

    def _clone(self, **changes: Any) -> QuerySet[R]:
        return QuerySet(self._source, **{**self._query_state(), **changes})

    def _refuse_if_sliced(self, what: str) -> None:
        if self._start or self._stop is not None:
            raise TypeError(f"cannot {what} a queryset after slicing it; {what} first, then slice")

    def all(self) -> QuerySet[R]:
        """A copy of this queryset (with no cached results)."""
        return self._clone()

    def filter(
        self: QuerySet[Filtered[P, T_co]], *args: P.args, **filters: P.kwargs
    ) -> QuerySet[T_co]:
        """Narrow the query with the family's filters (typed by its filters ``TypedDict``).

        Keys and values are checked before any request: an unknown key raises ``TypeError``
        naming the closest valid one, a value outside an enum's set raises ``ValueError`` naming
        the valid ones. Chained calls narrow (``AND``): a key given again intersects ``id__in``
        sets, keeps the tighter bound, or raises ``ValueError`` when one request cannot say both.
        """
        if args:
            raise TypeError("filter() takes keyword arguments only (filter(project=1))")
        return cast("QuerySet[T_co]", self._narrow(filters))

    def _narrow(self, filters: Mapping[str, object]) -> QuerySet[R]:
        self._refuse_if_sliced("filter")
        endpoint = self._source.endpoint
        endpoint.check_filters(filters)
        return self._clone(filters=merge_filters(endpoint.name, self._filters, filters))

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

    def prefetch_related(self, *names: str) -> QuerySet[R]:
        """Load the related objects of these foreign keys with the rows (``"project"``).

        Each page's distinct related objects come in one request per relation -- embedded in the
        page itself where the endpoint can ``expand`` the relation, else one
        ``filter(id__in=...)`` listing of the related family per page (in chunks of at most
        100 ids), else one GET per distinct id -- instead of one request per row. Every row's
        relation cache is filled, so ``row.project`` sends nothing. Works with iteration,
        ``iterator()``, ``pages()`` and page prefetch.

        Raises:
            ValueError: A name is not a foreign key of this family (before any I/O).
        """
        expand, later = split_related(self._source, names)
        return self._clone(
            expand=tuple(dict.fromkeys((*self._expand, *expand))),
            related=tuple(dict.fromkeys((*self._related, *later))),
        )

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
        """The number of matching rows: the length of an evaluated result cache, else one
        ``page_size=1`` request on every call (a count is never remembered)."""
        if self._cache is not None:
            return len(self._cache)
        if self._matches_nothing():
            return 0
        params = {**self.params(), "page_size": "1"}
        envelope = next(iter_pages(self._source, params, page_size=1, limit=1))
        if envelope.count is None:  # the server does not count: walk the rows
            return sum(1 for _ in self.iterator())
        self._count = envelope.count  # shown by the notebook display, never answered from
        total = max(0, envelope.count - self._start)
        limit = self._limit()
        return total if limit is None else min(total, limit)

    def exists(self) -> bool:
        """Whether any row matches: an evaluated result cache, else one small request."""
        if self._cache is not None:
            return bool(self._cache)
        return self.first() is not None

    def first(self) -> R | None:
        """The first matching object, or ``None`` (one small request unless evaluated)."""
        if self._cache is not None:
            return self._cache[0] if self._cache else None
        rows = list(self[:1].iterator())
        return rows[0] if rows else None

    def last(self) -> R | None:
        """The last matching object, or ``None``: the first one in the reversed ordering.

        As in Django, an unordered queryset is ordered by id, so ``last()`` is the object with
        the largest id. One small request unless evaluated.

        Raises:
            TypeError: The queryset is sliced (a slice cannot be reversed).
            ValueError: It is unordered and the endpoint cannot be ordered by id.
        """
        if self._cache is not None:
            return self._cache[-1] if self._cache else None
        self._refuse_if_sliced("reverse")
        endpoint = self._source.endpoint
        ordering = self._ordering
        if not ordering:
            if "id" not in endpoint.ordering:
                known = ", ".join(sorted(endpoint.ordering))
                raise ValueError(
                    f"last() needs an ordering to reverse: {endpoint.name} cannot be ordered by "
                    f"id; call order_by() first (valid: {known})"
                )
            ordering = ("id",)
        flipped = tuple(f[1:] if f.startswith("-") else f"-{f}" for f in ordering)
        return self._clone(ordering=flipped).first()

    def in_bulk(self, id_list: Iterable[int] | None = None) -> dict[int, R]:
        """``{id: object}`` for the given ids (all matching objects when ``None``).

        Asks with ``id__in`` in chunks of at most 100 ids (one request each, never reading more
        rows than ids asked for), within this queryset's filters; ids that match nothing are
        absent. Ids are checked before any I/O.

        Raises:
            TypeError, ValueError: An id is not a positive int, or the queryset is sliced.
            ValueError: The endpoint has no ``id__in`` filter.
            ResponseValidationError: The server answered an id that was not asked for (it
                ignores ``id__in``).
        """
        self._refuse_if_sliced("in_bulk")
        if id_list is None:
            return {read_field(obj, "id"): obj for obj in self.iterator()}
        if isinstance(id_list, str | bytes):
            raise TypeError(f"in_bulk takes ids, got the string {id_list!r}")
        ids = list(dict.fromkeys(id_list))
        for pk in ids:
            check_id(pk, what="in_bulk id")
        endpoint = self._source.endpoint
        if "id__in" not in endpoint.filters:
            raise ValueError(
                f"{endpoint.name} cannot be listed by several ids (its endpoint has no id__in "
                "filter): fetch them one by one with get(id)"
            )
        found: dict[int, R] = {}
        for begin in range(0, len(ids), IN_BULK_CHUNK):
            chunk = ids[begin : begin + IN_BULK_CHUNK]
            qs = self._narrow({"id__in": chunk}).options(page_size=len(chunk))
            wanted = set(chunk)
            for obj in qs[: len(chunk)].iterator():  # never more rows than ids asked for
                pk = read_field(obj, "id")
                if pk not in wanted:
                    raise ResponseValidationError(
                        f"{endpoint.name} answered id {pk!r}, which in_bulk did not ask for: "
                        "the server ignores the id__in filter"
                    )
                found[pk] = obj
        return found

    def get(self, /, **filters: Any) -> R:
        """The single matching object; ``filters`` narrow the query first, as in Django
        (``qs.get(id=7)`` is ``qs.filter(id=7).get()``, checked the same way).

        Raises:
            DoesNotExist: Nothing matched (a ``NotFoundError``).
            MultipleObjectsReturned: More than one object matched (``.count`` says how many).
        """
        if filters:
            return self._narrow(filters).get()
        sample = self[:2]
        rows = list(sample.iterator())
        if not rows:
            raise DoesNotExist(self._source.endpoint.name, self._filters)
        if len(rows) > 1:
            found = None if sample._count is None else max(0, sample._count - self._start)
            raise MultipleObjectsReturned(self._source.endpoint.name, self._filters, found)
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

    # -- async twins (run in the client's pool; docs/async.md) -------------------------------
    acount = asyncify(count)
    aexists = asyncify(exists)
    afirst = asyncify(first)
    alast = asyncify(last)
    aget = asyncify(get)
    ain_bulk = asyncify(in_bulk)
    apreview = asyncify(preview)
    alist = asyncify(_fetch_all)  # ``await qs.alist()`` is ``list(qs)`` (fills the cache)

    # -- pickling and binding (client.bind) -------------------------------------------------

    def __reduce__(self) -> tuple[Any, ...]:
        # The query, not its results: the source pickles as its family (no session, no token).
        return (_restore_queryset, (self._source, self._query_state()))

    def _bound_to(self, source: ListSource[R]) -> QuerySet[R]:
        """This query over another source (``client.bind(qs)``), without cached results."""
        clone = self._clone()
        clone._source = source
        return clone

    def export(
        self: QuerySet[Task], dest: str | os.PathLike[str], **options: Unpack[ExportOptions]
    ) -> ExportResult:
        """Export these tasks, resumably, into the folder ``dest`` (docs/export.md)."""
        from synapse_sdk._export import export_queryset

        return export_queryset(self, dest, **options)


def _restore_queryset(source: ListSource[Any], state: dict[str, Any]) -> QuerySet[Any]:
    """Rebuild a pickled queryset (see ``QuerySet.__reduce__``)."""
    filters = state.pop("filters")
    return QuerySet(source, filters, **state)

"""The outward half of a queryset: how it shows itself (``repr``, notebook HTML: no I/O) and
how it is cut for other processes (``partitions``, the Dask helpers). A base class of
:class:`~synapse_sdk._query._queryset.QuerySet`, which holds the state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, cast

from synapse_sdk._query._display import describe_query, render_query, render_table

if TYPE_CHECKING:
    from synapse_sdk._query._partitions import Partition
    from synapse_sdk._query._queryset import QuerySet
    from synapse_sdk._query._source import ListSource

__all__ = ["Outward"]

R = TypeVar("R", covariant=True)


class Outward(Generic[R]):
    """Display and partitioning of a queryset."""

    __slots__ = ()

    if TYPE_CHECKING:  # the queryset holds the state in its slots
        _source: ListSource[R]
        _filters: Mapping[str, object]
        _ordering: tuple[str, ...]
        _fields: tuple[str, ...]
        _expand: tuple[str, ...]
        _start: int
        _stop: int | None
        _count: int | None
        _cache: list[R] | None

        def params(self) -> dict[str, str]: ...

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

    # -- past one machine (docs/scale.md; synapse_sdk/_query/_partitions.py) -----------------

    def partitions(
        self,
        size: int = 10_000,
        *,
        plan: Literal["span", "scan"] = "span",
        page_size: int = 1000,
        max_parallel: int = 4,
        credentials: Literal["env"] = "env",
    ) -> list[Partition[R]]:
        """Picklable id-range partitions of this listing (``plan="span"`` or ``"scan"``)."""
        from synapse_sdk._query._partitions import plan_partitions

        return plan_partitions(
            cast("QuerySet[R]", self),
            size,
            plan=plan,
            page_size=page_size,
            max_parallel=max_parallel,
            credentials=credentials,
        )

    def to_dask_bag(self, size: int = 10_000, **options: Any) -> Any:
        """A ``dask.bag`` of the objects, one Dask partition per :meth:`partitions` entry."""
        from synapse_sdk._query._dask import import_dask, to_bag

        import_dask("bag")
        return to_bag(self.partitions(size, **options))

    def to_dask_dataframe(
        self, size: int = 10_000, *, columns: Sequence[str] | None = None, **options: Any
    ) -> Any:
        """A ``dask.dataframe`` indexed by ``id``, divided at the partitions' id bounds."""
        from synapse_sdk._query._dask import import_dask, plan_columns, to_dataframe

        import_dask("dataframe")
        qs = cast("QuerySet[R]", self)
        plan_columns(qs, columns)
        return to_dataframe(qs, self.partitions(size, **options), columns)

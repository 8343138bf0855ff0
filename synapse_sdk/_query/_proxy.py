"""The queryset API on a listable family's manager: ``client.tasks.count()``, ``list(...)``.

As in Django, a manager answers the queryset methods by forwarding to ``all()``: one typed line
each (a generic forwarding mechanism such as ``__getattr__`` would lose the types). Only
listing managers derive from :class:`QueryMethods`, so a family that cannot be listed has none of
them. ``filter`` is the family's own typed method; ``get`` stays the detail lookup by id where the
family has one (``client.tasks.get(7)``), and is ``filter(...).get()`` otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

from synapse_sdk._async import asyncify, asyncify_iter
from synapse_sdk._progress import ProgressLike
from synapse_sdk._query._page import Page
from synapse_sdk._query._values import RowQuery

if TYPE_CHECKING:
    from synapse_sdk._query._queryset import QuerySet

__all__ = ["QueryMethods"]

R = TypeVar("R")


class QueryMethods(Generic[R]):
    """Queryset methods of a manager, each ``self.all().<method>(...)``; see :class:`QuerySet`."""

    if TYPE_CHECKING:

        def all(self) -> QuerySet[R]:
            """A lazy queryset over every object (the manager provides it)."""
            ...

    def count(self) -> int:
        """``all().count()``: one small request."""
        return self.all().count()

    def exists(self) -> bool:
        """``all().exists()``: one small request."""
        return self.all().exists()

    def first(self) -> R | None:
        """``all().first()``: one small request."""
        return self.all().first()

    def last(self) -> R | None:
        """``all().last()``: the object with the largest id (one small request)."""
        return self.all().last()

    def iterator(self, *, progress: ProgressLike = None) -> Iterator[R]:
        """``all().iterator()``: every object, streamed page by page."""
        return self.all().iterator(progress=progress)

    def __iter__(self) -> Iterator[R]:
        return iter(self.all())

    @overload
    def __getitem__(self, key: int) -> R: ...

    @overload
    def __getitem__(self, key: slice) -> QuerySet[R]: ...

    def __getitem__(self, key: int | slice) -> R | QuerySet[R]:
        return self.all()[key]

    def order_by(self, *fields: str) -> QuerySet[R]:
        """``all().order_by(...)``."""
        return self.all().order_by(*fields)

    def only(self, *fields: str) -> QuerySet[R]:
        """``all().only(...)``."""
        return self.all().only(*fields)

    def expand(self, *names: str) -> QuerySet[R]:
        """``all().expand(...)``."""
        return self.all().expand(*names)

    def options(self, *, page_size: int | None = None, prefetch: int | None = None) -> QuerySet[R]:
        """``all().options(...)``."""
        return self.all().options(page_size=page_size, prefetch=prefetch)

    def preview(self, n: int = 20) -> Page[R]:
        """``all().preview(n)``: the first ``n`` objects in one request."""
        return self.all().preview(n)

    def values(self, *fields: str) -> RowQuery[dict[str, Any]]:
        """``all().values(...)``: lazy dicts of attribute values."""
        return self.all().values(*fields)

    @overload
    def values_list(
        self, *fields: str, flat: Literal[False] = False
    ) -> RowQuery[tuple[Any, ...]]: ...

    @overload
    def values_list(self, *fields: str, flat: Literal[True]) -> RowQuery[Any]: ...

    def values_list(self, *fields: str, flat: bool = False) -> RowQuery[Any]:
        """``all().values_list(...)``: lazy tuples (or single values with ``flat=True``)."""
        if flat:
            return self.all().values_list(*fields, flat=True)
        return self.all().values_list(*fields)

    def in_bulk(self, id_list: Iterable[int] | None = None) -> dict[int, R]:
        """``all().in_bulk(ids)``: ``{id: object}``, ``id__in`` in bounded chunks."""
        return self.all().in_bulk(id_list)

    # -- async twins (docs/async.md) ------------------------------------------------------
    acount = asyncify(count)
    aexists = asyncify(exists)
    afirst = asyncify(first)
    alast = asyncify(last)
    ain_bulk = asyncify(in_bulk)
    apreview = asyncify(preview)
    aiterator = asyncify_iter(iterator)

    def to_pandas(
        self, columns: Sequence[str] | None = None, *, progress: ProgressLike = None
    ) -> Any:
        """``all().to_pandas(...)``: a DataFrame (needs pandas)."""
        return self.all().to_pandas(columns, progress=progress)

"""``values()`` / ``values_list()``: a lazy listing of dicts, tuples or single values, and the
mapping between a resource's attribute names (``project_id``) and its wire names (``project``).

Field names are the attribute names the objects show; a wrong one raises ``ValueError`` naming the
valid ones, before any request. Values are the objects' values (timezone-aware datetimes, enum
members), read from rows that carry only the asked fields where the endpoint honours ``?fields=``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from synapse_sdk._converter import plan_for

if TYPE_CHECKING:
    from synapse_sdk._query._queryset import QuerySet

__all__ = ["RowQuery", "attribute_fields", "read_field", "wire_fields"]

T_co = TypeVar("T_co", covariant=True)


def attribute_fields(resource: type | None) -> dict[str, str]:
    """Attribute name -> wire name of every field of ``resource`` (``{}`` when unknown)."""
    if resource is None:
        return {}
    return {field.attr: field.wire for field in plan_for(resource).fields}


def wire_fields(
    what: str, resource: type | None, fields: Sequence[str], *, call: str
) -> tuple[str, ...]:
    """The wire names of the attribute names ``fields``, checked.

    Raises:
        TypeError: A name is not a non-empty string (or ``fields`` is one string).
        ValueError: A name is not an attribute of the resource, or is given twice.
    """
    if isinstance(fields, str | bytes):
        raise TypeError(f"{call} takes field names, got the string {fields!r}")
    names = attribute_fields(resource)
    out: list[str] = []
    for field in fields:
        if not isinstance(field, str) or not field:
            raise TypeError(f"{call} takes field names, got {field!r}")
        if names and field not in names:
            by_wire = [attr for attr, wire in names.items() if wire == field and attr != field]
            hint = (
                f" (the attribute of the wire field {field!r} is {by_wire[0]!r})" if by_wire else ""
            )
            raise ValueError(
                f"{what} has no field {field!r}{hint}; valid fields: {', '.join(names)}"
            )
        out.append(names.get(field, field))
    if len(set(out)) != len(out):
        raise ValueError(f"{call} names a field twice: {list(fields)}")
    return tuple(out)


def read_field(obj: Any, attr: str) -> Any:
    """``obj.attr`` as loaded, ``None`` when the server did not send it (never loads)."""
    try:
        return object.__getattribute__(obj, attr)
    except AttributeError:
        return None


class RowQuery(Generic[T_co]):
    """A lazy listing of rows shaped by ``values()`` / ``values_list()``.

    Like a queryset: nothing is sent until it is iterated, ``len()``-ed, indexed or sliced into a
    list; iteration caches the rows; ``count()`` and ``exists()`` ask the server unless the rows
    are cached; ``repr`` does no I/O.
    """

    __slots__ = ("_cache", "_qs", "_shape")

    def __init__(self, qs: QuerySet[Any], shape: Callable[[Any], T_co]) -> None:
        self._qs = qs
        self._shape = shape
        self._cache: list[T_co] | None = None

    def iterator(self) -> Iterator[T_co]:
        """Stream the rows page by page, without caching them."""
        return map(self._shape, self._qs.iterator())

    def _fetch_all(self) -> list[T_co]:
        if self._cache is None:
            self._cache = list(self.iterator())
        return self._cache

    def __iter__(self) -> Iterator[T_co]:
        return iter(self._fetch_all())

    def __len__(self) -> int:
        return len(self._fetch_all())

    def __bool__(self) -> bool:
        return bool(self._fetch_all())

    @overload
    def __getitem__(self, key: int) -> T_co: ...

    @overload
    def __getitem__(self, key: slice) -> RowQuery[T_co]: ...

    def __getitem__(self, key: int | slice) -> T_co | RowQuery[T_co]:
        if isinstance(key, slice):
            sliced = RowQuery(self._qs[key], self._shape)  # the queryset's checks
            if self._cache is not None:
                sliced._cache = self._cache[key]
            return sliced
        if self._cache is None:
            return self._shape(self._qs[key])
        if isinstance(key, bool) or not isinstance(key, int) or key < 0:
            return self._shape(self._qs[key])  # raises the queryset's TypeError / ValueError
        return self._cache[key]

    def count(self) -> int:
        """The number of rows: the cached length, else one small request."""
        return len(self._cache) if self._cache is not None else self._qs.count()

    def exists(self) -> bool:
        """Whether there is any row: the cache, else one small request."""
        return bool(self._cache) if self._cache is not None else self._qs.exists()

    def first(self) -> T_co | None:
        """The first row, or ``None`` (one small request unless cached)."""
        if self._cache is not None:
            return self._cache[0] if self._cache else None
        obj = self._qs.first()
        return None if obj is None else self._shape(obj)

    def __repr__(self) -> str:
        if self._cache is None:
            return f"<RowQuery {self._qs._describe()}: not evaluated>"
        shown = ", ".join(repr(row) for row in self._cache[:5])
        more = f", ... ({len(self._cache)} rows)" if len(self._cache) > 5 else ""
        return f"<RowQuery {self._qs._describe()} [{shown}{more}]>"

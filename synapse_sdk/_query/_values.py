"""``values()`` / ``values_list()``: a lazy listing of dicts, tuples or single values, and the
mapping between a resource's attribute names (``project_id``) and its wire names (``project``).

Field names are the attribute names the objects show; a wrong one raises ``ValueError`` naming the
valid ones, before any request. Values are the objects' values (timezone-aware datetimes, enum
members), read from rows that carry only the asked fields where the endpoint honours ``?fields=``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

from synapse_sdk._converter import plan_for
from synapse_sdk._converter._lazy import MISSING, peek
from synapse_sdk._progress import ProgressLike, check_progress
from synapse_sdk._query._frame import build_frame, check_columns, import_pandas

if TYPE_CHECKING:
    from synapse_sdk._query._queryset import QuerySet
    from synapse_sdk._query._source import ListSource

__all__ = ["RowQuery", "Shaping", "attribute_fields", "read_field", "wire_fields"]

T_co = TypeVar("T_co", covariant=True)
R = TypeVar("R", covariant=True)


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
            hint = f" (the wire field {field!r} is the attribute {by_wire[0]!r})" if by_wire else ""
            raise ValueError(
                f"{what} has no field {field!r}{hint}; valid fields: {', '.join(names)}"
            )
        out.append(names.get(field, field))
    if len(set(out)) != len(out):
        raise ValueError(f"{call} names a field twice: {list(fields)}")
    return tuple(out)


def read_field(obj: Any, attr: str) -> Any:
    """``obj.attr`` as loaded, ``None`` when the server did not send it (never loads)."""
    value = peek(obj, attr)  # a lazy row's field converts here (no I/O)
    return None if value is MISSING else value


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


class Shaping(Generic[R]):
    """``values()``, ``values_list()`` and ``to_pandas()`` of a queryset (a base class of
    :class:`~synapse_sdk._query._queryset.QuerySet`, which holds the state)."""

    __slots__ = ()

    if TYPE_CHECKING:
        _source: ListSource[R]
        _fields: tuple[str, ...]
        _cache: list[R] | None

        def _clone(self, **changes: Any) -> QuerySet[R]: ...

        def _objects(self, progress: ProgressLike) -> Iterator[R]: ...

    def values(self, *fields: str) -> RowQuery[dict[str, Any]]:
        """A lazy listing of dicts ``{attribute: value}`` (every field when none are named).

        Field names are the objects' attribute names (``project_id``); only those fields are
        requested (``?fields=``) where the endpoint supports it. Unknown names raise
        ``ValueError`` naming the valid ones, before any request.
        """
        names = fields or tuple(self._attribute_names())
        qs = self._selecting(fields, "values()")
        return RowQuery(qs, lambda obj: {name: read_field(obj, name) for name in names})

    @overload
    def values_list(
        self, *fields: str, flat: Literal[False] = False
    ) -> RowQuery[tuple[Any, ...]]: ...

    @overload
    def values_list(self, *fields: str, flat: Literal[True]) -> RowQuery[Any]: ...

    def values_list(self, *fields: str, flat: bool = False) -> RowQuery[Any]:
        """A lazy listing of tuples in ``fields`` order, or of single values with ``flat=True``
        (one field only). Names and requests as for :meth:`values`."""
        if flat and len(fields) != 1:
            raise TypeError(f"values_list(flat=True) takes exactly one field, got {len(fields)}")
        names = fields or tuple(self._attribute_names())
        qs = self._selecting(fields, "values_list()")
        if flat:
            name = names[0]
            return RowQuery(qs, lambda obj: read_field(obj, name))
        return RowQuery(qs, lambda obj: tuple(read_field(obj, n) for n in names))

    def to_pandas(
        self, columns: Sequence[str] | None = None, *, progress: ProgressLike = None
    ) -> Any:
        """Fetch the rows into a ``pandas.DataFrame``, page by page.

        Columns are the objects' attribute names (``project_id``; a field this SDK does not know
        keeps its wire name); datetimes are timezone-aware datetimes, enums their values. With
        ``columns``, only those fields are requested (``?fields=``) where the endpoint supports
        it, and only those columns are kept. An evaluated queryset is converted from its cache
        without a request. Needs pandas: ``pip install 'synapse-sdk[pandas]'``.

        Args:
            columns: The attribute names to keep, in order (default: every field sent).
            progress: As for :meth:`iterator`.

        Raises:
            ImportError: pandas is not installed.
            ValueError: A column is not an attribute of the objects (the valid ones are named).
        """
        columns = check_columns(columns)
        check_progress(progress)
        qs = self._selecting(columns or (), "to_pandas(columns=...)")
        pandas = import_pandas()
        if self._cache is not None:
            return build_frame(pandas, self._cache, columns)
        return build_frame(pandas, qs._objects(progress), columns)

    def _attribute_names(self) -> list[str]:
        resource = getattr(self._source, "resource", None)
        return list(attribute_fields(resource))

    def _selecting(self, fields: Sequence[str], call: str) -> QuerySet[R]:
        """This queryset asking only for the attribute names ``fields`` (checked)."""
        endpoint = self._source.endpoint
        resource = getattr(self._source, "resource", None)
        wire = wire_fields(endpoint.name, resource, fields, call=call)
        if not wire or not endpoint.fields_param:
            return self._clone()
        return self._clone(fields=tuple(dict.fromkeys(("id", *wire))))

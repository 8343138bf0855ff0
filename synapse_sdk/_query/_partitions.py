"""``QuerySet.partitions()``: a listing cut into picklable id ranges, read anywhere.

A :class:`Partition` names its family, its query (filters, ``only``, ``expand``), a half-open id
range ``(after, upto]`` -- sent as ``id__gt``/``id__lte``, ordered by id -- and the backend it
belongs to (base URL and page size). It holds no token: a worker binds it with
``partition.bind(client)`` or, on first use, to the client its environment names
(``SYNAPSE_BASE_URL``, ``SYNAPSE_API_TOKEN``). Id ranges, not page ranges, because pages shift
when rows are added or deleted while the partitions are read; an id range does not.

Reading a partition walks its range page by page with ``id__gt=<last id seen>``: a page that
fails is asked again from the last id delivered (never a repeated or a skipped row), and every
row is checked against the range and the order. A row outside the range raises
:class:`PartitionBoundsError`: a backend that ignores the id filters must not turn one partition
into the whole table.

Planning (:func:`plan_partitions`): ``span`` asks for the smallest and the largest id (two
one-row requests) and cuts the span into ranges of ``size`` ids (quick; uneven counts when
the filters leave holes); ``scan`` walks ``only("id")`` once and cuts after every ``size`` rows
(equal counts). Both are snapshots: rows created after planning, above the largest id, are not
in any partition. Families that cannot be filtered or ordered by id fall back to row-offset
ranges, with a :class:`PartitionWarning` (those shift when rows are added).
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

import attrs

from synapse_sdk._exceptions import ClientError, ResponseValidationError
from synapse_sdk._query._values import read_field

if TYPE_CHECKING:
    from synapse_sdk._query._queryset import QuerySet

__all__ = [
    "Partition",
    "PartitionBoundsError",
    "PartitionWarning",
    "plan_partitions",
    "scan_ranges",
    "span_ranges",
]

R = TypeVar("R", covariant=True)
Plan = Literal["span", "scan"]

#: Rows per request while reading a partition, and while scanning ids.
DEFAULT_PAGE_SIZE = 1000
_RANGE_FILTERS = ("id__gt", "id__lte")


class PartitionBoundsError(ResponseValidationError):
    """A partition's page held a row outside its id range, or out of id order: the backend
    ignored an id filter (or the ordering), so the partition cannot be read safely."""


class PartitionWarning(UserWarning):
    """A family cannot be partitioned by id: its partitions are row-offset ranges."""


# -- planning (pure) ---------------------------------------------------------------------------


def _check_size(size: object) -> int:
    if isinstance(size, bool) or not isinstance(size, int):
        raise TypeError(f"size must be an int, got {type(size).__name__}")
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    return size


def span_ranges(lowest: int, highest: int, size: int) -> list[tuple[int, int]]:
    """Half-open ranges ``(after, upto]`` of at most ``size`` ids covering ``lowest..highest``.

    Consecutive ranges share their bound (``upto`` of one is ``after`` of the next), so every id
    of the span is in exactly one range; a range may hold no row.
    """
    size = _check_size(size)
    if highest < lowest:
        return []
    out: list[tuple[int, int]] = []
    after = lowest - 1
    while after < highest:
        upto = min(after + size, highest)
        out.append((after, upto))
        after = upto
    return out


def scan_ranges(ids: Iterable[int], size: int) -> list[tuple[int, int]]:
    """Ranges ``(after, upto]`` holding ``size`` of ``ids`` each (the last one fewer).

    ``ids`` must be strictly increasing (a scan ordered by id).

    Raises:
        PartitionBoundsError: ``ids`` is not strictly increasing.
    """
    size = _check_size(size)
    out: list[tuple[int, int]] = []
    first: int | None = None
    after = 0
    last: int | None = None
    seen = 0
    for pk in ids:
        if last is not None and pk <= last:
            raise PartitionBoundsError(
                f"scanning ids, id {pk} came after id {last}: the listing is not ordered by id"
            )
        if first is None:
            first = pk
            after = pk - 1
        last = pk
        seen += 1
        if seen == size:
            out.append((after, pk))
            after, seen = pk, 0
    if seen and last is not None:
        out.append((after, last))
    return out


# -- a partition -------------------------------------------------------------------------------

_LIMITS: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_LIMITS_LOCK = threading.Lock()


def _limit(base_url: str, max_parallel: int) -> threading.BoundedSemaphore:
    key = (base_url, max_parallel)
    with _LIMITS_LOCK:
        sem = _LIMITS.get(key)
        if sem is None:
            sem = _LIMITS[key] = threading.BoundedSemaphore(max_parallel)
    return sem


@attrs.frozen(repr=False)
class Partition(Generic[R]):
    """One picklable piece of a listing (see the module docstring).

    Attributes:
        index: Position in the plan (0-based).
        family: The endpoint's name (``"tasks"``).
        query: The queryset the partition narrows (pickles without client or token).
        after: Lower bound, exclusive (``id__gt``); None for a row-offset partition.
        upto: Upper bound, inclusive (``id__lte``); None for a row-offset partition.
        base_url: The backend the partition was planned on.
        page_size: Rows per request.
        max_parallel: Partitions of this backend read at once in one process.
        credentials: ``"env"``: an unbound partition uses the client of the process's
            environment (``SYNAPSE_BASE_URL``, ``SYNAPSE_API_TOKEN``); no token is stored.
        offsets: ``(start, stop)`` row offsets of a fallback partition, else None.
        retries: Times a failed page is asked again (from the last id delivered).
    """

    index: int
    family: str
    query: QuerySet[R] = attrs.field(eq=False)
    after: int | None
    upto: int | None
    base_url: str | None
    page_size: int = DEFAULT_PAGE_SIZE
    max_parallel: int = 4
    credentials: Literal["env"] = "env"
    offsets: tuple[int, int] | None = None
    retries: int = 2

    def __repr__(self) -> str:
        where = (
            f"rows {self.offsets[0]}..{self.offsets[1]}"
            if self.offsets is not None
            else f"id__gt={self.after}, id__lte={self.upto}"
        )
        return f"<Partition {self.index} of {self.family}: {where}>"

    @property
    def filters(self) -> dict[str, object]:
        """The filters of the partition's query, without its range."""
        return dict(self.query._filters)

    def bind(self, client: Any) -> Partition[R]:
        """This partition read through ``client`` (no token is stored in the partition)."""
        return attrs.evolve(self, query=client.bind(self.query))

    def resume(self, after: int) -> Partition[R]:
        """The rest of this partition, after the row with id ``after``."""
        if self.offsets is not None or self.after is None or self.upto is None:
            raise TypeError("a row-offset partition cannot resume from an id")
        if not self.after <= after <= self.upto:
            raise ValueError(f"{after} is outside the partition ({self.after}, {self.upto}]")
        return attrs.evolve(self, after=after)

    def __iter__(self) -> Iterator[R]:
        return self.rows()

    def rows(self) -> Iterator[R]:
        """The partition's objects in id order (one request per ``page_size`` rows).

        Raises:
            PartitionBoundsError: A row outside the range, or out of id order.
            ClientError: A page still failed after ``retries`` more attempts; its
                ``resume_after`` attribute is the last id delivered (``partition.resume(n)``).
        """
        if self.offsets is not None:
            start, stop = self.offsets
            yield from self.query[start:stop].iterator()
            return
        yield from self._walk()

    def fetch(self) -> list[R]:
        """Every object of the partition, read while holding one of the ``max_parallel`` slots
        of its backend in this process (the Dask helpers read partitions through this)."""
        with _limit(self.base_url or "", self.max_parallel):
            return list(self.rows())

    def _walk(self) -> Iterator[R]:
        assert self.after is not None and self.upto is not None
        last = self.after
        size = self.page_size
        failures = 0
        while last < self.upto:
            page = self.query._narrow({"id__gt": last, "id__lte": self.upto})
            page = page.order_by("id").options(page_size=size, prefetch=0)[:size]
            try:
                rows = list(page.iterator())
            except ClientError as exc:
                failures += 1
                if failures > self.retries:
                    exc.resume_after = last  # type: ignore[attr-defined]
                    raise
                continue
            failures = 0
            for obj in rows:
                pk = read_field(obj, "id")
                if isinstance(pk, bool) or not isinstance(pk, int):
                    raise PartitionBoundsError(
                        f"{self.family} answered a row without an integer id ({pk!r}) in {self!r}"
                    )
                if not last < pk <= self.upto:
                    raise PartitionBoundsError(
                        f"{self.family} answered id {pk} for {self!r} after id {last}: outside "
                        "the range or out of order (the backend ignores id__gt/id__lte or the "
                        "id ordering); the partition cannot be read safely"
                    )
                last = pk
                yield obj
            if len(rows) < size:
                return

    def to_pandas(self, columns: Sequence[str] | None = None) -> Any:
        """The partition as a ``pandas.DataFrame`` indexed by ``id`` (needs pandas)."""
        from synapse_sdk._query._dask import partition_frame, plan_columns

        return partition_frame(self, plan_columns(self.query, columns))


# -- planning (I/O) ----------------------------------------------------------------------------


def _id_rangeable(qs: QuerySet[Any]) -> bool:
    endpoint = qs._source.endpoint
    return all(f in endpoint.filters for f in _RANGE_FILTERS) and "id" in endpoint.ordering


def _first_id(qs: QuerySet[Any], ordering: str) -> int | None:
    probe = qs.order_by(ordering).options(page_size=1, prefetch=0)
    if qs._source.endpoint.fields_param:
        probe = probe.only("id")
    rows = list(probe[:1].iterator())
    if not rows:
        return None
    pk = read_field(rows[0], "id")
    if isinstance(pk, bool) or not isinstance(pk, int):
        raise PartitionBoundsError(f"the first row ordered by {ordering} has no integer id")
    return pk


def _scan_ids(qs: QuerySet[Any], page_size: int) -> Iterator[int]:
    whole = Partition(0, qs._source.endpoint.name, qs, 0, 2**63 - 1, None, page_size)
    if qs._source.endpoint.fields_param:
        whole = attrs.evolve(whole, query=qs.only("id"))
    lowest = _first_id(qs, "id")
    if lowest is None:
        return
    whole = attrs.evolve(whole, after=lowest - 1)
    for obj in whole._walk():
        yield read_field(obj, "id")


def plan_partitions(
    qs: QuerySet[R],
    size: int = 10_000,
    *,
    plan: Plan = "span",
    page_size: int = DEFAULT_PAGE_SIZE,
    max_parallel: int = 4,
    credentials: Literal["env"] = "env",
) -> list[Partition[R]]:
    """Cut ``qs`` into :class:`Partition` objects (see the module docstring).

    Raises:
        TypeError, ValueError: Bad arguments, an ordered or sliced queryset (before any I/O).
    """
    size = _check_size(size)
    if plan not in ("span", "scan"):
        raise ValueError(f"plan must be 'span' or 'scan', got {plan!r}")
    if credentials != "env":
        raise ValueError(
            "credentials must be 'env' (partitions never carry a token; bind them with "
            f"partition.bind(client) or set SYNAPSE_API_TOKEN in the workers), got {credentials!r}"
        )
    for name, value, top in (("page_size", page_size, 1000), ("max_parallel", max_parallel, 64)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
            raise ValueError(f"{name} must be an int between 1 and {top}, got {value!r}")
    qs._refuse_if_sliced("partition")
    if qs._ordering:
        raise ValueError("partitions are ordered by id: drop order_by() before partitions()")
    endpoint = qs._source.endpoint
    base_url = _base_url(qs)
    common: dict[str, Any] = {
        "base_url": base_url,
        "page_size": page_size,
        "max_parallel": max_parallel,
        "credentials": credentials,
    }
    if not _id_rangeable(qs):
        warnings.warn(
            f"{endpoint.name} cannot be listed by id range (no id__gt/id__lte filters or id "
            "ordering): its partitions are row-offset ranges, which shift when rows are added "
            "or deleted while they are read",
            PartitionWarning,
            stacklevel=3,
        )
        total = qs.count()
        return [
            Partition(i, endpoint.name, qs, None, None, offsets=(start, min(start + size, total)),
                      **common)
            for i, start in enumerate(range(0, total, size))
        ]  # fmt: skip
    if plan == "span":
        lowest = _first_id(qs, "id")
        highest = _first_id(qs, "-id") if lowest is not None else None
        ranges = [] if lowest is None or highest is None else span_ranges(lowest, highest, size)
    else:
        ranges = scan_ranges(_scan_ids(qs, page_size), size)
    return [
        Partition(i, endpoint.name, qs, after, upto, **common)
        for i, (after, upto) in enumerate(ranges)
    ]


def _base_url(qs: QuerySet[Any]) -> str | None:
    source = qs._source
    url = getattr(source, "base_url", None)
    if isinstance(url, str):
        return url
    ctx = getattr(source, "_ctx", None)
    found = getattr(ctx, "base_url", None)
    return found if isinstance(found, str) else None

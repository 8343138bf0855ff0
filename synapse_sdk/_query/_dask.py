"""``QuerySet.to_dask_bag()`` / ``to_dask_dataframe()``: the partitions of a listing as a Dask
collection (``dd.from_map``), with Dask imported only when asked.

Dask is an optional extra (``pip install 'synapse-sdk[dask]'``). Each Dask partition is one
:class:`~synapse_sdk._query._partitions.Partition`, read by :meth:`Partition.fetch`, which holds
one of the partition's ``max_parallel`` slots of its backend in the worker process: at most
``max_parallel`` partitions of one backend are read at once per process (a cluster of ``W``
worker processes reads at most ``W * max_parallel``). The DataFrame is indexed by ``id`` and its
divisions are the partitions' id bounds, so ``df.loc[a:b]`` reads only the partitions it needs.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from synapse_sdk._converter import plan_for
from synapse_sdk._query._frame import build_frame, check_columns, import_pandas

if TYPE_CHECKING:
    from synapse_sdk._query._partitions import Partition
    from synapse_sdk._query._queryset import QuerySet

__all__ = ["import_dask", "partition_frame", "plan_columns", "to_bag", "to_dataframe"]


def import_dask(part: str = "bag") -> Any:
    """Import ``dask.bag`` or ``dask.dataframe``, or explain which extra provides it.

    Raises:
        ImportError: Dask is not installed (the message names ``synapse-sdk[dask]``).
    """
    try:
        module = importlib.import_module(f"dask.{part}")
    except ImportError as exc:
        raise ImportError(
            f"this needs dask.{part}, which is not installed; install the SDK's 'dask' extra: "
            "pip install 'synapse-sdk[dask]'"
        ) from exc
    return module


def plan_columns(qs: QuerySet[Any], columns: Sequence[str] | None) -> tuple[str, ...]:
    """The frame's columns: ``columns`` checked against the resource's fields, or every field.

    ``id`` is the index, never a column.

    Raises:
        TypeError, ValueError: A bad or unknown column name (before any request).
    """
    resource = getattr(qs._source, "resource", None)
    known = [f.attr for f in plan_for(resource).fields] if resource is not None else []
    names = check_columns(columns)
    if names is None:
        if not known:
            raise ValueError("name the columns: this family's fields are not known")
        return tuple(n for n in known if n != "id")
    unknown = [n for n in names if known and n not in known]
    if unknown:
        raise ValueError(f"unknown column(s) {unknown}; valid: {', '.join(known)}")
    return tuple(n for n in names if n != "id")


def _meta(pandas: Any, columns: tuple[str, ...]) -> Any:
    frame = pandas.DataFrame({name: pandas.Series([], dtype=object) for name in columns})
    frame.index = pandas.Index([], dtype="int64", name="id")
    return frame


def partition_frame(partition: Partition[Any], columns: tuple[str, ...]) -> Any:
    """One partition as a DataFrame indexed by ``id`` with ``columns`` (object dtype)."""
    pandas = import_pandas()
    objects = partition.fetch()
    frame = build_frame(pandas, objects, ("id", *columns))
    frame = frame.astype({name: object for name in columns}) if columns else frame
    frame["id"] = frame["id"].astype("int64")
    return frame.set_index("id")


def _divisions(partitions: Sequence[Partition[Any]]) -> tuple[int, ...] | None:
    if not partitions or any(p.after is None or p.upto is None for p in partitions):
        return None
    bounds = [int(p.after) + 1 for p in partitions]  # type: ignore[arg-type]
    bounds.append(int(partitions[-1].upto))  # type: ignore[arg-type]
    return tuple(bounds)


def to_bag(partitions: Sequence[Partition[Any]]) -> Any:
    """A ``dask.bag.Bag`` of the objects, one bag partition per :class:`Partition`."""
    db = import_dask("bag")
    if not partitions:
        return db.from_sequence([], npartitions=1)
    return db.from_sequence(list(partitions), npartitions=len(partitions)).map_partitions(
        _read_bag_partition
    )


def _read_bag_partition(parts: Sequence[Partition[Any]]) -> list[Any]:
    out: list[Any] = []
    for part in parts:
        out.extend(part.fetch())
    return out


class _FrameReader:
    """The picklable function ``dd.from_map`` calls per partition."""

    def __init__(self, columns: tuple[str, ...]) -> None:
        self.columns = columns

    def __call__(self, partition: Partition[Any]) -> Any:
        return partition_frame(partition, self.columns)


def to_dataframe(
    qs: QuerySet[Any], partitions: Sequence[Partition[Any]], columns: Sequence[str] | None
) -> Any:
    """A ``dask.dataframe.DataFrame`` indexed by ``id``, divided at the partitions' bounds."""
    names = plan_columns(qs, columns)
    dd = import_dask("dataframe")
    pandas = import_pandas()
    meta = _meta(pandas, names)
    if not partitions:
        return dd.from_pandas(meta, npartitions=1)
    import dask

    # Values keep their Python types (ints stay ints): no conversion of object columns to
    # pyarrow strings, which Dask would otherwise apply to every object column.
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_map(
            _FrameReader(names),
            list(partitions),
            meta=meta,
            divisions=_divisions(partitions),
            enforce_metadata=False,
        )

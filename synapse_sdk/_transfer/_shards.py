"""Sharded, idempotent imports: ``client.uploads.plan(manifest, collection=...)``.

Planning reads every item of the manifest locally (the collection's file specifications decide
which file is which), hashes its files and drops the items whose files (spec name -> MD5) an
earlier item already has: those become ``duplicate`` of that item, never a second data unit.
The rest is cut into :class:`ImportShard` objects of ``shard_size`` items. A shard pickles
without client or token (its collection is a resource; bind it with ``shard.run(client)`` or
let it use the client of the worker's environment) and its :meth:`ImportShard.run` is
idempotent: it uploads through ``collection.upload(..., skip_existing=True,
existing_units="reuse")``, which asks the server which checksums it already has and which data
units already hold an item's files before writing anything, so a shard run again -- whole,
after a crash, a lost answer or a retry by a scheduler -- creates nothing twice. Each run
returns a :class:`ShardReport` (one line per item, by manifest index); :meth:`ImportPlan.merge`
puts the reports of every shard together (the last report of a shard wins).

The files must be readable where the shards run (a shared file system).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import attrs

from synapse_sdk._transfer._hashing import file_md5
from synapse_sdk._transfer._items import SpecLike, UploadInput, parse_item

__all__ = [
    "ImportItem",
    "ImportPlan",
    "ImportReport",
    "ImportShard",
    "ImportStatus",
    "ShardReport",
    "plan_import",
]

#: ``created``/``reused``/``failed`` as in ``collection.upload``; ``duplicate``: the manifest
#: has an earlier item with the same files (``duplicate_of``), whose data unit this item shares.
ImportStatus = Literal["created", "reused", "duplicate", "failed"]


@attrs.frozen
class ImportItem:
    """What happened to one manifest item.

    Attributes:
        index: Position in the manifest.
        status: ``created``, ``reused``, ``duplicate`` or ``failed``.
        data_unit_id: The item's data unit (None when it failed).
        checksums: Spec name -> MD5 of its files (as planned).
        reason: Why it failed (None otherwise).
        duplicate_of: For a ``duplicate``, the manifest index of the item it follows.
    """

    index: int
    status: ImportStatus
    data_unit_id: int | None = None
    checksums: dict[str, str] = attrs.field(factory=dict)
    reason: str | None = None
    duplicate_of: int | None = None


@attrs.frozen
class ShardReport:
    """The outcome of one run of one shard (picklable, no client)."""

    shard: int
    items: tuple[ImportItem, ...]

    @property
    def ok(self) -> bool:
        """Whether every item of the shard has its data unit."""
        return all(item.status != "failed" for item in self.items)


def _check_count(name: str, value: object, top: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not 1 <= value <= top:
        raise ValueError(f"{name} must be between 1 and {top}, got {value}")
    return value


@attrs.frozen(repr=False)
class ImportShard:
    """A picklable piece of an import plan: manifest items for one collection.

    Attributes:
        index: Position in the plan.
        collection: The data collection (a resource; pickles without its client).
        items: ``(manifest index, item, checksums)`` of the shard's items.
        parallel: Concurrent file uploads of one run.
        batch_size: Data units per create request.
    """

    index: int
    collection: Any = attrs.field(eq=False)
    items: tuple[tuple[int, UploadInput, dict[str, str]], ...]
    parallel: int = 4
    batch_size: int = 100

    def __repr__(self) -> str:
        first = self.items[0][0] if self.items else "-"
        return f"<ImportShard {self.index}: {len(self.items)} items from #{first}>"

    def __len__(self) -> int:
        return len(self.items)

    def run(self, client: Any = None) -> ShardReport:
        """Upload the shard's items (idempotent: see the module docstring).

        Args:
            client: The client to upload with; None uses the collection's client, or the one the
                process's environment names (``SYNAPSE_BASE_URL``, ``SYNAPSE_API_TOKEN``).

        Raises:
            ClientError: The shard could not start (the checksum check failed): nothing of it
                was written; run it again.
        """
        collection = self.collection if client is None else client.bind(self.collection)
        report = collection.upload(
            [raw for _, raw, _ in self.items],
            parallel=self.parallel,
            batch_size=self.batch_size,
            skip_existing=True,
            existing_units="reuse",
        )
        out: list[ImportItem] = []
        for (index, _, sums), result in zip(self.items, report.items, strict=True):
            out.append(
                ImportItem(
                    index=index,
                    status=result.status,
                    data_unit_id=result.data_unit_id,
                    checksums=sums,
                    reason=result.reason,
                )
            )
        return ShardReport(self.index, tuple(out))


@attrs.frozen
class ImportReport:
    """Every manifest item's outcome, in manifest order (from :meth:`ImportPlan.merge`).

    Attributes:
        items: One :class:`ImportItem` per reported item.
        missing_shards: Shards with no report (their items are absent from ``items``).
    """

    items: tuple[ImportItem, ...]
    missing_shards: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether every shard reported and every item has its data unit."""
        return not self.missing_shards and all(i.status != "failed" for i in self.items)

    def by_status(self, status: ImportStatus) -> list[ImportItem]:
        """The items with this status."""
        return [item for item in self.items if item.status == status]

    @property
    def failed(self) -> list[ImportItem]:
        """The items that failed (``reason`` says why)."""
        return self.by_status("failed")

    def counts(self) -> dict[str, int]:
        """How many items are ``created``, ``reused``, ``duplicate`` and ``failed``."""
        out = {"created": 0, "reused": 0, "duplicate": 0, "failed": 0}
        for item in self.items:
            out[item.status] += 1
        return out

    def __repr__(self) -> str:
        missing = f" missing_shards={list(self.missing_shards)}" if self.missing_shards else ""
        return f"<ImportReport items={len(self.items)} {self.counts()}{missing}>"


@attrs.frozen(repr=False)
class ImportPlan:
    """The shards of one import and the duplicates planning found.

    Attributes:
        collection_id: The data collection.
        total: Items in the manifest.
        shards: The :class:`ImportShard` objects.
        duplicates: Manifest index -> index of the earlier item with the same files.
    """

    collection_id: int
    total: int
    shards: tuple[ImportShard, ...]
    duplicates: Mapping[int, int] = attrs.field(factory=dict)

    def __repr__(self) -> str:
        return (
            f"<ImportPlan collection={self.collection_id}: {self.total} items, "
            f"{len(self.shards)} shards, {len(self.duplicates)} duplicates>"
        )

    def merge(self, reports: Iterable[ShardReport]) -> ImportReport:
        """One report for the manifest: the last report of each shard, the duplicates
        following their item, and the shards that never reported."""
        latest: dict[int, ShardReport] = {}
        for report in reports:
            if not isinstance(report, ShardReport):
                raise TypeError(f"merge takes ShardReport objects, got {type(report).__name__}")
            if not 0 <= report.shard < len(self.shards):
                raise ValueError(f"report of shard {report.shard}, which this plan does not have")
            latest[report.shard] = report
        by_index = {item.index: item for r in latest.values() for item in r.items}
        for index, leader in self.duplicates.items():
            lead = by_index.get(leader)
            if lead is None:
                continue  # its leader's shard did not report
            if lead.status == "failed":
                by_index[index] = ImportItem(
                    index, "failed", None, lead.checksums, f"item {leader} failed", leader
                )
            else:
                by_index[index] = ImportItem(
                    index, "duplicate", lead.data_unit_id, lead.checksums, None, leader
                )
        missing = tuple(s.index for s in self.shards if s.index not in latest)
        return ImportReport(tuple(by_index[i] for i in sorted(by_index)), missing)

    def run(self, client: Any = None, *, retries: int = 2) -> ImportReport:
        """Run every shard here, one after the other, running a shard again (whole: it is
        idempotent) while it reports failed items, at most ``retries`` more times."""
        reports: list[ShardReport] = []
        for shard in self.shards:
            report = shard.run(client)
            for _ in range(retries):
                if report.ok:
                    break
                report = shard.run(client)
            reports.append(report)
        return self.merge(reports)


def plan_import(
    collection: Any,
    specs: Sequence[SpecLike],
    manifest: Sequence[UploadInput],
    *,
    shard_size: int = 1000,
    parallel: int = 4,
    batch_size: int = 100,
) -> ImportPlan:
    """Check and hash the manifest's items, drop duplicates, cut the rest into shards.

    Items that fail the local checks stay in their shard (its run reports why).

    Raises:
        TypeError, ValueError: Bad arguments (before any I/O).
    """
    if isinstance(manifest, str | bytes | os.PathLike) or not isinstance(manifest, Sequence):
        raise TypeError("manifest takes a list of items (paths or dicts)")
    _check_count("shard_size", shard_size, 100_000)
    _check_count("parallel", parallel, 64)
    _check_count("batch_size", batch_size, 1000)
    items = [parse_item(i, raw, specs) for i, raw in enumerate(manifest)]
    paths = sorted({p for it in items if it.reason is None for p in it.paths.values()})
    with ThreadPoolExecutor(max_workers=min(8, max(1, len(paths)))) as pool:
        sums_list = list(pool.map(_md5_or_none, paths))
    sums: dict[Path, str | None] = dict(zip(paths, sums_list, strict=True))
    leaders: dict[frozenset[tuple[str, str]], int] = {}
    duplicates: dict[int, int] = {}
    kept: list[tuple[int, UploadInput, dict[str, str]]] = []
    for it in items:
        files = {spec: sums.get(path) for spec, path in it.paths.items()}
        if it.reason is None and all(files.values()):
            checked = {spec: str(md5) for spec, md5 in files.items()}
            key = frozenset(checked.items())
            leader = leaders.setdefault(key, it.index)
            if leader != it.index:
                duplicates[it.index] = leader
                continue
            kept.append((it.index, manifest[it.index], checked))
        else:
            kept.append((it.index, manifest[it.index], {}))
    shards = tuple(
        ImportShard(n, collection, tuple(kept[begin : begin + shard_size]), parallel, batch_size)
        for n, begin in enumerate(range(0, len(kept), shard_size))
    )
    return ImportPlan(int(collection.id), len(manifest), shards, duplicates)


def _md5_or_none(path: Path) -> str | None:
    try:
        return file_md5(path)
    except OSError:
        return None  # the upload reports the unreadable file

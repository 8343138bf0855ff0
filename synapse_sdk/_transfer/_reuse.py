"""Idempotent re-runs of a collection upload: find the data unit a collection already has for
an item's files, so running the same upload twice (or again after a lost answer) creates no twin.

A data unit is "the same" when it belongs to the collection and holds the same file per spec
name (spec name -> file checksum). The lookup asks ``data_units/?data_collection=&checksum=``
with the unit checksum derived from the file checksums (:func:`unit_checksum`), and then checks
every row it gets back (:func:`matching_unit`): a server that ignores a filter, or answers rows
of another shape, never makes an item reuse a unit that is not its own.

Only items whose every file the server already had can have a unit; the others (fresh files)
are never looked up, so a first run costs no extra request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

from synapse_sdk._exceptions import ClientError
from synapse_sdk._transfer._hashing import md5_or_none
from synapse_sdk._transfer._items import Item
from synapse_sdk._transfer._report import ItemStatus

__all__ = [
    "EXISTING_UNITS",
    "ExistingUnits",
    "UnitPlan",
    "check_existing_units",
    "find_existing",
    "matching_unit",
    "plan_units",
    "row_id",
    "unit_checksum",
]

#: ``reuse``: an item whose files match a unit of the collection reuses it (``status="reused"``);
#: ``create``: always create a new unit (the behaviour before re-runs were idempotent).
ExistingUnits = Literal["reuse", "create"]
EXISTING_UNITS: tuple[str, ...] = ("reuse", "create")

#: Rows asked per lookup (twins from earlier runs are rare; the oldest match is taken).
LOOKUP_PAGE_SIZE = 20


def check_existing_units(value: object) -> ExistingUnits:
    """``value`` if it is one of :data:`EXISTING_UNITS`.

    Raises:
        TypeError: Not a string.
        ValueError: Another string.
    """
    if not isinstance(value, str):
        raise TypeError(f"existing_units must be 'reuse' or 'create', got {value!r}")
    if value == "reuse":
        return "reuse"
    if value == "create":
        return "create"
    raise ValueError(f"existing_units must be 'reuse' or 'create', got {value!r}")


def unit_checksum(file_checksums: Iterable[str]) -> str:
    """A data unit's checksum from its files' checksums: the SHA-1 hex digest of the lower-case
    checksums, sorted and concatenated (the local backend derives it the same way)."""
    joined = "".join(sorted(c.lower() for c in file_checksums))
    return hashlib.sha1(joined.encode(), usedforsecurity=False).hexdigest()


def row_id(row: Mapping[str, Any]) -> int | None:
    """The row's ``id`` when it is a positive int (never a bool), else None."""
    ident = row.get("id")
    if isinstance(ident, int) and not isinstance(ident, bool) and ident > 0:
        return ident
    return None


def _same_files(row: Mapping[str, Any], want: Mapping[str, str]) -> bool:
    files = row.get("files")
    if files is not None:
        if not isinstance(files, dict) or set(files) != set(want):
            return False
        sums: dict[str, str] = {}
        for spec, entry in files.items():
            if not isinstance(entry, dict):
                return False
            raw = entry.get("checksum")
            if raw is None:
                break  # no per-file checksums here: the unit's checksum decides
            theirs = md5_or_none(raw) if isinstance(raw, str) else None
            if theirs is None:
                return False
            sums[spec] = theirs
        else:
            return sums == {spec: c.lower() for spec, c in want.items()}
    theirs_unit = row.get("checksum")
    return isinstance(theirs_unit, str) and theirs_unit.lower() == unit_checksum(want.values())


def matching_unit(
    rows: Iterable[object], collection_id: int, want: Mapping[str, str]
) -> dict[str, Any] | None:
    """The oldest row (lowest id) that is a unit of ``collection_id`` holding exactly ``want``
    (spec name -> MD5), else None. Rows of any other shape are ignored."""
    best: dict[str, Any] | None = None
    best_id = 0
    for row in rows:
        if not isinstance(row, dict):
            continue
        ident = row_id(row)
        if ident is None:
            continue
        owners = (row.get("data_collection"), row.get("data_collection_id"))
        if any(o is not None and o != collection_id for o in owners):
            continue  # another collection's unit (a server that ignored the filter)
        if not _same_files(row, want):
            continue
        if best is None or ident < best_id:
            best, best_id = row, ident
    return best


def find_existing(
    pool: ThreadPoolExecutor,
    find: Callable[[str], list[Any]],
    collection_id: int,
    wanted: Mapping[int, Mapping[str, str]],
) -> tuple[dict[int, dict[str, Any]], dict[int, ClientError]]:
    """Look up, ``len(pool)`` at a time, the unit of every item in ``wanted`` (item index ->
    spec name -> MD5).

    Args:
        pool: The upload's thread pool.
        find: Rows of ``data_units/`` with this unit checksum in the collection.
        collection_id: The collection.
        wanted: The items to look up.

    Returns:
        ``(found, errors)``: the matching unit's row per item index, and the error of every
        lookup that failed (those items must not create a unit: one may exist).
    """
    futures = {
        index: pool.submit(find, unit_checksum(files.values())) for index, files in wanted.items()
    }
    found: dict[int, dict[str, Any]] = {}
    errors: dict[int, ClientError] = {}
    for index, future in futures.items():
        try:
            rows = future.result()
        except ClientError as exc:
            errors[index] = exc
            continue
        match = matching_unit(rows, collection_id, wanted[index])
        if match is not None:
            found[index] = match
    return found, errors


class UnitPlan:
    """Which ready items create a unit, which reuse one (found, or another item's)."""

    def __init__(self, to_create: list[Item]) -> None:
        self.to_create = to_create
        self.found: dict[int, dict[str, Any]] = {}
        self.leader: dict[int, Item] = {}  # item index -> the earlier item with its files

    def outcome(
        self, it: Item, created: dict[int, dict[str, Any]]
    ) -> tuple[ItemStatus, dict[str, Any] | None]:
        lead = self.leader.get(it.index)
        if it.reason is None and lead is not None:
            row = created.get(lead.index) or self.found.get(lead.index)
            if row is not None:
                return "reused", row
            it.fail(f"it has the same files as item {lead.index}, which failed: {lead.reason}")
        if it.reason is None and it.index in self.found:
            return "reused", self.found[it.index]
        if it.reason is None and it.index in created:
            return "created", created[it.index]
        it.fail("the data unit was not created")
        return "failed", None


def plan_units(
    pool: ThreadPoolExecutor,
    ready: list[Item],
    sums: dict[Path, str],
    mode: ExistingUnits,
    collection_id: int,
    find_units: Callable[[str], list[Any]] | None,
    verify: Callable[[list[str]], set[str]] | None,
) -> UnitPlan:
    """In ``reuse`` mode: items with the same files as an earlier item follow it, and the
    leaders whose every file the server already had (or all, without ``verify``) are looked up."""
    if mode == "create":
        return UnitPlan(ready)
    wanted = {it.index: {spec: sums[p] for spec, p in it.paths.items()} for it in ready}
    plan = UnitPlan([])
    leaders: dict[frozenset[tuple[str, str]], Item] = {}
    for it in ready:
        lead = leaders.setdefault(frozenset(wanted[it.index].items()), it)
        if lead is not it:
            plan.leader[it.index] = lead
    lookup = [
        it
        for it in leaders.values()
        if find_units is not None
        and (verify is None or all(r.status == "skipped" for r in it.files.values()))
    ]
    if find_units is not None and lookup:
        found, failures = find_existing(
            pool, find_units, collection_id, {it.index: wanted[it.index] for it in lookup}
        )
        plan.found = found
        for it in lookup:
            exc = failures.get(it.index)
            if exc is not None:
                it.fail(
                    f"looking for an existing data unit failed, so none was created: {exc}", exc
                )
    plan.to_create = [
        it for it in leaders.values() if it.reason is None and it.index not in plan.found
    ]
    return plan

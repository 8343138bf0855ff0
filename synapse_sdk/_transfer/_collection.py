"""The official client's ``upload_data_collection``: upload organised items' files in parallel,
create their data units in batches and, for a project, one task per unit.

Three phases; one bad item never stops the others:

1. **Check** each item locally (a ``files`` mapping of spec name -> readable file; ``meta`` a
   mapping; ``groups`` a list of names). A bad item fails here, before any request.
2. **Upload** each good item's files (``upload_item``, the same code as ``upload_data_file``:
   chunked above 50 MiB), ``max_workers`` items at a time.
3. **Create** data units, ``batch_size`` per ``POST data_units/`` (a list). The answer may be a
   list of units or a dict with ``results`` (both shapes exist); anything else, or a count that
   does not match, fails the batch with a typed error. A batch refused with 400 committed
   nothing, so its items are sent again one by one to isolate the bad one; a batch whose answer
   was lost is never resent (it may exist). With a project, tasks are created the same way
   (``POST tasks/`` in the wire form) for the units that exist.

Endpoint calls are passed in by the caller (this layer does not know the resource families).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, Literal, TypedDict

from synapse_sdk._exceptions import (
    ClientError,
    OutcomeUnknownError,
    ResponseValidationError,
    ValidationError,
)
from synapse_sdk._transfer._paths import check_upload_path

__all__ = ["CollectionItemOutcome", "Stage", "check_bulk_options", "upload_collection"]

#: Where an item stopped: its local check, a file upload, its data unit or its task.
Stage = Literal["check", "upload", "data_unit", "task"]


class CollectionItemOutcome(TypedDict):
    """One item's entry in ``upload_data_collection``'s answer (input order)."""

    index: int
    """The item's position in ``data``."""
    success: bool
    """Whether everything asked for exists: the data unit (and the task with a project)."""
    stage: Stage | None
    """Where it failed (None on success)."""
    error: str | None
    """Why it failed (``"ValidationError: 400: ..."``), None on success."""
    data_unit: dict[str, Any] | None
    """The created data unit as the backend answered (None when it was not created)."""
    task: dict[str, Any] | None
    """The created task (None without a project, or when it was not created)."""


class _Item:
    __slots__ = ("body", "index", "out", "raw")

    def __init__(self, index: int, raw: Any) -> None:
        self.index = index
        self.raw = raw
        self.body: dict[str, Any] | None = None
        self.out: CollectionItemOutcome = {
            "index": index,
            "success": False,
            "stage": None,
            "error": None,
            "data_unit": None,
            "task": None,
        }

    def fail(self, stage: Stage, error: BaseException | str) -> None:
        text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        self.out["stage"], self.out["error"], self.out["success"] = stage, text, False

    @property
    def failed(self) -> bool:
        return self.out["stage"] is not None


def check_bulk_options(batch_size: object, max_workers: object, on_progress: object) -> None:
    """Refuse bad options before any request.

    Raises:
        TypeError, ValueError: ``batch_size`` (1..1000), ``max_workers`` (1..64) or
            ``on_progress`` (a callable or None) is wrong.
    """
    for name, value, high in (("batch_size", batch_size, 1000), ("max_workers", max_workers, 64)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if not 1 <= value <= high:
            raise ValueError(f"{name} must be between 1 and {high}, got {value}")
    if on_progress is not None and not callable(on_progress):
        raise TypeError(f"on_progress must be a (done, total) callable, got {on_progress!r}")


def _check(item: _Item) -> None:
    raw = item.raw
    if not isinstance(raw, Mapping):
        item.fail("check", f"TypeError: an item must be a dict, got {type(raw).__name__}")
        return
    files = raw.get("files")
    if not isinstance(files, Mapping) or not files:
        item.fail("check", "ValueError: the item needs a non-empty 'files' mapping")
        return
    for spec, path in files.items():
        if not isinstance(spec, str) or not spec:
            item.fail("check", f"TypeError: file specification names are strings, got {spec!r}")
            return
        try:
            check_upload_path(path)
        except (OSError, TypeError, ValueError) as exc:
            item.fail("check", exc)
            return
    meta, groups = raw.get("meta"), raw.get("groups")
    if meta is not None and not isinstance(meta, Mapping):
        item.fail("check", f"TypeError: 'meta' must be a dict, got {type(meta).__name__}")
    elif groups is not None and (
        isinstance(groups, str)
        or not isinstance(groups, Sequence)
        or not all(isinstance(g, str) and g for g in groups)
    ):
        item.fail("check", "TypeError: 'groups' must be a list of non-empty strings")


def _rows(answer: Any, expected: int, what: str) -> list[dict[str, Any]]:
    """The created objects of a bulk create, whichever shape the backend answered."""
    rows = answer.get("results") if isinstance(answer, dict) else answer
    if not isinstance(rows, list):
        raise ResponseValidationError(
            f"{what} answered {type(answer).__name__}, not a list of created objects "
            "(nor a dict with 'results')",
            response=answer,
        )
    if len(rows) != expected or not all(isinstance(r, dict) for r in rows):
        raise ResponseValidationError(
            f"{what} answered {len(rows)} rows for {expected} items", response=answer
        )
    return rows


def _create_in_batches(
    items: list[_Item],
    bodies: Callable[[list[_Item]], Any],
    create: Callable[[Any], Any],
    store: Callable[[_Item, dict[str, Any]], None],
    stage: Stage,
    batch_size: int,
) -> None:
    pending = [items[i : i + batch_size] for i in range(0, len(items), batch_size)]
    while pending:
        batch = pending.pop(0)
        try:
            rows = _rows(create(bodies(batch)), len(batch), "POST " + stage)
        except ValidationError as exc:
            if len(batch) > 1:  # a refused list committed nothing: find the bad item(s)
                pending[:0] = [[it] for it in batch]
                continue
            batch[0].fail(stage, exc)
            continue
        except OutcomeUnknownError as exc:
            for it in batch:
                it.fail(stage, f"{type(exc).__name__}: the answer was lost; it may exist ({exc})")
            continue
        except ClientError as exc:
            for it in batch:
                it.fail(stage, exc)
            continue
        for it, row in zip(batch, rows, strict=True):
            store(it, row)


def _unit_id(row: dict[str, Any]) -> int | None:
    pk = row.get("id")
    return pk if isinstance(pk, int) and not isinstance(pk, bool) and pk > 0 else None


def upload_collection(
    data: object,
    *,
    upload_item: Callable[[Mapping[str, Any]], dict[str, Any]],
    create_units: Callable[[list[dict[str, Any]]], Any],
    create_tasks: Callable[[list[int]], Any] | None = None,
    batch_size: int = 1000,
    max_workers: int = 10,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[CollectionItemOutcome]:
    """Run the three phases (module docstring) and return one outcome per item, in order.

    Raises:
        TypeError, ValueError: ``data`` is not a list of items, or a bad option (nothing sent).
    """
    check_bulk_options(batch_size, max_workers, on_progress)
    if isinstance(data, str | bytes | os.PathLike | Mapping) or not isinstance(data, Sequence):
        raise TypeError(
            "data must be a list of organised items ({'files': {spec: path}, 'meta': {...}}), "
            f"got {type(data).__name__}"
        )
    items = [_Item(i, raw) for i, raw in enumerate(data)]
    total, done = len(items), 0

    def finished(batch: list[_Item]) -> None:
        nonlocal done
        for _ in batch:
            done += 1
            if on_progress is not None:
                on_progress(done, total)

    for item in items:
        _check(item)
    finished([it for it in items if it.failed])

    def upload(item: _Item) -> None:
        try:
            item.body = upload_item(item.raw)
        except (ClientError, OSError, TypeError, ValueError) as exc:
            item.fail("upload", exc)

    todo = [it for it in items if not it.failed]
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="synapse-bulk") as pool:
        futures = {pool.submit(upload, it): it for it in todo}
        for future in as_completed(futures):
            future.result()
            finished([futures[future]])  # in the caller's thread

    def store_unit(item: _Item, row: dict[str, Any]) -> None:
        item.out["data_unit"] = row
        if create_tasks is not None and _unit_id(row) is None:
            item.fail("task", f"ResponseValidationError: the data unit has no usable id: {row!r}")

    def store_task(item: _Item, row: dict[str, Any]) -> None:
        item.out["task"] = row

    uploaded = [it for it in todo if not it.failed]
    _create_in_batches(
        uploaded,
        lambda batch: [it.body for it in batch],
        create_units,
        store_unit,
        "data_unit",
        batch_size,
    )
    if create_tasks is not None:
        with_unit = [it for it in uploaded if not it.failed]
        _create_in_batches(
            with_unit,
            lambda batch: [_unit_id(it.out["data_unit"] or {}) for it in batch],
            create_tasks,
            store_task,
            "task",
            batch_size,
        )
    for it in uploaded:
        it.out["success"] = not it.failed
    return [it.out for it in items]

"""Upload many local files into a data collection: ``collection.upload(items)``.

Four phases, each bounded:

1. **Check** every item against the collection's file specifications (known spec names, required
   specs present, allowed extensions) and every file (exists, regular, readable), before any
   request. A bad item is reported as failed; the others go on.
2. **Hash** each distinct file (MD5, ``parallel`` threads) and ask ``data_files/verify_checksums/``
   which the server already has: those are skipped, not sent again.
3. **Upload** the rest with at most ``parallel`` requests in flight (chunked above 50 MiB). A
   create whose answer was lost is reconciled with ``verify_checksums`` rather than resent.
4. **Reuse** (``existing_units="reuse"``, the default): an item whose files the server already
   had is looked up (:mod:`._reuse`); if the collection has a unit with the same files, that unit
   is the item's (``reused``), and an item with the same files as an earlier one follows it.
5. **Create data units** for the rest in batches (``POST data_units/`` with a list). A batch
   rejected with 400 committed nothing, so its items are retried one by one to isolate the bad
   one; a batch whose answer was lost is reported as failed and never resent (a re-run then
   finds and reuses the units it may have created).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from synapse_sdk._exceptions import (
    ClientError,
    IntegrityError,
    OutcomeUnknownError,
    ValidationError,
)
from synapse_sdk._http import Session, Timeout
from synapse_sdk._progress import ProgressLike, reporter
from synapse_sdk._transfer._chunked import DEFAULT_CHUNK_SIZE
from synapse_sdk._transfer._datafile import create_data_file
from synapse_sdk._transfer._hashing import file_md5, md5_or_none
from synapse_sdk._transfer._items import Item, SpecLike, UploadInput, parse_item, unit_body
from synapse_sdk._transfer._report import FileResult, ItemResult, U, UploadReport
from synapse_sdk._transfer._reuse import ExistingUnits, check_existing_units, plan_units, row_id

__all__ = ["SpecLike", "UploadInput", "upload_to_collection"]


def upload_to_collection(
    session: Session,
    *,
    collection_id: int,
    specs: Sequence[SpecLike],
    items: Iterable[object],
    data_files_path: str,
    create_units: Callable[[list[dict[str, Any]]], Any],
    build_unit: Callable[[dict[str, Any]], U],
    verify: Callable[[list[str]], set[str]] | None,
    find_units: Callable[[str], list[Any]] | None = None,
    existing_units: ExistingUnits = "reuse",
    parallel: int = 4,
    batch_size: int = 100,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: ProgressLike = None,
    timeout: Timeout | None = None,
) -> UploadReport[U]:
    """Upload items into a collection (see the module docstring); never raises for one item.

    Raises:
        TypeError, ValueError: Bad arguments (``parallel``, ``batch_size``, ``items``).
        ClientError: ``verify_checksums`` itself failed (before any file was sent).
    """
    for name, value, high in (("parallel", parallel, 64), ("batch_size", batch_size, 1000)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
            raise ValueError(f"{name} must be an int between 1 and {high}, got {value!r}")
    if isinstance(items, str | bytes | os.PathLike | Mapping):
        raise TypeError("items must be a list of items (wrap a single item in a list)")
    if not specs:
        raise ValueError(f"data collection {collection_id} has no file specifications")
    mode = check_existing_units(existing_units)
    parsed = [parse_item(i, raw, specs) for i, raw in enumerate(items)]
    valid = [it for it in parsed if it.reason is None]
    paths = list(dict.fromkeys(p for it in valid for p in it.paths.values()))
    report = reporter(progress, len(paths), "upload", "file")
    try:
        with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="synapse-upload") as pool:
            sums, errors = _hash_all(pool, paths)
            existing = _existing(verify, sorted(set(sums.values())))
            sent = _send_all(
                pool,
                session,
                sums,
                existing,
                errors,
                verify,
                report.update,
                data_files_path=data_files_path,
                chunk_size=chunk_size,
                timeout=timeout,
            )
            _file_results(valid, sent, errors)
            ready = [it for it in valid if it.reason is None]
            plan = plan_units(pool, ready, sums, mode, collection_id, find_units, verify)
    finally:
        report.close()
    units = _create_units(plan.to_create, collection_id, sums, create_units, batch_size)
    results: list[ItemResult[U]] = []
    for it in parsed:
        status, row = plan.outcome(it, units)
        results.append(
            ItemResult(
                index=it.index,
                status=status,
                files=it.files,
                data_unit=build_unit(row) if row is not None else None,
                reason=it.reason,
                error=it.error,
                data_unit_id=row_id(row) if row is not None else None,
            )
        )
    return UploadReport(results)


def _file_results(
    valid: list[Item], sent: dict[Path, FileResult], errors: dict[Path, BaseException]
) -> None:
    for it in valid:
        for spec, path in it.paths.items():
            result = sent[path]
            it.files[spec] = FileResult(
                spec=spec,
                path=path,
                status=result.status,
                checksum=result.checksum,
                size=result.size,
                reason=result.reason,
            )
            if result.status == "failed":
                it.fail(f"{spec}: {result.reason}", errors.get(path))


def _hash_all(
    pool: ThreadPoolExecutor, paths: list[Path]
) -> tuple[dict[Path, str], dict[Path, BaseException]]:
    futures = {pool.submit(file_md5, p): p for p in paths}
    sums: dict[Path, str] = {}
    errors: dict[Path, BaseException] = {}
    for future in as_completed(futures):
        try:
            sums[futures[future]] = future.result()
        except OSError as exc:
            errors[futures[future]] = exc
    return sums, errors


def _existing(verify: Callable[[list[str]], set[str]] | None, checksums: list[str]) -> set[str]:
    if verify is None or not checksums:
        return set()
    return {c.lower() for c in verify(checksums)}


def _send_all(
    pool: ThreadPoolExecutor,
    session: Session,
    sums: dict[Path, str],
    existing: set[str],
    errors: dict[Path, BaseException],
    verify: Callable[[list[str]], set[str]] | None,
    advance: Callable[[int], None],
    *,
    data_files_path: str,
    chunk_size: int,
    timeout: Timeout | None,
) -> dict[Path, FileResult]:
    """Upload each distinct checksum once; return a result per path."""
    out: dict[Path, FileResult] = {}
    done = 0
    for path, exc in errors.items():
        out[path] = FileResult(spec="", path=path, status="failed", reason=str(exc))
        done += 1
    by_sum: dict[str, list[Path]] = {}
    for path, checksum in sums.items():
        by_sum.setdefault(checksum, []).append(path)
    futures: dict[Future[dict[str, Any]], str] = {}
    for checksum, group in by_sum.items():
        if checksum in existing:
            for path in group:
                out[path] = _result(path, "skipped", checksum)
                done += 1
            continue
        future = pool.submit(
            create_data_file,
            session,
            group[0],
            data_files_path=data_files_path,
            chunked=None,
            chunk_size=chunk_size,
            timeout=timeout,
        )
        futures[future] = checksum
    advance(done)
    for future in as_completed(futures):
        checksum = futures[future]
        group = by_sum[checksum]
        try:
            created = future.result()
            theirs = md5_or_none(created.get("checksum"))
            if theirs is not None and theirs != checksum.lower():
                # Changed between the dedup hash and the upload: the unit would name a checksum
                # no data file has (or another file's). The data file stays; the unit is not made.
                raise IntegrityError(
                    f"{str(group[0])!r} changed on disk after it was checked: it was hashed as "
                    f"{checksum} but uploaded as data file {created.get('id')} with {theirs}; "
                    "upload it again once the file is stable",
                    response=created,
                )
            status, reason = "uploaded", None
        except OutcomeUnknownError as exc:
            # The create may have happened: ask the server instead of sending it again.
            if verify is not None and checksum in _existing(verify, [checksum]):
                status, reason = "uploaded", None
            else:
                status, reason = "failed", str(exc)
                errors.update(dict.fromkeys(group, exc))
        except (ClientError, OSError, ValueError) as exc:
            status, reason = "failed", f"{type(exc).__name__}: {exc}"
            errors.update(dict.fromkeys(group, exc))
        for path in group:
            out[path] = _result(path, status, checksum, reason)
        done += len(group)
        advance(done)
    return out


def _result(path: Path, status: Any, checksum: str, reason: str | None = None) -> FileResult:
    try:
        size: int | None = path.stat().st_size
    except OSError:
        size = None
    return FileResult(
        spec="", path=path, status=status, checksum=checksum, size=size, reason=reason
    )


def _create_units(
    ready: list[Item],
    collection_id: int,
    sums: dict[Path, str],
    create_units: Callable[[list[dict[str, Any]]], Any],
    batch_size: int,
) -> dict[int, dict[str, Any]]:
    """Create units in batches; return the created unit JSON per item index."""
    created: dict[int, dict[str, Any]] = {}
    pending = [ready[i : i + batch_size] for i in range(0, len(ready), batch_size)]
    while pending:
        batch = pending.pop(0)
        bodies = [unit_body(it, collection_id, sums) for it in batch]
        try:
            answer = create_units(bodies)
        except ValidationError as exc:
            if len(batch) > 1:
                # A rejected list committed nothing: split it to find the bad item(s).
                pending[:0] = [[it] for it in batch]
                continue
            batch[0].fail(f"the server rejected the data unit: {exc.response!r}", exc)
            continue
        except OutcomeUnknownError as exc:
            for it in batch:
                it.fail("the data-unit create's answer was lost; it may exist (not resent)", exc)
            continue
        except ClientError as exc:
            for it in batch:
                it.fail(f"creating the data unit failed: {exc}", exc)
            continue
        rows = answer if isinstance(answer, list) else [answer]
        if len(rows) != len(batch) or not all(isinstance(r, dict) for r in rows):
            for it in batch:
                it.fail(f"data_units/ answered {len(rows)} rows for {len(batch)} items")
            continue
        for it, row in zip(batch, rows, strict=True):
            created[it.index] = row
    return created

"""Upload many local files into a data collection: ``collection.upload(items)``.

Four phases, each bounded:

1. **Check** every item against the collection's file specifications (known spec names, required
   specs present, allowed extensions) and every file (exists, regular, readable), before any
   request. A bad item is reported as failed; the others go on.
2. **Hash** each distinct file (MD5, ``parallel`` threads) and ask ``data_files/verify_checksums/``
   which the server already has: those are skipped, not sent again.
3. **Upload** the rest with at most ``parallel`` requests in flight (chunked above 50 MiB). A
   create whose answer was lost is reconciled with ``verify_checksums`` rather than resent.
4. **Create data units** in batches (``POST data_units/`` with a list). A batch rejected with 400
   committed nothing, so its items are retried one by one to isolate the bad one; a batch whose
   answer was lost is reported as failed and never resent (no duplicates).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Protocol, Union

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
from synapse_sdk._transfer._paths import check_upload_path
from synapse_sdk._transfer._report import FileResult, ItemResult, U, UploadReport

__all__ = ["SpecLike", "UploadInput", "upload_to_collection"]

#: One item of ``collection.upload()``: a bare path (the primary spec's file), a
#: ``{spec name: path}`` dict, or ``{"files": {spec name: path}, "meta": {...}, "groups": [...]}``.
UploadInput = Union[str, "os.PathLike[str]", Mapping[str, Any]]


class SpecLike(Protocol):
    """What the batch upload reads of a file specification."""

    @property
    def name(self) -> str: ...

    @property
    def is_required(self) -> bool: ...

    @property
    def is_primary(self) -> bool: ...

    @property
    def extensions(self) -> list[str]: ...

    def accepts(self, filename: str) -> bool: ...


class _Item:
    """One input item after checking: spec name -> path, meta, groups (or why it failed)."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.paths: dict[str, Path] = {}
        self.meta: dict[str, Any] | None = None
        self.groups: list[str] | None = None
        self.reason: str | None = None
        self.error: BaseException | None = None
        self.files: dict[str, FileResult] = {}

    def fail(self, reason: str, error: BaseException | None = None) -> None:
        if self.reason is None:
            self.reason, self.error = reason, error


def _default_spec(specs: Sequence[SpecLike]) -> str | None:
    primary = [s.name for s in specs if s.is_primary]
    if len(primary) == 1:
        return primary[0]
    return specs[0].name if len(specs) == 1 else None


def _parse(index: int, raw: object, specs: Sequence[SpecLike]) -> _Item:
    """Check one input item locally (no I/O beyond ``stat``/``open`` of its files)."""
    item = _Item(index)
    names = [s.name for s in specs]
    files: Mapping[Any, Any]
    if isinstance(raw, str | os.PathLike):
        default = _default_spec(specs)
        if default is None:
            item.fail(f"a bare path needs one primary file specification; name one of {names}")
            return item
        files = {default: raw}
    elif isinstance(raw, Mapping) and isinstance(raw.get("files"), Mapping):
        files = raw["files"]
        meta, groups = raw.get("meta"), raw.get("groups")
        if meta is not None and not isinstance(meta, Mapping):
            item.fail(f"'meta' must be a dict, got {type(meta).__name__}")
        item.meta = dict(meta) if isinstance(meta, Mapping) else None
        if groups is not None and (
            isinstance(groups, str)
            or not isinstance(groups, Sequence)
            or not all(isinstance(g, str) and g for g in groups)
        ):
            item.fail("'groups' must be a list of non-empty strings (parent first)")
        elif groups:
            item.groups = list(groups)
    elif isinstance(raw, Mapping):
        files = raw
    else:
        item.fail(
            "expected a path, a {spec name: path} dict or {'files': {...}, 'meta': {...}}, "
            f"got {type(raw).__name__}"
        )
        return item
    by_name = {s.name: s for s in specs}
    for key, value in files.items():
        spec = by_name.get(key) if isinstance(key, str) else None
        if spec is None:
            item.fail(f"{key!r} is not a file specification of this collection ({names})")
            continue
        try:
            path = check_upload_path(value)
        except (OSError, TypeError, ValueError) as exc:
            item.files[key] = FileResult(spec=key, path=None, status="failed", reason=str(exc))
            item.fail(f"{key}: {exc}", exc)
            continue
        if not spec.accepts(path.name):
            allowed = ", ".join(spec.extensions)
            reason = f"{key}: {path.name!r} does not have an allowed extension ({allowed})"
            item.files[key] = FileResult(spec=key, path=path, status="failed", reason=reason)
            item.fail(reason)
            continue
        item.paths[key] = path
    missing = [s.name for s in specs if s.is_required and s.name not in files]
    if missing:
        item.fail(f"required file specification(s) missing: {missing}")
    return item


def _upload_item_json(item: _Item, collection_id: int, sums: dict[Path, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "data_collection": collection_id,
        "files": {
            spec: {"checksum": sums[path], "path": path.name} for spec, path in item.paths.items()
        },
    }
    if item.meta is not None:
        body["meta"] = item.meta
    if item.groups:
        body["groups"] = item.groups
    return body


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
    parsed = [_parse(i, raw, specs) for i, raw in enumerate(items)]
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
    finally:
        report.close()
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
    ready = [it for it in valid if it.reason is None]
    units = _create_units(ready, collection_id, sums, create_units, batch_size)
    results: list[ItemResult[U]] = []
    for it in parsed:
        unit = units.get(it.index)
        if it.reason is None and unit is None:
            it.fail("the data unit was not created")
        results.append(
            ItemResult(
                index=it.index,
                status="created" if it.reason is None else "failed",
                files=it.files,
                data_unit=build_unit(unit) if unit is not None and it.reason is None else None,
                reason=it.reason,
                error=it.error,
            )
        )
    return UploadReport(results)


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
    ready: list[_Item],
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
        bodies = [_upload_item_json(it, collection_id, sums) for it in batch]
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

"""Bulk upload through presigned URLs: ask the backend where each file goes, PUT the bytes
straight to object storage in parallel, then confirm, which creates the data files.

1. **Check** every path (exists, regular, readable) before any request.
2. Per batch of ``batch_size`` files: ``POST presigned_upload/upload/`` with each file's name,
   size and guessed content type; the answer is checked strictly (:mod:`._presigned_wire`).
   The next batch is asked for, and the previous one confirmed, while a batch's PUTs run.
3. **PUT** each file with ``max_workers`` threads: one PUT, or its parts in order (a file's
   parts share one thread, so connections stay at ``max_workers``), streamed from disk and
   SHA-1 hashed as read, never with the client's auth headers (:mod:`._presigned_put`).
4. **Confirm** the batch's stored files (SHA-1 ``checksum``, ``size``, the parts' ETags); each
   result is matched to its ``file_key``. A file without exactly one successful result failed.

One file failing never stops the others; nothing here raises for one file. A batch whose
request or confirm fails (or whose confirm answer was lost: the data files may exist) fails its
files with that error.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from synapse_sdk._exceptions import ClientError, IntegrityError, ResponseValidationError
from synapse_sdk._http import Session, Timeout
from synapse_sdk._progress import ProgressLike, check_progress, reporter
from synapse_sdk._transfer._paths import FileStamp, check_upload_path, stamp_of
from synapse_sdk._transfer._presigned_put import IncrementalSHA1, PutFailed, put_range
from synapse_sdk._transfer._presigned_report import PresignedFile, PresignedReport
from synapse_sdk._transfer._presigned_wire import (
    Plan,
    check_expiration,
    guess_type,
    match_results,
    parse_plans,
)

__all__ = [
    "API_READ_TIMEOUT",
    "PUT_READ_TIMEOUT",
    "PresignedFile",
    "PresignedReport",
    "check_options",
    "check_paths",
    "upload_presigned",
]

#: Read timeout of the upload request and the confirm (seconds).
API_READ_TIMEOUT = 120.0
#: Read timeout of a storage PUT (seconds).
PUT_READ_TIMEOUT = 300.0
#: A PUT's default deadline is at least this, or the time to send its bytes at MIN_RATE.
PUT_MIN_DEADLINE = 600.0
MIN_RATE = 1024 * 1024


class _File:
    """One file's state through the run."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.stamp: FileStamp = stamp_of(path)
        self.size = self.stamp.size
        self.plan: Plan | None = None
        self.sha1: str | None = None
        self.etags: list[str] = []
        self.attempts = 0
        self.sent = 0  # bytes counted for progress (never decreases)
        self.data_file_id: int | None = None
        self.error: BaseException | None = None

    def result(self) -> PresignedFile:
        return PresignedFile(
            path=self.path,
            success=self.error is None and self.data_file_id is not None,
            data_file_id=self.data_file_id,
            file_key=None if self.plan is None else self.plan.file_key,
            checksum=self.sha1,
            size=self.size,
            attempts=self.attempts,
            error=self.error,
        )


def _positive(name: str, value: object, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
        raise ValueError(f"{name} must be an int between 1 and {high}, got {value!r}")
    return value


def check_options(max_workers: object, batch_size: object, max_upload_retries: object) -> None:
    """``max_workers`` in 1..64, ``batch_size`` in 1..1000, ``max_upload_retries`` in 0..10."""
    _positive("max_workers", max_workers, 64)
    _positive("batch_size", batch_size, 1000)
    if isinstance(max_upload_retries, bool) or not isinstance(max_upload_retries, int):
        raise TypeError(f"max_upload_retries must be an int, got {max_upload_retries!r}")
    if not 0 <= max_upload_retries <= 10:
        raise ValueError(f"max_upload_retries must be in 0..10, got {max_upload_retries}")


def check_paths(file_paths: object) -> list[Path]:
    """Every path checked (exists, regular file, readable) before any request."""
    if isinstance(file_paths, str | bytes | os.PathLike) or not isinstance(file_paths, Sequence):
        raise TypeError(
            f"file_paths must be a list of paths (wrap one path in a list), got "
            f"{type(file_paths).__name__}"
        )
    return [check_upload_path(p) for p in file_paths]


def upload_presigned(
    session: Session,
    file_paths: Sequence[str | os.PathLike[str]],
    *,
    request_path: str,
    confirm_path: str,
    max_workers: int = 10,
    batch_size: int = 200,
    max_upload_retries: int = 2,
    expiration: int = 3600,
    progress: ProgressLike = None,
    timeout: Timeout | None = None,
    put_timeout: Timeout | None = None,
) -> PresignedReport:
    """Upload files through presigned URLs (see the module docstring).

    Args:
        request_path, confirm_path: ``presigned_upload/upload/`` and ``.../confirm_upload/``
            (declared once, on the data files endpoint).
        max_workers: Files sent at once (1..64).
        batch_size: Files per upload request and per confirm (1..1000).
        max_upload_retries: Extra attempts per storage PUT (0..10), full-jitter backoff.
        expiration: Seconds the presigned URLs stay valid (60..86400).
        progress: ``True`` for a bar, or a ``(sent bytes, total bytes)`` callback (called from
            the worker threads, serialised).
        timeout: Timeouts of the upload request and the confirm (default: connect as the
            client's, read 120 s).
        put_timeout: Timeouts of each storage PUT (default: read 300 s, deadline the larger of
            600 s and the PUT's bytes at 1 MiB/s).

    Raises:
        TypeError, ValueError: Bad arguments (before any request).
        FileNotFoundError, IsADirectoryError, PermissionError, OSError: A path cannot be
            uploaded (before any request).
    """
    check_options(max_workers, batch_size, max_upload_retries)
    check_expiration(expiration)
    check_progress(progress)
    for name, value in (("timeout", timeout), ("put_timeout", put_timeout)):
        if value is not None and not isinstance(value, Timeout):
            raise TypeError(f"{name} must be a Timeout, got {type(value).__name__}")
    files = [_File(p) for p in check_paths(file_paths)]
    run = _Run(session, request_path, confirm_path, max_upload_retries, expiration, timeout)
    run.put_timeout = put_timeout
    report = reporter(progress, sum(f.size for f in files), "upload", "B")
    run.report = report.update
    try:
        batches = [files[i : i + batch_size] for i in range(0, len(files), batch_size)]
        with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="synapse-put") as pool:
            run.all(pool, batches)
    finally:
        report.close()
    return PresignedReport([f.result() for f in files])


class _Run:
    def __init__(
        self,
        session: Session,
        request_path: str,
        confirm_path: str,
        retries: int,
        expiration: int,
        timeout: Timeout | None,
    ) -> None:
        self.session = session
        self.request_path = request_path
        self.confirm_path = confirm_path
        self.retries = retries
        self.expiration = expiration
        base = session.timeout
        deadline = None if base.deadline is None else max(base.deadline, API_READ_TIMEOUT + 30)
        self.timeout = timeout or Timeout(base.connect, API_READ_TIMEOUT, deadline)
        self.put_timeout: Timeout | None = None
        self.report: Callable[[int], None] = lambda done: None
        self._lock = threading.Lock()
        self._done = 0

    def _advance(self, file: _File, sent: int) -> None:
        with self._lock:
            if sent > file.sent:
                self._done += sent - file.sent
                file.sent = sent
                self.report(self._done)

    def _progress_from(self, file: _File, start: int) -> Callable[[int], None]:
        return lambda sent: self._advance(file, start + sent)

    def all(self, pool: ThreadPoolExecutor, batches: list[list[_File]]) -> None:
        """Each batch: plan, PUTs, confirm. The next batch's plan is asked for and the previous
        batch's confirm sent while a batch's PUTs run (two helper threads), so the backend's
        round trips overlap the storage's."""
        if not batches:
            return
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="synapse-presigned") as side:
            planned = side.submit(self.plan, batches[0])
            confirms = []
            for i, files in enumerate(batches):
                planned.result()
                if i + 1 < len(batches):
                    planned = side.submit(self.plan, batches[i + 1])
                ready = [f for f in files if f.plan is not None and f.error is None]
                for _ in pool.map(self._send, ready):
                    pass
                stored = [f for f in ready if f.error is None]
                confirms.append(side.submit(self._confirm, stored))
            for confirm in confirms:
                confirm.result()

    def plan(self, files: list[_File]) -> None:
        """Ask where the batch's files go; set each file's plan, or its error."""
        body = {
            "files": [
                {"filename": f.path.name, "size": f.size, "content_type": guess_type(f.path.name)}
                for f in files
            ],
            "expiration": self.expiration,
        }
        try:
            answer = self.session.request(
                "POST", self.request_path, json=body, timeout=self.timeout
            ).json()
            plans = parse_plans(answer, [(f.path.name, f.size) for f in files])
        except ClientError as exc:
            for f in files:
                f.error = exc
            return
        for f, plan in zip(files, plans, strict=True):
            if isinstance(plan, Plan):
                f.plan = plan
            else:
                f.error = plan

    def _put_timeout(self, size: int) -> Timeout:
        if self.put_timeout is not None:
            return self.put_timeout
        base = self.session.timeout
        return Timeout(base.connect, PUT_READ_TIMEOUT, max(PUT_MIN_DEADLINE, size / MIN_RATE))

    def _send(self, f: _File) -> None:
        plan = f.plan
        assert plan is not None
        hasher = IncrementalSHA1(f.path)
        try:
            if plan.url is not None:
                _, attempts = put_range(
                    self.session,
                    plan.url,
                    f.path,
                    0,
                    f.size,
                    hasher,
                    stamp=f.stamp,
                    content_type=guess_type(f.path.name),
                    timeout=self._put_timeout(f.size),
                    retries=self.retries,
                    on_sent=self._progress_from(f, 0),
                    etag=False,
                )
                f.attempts += attempts
            for part in plan.parts:
                etag, attempts = put_range(
                    self.session,
                    part.url,
                    f.path,
                    part.start,
                    part.size,
                    hasher,
                    stamp=f.stamp,
                    content_type=None,
                    timeout=self._put_timeout(part.size),
                    retries=self.retries,
                    on_sent=self._progress_from(f, part.start),
                    etag=True,
                )
                f.attempts += attempts
                assert etag is not None
                f.etags.append(etag)
            f.sha1 = hasher.hexdigest(f.size)
            if stamp_of(f.path) != f.stamp:
                raise IntegrityError(
                    f"{str(f.path)!r} changed on disk right after it was uploaded; it was not "
                    "confirmed: upload it again once it is stable"
                )
        except PutFailed as exc:
            f.attempts += exc.attempts
            f.error = exc.error
        except (ClientError, OSError, ValueError) as exc:
            f.error = exc

    def _confirm(self, files: list[_File]) -> None:
        if not files:
            return
        entries = []
        for f in files:
            plan = f.plan
            assert plan is not None
            entry: dict[str, Any] = {"file_key": plan.file_key, "checksum": f.sha1, "size": f.size}
            if plan.upload_id is not None:
                entry["multipart"] = {
                    "upload_id": plan.upload_id,
                    "parts": [
                        {"part_number": p.number, "etag": e}
                        for p, e in zip(plan.parts, f.etags, strict=True)
                    ],
                }
            entries.append(entry)
        try:
            answer = self.session.request(
                "POST", self.confirm_path, json={"files": entries}, timeout=self.timeout
            ).json()
            matched = match_results(answer, [e["file_key"] for e in entries])
        except ClientError as exc:
            for f in files:
                f.error = exc
            return
        for f in files:
            assert f.plan is not None
            _settle(f, matched[f.plan.file_key])


def _settle(f: _File, row: dict[str, Any] | str) -> None:
    """Judge one file's confirm result: success only with ``success: true`` and a data file id,
    and a ``checksum`` (when given) equal to the local SHA-1."""
    if isinstance(row, str):
        f.error = _invalid(row, row)
        return
    ident = row.get("data_file_id")
    if row.get("success") is not True:
        reason = row.get("error")
        f.error = _invalid(f"the backend did not confirm the file: {reason!r}"[:300], row)
        return
    if isinstance(ident, bool) or not isinstance(ident, int) or ident <= 0:
        f.error = _invalid(f"the confirm result has no data_file_id: {ident!r}"[:300], row)
        return
    theirs = row.get("checksum")
    if theirs is not None and (not isinstance(theirs, str) or theirs.lower() != f.sha1):
        f.data_file_id = ident  # it exists: the caller may want to delete it
        f.error = IntegrityError(
            f"data file {ident} was confirmed with checksum {theirs!r}, the local file's SHA-1 "
            f"is {f.sha1}",
            response=row,
        )
        return
    f.data_file_id = ident


def _invalid(message: str, response: Any) -> ResponseValidationError:
    err = ResponseValidationError(message, response=response)
    err.path = "results"
    return err

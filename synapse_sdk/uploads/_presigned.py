"""Bulk uploads for ``client.uploads`` and the seed's ``upload_files_bulk``: presigned URLs when
the backend's default storage can issue them, else one ``data_files/`` upload per file.

The seed API returns plain dicts (:class:`BulkUploadResult`); the typed API returns the
:class:`~synapse_sdk._transfer.PresignedReport` of the engine.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal, TypedDict

from synapse_sdk._async import asyncify
from synapse_sdk._exceptions import ClientError
from synapse_sdk._http import Timeout
from synapse_sdk._progress import ProgressLike, check_progress
from synapse_sdk._transfer import (
    PresignedFile,
    PresignedReport,
    check_options,
    check_paths,
    check_upload_path,
    put_presigned_file,
)
from synapse_sdk._transfer._presigned import MIN_RATE, PUT_MIN_DEADLINE, PUT_READ_TIMEOUT
from synapse_sdk.resources import ClientContext, DataFileManager, StorageManager

__all__ = [
    "PRESIGNED_PROVIDERS",
    "STRATEGIES",
    "BulkUploadFile",
    "BulkUploadResult",
    "Strategy",
    "PresignedUploads",
    "bulk_upload",
    "put_file",
]

#: Storage providers whose backend issues presigned upload URLs.
PRESIGNED_PROVIDERS = frozenset({"amazon_s3", "s3", "minio", "gcp", "gcs", "azure"})
#: ``presigned``: PUT straight to object storage; ``direct``: one ``data_files/`` upload per
#: file through the API (chunked above 50 MiB).
Strategy = Literal["presigned", "direct"]
STRATEGIES: frozenset[str] = frozenset({"presigned", "direct"})


class BulkUploadFile(TypedDict):
    """One file's outcome in :class:`BulkUploadResult` (JSON-friendly)."""

    path: str
    success: bool
    data_file_id: int | None
    file_key: str | None
    #: SHA-1 (presigned) or the server's MD5 (direct) of the bytes, when known.
    checksum: str | None
    size: int
    attempts: int
    #: ``"<ErrorType>: message"`` when it failed, else None.
    error: str | None
    error_type: str | None


class BulkUploadResult(TypedDict):
    """What ``upload_files_bulk`` returns."""

    strategy: Strategy
    results: list[BulkUploadFile]
    created_count: int
    failed_count: int


def _row(result: PresignedFile) -> BulkUploadFile:
    return {
        "path": str(result.path),
        "success": result.success,
        "data_file_id": result.data_file_id,
        "file_key": result.file_key,
        "checksum": result.checksum,
        "size": result.size,
        "attempts": result.attempts,
        "error": result.reason,
        "error_type": None if result.error is None else type(result.error).__name__,
    }


def as_result(report: PresignedReport, strategy: Strategy) -> BulkUploadResult:
    rows = [_row(f) for f in report]
    created = sum(1 for r in rows if r["success"])
    return {
        "strategy": strategy,
        "results": rows,
        "created_count": created,
        "failed_count": len(rows) - created,
    }


def choose_strategy(ctx: ClientContext, strategy: object) -> Strategy:
    """``strategy`` checked; None asks the default storage whether it is presigned-capable."""
    if strategy is not None and strategy not in STRATEGIES:
        raise ValueError(
            f"unknown strategy {strategy!r}; expected None (decide by the default storage), "
            "'presigned' or 'direct'"
        )
    if strategy == "presigned":
        return "presigned"
    if strategy == "direct":
        return "direct"
    storage = ctx.manager(StorageManager).default_json()
    provider = storage.get("provider") if storage is not None else None
    return "presigned" if provider in PRESIGNED_PROVIDERS else "direct"


def _direct(
    ctx: ClientContext,
    paths: list[Path],
    max_workers: int,
    progress: Callable[[int, int], None] | None,
) -> PresignedReport:
    """One ``data_files/`` upload per file (``max_workers`` at a time), as results."""
    manager = ctx.manager(DataFileManager)
    total = sum(p.stat().st_size for p in paths)
    done = 0

    def one(path: Path) -> PresignedFile:
        size = path.stat().st_size
        try:
            raw = manager.upload_json(path)
        except (ClientError, OSError, ValueError) as exc:
            return PresignedFile(path, False, None, None, None, size, 1, exc)
        ident = raw.get("id") if isinstance(raw, dict) else None
        ok = isinstance(ident, int) and not isinstance(ident, bool)
        checksum = raw.get("checksum") if isinstance(raw, dict) else None
        return PresignedFile(path, ok, ident if ok else None, None, checksum, size, 1, None)

    results = []
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="synapse-up") as pool:
        for result in pool.map(one, paths):
            results.append(result)
            done += result.size
            if progress is not None:
                progress(done, total)
    return PresignedReport(results)


def bulk_upload(
    ctx: ClientContext,
    file_paths: Sequence[str | os.PathLike[str]],
    *,
    max_workers: int = 10,
    on_progress: Callable[[int, int], None] | None = None,
    batch_size: int = 200,
    max_upload_retries: int = 2,
    strategy: Strategy | None = None,
) -> BulkUploadResult:
    """The seed's ``upload_files_bulk`` (see ``BackendClient.upload_files_bulk``)."""
    if on_progress is not None and not callable(on_progress):
        raise TypeError(f"on_progress must be a callable, got {type(on_progress).__name__}")
    progress: ProgressLike = on_progress
    check_progress(progress)
    check_options(max_workers, batch_size, max_upload_retries)
    paths = check_paths(file_paths)
    chosen = choose_strategy(ctx, strategy)
    if chosen == "direct":
        return as_result(_direct(ctx, paths, max_workers, on_progress), "direct")
    report = ctx.manager(DataFileManager).upload_presigned(
        paths,
        max_workers=max_workers,
        batch_size=batch_size,
        max_upload_retries=max_upload_retries,
        progress=progress,
    )
    return as_result(report, "presigned")


def put_file(
    ctx: ClientContext, url: object, file_path: object, content_type: str | None = None
) -> dict[str, Any]:
    """The seed's ``upload_file_to_presigned_url``: one file PUT to one presigned URL (no auth
    headers, retried as the bulk upload's PUTs, read timeout 300 s)."""
    if not isinstance(url, str):
        raise TypeError(f"url must be a str, got {type(url).__name__}")
    size = check_upload_path(file_path).stat().st_size
    session = ctx.session
    timeout = Timeout(
        session.timeout.connect, PUT_READ_TIMEOUT, max(PUT_MIN_DEADLINE, size / MIN_RATE)
    )
    return put_presigned_file(session, url, file_path, content_type=content_type, timeout=timeout)


class PresignedUploads:
    """``client.uploads``' presigned bulk upload methods (a base of ``UploadManager``)."""

    _ctx: ClientContext

    def presigned(
        self,
        paths: Sequence[str | os.PathLike[str]],
        *,
        max_workers: int = 10,
        batch_size: int = 200,
        progress: ProgressLike = None,
        max_upload_retries: int = 2,
        expiration: int = 3600,
        timeout: Timeout | None = None,
        put_timeout: Timeout | None = None,
    ) -> PresignedReport:
        """Upload many files straight to object storage through presigned URLs, creating one
        data file each; never raises for one file (see the report's ``failed``).

        Per batch of ``batch_size`` the backend is asked for URLs, the files are PUT with
        ``max_workers`` threads (multipart above the backend's threshold; no auth headers;
        streamed; SHA-1 hashed as read; a PUT retried ``max_upload_retries`` times unless
        storage itself refused it), then confirmed.

        Args:
            paths: Local files (each checked before any request).
            max_workers: Files sent at once (1..64).
            batch_size: Files per request and per confirm (1..1000).
            progress: ``True`` for a bar, or a ``(sent bytes, total bytes)`` callback.
            max_upload_retries: Extra attempts per storage PUT (0..10).
            expiration: Seconds the URLs stay valid (60..86400).
            timeout: Timeouts of the request and the confirm (default read 120 s).
            put_timeout: Timeouts of each storage PUT (default read 300 s).

        Returns:
            One :class:`PresignedFile` per path, in order.

        Raises:
            TypeError, ValueError: Bad arguments (before any request).
            OSError: A path cannot be uploaded (before any request).
        """
        return self._ctx.manager(DataFileManager).upload_presigned(
            paths,
            max_workers=max_workers,
            batch_size=batch_size,
            max_upload_retries=max_upload_retries,
            expiration=expiration,
            progress=progress,
            timeout=timeout,
            put_timeout=put_timeout,
        )

    def bulk_json(
        self,
        file_paths: Sequence[str | os.PathLike[str]],
        *,
        max_workers: int = 10,
        on_progress: Callable[[int, int], None] | None = None,
        batch_size: int = 200,
        max_upload_retries: int = 2,
        strategy: Strategy | None = None,
    ) -> BulkUploadResult:
        """The seed's ``upload_files_bulk``: presigned when the default storage can (or
        ``strategy='presigned'``), else one ``data_files/`` upload per file; plain dicts."""
        return bulk_upload(
            self._ctx,
            file_paths,
            max_workers=max_workers,
            on_progress=on_progress,
            batch_size=batch_size,
            max_upload_retries=max_upload_retries,
            strategy=strategy,
        )

    def presigned_put_json(
        self, url: str, file_path: str | os.PathLike[str], content_type: str | None = None
    ) -> dict[str, Any]:
        """PUT one file to one presigned URL; ``{"etag", "size", "checksum", "attempts"}``."""
        return put_file(self._ctx, url, file_path, content_type)

    # -- async twins (docs/async.md) --
    apresigned = asyncify(presigned, write=True)

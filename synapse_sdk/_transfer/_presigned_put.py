"""PUTs of a file's bytes to presigned storage URLs: streamed from disk, SHA-1 hashed once, and
retried only where storage did not judge the request.

Retry rule (per PUT, ``max_upload_retries`` extra attempts, full-jitter backoff): no answer (a
connection error, a read timeout, a cut-off answer), 5xx, 408/425/429, and any other 4xx whose
body is **not** an S3-style error (``<Code>...</Code>``): such 4xx come from proxies and load
balancers and were measured to be transient. A 4xx with a ``<Code>`` is storage's verdict
(``AccessDenied``, ``SignatureDoesNotMatch``, ``EntityTooLarge`` ...) and is never retried; nor
is a 3xx (never followed), a refused URL, or a PUT that ran out of its deadline (a storage that
drips would drip again). Each attempt re-reads its range from the file; the hash is fed once per
byte (:class:`IncrementalSHA1`), so a retried part costs no extra hashing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from synapse_sdk._exceptions import (
    DeadlineExceededError,
    HTTPError,
    IntegrityError,
    OriginError,
    ResponseValidationError,
    TransportError,
)
from synapse_sdk._http import RawBody, Session, Timeout, storage_put
from synapse_sdk._transfer._hashing import FileChangedError, IncrementalMD5
from synapse_sdk._transfer._paths import FileStamp, check_upload_path, stamp_of
from synapse_sdk._transfer._presigned_wire import guess_type, sane_token
from synapse_sdk._transfer._stream import ChunkSource

__all__ = ["IncrementalSHA1", "PutFailed", "put_presigned_file", "put_range", "storage_verdict"]


class PutFailed(Exception):
    """Internal: a range could not be stored; ``error`` is why, after ``attempts`` attempts."""

    def __init__(self, error: Exception, attempts: int) -> None:
        super().__init__(str(error))
        self.error = error
        self.attempts = attempts


_S3_CODE = re.compile(rb"<Code>\s*[^<\s][^<]{0,200}</Code>")
_RETRY_4XX = frozenset({408, 425, 429})


class IncrementalSHA1(IncrementalMD5):
    """:class:`IncrementalMD5`'s once-per-byte bookkeeping over SHA-1 (the presigned confirm's
    checksum)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._md5 = hashlib.sha1(usedforsecurity=False)


def storage_verdict(exc: HTTPError) -> bool:
    """Whether an error answer is storage's own judgement (an S3-style ``<Code>`` body)."""
    body = exc.response
    if isinstance(body, str):
        return _S3_CODE.search(body.encode("utf-8", "replace")) is not None
    return False


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, OriginError | DeadlineExceededError):
        return False
    if isinstance(exc, TransportError):
        return True  # no answer: never reached storage's judgement
    if isinstance(exc, HTTPError):
        status = exc.status_code or 0
        if status >= 500 or status in _RETRY_4XX:
            return True
        return 400 <= status < 500 and not storage_verdict(exc)
    return False


def put_range(
    session: Session,
    url: str,
    path: Path,
    start: int,
    size: int,
    hasher: IncrementalMD5,
    *,
    stamp: FileStamp,
    content_type: str | None,
    timeout: Timeout,
    retries: int,
    on_sent: Callable[[int], None],
    etag: bool,
) -> tuple[str | None, int]:
    """PUT the file's bytes ``[start, start + size)`` to ``url``, with the retry rule above.

    Args:
        content_type: Sent as ``Content-Type`` (single PUTs only; None: no header).
        etag: The answer must carry a sane ``ETag`` (multipart parts).
        on_sent: Bytes of the range sent so far by the current attempt.

    Returns:
        ``(ETag or None, attempts made)``.

    Raises:
        PutFailed: With the last attempt's error: ``IntegrityError`` (the file changed while it
            was read, never retried), ``ResponseValidationError`` (a part's answer had no sane
            ``ETag``), or the storage's ``HTTPError`` / ``TransportError``.
    """
    headers = {} if content_type is None else {"Content-Type": content_type}
    attempt = 0
    while True:
        attempt += 1
        source = ChunkSource(path, start, size, hasher, on_sent=on_sent, stamp=stamp)
        try:
            response = storage_put(
                session, url, RawBody((source, size)), headers=headers, timeout=timeout
            )
        except FileChangedError as exc:
            changed = IntegrityError(
                f"{str(path)!r} changed on disk while it was being uploaded ({exc}); it was not "
                "confirmed: upload it again once it is stable"
            )
            changed.__cause__ = exc
            raise PutFailed(changed, attempt) from exc
        except (HTTPError, TransportError) as exc:
            if attempt > retries or not _retryable(exc):
                raise PutFailed(exc, attempt) from exc
            session.sleep(session.retry.backoff(attempt - 1))
            continue
        if not etag:
            return response.headers.get("ETag"), attempt
        try:
            return sane_token(response.headers.get("ETag"), "ETag", "ETag"), attempt
        except ResponseValidationError as exc:
            exc.message = f"storage answered part PUT without a usable ETag: {exc.message}"
            raise PutFailed(exc, attempt) from exc


def put_presigned_file(
    session: Session,
    url: object,
    file_path: object,
    *,
    content_type: str | None = None,
    retries: int = 2,
    timeout: Timeout,
) -> dict[str, Any]:
    """PUT a whole local file to one presigned URL (the same rules as the bulk upload).

    Returns:
        ``{"etag": ETag or None, "size": bytes, "checksum": hex SHA-1, "attempts": n}``.

    Raises:
        TypeError, ValueError, OSError: A bad URL type, content type or file (before I/O).
        OriginError: The URL is refused by the strict parser (nothing is sent).
        ClientError: The storage's error after the retries; ``IntegrityError`` when the file
            changed while it was read.
    """
    if not isinstance(url, str):
        raise TypeError(f"url must be a str, got {type(url).__name__}")
    if content_type is not None and not isinstance(content_type, str):
        raise TypeError(f"content_type must be a str or None, got {type(content_type).__name__}")
    path = check_upload_path(file_path)
    stamp = stamp_of(path)
    hasher = IncrementalSHA1(path)
    try:
        etag, attempts = put_range(
            session,
            url,
            path,
            0,
            stamp.size,
            hasher,
            stamp=stamp,
            content_type=content_type or guess_type(path.name),
            timeout=timeout,
            retries=retries,
            on_sent=lambda sent: None,
            etag=False,
        )
    except PutFailed as exc:
        raise exc.error from exc.error.__cause__
    return {
        "etag": etag,
        "size": stamp.size,
        "checksum": hasher.hexdigest(stamp.size),
        "attempts": attempts,
    }

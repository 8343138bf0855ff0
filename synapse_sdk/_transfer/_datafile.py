"""``POST data_files/``: a local file as a data file, directly (multipart) or after a chunked
upload, with the server's checksum checked against the local MD5.

A file that changes while it is sent directly (shrinks, grows, is rewritten) raises
:class:`IntegrityError` naming it: a change seen while reading cuts the request body short, so
the server never gets a complete, torn file; a change seen only after the answer names the data
file that was created from the bytes read before it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synapse_sdk._exceptions import IntegrityError, ResponseValidationError
from synapse_sdk._http import Multipart, Session, Timeout
from synapse_sdk._progress import ProgressLike, reporter
from synapse_sdk._transfer._chunked import DEFAULT_CHUNK_SIZE, ChunkedUploader
from synapse_sdk._transfer._hashing import FileChangedError, IncrementalMD5, md5_or_none
from synapse_sdk._transfer._paths import check_upload_path, stamp_of
from synapse_sdk._transfer._stream import ChunkSource

__all__ = ["CHUNKED_THRESHOLD", "create_data_file"]

#: Above this size the typed API switches to chunked upload (the real client's threshold).
CHUNKED_THRESHOLD = 50 * 1024 * 1024


def create_data_file(
    session: Session,
    file_path: object,
    *,
    data_files_path: str,
    chunked: bool | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: ProgressLike = None,
    timeout: Timeout | None = None,
    deadline: float | None = None,
) -> dict[str, Any]:
    """Create a data file from a local file and return the server's JSON.

    Args:
        session: The client's session.
        file_path: The local file.
        data_files_path: The ``data_files/`` collection path (declared once, in resources).
        chunked: ``True`` = chunked upload then ``{"chunked_upload": id}``; ``False`` = one
            multipart POST; ``None`` = chunked above :data:`CHUNKED_THRESHOLD`.
        chunk_size: Bytes per chunk for chunked uploads.
        progress: ``True`` for a bar, or a ``(sent, total)`` callback.
        timeout: Timeouts per request.
        deadline: Wall-clock seconds for a chunked upload (None: no limit of its own).

    Returns:
        The data file JSON (``id``, ``checksum``, ``size`` ...).

    Raises:
        OSError: The file cannot be uploaded (before any request).
        IntegrityError: The server's checksum differs from the local MD5, or the file changed
            while it was uploaded.
        ResponseValidationError: The answer has no ``checksum``.
    """
    path = check_upload_path(file_path)
    size = path.stat().st_size
    if chunked is None:
        chunked = size > CHUNKED_THRESHOLD
    if chunked:
        upload = ChunkedUploader(
            session, chunk_size=chunk_size, progress=progress, timeout=timeout, deadline=deadline
        ).upload(path)
        checksum = str(upload.get("checksum") or "")
        answer = session.request(
            "POST", data_files_path, json={"chunked_upload": upload["id"]}, timeout=timeout
        ).json()
    else:
        checksum, answer = _direct(session, path, size, data_files_path, progress, timeout)
    if not isinstance(answer, dict) or not isinstance(answer.get("checksum"), str):
        raise ResponseValidationError(
            f"data_files/ answered without a checksum: {answer!r}"[:300], response=answer
        )
    theirs = md5_or_none(answer["checksum"])  # a non-MD5 checksum cannot be compared
    if checksum and theirs is not None and theirs != checksum.lower():
        raise IntegrityError(
            f"data file {answer.get('id')} has checksum {answer['checksum']}, the local file "
            f"{str(path)!r} has MD5 {checksum}",
            response=answer,
        )
    return answer


def _direct(
    session: Session,
    path: Path,
    size: int,
    data_files_path: str,
    progress: ProgressLike,
    timeout: Timeout | None,
) -> tuple[str, Any]:
    """One multipart POST, streamed from disk; the MD5 is computed from the bytes sent."""
    hasher = IncrementalMD5(path)
    stamp = stamp_of(path)
    report = reporter(progress, size, path.name, "B")
    try:
        source = ChunkSource(
            path, 0, size, hasher, overlap=False, on_sent=report.update, stamp=stamp
        )
        body = Multipart(files=[("file", path.name, (source, size), None)])
        answer = session.request("POST", data_files_path, body=body, timeout=timeout).json()
        checksum = hasher.hexdigest(size)
    except FileChangedError as exc:
        raise IntegrityError(
            f"{str(path)!r} changed on disk while it was being uploaded ({exc}); the data file "
            "was not created (the request was cut short): upload it again once it is stable"
        ) from exc
    finally:
        report.close()
    if stamp_of(path) != stamp:
        created = answer.get("id") if isinstance(answer, dict) else None
        raise IntegrityError(
            f"{str(path)!r} changed on disk right after it was uploaded: data file {created} "
            "holds the bytes read before the change, which may not be what you want; delete "
            "it and upload the file again once it is stable",
            response=answer,
        )
    return checksum, answer

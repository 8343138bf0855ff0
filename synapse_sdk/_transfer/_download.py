"""Downloads of file URLs to disk: streamed, resumable, bounded, never outside the target folder.

* Streamed in 1 MiB blocks to ``<name>.part`` next to the target, renamed into place only when
  complete and verified (size, and MD5 when the caller knows it).
* A ``.part`` left by an interrupted run (or a connection dropped mid-body) is continued with
  ``Range: bytes=<size>-``; a server that ignores the range (200) restarts the file, a 416 or a
  mismatched ``Content-Range`` restarts it too, and a resumed file whose MD5 is wrong is fetched
  once more from byte 0.
* File URLs get no auth headers (:meth:`Session.download`), on any host.
* Names from the server are reduced to a safe base name (:func:`safe_name`); an existing file is
  never replaced unless ``overwrite=True``.
* ``max_bytes`` bounds the size (checked against ``Content-Length`` before reading, and while
  reading) and ``deadline`` the wall-clock time of the whole download, retries included.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import attrs

from synapse_sdk._exceptions import (
    DeadlineExceededError,
    HTTPError,
    IntegrityError,
    ResponseError,
    TransportError,
)
from synapse_sdk._http import Session, StreamedResponse, Timeout, redact_url
from synapse_sdk._progress import ProgressLike, Reporter, reporter
from synapse_sdk._transfer._hashing import file_md5, md5_or_none
from synapse_sdk._transfer._paths import name_from_url, safe_name

__all__ = ["DownloadItem", "download_file", "download_files", "resolve_target"]

_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")
_BLOCK = 1024 * 1024


def resolve_target(
    dest: str | os.PathLike[str], url: str, *, name: str | None = None, into_dir: bool = False
) -> Path:
    """Where a download of ``url`` goes.

    Args:
        dest: A directory (an existing one, or a path ending with ``/``; the file keeps a safe
            version of ``name`` or the URL's last segment) or a file path.
        url: The file URL.
        name: A preferred name (e.g. the original file name the server reports).
        into_dir: Treat ``dest`` as a directory even if it does not exist yet (it is created).

    Returns:
        The target file path.

    Raises:
        TypeError: ``dest`` is not a path.
    """
    if isinstance(dest, bytes) or not isinstance(dest, str | os.PathLike):
        raise TypeError(f"dest must be a str or Path, got {type(dest).__name__}")
    text = os.fspath(dest)
    path = Path(text)
    if into_dir or path.is_dir() or str(text).endswith(("/", os.sep)):
        return path / safe_name(name or name_from_url(url))
    return path


def _check(name: str, value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise TypeError(f"{name} must be a number or None, got {type(value).__name__}")
    if value is not None and value <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")


def download_file(
    session: Session,
    url: str,
    target: Path,
    *,
    overwrite: bool = False,
    max_bytes: int | None = None,
    deadline: float | None = None,
    md5: str | None = None,
    size: int | None = None,
    progress: ProgressLike = None,
    resume: bool = True,
    max_attempts: int = 5,
) -> Path:
    """Download ``url`` to ``target`` (see the module docstring) and return ``target``.

    Args:
        session: The client's session (its pool; no auth headers are sent).
        url: The file URL (absolute, or relative to the API root).
        target: The file to write (see :func:`resolve_target`); parents are created.
        overwrite: Replace an existing ``target``.
        max_bytes: Refuse files larger than this.
        deadline: Seconds for the whole download, retries included.
        md5: Expected hex MD5; a mismatch raises :class:`IntegrityError` (a checksum that is
            not MD5-shaped, such as a SHA-1 from a presigned upload, is not checked).
        size: Expected size in bytes (checked, and against ``max_bytes`` before any request).
        progress: ``True`` for a bar, or a ``(done, total)`` callback.
        resume: Continue a ``.part`` file left by an earlier attempt.
        max_attempts: Attempts when the connection drops mid-body.

    Raises:
        FileExistsError: ``target`` exists and ``overwrite`` is False (before any request).
        ResponseError: The file is larger than ``max_bytes``.
        DeadlineExceededError: ``deadline`` passed.
        IntegrityError: Size or MD5 differ from what was expected.
        HTTPError, TransportError: The download failed.
    """
    _check("max_bytes", max_bytes)
    _check("deadline", deadline)
    safe_url = redact_url(url)
    md5 = md5_or_none(md5)
    if target.exists() and not overwrite:
        raise FileExistsError(f"{str(target)!r} exists; pass overwrite=True to replace it")
    if max_bytes is not None and size is not None and size > max_bytes:
        raise ResponseError(
            f"the file has {size} bytes, more than max_bytes={max_bytes}", url=safe_url
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    if not resume:
        part.unlink(missing_ok=True)
    deadline_at = None if deadline is None else session.clock() + deadline
    report = reporter(progress, size or 0, target.name, "B")
    try:
        fresh_retry = True
        attempt = 0
        while True:
            attempt += 1
            resumed = part.exists() and part.stat().st_size > 0
            try:
                done = _fetch(session, url, part, deadline_at, max_bytes, report)
            except (TransportError, _Again) as exc:
                if isinstance(exc, DeadlineExceededError) or attempt >= max_attempts:
                    if isinstance(exc, _Again):
                        raise exc.error from None
                    raise
                if isinstance(exc, TransportError):
                    pause = session.retry.backoff(attempt - 1)
                    session.sleep(min(pause, _left(session, deadline_at)))
                continue
            if size is not None and done != size:
                part.unlink(missing_ok=True)
                raise IntegrityError(f"downloaded {done} bytes, expected {size}", url=safe_url)
            if md5 is not None and file_md5(part) != md5.lower():
                part.unlink(missing_ok=True)
                if resumed and fresh_retry:
                    fresh_retry = False  # a stale .part from another version: start over once
                    continue
                raise IntegrityError(f"the downloaded file's MD5 differs from {md5}", url=safe_url)
            break
        if target.exists() and not overwrite:
            raise FileExistsError(f"{str(target)!r} appeared during the download; not replaced")
        os.replace(part, target)
        return target
    finally:
        report.close()


class _Again(Exception):
    """Internal: fetch again (from the ``.part`` size, or from byte 0 when it was discarded)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _left(session: Session, deadline_at: float | None) -> float:
    return 3600.0 if deadline_at is None else max(0.0, deadline_at - session.clock())


def _fetch(
    session: Session,
    url: str,
    part: Path,
    deadline_at: float | None,
    max_bytes: int | None,
    report: Reporter,
) -> int:
    """One GET (ranged when ``part`` has bytes); return the ``.part`` size when complete."""
    safe_url = redact_url(url)
    offset = part.stat().st_size if part.exists() else 0
    timeout = Timeout(
        connect=session.timeout.connect,
        read=session.timeout.read,
        deadline=None if deadline_at is None else max(0.001, deadline_at - session.clock()),
    )
    if deadline_at is not None and session.clock() >= deadline_at:
        raise DeadlineExceededError("the download's deadline passed", url=safe_url)
    headers = {"Range": f"bytes={offset}-"} if offset else None
    try:
        response = session.download(url, timeout=timeout, headers=headers)
    except HTTPError as exc:
        if exc.status_code == 416 and offset:
            part.unlink(missing_ok=True)  # our .part is not a prefix of this file
            raise _Again(exc) from exc
        raise
    with response:
        total, offset = _plan(response, part, offset)
        if max_bytes is not None and total is not None and total > max_bytes:
            part.unlink(missing_ok=True)
            raise ResponseError(
                f"the file has {total} bytes, more than max_bytes={max_bytes}", url=safe_url
            )
        written = _write(response, part, offset, max_bytes, report, safe_url)
    if total is not None and written != total:
        raise _Again(IntegrityError(f"got {written} of {total} bytes", url=safe_url))
    return written


def _plan(response: StreamedResponse, part: Path, offset: int) -> tuple[int | None, int]:
    """The file's total size and where this response starts (0 unless a valid 206)."""
    if response.status == 206 and offset:
        match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
        if match is None or int(match.group(1)) != offset:
            part.unlink(missing_ok=True)
            raise _Again(IntegrityError("the server answered another range", url=response.url))
        return (None if match.group(3) == "*" else int(match.group(3))), offset
    length = response.headers.get("Content-Length")
    return (int(length) if length and length.isdigit() else None), 0


def _write(
    response: StreamedResponse,
    part: Path,
    offset: int,
    max_bytes: int | None,
    report: Reporter,
    url: str,
) -> int:
    written = offset
    with part.open("ab" if offset else "wb") as out:
        for block in response.iter_content(_BLOCK):
            written += len(block)
            if max_bytes is not None and written > max_bytes:
                out.close()
                part.unlink(missing_ok=True)
                raise ResponseError(f"the file is larger than max_bytes={max_bytes}", url=url)
            out.write(block)
            report.update(written)
    return written


@attrs.frozen
class DownloadItem:
    """One file of a multi-file download.

    Attributes:
        key: What the caller calls it (a data unit's spec name); the result's key.
        url: The file URL.
        name: The preferred local name (``file_name_original``), made safe.
        md5: Expected checksum (ignored unless it looks like an MD5).
        size: Expected size in bytes.
    """

    key: str
    url: str
    name: str | None = None
    md5: str | None = None
    size: int | None = None


def download_files(
    session: Session,
    items: list[DownloadItem],
    dest_dir: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    max_bytes: int | None = None,
    deadline: float | None = None,
    progress: ProgressLike = None,
    desc: str = "download",
) -> dict[str, Path]:
    """Download several files into one directory, one after the other (see :func:`download_file`).

    Every target name is decided, and checked not to exist (unless ``overwrite``), before the
    first request. A second file with the same safe name is prefixed with its key.

    Returns:
        Key -> downloaded path.

    Raises:
        FileExistsError: A target exists and ``overwrite`` is False (before any request).
    """
    base = Path(dest_dir)
    plan: list[tuple[DownloadItem, Path]] = []
    taken: set[str] = set()
    for item in items:
        target = resolve_target(base, item.url, name=item.name, into_dir=True)
        if target.name in taken:
            target = base / safe_name(f"{item.key}_{target.name}")
        taken.add(target.name)
        if target.exists() and not overwrite:
            raise FileExistsError(f"{str(target)!r} exists; pass overwrite=True to replace it")
        plan.append((item, target))
    deadline_at = None if deadline is None else session.clock() + deadline
    report = reporter(progress, sum(item.size or 0 for item in items), desc, "B")
    done: dict[str, Path] = {}
    sent = 0
    try:
        for item, target in plan:
            left = None if deadline_at is None else max(0.001, deadline_at - session.clock())
            done[item.key] = download_file(
                session,
                item.url,
                target,
                overwrite=overwrite,
                max_bytes=max_bytes,
                deadline=left,
                md5=md5_or_none(item.md5),
                size=item.size,
                progress=_shifted(report, sent),
            )
            sent += target.stat().st_size
    finally:
        report.close()
    return done


def _shifted(report: Reporter, start: int) -> Callable[[int, int], None]:
    """A ``(done, total)`` callback reporting ``start + done`` to ``report``."""

    def update(done: int, _total: int) -> None:
        report.update(start + done)

    return update

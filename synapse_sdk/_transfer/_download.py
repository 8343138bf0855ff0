"""Downloads of file URLs to disk: streamed, resumable, bounded, never outside the target folder.

* Streamed in 1 MiB blocks to ``<name>.part`` next to the target, renamed into place only when
  complete and verified (size, and MD5 when the caller knows it). The bytes stored are the bytes
  the server sent: a ``Content-Encoding`` (an object stored gzip-compressed) is not undone, so
  sizes and checksums are those of the stored object.
* A ``.part`` is resumed (``Range: bytes=<size>-`` with ``If-Range``) only when its sidecar
  ``<name>.part.json`` shows it belongs to the same object (see :mod:`._partial`): a ``.part``
  of another object, of unknown origin, or one whose object changed (``If-Range`` answered 200,
  another ``ETag`` or total in a 206) starts again at byte 0. A resumed file whose MD5 is wrong
  is fetched once more from byte 0.
* Nothing at the destination is followed: ``.part``, sidecar and target links are replaced,
  never written through; a directory in the way is refused before any request.
* File URLs get no auth headers (:meth:`Session.download`), on any host; a URL that is not
  http(s) (``javascript:``, ``file:``, ``//host``) or carries whitespace or control characters
  is refused with :class:`OriginError` before any request.
* Names from the server are reduced to a safe base name (:func:`safe_name`); an existing file is
  never replaced unless ``overwrite=True``.
* ``max_bytes`` bounds the size (checked against ``Content-Length`` before reading, and while
  reading) and ``deadline`` the wall-clock time of the whole download, retries included.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import attrs

from synapse_sdk._exceptions import OriginError, ResponseError
from synapse_sdk._http import Session, redact_url
from synapse_sdk._http._urls import MAX_URL_LENGTH, is_absolute, join_url, parse_server_url
from synapse_sdk._progress import ProgressLike, Reporter, reporter
from synapse_sdk._transfer._fetch import Run
from synapse_sdk._transfer._hashing import md5_or_none
from synapse_sdk._transfer._partial import Folder, Identity
from synapse_sdk._transfer._paths import name_from_url, safe_name

__all__ = [
    "DownloadItem",
    "check_file_url",
    "download_file",
    "download_files",
    "resolve_target",
]

_BAD_URL = re.compile(r"[\x00-\x20\x7f-\x9f\\]")
#: Names a download writes beside its target (the ``.part``, its sidecar and the sidecar's
#: temporary file): two targets of one download never share any of them.
AUX_SUFFIXES = (".part", ".part.json", ".part.json.tmp")


def resolve_target(
    dest: str | os.PathLike[str], url: str, *, name: str | None = None, into_dir: bool = False
) -> Path:
    """Where a download of ``url`` goes.

    Args:
        dest: A directory (an existing one, or a path ending with ``/``; the file keeps a safe
            version of ``name``, else of the URL's last segment; a name ending like the files a
            download keeps beside its target, ``.part`` or ``.part.json``, gets a ``_``
            appended) or a file path.
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
        from_url = safe_name(name_from_url(url))
        chosen = safe_name(name, fallback=from_url) if name else from_url
        if chosen.endswith(AUX_SUFFIXES):
            chosen += "_"  # never a name a download uses for its own files beside a target
        return path / chosen
    return path


def check_file_url(session: Session, url: object, *, what: str = "the file URL") -> str:
    """The absolute URL to download ``url`` from, or :class:`OriginError` before any request.

    An absolute URL must pass the session's strict server-URL parser (http(s), a plain host,
    no userinfo, whitespace, control characters or backslash); a relative one is an API path
    (joined to the base URL) and must have no scheme (``javascript:``, ``file:``, ``data:``)
    and no host (``//host/x``).

    Raises:
        TypeError: ``url`` is not a string.
        ValueError: ``url`` is empty.
        OriginError: The URL is refused (nothing is requested).
    """
    if not isinstance(url, str):
        raise TypeError(f"{what} must be a string, got {type(url).__name__}")
    if not url:
        raise ValueError(f"{what} is empty")

    def refuse(reason: str) -> OriginError:
        shown = repr(redact_url(url) if len(url) <= 300 else url[:300] + "...")
        return OriginError(f"refusing {what} {shown}: {reason}; nothing was requested")

    if len(url) > MAX_URL_LENGTH:
        raise refuse(f"it is longer than {MAX_URL_LENGTH} characters")
    if _BAD_URL.search(url):
        raise refuse("it contains whitespace, control characters or a backslash")
    if is_absolute(url):
        try:
            return parse_server_url(url).url
        except ValueError as exc:
            raise refuse(str(exc)) from None
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise refuse(str(exc)) from None
    if parts.scheme or parts.netloc or url.startswith("//"):
        raise refuse("only http(s) URLs and API paths are downloaded")
    try:
        return join_url(session.base_url, url)
    except ValueError as exc:
        raise refuse(str(exc)) from None


def _check(name: str, value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise TypeError(f"{name} must be a number or None, got {type(value).__name__}")
    if value is not None and value <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")


def _check_target(target: Path, overwrite: bool) -> None:
    """Refuse an existing target (a link counts, even a dangling one) unless ``overwrite``; a
    directory is refused always."""
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return
    except OSError:
        return  # e.g. a parent that is a file: mkdir reports it
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(
            errno.EISDIR, "a directory is in the way of the download", str(target)
        )
    if not overwrite:
        raise FileExistsError(f"{str(target)!r} exists; pass overwrite=True to replace it")


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
        overwrite: Replace an existing ``target`` (a link there is replaced, not followed).
        max_bytes: Refuse files larger than this.
        deadline: Seconds for the whole download, retries included.
        md5: Expected hex MD5; a mismatch raises :class:`IntegrityError` (a checksum that is
            not MD5-shaped, such as a SHA-1 from a presigned upload, is not checked, but a
            ``.part`` is resumed only for the same checksum). With an MD5, the MD5 is what
            identifies the object: a ``.part`` of it is resumed even from a new URL.
        size: Expected size in bytes (checked, and against ``max_bytes`` before any request).
            Without ``md5`` and ``size`` nothing can be verified: the file is what the server
            sent, complete by its ``Content-Length``/``Content-Range``.
        progress: ``True`` for a bar, or a ``(done, total)`` callback.
        resume: Continue a ``.part`` file left by an earlier attempt of the same object.
        max_attempts: Attempts when the connection drops mid-body.

    Raises:
        TypeError, ValueError: Bad arguments (before any request).
        OriginError: The URL is refused (before any request).
        FileExistsError: ``target`` exists and ``overwrite`` is False (before any request).
        IsADirectoryError: A directory is where the target, ``.part`` or sidecar goes.
        ResponseError: The file is larger than ``max_bytes``, or the server's answer is not a
            usable one (a partial answer to a request for the whole file, more bytes than
            announced).
        DeadlineExceededError: ``deadline`` passed.
        IntegrityError: Size or MD5 differ from what was expected.
        HTTPError, TransportError: The download failed.
        OSError: The ``.part`` was replaced by something else during the download.
    """
    _check("max_bytes", max_bytes)
    _check("deadline", deadline)
    if size is not None and (type(size) is not int or size < 0):
        raise ValueError(f"size must be an int >= 0 or None, got {size!r}")
    full_url = check_file_url(session, url)
    safe_url = redact_url(full_url)
    verified = md5_or_none(md5)
    other = md5.lower() if isinstance(md5, str) and md5 and verified is None else None
    _check_target(target, overwrite)
    if max_bytes is not None and size is not None and size > max_bytes:
        raise ResponseError(
            f"the file has {size} bytes, more than max_bytes={max_bytes}", url=safe_url
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    parsed = parse_server_url(full_url)
    key = f"{parsed.scheme}://{parsed.host}:{parsed.port}{parsed.target.split('?', 1)[0]}"
    ident = Identity(key, size, verified, other)
    folder = Folder(target.parent)
    report = reporter(progress, size or 0, target.name, "B")
    try:
        run = Run(session, full_url, ident, folder, target.name, report)
        run.max_bytes, run.max_attempts, run.overwrite = max_bytes, max_attempts, overwrite
        run.deadline_at = None if deadline is None else session.clock() + deadline
        run.go(resume)
        return target
    finally:
        report.close()
        folder.close()


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

    Every URL is checked, and every target name decided and checked not to exist (unless
    ``overwrite``), before the first request. A second file with the same safe name (or whose
    name is another's ``.part``/sidecar) is prefixed with its key.

    Returns:
        Key -> downloaded path.

    Raises:
        OriginError: A URL is refused (before any request).
        FileExistsError: A target exists and ``overwrite`` is False (before any request).
    """
    base = Path(dest_dir)
    plan: list[tuple[DownloadItem, Path]] = []
    taken: set[str] = set()
    for item in items:
        check_file_url(session, item.url, what=f"the URL of {item.key!r}")
        target = resolve_target(base, item.url, name=item.name, into_dir=True)
        name, n = target.name, 1
        while {name, *(name + s for s in AUX_SUFFIXES)} & taken:
            prefix = item.key if n == 1 else f"{item.key}_{n}"
            name, n = safe_name(f"{prefix}_{target.name}"), n + 1
        target = base / name
        taken.update({name, *(name + s for s in AUX_SUFFIXES)})
        _check_target(target, overwrite)
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
                md5=item.md5,
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

"""Local file checks for uploads and safe local names for downloads.

Every check here runs before any request, so a missing, unreadable or special file fails with a
plain ``OSError`` subclass that names the path, and the server never sees a half-started upload.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urlsplit

import attrs

__all__ = ["FileStamp", "check_upload_path", "safe_name", "stamp_of"]

#: File names longer than this (in UTF-8 bytes) are shortened; most file systems cap at 255.
MAX_NAME_BYTES = 240


@attrs.frozen
class FileStamp:
    """What identifies a file's content cheaply: size and modification time (ns)."""

    size: int
    mtime_ns: int


def stamp_of(path: Path) -> FileStamp:
    """The current :class:`FileStamp` of ``path``."""
    st = path.stat()
    return FileStamp(st.st_size, st.st_mtime_ns)


def check_upload_path(file_path: object) -> Path:
    """Validate a local file to upload: it must exist, be a regular file and be readable.

    The file is opened once (and closed) to prove it is readable: ``os.access`` answers for the
    real uid and says yes to root for any file, an ``open`` tells the truth.

    Args:
        file_path: A ``str`` or ``os.PathLike`` naming the file.

    Returns:
        The path as a :class:`~pathlib.Path`.

    Raises:
        TypeError: ``file_path`` is not a ``str``/``os.PathLike``.
        ValueError: The path is empty or contains a NUL byte.
        FileNotFoundError: Nothing exists at the path.
        IsADirectoryError: The path is a directory.
        PermissionError: The file cannot be read.
        OSError: The path is not a regular file (a FIFO, a device, a socket).
    """
    if isinstance(file_path, bytes) or not isinstance(file_path, str | os.PathLike):
        raise TypeError(f"file path must be a str or Path, got {type(file_path).__name__}")
    text = os.fspath(file_path)
    if not isinstance(text, str) or not text or "\x00" in text:
        raise ValueError(f"file path must be a non-empty string without NUL bytes: {text!r}")
    path = Path(text)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise FileNotFoundError(f"no such file to upload: {text!r}") from None
    except PermissionError:
        raise PermissionError(f"cannot reach the file to upload: {text!r}") from None
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(f"cannot upload a directory: {text!r} (upload its files)")
    if not stat.S_ISREG(st.st_mode):
        raise OSError(f"not a regular file (a pipe, device or socket?): {text!r}")
    try:
        with path.open("rb"):
            pass
    except PermissionError:
        raise PermissionError(f"file is not readable: {text!r} (check its permissions)") from None
    return path


def safe_name(name: str | None, *, fallback: str = "download") -> str:
    """A local file name that cannot leave its directory.

    Keeps only the last path segment (``/`` and ``\\`` both separate), drops control characters,
    refuses ``.``/``..``, strips leading dots and spaces (no hidden or dot-dot names) and trims
    the name to :data:`MAX_NAME_BYTES` bytes, keeping the extension.

    Args:
        name: A server-supplied name (``file_name_original``) or a URL path segment.
        fallback: The name used when nothing safe is left.

    Returns:
        A non-empty base name.
    """
    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(c for c in text if c.isprintable() and c not in "\x00:")
    text = text.strip().lstrip(". ")
    if text in ("", ".", ".."):
        return fallback
    if len(text.encode("utf-8")) > MAX_NAME_BYTES:
        stem, dot, ext = text.rpartition(".")
        if not dot or len(ext) > 16:
            stem, ext = text, ""
        keep = MAX_NAME_BYTES - len(ext.encode("utf-8")) - 1
        stem = stem.encode("utf-8")[:keep].decode("utf-8", "ignore")
        text = f"{stem}.{ext}" if ext else stem
    return text


def name_from_url(url: str) -> str:
    """The decoded last path segment of ``url`` (may be unsafe: pass it to :func:`safe_name`)."""
    return unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])

"""The ``.part`` file of a download and its sidecar: never through a link, resumed only when
they provably belong to the object being downloaded.

* Every file operation is relative to the target's folder (one descriptor, opened once: the
  folder itself may be a symlink, that is the caller's choice) and never follows a link at the
  leaf: the ``.part`` is opened with ``O_NOFOLLOW`` and written only through that descriptor, a
  fresh one is created with ``O_EXCL``, and a symlink, FIFO, device or hard-linked file in its
  place is unlinked (the name, never what it points to). A directory in its place is refused.
* The sidecar ``<name>.part.json`` records what the bytes are: the URL without its query
  (presigned signatures change per request), the expected size and checksum, and the first
  answer's strong ``ETag`` / ``Last-Modified`` and total size. It is written atomically (a
  temporary file renamed over it) before the first body byte, read with a size cap, and any
  doubt (missing, malformed, too large, a link) means "start again at byte 0".
* Renaming into place checks that the ``.part`` name still holds the file written, and that the
  target holds it afterwards: a file swapped in by someone else is never published.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs

__all__ = ["Folder", "Identity", "PartFile", "PartReplacedError", "Sidecar", "url_key"]

#: A sidecar larger than this is not read (it is not one of ours).
SIDECAR_MAX = 16 * 1024
_VERSION = 1
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_DIR_FD = {os.open, os.stat, os.unlink, os.rename} <= os.supports_dir_fd and bool(_DIRECTORY)
_DEFAULT_PORTS = {"http": 80, "https": 443}


class PartReplacedError(OSError):
    """The ``.part`` name no longer holds the file the download wrote (a link or another file
    was put in its place): nothing was renamed into place."""


def url_key(url: str) -> str:
    """``scheme://host:port/path`` of an absolute URL: its query and fragment dropped."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}{parts.path or '/'}"


@attrs.frozen
class Identity:
    """What the caller says the object is: where it lives, its size and its checksum."""

    url: str
    size: int | None
    md5: str | None  # a verifiable MD5 (lower case): then it decides, the URL may move
    checksum: str | None  # another checksum (a SHA-1): part of the identity, not verifiable


@attrs.frozen
class Sidecar:
    """The sidecar's content: the identity the ``.part`` was started for and the server's
    validators from the first answer."""

    url: str
    size: int | None
    md5: str | None
    checksum: str | None
    etag: str | None = None
    last_modified: str | None = None
    total: int | None = None

    @classmethod
    def start(cls, ident: Identity) -> Sidecar:
        return cls(ident.url, ident.size, ident.md5, ident.checksum)

    def validator(self) -> str | None:
        """The ``If-Range`` value: the strong ETag, else ``Last-Modified``."""
        return self.etag or self.last_modified

    def matches(self, ident: Identity) -> bool:
        """Whether a ``.part`` started for this sidecar may continue as ``ident``'s bytes.

        When both know an MD5, the MD5 decides (the URL may have moved; the final MD5 check
        protects the result). Otherwise the URL (scheme, host, port, path), the other checksum
        and a validator for ``If-Range`` must all be there and agree: a ``.part`` of unknown
        provenance is never continued. Known sizes must agree in both cases.
        """
        known = self.size if self.size is not None else self.total
        if ident.size is not None and known is not None and known != ident.size:
            return False
        if ident.md5 is not None and self.md5 is not None:
            return self.md5 == ident.md5
        return (
            self.url == ident.url
            and self.checksum == ident.checksum
            and self.validator() is not None
        )

    def to_json(self) -> bytes:
        return json.dumps({"v": _VERSION, **attrs.asdict(self)}).encode()

    @classmethod
    def parse(cls, data: bytes) -> Sidecar | None:
        """The sidecar in ``data``, or None when it is not a well-formed one of ours."""
        try:
            raw = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return None
        if not isinstance(raw, dict) or raw.get("v") != _VERSION:
            return None
        url = raw.get("url")
        values: dict[str, Any] = {}
        for name in ("md5", "checksum", "etag", "last_modified"):
            value = raw.get(name)
            if value is not None and (not isinstance(value, str) or len(value) > 1024):
                return None
            values[name] = value
        for name in ("size", "total"):
            value = raw.get(name)
            if value is not None and (type(value) is not int or value < 0):
                return None
            values[name] = value
        if not isinstance(url, str):
            return None
        return cls(url=url, **values)


@attrs.define
class PartFile:
    """An open ``.part``: the descriptor every byte goes through, and its size."""

    fd: int
    size: int
    ino: tuple[int, int]

    def truncate(self, size: int) -> None:
        os.ftruncate(self.fd, size)
        os.lseek(self.fd, size, os.SEEK_SET)
        self.size = size

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]
        self.size += len(data)

    def read_blocks(self, block: int) -> Any:
        """Yield the file's bytes from the start (through the descriptor, not the name)."""
        os.lseek(self.fd, 0, os.SEEK_SET)
        try:
            while data := os.read(self.fd, block):
                yield data
        finally:
            os.lseek(self.fd, 0, os.SEEK_END)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class Folder:
    """The target's folder, for operations on names inside it that never follow a leaf link."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDONLY | _DIRECTORY | _CLOEXEC) if _DIR_FD else None

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _name(self, name: str) -> str:
        return name if self._fd is not None else str(self.path / name)

    def lstat(self, name: str) -> os.stat_result | None:
        try:
            return os.stat(self._name(name), dir_fd=self._fd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def open(self, name: str, flags: int) -> int:
        return os.open(self._name(name), flags | _CLOEXEC | _BINARY, 0o666, dir_fd=self._fd)

    def unlink(self, name: str) -> None:
        """Remove ``name`` (a link is removed itself); a directory raises IsADirectoryError."""
        st = self.lstat(name)
        if st is None:
            return
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(
                errno.EISDIR, "a directory is in the way; remove it", str(self.path / name)
            )
        try:
            os.unlink(self._name(name), dir_fd=self._fd)
        except FileNotFoundError:
            pass

    def replace(self, src: str, dst: str) -> None:
        os.replace(self._name(src), self._name(dst), src_dir_fd=self._fd, dst_dir_fd=self._fd)

    def refuse_directory(self, name: str) -> None:
        """Raise IsADirectoryError if ``name`` is a directory (checked before any request)."""
        st = self.lstat(name)
        if st is not None and stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(
                errno.EISDIR,
                "a directory is in the way of the download; remove it",
                str(self.path / name),
            )

    # -- the .part --------------------------------------------------------------------------

    def open_part(self, name: str) -> PartFile | None:
        """The existing ``.part`` for appending, or None when it is not a plain file of ours
        (missing, a link, a FIFO or device, a hard link, unreadable)."""
        try:
            fd = self.open(name, os.O_RDWR | _NOFOLLOW | _NONBLOCK)
        except OSError:
            return None
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
            os.close(fd)
            return None
        _blocking(fd)
        os.lseek(fd, 0, os.SEEK_END)
        return PartFile(fd, st.st_size, (st.st_dev, st.st_ino))

    def fresh_part(self, name: str) -> PartFile:
        """A new empty ``.part``: whatever had the name is unlinked (not followed) first."""
        for _ in range(3):
            self.unlink(name)
            try:
                fd = self.open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW)
            except FileExistsError:
                continue  # someone put something there again: remove it again
            st = os.fstat(fd)
            return PartFile(fd, 0, (st.st_dev, st.st_ino))
        raise FileExistsError(
            errno.EEXIST, "the .part file keeps being recreated", str(self.path / name)
        )

    def publish(self, part: PartFile, part_name: str, target: str, *, overwrite: bool) -> None:
        """Rename ``part_name`` to ``target`` if it is still ``part``'s file.

        Raises:
            OSError: The ``.part`` (or the target, after the rename) is not the file written:
                it was replaced during the download. Nothing of it is published.
            FileExistsError: ``target`` appeared meanwhile and ``overwrite`` is False.
        """
        os.fsync(part.fd)
        self._same(part, part_name, part_name)
        st = self.lstat(target)
        if st is not None and stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(
                errno.EISDIR, "a directory is in the way", str(self.path / target)
            )
        if st is not None and not overwrite:
            raise FileExistsError(
                errno.EEXIST,
                "appeared during the download; not replaced (overwrite=True replaces it)",
                str(self.path / target),
            )
        self.replace(part_name, target)
        try:
            self._same(part, target, part_name)
        except PartReplacedError:
            self.unlink(target)  # not ours: someone swapped it in between the check and rename
            raise

    def _same(self, part: PartFile, name: str, part_name: str) -> None:
        st = self.lstat(name)
        if st is None or (st.st_dev, st.st_ino) != part.ino:
            raise PartReplacedError(
                errno.ESTALE,
                f"{part_name!r} was replaced during the download (a link or another file was "
                "put in its place); nothing was renamed into place",
                str(self.path / part_name),
            )

    # -- the sidecar ------------------------------------------------------------------------

    def read_sidecar(self, name: str) -> Sidecar | None:
        """The sidecar at ``name``: None if absent, not a plain file, too large or malformed."""
        try:
            fd = self.open(name, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size > SIDECAR_MAX:
                return None
            data = os.read(fd, SIDECAR_MAX + 1)
        except OSError:
            return None
        finally:
            os.close(fd)
        return None if len(data) > SIDECAR_MAX else Sidecar.parse(data)

    def write_sidecar(self, name: str, sidecar: Sidecar) -> None:
        """Write the sidecar atomically (a temporary file renamed over ``name``)."""
        tmp = name + ".tmp"
        self.unlink(tmp)
        fd = self.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW)
        try:
            data = sidecar.to_json()
            while data:
                data = data[os.write(fd, data) :]
        finally:
            os.close(fd)
        self.replace(tmp, name)


def _blocking(fd: int) -> None:
    if _NONBLOCK and hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)

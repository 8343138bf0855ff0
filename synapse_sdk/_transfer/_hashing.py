"""MD5 of a file computed once, in order, from the blocks an upload reads anyway.

The chunked upload needs the MD5 of the whole file at the end, and it reads every byte of the
file to send it. :class:`IncrementalMD5` hashes each byte the first time a read covers it, so a
resent chunk (after a lost answer or a 410 restart) is never hashed twice, and a range the upload
skipped (resuming after another process sent it) is read and hashed by :meth:`catch_up`.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

__all__ = ["HASH_BLOCK", "FileChangedError", "IncrementalMD5", "file_md5", "md5_or_none"]

#: Block size for hashing reads (hashlib releases the GIL for buffers over 2 KiB).
HASH_BLOCK = 1024 * 1024


class FileChangedError(ValueError):
    """Internal: the file being uploaded changed (shrank, grew, was rewritten) while it was read.

    A ``ValueError`` so that it passes through the session untouched when it is raised inside a
    request body (the session treats ``ValueError`` as bad input, never as a transport error);
    the upload engine turns it into :class:`~synapse_sdk._exceptions.IntegrityError` naming the
    upload.
    """


class IncrementalMD5:
    """The MD5 of ``path``'s bytes ``[0, position)``, advanced by :meth:`feed`.

    Thread-safe: a reader thread may feed while the uploading thread asks for the position.

    Args:
        path: The file being hashed (read by :meth:`catch_up`).
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._lock = threading.Lock()
        self.position = 0

    def feed(self, start: int, data: bytes | memoryview) -> None:
        """Offer the bytes at ``[start, start + len(data))``; hashes only the new part.

        Blocks that start after :attr:`position` leave a gap; they are ignored and the gap is
        filled later by :meth:`catch_up`.
        """
        end = start + len(data)
        with self._lock:
            if start <= self.position < end:
                self._md5.update(memoryview(data)[self.position - start :])
                self.position = end

    def catch_up(self, to: int) -> None:
        """Read and hash the file from :attr:`position` up to byte ``to``.

        Raises:
            OSError: The file could not be read.
            FileChangedError: It is shorter than ``to`` (truncated during the upload).
        """
        with self._path.open("rb") as fh:
            while self.position < to:
                fh.seek(self.position)
                block = fh.read(min(HASH_BLOCK, to - self.position))
                if not block:
                    raise FileChangedError(f"it ended at byte {self.position}, expected {to}")
                self.feed(self.position, block)

    def hexdigest(self, total: int) -> str:
        """The hex MD5 of the first ``total`` bytes (reading whatever was not hashed yet).

        Raises:
            ValueError: More than ``total`` bytes were already hashed.
        """
        self.catch_up(total)
        with self._lock:
            if self.position != total:
                raise ValueError(f"hashed {self.position} bytes, expected {total}")
            return self._md5.copy().hexdigest()


def file_md5(path: Path, block_size: int = HASH_BLOCK) -> str:
    """The hex MD5 of a whole file, read in blocks (memory stays at one block)."""
    md5 = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        while block := fh.read(block_size):
            md5.update(block)
    return md5.hexdigest()


def md5_or_none(checksum: object) -> str | None:
    """``checksum`` lower-cased when it looks like an MD5 (32 hex digits), else None.

    Data files uploaded through presigned URLs carry a SHA-1 as ``checksum``; comparing it with
    an MD5 would report every such file as corrupt.
    """
    if isinstance(checksum, str) and len(checksum) == 32:
        try:
            int(checksum, 16)
        except ValueError:
            return None
        return checksum.lower()
    return None

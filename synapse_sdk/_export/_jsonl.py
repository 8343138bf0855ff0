"""The export's JSONL files: one canonical line per record, appended in id order, truncated back
to the checkpoint on resume.

A line is ``json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))``
plus ``\\n`` in UTF-8: the same record is always the same bytes, whatever run wrote it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, BinaryIO

__all__ = ["FILE_NAMES", "Outputs", "dumps", "sha256_of"]

#: Family -> file name, in the order they are written.
FILE_NAMES = {
    "tasks": "tasks.jsonl",
    "annotations": "annotations.jsonl",
    "data_units": "data_units.jsonl",
    "files": "files.jsonl",
    "errors": "errors.jsonl",
}
_BLOCK = 1024 * 1024


def dumps(record: Any) -> bytes:
    """The canonical bytes of ``record`` (stable key order, compact, UTF-8)."""
    text = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")


def sha256_of(path: Path) -> tuple[int, str]:
    """``(size, SHA-256 hex)`` of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


class Outputs:
    """The open JSONL files of one export; each written only through :meth:`write`."""

    def __init__(self, root: Path, families: list[str], offsets: dict[str, int]) -> None:
        self.root = root
        self.families = families
        self._files: dict[str, BinaryIO] = {}
        self.offsets: dict[str, int] = {}
        self.lines: dict[str, int] = {}
        for family in families:
            path = root / FILE_NAMES[family]
            start = offsets.get(family, 0)
            fh = path.open("r+b" if path.exists() else "w+b")
            size = fh.seek(0, os.SEEK_END)
            if size < start:
                fh.close()
                raise ValueError(
                    f"{path} holds {size} bytes but the checkpoint says {start}: the export "
                    "folder was changed by something else; export to a new folder"
                )
            fh.truncate(start)  # drop whatever a killed run wrote after its checkpoint
            fh.seek(start)
            self._files[family] = fh
            self.offsets[family] = start

    def write(self, family: str, record: Any) -> None:
        data = dumps(record) + b"\n"
        self._files[family].write(data)
        self.offsets[family] += len(data)

    def sync(self) -> None:
        """Flush and fsync every file (before the checkpoint that names their lengths)."""
        for fh in self._files.values():
            fh.flush()
            os.fsync(fh.fileno())

    def close(self) -> None:
        for fh in self._files.values():
            fh.close()
        self._files.clear()

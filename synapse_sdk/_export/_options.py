"""What an export is asked to do: the options, checked before any I/O, and the export's
identity (the query and the families), which a re-run into the same folder must match."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypedDict

import attrs

from synapse_sdk._progress import ProgressLike, check_progress

__all__ = [
    "FAMILIES",
    "FORMAT_VERSION",
    "ExportMismatchError",
    "ExportOptions",
    "Plan",
    "make_plan",
]

#: What ``include=`` may name: ``tasks`` (tasks.jsonl), ``annotations`` (annotations.jsonl),
#: ``data_units`` (data_units.jsonl, metadata only) and ``files`` (data_units.jsonl, files.jsonl
#: and the files themselves under ``files/``).
FAMILIES = ("tasks", "annotations", "data_units", "files")
#: The layout version written to the manifest; a folder of another version is refused.
FORMAT_VERSION = 1
_MAX_WORKERS = 32


class ExportMismatchError(ValueError):
    """The destination holds something else: another export (another query, other families, another
    layout version) or files that are not an export. Nothing in it was changed."""


class ExportOptions(TypedDict, total=False):
    """Keyword options of ``export()`` (see :func:`synapse_sdk._export.export_tasks`)."""

    include: Iterable[str]
    """Families to export (default ``("tasks", "annotations", "files")``)."""
    format: str
    """Only ``"jsonl"``."""
    progress: ProgressLike
    """``True`` for a bar over tasks (tqdm with the ``progress`` extra), or a callback."""
    max_workers: int
    """Files downloaded at once (1..32, default 4)."""
    max_bytes: int | None
    """Refuse (as a per-file error) any file larger than this."""


@attrs.frozen
class Plan:
    """The checked options of one export."""

    dest: Path
    include: tuple[str, ...]
    progress: ProgressLike
    max_workers: int
    max_bytes: int | None

    @property
    def units(self) -> bool:
        """Whether data units are needed (``data_units`` or ``files``)."""
        return "data_units" in self.include or "files" in self.include

    @property
    def files(self) -> bool:
        return "files" in self.include

    def identity(self, query: Mapping[str, str]) -> dict[str, Any]:
        """What must match for a re-run to continue this export (no run-dependent values)."""
        return {
            "format": "jsonl",
            "version": FORMAT_VERSION,
            "family": "tasks",
            "query": dict(sorted(query.items())),
            "include": list(self.include),
        }


def make_plan(
    dest: object,
    *,
    include: Iterable[str] = ("tasks", "annotations", "files"),
    format: str = "jsonl",
    progress: ProgressLike = None,
    max_workers: int = 4,
    max_bytes: int | None = None,
) -> Plan:
    """Check every option (before any I/O) and return the :class:`Plan`.

    Raises:
        TypeError, ValueError: A bad option, naming it and the valid values.
    """
    if isinstance(dest, bytes) or not isinstance(dest, str | os.PathLike):
        raise TypeError(f"dest must be a str or Path, got {type(dest).__name__}")
    text = os.fspath(dest)
    if not isinstance(text, str) or not text or "\x00" in text:
        raise ValueError(f"dest must be a non-empty path without NUL bytes, got {text!r}")
    if format != "jsonl":
        raise ValueError(f"export format must be 'jsonl' (the only one), got {format!r}")
    if isinstance(include, str | bytes) or not isinstance(include, Iterable):
        raise TypeError(f"include must be a list of family names, got {type(include).__name__}")
    chosen = list(include)
    unknown = [name for name in chosen if name not in FAMILIES]
    if unknown:
        raise ValueError(f"unknown export families {unknown!r}; valid: {', '.join(FAMILIES)}")
    if not chosen:
        raise ValueError(f"include names no family; valid: {', '.join(FAMILIES)}")
    if isinstance(max_workers, bool) or not isinstance(max_workers, int):
        raise TypeError(f"max_workers must be an int, got {type(max_workers).__name__}")
    if not 1 <= max_workers <= _MAX_WORKERS:
        raise ValueError(f"max_workers must be between 1 and {_MAX_WORKERS}, got {max_workers}")
    if max_bytes is not None and (
        isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes <= 0
    ):
        raise ValueError(f"max_bytes must be a positive int or None, got {max_bytes!r}")
    check_progress(progress)
    ordered = tuple(name for name in FAMILIES if name in chosen)
    return Plan(Path(text), ordered, progress, max_workers, max_bytes)

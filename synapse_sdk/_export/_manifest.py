"""``manifest.json``: what the export holds, written last, byte-identical for the same data.

It names the query and the families, the SDK version, the counts, and the size, line count and
SHA-256 of every JSONL file; files.jsonl in turn holds the size and SHA-256 of every downloaded
file, so the manifest's hash of files.jsonl covers the files too. No run time is in it (those are
in the state file).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
from pathlib import Path
from typing import Any

import attrs

from synapse_sdk._export._jsonl import FILE_NAMES, dumps, sha256_of

__all__ = ["MANIFEST_NAME", "ExportResult", "read_manifest", "sdk_version", "write_manifest"]

MANIFEST_NAME = "manifest.json"


def sdk_version() -> str:
    """The installed synapse-sdk version (``unknown`` when run from a source tree only)."""
    try:
        return importlib.metadata.version("synapse-sdk")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


@attrs.frozen
class ExportResult:
    """What an export produced.

    Attributes:
        path: The export folder.
        counts: ``tasks``, ``annotations``, ``data_units``, ``files`` (downloaded), ``errors``
            and ``bytes`` (of the downloaded files).
        manifest: The manifest as written.
        resumed: Whether this run continued an earlier, interrupted one.
    """

    path: Path
    counts: dict[str, int]
    manifest: dict[str, Any]
    resumed: bool = False

    @property
    def errors(self) -> int:
        """How many files failed (listed in errors.jsonl)."""
        return self.counts.get("errors", 0)

    @property
    def ok(self) -> bool:
        """Whether every file was exported."""
        return self.errors == 0

    def error_records(self) -> list[dict[str, Any]]:
        """The lines of errors.jsonl (which file failed, and why)."""
        path = self.path / FILE_NAMES["errors"]
        if not path.exists():
            return []
        with path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh]


def write_manifest(
    root: Path, identity: dict[str, Any], families: list[str], counts: dict[str, int]
) -> dict[str, Any]:
    """Hash the JSONL files and write ``manifest.json`` atomically; return it."""
    files: dict[str, Any] = {}
    for family in families:
        name = FILE_NAMES[family]
        size, digest = sha256_of(root / name)
        lines = counts.get(family, 0)
        files[name] = {"size": size, "sha256": digest, "lines": lines}
    manifest = {
        **identity,
        "sdk_version": sdk_version(),
        "counts": dict(sorted(counts.items())),
        "jsonl": files,
    }
    tmp = root / (MANIFEST_NAME + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(dumps(manifest) + b"\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, root / MANIFEST_NAME)
    return manifest


def read_manifest(root: Path) -> dict[str, Any] | None:
    """The folder's manifest, or None when there is none (or it is not one of ours)."""
    try:
        raw = json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return raw if isinstance(raw, dict) else None

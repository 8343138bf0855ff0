"""A data unit's files in an export: where each goes (``files/<unit id>/<safe name>``), the
unit's line without its (expiring) URLs, and the download of one file with its outcome.

Downloads go through the SDK's safe download (:func:`synapse_sdk._transfer.download_file`):
streamed to a ``.part`` with a sidecar, resumed only for the same object, verified against the
server's size and MD5 where it gives them, published by rename, never outside the folder. A file
whose download fails for a reason that belongs to the file (a 404, a checksum mismatch, a URL the
SDK refuses, a size over ``max_bytes``) becomes an error record; a failure of the connection
itself (refused, reset, timed out) stops the export, which the next run resumes.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from synapse_sdk._exceptions import ClientConnectionError, ClientError, ClientTimeoutError
from synapse_sdk._export._jsonl import sha256_of
from synapse_sdk._http import Session
from synapse_sdk._transfer import download_file, resolve_target, safe_name

__all__ = ["FileOutcome", "FilePlan", "fetch", "plan_unit"]

_AUX = (".part", ".part.json", ".part.json.tmp")


@attrs.frozen
class FilePlan:
    """One file to download: its unit and spec, URL, local path (relative) and what to check."""

    unit: int
    spec: str
    url: object
    path: str
    checksum: str | None
    size: object


@attrs.frozen
class FileOutcome:
    """A downloaded file (``size``, ``sha256``) or why it failed (``error``)."""

    plan: FilePlan
    size: int | None = None
    sha256: str | None = None
    error: dict[str, Any] | None = None

    def record(self) -> dict[str, Any]:
        """The line for files.jsonl (``error`` is None) or errors.jsonl."""
        base = {"data_unit": self.plan.unit, "spec": self.plan.spec, "path": self.plan.path}
        if self.error is not None:
            return {**base, **self.error}
        return {**base, "size": self.size, "sha256": self.sha256, "checksum": self.plan.checksum}


def _entries(files: object) -> list[tuple[str, dict[str, Any]]]:
    """``(spec, entry)`` of a unit's ``files`` (a dict by spec, or a list of entries)."""
    if isinstance(files, Mapping):
        return [(str(k), v) for k, v in files.items() if isinstance(v, dict)]
    if isinstance(files, list):
        out = []
        for i, entry in enumerate(files):
            if isinstance(entry, dict):
                out.append((str(entry.get("spec") or entry.get("name") or i), entry))
        return out
    return []


def plan_unit(unit: dict[str, Any], *, with_files: bool) -> tuple[dict[str, Any], list[FilePlan]]:
    """The unit's export line and its files to download (``with_files``).

    URLs are left out of the line (a presigned URL changes with every answer, the export must
    not); with files, each entry gets the local ``path`` instead.
    """
    unit_id = unit["id"]
    line = {k: v for k, v in unit.items() if k != "files"}
    files: dict[str, Any] = {}
    plans: list[FilePlan] = []
    taken: set[str] = set()
    for spec, entry in _entries(unit.get("files")):
        item = {k: v for k, v in entry.items() if k != "url"}
        url = entry.get("url")
        if with_files and url:
            name = _name(url, entry.get("file_name_original") or entry.get("name"), spec, taken)
            item["path"] = f"files/{unit_id}/{name}"
            checksum = entry.get("checksum")
            plans.append(
                FilePlan(
                    unit_id,
                    spec,
                    url,
                    item["path"],
                    checksum if isinstance(checksum, str) else None,
                    entry.get("size"),
                )
            )
        files[spec] = item
    line["files"] = files
    return line, plans


def _name(url: object, original: object, spec: str, taken: set[str]) -> str:
    """A safe local name, unique within the unit (a clash is prefixed with the spec name)."""
    text = url if isinstance(url, str) else ""
    preferred = original if isinstance(original, str) else None
    try:
        name = resolve_target("x/", text, name=preferred, into_dir=True).name
    except (TypeError, ValueError):
        name = safe_name(preferred, fallback=spec)
    chosen, n = name, 1
    while {chosen, *(chosen + s for s in _AUX)} & taken:
        chosen, n = safe_name(f"{spec if n == 1 else f'{spec}_{n}'}_{name}"), n + 1
    taken.update({chosen, *(chosen + s for s in _AUX)})
    return chosen


def _published(target: Path, size: object) -> bool:
    """Whether ``target`` is a file an earlier run published (a download publishes only
    verified files): a regular file of the expected size, when the size is known."""
    try:
        st = os.lstat(target)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode):
        return False
    return not (type(size) is int and st.st_size != size)


def _error(exc: BaseException) -> dict[str, Any]:
    status = getattr(exc, "status_code", None)
    return {"error": type(exc).__name__, "message": str(exc)[:2000], "status": status}


def fetch(session: Session, root: Path, plan: FilePlan, max_bytes: int | None) -> FileOutcome:
    """Download one file into ``root`` (or find it there, complete) and hash it.

    Raises:
        ClientConnectionError, ClientTimeoutError: The connection failed (the export stops).
        OSError: A local file error (a full disk ...).
    """
    target = root / plan.path
    size = plan.size
    if size is not None and (type(size) is not int or size < 0):
        return FileOutcome(
            plan,
            error={
                "error": "ResponseValidationError",
                "message": f"the server's size of the file is not a size: {size!r:.80}",
                "status": None,
            },
        )
    try:
        if not _published(target, size):
            if not isinstance(plan.url, str):
                raise TypeError(f"the file URL is not a string: {type(plan.url).__name__}")
            download_file(
                session,
                plan.url,
                target,
                overwrite=True,
                md5=plan.checksum,
                size=size,
                max_bytes=max_bytes,
            )
    except (ClientConnectionError, ClientTimeoutError):
        raise
    except (ClientError, TypeError, ValueError) as exc:
        return FileOutcome(plan, error=_error(exc))
    got, digest = sha256_of(target)
    return FileOutcome(plan, size=got, sha256=digest)

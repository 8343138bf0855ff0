"""The first phase of a collection upload: each input item checked against the collection's
file specifications and the local files, before any request."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, Union

from synapse_sdk._transfer._paths import check_upload_path
from synapse_sdk._transfer._report import FileResult

__all__ = ["Item", "SpecLike", "UploadInput", "parse_item", "unit_body"]

#: One item of ``collection.upload()``: a bare path (the primary spec's file), a
#: ``{spec name: path}`` dict, or ``{"files": {spec name: path}, "meta": {...}, "groups": [...]}``.
UploadInput = Union[str, "os.PathLike[str]", Mapping[str, Any]]


class SpecLike(Protocol):
    """What the batch upload reads of a file specification."""

    @property
    def name(self) -> str: ...

    @property
    def is_required(self) -> bool: ...

    @property
    def is_primary(self) -> bool: ...

    @property
    def extensions(self) -> list[str]: ...

    def accepts(self, filename: str) -> bool: ...


class Item:
    """One input item after checking: spec name -> path, meta, groups (or why it failed)."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.paths: dict[str, Path] = {}
        self.meta: dict[str, Any] | None = None
        self.groups: list[str] | None = None
        self.reason: str | None = None
        self.error: BaseException | None = None
        self.files: dict[str, FileResult] = {}

    def fail(self, reason: str, error: BaseException | None = None) -> None:
        if self.reason is None:
            self.reason, self.error = reason, error


def default_spec(specs: Sequence[SpecLike]) -> str | None:
    primary = [s.name for s in specs if s.is_primary]
    if len(primary) == 1:
        return primary[0]
    return specs[0].name if len(specs) == 1 else None


def parse_item(index: int, raw: object, specs: Sequence[SpecLike]) -> Item:
    """Check one input item locally (no I/O beyond ``stat``/``open`` of its files)."""
    item = Item(index)
    names = [s.name for s in specs]
    files: Mapping[Any, Any]
    if isinstance(raw, str | os.PathLike):
        default = default_spec(specs)
        if default is None:
            item.fail(f"a bare path needs one primary file specification; name one of {names}")
            return item
        files = {default: raw}
    elif isinstance(raw, Mapping) and isinstance(raw.get("files"), Mapping):
        files = raw["files"]
        meta, groups = raw.get("meta"), raw.get("groups")
        if meta is not None and not isinstance(meta, Mapping):
            item.fail(f"'meta' must be a dict, got {type(meta).__name__}")
        item.meta = dict(meta) if isinstance(meta, Mapping) else None
        if groups is not None and (
            isinstance(groups, str)
            or not isinstance(groups, Sequence)
            or not all(isinstance(g, str) and g for g in groups)
        ):
            item.fail("'groups' must be a list of non-empty strings (parent first)")
        elif groups:
            item.groups = list(groups)
    elif isinstance(raw, Mapping):
        files = raw
    else:
        item.fail(
            "expected a path, a {spec name: path} dict or {'files': {...}, 'meta': {...}}, "
            f"got {type(raw).__name__}"
        )
        return item
    by_name = {s.name: s for s in specs}
    for key, value in files.items():
        spec = by_name.get(key) if isinstance(key, str) else None
        if spec is None:
            item.fail(f"{key!r} is not a file specification of this collection ({names})")
            continue
        try:
            path = check_upload_path(value)
        except (OSError, TypeError, ValueError) as exc:
            item.files[key] = FileResult(spec=key, path=None, status="failed", reason=str(exc))
            item.fail(f"{key}: {exc}", exc)
            continue
        if not spec.accepts(path.name):
            allowed = ", ".join(spec.extensions)
            reason = f"{key}: {path.name!r} does not have an allowed extension ({allowed})"
            item.files[key] = FileResult(spec=key, path=path, status="failed", reason=reason)
            item.fail(reason)
            continue
        item.paths[key] = path
    missing = [s.name for s in specs if s.is_required and s.name not in files]
    if missing:
        item.fail(f"required file specification(s) missing: {missing}")
    return item


def unit_body(item: Item, collection_id: int, sums: dict[Path, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "data_collection": collection_id,
        "files": {
            spec: {"checksum": sums[path], "path": path.name} for spec, path in item.paths.items()
        },
    }
    if item.meta is not None:
        body["meta"] = item.meta
    if item.groups:
        body["groups"] = item.groups
    return body

"""Serialisers shared by several route families (stored document -> API JSON)."""

from __future__ import annotations

from typing import Any

from ._context import Ctx
from ._params import query_values
from ._store import Doc


def public(doc: Doc) -> Doc:
    """The document without internal keys (those starting with ``_``)."""
    return {k: v for k, v in doc.items() if k[:1] != "_"}


def expands(ctx: Ctx) -> set[str]:
    """The names given in ``expand``."""
    return set(query_values(ctx, "expand"))


def data_file(ctx: Ctx, doc: Doc) -> Doc:
    """DataFile JSON."""
    out = public(doc)
    out["file"] = ctx.media_url(doc.get("_key"))
    return out


def unit_files(ctx: Ctx, files: dict[str, Any]) -> dict[str, Any]:
    """The ``files`` dict of a data unit, with absolute URLs."""
    out: dict[str, Any] = {}
    for spec, entry in files.items():
        item = public(entry)
        item["url"] = ctx.media_url(entry.get("_key"))
        out[spec] = item
    return out


def data_unit(ctx: Ctx, doc: Doc) -> Doc:
    """DataUnit JSON."""
    out = public(doc)
    out["files"] = unit_files(ctx, doc.get("files") or {})
    return out


def files_list(ctx: Ctx, unit: Doc | None) -> list[Doc]:
    """List-shaped files of a data unit (``sdk/*/files/`` rows)."""
    if unit is None:
        return []
    rows = []
    for spec, entry in (unit.get("files") or {}).items():
        rows.append(
            {
                "spec": spec,
                "url": ctx.media_url(entry.get("_key")),
                "checksum": entry.get("checksum"),
                "size": entry.get("size"),
                "is_primary": entry.get("is_primary", False),
                "file_name_original": entry.get("file_name_original"),
            }
        )
    return rows


def units_by_id(ctx: Ctx) -> dict[Any, Doc]:
    """All data units of the caller's tenant by id."""
    return {u["id"]: u for u in ctx.store.all("data_units", ctx.tenant)}


def task(ctx: Ctx, doc: Doc, units: dict[Any, Doc] | None = None) -> Doc:
    """Task JSON; ``expand=data_unit`` embeds the DataUnit object."""
    out = public(doc)
    if "data_unit" in query_values(ctx, "expand") and doc.get("data_unit") is not None:
        unit = (units or {}).get(doc["data_unit"]) if units is not None else None
        if unit is None:
            unit = ctx.store.get("data_units", ctx.tenant, doc["data_unit"])
        if unit is not None:
            out["data_unit"] = data_unit(ctx, unit)
    return out

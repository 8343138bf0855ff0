"""data_collections/, data_files/, data_units/ and the anonymous media/ downloads."""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from werkzeug.http import http_date
from werkzeug.wrappers import Response

from .._context import Ctx, Resp, Route
from .._errors import ApiError, field_error, not_found, required
from .._params import Listing, f_in, f_search, id_filters, paginate, to_str
from .._render import data_file, data_unit, public
from .._store import Doc, now_iso
from .tasks import invalid_pk, pk_value
from .uploads import completed_upload

# -- data collections ------------------------------------------------------------------------------


def _collection(ctx: Ctx, doc: Doc, counts: dict[int, int]) -> Doc:
    out = public(doc)
    out["count_projects"] = counts.get(doc["id"], 0)
    return out


def _project_counts(ctx: Ctx) -> dict[int, int]:
    counts: dict[int, int] = {}
    for p in ctx.store.all("projects", ctx.tenant):
        if p.get("data_collection") is not None:
            counts[p["data_collection"]] = counts.get(p["data_collection"], 0) + 1
    return counts


COLLECTIONS = Listing(
    filters={"name": f_in("name", to_str), "category": f_in("category", to_str)},
    ordering=frozenset({"id", "created", "name"}),
)


def list_collections(ctx: Ctx) -> Resp:
    rows = COLLECTIONS.rows(ctx, ctx.store.all("data_collections", ctx.tenant))
    counts = _project_counts(ctx)
    return Resp(paginate(ctx, rows, lambda d: _collection(ctx, d, counts)))


def get_collection(ctx: Ctx, pk: int) -> Resp:
    return Resp(_collection(ctx, ctx.get("data_collections", pk), _project_counts(ctx)))


# -- data files ------------------------------------------------------------------------------------


def _meta(value: Any) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise field_error("meta", "Value must be valid JSON.") from None
    if not isinstance(value, dict):
        raise field_error("meta", "Expected a dictionary of items.")
    return value


def create_data_file(ctx: Ctx) -> Resp:
    if ctx.is_multipart():
        upload = ctx.request.files.get("file")
        if upload is None:
            raise field_error("file", "No file was submitted.")
        meta = _meta(ctx.request.form.get("meta"))
        key, size, md5 = ctx.save_media(upload.filename or "file", upload.stream)
    else:
        body = ctx.object_body()
        if body.get("chunked_upload") in (None, ""):
            raise field_error("file", "No file was submitted.")
        meta = _meta(body.get("meta"))
        done = completed_upload(ctx, body["chunked_upload"], "chunked_upload")
        name = str(meta.get("filename") or done["filename"])
        key, size, md5 = ctx.save_media(name, ctx.config.upload_dir / f"{done['id']}.part")
    doc = ctx.store.insert(
        "data_files",
        ctx.tenant,
        {"checksum": md5, "size": size, "meta": meta, "created_at": now_iso(), "_key": key},
    )
    return Resp(data_file(ctx, doc), 201)


def get_data_file(ctx: Ctx, pk: int) -> Resp:
    return Resp(data_file(ctx, ctx.get("data_files", pk)))


def verify_checksums(ctx: Ctx) -> Resp:
    body = ctx.object_body()
    checksums = body.get("checksums")
    if checksums is None:
        raise required("checksums")
    if not isinstance(checksums, list) or not all(isinstance(c, str) for c in checksums):
        raise field_error("checksums", "Expected a list of strings.")
    if len(checksums) > 1000:
        raise field_error("checksums", "Ensure this field has no more than 1000 elements.")
    known = {f["checksum"] for f in ctx.store.all("data_files", ctx.tenant)}
    seen: list[str] = []
    for c in checksums:
        if c in known and c not in seen:
            seen.append(c)
    return Resp({"existing_checksums": seen})


# -- data units ------------------------------------------------------------------------------------


UNITS = Listing(
    filters={
        **id_filters("id__in", "id__gt", "id__gte", "id__lt", "id__lte", "ids"),
        "data_collection": f_in("data_collection"),
        "group": f_in("group"),
        "checksum": f_in("checksum", to_str),
        "search": f_search("meta"),
    },
    ordering=frozenset({"id", "created"}),
)


def list_units(ctx: Ctx) -> Resp:
    rows = UNITS.rows(ctx, ctx.store.all("data_units", ctx.tenant))
    return Resp(paginate(ctx, rows, lambda d: data_unit(ctx, d)))


def get_unit(ctx: Ctx, pk: int) -> Resp:
    return Resp(data_unit(ctx, ctx.get("data_units", pk)))


def unit_checksum(checksums: list[str]) -> str:
    """SHA-1 of the sorted file checksums (how a data unit's checksum is derived)."""
    return hashlib.sha1("".join(sorted(checksums)).encode()).hexdigest()


def _prepare_unit(ctx: Ctx, item: Any, by_checksum: dict[str, Doc]) -> tuple[Doc, list[str]]:
    if not isinstance(item, dict):
        raise ApiError(400, {"non_field_errors": ["Expected a dictionary of items."]})
    if item.get("data_collection") is None:
        raise required("data_collection")
    pk = pk_value("data_collection", item["data_collection"])
    collection = ctx.store.get("data_collections", ctx.tenant, pk)
    if collection is None:
        raise field_error("data_collection", invalid_pk(pk))
    files = item.get("files")
    if files is None:
        raise required("files")
    if not isinstance(files, dict) or not files:
        raise field_error("files", "Expected a non-empty dictionary keyed by file specification.")
    specs = {s["name"]: s for s in collection["file_specifications"]}
    errors: list[str] = []
    for name in files:
        if name not in specs:
            errors.append(f'"{name}" is not a file specification of this data collection.')
    for name, spec in specs.items():
        if spec["is_required"] and name not in files:
            errors.append(f'The required file specification "{name}" is missing.')
    out_files: dict[str, Any] = {}
    for name, entry in files.items():
        if name not in specs:
            continue
        if not isinstance(entry, dict) or not isinstance(entry.get("checksum"), str):
            errors.append(f'"{name}": expected an object with "checksum" and "path".')
            continue
        df = by_checksum.get(entry["checksum"])
        if df is None:
            errors.append(f'"{name}": no data file with checksum "{entry["checksum"]}".')
            continue
        original = os.path.basename(str(entry.get("path") or "")) or df["_key"].split("/", 1)[1]
        out_files[name] = {
            "data_file": df["id"],
            "checksum": df["checksum"],
            "size": df["size"],
            "is_primary": bool(specs[name]["is_primary"]),
            "file_name_original": original,
            "meta": entry.get("meta") or {},
            "_key": df["_key"],
        }
    if errors:
        raise ApiError(400, {"files": errors})
    meta = item.get("meta") or {}
    if not isinstance(meta, dict):
        raise field_error("meta", "Expected a dictionary of items.")
    groups = item.get("groups") or []
    if not isinstance(groups, list) or not all(isinstance(g, str) and g for g in groups):
        raise field_error("groups", "Expected a list of non-empty strings.")
    doc = {
        "data_collection": pk,
        "group": None,
        "checksum": unit_checksum([f["checksum"] for f in out_files.values()]),
        "meta": meta,
        "created": None,
        "files": out_files,
    }
    return doc, groups


def _group(ctx: Ctx, collection: int, names: list[str]) -> int | None:
    parent: int | None = None
    existing = ctx.store.all("data_groups", ctx.tenant)
    for name in names:
        found = next(
            (
                g
                for g in existing
                if g["data_collection"] == collection
                and g["name"] == name
                and g["parent"] == parent
            ),
            None,
        )
        if found is None:
            found = ctx.store.insert(
                "data_groups",
                ctx.tenant,
                {"data_collection": collection, "name": name, "parent": parent},
            )
            existing.append(found)
        parent = int(found["id"])
    return parent


def create_units(ctx: Ctx) -> Resp:
    body = ctx.json()
    items = body if isinstance(body, list) else [body]
    if not items:
        raise ApiError(400, {"non_field_errors": ["This list may not be empty."]})
    by_checksum: dict[str, Doc] = {}
    for df in ctx.store.all("data_files", ctx.tenant):
        by_checksum.setdefault(df["checksum"], df)
    prepared = [_prepare_unit(ctx, item, by_checksum) for item in items]
    created = []
    with ctx.store.tx():
        for doc, groups in prepared:
            doc["group"] = _group(ctx, doc["data_collection"], groups) if groups else None
            doc["created"] = now_iso()
            created.append(ctx.store.insert("data_units", ctx.tenant, doc))
    rendered = [data_unit(ctx, d) for d in created]
    return Resp(rendered if isinstance(body, list) else rendered[0], 201)


# -- media -----------------------------------------------------------------------------------------


def _read_span(path: Path, start: int, stop: int) -> Iterator[bytes]:
    # A generator owns the file: exhausted or dropped (HEAD, reset), it closes it.
    with path.open("rb") as fh:
        fh.seek(start)
        left = stop - start
        while left > 0:
            block = fh.read(min(1 << 20, left))
            if not block:
                return
            left -= len(block)
            yield block


def media(ctx: Ctx, key: str, filename: str) -> Response:
    """An anonymous file download with single-range support (``Range: bytes=a-b``, 206/416).

    The body is a plain generator rather than werkzeug's ``send_file`` passthrough, so the fault
    plane's ``drip``/``truncate`` can apply to downloads too.
    """
    root = ctx.config.media_dir.resolve()
    path = (root / key / filename).resolve()
    if root not in path.parents or not path.is_file():
        raise not_found()
    stat = path.stat()
    size = stat.st_size
    headers = {"Accept-Ranges": "bytes", "Last-Modified": http_date(stat.st_mtime)}
    start, stop, status = 0, size, 200
    ranges = ctx.request.range
    if ranges is not None and ranges.units == "bytes" and len(ranges.ranges) == 1:
        span = ranges.range_for_length(size)
        if span is None:
            headers["Content-Range"] = f"bytes */{size}"
            return Response(b"", 416, headers)
        start, stop = span
        status = 206
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response = Response(_read_span(path, start, stop), status, headers, mimetype=mimetype)
    response.headers["Content-Length"] = str(stop - start)
    return response


LISTINGS = {"data_collections/": COLLECTIONS, "data_units/": UNITS}

ROUTES = [
    Route("/data_collections/", "GET", list_collections),
    Route("/data_collections/<int:pk>/", "GET", get_collection),
    Route("/data_files/", "POST", create_data_file),
    Route("/data_files/<int:pk>/", "GET", get_data_file),
    Route("/data_files/verify_checksums/", "POST", verify_checksums),
    Route("/data_units/", "GET", list_units),
    Route("/data_units/", "POST", create_units),
    Route("/data_units/<int:pk>/", "GET", get_unit),
    Route("/media/<key>/<path:filename>", "GET", media, public=True),
]

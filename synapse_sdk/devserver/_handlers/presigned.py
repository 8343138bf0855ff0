"""data_files/presigned_upload/: bulk uploads straight to the (local) object store.

``upload/`` hands out one signed PUT URL per file (or, above the backend's multipart threshold, one
per part); the caller PUTs the bytes to the object store without Synapse credentials, then
``confirm_upload/`` checks each object (size, MD5 or SHA-1 checksum, part ETags) and creates the
data files, each on its own: one bad file does not fail the others.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from .. import _objects as objects
from .._context import Ctx, Resp, Route, safe_filename
from .._errors import ApiError
from .._store import Doc, iso_at, now_iso
from . import _presigned_input as parse
from .storage import KIND

#: Storage providers that can take presigned uploads.
PRESIGNED_PROVIDERS = frozenset({"amazon_s3", "s3", "minio", "gcp", "gcs", "azure"})
MAX_OBJECT = 5 * 1024**4  # S3's largest object
MAX_PARTS = 10000  # S3's most parts per upload
MAX_PARTS_PER_REQUEST = 20000  # keeps one answer bounded
_HEX = re.compile(r"^[0-9a-fA-F]+$")


def _max_size(ctx: Ctx) -> int:
    cfg = ctx.config
    return min(MAX_OBJECT, max(cfg.multipart_threshold, cfg.multipart_part_size * MAX_PARTS))


def _check_storage(ctx: Ctx) -> None:
    """400 when the tenant's default storage cannot take presigned uploads (a tenant without any
    storage uploads to the local object store)."""
    storages = ctx.store.all("storages", ctx.tenant)
    default = next((s for s in storages if s.get("is_default")), None)
    if default is not None and default.get("provider") not in PRESIGNED_PROVIDERS:
        raise ApiError(
            400,
            {
                "detail": f"The default storage ({default.get('provider')}) does not support "
                "presigned uploads.",
                "code": "presigned_upload_not_supported",
            },
        )


def _plan(ctx: Ctx, item: dict[str, Any], bucket: str, expires: int) -> Doc:
    size = int(item["size"])
    cfg = ctx.config
    multipart = size > cfg.multipart_threshold
    return {
        "bucket": bucket,
        "filename": item["filename"],
        "size": size,
        "content_type": None if multipart else item.get("content_type"),
        "upload_id": uuid.uuid4().hex if multipart else None,
        "part_size": cfg.multipart_part_size if multipart else None,
        "expires": expires,
        "etag": None,
        "parts": {},
        "data_file": None,
        "md5": None,
        "sha1": None,
        "created_at": now_iso(),
    }


def _answer(ctx: Ctx, doc: Doc) -> Doc:
    key, bucket, expires = doc["id"], doc["bucket"], doc["expires"]
    out: Doc = {"filename": doc["filename"], "file_key": key, "presigned_url": None}
    if doc["upload_id"] is None:
        signed = objects.Signed(bucket, key, expires, doc["size"], doc["content_type"])
        out["presigned_url"] = objects.presigned_url(ctx.base, ctx.config, signed)
        out["multipart"] = None
        return out
    size, part_size, upload_id = doc["size"], doc["part_size"], doc["upload_id"]
    parts = []
    for number in range(1, objects.part_count(size, part_size) + 1):
        length = objects.part_length(size, part_size, number)
        assert length is not None
        signed = objects.Signed(bucket, key, expires, length, None, number, upload_id)
        url = objects.presigned_url(ctx.base, ctx.config, signed)
        parts.append({"part_number": number, "presigned_url": url})
    out["multipart"] = {"upload_id": upload_id, "part_size": part_size, "parts": parts}
    return out


def request_upload(ctx: Ctx) -> Resp:
    files, expiration = parse.upload_request(ctx.object_body(), _max_size(ctx))
    threshold, part_size = ctx.config.multipart_threshold, ctx.config.multipart_part_size
    total_parts = sum(
        objects.part_count(f["size"], part_size) for f in files if f["size"] > threshold
    )
    if total_parts > MAX_PARTS_PER_REQUEST:
        raise ApiError(
            400,
            {
                "files": [
                    f"These files need {total_parts} multipart parts; one request may ask for "
                    f"at most {MAX_PARTS_PER_REQUEST}."
                ]
            },
        )
    _check_storage(ctx)
    expires = int(ctx.config.clock()) + expiration
    bucket = f"tenant-{ctx.tenant}"
    docs = []
    with ctx.store.tx():
        for item in files:
            plan = _plan(ctx, item, bucket, expires)
            docs.append(
                ctx.store.insert(KIND, ctx.tenant, plan, key=objects.new_key(plan["filename"]))
            )
    return Resp({"files": [_answer(ctx, d) for d in docs], "expires_at": iso_at(expires)})


# -- confirm ---------------------------------------------------------------------------------------


class Failed(Exception):
    """One file of a confirm request failed; the message is its ``error``."""


def _matches(checksum: str, md5: str, sha1: str) -> bool:
    value = checksum.strip().lower()
    return value == (md5 if len(value) == 32 else sha1)


def _check_checksum_form(checksum: str) -> None:
    value = checksum.strip()
    if len(value) not in (32, 40) or not _HEX.match(value):
        raise Failed("The checksum must be an MD5 (32 hex digits) or SHA-1 (40 hex digits) digest.")


def _sources(ctx: Ctx, doc: Doc, item: dict[str, Any]) -> list[Path]:
    """The stored files holding the object's bytes, in order, after checking the caller's
    multipart description against what was stored."""
    multipart = item.get("multipart")
    bucket = doc["bucket"]
    if doc["upload_id"] is None:
        if multipart is not None:
            raise Failed("This file was not uploaded in parts; omit multipart.")
        path = objects.object_path(ctx.config, bucket, doc["id"])
        if doc["etag"] is None or not path.is_file():
            raise Failed("The object was not uploaded.")
        return [path]
    if multipart is None:
        raise Failed("This file was uploaded in parts; multipart (upload_id, parts) is required.")
    if multipart["upload_id"] != doc["upload_id"]:
        raise Failed("The upload_id does not belong to this file.")
    count = objects.part_count(doc["size"], doc["part_size"])
    numbers = [p["part_number"] for p in multipart["parts"]]
    if numbers != list(range(1, count + 1)):
        raise Failed(f"The parts must be numbers 1 to {count}, each once, in ascending order.")
    paths = []
    for part in multipart["parts"]:
        number = part["part_number"]
        stored = doc["parts"].get(str(number))
        path = objects.part_path(ctx.config, bucket, doc["upload_id"], number)
        if stored is None or not path.is_file():
            raise Failed(f"Part {number} was not uploaded.")
        if part["etag"].strip().strip('"').lower() != stored:
            raise Failed(f"The ETag of part {number} does not match the uploaded part.")
        paths.append(path)
    return paths


def _existing(doc: Doc, item: dict[str, Any]) -> Doc:
    if item["size"] != doc["size"] or not _matches(item["checksum"], doc["md5"], doc["sha1"]):
        raise Failed("The size or checksum does not match the confirmed file.")
    return {"data_file_id": doc["data_file"], "created": False}


def _object_file(ctx: Ctx, doc: Doc, sources: list[Path]) -> Path:
    """The whole object as one stored file (a multipart upload is assembled once)."""
    if len(sources) == 1 and doc["upload_id"] is None:
        return sources[0]
    final = objects.object_path(ctx.config, doc["bucket"], doc["id"])
    tmp = objects.tmp_beside(final)
    objects.copy_hashed(sources, tmp)
    tmp.replace(final)
    return final


def _confirm_one(ctx: Ctx, item: dict[str, Any]) -> Doc:
    doc = ctx.store.get(KIND, ctx.tenant, item["file_key"])
    if doc is None:
        raise Failed("No presigned upload with this file_key.")
    _check_checksum_form(item["checksum"])
    if doc["data_file"] is not None:
        return _existing(doc, item)
    if item["size"] != doc["size"]:
        raise Failed(f"The size does not match the requested upload ({doc['size']} bytes).")
    whole = _object_file(ctx, doc, _sources(ctx, doc, item))
    key = f"{uuid.uuid4().hex}/{safe_filename(doc['filename'])}"
    media = ctx.config.media_dir / key
    objects.link_or_copy(whole, media)  # the media file's bytes cannot change after this
    size, md5, sha1 = objects.hash_file(media)
    if size != doc["size"]:
        objects.remove_quietly(media)
        raise Failed(f"The stored object has {size} bytes, not {doc['size']}.")
    if not _matches(item["checksum"], md5, sha1):
        objects.remove_quietly(media)
        raise Failed("The checksum does not match the uploaded bytes.")
    with ctx.store.tx():
        current = ctx.store.get(KIND, ctx.tenant, doc["id"])
        assert current is not None
        if current["data_file"] is not None:  # a concurrent confirm won
            objects.remove_quietly(media)
            return _existing(current, item)
        data_file = ctx.store.insert(
            "data_files",
            ctx.tenant,
            {"checksum": md5, "size": size, "meta": {}, "created_at": now_iso(), "_key": key},
        )
        current.update(data_file=data_file["id"], md5=md5, sha1=sha1)
        ctx.store.update(KIND, current)
    return {"data_file_id": data_file["id"], "created": True}


def confirm_upload(ctx: Ctx) -> Resp:
    files = parse.confirm_request(ctx.object_body())
    results = []
    for item in files:
        row: Doc = {"file_key": item["file_key"], "checksum": item["checksum"]}
        try:
            row.update(_confirm_one(ctx, item), success=True, error=None)
        except Failed as exc:
            row.update(data_file_id=None, success=False, error=str(exc), created=False)
        results.append(row)
    created = sum(1 for r in results if r["created"])
    failed = sum(1 for r in results if not r["success"])
    return Resp({"results": results, "created_count": created, "failed_count": failed})


ROUTES = [
    Route("/data_files/presigned_upload/upload/", "POST", request_upload),
    Route("/data_files/presigned_upload/confirm_upload/", "POST", confirm_upload),
]

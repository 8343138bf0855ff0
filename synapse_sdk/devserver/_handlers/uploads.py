"""chunked_upload/ with drf-chunked-upload semantics (Content-Range chunks, md5 finalize)."""

from __future__ import annotations

import hashlib
import re
import shutil
import time
import uuid
from typing import IO, Any

from .._context import Ctx, Resp, Route, safe_filename
from .._errors import ApiError, field_error, not_found
from .._store import Doc, iso_at, now_iso

KIND = "chunked_uploads"
UPLOADING, COMPLETE = 1, 2
_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
_EMPTY_MD5 = hashlib.md5(b"").hexdigest()


def _detail(status: int, message: str, **extra: Any) -> ApiError:
    return ApiError(status, {"detail": message, **extra})


def _render(ctx: Ctx, doc: Doc, final: bool = False) -> Doc:
    out = {
        "id": doc["id"],
        "url": f"{ctx.base}/chunked_upload/{doc['id']}/",
        "filename": doc["filename"],
        "offset": doc["offset"],
        "status": doc["status"],
        "created_at": doc["created_at"],
        "completed_at": doc["completed_at"],
        "expires_at": doc["expires_at"],
    }
    if final:
        out["checksum"] = doc.get("checksum")
        out["size"] = doc["offset"]
    return out


def _load(ctx: Ctx, upload_id: str) -> Doc:
    try:
        key = str(uuid.UUID(upload_id))
    except ValueError:
        raise not_found() from None
    return ctx.get(KIND, key)


def _check_valid(ctx: Ctx, doc: Doc) -> None:
    if doc["status"] == COMPLETE:
        raise _detail(400, 'Upload has already been marked as "complete"')
    if time.time() - float(doc["_created_ts"]) > ctx.config.upload_expiry:
        raise _detail(410, "Upload has expired")


def _path(ctx: Ctx, doc: Doc) -> Any:
    return ctx.config.upload_dir / f"{doc['id']}.part"


def _new(ctx: Ctx, filename: str) -> Doc:
    ts = time.time()
    ident = str(uuid.uuid4())
    doc = {
        "filename": safe_filename(filename),
        "offset": 0,
        "status": UPLOADING,
        "created_at": iso_at(ts),
        "completed_at": None,
        "expires_at": iso_at(ts + ctx.config.upload_expiry),
        "checksum": None,
        "_created_ts": ts,
    }
    ctx.config.upload_dir.mkdir(parents=True, exist_ok=True)
    doc = ctx.store.insert(KIND, ctx.tenant, doc, key=ident)
    _path(ctx, doc).touch()
    return doc


def _chunk(ctx: Ctx) -> tuple[IO[bytes], int, str]:
    part = ctx.request.files.get("file")
    if part is None:
        raise _detail(400, "No chunk file was submitted")
    stream = part.stream
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return stream, size, part.filename or "file"


def _append(ctx: Ctx, doc: Doc, stream: IO[bytes]) -> None:
    with _path(ctx, doc).open("ab") as out:
        shutil.copyfileobj(stream, out, 1 << 20)


def _put(ctx: Ctx, upload_id: str | None, whole: bool = False) -> Doc:
    doc = _load(ctx, upload_id) if upload_id is not None else None
    stream, size, part_name = _chunk(ctx)
    start = 0
    if not whole:
        match = _RANGE.match(ctx.request.headers.get("Content-Range", ""))
        if match is None:
            raise _detail(400, "Error in request headers")
        start, end, total = (int(g) for g in match.groups())
        if end > total:
            raise _detail(400, f"End of chunk exceeds reported total ({total} bytes)")
        expected = end - start + 1
        if size != expected:
            raise _detail(
                400, f"File size doesn't match headers: file size is {size} but {expected} reported"
            )
    with ctx.store.tx():
        if doc is not None:
            doc = ctx.get(KIND, doc["id"])  # re-read under the lock: concurrent chunks
            _check_valid(ctx, doc)
        else:
            filename = ctx.request.form.get("filename") or part_name
            doc = _new(ctx, filename)
        if doc["offset"] != start:
            raise _detail(
                400, "Offsets do not match", expected_offset=doc["offset"], provided_offset=start
            )
        _append(ctx, doc, stream)
        doc["offset"] += size
        ctx.store.update(KIND, doc)
    return doc


def _md5_of(ctx: Ctx) -> str | None:
    value = ctx.request.form.get("md5") if ctx.is_multipart() else ctx.object_body().get("md5")
    return str(value) if value not in (None, "") else None


def _complete(ctx: Ctx, doc: Doc, md5: str) -> Doc:
    digest = hashlib.md5()
    with _path(ctx, doc).open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    if digest.hexdigest() != md5.lower():
        raise _detail(400, "checksum does not match")
    doc["status"] = COMPLETE
    doc["completed_at"] = now_iso()
    doc["checksum"] = digest.hexdigest()
    ctx.store.update(KIND, doc)
    return doc


def create_chunk(ctx: Ctx) -> Resp:
    return Resp(_render(ctx, _put(ctx, None)))


def append_chunk(ctx: Ctx, upload_id: str) -> Resp:
    return Resp(_render(ctx, _put(ctx, upload_id)))


def finalize(ctx: Ctx, upload_id: str) -> Resp:
    doc = _load(ctx, upload_id)
    md5 = _md5_of(ctx)
    with ctx.store.tx():
        doc = ctx.get(KIND, doc["id"])
        _check_valid(ctx, doc)
        if md5 is None:
            raise _detail(400, "Checksum of type 'md5' is required")
        doc = _complete(ctx, doc, md5)
    return Resp(_render(ctx, doc, final=True))


def whole_file(ctx: Ctx) -> Resp:
    md5 = _md5_of(ctx)
    if md5 is None:
        raise _detail(400, "Checksum of type 'md5' is required")
    with ctx.store.tx():
        if ctx.is_multipart() and "file" in ctx.request.files:
            doc = _put(ctx, None, whole=True)
        else:
            if md5.lower() != _EMPTY_MD5:
                raise _detail(400, "No chunk file was submitted")
            doc = _new(ctx, ctx.request.form.get("filename") or "file")
        doc = _complete(ctx, doc, md5)
    return Resp(_render(ctx, doc, final=True))


def get_upload(ctx: Ctx, upload_id: str) -> Resp:
    doc = _load(ctx, upload_id)
    if doc["status"] != COMPLETE and (
        time.time() - float(doc["_created_ts"]) > ctx.config.upload_expiry
    ):
        raise _detail(410, "Upload has expired")
    return Resp(_render(ctx, doc))


def completed_upload(ctx: Ctx, value: Any, field: str) -> Doc:
    """The completed upload named by ``value`` (a UUID) in the caller's tenant, else a 400."""
    try:
        key = str(uuid.UUID(str(value)))
    except ValueError:
        raise field_error(field, f'"{value}" is not a valid UUID.') from None
    doc = ctx.store.get(KIND, ctx.tenant, key)
    if doc is None:
        raise field_error(field, f'Invalid pk "{value}" - object does not exist.')
    if doc["status"] != COMPLETE:
        raise field_error(field, "Upload is not complete.")
    return doc


ROUTES = [
    Route("/chunked_upload/", "PUT", create_chunk),
    Route("/chunked_upload/", "POST", whole_file),
    Route("/chunked_upload/<upload_id>/", "PUT", append_chunk),
    Route("/chunked_upload/<upload_id>/", "POST", finalize),
    Route("/chunked_upload/<upload_id>/", "GET", get_upload),
]

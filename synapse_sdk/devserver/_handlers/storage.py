"""The object store's PUT: presigned storage URLs (``_storage/<bucket>/<key>``), S3 semantics.

Not an API route: no Synapse credentials are read (the signed URL is the credential), errors are
S3-style XML (``<Error><Code>…</Code><Message>…</Message></Error>``), a stored object or part
answers 200 with ``ETag: "<md5 hex>"``, and a repeated PUT overwrites.
"""

from __future__ import annotations

import os

from werkzeug.wrappers import Response

from .. import _objects as objects
from .._context import Ctx, Route
from .._store import Doc

KIND = "presigned_uploads"


def _signed(ctx: Ctx, doc: Doc | None, bucket: str, expires: int) -> objects.Signed | None:
    """What the URL must have been signed for (None when no URL could have been issued)."""
    if doc is None or doc["bucket"] != bucket:
        return None
    args = ctx.request.args
    if "partNumber" not in args and "uploadId" not in args:
        if doc["upload_id"] is not None:
            return None
        return objects.Signed(bucket, doc["id"], expires, doc["size"], doc["content_type"])
    try:
        number = int(args.get("partNumber", ""))
    except ValueError:
        return None
    if doc["upload_id"] is None or args.get("uploadId") != doc["upload_id"]:
        return None
    length = objects.part_length(doc["size"], doc["part_size"], number)
    if length is None:
        return None
    return objects.Signed(bucket, doc["id"], expires, length, None, number, doc["upload_id"])


def _length_error(ctx: Ctx, size: int, key: str) -> Response | None:
    declared = ctx.request.headers.get("Content-Length")
    if declared is None:
        return None
    try:
        length = int(declared)
    except ValueError:
        return objects.error(400, "InvalidArgument", "Bad Content-Length header.", key)
    if length < size:
        return _too_short(size, key)
    if length > size:
        return _too_long(size, key)
    return None


def _too_short(size: int, key: str) -> Response:
    return objects.error(
        400,
        "IncompleteBody",
        f"You did not provide the number of bytes the URL was signed for ({size}).",
        key,
    )


def _too_long(size: int, key: str) -> Response:
    return objects.error(
        400,
        "EntityTooLarge",
        f"Your proposed upload exceeds the size the URL was signed for ({size} bytes).",
        key,
    )


def put_object(ctx: Ctx, bucket: str, key: str) -> Response:
    args = ctx.request.args
    if "X-Signature" not in args or "X-Expires" not in args:
        return objects.error(
            403,
            "AccessDenied",
            "Query-string authentication requires the X-Signature and X-Expires parameters.",
            key,
        )
    try:
        expires = int(args["X-Expires"])
    except ValueError:
        return objects.error(403, "AccessDenied", "Invalid X-Expires parameter.", key)
    doc = ctx.store.get(KIND, None, key)
    signed = _signed(ctx, doc, bucket, expires)
    if signed is None or not objects.valid_signature(ctx.config, signed, args["X-Signature"]):
        return objects.error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
            key,
        )
    if ctx.config.clock() > expires:
        return objects.error(403, "AccessDenied", "Request has expired.", key)
    if signed.content_type is not None and (
        ctx.request.headers.get("Content-Type", "").strip() != signed.content_type
    ):
        return objects.error(
            403,
            "SignatureDoesNotMatch",
            f"The Content-Type the URL was signed for is {signed.content_type!r}.",
            key,
        )
    bad = _length_error(ctx, signed.size, key)
    if bad is not None:
        return bad
    if signed.part_number is None:
        final = objects.object_path(ctx.config, bucket, key)
    else:
        final = objects.part_path(ctx.config, bucket, str(signed.upload_id), signed.part_number)
    tmp = objects.tmp_beside(final)
    try:
        etag = objects.receive_to(ctx.request.stream, signed.size, tmp)
    except objects.BodyTooLong:
        return _too_long(signed.size, key)
    except (objects.BodyTooShort, ConnectionError):  # the client gave up mid-body
        return _too_short(signed.size, key)
    with ctx.store.tx():
        current = ctx.store.get(KIND, None, key)
        assert current is not None
        os.replace(tmp, final)
        if signed.part_number is None:
            current["etag"] = etag
        else:
            current["parts"][str(signed.part_number)] = etag
        ctx.store.update(KIND, current)
    response = Response(b"", 200)
    response.headers["ETag"] = f'"{etag}"'
    return response


ROUTES = [
    Route(f"/{objects.STORAGE_PREFIX}/<bucket>/<path:key>", "PUT", put_object, public=True),
]

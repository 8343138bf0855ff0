"""The local object store behind presigned uploads: signed URLs, object files, S3-style errors.

An object lives at ``objects/<bucket>/<file key>``; a multipart upload's parts at
``objects/<bucket>/.multipart/<upload id>/<part number>``. A presigned URL is
``<origin>/_storage/<bucket>/<file key>?X-Expires=<unix>&X-Signature=<hex>`` (multipart parts add
``partNumber`` and ``uploadId``): the signature is an HMAC-SHA256, under the backend's key, of the
method, bucket, key, expiry, the exact byte count, the content type (single PUTs) and the part
number and upload id (parts), so none of them can be changed without a ``SignatureDoesNotMatch``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape

from werkzeug.wrappers import Response

from ._context import Config, safe_filename

STORAGE_PREFIX = "_storage"
BLOCK = 1 << 20


@dataclass(frozen=True)
class Signed:
    """What one presigned URL allows: a PUT of exactly ``size`` bytes to ``bucket``/``key``."""

    bucket: str
    key: str
    expires: int
    size: int
    content_type: str | None = None
    part_number: int | None = None
    upload_id: str | None = None

    def message(self) -> bytes:
        fields = (
            "PUT",
            self.bucket,
            self.key,
            str(self.expires),
            str(self.size),
            "" if self.content_type is None else "ct:" + self.content_type,
            "" if self.part_number is None else str(self.part_number),
            self.upload_id or "",
        )
        return "\n".join(fields).encode()


def signature(config: Config, signed: Signed) -> str:
    """The hex HMAC-SHA256 of ``signed`` under the backend's key."""
    return hmac.new(config.signing_key, signed.message(), hashlib.sha256).hexdigest()


def valid_signature(config: Config, signed: Signed, given: str) -> bool:
    """Whether ``given`` is the signature of ``signed`` (constant-time comparison)."""
    return hmac.compare_digest(signature(config, signed), given.strip().lower())


def presigned_url(base: str, config: Config, signed: Signed) -> str:
    """The absolute URL of ``signed`` on the origin ``base`` (``http://host:port``)."""
    query: dict[str, str] = {}
    if signed.part_number is not None:
        query["partNumber"] = str(signed.part_number)
        query["uploadId"] = signed.upload_id or ""
    query["X-Expires"] = str(signed.expires)
    query["X-Signature"] = signature(config, signed)
    path = f"{STORAGE_PREFIX}/{quote(signed.bucket)}/{quote(signed.key)}"
    return f"{base}/{path}?{urlencode(query)}"


def new_key(filename: str) -> str:
    """A fresh object key for an uploaded file name."""
    return f"uploads/{uuid.uuid4().hex}/{safe_filename(filename)}"


def object_path(config: Config, bucket: str, key: str) -> Path:
    """Where the object ``bucket``/``key`` is stored."""
    return config.object_dir / bucket / key


def part_path(config: Config, bucket: str, upload_id: str, part_number: int) -> Path:
    """Where part ``part_number`` of multipart upload ``upload_id`` is stored."""
    return config.object_dir / bucket / ".multipart" / upload_id / str(part_number)


def error(status: int, code: str, message: str, key: str | None = None) -> Response:
    """An S3-style XML error answer."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        + (f"<Key>{escape(key)}</Key>" if key is not None else "")
        + f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>"
    )
    return Response(body.encode(), status, content_type="application/xml")


class BodyTooLong(Exception):
    """The body has more bytes than the signed size."""


class BodyTooShort(Exception):
    """The body ended before the signed size."""


def receive_to(stream: IO[bytes], size: int, tmp: Path) -> str:
    """Stream exactly ``size`` bytes from ``stream`` into ``tmp`` (never reading more than
    ``size + 1`` bytes, never holding more than a block in memory); return their md5 hex.

    Raises:
        BodyTooLong: more than ``size`` bytes arrived (``tmp`` is removed).
        BodyTooShort: fewer than ``size`` bytes arrived (``tmp`` is removed).
    """
    tmp.parent.mkdir(parents=True, exist_ok=True)
    md5 = hashlib.md5()
    got = 0
    try:
        with tmp.open("wb") as out:
            while True:
                block = stream.read(min(BLOCK, size + 1 - got))
                if not block:
                    break
                got += len(block)
                if got > size:
                    raise BodyTooLong
                out.write(block)
                md5.update(block)
        if got < size:
            raise BodyTooShort
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return md5.hexdigest()


def tmp_beside(path: Path) -> Path:
    """A unique temporary file name in ``path``'s directory."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")


def copy_hashed(sources: list[Path], dst: Path) -> tuple[int, str, str]:
    """Concatenate ``sources`` into ``dst`` (streamed); return ``(size, md5, sha1)`` hex."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    md5, sha1, size = hashlib.md5(), hashlib.sha1(), 0
    with dst.open("wb") as out:
        for src in sources:
            with src.open("rb") as fh:
                while block := fh.read(BLOCK):
                    out.write(block)
                    md5.update(block)
                    sha1.update(block)
                    size += len(block)
    return size, md5.hexdigest(), sha1.hexdigest()


def md5_of(path: Path) -> str:
    """The md5 hex of a file (streamed)."""
    md5 = hashlib.md5()
    with path.open("rb") as fh:
        while block := fh.read(BLOCK):
            md5.update(block)
    return md5.hexdigest()


def remove_quietly(path: Path) -> None:
    """Delete a file if it exists."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def part_count(size: int, part_size: int) -> int:
    """How many parts of ``part_size`` bytes (the last one shorter) hold ``size`` bytes."""
    return max(1, -(-size // part_size))


def part_length(size: int, part_size: int, part_number: int) -> int | None:
    """The byte count of part ``part_number`` (1-based), or None when there is no such part."""
    count = part_count(size, part_size)
    if not 1 <= part_number <= count:
        return None
    return part_size if part_number < count else size - part_size * (count - 1)


def link_or_copy(src: Path, dst: Path) -> None:
    """Make ``dst`` hold ``src``'s bytes: a hard link when possible, else a streamed copy. A later
    rename onto ``src`` (an overwriting PUT) leaves ``dst`` unchanged either way."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        copy_hashed([src], dst)


def hash_file(path: Path) -> tuple[int, str, str]:
    """``(size, md5, sha1)`` hex of a file (streamed)."""
    md5, sha1, size = hashlib.md5(), hashlib.sha1(), 0
    with path.open("rb") as fh:
        while block := fh.read(BLOCK):
            md5.update(block)
            sha1.update(block)
            size += len(block)
    return size, md5.hexdigest(), sha1.hexdigest()

"""Per-request context handed to every route handler, plus routes, responses and media files."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from werkzeug.wrappers import Request, Response

from ._errors import ApiError
from ._store import Doc, Store


@dataclass(frozen=True)
class Config:
    """Settings of one backend instance."""

    data_dir: Path
    job_duration: float
    upload_expiry: float
    control: bool
    #: presigned uploads of more than this many bytes are multipart
    multipart_threshold: int = 100 * 1024 * 1024
    #: size of every multipart part but the last
    multipart_part_size: int = 64 * 1024 * 1024
    #: the time source of presigned URL expiry (seconds since the epoch)
    clock: Callable[[], float] = time.time
    #: HMAC key signing presigned storage URLs
    signing_key: bytes = field(default=b"", repr=False)

    #: ``"int"`` (default) or ``"uuid"``: the kind of id a new job gets.
    job_ids: str = "int"
    #: Seconds between the progress log lines of a running simulated job (None: none).
    job_log_interval: float | None = None
    #: Seconds between the polls of a console-log tail, and between its keep-alive comments.
    tail_poll: float = 0.05
    tail_ping: float = 15.0
    #: Listing filters this backend ignores (``{"id__gt"}``): a misbehaving backend for tests.
    ignore_filters: frozenset[str] = frozenset()
    #: Set when the server stops: open log tails end.
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def media_dir(self) -> Path:
        """Directory of downloadable files (``media/<key>/<name>``)."""
        return self.data_dir / "media"

    @property
    def upload_dir(self) -> Path:
        """Directory of chunked-upload parts."""
        return self.data_dir / "uploads"

    @property
    def object_dir(self) -> Path:
        """Directory of the local object store (``objects/<bucket>/<file key>``)."""
        return self.data_dir / "objects"


class Resp:
    """A JSON answer (rendered by the app)."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, body: Any, status: int = 200, headers: dict[str, str] | None = None):
        self.body = body
        self.status = status
        self.headers = headers


@dataclass(frozen=True)
class Route:
    """One URL rule + method bound to a handler; ``public`` routes need no token."""

    rule: str
    method: str
    fn: Callable[..., Resp | Response]
    public: bool = False


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._ ()+-]+")


def safe_filename(name: str | None) -> str:
    """A file name without directories or unusual characters (``file`` when empty)."""
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    base = _SAFE_NAME.sub("_", base).strip(". ")
    return base or "file"


class Ctx:
    """What a handler needs: the request, the store, the caller's tenant and user."""

    __slots__ = ("config", "memo", "request", "store", "tenant", "user")

    def __init__(
        self, request: Request, store: Store, config: Config, tenant: int, user: int | None
    ) -> None:
        #: Parsed query values of this request (``values(args, name)``), read once per request
        #: rather than once per rendered row.
        self.memo: dict[str, list[str]] = {}
        self.request = request
        self.store = store
        self.config = config
        self.tenant = tenant
        self.user = user

    @property
    def base(self) -> str:
        """The request's own origin, e.g. ``http://127.0.0.1:8000`` (no trailing slash)."""
        return self.request.host_url.rstrip("/")

    def json(self) -> Any:
        """The JSON body (None when empty).

        Raises:
            ApiError: 400 ``JSON parse error - ...``.
        """
        data = self.request.get_data(cache=True)
        if not data.strip():
            return None
        try:
            return json.loads(data)
        except ValueError as exc:
            raise ApiError(400, {"detail": f"JSON parse error - {exc}"}) from None

    def object_body(self) -> dict[str, Any]:
        """The JSON body, which must be an object."""
        body = self.json()
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise ApiError(
                400, {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}
            )
        return body

    def is_multipart(self) -> bool:
        """Whether the body is a form (multipart or urlencoded)."""
        return self.request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded")

    def get(self, kind: str, ident: Any) -> Doc:
        """The document ``ident`` of ``kind`` in the caller's tenant, or a 404."""
        doc = self.store.get(kind, self.tenant, ident)
        if doc is None:
            raise ApiError(404, {"detail": "Not found."})
        return doc

    def media_url(self, key: str | None) -> str | None:
        """Absolute anonymous download URL of a stored file key."""
        if not key:
            return None
        return f"{self.base}/media/{quote(key)}"

    def save_media(self, filename: str, src: IO[bytes] | bytes | Path) -> tuple[str, int, str]:
        """Store bytes as a downloadable file (streamed, never held whole in memory).

        Returns:
            ``(key, size, md5 hex)``.
        """
        return save_media(self.config, filename, src)


def save_media(
    config: Config, filename: str, src: IO[bytes] | bytes | Path
) -> tuple[str, int, str]:
    """Copy ``src`` into ``media/<uuid>/<filename>``; return ``(key, size, md5)``."""
    key = f"{uuid.uuid4().hex}/{safe_filename(filename)}"
    path = config.media_dir / key
    path.parent.mkdir(parents=True, exist_ok=True)
    md5 = hashlib.md5()
    size = 0
    with path.open("wb") as out:
        if isinstance(src, bytes):
            out.write(src)
            md5.update(src)
            size = len(src)
        elif isinstance(src, Path):
            with src.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    out.write(chunk)
                    md5.update(chunk)
                    size += len(chunk)
        else:
            while chunk := src.read(1 << 20):
                out.write(chunk)
                md5.update(chunk)
                size += len(chunk)
    return key, size, md5.hexdigest()


def copy_file(src: Path, dst: Path) -> None:
    """Stream-copy a file."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)

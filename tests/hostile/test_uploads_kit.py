"""A scriptable chunked-upload server on a :class:`HostileServer`, shared by the upload tests.

:class:`ChunkServer` speaks the protocol of ``synapse_sdk/devserver/_handlers/uploads.py`` honestly
(create with ``PUT chunked_upload/``, append with ``PUT <url>``, ``400 "Offsets do not match"``
with ``expected_offset``, finalize with ``POST <url> {"md5"}``, state with ``GET``) and assembles
the bytes it is sent, so a test can compare them with the file. A test turns it hostile by setting
``on_put`` / ``on_finalize`` / ``on_get``: a function returning ``(status, body)`` answers instead
of the honest handler, ``None`` lets the honest handler answer. After ``max_puts`` PUTs the server
stops answering (it resets every connection), so a livelocked client cannot run forever.

This module holds no tests; it is named ``test_uploads_*`` because only such files are ours.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable
from typing import Any

from hostile_server import Conn, HostileServer, Request

from synapse_sdk import RetryPolicy, Timeout
from synapse_sdk.clients.backend import BackendClient

__all__ = [
    "COLLECTION",
    "UPLOAD_ID",
    "ChunkServer",
    "Put",
    "client_for",
    "file_part",
    "md5",
    "serve_collection",
]

UPLOAD_ID = "0b6f2c1e-5d1a-4c1e-9a7f-3c2b1a0d9e8f"
TOKEN = "hostile-test-token-123"
_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")

Answer = tuple[int, Any]


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def file_part(req: Request) -> bytes | None:
    """The bytes of the multipart part named ``file`` (None when there is none)."""
    match = re.search(r"boundary=([^;\s]+)", req.header("content-type") or "")
    if match is None:
        return None
    boundary = b"--" + match.group(1).encode()
    for part in req.body.split(boundary):
        head, sep, content = part.partition(b"\r\n\r\n")
        if sep and b'name="file"' in head:
            return content[:-2] if content.endswith(b"\r\n") else content
    return None


class Put:
    """One chunk PUT as it arrived."""

    def __init__(self, req: Request, start: int | None, chunk: bytes | None) -> None:
        self.req = req
        self.start = start
        self.chunk = chunk or b""


class ChunkServer:
    """An honest chunked-upload server, made hostile per test through ``on_*`` hooks."""

    def __init__(self, srv: HostileServer, *, upload_id: Any = UPLOAD_ID, max_puts: int = 2000):
        self.srv = srv
        self.upload_id = upload_id
        self.max_puts = max_puts
        self.data = bytearray()
        self.puts: list[Put] = []
        self.finalizes: list[Request] = []
        self.completed = False
        self.lock = threading.Lock()
        self.on_put: Callable[[ChunkServer, Put], Answer | None] | None = None
        self.on_finalize: Callable[[ChunkServer, Request], Answer | None] | None = None
        self.on_get: Callable[[ChunkServer, Request], Answer | None] | None = None
        self.expires = "2999-01-01T00:00:00Z"
        srv.route("/chunked_upload/", self._handle)
        srv.route("/data_files/", self._data_file)

    # -- what a test inspects --------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"{self.srv.url}/chunked_upload/{self.upload_id}/"

    def sent_bytes(self) -> int:
        """File bytes the client put on the wire, over every chunk PUT."""
        return sum(len(p.chunk) for p in self.puts)

    def state(self, **extra: Any) -> dict[str, Any]:
        """The honest answer for the upload's current state."""
        return {
            "id": self.upload_id,
            "url": self.url,
            "offset": len(self.data),
            "expires": self.expires,
            "completed_at": "2024-01-01T00:00:00Z" if self.completed else None,
            **extra,
        }

    # -- serving ---------------------------------------------------------------------------

    def _handle(self, conn: Conn, req: Request) -> bool:
        with self.lock:
            if req.method == "PUT" and len(self.puts) >= self.max_puts:
                conn.reset()  # stop answering: a livelocked client cannot go on forever
                return False
            answer = self._answer(req)
        status, body = answer
        conn.send_json(body if isinstance(body, bytes) else json.dumps(body).encode(), status)
        return True

    def _answer(self, req: Request) -> Answer:
        if req.method == "PUT":
            match = _RANGE.match(req.header("content-range") or "")
            put = Put(req, int(match.group(1)) if match else None, file_part(req))
            self.puts.append(put)
            hooked = self.on_put(self, put) if self.on_put else None
            return hooked if hooked is not None else self.honest_put(put)
        if req.method == "POST":
            self.finalizes.append(req)
            hooked = self.on_finalize(self, req) if self.on_finalize else None
            return hooked if hooked is not None else self.honest_finalize(req)
        hooked = self.on_get(self, req) if self.on_get else None
        return hooked if hooked is not None else (200, self.state())

    def honest_put(self, put: Put) -> Answer:
        if put.start is None:
            return 400, {"detail": "Error in request headers"}
        if put.req.path == "/chunked_upload/":  # a create: a new upload (same id, for tests)
            self.data.clear()
            self.completed = False
        if put.start != len(self.data):
            return 400, {
                "detail": "Offsets do not match",
                "expected_offset": len(self.data),
                "provided_offset": put.start,
            }
        self.data += put.chunk
        return 200, self.state()

    def honest_finalize(self, req: Request) -> Answer:
        sent = json.loads(req.body or b"{}").get("md5")
        if sent != md5(bytes(self.data)):
            return 400, {"detail": "checksum does not match"}
        self.completed = True
        return 200, self.state(checksum=md5(bytes(self.data)), size=len(self.data))

    def _data_file(self, conn: Conn, req: Request) -> bool:
        """``POST data_files/``: direct multipart, or ``{"chunked_upload": id}``."""
        content = file_part(req)
        if content is None:
            content = bytes(self.data)
        conn.send_json({"id": 1, "checksum": md5(content), "size": len(content)}, 201)
        return True


def client_for(srv: HostileServer, **options: Any) -> BackendClient:
    """A client of ``srv`` with millisecond backoff and short timeouts (tests stay fast)."""
    options.setdefault("retries", RetryPolicy(backoff_initial=0.001, backoff_max=0.01))
    options.setdefault("timeout", Timeout(connect=2, read=3, deadline=8))
    return BackendClient(srv.url, api_token=TOKEN, **options)


#: A data collection as the local backend renders it (``image_1`` required .jpg/.png).
COLLECTION: dict[str, Any] = {
    "id": 1,
    "name": "Demo images",
    "description": "",
    "category": "image",
    "meta": {},
    "access_level": "private",
    "is_archived": False,
    "created": "2026-01-01T00:00:00Z",
    "file_specifications": [
        {
            "id": 1,
            "name": "image_1",
            "description": "",
            "file_type": "image",
            "is_required": True,
            "is_primary": True,
            "is_sequential": False,
            "function_type": "main",
            "index": 1,
            "extensions": [".jpg", ".png"],
            "configuration": {},
        }
    ],
    "count_projects": 0,
}


def serve_collection(srv: HostileServer) -> None:
    """``data_collections/1/``, ``verify_checksums`` (knows nothing) and a ``data_units/`` that
    refuses every unit (tests assert it was never asked)."""
    srv.json("/data_collections/", COLLECTION)
    srv.json("/data_files/verify_checksums/", {"existing_checksums": []})
    srv.json("/data_units/", {"detail": "this test server creates no data units"}, 400)

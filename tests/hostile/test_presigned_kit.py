"""A scriptable presigned-upload backend on two :class:`HostileServer`s, shared by the tests.

:class:`PresignedKit` answers ``data_files/presigned_upload/upload/`` honestly (one URL per file
on the *storage* server, or multipart parts above ``threshold``), stores what the storage server
is PUT (answering each part with the part's MD5 as ETag), and confirms honestly (a file is
created when the bytes stored under its key have the SHA-1 it was confirmed with). A test turns
it hostile with ``on_upload`` (rewrite the upload answer), ``on_put`` (answer a PUT itself:
return True/False as a handler does, or None for the honest answer) and ``on_confirm``.

This module holds no tests; it is named ``test_presigned_*`` because only such files are ours.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hostile_server import Conn, HostileServer, Request

from synapse_sdk import RetryPolicy, Timeout
from synapse_sdk.clients.backend import BackendClient

__all__ = ["TOKEN", "PresignedKit", "sha1", "xml_error"]

TOKEN = "presigned-hostile-token-123"
UPLOAD = "/data_files/presigned_upload/upload/"
CONFIRM = "/data_files/presigned_upload/confirm_upload/"


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def xml_error(code: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
        "<Message>refused</Message></Error>"
    ).encode()


class PresignedKit:
    """An honest presigned backend (``api``) and object store (``storage``), hookable."""

    def __init__(
        self,
        api: HostileServer,
        storage: HostileServer,
        *,
        threshold: int = 10**9,
        part_size: int = 1000,
        provider: str = "minio",
    ) -> None:
        self.api, self.storage = api, storage
        self.threshold, self.part_size = threshold, part_size
        self.objects: dict[str, bytes] = {}
        self.parts: dict[str, dict[int, bytes]] = {}
        self.keys = 0
        self.lock = threading.Lock()
        self.on_upload: Callable[[dict[str, Any]], Any] | None = None
        self.on_put: Callable[[Conn, Request, int], bool | None] | None = None
        self.on_confirm: Callable[[dict[str, Any], dict[str, Any]], Any] | None = None
        self.puts = 0
        self.confirms: list[dict[str, Any]] = []
        #: Answers the confirm instead of the honest handler (a raw handler).
        self.confirm_handler: Callable[[Conn, Request], bool] | None = None
        api.json(
            "/storages/",
            {
                "count": 1,
                "next": None,
                "previous": None,
                "results": [
                    {
                        "id": 1,
                        "name": "s",
                        "category": "internal",
                        "provider": provider,
                        "configuration": {},
                        "is_default": True,
                    }
                ],
            },
        )
        api.route(UPLOAD, self._upload)
        api.route(CONFIRM, self._confirm)
        storage.route("/obj/", self._put)

    def client(self, **options: Any) -> BackendClient:
        options.setdefault("retries", RetryPolicy(backoff_initial=0.001, backoff_max=0.01))
        options.setdefault("timeout", Timeout(connect=2, read=3, deadline=8))
        return BackendClient(self.api.url, api_token=TOKEN, **options)

    # -- the upload request ----------------------------------------------------------------

    def plan(self, name: str, size: int) -> dict[str, Any]:
        with self.lock:
            self.keys += 1
            key = f"k{self.keys}-{name}"
        entry: dict[str, Any] = {"filename": name, "file_key": key}
        if size <= self.threshold:
            entry.update(presigned_url=f"{self.storage.url}/obj/{key}?sig=s3cr3t", multipart=None)
            return entry
        count = max(1, -(-size // self.part_size))
        entry["presigned_url"] = None
        entry["multipart"] = {
            "upload_id": f"up-{key}",
            "part_size": self.part_size,
            "parts": [
                {
                    "part_number": n,
                    "presigned_url": f"{self.storage.url}/obj/{key}?partNumber={n}&sig=s3cr3t",
                }
                for n in range(1, count + 1)
            ],
        }
        return entry

    def _upload(self, conn: Conn, req: Request) -> bool:
        body = json.loads(req.body)
        answer: Any = {
            "files": [self.plan(f["filename"], f["size"]) for f in body["files"]],
            "expires_at": "2030-01-01T00:00:00Z",
        }
        if self.on_upload is not None:
            answer = self.on_upload(answer)
        conn.send_json(answer if isinstance(answer, bytes) else json.dumps(answer).encode())
        return True

    # -- storage ---------------------------------------------------------------------------

    def _put(self, conn: Conn, req: Request) -> bool:
        with self.lock:
            self.puts += 1
            n = self.puts
        if self.on_put is not None:
            verdict = self.on_put(conn, req, n)
            if verdict is not None:
                return verdict
        key = req.path[len("/obj/") :]
        query = dict(p.split("=", 1) for p in req.target.partition("?")[2].split("&") if p)
        if "partNumber" in query:
            with self.lock:
                self.parts.setdefault(key, {})[int(query["partNumber"])] = req.body
            etag = f'"{hashlib.md5(req.body).hexdigest()}"'
            conn.send_head(200, {"ETag": etag, "Content-Length": "0"})
        else:
            with self.lock:
                self.objects[key] = req.body
            conn.send_head(200, {"ETag": '"x"', "Content-Length": "0"})
        return True

    # -- confirm ---------------------------------------------------------------------------

    def stored(self, key: str, multipart: dict[str, Any] | None) -> bytes | None:
        if multipart is None:
            return self.objects.get(key)
        parts = self.parts.get(key, {})
        out = b""
        for p in multipart["parts"]:
            data = parts.get(p["part_number"])
            if data is None or p["etag"] != f'"{hashlib.md5(data).hexdigest()}"':
                return None
            out += data
        return out

    def _confirm(self, conn: Conn, req: Request) -> bool:
        body = json.loads(req.body)
        self.confirms.append(body)
        if self.confirm_handler is not None:
            return self.confirm_handler(conn, req)
        results = []
        for i, f in enumerate(body["files"]):
            data = self.stored(f["file_key"], f.get("multipart"))
            ok = data is not None and sha1(data) == f["checksum"] and len(data) == f["size"]
            results.append(
                {
                    "file_key": f["file_key"],
                    "checksum": f["checksum"],
                    "data_file_id": 100 + len(self.confirms) * 1000 + i if ok else None,
                    "success": ok,
                    "error": None if ok else "object missing or checksum mismatch",
                }
            )
        answer: Any = {
            "results": results,
            "created_count": sum(r["success"] for r in results),
            "failed_count": sum(not r["success"] for r in results),
        }
        if self.on_confirm is not None:
            answer = self.on_confirm(body, answer)
        conn.send_json(answer if isinstance(answer, bytes) else json.dumps(answer).encode())
        return True


def make_files(tmp: Path, sizes: list[int]) -> list[Path]:
    out = []
    for i, size in enumerate(sizes):
        path = tmp / f"f{i}.bin"
        path.write_bytes(bytes((i * 7 + j) % 251 for j in range(size)))
        out.append(path)
    return out

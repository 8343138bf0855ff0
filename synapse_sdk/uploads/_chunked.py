"""The chunked-upload protocol (wire-protocol §6): PUT chunks with ``Content-Range``, trust the
server's ``offset``, finalize with the file's MD5.

Resumable means asking the server where it is (reliability rule 6): after an ambiguous chunk
failure the engine reads the upload's ``offset`` and continues from there; a finalize whose answer
was lost is rechecked with ``GET chunked_upload/<id>/`` instead of being resent; an expired upload
(410) restarts once from byte 0; a checksum mismatch raises :class:`IntegrityError`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from synapse_sdk._endpoint import Action, Endpoint
from synapse_sdk._exceptions import (
    ClientError,
    HTTPError,
    IntegrityError,
    OutcomeUnknownError,
    TransportError,
    ValidationError,
)
from synapse_sdk._http import Multipart, Session, Timeout

__all__ = ["CHUNKED_UPLOADS", "DEFAULT_CHUNK_SIZE", "ChunkedUploader", "ProgressCallback"]

DEFAULT_CHUNK_SIZE = 50 * 1024 * 1024
ProgressCallback = Callable[[int, int], None]

CHUNKED_UPLOADS = Endpoint(
    name="chunked_uploads",
    path="chunked_upload/",
    id_kind="uuid",
    ops=frozenset({"get"}),
    actions={
        "start": Action("PUT", "", detail=False),
        "append": Action("PUT", ""),
        "complete": Action("POST", ""),
        "whole": Action("POST", "", detail=False),
    },
)


def check_upload_path(file_path: object) -> Path:
    """Validate a local file to upload: it must exist, be a regular file and be readable.

    Raises:
        TypeError: ``file_path`` is not a ``str``/``os.PathLike``.
        FileNotFoundError, IsADirectoryError, PermissionError: the path cannot be uploaded.
    """
    if not isinstance(file_path, str | os.PathLike):
        raise TypeError(f"file path must be a str or Path, got {type(file_path).__name__}")
    path = Path(file_path)
    if not path.exists():
        raise FileNotFoundError(f"no such file to upload: {str(path)!r}")
    if path.is_dir():
        raise IsADirectoryError(f"cannot upload a directory: {str(path)!r}")
    if not os.access(path, os.R_OK):
        raise PermissionError(f"file is not readable: {str(path)!r}")
    return path


class ChunkedUploader:
    """Uploads one file with the chunked protocol through ``session``."""

    def __init__(
        self,
        session: Session,
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        on_progress: ProgressCallback | None = None,
        timeout: Timeout | None = None,
    ) -> None:
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size <= 0:
            raise ValueError(f"chunk_size must be a positive int, got {chunk_size!r}")
        self._session = session
        self._chunk_size = chunk_size
        self._on_progress = on_progress
        self._timeout = timeout

    def upload(self, file_path: str | os.PathLike[str]) -> dict[str, Any]:
        """Upload the file and return the server's finalize response (``id``, ``checksum`` ...)."""
        path = check_upload_path(file_path)
        try:
            return self._upload_once(path)
        except HTTPError as exc:
            if exc.status_code != 410:
                raise
            return self._upload_once(path)  # expired: start again from byte 0, once

    def _upload_once(self, path: Path) -> dict[str, Any]:
        total = path.stat().st_size
        md5 = hashlib.md5(usedforsecurity=False)
        if total == 0:
            return self._finalize_whole(path.name, md5.hexdigest())
        state: dict[str, Any] | None = None
        offset = 0
        with path.open("rb") as fh:
            while offset < total:
                fh.seek(offset)
                chunk = fh.read(min(self._chunk_size, total - offset))
                state = self._send_chunk(path.name, chunk, offset, total, state)
                new_offset = int(state.get("offset", offset + len(chunk)))
                if new_offset <= offset or new_offset > total:
                    raise IntegrityError(
                        f"server reported offset {new_offset} after a chunk at {offset} of {total}"
                    )
                md5.update(memoryview(chunk)[: new_offset - offset])
                offset = new_offset
                if self._on_progress is not None:
                    self._on_progress(offset, total)
        assert state is not None
        return self._finalize(state, md5.hexdigest())

    def _url(self, state: dict[str, Any] | None) -> tuple[str, str]:
        if state is None:
            return CHUNKED_UPLOADS.action_path("start")
        url = state.get("url")
        if isinstance(url, str) and url:
            return "PUT", url
        return CHUNKED_UPLOADS.action_path("append", state.get("id"))

    def _send_chunk(
        self, name: str, chunk: bytes, offset: int, total: int, state: dict[str, Any] | None
    ) -> dict[str, Any]:
        method, url = self._url(state)
        body = Multipart(fields=[("filename", name)], files=[("file", "file", chunk, None)])
        headers = {"Content-Range": f"bytes {offset}-{offset + len(chunk) - 1}/{total}"}
        try:
            answer = self._session.request(
                method, url, body=body, headers=headers, timeout=self._timeout
            ).json()
        except (TransportError, ValidationError) as exc:
            if state is None:
                raise  # nothing addressable yet: the first chunk simply failed
            current = self.state(state)
            expected = int(current.get("offset", -1))
            if expected == offset + len(chunk):
                return {**state, **current}  # the chunk did land: continue after it
            if isinstance(exc, ValidationError) or expected != offset:
                raise
            answer = self._session.request(
                method, url, body=body, headers=headers, timeout=self._timeout
            ).json()
        if not isinstance(answer, dict) or "id" not in answer:
            raise ClientError(f"chunked upload answered without an id: {answer!r}"[:300])
        return answer

    def state(self, state: dict[str, Any]) -> dict[str, Any]:
        """Ask the server where upload ``state['id']`` is (``offset``, ``completed_at``)."""
        answer = self._session.request(
            "GET", CHUNKED_UPLOADS.detail_path(str(state["id"])), timeout=self._timeout
        ).json()
        if not isinstance(answer, dict):
            raise ClientError("chunked upload state is not an object")
        return answer

    def _finalize(self, state: dict[str, Any], checksum: str) -> dict[str, Any]:
        url = state.get("url") or CHUNKED_UPLOADS.action_path("complete", state.get("id"))[1]
        try:
            answer = self._session.request(
                "POST", url, json={"md5": checksum}, timeout=self._timeout
            ).json()
        except OutcomeUnknownError:
            current = self.state(state)  # lost answer: recheck, never resend
            if current.get("completed_at"):
                return current
            raise
        except ValidationError as exc:
            if "checksum" in str(exc.response).lower():
                raise IntegrityError(
                    f"the server's copy of upload {state.get('id')} does not match the local "
                    f"file's MD5 {checksum}",
                    status_code=exc.status_code,
                    response=exc.response,
                ) from exc
            raise
        if not isinstance(answer, dict):
            raise ClientError("chunked upload finalize answered a non-object")
        return answer

    def _finalize_whole(self, name: str, checksum: str) -> dict[str, Any]:
        method, path = CHUNKED_UPLOADS.action_path("whole")
        body = Multipart(fields=[("filename", name), ("md5", checksum)])
        answer = self._session.request(method, path, body=body, timeout=self._timeout).json()
        if not isinstance(answer, dict):
            raise ClientError("chunked upload answered a non-object")
        return answer

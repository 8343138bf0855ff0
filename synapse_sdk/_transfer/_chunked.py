"""The chunked-upload protocol (wire-protocol §6), resumable and verified.

``PUT chunked_upload/`` then ``PUT <url>`` per chunk (multipart ``filename`` + ``file``, header
``Content-Range: bytes a-b/total``), then ``POST <url> {"md5": ...}``. The engine:

* streams each chunk from disk in blocks (memory stays at a few blocks, whatever the chunk size)
  and hashes each byte once as it is read (:mod:`._stream`, :mod:`._hashing`);
* trusts the server's ``offset`` (and a 400's ``expected_offset``), never its own arithmetic;
* sends chunk PUTs as non-idempotent calls, so the session never replays a chunk blindly: after
  an ambiguous failure it reads the upload's ``offset`` (``GET chunked_upload/<id>/``) and goes
  on from there, resending at most the one chunk that did not land (reliability rule 6);
* rechecks a finalize whose answer was lost with GET instead of resending it, and resends it
  once only when the server shows the upload still incomplete;
* restarts once from byte 0 when the upload expired (410);
* raises :class:`IntegrityError` on a checksum mismatch, or when the file changed on disk while
  it was being uploaded (checked before finalizing, so a torn file is never completed).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from synapse_sdk._endpoint import Action, Endpoint, check_id
from synapse_sdk._exceptions import (
    ClientError,
    HTTPError,
    IntegrityError,
    OriginError,
    RateLimitError,
    ResponseDecodeError,
    ResponseValidationError,
    ServerError,
    TransportError,
    ValidationError,
)
from synapse_sdk._http import Multipart, Session, Timeout
from synapse_sdk._progress import ProgressLike, reporter
from synapse_sdk._transfer._paths import check_upload_path, stamp_of
from synapse_sdk._transfer._run import Run, error_detail, expected_offset, tag_error
from synapse_sdk._transfer._stream import BLOCK_SIZE, ChunkSource

__all__ = ["CHUNKED_UPLOADS", "DEFAULT_CHUNK_SIZE", "ChunkedUploader", "ProgressCallback"]

#: The real client's chunk size (50 MiB).
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

# Failures after which a chunk may or may not have landed: ask the server where it is. (A 2xx
# whose body is garbled most likely landed; the offset says.)
_AMBIGUOUS = (TransportError, ServerError, RateLimitError, ResponseDecodeError)
_EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"


class ChunkedUploader:
    """Uploads files with the chunked protocol through ``session``.

    Args:
        session: The client's session.
        chunk_size: Bytes per chunk (default 50 MiB).
        progress: ``True`` for a progress bar, or a ``(sent, total)`` callback.
        timeout: Timeouts per request (default: the session's).
        overlap: Read and hash the next blocks in a helper thread while one is sent. Off by
            default: on the 2-core machine of ``bench/upload.py`` the sequential pipeline was
            as fast or faster (the server's process needs the other core); turn it on where
            the client has a core to spare and MD5 is the bottleneck.
        block_size: Bytes per read and per socket send.
        max_stalls: Consecutive failed attempts without progress before giving up.
        finalize_polls: GETs (with backoff) that wait for a finalize whose answer was lost.

    Raises:
        ValueError: ``chunk_size``/``block_size``/``max_stalls`` is not a positive int.
    """

    def __init__(
        self,
        session: Session,
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        progress: ProgressLike = None,
        timeout: Timeout | None = None,
        overlap: bool = False,
        block_size: int = BLOCK_SIZE,
        max_stalls: int = 5,
        finalize_polls: int = 3,
    ) -> None:
        for name, value in (
            ("chunk_size", chunk_size),
            ("block_size", block_size),
            ("max_stalls", max_stalls),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self._session = session
        self._chunk_size = chunk_size
        self._progress = progress
        self._timeout = timeout
        self._overlap = overlap
        self._block_size = min(block_size, chunk_size)
        self._max_stalls = max_stalls
        self._finalize_polls = max(0, finalize_polls)

    # -- public ----------------------------------------------------------------------------

    def upload(self, file_path: str | os.PathLike[str]) -> dict[str, Any]:
        """Upload a file; return the server's finalize answer (``id``, ``checksum``, ``size``).

        Raises:
            FileNotFoundError, IsADirectoryError, PermissionError, OSError: The file cannot be
                uploaded (before any request).
            IntegrityError: The server's copy does not match the local file's MD5, or the file
                changed while uploading.
            ClientError: The upload failed; ``upload_id`` on the error names the upload when it
                was started, for :meth:`resume`.
        """
        path = check_upload_path(file_path)
        return self._run(path, None)

    def resume(self, upload_id: str, file_path: str | os.PathLike[str]) -> dict[str, Any]:
        """Continue an upload (started by this or another process) from the server's offset.

        The local file must hold at least the bytes the server has. Whether those bytes are the
        same is proven by the whole-file MD5 at the end: a different file raises
        :class:`IntegrityError` and is never completed.

        Raises:
            ValueError: The upload id is not a UUID, or the server holds more bytes than the
                local file has (before any byte is sent).
            NotFoundError: No such upload. HTTPError 410: it expired (start a new upload).
        """
        path = check_upload_path(file_path)
        key = check_id(upload_id, "uuid", what="upload_id")
        return self._run(path, key)

    def state(self, upload_id: Any) -> dict[str, Any]:
        """The server's view of an upload (``offset``, ``completed_at`` ...)."""
        answer = self._session.request(
            "GET", CHUNKED_UPLOADS.detail_path(str(upload_id)), timeout=self._timeout
        ).json()
        if not isinstance(answer, dict) or not isinstance(answer.get("offset"), int):
            raise ResponseValidationError(
                f"chunked upload state without an integer offset: {answer!r}"[:300],
                response=answer,
            )
        return answer

    # -- the run ---------------------------------------------------------------------------

    def _run(self, path: Path, resume_id: str | None) -> dict[str, Any]:
        report = reporter(self._progress, path.stat().st_size, path.name, "B")
        run = Run(path, report)
        try:
            if resume_id is not None:
                run.state = self._resume_state(run, resume_id)
                if run.state.get("completed_at"):
                    return run.state
            restarted = False
            while True:
                try:
                    return self._attempt(run)
                except HTTPError as exc:
                    if exc.status_code != 410 or restarted:
                        raise
                    restarted = True  # expired: a new upload from byte 0, once
                    run.state = None
        except ClientError as exc:
            tag_error(exc, run.upload_id)
            raise
        finally:
            report.close()

    def _resume_state(self, run: Run, upload_id: str) -> dict[str, Any]:
        state = self.state(upload_id)
        offset = state["offset"]
        if offset > run.total or (state.get("completed_at") and offset != run.total):
            raise ValueError(
                f"upload {upload_id} holds {offset} bytes but {str(run.path)!r} has "
                f"{run.total}: it is not this file"
            )
        state.setdefault("id", upload_id)
        # Hash the part the server already has now, so the rest hashes as it is sent.
        run.hasher.catch_up(offset)
        run.report.update(offset)
        return state

    def _attempt(self, run: Run) -> dict[str, Any]:
        if run.total == 0 and run.state is None:
            return self._finalize_whole(run)
        offset = 0 if run.state is None else int(run.state["offset"])
        stalls = 0
        while offset < run.total:
            size = min(self._chunk_size, run.total - offset)
            error: ClientError | None = None
            try:
                answer = self._put(run, offset, size)
            except ValidationError as exc:
                expected = expected_offset(exc)
                if expected is None:
                    raise
                new, error = expected, exc  # the server says where it is: trust it
            except _AMBIGUOUS as exc:
                if isinstance(exc, OriginError):
                    raise
                error = exc
                # Without an id nothing is addressable: start a new upload (an orphan expires).
                new = 0 if run.state is None else self.state(run.upload_id)["offset"]
            else:
                run.state = answer
                new = answer["offset"]
            if not 0 <= new <= run.total:
                raise ResponseValidationError(
                    f"the server reported offset {new} for a file of {run.total} bytes",
                    response=run.state,
                )
            if new > offset:
                stalls = 0
            else:
                stalls += 1
                if stalls > self._max_stalls:
                    assert error is not None
                    raise error
                if stalls > 1:
                    self._session.sleep(self._session.retry.backoff(stalls - 2))
            offset = new
            run.report.update(offset)
        return self._finalize(run)

    def _target(self, run: Run) -> tuple[str, str]:
        if run.state is None:
            return CHUNKED_UPLOADS.action_path("start")
        url = run.state.get("url")
        if isinstance(url, str) and url:
            return "PUT", url
        return CHUNKED_UPLOADS.action_path("append", str(run.upload_id))

    def _put(self, run: Run, offset: int, size: int) -> dict[str, Any]:
        method, url = self._target(run)
        source = ChunkSource(
            run.path,
            offset,
            size,
            run.hasher,
            block_size=self._block_size,
            overlap=self._overlap,
            on_sent=lambda sent: run.report.update(offset + sent),
        )
        body = Multipart(
            fields=[("filename", run.name)],
            files=[("file", "file", (source, size), "application/octet-stream")],
        )
        headers = {"Content-Range": f"bytes {offset}-{offset + size - 1}/{run.total}"}
        answer = self._session.request(
            method, url, body=body, headers=headers, timeout=self._timeout, idempotent=False
        ).json()
        if (
            not isinstance(answer, dict)
            or "id" not in answer
            or not isinstance(answer.get("offset"), int)
        ):
            raise ResponseValidationError(
                f"a chunk answer needs 'id' and an integer 'offset': {answer!r}"[:300],
                response=answer,
            )
        return answer

    # -- finalize --------------------------------------------------------------------------

    def _finalize(self, run: Run) -> dict[str, Any]:
        if stamp_of(run.path) != run.stamp:
            raise IntegrityError(
                f"{str(run.path)!r} changed on disk while it was being uploaded; the upload was "
                "not completed. Upload it again once the file is stable"
            )
        checksum = run.hasher.hexdigest(run.total)
        try:
            answer = self._post_md5(run, checksum)
        except _AMBIGUOUS as exc:
            if isinstance(exc, OriginError):
                raise
            done = self._recheck(run, checksum, polls=self._finalize_polls)
            if done is not None:
                return done
            # The server shows the upload still open: the finalize never ran. Send it again.
            try:
                answer = self._post_md5(run, checksum)
            except _AMBIGUOUS:
                done = self._recheck(run, checksum, polls=0)
                if done is not None:
                    return done
                raise
        return self._verified(run, answer, checksum)

    def _post_md5(self, run: Run, checksum: str) -> dict[str, Any]:
        url = run.state.get("url") if run.state else None
        if not isinstance(url, str) or not url:
            url = CHUNKED_UPLOADS.action_path("complete", str(run.upload_id))[1]
        try:
            answer = self._session.request(
                "POST", url, json={"md5": checksum}, timeout=self._timeout, idempotent=False
            ).json()
        except ValidationError as exc:
            detail = error_detail(exc)
            if "checksum" in detail and "match" in detail:
                raise IntegrityError(
                    f"the server's copy of upload {run.upload_id} does not match the local "
                    f"file's MD5 {checksum}: bytes were altered in transit or the file changed",
                    status_code=exc.status_code,
                    response=exc.response,
                ) from exc
            if "already" in detail and "complete" in detail:
                done = self._recheck(run, checksum, polls=0)
                if done is not None:
                    return done
            raise
        if not isinstance(answer, dict):
            raise ResponseValidationError("the finalize answer is not an object", response=answer)
        return answer

    def _recheck(self, run: Run, checksum: str, *, polls: int) -> dict[str, Any] | None:
        """GET the upload until it shows ``completed_at`` (``polls`` more tries, with backoff)."""
        for attempt in range(polls + 1):
            if attempt:
                self._session.sleep(self._session.retry.backoff(attempt - 1))
            state = self.state(run.upload_id)
            if state.get("completed_at"):
                # The GET lacks checksum/size; the server only completes after matching our MD5.
                return {**state, "checksum": state.get("checksum") or checksum, "size": run.total}
        return None

    def _verified(self, run: Run, answer: dict[str, Any], checksum: str) -> dict[str, Any]:
        if "id" not in answer:
            answer = {**answer, "id": run.upload_id}
        theirs = answer.get("checksum")
        if isinstance(theirs, str) and theirs and theirs.lower() != checksum:
            raise IntegrityError(
                f"upload {answer['id']} completed with checksum {theirs}, local MD5 is {checksum}",
                response=answer,
            )
        size = answer.get("size")
        if isinstance(size, int) and size != run.total:
            raise IntegrityError(
                f"upload {answer['id']} completed with {size} bytes, the file has {run.total}",
                response=answer,
            )
        return answer

    def _finalize_whole(self, run: Run) -> dict[str, Any]:
        """An empty file: one ``POST chunked_upload/`` with the empty MD5 and no file part.

        If its answer is lost there is no id to recheck, so the error is raised as is.
        """
        method, path = CHUNKED_UPLOADS.action_path("whole")
        body = Multipart(fields=[("filename", run.name), ("md5", _EMPTY_MD5)])
        answer = self._session.request(method, path, body=body, timeout=self._timeout).json()
        if not isinstance(answer, dict) or "id" not in answer:
            raise ResponseValidationError(
                f"the upload answer has no id: {answer!r}"[:300], response=answer
            )
        run.state = answer
        return self._verified(run, answer, _EMPTY_MD5)

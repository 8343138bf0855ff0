"""The chunked-upload protocol (Content-Range chunks, md5 finalize), resumable and verified.

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
  it was being uploaded (checked after every block read, before every chunk and before
  finalizing, so a torn file is never completed), naming the upload to resume;
* checks every value the server supplies (``id``, ``offset``, ``expected_offset``, ``url``) before
  building a request from it, and refuses an offset past the bytes it was sent;
* stops a livelock: an attempt may send ``(1 + max_resend) x`` the bytes it has to upload plus a
  few chunks, and the server's offset may move backwards ``max_regressions`` times; then
  :class:`UploadStalledError`. ``deadline`` bounds the whole upload's wall-clock time.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from synapse_sdk._endpoint import check_id
from synapse_sdk._exceptions import (
    ClientError,
    HTTPError,
    OriginError,
    ResponseValidationError,
    ValidationError,
)
from synapse_sdk._http import Multipart, Session, Timeout
from synapse_sdk._progress import ProgressLike, reporter
from synapse_sdk._transfer._hashing import FileChangedError
from synapse_sdk._transfer._paths import check_upload_path
from synapse_sdk._transfer._result import AMBIGUOUS, UploadBase
from synapse_sdk._transfer._run import (
    CHUNKED_UPLOADS,
    Run,
    check_offset,
    check_upload_id,
    expected_offset,
    file_changed,
    invalid_answer,
    tag_error,
    upload_path,
)
from synapse_sdk._transfer._stream import BLOCK_SIZE, ChunkSource

__all__ = ["CHUNKED_UPLOADS", "DEFAULT_CHUNK_SIZE", "ChunkedUploader", "ProgressCallback"]

#: The real client's chunk size (50 MiB).
DEFAULT_CHUNK_SIZE = 50 * 1024 * 1024
ProgressCallback = Callable[[int, int], None]


def _number(name: str, value: object, *, zero_ok: bool) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not (value >= 0 if zero_ok else value > 0)  # NaN fails both
    ):
        kind = "a non-negative" if zero_ok else "a positive"
        raise ValueError(f"{name} must be {kind} number, got {value!r}")
    return float(value)


class ChunkedUploader(UploadBase):
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
        max_resend: Bytes an attempt may send again per byte it has to upload, on top of the
            file itself and four chunks (default 1.0: at most twice the file plus four chunks).
        max_regressions: Times the server's offset may move backwards in one attempt.
        deadline: Wall-clock seconds for the whole upload (None: only each request's own
            deadline applies); past it, :class:`DeadlineExceededError`.

    Raises:
        ValueError: ``chunk_size``/``block_size``/``max_stalls`` is not a positive int,
            ``max_resend``/``max_regressions`` is negative or ``deadline`` is not positive.
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
        max_resend: float = 1.0,
        max_regressions: int = 2,
        deadline: float | None = None,
    ) -> None:
        for name, value in (
            ("chunk_size", chunk_size),
            ("block_size", block_size),
            ("max_stalls", max_stalls),
            ("max_regressions", max_regressions + 1 if isinstance(max_regressions, int) else 0),
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
        self._max_resend = _number("max_resend", max_resend, zero_ok=True)
        self._max_regressions = max_regressions
        self._deadline = None if deadline is None else _number("deadline", deadline, zero_ok=False)

    # -- public ----------------------------------------------------------------------------

    def upload(self, file_path: str | os.PathLike[str]) -> dict[str, Any]:
        """Upload a file; return the server's finalize answer (``id``, ``checksum``, ``size``).

        Raises:
            FileNotFoundError, IsADirectoryError, PermissionError, OSError: The file cannot be
                uploaded (before any request).
            IntegrityError: The server's copy does not match the local file's MD5, or the file
                changed while uploading (the message names the upload to resume).
            UploadStalledError: The server's answers kept the upload from progressing.
            ResponseValidationError, OriginError: The server supplied a bad ``id``, ``offset``
                or ``url`` (nothing was sent with it).
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
        """The server's view of an upload (``offset``, ``completed_at`` ...).

        Raises:
            ValueError: ``upload_id`` is not a UUID string or a positive int.
        """
        try:
            key = check_upload_id(upload_id, response=None)
        except ResponseValidationError:
            raise ValueError(
                f"upload_id must be a UUID string or a positive int, got {upload_id!r}"[:200]
            ) from None
        answer = self._session.request("GET", upload_path(key), timeout=self._timeout).json()
        offset = answer.get("offset") if isinstance(answer, dict) else None
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise ResponseValidationError(
                f"chunked upload state without an integer offset: {answer!r}"[:300],
                response=answer,
            )
        assert isinstance(answer, dict)
        return answer

    # -- the run ---------------------------------------------------------------------------

    def _run(self, path: Path, resume_id: str | None) -> dict[str, Any]:
        report = reporter(self._progress, path.stat().st_size, path.name, "B")
        run = Run(path, report, clock=self._session.clock, deadline=self._deadline)
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
        except FileChangedError as exc:
            err = file_changed(run, str(exc))
            tag_error(err, run.upload_id)
            raise err from exc
        except ClientError as exc:
            tag_error(exc, run.upload_id)
            raise
        finally:
            report.close()

    def _resume_state(self, run: Run, upload_id: str) -> dict[str, Any]:
        answer = self._get(run, upload_id)
        if isinstance(answer, dict):
            answer = {"id": upload_id, **answer}
            offset = answer.get("offset")
            if (
                isinstance(offset, int)
                and not isinstance(offset, bool)
                and (offset > run.total or (answer.get("completed_at") and offset != run.total))
            ):
                raise ValueError(
                    f"upload {upload_id} holds {offset} bytes but {str(run.path)!r} has "
                    f"{run.total}: it is not this file"
                )
        state = run.accept(answer, self._session)
        if str(state["id"]).lower() != upload_id.lower():
            raise invalid_answer(
                f"asked for upload {upload_id}, the server answered for {state['id']}", "id", state
            )
        # Hash the part the server already has now, so the rest hashes as it is sent.
        run.hasher.catch_up(state["offset"])
        run.report.update(state["offset"])
        return state

    def _attempt(self, run: Run) -> dict[str, Any]:
        if run.total == 0 and run.state is None:
            return self._finalize_whole(run)
        offset: int = 0 if run.state is None else run.state["offset"]
        run.begin(offset, self._chunk_size, self._max_resend)
        stalls = 0
        while offset < run.total:
            size = min(self._chunk_size, run.total - offset)
            self._call_timeout(run)  # past the upload's deadline: DeadlineExceededError
            run.charge(size, self._max_resend)
            error: ClientError | None = None
            try:
                answer = self._put(run, offset, size)
            except ValidationError as exc:
                mismatch, raw = expected_offset(exc)
                if not mismatch:
                    raise
                error = exc  # the server says where it is: trust it, once checked
                # Without an id there is no upload to continue: the create is sent again.
                new = 0
                if run.state is not None:
                    new = check_offset(
                        raw, "expected_offset", total=run.total, response=exc.response
                    )
            except AMBIGUOUS as exc:
                if isinstance(exc, OriginError):
                    raise
                self._call_timeout(run)  # the upload's deadline, not a lost chunk, ended it
                error = exc
                # Without an id nothing is addressable: start a new upload (an orphan expires).
                new = 0 if run.state is None else self._get(run, run.upload_id)["offset"]
            else:
                run.state = answer
                new = answer["offset"]
            if new > offset + size:
                raise invalid_answer(
                    f"the server reports offset {new} after a chunk ending at byte "
                    f"{offset + size}: it claims bytes it was never sent",
                    "offset",
                    run.state,
                )
            if new < offset:
                run.regressions += 1
                if run.regressions > self._max_regressions:
                    raise run.stalled(
                        f"the server moved its offset backwards {run.regressions} times (last "
                        f"from {offset} to {new})",
                        run.reached,
                    )
            if new > offset:
                stalls = 0
            else:
                stalls += 1
                if stalls > self._max_stalls:
                    if error is not None:
                        raise error
                    raise run.stalled(
                        f"{stalls} chunks in a row were answered without progress", run.reached
                    )
                if stalls > 1:
                    self._pause(run, self._session.retry.backoff(stalls - 2))
            offset = new
            run.reached = max(run.reached, new)
            run.report.update(offset)
        return self._finalize(run)

    def _target(self, run: Run) -> tuple[str, str]:
        if run.state is None:
            return CHUNKED_UPLOADS.action_path("start")
        url = run.state.get("url")
        if isinstance(url, str):
            return "PUT", url  # checked by Run.accept: this upload's URL on the API origin
        return "PUT", upload_path(run.upload_id)

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
            stamp=run.stamp,
        )
        body = Multipart(
            fields=[("filename", run.name)],
            files=[("file", "file", (source, size), "application/octet-stream")],
        )
        headers = {"Content-Range": f"bytes {offset}-{offset + size - 1}/{run.total}"}
        answer = self._session.request(
            method,
            url,
            body=body,
            headers=headers,
            timeout=self._call_timeout(run),
            idempotent=False,
        ).json()
        return run.accept(answer, self._session)

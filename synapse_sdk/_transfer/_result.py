"""The end of a chunked upload: the finalize (sent once; rechecked with GET when its answer is
lost), its answer checked against the local file, and the typed result.

:class:`UploadBase` holds what the chunk loop (:mod:`._chunked`) and the finalize share: the
request helpers bounded by the upload's deadline, and the protocol's endpoint.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from synapse_sdk._converter import parse_iso
from synapse_sdk._exceptions import (
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
from synapse_sdk._transfer._hashing import FileChangedError
from synapse_sdk._transfer._paths import stamp_of
from synapse_sdk._transfer._run import (
    CHUNKED_UPLOADS,
    Run,
    check_upload_id,
    error_detail,
    invalid_answer,
    upload_path,
)

__all__ = ["AMBIGUOUS", "ChunkedUpload", "UploadBase", "parse_time", "verified"]

# Failures after which a chunk may or may not have landed: ask the server where it is. (A 2xx
# whose body is garbled most likely landed; the offset says.)
AMBIGUOUS = (TransportError, ServerError, RateLimitError, ResponseDecodeError)
_EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def parse_time(value: object) -> dt.datetime | None:
    """An ISO 8601 timestamp (the SDK's one parser, ``parse_iso``), else None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_iso(value)
    except ValueError:
        return None


@attrs.frozen
class ChunkedUpload:
    """A completed chunked upload; pass :attr:`id` as ``chunked_upload`` to ``data_files/`` or
    ``models/``.

    Attributes:
        id: The upload's id (a UUID string on the real backend; some backends use ints).
        filename: The name the server stored.
        size: Bytes uploaded.
        checksum: Hex MD5 of the bytes (verified by the server against the local file's MD5).
        completed_at: When the server completed it.
        url: The upload's absolute URL.
        raw: The server's answer as received (plus ``checksum``/``size`` when a lost finalize
            answer was recovered by reading the upload's state).
    """

    id: str | int
    filename: str | None
    size: int
    checksum: str
    completed_at: dt.datetime | None
    url: str | None
    raw: dict[str, Any] = attrs.field(repr=False, eq=False)

    @classmethod
    def from_wire(cls, raw: dict[str, Any]) -> ChunkedUpload:
        """Build from a finalize answer (``id``, ``checksum``, ``size`` ...)."""
        ident = raw["id"]
        return cls(
            id=ident if isinstance(ident, int) and not isinstance(ident, bool) else str(ident),
            filename=raw.get("filename") if isinstance(raw.get("filename"), str) else None,
            size=int(raw.get("size") or raw.get("offset") or 0),
            checksum=str(raw.get("checksum") or ""),
            completed_at=parse_time(raw.get("completed_at")),
            url=raw.get("url") if isinstance(raw.get("url"), str) else None,
            raw=raw,
        )


def verified(run: Run, answer: Any, checksum: str) -> dict[str, Any]:
    """Check a finalize answer against the local file and return it completed.

    The ``id`` must be this upload's, ``checksum`` (when given) a string equal to the local MD5,
    ``size`` (when given) a byte count equal to the file's. A missing checksum or size is filled
    in from the local file (the server only completes an upload whose MD5 matched).

    Raises:
        ResponseValidationError: Not an object, or a bad ``id``/``checksum``/``size`` type.
        IntegrityError: The checksum or size differs from the local file's.
    """
    if not isinstance(answer, dict):
        raise invalid_answer("the finalize answer is not an object", "", answer)
    ident = check_upload_id(answer.get("id", run.upload_id), response=answer)
    if run.upload_id is not None and str(ident) != str(run.upload_id):
        raise invalid_answer(
            f"upload {run.upload_id} was finalized as upload {ident}", "id", answer
        )
    theirs = answer.get("checksum")
    if theirs is not None and not isinstance(theirs, str):
        raise invalid_answer(
            f"the finalize checksum is not a string: {theirs!r}"[:200], "checksum", answer
        )
    if theirs and theirs.lower() != checksum:
        raise IntegrityError(
            f"upload {ident} completed with checksum {theirs}, local MD5 is {checksum}",
            response=answer,
        )
    size = answer.get("size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise invalid_answer(
            f"the finalize size is not a byte count: {size!r}"[:200], "size", answer
        )
    if size is not None and size != run.total:
        raise IntegrityError(
            f"upload {ident} completed with {size} bytes, the file has {run.total}",
            response=answer,
        )
    return {**answer, "id": ident, "checksum": theirs or checksum, "size": run.total}


class UploadBase:
    """Request helpers and the finalize, shared by :class:`~._chunked.ChunkedUploader`."""

    _session: Session
    _timeout: Timeout | None
    _finalize_polls: int

    def _pause(self, run: Run, delay: float) -> None:
        remaining = run.remaining()
        self._session.sleep(delay if remaining is None else max(0.0, min(delay, remaining)))

    def _call_timeout(self, run: Run) -> Timeout | None:
        return run.call_timeout(self._timeout, self._session.timeout)

    def _get(self, run: Run, upload_id: Any) -> Any:
        """``GET chunked_upload/<id>/``, checked (the id was checked when it was accepted)."""
        answer = self._session.request(
            "GET", upload_path(upload_id), timeout=self._call_timeout(run)
        ).json()
        if run.state is None:
            return answer  # resuming: the caller checks it against the file first
        return run.accept(answer, self._session)

    # -- finalize --------------------------------------------------------------------------

    def _finalize(self, run: Run) -> dict[str, Any]:
        if stamp_of(run.path) != run.stamp:
            raise FileChangedError("its size or modification time changed")
        checksum = run.hasher.hexdigest(run.total)
        try:
            answer = self._post_md5(run, checksum)
        except AMBIGUOUS as exc:
            if isinstance(exc, OriginError):
                raise
            done = self._recheck(run, checksum, polls=self._finalize_polls)
            if done is not None:
                return done
            # The server shows the upload still open: the finalize never ran. Send it again.
            try:
                answer = self._post_md5(run, checksum)
            except AMBIGUOUS:
                done = self._recheck(run, checksum, polls=0)
                if done is not None:
                    return done
                raise
        return verified(run, answer, checksum)

    def _post_md5(self, run: Run, checksum: str) -> Any:
        url = run.state.get("url") if run.state else None
        if not isinstance(url, str):
            url = upload_path(run.upload_id)
        try:
            return self._session.request(
                "POST",
                url,
                json={"md5": checksum},
                timeout=self._call_timeout(run),
                idempotent=False,
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

    def _recheck(self, run: Run, checksum: str, *, polls: int) -> dict[str, Any] | None:
        """GET the upload until it shows ``completed_at`` (``polls`` more tries, with backoff)."""
        for attempt in range(polls + 1):
            if attempt:
                self._pause(run, self._session.retry.backoff(attempt - 1))
            state = self._get(run, run.upload_id)
            if state.get("completed_at"):
                if state["offset"] != run.total:
                    raise IntegrityError(
                        f"upload {run.upload_id} is completed with {state['offset']} bytes, "
                        f"the file has {run.total}",
                        response=state,
                    )
                # The GET lacks checksum/size; the server only completes after matching our MD5.
                return verified(run, {**state, "size": state["offset"]}, checksum)
        return None

    def _finalize_whole(self, run: Run) -> dict[str, Any]:
        """An empty file: one ``POST chunked_upload/`` with the empty MD5 and no file part.

        If its answer is lost there is no id to recheck, so the error is raised as is.
        """
        method, path = CHUNKED_UPLOADS.action_path("whole")
        body = Multipart(fields=[("filename", run.name), ("md5", _EMPTY_MD5)])
        answer = self._session.request(
            method, path, body=body, timeout=self._call_timeout(run)
        ).json()
        if not isinstance(answer, dict) or "id" not in answer:
            raise ResponseValidationError(
                f"the upload answer has no id: {answer!r}"[:300], response=answer
            )
        result = verified(run, answer, _EMPTY_MD5)
        run.state = result
        return result

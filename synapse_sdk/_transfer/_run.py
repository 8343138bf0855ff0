"""The state of one chunked-upload call: the file, the hash so far, the server's record, the
bounds that stop a livelocked upload, and how its errors are read and annotated.

Nothing the server says is used before it is checked (:func:`check_offset`,
:func:`check_upload_id`, :func:`check_upload_url`): an offset is an ``int`` (never a ``bool``)
inside the file, an id is a positive int or a short ``[A-Za-z0-9_-]`` string (it goes into a URL
path), and an upload URL is this upload's URL on the API origin. A hostile value raises
:class:`ResponseValidationError` or :class:`OriginError` before any request is built from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from synapse_sdk._endpoint import Action, Endpoint
from synapse_sdk._exceptions import (
    ClientError,
    DeadlineExceededError,
    HTTPError,
    IntegrityError,
    OriginError,
    ResponseValidationError,
    UploadStalledError,
    ValidationError,
)
from synapse_sdk._http import Session, Timeout, redact_url
from synapse_sdk._progress import Reporter
from synapse_sdk._transfer._hashing import FileChangedError, IncrementalMD5
from synapse_sdk._transfer._paths import FileStamp, stamp_of

__all__ = [
    "CHUNKED_UPLOADS",
    "FIXED_CHUNKS",
    "Run",
    "check_offset",
    "check_upload_id",
    "check_upload_url",
    "error_detail",
    "expected_offset",
    "file_changed",
    "invalid_answer",
    "tag_error",
    "upload_path",
]

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


def upload_path(upload_id: str | int) -> str:
    """``chunked_upload/<id>/`` for an id that passed :func:`check_upload_id` (append, finalize
    and state all use it; the endpoint's own UUID check would refuse an int id)."""
    return f"{CHUNKED_UPLOADS.path}{upload_id}/"


#: Chunks every attempt may send on top of ``(1 + max_resend) x`` the bytes left to send.
FIXED_CHUNKS = 4
_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
_MAX_INT_ID = 2**63 - 1
# Before any parsing: what no upload URL may contain (controls, whitespace, '\\', '#').
_BAD_URL_CHARS = re.compile(r"[\x00-\x20\x7f-\x9f#\\]")
_NOT_GIVEN = object()


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def invalid_answer(message: str, field: str, response: Any) -> ResponseValidationError:
    err = ResponseValidationError(message, response=response)
    err.path = field
    return err


def check_offset(value: object, field: str, *, total: int, response: Any) -> int:
    """A server-supplied ``offset``/``expected_offset``: an int (not a bool) in ``0..total``.

    Raises:
        ResponseValidationError: Anything else (``path`` names the field).
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_answer(
            f"the server's {field} is not an integer: {_shown(value)}", field, response
        )
    if not 0 <= value <= total:
        raise invalid_answer(
            f"the server's {field} {_shown(value)} is outside the file (0..{total} bytes)",
            field,
            response,
        )
    return value


def check_upload_id(value: object, *, response: Any) -> str | int:
    """A server-supplied upload ``id``: a positive int, or 1-128 of ``[A-Za-z0-9_-]``.

    It is placed in URL paths (``chunked_upload/<id>/``), so nothing else is accepted: no ``/``,
    ``..``, ``%``, ``?``, ``#``, whitespace or control characters.

    Raises:
        ResponseValidationError: Anything else (``path`` is ``id``).
    """
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 < value <= _MAX_INT_ID:
            return value
    elif isinstance(value, str) and _ID.fullmatch(value):
        return value
    raise invalid_answer(
        "the server's upload id is not a safe id (a positive int, or letters, digits, '-' and "
        f"'_'): {_shown(value)}",
        "id",
        response,
    )


def check_upload_url(
    value: object, upload_id: str | int, session: Session, *, response: Any
) -> str | None:
    """A server-supplied upload ``url``: None (absent), else this upload's URL on the API origin.

    Returns:
        The URL to request, or None to use ``chunked_upload/<id>/``.

    Raises:
        ResponseValidationError: Not a string, or not this upload's URL (another path, ``.``
            segments, a query).
        OriginError: Not a plain absolute http(s) URL (relative, scheme-relative, ``file:``,
            user info, backslash, controls), or on another origin.
    """
    if value is None or value is _NOT_GIVEN:
        return None
    if not isinstance(value, str):
        raise invalid_answer(
            f"the server's upload url is not a string: {_shown(value)}", "url", response
        )
    scheme, sep, rest = value.partition("://")
    authority = re.split(r"[/?]", rest, maxsplit=1)[0]
    if (
        not sep
        or scheme.lower() not in ("http", "https")
        or _BAD_URL_CHARS.search(value)
        or "@" in authority
        or not authority
    ):
        raise OriginError(
            f"refusing the server's upload url {_shown(redact_url(value))}: it must be a plain "
            "absolute http(s) URL on the API origin (no user info, backslash, whitespace or "
            "control characters); the file's bytes and auth headers go nowhere else",
            url=redact_url(value),
        )
    resolved = session.resolve_url(value)  # OriginError for another scheme, host or port
    parts = urlsplit(resolved)
    segments = parts.path.split("/")
    if (
        parts.query
        or any(s in (".", "..") or "%" in s for s in segments)
        or not parts.path.rstrip("/").endswith(f"/{upload_path(upload_id).rstrip('/')}")
    ):
        raise invalid_answer(
            f"the server's upload url {redact_url(value)} is not the URL of upload {upload_id}",
            "url",
            response,
        )
    return resolved


class Run:
    """The state of one upload call: the file, the hash so far, the server's record and the
    bounds on what one attempt may send.

    Args:
        path: The file.
        report: Progress reporter.
        clock: The monotonic clock the upload's deadline is measured with.
        deadline: Seconds for the whole upload (every chunk, retry and pause), or None.
    """

    def __init__(
        self,
        path: Path,
        report: Reporter,
        *,
        clock: Callable[[], float],
        deadline: float | None = None,
    ) -> None:
        self.path = path
        self.name = path.name
        self.stamp: FileStamp = stamp_of(path)
        self.total = self.stamp.size
        self.hasher = IncrementalMD5(path)
        self.report = report
        self.state: dict[str, Any] | None = None
        self.clock = clock
        self.deadline = deadline
        self.deadline_at = None if deadline is None else clock() + deadline
        self.sent = 0
        self.allowance = 0
        self.regressions = 0
        self.reached = 0

    @property
    def upload_id(self) -> Any:
        """The upload's id once the server created it (validated), else None."""
        return None if self.state is None else self.state.get("id")

    def begin(self, start: int, chunk: int, max_resend: float) -> None:
        """Start an attempt at ``start``: reset what it may send and how often it may regress."""
        left = self.total - start
        self.sent = 0
        self.allowance = int((1 + max_resend) * left) + FIXED_CHUNKS * min(chunk, max(left, 1))
        self.regressions = 0
        self.reached = start

    def remaining(self) -> float | None:
        """Seconds left before the upload's deadline (may be <= 0), or None."""
        return None if self.deadline_at is None else self.deadline_at - self.clock()

    def charge(self, size: int, max_resend: float) -> None:
        """Before a chunk: the file must be unchanged, and the attempt within its byte budget.

        Raises:
            UploadStalledError: ``size`` more bytes would pass the attempt's allowance.
            FileChangedError: The file's size or mtime changed since the upload started.
        """
        if self.sent + size > self.allowance:
            raise self.stalled(
                f"{self.sent} bytes were already sent and {size} more would pass the limit of "
                f"{self.allowance} bytes (the bytes to upload x {1 + max_resend:g} plus "
                f"{FIXED_CHUNKS} chunks): the server keeps losing what it acknowledged",
                self.reached,
            )
        if stamp_of(self.path) != self.stamp:
            raise FileChangedError("its size or modification time changed")
        self.sent += size

    def call_timeout(self, timeout: Timeout | None, default: Timeout) -> Timeout | None:
        """The timeouts of one request: ``timeout`` (else ``default``), never past the upload's
        deadline.

        Raises:
            DeadlineExceededError: The upload's deadline has passed.
        """
        remaining = self.remaining()
        if remaining is None:
            return timeout
        if remaining <= 0:
            raise DeadlineExceededError(
                f"the upload's deadline of {self.deadline:g} s passed at offset {self.reached} "
                f"of {self.total} bytes"
            )
        base = timeout or default
        cap = remaining if base.deadline is None else min(base.deadline, remaining)
        return Timeout(connect=base.connect, read=base.read, deadline=cap)

    def accept(self, answer: object, session: Session) -> dict[str, Any]:
        """Check a chunk answer or state (``id``, ``offset``, ``url``) and return it as a dict.

        Raises:
            ResponseValidationError: Not an object, a bad ``id``/``offset``/``url``, or an id
                other than this upload's.
            OriginError: A ``url`` off the API origin.
        """
        if not isinstance(answer, dict):
            raise invalid_answer(
                f"a chunked upload answer must be an object, got {_shown(answer)}", "", answer
            )
        if "id" not in answer and self.state is not None:
            answer = {**answer, "id": self.upload_id}
        ident = check_upload_id(answer.get("id"), response=answer)
        if self.state is not None and str(ident) != str(self.upload_id):
            raise invalid_answer(
                f"the server answered for upload {ident}, not for upload {self.upload_id}",
                "id",
                answer,
            )
        check_offset(answer.get("offset"), "offset", total=self.total, response=answer)
        url = check_upload_url(answer.get("url", _NOT_GIVEN), ident, session, response=answer)
        return {**answer, "id": ident, "url": url}

    def stalled(self, reason: str, offset: int) -> UploadStalledError:
        """The error for an upload that cannot progress (tagged with the id by the caller)."""
        err = UploadStalledError(
            f"the upload stopped at offset {offset} of {self.total} bytes: {reason}",
            response=self.state,
        )
        err.offset = offset
        return err


def file_changed(run: Run, detail: str, *, upload_id: Any = None) -> IntegrityError:
    """The error for a file that changed while it was uploaded, naming the upload to resume."""
    ident = upload_id if upload_id is not None else run.upload_id
    if ident is None:
        how = "upload it again once the file is stable"
        where = f"{str(run.path)!r} changed on disk while it was being uploaded"
    else:
        how = (
            "restore the file and continue with "
            f"client.resume_chunked_upload({str(ident)!r}, path), or upload it again"
        )
        where = f"upload {ident}: {str(run.path)!r} changed on disk while it was being uploaded"
    return IntegrityError(f"{where} ({detail}); the upload was not completed: {how}")


def error_detail(exc: HTTPError) -> str:
    """The error body's ``detail`` (or the whole body), lower-cased, for matching."""
    body = exc.response
    detail = body.get("detail", body) if isinstance(body, dict) else body
    return str(detail).lower()


def expected_offset(exc: ValidationError) -> tuple[bool, object]:
    """``(True, raw expected_offset)`` for an "Offsets do not match" answer (the value is not
    checked yet; ``None`` when absent), else ``(False, None)``."""
    body = exc.response
    if isinstance(body, dict) and "offset" in str(body.get("detail", "")).lower():
        return True, body.get("expected_offset")
    return False, None


def tag_error(exc: ClientError, upload_id: Any) -> None:
    """Attach the upload id to an error, with how to resume (once)."""
    if upload_id is None or getattr(exc, "upload_id", None) is not None:
        return
    setattr(exc, "upload_id", upload_id)  # noqa: B010 - ClientError has no such slot
    if not isinstance(exc, IntegrityError) and exc.status_code != 410:
        exc.message = (
            f"{exc.message} [upload {upload_id} stopped; continue it with "
            f"client.resume_chunked_upload({str(upload_id)!r}, path)]"
        )

"""The state of one chunked-upload call, and how its errors are read and annotated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synapse_sdk._exceptions import ClientError, HTTPError, IntegrityError, ValidationError
from synapse_sdk._progress import Reporter
from synapse_sdk._transfer._hashing import IncrementalMD5
from synapse_sdk._transfer._paths import FileStamp, stamp_of

__all__ = ["Run", "error_detail", "expected_offset", "tag_error"]


class Run:
    """The state of one upload call: the file, the hash so far and the server's record."""

    def __init__(self, path: Path, report: Reporter) -> None:
        self.path = path
        self.name = path.name
        self.stamp: FileStamp = stamp_of(path)
        self.total = self.stamp.size
        self.hasher = IncrementalMD5(path)
        self.report = report
        self.state: dict[str, Any] | None = None

    @property
    def upload_id(self) -> Any:
        """The upload's id once the server created it, else None."""
        return None if self.state is None else self.state.get("id")


def error_detail(exc: HTTPError) -> str:
    """The error body's ``detail`` (or the whole body), lower-cased, for matching."""
    body = exc.response
    detail = body.get("detail", body) if isinstance(body, dict) else body
    return str(detail).lower()


def expected_offset(exc: ValidationError) -> int | None:
    """The ``expected_offset`` of an "Offsets do not match" answer, else None."""
    body = exc.response
    if isinstance(body, dict) and "offset" in str(body.get("detail", "")).lower():
        value = body.get("expected_offset")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


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

"""The typed result of a chunked upload."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

__all__ = ["ChunkedUpload", "parse_time"]


def parse_time(value: object) -> dt.datetime | None:
    """An ISO 8601 timestamp (``Z`` accepted on Python 3.10 too), else None."""
    if not isinstance(value, str) or not value:
        return None
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        return dt.datetime.fromisoformat(text)
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

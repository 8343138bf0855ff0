"""Request journal: what the server received, answered and committed."""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class JournalEntry:
    """One request as the server saw it.

    Attributes:
        seq: 1-based sequence number.
        time: POSIX time the request arrived.
        method: HTTP method.
        path: path without the leading slash (``tasks/1/``).
        query: raw query string.
        body_sha256: hex SHA-256 of the request body bytes received.
        body_size: number of body bytes received.
        headers: request headers; token values replaced by ``"***"``.
        status: status code sent, None when no answer was sent (reset, stall).
        committed: whether a database write committed while handling the request.
        fault: kind of the fault applied, or None.
        request_id: the ``X-Request-ID`` header, or None.
    """

    seq: int
    time: float
    method: str
    path: str
    query: str
    body_sha256: str
    body_size: int
    headers: dict[str, str]
    status: int | None
    committed: bool
    fault: str | None
    request_id: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON form used by the control endpoint."""
        return asdict(self)


class Journal:
    """Append-only, thread-safe list of :class:`JournalEntry`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[JournalEntry] = []
        self._seq = 0

    def record(self, **fields: Any) -> JournalEntry:
        """Append an entry (``seq`` is assigned here) and return it."""
        with self._lock:
            self._seq += 1
            entry = JournalEntry(seq=self._seq, **fields)
            self._entries.append(entry)
            return entry

    def entries(self) -> list[JournalEntry]:
        """Return a snapshot of all entries in arrival order."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Forget all entries (sequence numbers keep counting)."""
        with self._lock:
            self._entries.clear()

    def committed(self, method: str | None = None, path: str | None = None) -> int:
        """Count entries whose write committed, optionally filtered.

        Args:
            method: HTTP method to match (case-insensitive), None for any.
            path: fnmatch pattern on the path without leading slash, None for any.
        """
        with self._lock:
            entries = list(self._entries)
        return sum(
            1
            for e in entries
            if e.committed
            and (method is None or e.method.upper() == method.upper())
            and (path is None or fnmatch.fnmatchcase(e.path, path.lstrip("/")))
        )

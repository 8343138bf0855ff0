"""Request journal: what the server received, answered and committed.

Secrets never reach the journal: the values of the auth and tenant headers, the token in an
``agents/<token>/connect/`` path and the values of secret-looking query keys (``token``, ``key``,
``signature``, ``password``, ``X-Amz-*`` ...) become ``***``, so a journal dumped into a test
report or a bug ticket leaks nothing.
"""

from __future__ import annotations

import fnmatch
import re
import threading
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import unquote_plus

# The agent token is the credential of ``agents/<token>/connect/`` (wire protocol).
_SECRET_PATH = re.compile(r"^(agents/)[^/]+(/connect(?:/|$))")
_SECRET_KEY_WORDS = ("token", "signature", "password", "secret", "credential", "key", "session")
_SECRET_KEY_EXACT = frozenset({"sig", "auth"})
# Headers whose values are credentials ("Token <value>"); the app already hides the token headers,
# the tenant header is sent in the same form, so it is hidden here too.
_SECRET_HEADERS = frozenset(
    {"synapse-access-token", "authorization", "synapse-agent", "synapse-tenant", "cookie"}
)


def redact_path(path: str) -> str:
    """Replace the token in ``agents/<token>/connect/`` with ``***``."""
    if "agents/" not in path:
        return path
    return _SECRET_PATH.sub(r"\1***\2", path)


def redact_query(query: str) -> str:
    """Replace the values of secret-looking query keys with ``***``."""
    if not query:
        return query
    items = []
    for item in query.split("&"):
        key, sep, _ = item.partition("=")
        name = unquote_plus(key).lower()
        secret = (
            name in _SECRET_KEY_EXACT
            or name.startswith(("x-amz-", "x-goog-"))
            or any(word in name for word in _SECRET_KEY_WORDS)
        )
        items.append(f"{key}=***" if sep and secret else item)
    return "&".join(items)


@dataclass(frozen=True)
class JournalEntry:
    """One request as the server saw it.

    Attributes:
        seq: 1-based sequence number.
        time: POSIX time the request arrived.
        method: HTTP method.
        path: path without the leading slash (``tasks/1/``); the token of
            ``agents/<token>/connect/`` shown as ``***``.
        query: raw query string; values of secret-looking keys shown as ``***``.
        body_sha256: hex SHA-256 of the request body bytes received.
        body_size: number of body bytes received.
        headers: request headers; token and tenant values replaced by ``"***"``.
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
        """Append an entry (``seq`` is assigned here, secrets in path and query redacted)."""
        if "path" in fields:
            fields["path"] = redact_path(str(fields["path"]))
        if "query" in fields:
            fields["query"] = redact_query(str(fields["query"]))
        headers = fields.get("headers")
        if isinstance(headers, dict):
            fields["headers"] = {
                k: "***" if k.lower() in _SECRET_HEADERS else v for k, v in headers.items()
            }
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

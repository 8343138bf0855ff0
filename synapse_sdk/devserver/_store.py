"""SQLite state of the local backend: tenants, tokens and JSON documents per resource kind.

One connection guarded by a re-entrant lock: the devserver is a test tool, a single writer keeps
every request serialisable (no lost writes) and SQLite answers a primary-key read in microseconds.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

Doc = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tenants (id INTEGER PRIMARY KEY, code TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, kind TEXT NOT NULL, tenant INTEGER NOT NULL, subject INTEGER);
CREATE TABLE IF NOT EXISTS objects (
    kind TEXT NOT NULL, id NOT NULL, tenant INTEGER NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (kind, id));
CREATE INDEX IF NOT EXISTS objects_tenant ON objects (kind, tenant);
CREATE TABLE IF NOT EXISTS seq (kind TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def now_iso() -> str:
    """Return the current UTC time as ISO 8601 with microseconds and a ``Z`` suffix."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_at(ts: float) -> str:
    """Return the UTC time of a POSIX timestamp in the API's ISO 8601 form."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class IdOrderedRows(list[Doc]):
    """The documents of a kind, by id, with their integer ids (``ids``, shared: read-only):
    listings cut id ranges out of them by bisection instead of testing every row."""

    __slots__ = ("ids",)

    def __init__(self, docs: list[Doc], ids: list[int]) -> None:
        super().__init__(docs)
        self.ids = ids

    def in_sync(self) -> bool:
        """Whether ``ids`` still describes the list (a caller may have changed its copy)."""
        if len(self) != len(self.ids):
            return False
        return not self or (self[0].get("id") == self.ids[0] and self[-1].get("id") == self.ids[-1])


def _int_ids(docs: list[Doc]) -> list[int] | None:
    ids: list[int] = []
    for doc in docs:
        pk = doc.get("id")
        if type(pk) is not int or (ids and pk <= ids[-1]):
            return None
        ids.append(pk)
    return ids


def _dumps(doc: Any) -> str:
    return json.dumps(doc, separators=(",", ":"))


class Store:
    """Thread-safe document store on one SQLite connection.

    Args:
        path: the SQLite database file (``":memory:"`` works too).
    """

    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        self._depth = 0
        self._wrote = False
        self._local = threading.local()
        self._tokens: dict[str, tuple[str, int, int | None]] = {}  # tokens are never revoked
        # Decoded documents per (kind, tenant): listings read them on every page, and decoding
        # 20,000 JSON rows per request made the server the bottleneck of every benchmark.
        # Dropped on any write to the kind, and after every transaction that rolled back.
        self._docs: dict[tuple[str, int], list[Doc]] = {}
        self._ids: dict[tuple[str, int], list[int] | None] = {}
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    # -- transactions and the "a write committed" signal used by the journal ------------------

    @contextmanager
    def tx(self) -> Iterator[None]:
        """Run the block in one transaction (nested blocks join the outer one)."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._conn.execute("BEGIN IMMEDIATE")
                self._wrote = False
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    self._conn.execute("ROLLBACK")
                    self._docs.clear()
                    self._ids.clear()
                raise
            self._depth -= 1
            if outer:
                self._conn.execute("COMMIT")
                if self._wrote:
                    self._local.committed = True

    def _forget(self, kind: str) -> None:
        for key in [k for k in self._docs if k[0] == kind]:
            del self._docs[key]
            self._ids.pop(key, None)

    def _write(self, sql: str, args: tuple[Any, ...], silent: bool = False) -> sqlite3.Cursor:
        with self.tx():
            cur = self._conn.execute(sql, args)
            if not silent:
                self._wrote = True
            return cur

    def reset_committed(self) -> None:
        """Forget the calling thread's commit flag (called when a request starts)."""
        self._local.committed = False

    def committed(self) -> bool:
        """Whether a write committed on the calling thread since :meth:`reset_committed`."""
        return bool(getattr(self._local, "committed", False))

    # -- tenants and tokens ---------------------------------------------------------------------

    def tenant_id(self, code: str) -> int | None:
        """Return the id of the tenant with ``code``, or None."""
        with self._lock:
            row = self._conn.execute("SELECT id FROM tenants WHERE code=?", (code,)).fetchone()
        return None if row is None else int(row[0])

    def tenant_code(self, tenant: int) -> str:
        """Return the code of tenant ``tenant``."""
        with self._lock:
            row = self._conn.execute("SELECT code FROM tenants WHERE id=?", (tenant,)).fetchone()
        return str(row[0])

    def create_tenant(self, code: str) -> int:
        """Create a tenant; raise ValueError if the code exists."""
        with self.tx():
            if self.tenant_id(code) is not None:
                raise ValueError(f"tenant {code!r} already exists")
            cur = self._write("INSERT INTO tenants (code) VALUES (?)", (code,))
            return int(cur.lastrowid or 0)

    def add_token(self, token: str, kind: str, tenant: int, subject: int | None) -> None:
        """Register ``token`` of ``kind`` ("user" or "agent") for ``tenant``."""
        self._write(
            "INSERT INTO tokens (token, kind, tenant, subject) VALUES (?, ?, ?, ?)",
            (token, kind, tenant, subject),
        )

    def lookup_token(self, token: str) -> tuple[str, int, int | None] | None:
        """Return ``(kind, tenant, subject)`` of a token, or None."""
        cached = self._tokens.get(token)
        if cached is not None:
            return cached
        with self._lock:
            row = self._conn.execute(
                "SELECT kind, tenant, subject FROM tokens WHERE token=?", (token,)
            ).fetchone()
        if row is None:
            return None
        found = (str(row[0]), int(row[1]), row[2])
        self._tokens[token] = found
        return found

    # -- meta -----------------------------------------------------------------------------------

    def get_meta(self, key: str) -> Any:
        """Return the JSON value stored under ``key`` or None."""
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def set_meta(self, key: str, value: Any) -> None:
        """Store a JSON value under ``key``."""
        self._write(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, _dumps(value)), True
        )

    # -- documents ------------------------------------------------------------------------------

    def next_id(self, kind: str) -> int:
        """Allocate the next integer id of ``kind``."""
        with self.tx():
            row = self._conn.execute("SELECT value FROM seq WHERE kind=?", (kind,)).fetchone()
            value = 1 if row is None else int(row[0]) + 1
            self._conn.execute(
                "INSERT OR REPLACE INTO seq (kind, value) VALUES (?, ?)", (kind, value)
            )
            return value

    def insert(
        self, kind: str, tenant: int, doc: Doc, *, key: Any = None, silent: bool = False
    ) -> Doc:
        """Insert ``doc`` (a new integer id unless ``key`` is given) and return it with ``id``.

        Args:
            kind: resource kind.
            tenant: owning tenant.
            doc: the document (its ``id`` is replaced).
            key: explicit id (e.g. a UUID string).
            silent: do not count as a committed write (lazy server-side bookkeeping).
        """
        with self.tx():
            ident = self.next_id(kind) if key is None else key
            doc = {"id": ident, **{k: v for k, v in doc.items() if k != "id"}}
            self._forget(kind)
            self._write(
                "INSERT INTO objects (kind, id, tenant, doc) VALUES (?, ?, ?, ?)",
                (kind, ident, tenant, _dumps(doc)),
                silent,
            )
            return doc

    def get(self, kind: str, tenant: int | None, ident: Any) -> Doc | None:
        """Return the document ``ident`` of ``kind`` (within ``tenant`` unless None)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT tenant, doc FROM objects WHERE kind=? AND id=?", (kind, ident)
            ).fetchone()
        if row is None or (tenant is not None and int(row[0]) != tenant):
            return None
        doc: Doc = json.loads(row[1])
        return doc

    def tenant_of(self, kind: str, ident: Any) -> int | None:
        """Return the tenant owning a document, or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT tenant FROM objects WHERE kind=? AND id=?", (kind, ident)
            ).fetchone()
        return None if row is None else int(row[0])

    def all(self, kind: str, tenant: int) -> list[Doc]:
        """Return every document of ``kind`` in ``tenant``, by id.

        The documents are shared with a cache: treat them as read-only (``update`` a copy).
        """
        with self._lock:
            cached = self._docs.get((kind, tenant))
            if cached is None:
                rows = self._conn.execute(
                    "SELECT doc FROM objects WHERE kind=? AND tenant=? ORDER BY id", (kind, tenant)
                ).fetchall()
                cached = [json.loads(r[0]) for r in rows]
                ids = _int_ids(cached)
                if self._depth == 0:  # never cache what an open transaction may roll back
                    self._docs[(kind, tenant)] = cached
                    self._ids[(kind, tenant)] = ids
            else:
                ids = self._ids.get((kind, tenant))
        return list(cached) if ids is None else IdOrderedRows(cached, ids)

    def count(self, kind: str, tenant: int) -> int:
        """Return the number of documents of ``kind`` in ``tenant``."""
        with self._lock:
            row = self._conn.execute(
                "SELECT COUNT(*) FROM objects WHERE kind=? AND tenant=?", (kind, tenant)
            ).fetchone()
        return int(row[0])

    def update(self, kind: str, doc: Doc, *, silent: bool = False) -> Doc:
        """Replace the stored document with the same ``id``.

        Args:
            kind: resource kind.
            doc: the full new document.
            silent: do not count as a committed write (lazy server-side bookkeeping).
        """
        with self._lock:
            self._forget(kind)
            self._write(
                "UPDATE objects SET doc=? WHERE kind=? AND id=?",
                (_dumps(doc), kind, doc["id"]),
                silent,
            )
        return doc

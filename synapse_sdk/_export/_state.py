"""The export's state file (``.export-state.sqlite``): its identity, the checkpoint, the data
units already written and a log of runs.

The checkpoint (the last task id written and the byte length of every JSONL file at that
moment) and the data units written up to it are committed in one SQLite transaction, so a kill
at any instant leaves a state that describes a prefix of the output exactly: the next run
truncates the JSONL files to the recorded lengths and lists tasks after the recorded id. The set
of written data units lives on disk (SQLite's page cache bounds its memory), so a project of
millions of units costs no more memory than a small one.

Run times (and the server's URL) are kept only here: they are not part of the export.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import attrs

__all__ = ["STATE_NAME", "Checkpoint", "State"]

STATE_NAME = ".export-state.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS units (id INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS runs (
    n INTEGER PRIMARY KEY, started TEXT NOT NULL, finished TEXT, outcome TEXT, origin TEXT
);
"""


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@attrs.define
class Checkpoint:
    """Where the output stands: the last task written, each JSONL file's length, the counts."""

    last_id: int = 0
    offsets: dict[str, int] = attrs.field(factory=dict)
    counts: dict[str, int] = attrs.field(factory=dict)

    def to_json(self) -> str:
        return json.dumps(attrs.asdict(self), sort_keys=True)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        raw = json.loads(text)
        return cls(int(raw["last_id"]), dict(raw["offsets"]), dict(raw["counts"]))


class State:
    """The open state file of one export folder (used from one thread)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=DELETE")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._run: int | None = None

    def close(self) -> None:
        self._db.close()

    def _get(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    # -- identity and completion --------------------------------------------------------------

    def identity(self) -> dict[str, Any] | None:
        text = self._get("identity")
        return None if text is None else dict(json.loads(text))

    def set_identity(self, identity: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO meta VALUES ('identity', ?)",
            (json.dumps(identity, sort_keys=True),),
        )

    def complete(self) -> bool:
        return self._get("complete") == "1"

    def set_complete(self) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('complete', '1')")

    # -- the checkpoint ---------------------------------------------------------------------

    def checkpoint(self) -> Checkpoint:
        text = self._get("checkpoint")
        return Checkpoint() if text is None else Checkpoint.parse(text)

    def has_unit(self, unit_id: int) -> bool:
        return (
            self._db.execute("SELECT 1 FROM units WHERE id = ?", (unit_id,)).fetchone() is not None
        )

    def commit(self, checkpoint: Checkpoint, units: list[int]) -> None:
        """Record ``checkpoint`` and the data units written up to it, atomically."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany("INSERT OR IGNORE INTO units VALUES (?)", [(u,) for u in units])
            self._db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('checkpoint', ?)", (checkpoint.to_json(),)
            )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    # -- the run log (the only place with times) ----------------------------------------------

    def start_run(self, origin: str) -> None:
        cursor = self._db.execute(
            "INSERT INTO runs (started, origin) VALUES (?, ?)", (_now(), origin)
        )
        self._run = cursor.lastrowid

    def end_run(self, outcome: str) -> None:
        if self._run is not None:
            self._db.execute(
                "UPDATE runs SET finished = ?, outcome = ? WHERE n = ?",
                (_now(), outcome, self._run),
            )

    def runs(self) -> list[dict[str, Any]]:
        """Every run so far: ``n``, ``started``, ``finished``, ``outcome``, ``origin``."""
        cursor = self._db.execute("SELECT n, started, finished, outcome, origin FROM runs")
        names = ("n", "started", "finished", "outcome", "origin")
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

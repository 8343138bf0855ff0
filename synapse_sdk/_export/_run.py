"""One run of an export: list the tasks after the checkpoint in id order, write their lines,
download their data units' files on a bounded pool, checkpoint, and finish with the manifest.

Tasks are listed with ``ordering=id`` and ``id__gt=<checkpoint>``; a task's lines are written
only when its files are done, in id order, so the output is always a prefix of the final one and
the checkpoint (committed with the data units written up to it) names that prefix exactly.
"""

from __future__ import annotations

import collections
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import attrs

from synapse_sdk._exceptions import ResponseValidationError
from synapse_sdk._export._files import FileOutcome, fetch, plan_unit
from synapse_sdk._export._jsonl import Outputs
from synapse_sdk._export._manifest import ExportResult, read_manifest, write_manifest
from synapse_sdk._export._options import ExportMismatchError, Plan
from synapse_sdk._export._state import STATE_NAME, Checkpoint, State
from synapse_sdk._http import Session
from synapse_sdk._progress import Reporter, reporter
from synapse_sdk._query import QuerySet

try:
    import fcntl
except ImportError:  # pragma: no cover (Windows): no lock, the state file still guards
    fcntl = None  # type: ignore[assignment]

__all__ = ["Exporter"]

LOCK_NAME = ".export.lock"
_OURS = {STATE_NAME, STATE_NAME + "-journal", LOCK_NAME}
#: A checkpoint is committed after this many tasks, or this many seconds, whichever is first.
CHECKPOINT_TASKS = 100
CHECKPOINT_SECONDS = 1.0


@attrs.define
class _Pending:
    """A task read from the listing whose lines wait for its files."""

    task_id: int
    row: dict[str, Any]
    unit_id: int | None = None
    unit_line: dict[str, Any] | None = None
    futures: list[Future[FileOutcome]] = attrs.field(factory=list)
    errors: list[dict[str, Any]] = attrs.field(factory=list)

    def done(self) -> bool:
        return all(f.done() for f in self.futures)


def _describe(identity: dict[str, Any]) -> str:
    query = ", ".join(f"{k}={v}" for k, v in identity.get("query", {}).items()) or "all tasks"
    include = ", ".join(identity.get("include", []))
    return f"tasks ({query}; {include}; layout v{identity.get('version')})"


class Exporter:
    """The export of one task queryset into one folder."""

    def __init__(self, plan: Plan, qs: QuerySet[Any], session: Session, query: dict[str, str]):
        self.plan, self.qs, self.session = plan, qs, session
        self.root: Path = plan.dest
        self.identity = plan.identity(query)
        self.families: list[str] = [f for f in ("tasks", "annotations") if f in plan.include]
        if plan.units:
            self.families.append("data_units")
        if plan.files:
            self.families.append("files")
        self.families.append("errors")

    # -- the folder ---------------------------------------------------------------------------

    def _refuse_strangers(self) -> None:
        """A folder without our state must be empty: nothing else is written into."""
        if (self.root / STATE_NAME).exists():
            return
        strangers = sorted(p.name for p in self.root.iterdir() if p.name not in _OURS)
        if strangers:
            raise ExportMismatchError(
                f"{str(self.root)!r} is not empty and holds no export state "
                f"({', '.join(strangers[:5])}{' ...' if len(strangers) > 5 else ''}): "
                "export into a new or empty folder"
            )

    def run(self) -> ExportResult:
        self.root.mkdir(parents=True, exist_ok=True)
        self._refuse_strangers()  # before the lock file is created
        lock = os.open(self.root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise RuntimeError(
                        f"another export is running into {str(self.root)!r}; wait for it"
                    ) from None
            return self._open()
        finally:
            os.close(lock)

    def _open(self) -> ExportResult:
        self._refuse_strangers()
        state = State(self.root / STATE_NAME)
        try:
            have = state.identity()
            if have is None:
                state.set_identity(self.identity)
            elif have != self.identity:
                raise ExportMismatchError(
                    f"{str(self.root)!r} holds another export: {_describe(have)}; this one is "
                    f"{_describe(self.identity)}. Nothing was changed: export into another folder"
                )
            if state.complete():
                manifest = read_manifest(self.root)
                if manifest is not None:
                    return ExportResult(self.root, dict(manifest["counts"]), manifest)
            state.start_run(self.session.base_url)
            outcome = "failed"
            try:
                result = self._go(state)
                outcome = "complete"
                return result
            except KeyboardInterrupt:
                outcome = "interrupted"
                raise
            finally:
                state.end_run(outcome)
        finally:
            state.close()

    # -- the run ------------------------------------------------------------------------------

    def _go(self, state: State) -> ExportResult:
        cp = state.checkpoint()
        resumed = cp.last_id > 0
        counts = {k: 0 for k in ("tasks", "annotations", "data_units", "files", "errors", "bytes")}
        counts.update(cp.counts)
        out = Outputs(self.root, self.families, cp.offsets)
        # A task queryset (this layer cannot name Task): its filters are checked at run time.
        loose: Any = self.qs
        qs: QuerySet[Any] = loose.filter(id__gt=cp.last_id) if cp.last_id else self.qs
        qs = qs.order_by("id")
        if self.plan.units:
            qs = qs.expand("data_unit")
        bar: Reporter = reporter(None, 0, "export")
        if self.plan.progress:
            bar = reporter(self.plan.progress, counts["tasks"] + qs.count(), "export", "tasks")
            bar.update(counts["tasks"])
        pool = ThreadPoolExecutor(self.plan.max_workers) if self.plan.files else None
        run = _Run(self, state, out, counts, cp.last_id, pool, bar)
        try:
            run.walk(qs)
            run.commit()
        except BaseException:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
                pool = None
            run.finish_done()
            run.commit()
            raise
        finally:
            if pool is not None:
                pool.shutdown(wait=True)
            bar.close()
            out.close()
        manifest = write_manifest(self.root, self.identity, self.families, counts)
        state.set_complete()
        return ExportResult(self.root, dict(manifest["counts"]), manifest, resumed)


class _Run:
    """The moving parts of one run: the window of pending tasks and the uncommitted units."""

    def __init__(
        self,
        exporter: Exporter,
        state: State,
        out: Outputs,
        counts: dict[str, int],
        last_id: int,
        pool: ThreadPoolExecutor | None,
        bar: Reporter,
    ) -> None:
        self.ex, self.state, self.out, self.counts = exporter, state, out, counts
        self.pool, self.bar = pool, bar
        self.last_read = self.last_written = last_id
        self.pending: collections.deque[_Pending] = collections.deque()
        self.planned: set[int] = set()  # units claimed by pending tasks
        self.written: list[int] = []  # units written since the last commit
        self.written_set: set[int] = set()
        self.since, self.at = 0, time.monotonic()
        self.window = max(64, 8 * exporter.plan.max_workers)

    def walk(self, qs: QuerySet[Any]) -> None:
        for number, rows in qs._page_slices():
            for index, row in enumerate(rows):
                self.pending.append(self._read(row, number, index))
                while self.pending and (len(self.pending) > self.window or self.pending[0].done()):
                    self._finish_head()
        while self.pending:
            self._finish_head()

    def finish_done(self) -> None:
        """After a failure: write the tasks whose files all ended well, in order."""
        while self.pending and self.pending[0].done():
            head = self.pending[0]
            if any(f.cancelled() or f.exception() is not None for f in head.futures):
                break
            self._finish_head()

    def _read(self, row: Any, page: int, index: int) -> _Pending:
        if type(row) is not dict or type(row.get("id")) is not int:
            err = ResponseValidationError(f"page {page} row {index} is not a task with an int id")
            err.path = f"results[{index}].id"
            raise err
        task_id = row["id"]
        if task_id <= self.last_read:
            raise ResponseValidationError(
                f"the server listed task {task_id} after task {self.last_read}: the listing is "
                "not in id order (ordering=id), so the export cannot be resumed safely"
            )
        self.last_read = task_id
        item = _Pending(task_id, row)
        if self.ex.plan.units:
            self._plan_unit(item, row.get("data_unit"))
        return item

    def _plan_unit(self, item: _Pending, unit: object) -> None:
        if unit is None:
            return
        if type(unit) is not dict or type(unit.get("id")) is not int:
            item.errors.append(
                {
                    "task": item.task_id,
                    "data_unit": unit if type(unit) is int else None,
                    "error": "ResponseValidationError",
                    "message": "the server did not embed the task's data unit (expand=data_unit)",
                    "status": None,
                }
            )
            return
        unit_id = unit["id"]
        if unit_id in self.planned or unit_id in self.written_set or self.state.has_unit(unit_id):
            return  # written once, by the first task (in id order) that names it
        line, plans = plan_unit(unit, with_files=self.ex.plan.files)
        item.unit_id, item.unit_line = unit_id, line
        self.planned.add(unit_id)
        if self.pool is not None:
            session, root, cap = self.ex.session, self.ex.root, self.ex.plan.max_bytes
            item.futures = [self.pool.submit(fetch, session, root, p, cap) for p in plans]

    def _finish_head(self) -> None:
        """Write the oldest pending task (waiting for its files); it leaves the window only
        once written, so a failure here leaves it (and all after it) for the next run."""
        item = self.pending[0]
        outcomes = [f.result() for f in item.futures]  # a connection failure raises here
        self.pending.popleft()
        row, out, counts = item.row, self.out, self.counts
        if "tasks" in out.families:
            line = {k: v for k, v in row.items() if k not in ("data", "files")}
            unit = row.get("data_unit")
            if type(unit) is dict:
                line["data_unit"] = unit.get("id")
            out.write("tasks", line)
        if "annotations" in out.families:
            out.write("annotations", {"task": item.task_id, "data": row.get("data")})
            counts["annotations"] += 1
        if item.unit_line is not None and item.unit_id is not None:
            out.write("data_units", item.unit_line)
            counts["data_units"] += 1
            self.planned.discard(item.unit_id)
            self.written.append(item.unit_id)
            self.written_set.add(item.unit_id)
        for outcome in outcomes:
            record = outcome.record()
            if outcome.error is None:
                out.write("files", record)
                counts["files"] += 1
                counts["bytes"] += outcome.size or 0
            else:
                out.write("errors", {"task": item.task_id, **record})
                counts["errors"] += 1
        for error in item.errors:
            out.write("errors", error)
            counts["errors"] += 1
        counts["tasks"] += 1
        self.last_written = item.task_id
        self.bar.update(counts["tasks"])
        self.since += 1
        if self.since >= CHECKPOINT_TASKS or time.monotonic() - self.at >= CHECKPOINT_SECONDS:
            self.commit()

    def commit(self) -> None:
        self.out.sync()
        checkpoint = Checkpoint(self.last_written, dict(self.out.offsets), dict(self.counts))
        self.state.commit(checkpoint, self.written)
        self.written, self.written_set = [], set()
        self.since, self.at = 0, time.monotonic()

"""Jobs (``jobs/``): plugin runs, their console logs, the live log tail and ``wait()``.

Job ids are ints or UUIDs (the backend uses either): every job-taking call accepts an int, a
canonical UUID string or a ``uuid.UUID`` and refuses anything else before any I/O.
"""

from __future__ import annotations

import collections
import datetime as dt
import time
import uuid
from collections.abc import Callable, Generator, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypedDict, Union

import attrs

from synapse_sdk._async import asyncify, asyncify_iter
from synapse_sdk._endpoint import Action, Endpoint
from synapse_sdk._exceptions import ClientError, JobFailedError, ResponseValidationError
from synapse_sdk._progress import ProgressLike, reporter
from synapse_sdk._query import QuerySet
from synapse_sdk.resources._base import Record, SavableResource, fk
from synapse_sdk.resources._capabilities import DetailUpdateManager
from synapse_sdk.resources._enums import JobStatus, LogLevel
from synapse_sdk.resources._job_tail import JobLogEvent, tail_events
from synapse_sdk.resources._relations import ForeignKey
from synapse_sdk.resources.logs import log_body

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from synapse_sdk.resources.integration import Plugin  # noqa: F401 - ForeignKey["Plugin"]
    from synapse_sdk.resources.plugin_releases import PluginRelease  # noqa: F401

__all__ = [
    "JOBS",
    "Job",
    "JobFilters",
    "JobId",
    "JobLog",
    "JobLogEvent",
    "JobManager",
]

#: What a job id may be: an int, a canonical UUID string or a ``uuid.UUID``.
JobId = Union[int, str, uuid.UUID]  # noqa: UP007 - a runtime alias, spelled for Python 3.9 docs


@attrs.define(kw_only=True, eq=False, repr=False)
class JobLog(Record):
    """One console log line of a job."""

    id: int | None = None
    message: str = ""
    level: LogLevel | None = None
    datetime: dt.datetime | None = None


@attrs.define(kw_only=True, eq=False, repr=False)
class Job(SavableResource):
    """A plugin run. ``wait()`` polls until it finishes, ``tail()`` streams its log."""

    if TYPE_CHECKING:

        def _filter_signature(self, **filters: Unpack[JobFilters]) -> Job:
            """The keywords of ``QuerySet.filter`` (for type checkers only)."""
            ...

    id: int | str
    plugin_release_id: int | None = fk("plugin_release")
    plugin_id: int | None = fk("plugin")
    action: str | None = None
    status: JobStatus | None = None
    params: dict[str, Any] | None = None
    progress_record: dict[str, Any] | None = None
    metrics_record: dict[str, Any] | None = None
    result: Any = None
    meta: dict[str, Any] | None = None
    created: dt.datetime | None = None
    started: dt.datetime | None = None
    finished: dt.datetime | None = None

    plugin_release = ForeignKey["PluginRelease"]("plugin_release_id")
    """The plugin release the job runs (loaded on first use)."""
    plugin = ForeignKey["Plugin"]("plugin_id")
    """The plugin the job runs (loaded on first use)."""

    @property
    def is_finished(self) -> bool:
        """Whether the job reached a final status (SUCCEEDED, FAILED or STOPPED)."""
        return isinstance(self.status, JobStatus) and self.status.is_terminal

    def logs(self) -> list[JobLog]:
        """The job's console log lines (all pages)."""
        manager = self._require_manager()
        return [
            manager.converter.structure(row, JobLog)
            for row in manager.iter_action_rows("console_logs", self.id)
        ]

    def tail(
        self, *, idle_timeout: float = 60.0, timeout: float | None = None
    ) -> Iterator[JobLogEvent]:
        """Stream the job's log lines as they are written, until the job completes.

        A finished job's tail replays its log, then ends. Dropped connections are resumed
        where they stopped (no line twice, none skipped); see :meth:`JobManager.tail`.

        Args:
            idle_timeout: Seconds without a byte from the server (keep-alives count) after which
                the connection is considered dropped and reopened.
            timeout: Seconds the whole tail may last (None: until the job completes).
        """
        return tail_events(
            self._require_manager(), self.id, idle_timeout=idle_timeout, timeout=timeout
        )

    def wait(
        self,
        timeout: float = 600.0,
        *,
        poll: float = 0.2,
        max_poll: float = 5.0,
        raise_on_failure: bool = True,
        on_update: Callable[[Job], None] | None = None,
        progress: ProgressLike = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> Job:
        """Poll until the job finishes; return it.

        The poll interval starts at ``poll`` seconds and grows by half each time up to
        ``max_poll`` (capped backoff).

        Args:
            timeout: Seconds to wait in all.
            poll: The first poll interval in seconds.
            max_poll: The longest poll interval in seconds.
            raise_on_failure: Raise :class:`~synapse_sdk.JobFailedError` when the job ends
                FAILED (the default). False returns the failed job. A STOPPED job is never a
                failure (it was stopped on purpose): it is returned either way.
            on_update: Called with the job after every poll.
            progress: ``True`` shows a percent bar (tqdm when installed) fed by the job's
                ``progress_record``; a ``(done, total)`` callable receives the same numbers
                (total 100). Silent by default.
            sleep: Sleeps between polls (injectable for tests).
            clock: A monotonic clock (injectable for tests).

        Returns:
            The job, refreshed, in a final status: SUCCEEDED or STOPPED (or FAILED with
            ``raise_on_failure=False``).

        Raises:
            JobFailedError: The job ended FAILED (``err.job``; ``err.logs``: its last 20 lines).
            TimeoutError: The job had not finished after ``timeout`` seconds (it keeps running).
        """
        deadline = clock() + timeout
        interval = poll
        bar = reporter(progress, 100, f"job {self.id}", unit="%")
        try:
            while True:
                self.refresh()
                if on_update is not None:
                    on_update(self)
                percent = _percent(self.progress_record)
                if self.status is JobStatus.SUCCEEDED:
                    percent = 100
                if percent is not None:
                    bar.update(percent)
                if self.is_finished:
                    if raise_on_failure and self.status is JobStatus.FAILED:
                        raise self._failure()
                    return self
                remaining = deadline - clock()
                if remaining <= 0:
                    raise TimeoutError(
                        f"job {self.id} still {self.status} after {timeout:g} s; "
                        "call wait() again or check job.status later"
                    )
                sleep(min(interval, remaining))
                interval = min(max_poll, interval * 1.5)
        finally:
            bar.close()

    # -- async twins (docs/async.md): ``await job`` is ``await job.await_completion()`` ------
    await_completion = asyncify(wait, sleeps=True)
    atail = asyncify_iter(tail, batch=1)
    alogs = asyncify(logs)

    def __await__(self) -> Generator[Any, None, Job]:
        """``await job``: :meth:`wait` with its defaults, in the client's pool."""
        return self.await_completion().__await__()

    def _failure(self) -> JobFailedError:
        """The error for a FAILED job, with its last log lines (none if they cannot be read)."""
        last: collections.deque[JobLog] = collections.deque(maxlen=JobFailedError.MAX_LOGS)
        try:
            manager = self._require_manager()
            for row in manager.iter_action_rows("console_logs", self.id):
                last.append(manager.converter.structure(row, JobLog))
        except (ClientError, ValueError, TypeError):
            pass
        shown = "".join(f"\n  [{log.level or '-'}] {log.message}" for log in list(last)[-5:])
        return JobFailedError(
            f"job {self.id} failed" + (f"; its last log lines:{shown}" if shown else ""),
            job=self,
            logs=list(last),
        )


def _percent(record: object) -> int | None:
    """The percent done a ``progress_record`` reports, if any.

    The backend leaves its shape to the plugin; the common forms are ``{"progress": 40}`` and
    one entry per step (``{"train": {"progress": 40}, "export": {"progress": 0}}``, averaged).
    """
    if not isinstance(record, dict):
        return None
    values: list[float] = []
    for value in (record, *record.values()):
        number = value.get("progress") if isinstance(value, dict) else None
        if isinstance(number, int | float) and not isinstance(number, bool):
            values.append(float(number))
            if value is record:
                break
    if not values:
        return None
    return int(min(100.0, max(0.0, sum(values) / len(values))))


class JobFilters(TypedDict, total=False):
    """Filters of ``client.jobs.filter()``."""

    status: JobStatus | str
    """Jobs in this status (``JobStatus.RUNNING`` ...)."""
    plugin: int
    """Jobs of this plugin (id)."""
    plugin_release: int
    """Jobs of this plugin release (id)."""
    action: str
    """Jobs running this plugin action (``"train"``)."""


JOBS = Endpoint(
    name="jobs",
    path="jobs/",
    id_kind="int_or_uuid",
    ops=frozenset({"get", "list", "partial_update"}),
    filters=JobFilters,
    actions={
        "console_logs": Action("GET", "console_logs/"),
        "tail_console_logs": Action("GET", "tail_console_logs/"),
        # POST logs/ (log entries of plugin runs): declared here, see resources/logs.py.
        "create_logs": Action("POST", "logs/", detail=False, absolute=True),
    },
)


class JobManager(DetailUpdateManager[Job, JobId]):
    """``client.jobs``: listing, ``get``, ``update`` (PATCH: status, progress_record ...) and
    ``tail`` (the live log). Ids are ints or UUIDs."""

    endpoint = JOBS
    resource = Job

    def filter(self, **filters: Unpack[JobFilters]) -> QuerySet[Job]:
        """Jobs matching ``filters`` (lazy)."""
        return self._filter(filters)

    def tail(
        self, pk: JobId, *, idle_timeout: float = 60.0, timeout: float | None = None
    ) -> Iterator[JobLogEvent]:
        """Stream job ``pk``'s log lines (``GET jobs/<id>/tail_console_logs/``, Server-Sent
        Events) until the job completes; a finished job's log is replayed, then the tail ends.

        There is no per-call deadline: a connection silent for ``idle_timeout`` seconds (the
        server's keep-alives count as traffic) is dropped and reopened. A dropped connection
        is resumed with ``Last-Event-ID`` (no line twice, none skipped), at most 5 times in a
        row without a new line, with backoff (a 429/503's ``Retry-After`` is honoured, capped
        at 60 s); 401, 403 and 404 raise at once.

        Args:
            pk: The job (an int or a UUID).
            idle_timeout: Seconds of silence before reconnecting.
            timeout: Seconds the whole tail may last (None: until the job completes).

        Raises:
            TypeError, ValueError: A bad id or option (before any I/O).
            NotFoundError, AuthenticationError, AuthorizationError: At once.
            DeadlineExceededError: ``timeout`` passed.
            ResponseTooLargeError: A line over 1 MiB or an event over 8 MiB.
        """
        return tail_events(self, pk, idle_timeout=idle_timeout, timeout=timeout)

    atail = asyncify_iter(tail, batch=1)

    def create_logs_json(self, data: Any) -> Any:
        """``POST logs/`` with :func:`~synapse_sdk.resources.logs.log_body`'s checked copy of
        ``data`` (one entry or a list); returns the JSON as received."""
        return self.action_json("create_logs", json=log_body(data))

    def create_logs(self, *entries: Mapping[str, Any]) -> list[JobLog]:
        """Write log entries (``POST logs/``): each ``{"message": ..., "level": "info",
        "context": {...}, "file": path}``; a ``file`` path is sent inline as a data URI.

        Returns:
            The entries the server created.

        Raises:
            TypeError, ValueError, FileNotFoundError: A malformed entry (before any request).
            ResponseValidationError: The answer is not an object or a list of objects.
        """
        raw = self.create_logs_json(list(entries))
        rows = raw if isinstance(raw, list) else [raw]
        if not all(type(row) is dict for row in rows):
            raise ResponseValidationError(
                "logs/ should answer an object or a list of objects", response=raw
            )
        return [self.converter.structure(row, JobLog) for row in rows]

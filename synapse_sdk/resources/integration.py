"""Plugins, jobs and agents (``plugins/``, ``jobs/``, ``agents/``); plugin releases are in
:mod:`synapse_sdk.resources.plugin_releases`."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

import attrs

from synapse_sdk._endpoint import Action, Endpoint
from synapse_sdk._progress import ProgressLike, reporter
from synapse_sdk._query import QuerySet
from synapse_sdk.resources._base import BaseResource, Record, SavableResource, fk
from synapse_sdk.resources._capabilities import DetailUpdateManager, UpdateManager
from synapse_sdk.resources._enums import JobStatus, LogLevel, PluginCategory
from synapse_sdk.resources._manager import ReadManager
from synapse_sdk.resources._relations import ForeignKey, Related
from synapse_sdk.resources.plugin_releases import (  # their old home (kept importable)
    PLUGIN_RELEASES as PLUGIN_RELEASES,
)
from synapse_sdk.resources.plugin_releases import PluginRelease as PluginRelease
from synapse_sdk.resources.plugin_releases import PluginReleaseManager as PluginReleaseManager

if TYPE_CHECKING:
    from typing_extensions import Unpack


__all__ = [
    "AGENTS",
    "JOBS",
    "PLUGINS",
    "Agent",
    "AgentFilters",
    "AgentManager",
    "Job",
    "JobFilters",
    "JobLog",
    "JobManager",
    "Plugin",
    "PluginFilters",
    "PluginManager",
]


@attrs.define(kw_only=True, eq=False, repr=False)
class Plugin(SavableResource):
    """A plugin (code that runs as jobs on agents)."""

    if TYPE_CHECKING:

        def _filter_signature(self, **filters: Unpack[PluginFilters]) -> Plugin:
            """The keywords of ``QuerySet.filter`` (for type checkers only)."""
            ...

    id: int
    code: str = ""
    name: str = ""
    category: PluginCategory | None = None
    description: str | None = None
    is_active: bool = True
    is_public: bool = False
    config: dict[str, Any] | None = None
    created: dt.datetime | None = None

    def run(
        self, action: str | None = None, params: dict[str, Any] | None = None, **body: Any
    ) -> Job:
        """Run the plugin (``POST plugins/<id>/run/``) and return the job it started.

        Args:
            action: The plugin action to run (``"train"``, ``"export"`` ...).
            params: The action's parameters.
            **body: Other run options sent as given (``agent``, ``version``, ``debug`` ...).
        """
        payload = dict(body)
        if action is not None:
            payload["action"] = action
        if params is not None:
            payload["params"] = params
        manager = self._require_manager()
        return manager.related(JobManager).build(manager.action_json("run", self.id, json=payload))

    releases = Related["PluginReleaseManager"]("plugin")
    """The plugin's releases: ``plugin.releases.all()``."""


class PluginFilters(TypedDict, total=False):
    """Filters of ``client.plugins.filter()``."""

    code: str
    """The plugin with this code (``"my-plugin"``)."""
    name: str
    """Plugins with exactly this name."""
    category: PluginCategory | str
    """Plugins of this category."""
    id__in: Sequence[int]
    """Plugins whose id is one of these."""


PLUGINS = Endpoint(
    name="plugins",
    path="plugins/",
    ops=frozenset({"get", "list", "create", "update"}),
    filters=PluginFilters,
    ordering=frozenset({"id", "created", "code", "name"}),
    actions={"run": Action("POST", "run/", id_kind="lookup")},
)


class PluginManager(UpdateManager[Plugin, int]):
    """``client.plugins``: ``get``, ``create``, ``update`` (PUT) and ``run``."""

    endpoint = PLUGINS
    resource = Plugin

    def filter(self, **filters: Unpack[PluginFilters]) -> QuerySet[Plugin]:
        """Plugins matching ``filters`` (lazy)."""
        return self._filter(filters)

    def run(self, plugin: int | str, **body: Any) -> Job:
        """Run plugin ``plugin`` (id or code) with ``body`` and return the job it started."""
        return self.related(JobManager).build(self.action_json("run", plugin, json=body))


@attrs.define(kw_only=True, eq=False, repr=False)
class JobLog(Record):
    """One console log line of a job."""

    id: int | None = None
    message: str = ""
    level: LogLevel | None = None
    datetime: dt.datetime | None = None


@attrs.define(kw_only=True, eq=False, repr=False)
class Job(SavableResource):
    """A plugin run. ``wait()`` polls until it finishes."""

    if TYPE_CHECKING:

        def _filter_signature(self, **filters: Unpack[JobFilters]) -> Job:
            """The keywords of ``QuerySet.filter`` (for type checkers only)."""
            ...

    id: int
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

    def wait(
        self,
        timeout: float = 600.0,
        *,
        poll: float = 0.2,
        max_poll: float = 5.0,
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
            on_update: Called with the job after every poll.
            progress: ``True`` shows a percent bar (tqdm when installed) fed by the job's
                ``progress_record``; a ``(done, total)`` callable receives the same numbers
                (total 100). Silent by default.
            sleep: Sleeps between polls (injectable for tests).
            clock: A monotonic clock (injectable for tests).

        Returns:
            The job, refreshed, in a final status (which may be FAILED or STOPPED).

        Raises:
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
    ops=frozenset({"get", "list", "partial_update"}),
    filters=JobFilters,
    actions={"console_logs": Action("GET", "console_logs/")},
)


class JobManager(DetailUpdateManager[Job, int]):
    """``client.jobs``: listing, ``get``, ``update`` (PATCH: status, progress_record ...)."""

    endpoint = JOBS
    resource = Job

    def filter(self, **filters: Unpack[JobFilters]) -> QuerySet[Job]:
        """Jobs matching ``filters`` (lazy)."""
        return self._filter(filters)


@attrs.define(kw_only=True, eq=False, repr=False)
class Agent(BaseResource):
    """An agent that runs jobs."""

    if TYPE_CHECKING:

        def _filter_signature(self, **filters: Unpack[AgentFilters]) -> Agent:
            """The keywords of ``QuerySet.filter`` (for type checkers only)."""
            ...

    id: int
    name: str = ""
    url: str | None = None
    status: str | None = None
    created: dt.datetime | None = None


class AgentFilters(TypedDict, total=False):
    """Filters of ``client.agents.all().filter()``."""

    id: int
    """The agent with this id."""
    status: str
    """Agents in this status (``"connected"``)."""


AGENTS = Endpoint(
    name="agents",
    path="agents/",
    ops=frozenset({"list"}),
    filters=AgentFilters,
    actions={
        "connect": Action(
            "POST", "agents/{id}/connect/", absolute=True, id_kind="lookup", secret=True
        )
    },
)


class AgentManager(ReadManager[Agent]):
    """``client.agents``: listing and the connect health check."""

    endpoint = AGENTS
    resource = Agent

    def health_check(self, token: str) -> Any:
        """``POST agents/<token>/connect/``: the agent's health status and metadata."""
        return self.action_json("connect", token)

"""Plugins and agents (``plugins/``, ``agents/``); jobs are in :mod:`synapse_sdk.resources.jobs`
and plugin releases in :mod:`synapse_sdk.resources.plugin_releases` (both re-exported here,
their old home)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypedDict

import attrs

from synapse_sdk._endpoint import Action, Endpoint
from synapse_sdk._query import QuerySet
from synapse_sdk.resources._base import BaseResource, SavableResource
from synapse_sdk.resources._capabilities import UpdateManager
from synapse_sdk.resources._enums import PluginCategory
from synapse_sdk.resources._manager import ReadManager
from synapse_sdk.resources._relations import Related
from synapse_sdk.resources.jobs import JOBS as JOBS  # their old home (kept importable)
from synapse_sdk.resources.jobs import Job as Job
from synapse_sdk.resources.jobs import JobFilters as JobFilters
from synapse_sdk.resources.jobs import JobLog as JobLog
from synapse_sdk.resources.jobs import JobManager as JobManager
from synapse_sdk.resources.plugin_releases import (  # their old home (kept importable)
    PLUGIN_RELEASES as PLUGIN_RELEASES,
)
from synapse_sdk.resources.plugin_releases import PluginRelease as PluginRelease
from synapse_sdk.resources.plugin_releases import PluginReleaseManager as PluginReleaseManager

if TYPE_CHECKING:
    from typing_extensions import Unpack


__all__ = [
    "AGENTS",
    "PLUGINS",
    "Agent",
    "AgentFilters",
    "AgentManager",
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

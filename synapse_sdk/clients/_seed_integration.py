"""The seed API's flat methods for agents, plugins, plugin releases, jobs and storages."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal, overload

from synapse_sdk._endpoint import check_id
from synapse_sdk.clients._listing import ListAllRows
from synapse_sdk.clients._seed_base import SeedBase
from synapse_sdk.clients._shapes import PageEnvelope
from synapse_sdk.resources import JobId, JobStatus
from synapse_sdk.resources._job_tail import tail_blocks
from synapse_sdk.resources._manager import as_row
from synapse_sdk.resources.serve_applications import (
    ServeApplicationCreateRequest,
    check_create_request,
)

__all__ = ["IntegrationMethods"]

#: The fields the backend's ``PUT plugins/<id>/`` requires (a body without them is partial).
_PLUGIN_PUT_FIELDS = frozenset({"code", "name", "category"})


class IntegrationMethods(SeedBase):
    """``get_plugin``, ``run_plugin``, ``get_job``, ``get_storage`` ... (raw JSON)."""

    def health_check_agent(self, token: str) -> Any:
        """Check an agent's health (``POST agents/<token>/connect/``)."""
        return self.agents.health_check(token)

    def get_plugin(self, pk: int) -> dict[str, Any]:
        """Get a plugin (raw JSON)."""
        return as_row(self.plugins.fetch_json(pk), "plugin")

    def create_plugin(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Create a plugin."""
        return as_row(self.plugins.create_json(dict(data)), "plugin")

    def update_plugin(self, pk: int, data: Mapping[str, Any]) -> dict[str, Any]:
        """Update a plugin (``PUT plugins/<pk>/``).

        The backend's PUT takes the whole plugin. A partial body, as the seed shows
        (``{'description': ...}``), is completed first: the plugin is read and the given fields
        are merged over it (one GET, then the PUT). A body with ``code``, ``name`` and
        ``category`` is sent as given.
        """
        if not isinstance(data, Mapping):
            raise TypeError(f"data must be a mapping, got {type(data).__name__}")
        body = dict(data)
        if not body.keys() >= _PLUGIN_PUT_FIELDS:
            current = as_row(self.plugins.fetch_json(pk), "plugin")
            body = {**current, **body}
        return as_row(self.plugins.update_json(pk, body), "plugin")

    def run_plugin(self, pk: int | str, data: Any) -> Any:
        """Run a plugin (id or code) with ``data``; returns the job it started."""
        return self.plugins.action_json("run", pk, json=data)

    def create_plugin_release(self, data: Mapping[str, Any], file: Any = None) -> dict[str, Any]:
        """Create a plugin release; an archive in ``data['file']`` (or ``file``) goes multipart."""
        return as_row(self.uploads.plugin_release_json(data, file=file), "plugin release")

    def get_plugin_release(
        self, pk: int | str, params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Get a plugin release by id or ``'code@version'``."""
        return as_row(self.plugin_releases.fetch_json(pk, params), "plugin release")

    def list_jobs(self, params: Mapping[str, Any] | None = None) -> PageEnvelope:
        """List jobs (first page envelope)."""
        return self.jobs.list_json(params)

    def get_job(self, pk: JobId, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Get a job (raw JSON); ``pk`` is an int or a UUID."""
        return as_row(self.jobs.fetch_json(pk, params), "job")

    def update_job(self, pk: JobId, data: Mapping[str, Any]) -> dict[str, Any]:
        """Update a job (PATCH), e.g. ``{'status': 'SUCCEEDED'}``.

        Raises:
            ValueError: ``data['status']`` is not one of the backend's statuses (``PENDING``,
                ``RUNNING``, ``STOPPED``, ``SUCCEEDED``, ``FAILED``; the seed's ``'completed'``
                included); nothing is sent.
        """
        if not isinstance(data, Mapping):
            raise TypeError(f"data must be a mapping, got {type(data).__name__}")
        if "status" in data:
            status = data["status"]
            valid = [s.value for s in JobStatus]
            if not isinstance(status, str) or status not in valid:
                raise ValueError(f"job status must be one of {', '.join(valid)}, got {status!r}")
        return as_row(self.jobs.update_json(pk, dict(data), partial=True), "job")

    def list_job_console_logs(self, pk: JobId) -> Any:
        """A job's console logs (first page envelope)."""
        return self.jobs.action_json("console_logs", pk)

    def tail_job_console_logs(
        self, job_id: JobId, *, idle_timeout: float = 60.0, timeout: float | None = None
    ) -> Iterator[str]:
        """Stream a job's console log as the official client does: every non-blank line of the
        ``GET jobs/<id>/tail_console_logs/`` event stream, as received (``id: 3``,
        ``data: {"type": "log", ...}``, ``: ping`` comments), until the ``complete`` event.

        Unlike the official client it resumes a dropped connection (no event twice, none
        skipped), has an idle timeout instead of no read timeout, and raises the typed errors;
        see ``client.jobs.tail`` for the typed events. The id and options are checked now,
        before any request.
        """
        blocks = tail_blocks(self.jobs, job_id, idle_timeout=idle_timeout, timeout=timeout)

        def lines() -> Iterator[str]:
            try:
                for block, _ in blocks:
                    yield from block.lines
            finally:
                blocks.close()

        return lines()

    def create_logs(self, data: Mapping[str, Any] | list[Mapping[str, Any]]) -> Any:
        """Write log entries (``POST logs/``): one ``{message, level='info', context?, file?}``
        or a list; a ``file`` path is sent as a ``data:<mime>;base64,...`` URI. ``data`` is
        never modified (the official client rewrote its ``file`` in place). Checked before any
        request: a string ``message``, a level of the backend's set, an existing file."""
        return self.jobs.create_logs_json(data)

    @overload
    def list_serve_applications(
        self, params: Mapping[str, Any] | None = None, *, list_all: Literal[False] = False
    ) -> PageEnvelope: ...

    @overload
    def list_serve_applications(
        self, params: Mapping[str, Any] | None = None, *, list_all: Literal[True]
    ) -> ListAllRows: ...

    @overload
    def list_serve_applications(
        self, params: Mapping[str, Any] | None = None, *, list_all: bool = False
    ) -> PageEnvelope | ListAllRows: ...

    def list_serve_applications(
        self, params: Mapping[str, Any] | None = None, *, list_all: bool = False
    ) -> PageEnvelope | ListAllRows:
        """List serve applications (first page envelope, or every row lazily with
        ``list_all=True``: a :class:`ListAllRows` with ``.count``)."""
        return self._list(self.serve_applications, params, None, list_all)

    def create_serve_application(
        self, data: ServeApplicationCreateRequest | Mapping[str, Any]
    ) -> dict[str, Any]:
        """Create a serve application: ``{'job': <int or UUID>, 'status'?: str, 'data'?: {}}``
        (``job`` checked before any request)."""
        return as_row(
            self.serve_applications.create_json(check_create_request(data)), "serve application"
        )

    def list_storages(self, params: Mapping[str, Any] | None = None) -> PageEnvelope:
        """List storages (first page envelope)."""
        return self.storages.list_json(params)

    def get_storage(self, pk: int) -> dict[str, Any]:
        """Get a storage with its configuration."""
        return as_row(self.storages.fetch_json(pk, {"with_configuration": "true"}), "storage")

    def create_storage(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Create a storage (``provider`` one of :class:`StorageProvider`)."""
        return as_row(self.storages.create_json(dict(data)), "storage")

    def list_plugin_releases(
        self, plugin_code: str | int, *, params: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """The releases of plugin ``plugin_code`` (a code, or an id): the ``results`` list of the
        first page of ``plugin_releases/?plugin=<code>``, as the official client returns."""
        check_id(plugin_code, "lookup", what="plugin_code")
        page = self.plugin_releases.list_json({**self._params(params), "plugin": plugin_code})
        return page["results"]

    def get_plugin_release_by_lookup(
        self,
        lookup: str | int,
        *,
        expand: str | None = "plugin",
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Get a plugin release by ``'code@version'`` or its id (an int or a string of digits),
        with ``expand`` (``'plugin'`` by default; None for none) added to ``params``."""
        if isinstance(lookup, str) and lookup.isascii() and lookup.isdigit():
            lookup = int(lookup)
        if expand is not None and not isinstance(expand, str):
            raise TypeError(f"expand must be a string or None, got {type(expand).__name__}")
        query = self._params(params)
        if expand is not None:
            query.setdefault("expand", expand)
        return as_row(self.plugin_releases.fetch_json(lookup, query), "plugin release")

    def list_agents(self, params: Mapping[str, Any] | None = None) -> PageEnvelope:
        """List agents (first page envelope)."""
        return self.agents.list_json(self._params(params))

    def get_default_storage(self) -> dict[str, Any] | None:
        """The default storage as the official client finds it (the internal storage marked
        ``is_default``, else the first internal one), or None when there is none."""
        return self.storages.default_json()

"""``BackendClient``: the typed managers (``client.tasks.filter(project=1)``) and, as one-line
forwards to the same endpoint declarations, every flat method of the seed document
(``client.get_project(1)``, ``client.list_tasks(list_all=True)`` ...), which return raw JSON.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from synapse_sdk._endpoint import check_id
from synapse_sdk._exceptions import NotFoundError
from synapse_sdk._http import (
    RetryBudget,
    RetryPolicy,
    Session,
    Timeout,
    Transport,
    default_user_agent,
)
from synapse_sdk._http._body import DEFAULT_MAX_RESPONSE_BYTES
from synapse_sdk._http._options import check_option, picklable_or
from synapse_sdk._query._pages import PageSource
from synapse_sdk._url_conversion import (
    UrlConversion,
    check_url_conversion,
    convert_page,
    convert_row,
    convert_rows,
)
from synapse_sdk.resources import (
    FAMILIES,
    ClientContext,
    JobStatus,
    Managers,
    ReadManager,
    StorageCategory,
    StorageProvider,
)
from synapse_sdk.resources._manager import _RouteSource
from synapse_sdk.resources.tasks import tags_body, tasks_body
from synapse_sdk.uploads import (
    CHUNKED_UPLOADS,
    DEFAULT_CHUNK_SIZE,
    ProgressCallback,
    UploadManager,
)

__all__ = ["BackendClient", "ClientConfig", "ListAllRows", "StorageCategory", "StorageProvider"]

TimeoutLike = Timeout | Mapping[str, float | None] | float | None
_MISSING = object()


@attrs.frozen(repr=False)
class ClientConfig:
    """Everything a client is built from (tokens included; never shown by ``repr``).

    :meth:`session` is the one place a client's :class:`Session` is built from it (by the
    constructor and when unpickling); ``with_options`` copies it with :func:`attrs.evolve`.
    """

    base_url: str
    api_token: str | None
    agent_token: str | None
    tenant: str | None
    timeout: Timeout
    retry: RetryPolicy
    page_size: int
    prefetch: int
    pool_maxsize: int
    user_agent: str
    verify: bool
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    transport: Transport | None = None

    def session(self) -> Session:
        """A new Session with these options and a fresh retry budget."""
        return Session(
            self.base_url,
            headers=self.headers(),
            timeout=self.timeout,
            retry=self.retry,
            budget=RetryBudget(),
            pool_maxsize=self.pool_maxsize,
            user_agent=self.user_agent,
            verify=self.verify,
            sleep=self.sleep,
            clock=self.clock,
            max_response_bytes=self.max_response_bytes,
            transport=self.transport,
        )

    def picklable(self) -> ClientConfig:
        """This configuration as it is pickled: ``sleep``/``clock`` that do not pickle (a
        lambda, a closure) become ``time.sleep``/``time.monotonic``.

        Raises:
            TypeError: A custom ``transport`` that does not pickle (its app holds a database
                connection, say): the copy could not reach the same backend.
        """
        if self.transport is not None and picklable_or(self.transport, None) is None:
            raise TypeError(
                f"cannot pickle a client whose transport does not pickle ({self.transport!r}); "
                "build the client again in the other process"
            )
        return attrs.evolve(
            self,
            sleep=picklable_or(self.sleep, time.sleep),
            clock=picklable_or(self.clock, time.monotonic),
        )

    def headers(self) -> dict[str, str]:
        """The auth headers (``Synapse-Access-Token``, ``SYNAPSE-Agent``, ``Synapse-Tenant``):
        present only for values that are set."""
        headers: dict[str, str] = {}
        if self.api_token:
            headers["Synapse-Access-Token"] = f"Token {self.api_token}"
        if self.agent_token:
            headers["SYNAPSE-Agent"] = f"Token {self.agent_token}"
        if self.tenant:
            headers["Synapse-Tenant"] = f"Token {self.tenant}"
        return headers

    def __repr__(self) -> str:
        token = "'***'" if self.api_token else None
        return f"ClientConfig(base_url={self.base_url!r}, api_token={token})"


def _retry_policy(retries: int | RetryPolicy | None) -> RetryPolicy:
    if retries is None:
        return RetryPolicy()
    if isinstance(retries, RetryPolicy):
        return retries
    return RetryPolicy(max_retries=check_option("retries", retries))


def _token(value: object, name: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    if any(c in value for c in "\r\n\x00") or value != value.strip():
        raise ValueError(f"{name} contains whitespace or control characters")
    return value


def _chunked_flag(value: object) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"use_chunked_upload must be True, False or None, got {value!r}")
    return value


class _CountingSource:
    """A page source that keeps the ``count`` of the first page body the walk fetches (the
    walk's own first request: no extra one)."""

    __slots__ = ("count", "fetched", "source")

    def __init__(self, source: PageSource) -> None:
        self.source = source
        self.count = 0
        self.fetched = False

    def fetch_page(self, params: Mapping[str, str] | None, url: str | None = None) -> Any:
        body = self.source.fetch_page(params, url)
        if not self.fetched:
            self.fetched = True
            found = body.get("count") if isinstance(body, dict) else None
            if isinstance(found, int) and not isinstance(found, bool) and found >= 0:
                self.count = found
        return body

    def check_url(self, url: str) -> None:
        self.source.check_url(url)


class ListAllRows(Iterator[Any]):
    """What a seed ``list_*(list_all=True)`` returns: the lazy iterator over every row, plus the
    listing's total as :attr:`count` and ``len()``.

    ``rows = client.list_tasks(params, list_all=True); rows.count`` replaces the official
    client's ``rows, count = client.list_tasks(params, list_all=True)``. Nothing is sent before
    the first ``next()`` or ``count``/``len()``. The count is the first page's ``count`` (0 when
    the page gives none), read from the page the walk fetches anyway: asking for it before any
    row was read fetches that first page (its rows are kept for iteration), so ``len(rows)`` and
    ``list(rows)`` cost no extra request.
    """

    __slots__ = ("_ahead", "_rows", "_source")

    def __init__(self, rows: Iterator[Any], source: _CountingSource) -> None:
        self._rows = rows
        self._source = source
        self._ahead: list[Any] = []

    def __iter__(self) -> ListAllRows:
        return self

    def __next__(self) -> Any:
        if self._ahead:
            return self._ahead.pop()
        return next(self._rows)

    @property
    def count(self) -> int:
        """The listing's total rows (the first page's ``count``; 0 when it gives none)."""
        if not self._source.fetched:
            for row in itertools.islice(self._rows, 1):
                self._ahead.append(row)
        return self._source.count

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return True  # an iterator is truthy: ``if rows:`` sends nothing


class BackendClient(Managers):
    """Client of the Synapse backend.

    Args:
        base_url: The API root (``https://api.synapse.sh``); falls back to ``SYNAPSE_BASE_URL``.
        api_token: Sent as ``Synapse-Access-Token: Token <api_token>``; falls back to
            ``SYNAPSE_API_TOKEN``. ``access_token=`` is an alias.
        agent_token: Sent as ``SYNAPSE-Agent: Token <agent_token>``; falls back to
            ``SYNAPSE_AGENT_TOKEN``.
        timeout: ``{'connect': 5, 'read': 30}`` by default; a dict, a number or a
            :class:`Timeout` (which also sets the per-call wall-clock ``deadline``).
        tenant: Sent as ``Synapse-Tenant: Token <tenant>``; falls back to ``SYNAPSE_TENANT``.
        retries: Retries of safe requests (int) or a full :class:`RetryPolicy`.
        page_size: Rows per list request (1..1000, default 100).
        prefetch: Pages fetched ahead while iterating a listing (0 = sequential, default 4).
        pool_maxsize: Connections kept per host; size it to the threads sharing the client.
        user_agent: Replaces the default ``User-Agent``.
        verify: TLS certificate verification (turning it off warns).
        sleep: How retries wait (tests pass a recorder to run backoff in no time).
        clock: The monotonic clock deadlines are measured with (tests pass a fake one).
        max_response_bytes: The largest successful API answer buffered, in bytes (64 MiB by
            default). A larger (or endless) body raises ``ResponseTooLargeError`` as soon as it
            goes past the limit; error answers are read up to 1 MiB. File downloads stream and
            are not affected (they have ``max_bytes``).
        transport: Where requests go: None for connection pools over sockets, or
            ``WSGITransport(app)`` to answer every request from a WSGI app in-process (fast
            tests against ``LocalBackend``'s app, no socket). Retries, deadlines and errors are
            the same code for both.

    Integer options are checked against one table (``synapse_sdk._http._options.OPTIONS``):
    ``page_size`` 1..1000, ``prefetch`` 0..16, ``retries`` 0..20, ``pool_maxsize`` 1..1024,
    ``max_response_bytes`` >= 1.

    A client pickles with every option. ``sleep`` and ``clock`` are restored when they pickle
    (``time.sleep``, ``time.monotonic``, module-level functions); a lambda or closure is replaced
    by ``time.sleep`` / ``time.monotonic`` in the copy. A ``transport`` is pickled with the
    client; one that does not pickle makes pickling raise ``TypeError``.

    Raises:
        TypeError: An option has the wrong type.
        ValueError: No base URL was given or found in the environment, or an option is invalid.
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_token: str | None = None,
        agent_token: str | None = None,
        timeout: TimeoutLike = None,
        *,
        tenant: str | None = None,
        access_token: str | None = None,
        retries: int | RetryPolicy | None = None,
        page_size: int = 100,
        prefetch: int = 4,
        pool_maxsize: int = 16,
        user_agent: str | None = None,
        verify: bool = True,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        transport: Transport | None = None,
    ) -> None:
        url = base_url if base_url is not None else os.environ.get("SYNAPSE_BASE_URL")
        if not url:
            raise ValueError(
                "BackendClient needs base_url (or the SYNAPSE_BASE_URL environment variable), "
                "e.g. BackendClient('https://api.synapse.sh', api_token=...)"
            )
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http(s) URL, got {url!r}")
        if api_token is not None and access_token is not None and api_token != access_token:
            raise ValueError("give api_token or access_token (an alias), not both")
        token = api_token if api_token is not None else access_token
        config = ClientConfig(
            base_url=url.rstrip("/"),
            api_token=_token(token or os.environ.get("SYNAPSE_API_TOKEN"), "api_token"),
            agent_token=_token(agent_token or os.environ.get("SYNAPSE_AGENT_TOKEN"), "agent_token"),
            tenant=_token(tenant or os.environ.get("SYNAPSE_TENANT"), "tenant"),
            timeout=Timeout.coerce(timeout),
            retry=_retry_policy(retries),
            page_size=check_option("page_size", page_size),
            prefetch=check_option("prefetch", prefetch),
            pool_maxsize=check_option("pool_maxsize", pool_maxsize),
            user_agent=user_agent or default_user_agent(),
            verify=bool(verify),
            max_response_bytes=check_option("max_response_bytes", max_response_bytes),
            sleep=sleep,
            clock=clock,
            transport=transport,
        )
        self._setup(config, config.session())

    def _setup(self, config: ClientConfig, session: Session) -> None:
        self._config = config
        self._session = session
        ctx = ClientContext(session, page_size=config.page_size, prefetch=config.prefetch)
        self._ctx = ctx
        # One manager per family of the registry (``Managers`` types the attributes for mypy).
        for name, family in FAMILIES.items():
            manager = family(ctx)
            ctx.register(manager)
            setattr(self, name, manager)
        self.uploads = UploadManager(ctx)

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The API root this client talks to."""
        return self._config.base_url

    def with_options(
        self,
        *,
        timeout: TimeoutLike = None,
        retries: int | RetryPolicy | None = None,
        page_size: int | None = None,
        prefetch: int | None = None,
    ) -> BackendClient:
        """A cheap copy with other per-call options, sharing the connection pool.

        ``client.with_options(timeout=5, retries=0).tasks.get(1)``
        """
        config = attrs.evolve(
            self._config,
            timeout=Timeout.coerce(timeout, base=self._config.timeout)
            if timeout is not None
            else self._config.timeout,
            retry=_retry_policy(retries) if retries is not None else self._config.retry,
            page_size=check_option("page_size", page_size)
            if page_size is not None
            else self._config.page_size,
            prefetch=check_option("prefetch", prefetch)
            if prefetch is not None
            else self._config.prefetch,
        )
        clone = object.__new__(BackendClient)
        clone._setup(config, self._session.with_options(timeout=config.timeout, retry=config.retry))
        return clone

    def close(self) -> None:
        """Close the pooled connections (the client can still be used; it reconnects)."""
        self._session.close()

    def __enter__(self) -> BackendClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        # The configuration only (see the class docstring for sleep, clock and transport).
        return {"config": self._config.picklable()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        config: ClientConfig = state["config"]
        self._setup(config, config.session())

    def __repr__(self) -> str:
        return f"<BackendClient {self._config.base_url}>"

    # -- seed API: annotation ----------------------------------------------------------------

    def get_project(self, pk: int) -> Any:
        """Get project details by id (raw JSON)."""
        return self.projects.fetch_json(pk)

    def get_task(self, pk: int, params: Mapping[str, Any] | None = None) -> Any:
        """Get task details, e.g. ``params={'expand': 'data_unit'}`` (raw JSON)."""
        return self.tasks.fetch_json(pk, params)

    def annotate_task_data(self, pk: int, data: Any, schema: str | None = None) -> Any:
        """Submit annotation data for a task (``PUT tasks/<pk>/annotate_task_data/``);
        ``schema`` (``'dm_schema_v1'``, or ``'any'`` to skip the backend's DM-schema check) is
        sent as the ``schema`` query parameter when given."""
        if schema is not None and (not isinstance(schema, str) or not schema):
            raise TypeError(f"schema must be a non-empty string or None, got {schema!r}")
        params = {"schema": schema} if schema is not None else None
        return self.tasks.action_json("annotate", pk, json=data, params=params)

    def list_tasks(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
    ) -> Any:
        """List tasks: the first page envelope, or with ``list_all=True`` a lazy iterator over
        every task (dicts), fetched page by page."""
        return self._list(self.tasks, params, url_conversion, list_all)

    def create_tasks(self, data: Any) -> Any:
        """Create tasks from ``[{'project', 'data_unit'}, ...]`` or the wire form."""
        return self.tasks.create_json(tasks_body(data))

    def set_tags_tasks(
        self, data: Mapping[str, Any], params: Mapping[str, Any] | None = None
    ) -> Any:
        """Set tags on tasks: ``{'task_ids': [...], 'tag_ids': [...]}`` (or the wire form)."""
        return self.tasks.action_json("set_tags", json=tags_body(data), params=params)

    # -- seed API: core and data collections -------------------------------------------------

    def create_chunked_upload(
        self,
        file_path: str | os.PathLike[str],
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        on_progress: ProgressCallback | None = None,
        *,
        progress: bool | None = None,
        read_timeout: float | None = None,
    ) -> Any:
        """Upload a file with the chunked protocol (50 MiB chunks streamed from disk,
        MD5-verified, resumed from the server's offset after a dropped connection).

        ``on_progress(sent, total)`` is called as bytes go out; ``progress=True`` shows a bar.
        ``read_timeout`` (seconds) replaces the client's read timeout for this upload's requests
        (a finalize of a large file can take the server tens of seconds). Returns the finalize
        JSON (``id``, ``checksum``, ``size`` ...). On failure the error's ``upload_id`` names the
        upload for :meth:`resume_chunked_upload`.
        """
        return self._reading(read_timeout).uploads.chunked_json(
            file_path, chunk_size=chunk_size, progress=on_progress or progress
        )

    def resume_chunked_upload(
        self,
        upload_id: str,
        file_path: str | os.PathLike[str],
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        on_progress: ProgressCallback | None = None,
        *,
        progress: bool | None = None,
    ) -> Any:
        """Continue an interrupted chunked upload (from this or another process) from the
        server's offset, after checking the local file; returns the finalize JSON."""
        return self.uploads.resume_chunked_json(
            upload_id, file_path, chunk_size=chunk_size, progress=on_progress or progress
        )

    def list_data_collection(self) -> Any:
        """List data collections (first page envelope)."""
        return self.data_collections.list_json()

    list_data_collections = list_data_collection

    def get_data_collection(self, data_collection_id: int) -> Any:
        """Get a data collection with its ``file_specifications``."""
        return self.data_collections.fetch_json(
            data_collection_id, {"expand": "file_specifications"}
        )

    def create_data_file(
        self,
        file_path: str | os.PathLike[str],
        use_chunked_upload: bool | None = None,
        *,
        read_timeout: float | None = None,
    ) -> Any:
        """Upload a file as a data file: one multipart POST, or the chunked protocol for files
        above 50 MiB (``use_chunked_upload=None``, the default); True/False force either.
        ``read_timeout`` (seconds) replaces the client's read timeout for this call."""
        chunked = _chunked_flag(use_chunked_upload)
        return self._reading(read_timeout).uploads.data_file_json(file_path, chunked=chunked)

    def upload_data_file(
        self,
        organized_file: Mapping[str, Any],
        collection_id: int,
        use_chunked_upload: bool | None = None,
        *,
        read_timeout: float | None = None,
    ) -> Any:
        """Upload an organised item's files (each chunked above 50 MiB unless
        ``use_chunked_upload`` says otherwise); return the item for ``create_data_units``.
        ``read_timeout`` (seconds) replaces the client's read timeout for these uploads."""
        chunked = _chunked_flag(use_chunked_upload)
        return self._reading(read_timeout).uploads.data_unit_item(
            organized_file, collection_id, chunked=chunked
        )

    def create_data_units(self, uploaded_files: Any) -> Any:
        """Create data units from uploaded items (a list in, a list out)."""
        return self.data_units.create_json(uploaded_files)

    # -- seed API: HITL ----------------------------------------------------------------------

    def get_assignment(self, pk: int) -> Any:
        """Get assignment details by id (raw JSON)."""
        return self.assignments.fetch_json(pk)

    def list_assignments(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
    ) -> Any:
        """List assignments (first page, or every row lazily with ``list_all=True``)."""
        return self._list(self.assignments, params, url_conversion, list_all)

    def set_tags_assignments(
        self, data: Mapping[str, Any], params: Mapping[str, Any] | None = None
    ) -> Any:
        """Set tags on assignments: ``{'assignment_ids': [...], 'tag_ids': [...]}``."""
        body = tags_body(data, seed_ids_key="assignment_ids")
        return self.assignments.action_json("set_tags", json=body, params=params)

    # -- seed API: integration ---------------------------------------------------------------

    def health_check_agent(self, token: str) -> Any:
        """Check an agent's health (``POST agents/<token>/connect/``)."""
        return self.agents.health_check(token)

    def get_plugin(self, pk: int) -> Any:
        """Get a plugin (raw JSON)."""
        return self.plugins.fetch_json(pk)

    def create_plugin(self, data: Mapping[str, Any]) -> Any:
        """Create a plugin."""
        return self.plugins.create_json(dict(data))

    def update_plugin(self, pk: int, data: Mapping[str, Any]) -> Any:
        """Update a plugin (PUT)."""
        return self.plugins.update_json(pk, dict(data))

    def run_plugin(self, pk: int | str, data: Any) -> Any:
        """Run a plugin (id or code) with ``data``; returns the job it started."""
        return self.plugins.action_json("run", pk, json=data)

    def create_plugin_release(self, data: Mapping[str, Any], file: Any = None) -> Any:
        """Create a plugin release; an archive in ``data['file']`` (or ``file``) goes multipart."""
        return self.uploads.plugin_release_json(data, file=file)

    def get_plugin_release(self, pk: int | str, params: Mapping[str, Any] | None = None) -> Any:
        """Get a plugin release by id or ``'code@version'``."""
        return self.plugin_releases.fetch_json(pk, params)

    def list_jobs(self, params: Mapping[str, Any] | None = None) -> Any:
        """List jobs (first page envelope)."""
        return self.jobs.list_json(params)

    def get_job(self, pk: int, params: Mapping[str, Any] | None = None) -> Any:
        """Get a job (raw JSON)."""
        return self.jobs.fetch_json(pk, params)

    def update_job(self, pk: int, data: Mapping[str, Any]) -> Any:
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
        return self.jobs.update_json(pk, dict(data), partial=True)

    def list_job_console_logs(self, pk: int) -> Any:
        """A job's console logs (first page envelope)."""
        return self.jobs.action_json("console_logs", pk)

    # -- seed API: storages ------------------------------------------------------------------

    def list_storages(self, params: Mapping[str, Any] | None = None) -> Any:
        """List storages (first page envelope)."""
        return self.storages.list_json(params)

    def get_storage(self, pk: int) -> Any:
        """Get a storage with its configuration."""
        return self.storages.fetch_json(pk, {"with_configuration": "true"})

    def create_storage(self, data: Mapping[str, Any]) -> Any:
        """Create a storage (``provider`` one of :class:`StorageProvider`)."""
        return self.storages.create_json(dict(data))

    # -- seed API: ML ------------------------------------------------------------------------

    def list_models(self, params: Mapping[str, Any] | None = None) -> Any:
        """List models (first page envelope)."""
        return self.models.list_json(params)

    def get_model(
        self,
        pk: int,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion | None = None,
    ) -> Any:
        """Get a model; ``url_conversion`` rewrites its file URLs."""
        conversion = check_url_conversion(url_conversion)
        return convert_row(self.models.fetch_json(pk, params), conversion)

    def create_model(self, data: Mapping[str, Any], *, file: Any = None) -> Any:
        """Create a model; a file path (``file=``, or ``data['file']``) is uploaded with the
        chunked protocol first and referenced by ``chunked_upload``."""
        return self.uploads.model_json(data, file=file)

    def list_ground_truth_events(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
    ) -> Any:
        """List ground-truth events (first page, or every row lazily with ``list_all=True``)."""
        return self._list(self.ground_truth_events, params, url_conversion, list_all)

    def get_ground_truth_version(self, pk: int) -> Any:
        """Get a ground-truth dataset version (raw JSON)."""
        return self.ground_truth_versions.fetch_json(pk)

    # -- official client: reads and small utilities ------------------------------------------

    def list_tasks_data(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
    ) -> Any:
        """``{"id", "data"}`` of the tasks matching ``params`` (``sdk/tasks/data/``): the first
        page envelope, or with ``list_all=True`` a lazy iterator over every row."""
        return self._list_route(self.tasks, "list_data", params, url_conversion, list_all)

    def list_tasks_files(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
    ) -> Any:
        """``{"id", "files": [...]}`` of the tasks matching ``params`` (``sdk/tasks/files/``):
        first page envelope, or every row lazily with ``list_all=True``."""
        return self._list_route(self.tasks, "list_files", params, url_conversion, list_all)

    def list_assignments_data(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
    ) -> Any:
        """``{"id", "data"}`` of the assignments matching ``params`` (``sdk/assignments/data/``):
        first page envelope, or every row lazily with ``list_all=True``."""
        return self._list_route(self.assignments, "list_data", params, url_conversion, list_all)

    def list_assignments_files(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
    ) -> Any:
        """``{"id", "files": [...]}`` of the assignments matching ``params``
        (``sdk/assignments/files/``): first page, or every row lazily with ``list_all=True``."""
        return self._list_route(self.assignments, "list_files", params, url_conversion, list_all)

    def list_task_tags(self, params: Mapping[str, Any] | None = None) -> Any:
        """List task tags (first page envelope), e.g. ``params={'project': 1}``."""
        return self.task_tags.list_json(self._params(params))

    def get_task_tag(self, pk: int) -> Any:
        """Get a task tag by id (raw JSON)."""
        return self.task_tags.fetch_json(pk)

    def list_data_units(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
        page_size: int = 100,
        timeout: float | None = 60,
    ) -> Any:
        """List data units: the first page envelope (``page_size`` rows unless ``params`` says
        otherwise), or with ``list_all=True`` a lazy iterator over every unit. ``timeout`` is
        the read timeout of these requests in seconds (None: the client's)."""
        query = {"page_size": page_size, **self._params(params)}
        client = self if timeout is None else self.with_options(timeout={"read": timeout})
        return client._list(client.data_units, query, url_conversion, list_all)

    def get_data_unit(self, pk: int, *, params: Mapping[str, Any] | None = None) -> Any:
        """Get a data unit by id, e.g. ``params={'expand': 'files'}`` (raw JSON)."""
        return self.data_units.fetch_json(pk, self._params(params))

    def list_plugin_releases(
        self, plugin_code: str | int, *, params: Mapping[str, Any] | None = None
    ) -> Any:
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
    ) -> Any:
        """Get a plugin release by ``'code@version'`` or its id (an int or a string of digits),
        with ``expand`` (``'plugin'`` by default; None for none) added to ``params``."""
        if isinstance(lookup, str) and lookup.isascii() and lookup.isdigit():
            lookup = int(lookup)
        if expand is not None and not isinstance(expand, str):
            raise TypeError(f"expand must be a string or None, got {type(expand).__name__}")
        query = self._params(params)
        if expand is not None:
            query.setdefault("expand", expand)
        return self.plugin_releases.fetch_json(lookup, query)

    def verify_data_files_checksums(self, checksums: Sequence[str]) -> Any:
        """``{"existing_checksums": [...]}``: which of ``checksums`` (MD5 hex) the server already
        has (asked 1,000 at a time, the most one request carries; the answers merged)."""
        return self.data_files.verify_checksums_json(checksums)

    def get_chunked_upload(self, pk: str | int) -> Any:
        """The state of a chunked upload (``offset``, ``completed_at`` ...), by its id (a UUID
        string, or an int on backends that number uploads)."""
        if isinstance(pk, str):
            return self.uploads.get_chunked(pk)
        segment = check_id(pk, what="upload id")
        return self._session.request("GET", f"{CHUNKED_UPLOADS.path}{segment}/").json()

    def list_agents(self, params: Mapping[str, Any] | None = None) -> Any:
        """List agents (first page envelope)."""
        return self.agents.list_json(self._params(params))

    def get_default_storage(self) -> Any:
        """The default storage as the official client finds it (the internal storage marked
        ``is_default``, else the first internal one), or None when there is none."""
        return self.storages.default_json()

    def list_ground_truth_versions(self, params: Mapping[str, Any] | None = None) -> Any:
        """List ground-truth dataset versions (first page envelope)."""
        return self.ground_truth_versions.list_json(self._params(params))

    def list_ground_truth_events_data(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
        page_size: int = 100,
    ) -> Any:
        """``{"id", "pgh_id", "data"}`` of the ground-truth events matching ``params``
        (``sdk/ground_truth_events/data/``): first page, or every row with ``list_all=True``."""
        query = {"page_size": page_size, **self._params(params)}
        return self._list_route(
            self.ground_truth_events, "list_data", query, url_conversion, list_all
        )

    def list_ground_truth_events_files(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
        page_size: int = 100,
    ) -> Any:
        """``{"id", "pgh_id", "files": [...]}`` of the ground-truth events matching ``params``
        (``sdk/ground_truth_events/files/``): first page, or every row with ``list_all=True``."""
        query = {"page_size": page_size, **self._params(params)}
        return self._list_route(
            self.ground_truth_events, "list_files", query, url_conversion, list_all
        )

    def exists(self, api: str, *args: Any, **kwargs: Any) -> bool:
        """Whether the read method ``api`` finds something: ``exists('list_tasks', {'project':
        1})`` is True when the listing's ``count`` (else its rows) is not zero;
        ``exists('get_task', 7)`` is False when the backend answers 404.

        Raises:
            TypeError, ValueError: ``api`` is not the name of a ``list_*``/``get_*`` method of
                this client (nothing is sent), or the method refuses its arguments.
        """
        if not isinstance(api, str):
            raise TypeError(f"api must be a method name (str), got {type(api).__name__}")
        method = getattr(type(self), api, None) if api.startswith(("list_", "get_")) else None
        if not callable(method):
            raise ValueError(f"exists() takes the name of a list_* or get_* method, got {api!r}")
        try:
            found = getattr(self, api)(*args, **kwargs)
            if isinstance(found, Iterator):
                return next(found, _MISSING) is not _MISSING
        except NotFoundError:
            return False
        if isinstance(found, Mapping):
            count = found.get("count")
            if isinstance(count, int) and not isinstance(count, bool):
                return count > 0
            results = found.get("results")
            return bool(results) if isinstance(results, list) else True
        if isinstance(found, list):
            return bool(found)
        return found is not None

    def reset_connection(self) -> None:
        """Close the pooled connections; the next request opens a new one (the official
        client's way to leave a broken connection behind)."""
        self._session.close()

    # -- shared listing behaviour of the seed API --------------------------------------------

    def _list(
        self,
        manager: ReadManager[Any],
        params: Mapping[str, Any] | None,
        url_conversion: UrlConversion | None,
        list_all: bool,
    ) -> Any:
        conversion = check_url_conversion(url_conversion)
        if params is not None and not isinstance(params, Mapping):
            raise TypeError(f"params must be a mapping, got {type(params).__name__}")
        if list_all:  # iter_json checks page/page_size now; nothing is sent before next()
            # The manager's own walk over a source that keeps the first page's count.
            source = _CountingSource(manager)
            rows = manager._walk(source, params, None)
            return ListAllRows(convert_rows(rows, conversion) if conversion else rows, source)
        return convert_page(manager.list_json(params), conversion)

    def _list_route(
        self,
        manager: ReadManager[Any],
        name: str,
        params: Mapping[str, Any] | None,
        url_conversion: UrlConversion | None,
        list_all: bool,
    ) -> Any:
        conversion = check_url_conversion(url_conversion)
        query = self._params(params)
        if list_all:  # iter_route_json checks page/page_size now; nothing is sent before next()
            source = _CountingSource(_RouteSource(self._session, manager._route_path(name)))
            rows = manager._walk(source, query, None)
            return ListAllRows(convert_rows(rows, conversion) if conversion else rows, source)
        return convert_page(manager.list_route_json(name, query), conversion)

    def _reading(self, read_timeout: float | None) -> BackendClient:
        """This client, or with ``read_timeout`` a copy whose read timeout it is (sharing the
        pool; the wall-clock deadline raised to at least ``read_timeout``). Checked before I/O."""
        if read_timeout is None:
            return self
        if isinstance(read_timeout, bool) or not isinstance(read_timeout, (int, float)):
            kind = type(read_timeout).__name__
            raise TypeError(f"read_timeout must be a number of seconds or None, got {kind}")
        deadline = self._config.timeout.deadline
        timeout: dict[str, float | None] = {"read": read_timeout}
        if deadline is not None and read_timeout > deadline:
            timeout["deadline"] = read_timeout
        return self.with_options(timeout=timeout)

    @staticmethod
    def _params(params: Mapping[str, Any] | None) -> dict[str, Any]:
        if params is None:
            return {}
        if not isinstance(params, Mapping):
            raise TypeError(f"params must be a mapping, got {type(params).__name__}")
        return dict(params)

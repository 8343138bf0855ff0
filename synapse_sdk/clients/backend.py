"""``BackendClient``: the typed managers (``client.tasks.filter(project=1)``) and, as one-line
forwards to the same endpoint declarations, every flat method of the seed document and of the
official v1 client (``client.get_project(1)``, ``client.list_tasks(list_all=True)`` ...), which
return raw JSON. The flat methods live in one mixin per family group (``_seed_*`` modules).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from synapse_sdk._async import AsyncPool, asyncify, check_workers
from synapse_sdk._exceptions import NotFoundError
from synapse_sdk._http import RetryPolicy, Session, Timeout, Transport, default_user_agent
from synapse_sdk._http._body import DEFAULT_MAX_RESPONSE_BYTES
from synapse_sdk._http._options import check_option
from synapse_sdk.clients._config import ClientConfig, TimeoutLike, _retry_policy, _token, _url_host
from synapse_sdk.clients._listing import ListAllRows
from synapse_sdk.clients._seed_annotation import AnnotationMethods
from synapse_sdk.clients._seed_async import AsyncSeedMethods
from synapse_sdk.clients._seed_bulk import BulkMethods
from synapse_sdk.clients._seed_data import DataMethods
from synapse_sdk.clients._seed_integration import IntegrationMethods
from synapse_sdk.clients._seed_ml import MLMethods
from synapse_sdk.clients._shapes import ExistingChecksums, PageEnvelope
from synapse_sdk.resources import FAMILIES, ClientContext, StorageCategory, StorageProvider
from synapse_sdk.resources._base import bind_objects
from synapse_sdk.resources._context import register_env_client
from synapse_sdk.uploads import UploadManager

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "BackendClient",
    "ClientConfig",
    "ExistingChecksums",
    "ListAllRows",
    "PageEnvelope",
    "StorageCategory",
    "StorageProvider",
]

_MISSING = object()
_T = TypeVar("_T")


class BackendClient(
    AsyncSeedMethods, AnnotationMethods, BulkMethods, DataMethods, IntegrationMethods, MLMethods
):
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
        authorization_token: A user token of the backend's older scheme, sent as
            ``Authorization: Token <authorization_token>`` (the plugin runtime pairs it with
            ``tenant``). Checked like the other tokens; never shown in ``repr``, errors or logs.
        url_host: When set (the backend documents ``'internal'``), every request to the API
            origin carries the query parameter ``url_host=<value>``, pagination ``next`` links
            and chunked-upload URLs included, so the backend signs file URLs for that network
            host (it falls back to the public host where that is not allowed). A ``url_host``
            in a call's own ``params`` (or already in a ``next`` link) wins. File downloads and
            other origins never get it.
        retries: Retries of safe requests (int) or a full :class:`RetryPolicy`.
        page_size: Rows per list request (1..1000, default 100).
        prefetch: Pages fetched ahead while iterating a listing (0 = sequential, default 8;
            threads start only once page requests wait on the server).
        pool_maxsize: Connections kept per host; size it to the threads sharing the client.
        async_workers: Threads of the pool the async twins run in (``await
            client.tasks.aget(1)``; docs/async.md); ``pool_maxsize`` by default, 1..1024.
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
        authorization_token: str | None = None,
        url_host: str | None = None,
        retries: int | RetryPolicy | None = None,
        page_size: int = 100,
        prefetch: int = 8,
        pool_maxsize: int = 16,
        user_agent: str | None = None,
        verify: bool = True,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        transport: Transport | None = None,
        async_workers: int | None = None,
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
            authorization_token=_token(authorization_token, "authorization_token"),
            url_host=_url_host(url_host),
            async_workers=None if async_workers is None else check_workers(async_workers),
        )
        self._setup(config, config.session())

    def _setup(self, config: ClientConfig, session: Session, pool: AsyncPool | None = None) -> None:
        self._config = config
        self._session = session
        if pool is None:
            pool = AsyncPool(config.async_workers or config.pool_maxsize)
        ctx = ClientContext(
            session, page_size=config.page_size, prefetch=config.prefetch, async_pool=pool
        )
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
    ) -> Self:
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
        clone = object.__new__(type(self))
        session = self._session.with_options(timeout=config.timeout, retry=config.retry)
        clone._setup(config, session, self._ctx.async_pool)  # one pool, as one connection pool
        return clone

    def close(self) -> None:
        """Close the pooled connections and stop the async twins' thread pool without waiting
        (the client can still be used; it reconnects, and the next twin starts a new pool)."""
        self._session.close()
        self._ctx.async_pool.shutdown()

    async def aclose(self) -> None:
        """``close()``, then wait -- without blocking the event loop -- for the twins' calls
        still running in their threads (each ends within its deadline)."""
        running = self._ctx.async_pool.pending()
        self.close()
        if running:
            await asyncio.wait([asyncio.wrap_future(f) for f in running])

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __getstate__(self) -> dict[str, Any]:
        # The configuration only (see the class docstring for sleep, clock and transport).
        return {"config": self._config.picklable()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        config: ClientConfig = state["config"]
        self._setup(config, config.session())

    def __repr__(self) -> str:
        return f"<BackendClient {self._config.base_url}>"

    def bind(self, obj: _T) -> _T:
        """``obj`` bound to this client: a resource, a queryset, or a list/tuple of them.

        For objects restored from a pickle (which carries no client and no token) or built by
        another client. A resource is bound in place, with the related objects it caches, and
        returned; a queryset is immutable, so a bound copy is returned; a list or tuple comes
        back as a new one of bound items. Nothing is sent.

        Raises:
            TypeError: ``obj`` is none of these.
        """
        bound: _T = bind_objects(self._ctx, obj)
        return bound

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

    aexists = asyncify(exists)

    def reset_connection(self) -> None:
        """Close the pooled connections; the next request opens a new one (the official
        client's way to leave a broken connection behind)."""
        self._session.close()


def _environment_context() -> ClientContext:
    """The context of a client built from the environment alone (``SYNAPSE_BASE_URL``,
    ``SYNAPSE_API_TOKEN`` ...): what an unpickled object binds to on first use."""
    ctx: ClientContext = BackendClient()._ctx
    return ctx


register_env_client(_environment_context)

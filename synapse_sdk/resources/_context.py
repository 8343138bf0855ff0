"""What the managers of one client share: the session, the converter, listing defaults and the
registry of the client's managers (for typed navigation between families); and what a manager
becomes in a pickle (:class:`PendingManager`: family, scope and base URL, never a token), bound
again by ``client.bind(obj)`` or, on first use, to the client the environment names."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import cattrs

from synapse_sdk._async import AsyncPool
from synapse_sdk._converter import make_converter
from synapse_sdk._http import Session

if TYPE_CHECKING:
    from synapse_sdk.resources._manager import BaseManager

__all__ = [
    "ClientContext",
    "PendingManager",
    "env_context",
    "pending",
    "register_env_client",
    "unbound_message",
]

M = TypeVar("M", bound="BaseManager[Any]")


@attrs.frozen
class ClientContext:
    """The session, the client's converter, listing defaults and the client's managers.

    Managers are registered by class (``ctx.manager(TaskManager)``) and, for the navigation
    descriptors, by the name of the manager class or of its resource class (``"Project"``).
    """

    session: Session
    converter: cattrs.Converter = attrs.field(factory=make_converter, eq=False)
    page_size: int = 100
    prefetch: int = 8
    managers: dict[type[Any], Any] = attrs.field(factory=dict, eq=False)
    names: dict[str, Any] = attrs.field(factory=dict, eq=False)
    #: The bounded thread pool the async twins run in (``await client.tasks.aget(1)``).
    async_pool: AsyncPool = attrs.field(factory=AsyncPool, eq=False)

    def register(self, manager: BaseManager[Any]) -> None:
        """Make ``manager`` the client's manager of its family."""
        cls = type(manager)
        self.managers[cls] = manager
        self.names[cls.__name__] = manager
        self.names[cls.resource.__name__] = manager

    def manager(self, cls: type[M]) -> M:
        """The client's manager of class ``cls`` (``ctx.manager(ProjectManager)``)."""
        found: M = self.managers[cls]
        return found

    def named(self, name: str) -> BaseManager[Any]:
        """The manager whose class or resource class is called ``name`` (``"Project"``)."""
        try:
            found: BaseManager[Any] = self.names[name]
        except KeyError:
            raise LookupError(f"this client has no manager for {name!r}") from None
        return found

    @property
    def base_url(self) -> str:
        """The API root of the client's session."""
        url: str = self.session.base_url
        return url


# -- objects that outlive their client (pickles) ----------------------------------------------

#: Builds the client a process gets from its environment (registered by the client layer, which
#: this layer cannot import): returns that client's context.
_ENV_FACTORY: list[Callable[[], ClientContext]] = []
_ENV_CONTEXTS: dict[tuple[str | None, ...], ClientContext] = {}
_ENV_LOCK = threading.Lock()
_ENV_KEYS = ("SYNAPSE_BASE_URL", "SYNAPSE_API_TOKEN", "SYNAPSE_AGENT_TOKEN", "SYNAPSE_TENANT")


def register_env_client(factory: Callable[[], ClientContext]) -> None:
    """Make ``factory`` the way an unbound (unpickled) object gets a client from the
    environment (``BackendClient()`` reading ``SYNAPSE_BASE_URL``/``SYNAPSE_API_TOKEN``)."""
    _ENV_FACTORY[:] = [factory]


def _normal(url: str) -> str:
    return url.rstrip("/")


def unbound_message(what: str, base_url: str | None, reason: str) -> str:
    """The error text for an object that has no client and cannot get one from the env."""
    origin = f" (pickled from {base_url})" if base_url else ""
    return (
        f"this {what} is not bound to a client{origin} and {reason}; call client.bind(obj) "
        "with a client of its backend, or set SYNAPSE_BASE_URL and SYNAPSE_API_TOKEN to it"
    )


def env_context(base_url: str | None, what: str) -> ClientContext:
    """The context of the process's environment client, for an object pickled from
    ``base_url`` (one client per process and environment, built on first use).

    Raises:
        RuntimeError: The environment names no backend, another backend than ``base_url``, or
            the client cannot be built from it; the message says to call ``client.bind(obj)``.
    """
    env_url = os.environ.get("SYNAPSE_BASE_URL")
    if not env_url:
        raise RuntimeError(unbound_message(what, base_url, "SYNAPSE_BASE_URL is not set"))
    if base_url is not None and _normal(env_url) != _normal(base_url):
        raise RuntimeError(
            unbound_message(what, base_url, f"SYNAPSE_BASE_URL names another backend ({env_url})")
        )
    if not _ENV_FACTORY:
        raise RuntimeError(unbound_message(what, base_url, "no client class is loaded"))
    key = tuple(os.environ.get(k) for k in _ENV_KEYS)
    with _ENV_LOCK:
        ctx = _ENV_CONTEXTS.get(key)
        if ctx is None:
            try:
                ctx = _ENV_FACTORY[0]()
            except (TypeError, ValueError) as exc:
                raise RuntimeError(
                    unbound_message(what, base_url, f"the environment is not usable ({exc})")
                ) from exc
            for old in _ENV_CONTEXTS.values():  # one environment client per process
                old.session.close()  # (objects bound to it still work: it reconnects)
                old.async_pool.shutdown()
            _ENV_CONTEXTS.clear()
            _ENV_CONTEXTS[key] = ctx
    return ctx


class PendingManager:
    """What a manager becomes when pickled: its family, its scope and its backend's URL -- no
    session, no token. The first use binds it (:meth:`resolve`) to the environment's client."""

    __slots__ = ("_resolved", "base_url", "manager_cls", "scope")

    def __init__(
        self, manager_cls: type[Any], scope: dict[str, object], base_url: str | None
    ) -> None:
        self.manager_cls = manager_cls
        self.scope = dict(scope)
        self.base_url = base_url
        self._resolved: BaseManager[Any] | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        return (PendingManager, (self.manager_cls, self.scope, self.base_url))

    def __repr__(self) -> str:
        return f"<unbound {self.manager_cls.__name__} of {self.base_url or '?'}>"

    @property
    def endpoint(self) -> Any:
        """The family's endpoint declaration (no client needed)."""
        return self.manager_cls.endpoint

    @property
    def resource(self) -> type[Any]:
        """The family's resource class."""
        cls: type[Any] = self.manager_cls.resource
        return cls

    def bind(self, ctx: ClientContext) -> BaseManager[Any]:
        """This family's manager of ``ctx``'s client, with the pickled scope."""
        manager: BaseManager[Any] = ctx.manager(self.manager_cls)
        return manager.scoped(**self.scope) if self.scope else manager

    def resolve(self) -> BaseManager[Any]:
        """The manager of the environment's client (built once; see :func:`env_context`)."""
        if self._resolved is None:
            what = self.manager_cls.resource.__name__
            self._resolved = self.bind(env_context(self.base_url, what))
        return self._resolved

    def __getattr__(self, name: str) -> Any:
        # Everything but the declaration needs the client: bind on first use.
        if name.startswith("__") or name in PendingManager.__slots__:
            raise AttributeError(name)
        return getattr(self.resolve(), name)


def pending(manager: BaseManager[Any]) -> PendingManager:
    """The picklable stand-in of ``manager`` (its class, scope and backend URL)."""
    if isinstance(manager, PendingManager):
        return manager
    return PendingManager(type(manager), manager._scope, manager._ctx.base_url)

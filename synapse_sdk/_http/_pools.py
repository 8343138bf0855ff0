"""The default transport: urllib3 connection pools over real sockets (see :mod:`._transport`)."""

from __future__ import annotations

import os
import threading
import weakref
from typing import Any

import urllib3
from urllib3.connectionpool import HTTPConnectionPool

from synapse_sdk._http._connection import (
    GuardedHTTPConnectionPool,
    GuardedHTTPSConnectionPool,
    QuietHTTPSConnectionPool,
)

__all__ = ["PoolHolder"]

#: Every live holder, so a forked child can drop the pools it inherited (see ``_after_fork``).
_HOLDERS: weakref.WeakSet[PoolHolder] = weakref.WeakSet()


class PoolHolder:
    """Lazily built pools shared by a Session and its ``with_options`` copies: one connection
    pool per API origin (:meth:`route`) and one ``PoolManager`` for downloads, which may go to
    any origin (:meth:`route_download`).

    Args:
        maxsize: Connections kept per origin; with ``block=True`` extra threads wait for a free
            connection instead of opening throwaway ones ("connection pool is full" warnings).
        verify: Verify TLS certificates.
        ca_certs: A CA bundle path, or None for the system default.
    """

    def __init__(self, maxsize: int, verify: bool, ca_certs: str | None) -> None:
        self.maxsize = maxsize
        self.verify = verify
        self.ca_certs = ca_certs
        self._forget()
        _HOLDERS.add(self)

    def _forget(self) -> None:
        """Start empty (also in a forked child: the parent's pooled sockets are shared with the
        child after ``fork``, so a child reusing one would read the answers to the parent's, or
        a sibling's, requests). The inherited pools are dropped, never closed or shut down: that
        would end the parent's connections too."""
        self._lock = threading.Lock()
        self._manager: urllib3.PoolManager | None = None
        # API calls go straight to the origin's connection pool with the request target: going
        # through PoolManager.urlopen re-parsed the absolute URL and rebuilt the pool key on
        # every call (about a tenth of the client's CPU per small request).
        self._origins: dict[str, HTTPConnectionPool] = {}

    def route(self, url: str) -> tuple[HTTPConnectionPool, str]:
        """The connection pool of ``url``'s origin and the request target (path and query)."""
        slash = url.find("/", url.find("//") + 2)
        origin, target = (url, "/") if slash == -1 else (url[:slash], url[slash:])
        pool = self._origins.get(origin)
        if pool is None:
            with self._lock:
                pool = self._origins.get(origin)
                if pool is None:
                    pool = self._build_origin_pool(origin)
                    self._origins[origin] = pool
        return pool, target

    def route_download(self, url: str) -> tuple[urllib3.PoolManager, str]:
        """The pool manager and the absolute ``url``: downloads may go to any origin (presigned
        storage URLs, redirects), and the manager keeps a bounded number of pools for them."""
        return self.get(), url

    def _build_origin_pool(self, origin: str) -> HTTPConnectionPool:
        parsed = urllib3.util.parse_url(origin)
        host = parsed.host or ""
        kwargs: dict[str, Any] = {"maxsize": self.maxsize, "block": True, "retries": False}
        if parsed.scheme == "https":
            kwargs["cert_reqs"] = "CERT_REQUIRED" if self.verify else "CERT_NONE"
            if self.ca_certs is not None:
                kwargs["ca_certs"] = self.ca_certs
            cls: type[HTTPConnectionPool] = (
                GuardedHTTPSConnectionPool if self.verify else QuietHTTPSConnectionPool
            )
            return cls(host, parsed.port or 443, **kwargs)
        return GuardedHTTPConnectionPool(host, parsed.port or 80, **kwargs)

    def get(self) -> urllib3.PoolManager:
        """Return the pool manager, building it on first use (also after :meth:`close`)."""
        manager = self._manager
        if manager is not None:
            return manager
        with self._lock:
            if self._manager is None:
                kwargs: dict[str, Any] = {
                    "maxsize": self.maxsize,
                    "block": True,
                    "retries": False,
                    "cert_reqs": "CERT_REQUIRED" if self.verify else "CERT_NONE",
                }
                if self.ca_certs is not None:
                    kwargs["ca_certs"] = self.ca_certs
                manager = urllib3.PoolManager(**kwargs)
                manager.pool_classes_by_scheme = {
                    "http": GuardedHTTPConnectionPool,
                    "https": GuardedHTTPSConnectionPool
                    if self.verify
                    else QuietHTTPSConnectionPool,
                }
                self._manager = manager
            return self._manager

    def close(self) -> None:
        """Close every idle connection; a later request builds a fresh pool."""
        with self._lock:
            manager, self._manager = self._manager, None
            origins, self._origins = self._origins, {}
        if manager is not None:
            manager.clear()
        for pool in origins.values():
            pool.close()

    def __repr__(self) -> str:
        return f"<PoolHolder maxsize={self.maxsize} origins={len(self._origins)}>"


def _after_fork_in_child() -> None:
    for holder in list(_HOLDERS):
        holder._forget()


if hasattr(os, "register_at_fork"):  # pragma: no branch - POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)

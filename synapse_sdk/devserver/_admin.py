"""Tenants, users and agents: the provisioning used by LocalBackend, the seed and /_devserver/."""

from __future__ import annotations

import re
import secrets

from ._store import Store, now_iso

DEFAULT_TENANT = "local"
DEFAULT_API_TOKEN = "local-api-token"
DEFAULT_AGENT_TOKEN = "local-agent-token"
_CODE = re.compile(r"^[-a-zA-Z0-9_]+$")


def create_tenant(store: Store, code: str) -> int:
    """Create a tenant and return its id.

    Raises:
        ValueError: bad or duplicate code.
    """
    if not isinstance(code, str) or not _CODE.match(code):
        raise ValueError("tenant code must match ^[-a-zA-Z0-9_]+$")
    return store.create_tenant(code)


def _tenant(store: Store, code: str) -> int:
    tenant = store.tenant_id(code)
    if tenant is None:
        raise ValueError(f"unknown tenant {code!r}")
    return tenant


def create_user(store: Store, code: str, username: str, token: str | None = None) -> str:
    """Create a user in tenant ``code`` and return its access token."""
    tenant = _tenant(store, code)
    token = token or secrets.token_hex(20)
    with store.tx():
        user = store.insert("users", tenant, {"username": username, "created": now_iso()})
        store.add_token(token, "user", tenant, int(user["id"]))
    return token


def create_agent(store: Store, code: str, name: str, token: str | None = None) -> str:
    """Create an agent in tenant ``code`` and return its agent token."""
    tenant = _tenant(store, code)
    token = token or secrets.token_hex(20)
    with store.tx():
        agent = store.insert(
            "agents",
            tenant,
            {
                "name": name,
                "url": None,
                "status": "disconnected",
                "created": now_iso(),
                "connected_at": None,
                "_token": token,
            },
        )
        store.add_token(token, "agent", tenant, int(agent["id"]))
    return token


def ensure_default(store: Store) -> None:
    """Create the default tenant with its user and agent tokens (once per data directory)."""
    if store.tenant_id(DEFAULT_TENANT) is not None:
        return
    create_tenant(store, DEFAULT_TENANT)
    create_user(store, DEFAULT_TENANT, "admin", DEFAULT_API_TOKEN)
    create_agent(store, DEFAULT_TENANT, "local-agent", DEFAULT_AGENT_TOKEN)

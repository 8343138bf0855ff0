"""Shared fixtures: a client bound to the per-test local backend (``synapse_backend`` comes from
the devserver's pytest plugin)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from synapse_sdk.clients.backend import BackendClient


@pytest.fixture
def client(synapse_backend: Any) -> Iterator[BackendClient]:
    """A ``BackendClient`` talking HTTP to a fresh demo backend on a loopback port."""
    with BackendClient(synapse_backend.url, api_token=synapse_backend.api_token) as c:
        yield c


@pytest.fixture
def demo(synapse_backend: Any) -> dict[str, Any]:
    """The demo objects' ids (``demo["project"]``, ``demo["tasks"]`` ...)."""
    ids: dict[str, Any] = synapse_backend.demo
    return ids

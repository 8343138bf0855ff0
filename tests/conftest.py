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


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--soak``: also run the long reliability runs (marked ``soak``; minutes, not seconds)."""
    parser.addoption(
        "--soak",
        action="store_true",
        default=False,
        help="run the soak and full-size reliability tests (SYNAPSE_SOAK_SECONDS sets the soak's "
        "duration, default 300)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked ``soak`` unless ``--soak`` was given."""
    if config.getoption("--soak"):
        return
    skip = pytest.mark.skip(reason="soak test: run with --soak")
    for item in items:
        if "soak" in item.keywords:
            item.add_marker(skip)

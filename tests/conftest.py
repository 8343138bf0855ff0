"""Shared fixtures: a client bound to the per-test local backend, over a loopback socket
(``client``) or in-process with no socket (``wsgi_client``). ``synapse_backend`` and
``synapse_backend_wsgi`` come from the devserver's pytest plugin.

Tests of API logic (managers, querysets, resources, ``save()``, change tracking) use the
in-process client: same attempt loop, body caps and errors, no socket. Tests of the network
(timeouts, resets, faults, threads, hostile servers) keep the socket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from synapse_sdk import WSGITransport
from synapse_sdk.clients.backend import BackendClient

#: The base URL of in-process clients: it only names the origin the app sees (``HTTP_HOST``).
WSGI_URL = "http://testserver"


@pytest.fixture
def client(synapse_backend: Any) -> Iterator[BackendClient]:
    """A ``BackendClient`` talking HTTP to a fresh demo backend on a loopback port."""
    with BackendClient(synapse_backend.url, api_token=synapse_backend.api_token) as c:
        yield c


@pytest.fixture
def wsgi_client(synapse_backend_wsgi: Any) -> Iterator[BackendClient]:
    """A ``BackendClient`` whose requests a fresh demo backend's WSGI app answers in-process."""
    transport = WSGITransport(synapse_backend_wsgi.wsgi_app)
    with BackendClient(
        WSGI_URL, api_token=synapse_backend_wsgi.api_token, transport=transport
    ) as c:
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

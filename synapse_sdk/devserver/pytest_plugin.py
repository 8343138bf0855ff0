"""pytest fixtures for the local backend (registered through the ``pytest11`` entry point).

Importing this module stays cheap: the backend is imported only when a fixture is used.

``synapse_backend`` listens on a loopback port (use it for tests of the network: timeouts,
resets, TLS-free HTTP faults). ``synapse_backend_wsgi`` opens no socket: connect a client to it
in-process, which is several times faster per request and per test::

    from synapse_sdk import BackendClient, WSGITransport

    def test_tasks(synapse_backend_wsgi):
        backend = synapse_backend_wsgi
        client = BackendClient("http://testserver", api_token=backend.api_token,
                               transport=WSGITransport(backend.wsgi_app))
        assert client.tasks.get(backend.demo["task"]).id == backend.demo["task"]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ._server import LocalBackend


@pytest.fixture
def synapse_backend() -> Iterator[LocalBackend]:
    """A fresh ``LocalBackend(seed="demo", job_duration=0.2)`` per test."""
    from ._server import LocalBackend

    with LocalBackend(seed="demo", job_duration=0.2) as backend:
        yield backend


@pytest.fixture(scope="session")
def synapse_backend_session() -> Iterator[LocalBackend]:
    """One ``LocalBackend(seed="demo", job_duration=0.2)`` shared by the whole session."""
    from ._server import LocalBackend

    with LocalBackend(seed="demo", job_duration=0.2) as backend:
        yield backend


@pytest.fixture
def synapse_backend_wsgi() -> Iterator[LocalBackend]:
    """A fresh ``LocalBackend(seed="demo", job_duration=0.2, listen=False)`` per test: no socket;
    reach it through ``WSGITransport(backend.wsgi_app)`` (journal and faults work as usual)."""
    from ._server import LocalBackend

    with LocalBackend(seed="demo", job_duration=0.2, listen=False) as backend:
        yield backend

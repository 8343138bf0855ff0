"""Fixtures of the reliability suite.

One demo backend per test module (starting one costs ~0.2 s, and these modules hold many small
tests); each test starts with an empty fault plane and journal, and compares counts relative to
what it found. Tests that stop the server or need pristine data use ``synapse_backend`` (fresh).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from reliability_support import SleepRecorder, make_client

from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend

ClientFactory = Callable[..., tuple[BackendClient, SleepRecorder]]


@pytest.fixture(scope="module")
def module_backend() -> Iterator[LocalBackend]:
    """A demo backend shared by the tests of one module."""
    with LocalBackend(seed="demo", job_duration=0.2) as backend:
        yield backend


@pytest.fixture
def backend(module_backend: LocalBackend) -> Iterator[LocalBackend]:
    """The module's backend with no faults and an empty journal."""
    module_backend.faults.clear()
    module_backend.journal.clear()
    yield module_backend
    module_backend.faults.clear()


@pytest.fixture
def demo(backend: LocalBackend) -> dict[str, Any]:
    """The demo objects' ids of ``backend``."""
    ids: dict[str, Any] = backend.demo
    return ids


@pytest.fixture
def clients(backend: LocalBackend) -> Iterator[ClientFactory]:
    """Build clients (of ``backend`` unless ``target=`` says otherwise) with a recording sleep;
    all closed at teardown."""
    made: list[BackendClient] = []

    def factory(**kwargs: Any) -> tuple[BackendClient, SleepRecorder]:
        target = kwargs.pop("target", backend)
        client, recorder = make_client(target, **kwargs)
        made.append(client)
        return client, recorder

    yield factory
    for client in made:
        client.close()


@pytest.fixture
def fast(clients: ClientFactory) -> tuple[BackendClient, SleepRecorder]:
    """A client with the default retry policy whose pauses are recorded, not slept."""
    return clients()

"""Fixtures for the devserver tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import urllib3

from synapse_sdk.devserver import LocalBackend

from ._helpers import Api


@pytest.fixture
def pool() -> Iterator[urllib3.PoolManager]:
    pm = urllib3.PoolManager(maxsize=8)
    try:
        yield pm
    finally:
        pm.clear()


@pytest.fixture
def api(synapse_backend: LocalBackend, pool: urllib3.PoolManager) -> Api:
    return Api(synapse_backend, pool)


@pytest.fixture(scope="module")
def shared_backend() -> Iterator[LocalBackend]:
    """A demo backend shared by a module's read-only tests."""
    with LocalBackend(seed="demo", job_duration=0.2) as backend:
        yield backend


@pytest.fixture
def ro(shared_backend: LocalBackend, pool: urllib3.PoolManager) -> Api:
    """Api on the shared (read-only) backend."""
    return Api(shared_backend, pool)

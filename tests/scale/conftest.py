"""A local backend shared by a scale test module: the demo project plus 2,500 tasks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend

from .scale_support import fill_tasks

EXTRA_TASKS = 2500


@pytest.fixture(scope="module")
def big_backend() -> Iterator[LocalBackend]:
    with LocalBackend(seed="demo") as backend:
        fill_tasks(backend, EXTRA_TASKS)
        yield backend


@pytest.fixture
def backend(big_backend: LocalBackend) -> Iterator[LocalBackend]:
    """The module's backend, with no fault left over from another test."""
    big_backend.faults.clear()
    yield big_backend
    big_backend.faults.clear()


@pytest.fixture
def big_client(backend: LocalBackend) -> Iterator[BackendClient]:
    with BackendClient(backend.url, api_token=backend.api_token) as c:
        yield c


@pytest.fixture
def project(backend: LocalBackend) -> int:
    return int(backend.demo["project"])


@pytest.fixture
def task_ids(big_client: BackendClient, project: int) -> list[int]:
    """Every id of the project's tasks, by a plain walk."""
    ids: list[Any] = list(big_client.tasks.filter(project=project).values_list("id", flat=True))
    return sorted(ids)

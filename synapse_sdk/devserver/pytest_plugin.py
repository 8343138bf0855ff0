"""pytest fixtures for the local backend (registered through the ``pytest11`` entry point).

Importing this module stays cheap: the backend is imported only when a fixture is used.
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

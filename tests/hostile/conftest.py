"""Fixtures for the hostile-server tests: raw-socket servers that misbehave on purpose."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from hostile_server import HostileServer


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    """One hostile server on a loopback port, closed at teardown."""
    with HostileServer() as srv:
        yield srv


@pytest.fixture
def hostile_factory() -> Iterator[Callable[[], HostileServer]]:
    """Make as many hostile servers as a test needs (an API origin and an attacker, say)."""
    servers: list[HostileServer] = []

    def make() -> HostileServer:
        srv = HostileServer()
        servers.append(srv)
        return srv

    yield make
    for srv in servers:
        srv.close()

"""Fixtures for the session layer's integration tests (servers live in http_fault_server.py)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from http_fault_server import FaultServer, SleepRecorder

from synapse_sdk._http import RetryPolicy, Session


@pytest.fixture
def server() -> Iterator[FaultServer]:
    srv = FaultServer()
    try:
        yield srv
    finally:
        srv.close()


@pytest.fixture
def free_port() -> int:
    """A port with nothing listening (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def make_session() -> Iterator[Callable[..., tuple[Session, SleepRecorder]]]:
    """Build sessions with a recording sleep and fast backoff; all closed at teardown."""
    sessions: list[Session] = []

    def factory(base_url: str, **kwargs: Any) -> tuple[Session, SleepRecorder]:
        recorder = SleepRecorder()
        kwargs.setdefault("retry", RetryPolicy(max_retries=3, backoff_initial=0.01))
        kwargs.setdefault("sleep", recorder)
        kwargs.setdefault("clock", recorder.clock)
        session = Session(base_url, **kwargs)
        sessions.append(session)
        return session, recorder

    yield factory
    for session in sessions:
        session.close()

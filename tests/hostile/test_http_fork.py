"""Finding 2: a client used before ``fork`` never shares its pooled keep-alive socket with the
children: every answer a child gets is the answer to its own request."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from synapse_sdk._http import Session, Timeout
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend

pytestmark = pytest.mark.filterwarnings(
    # Python 3.12+ warns about forking a process that runs threads (the test's server does).
    "ignore:This process .* is multi-threaded, use of fork:DeprecationWarning"
)

CALLS_PER_WORKER = 500

_client: BackendClient | None = None
_ids: list[int] = []


def _typed_or_seed(n: int) -> tuple[int, int, int]:
    """One call in a child: (asked id, answered id, pid)."""
    assert _client is not None
    pk = _ids[n % len(_ids)]
    got = _client.get_task(pk)["id"] if n % 2 else _client.tasks.get(pk).id
    return pk, got, os.getpid()


@pytest.fixture
def forked_client(synapse_backend: LocalBackend) -> Iterator[BackendClient]:
    global _client, _ids
    client = BackendClient(synapse_backend.url, api_token=synapse_backend.api_token)
    _client, _ids = client, list(synapse_backend.demo["tasks"])
    yield client
    _client, _ids = None, []
    client.close()


def test_forked_workers_never_get_each_others_answers(forked_client: BackendClient) -> None:
    # One call in the parent: a keep-alive connection now sits in the pool.
    assert forked_client.get_task(_ids[0])["id"] == _ids[0]
    started = time.monotonic()
    context = multiprocessing.get_context("fork")
    with context.Pool(2) as pool:
        results = pool.map(_typed_or_seed, range(2 * CALLS_PER_WORKER), chunksize=25)
    assert len(results) == 2 * CALLS_PER_WORKER
    mixed = [(asked, got) for asked, got, _ in results if asked != got]
    assert not mixed, f"{len(mixed)} mixed-up answers, e.g. {mixed[:5]}"
    assert len({pid for _, _, pid in results}) == 2
    # The parent's own connection still works afterwards.
    assert forked_client.get_task(_ids[1])["id"] == _ids[1]
    assert time.monotonic() - started < 20


def _child_sessions(session: Session) -> Any:
    pool = session._pool
    return pool._origins, pool._manager


def test_the_child_drops_the_parents_pools(synapse_backend: LocalBackend) -> None:
    """In the child the pool holder starts empty (the parent's sockets are neither reused nor
    shut down), and the watchdog starts over."""
    token = {"Synapse-Access-Token": f"Token {synapse_backend.api_token}"}
    session = Session(synapse_backend.url, headers=token, timeout=Timeout(deadline=5))
    session.request("GET", "projects/")
    assert session._pool._origins
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            from synapse_sdk._http import _watchdog

            ok = not session._pool._origins and session._pool._manager is None
            ok = ok and _watchdog.WATCHDOG.pending() == 0
            session.request("GET", "projects/")  # a fresh connection in the child
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"
    os.close(read)
    session.request("GET", "projects/")  # the parent's pooled socket is intact
    session.close()

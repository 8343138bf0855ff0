"""Fault matrix, transport rows (guides/reliability.md): connection refused, resets before the
handler and after the commit, read timeouts and stalls, slow drip. Each row runs through the
typed API and the seed API; the journal says what the server received and committed."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from reliability_support import committed, entries

from synapse_sdk import (
    ClientConnectionError,
    ClientTimeoutError,
    DeadlineExceededError,
    HTTPError,
    OutcomeUnknownError,
    RetryPolicy,
    Timeout,
)
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend

Call = Callable[[BackendClient, dict[str, Any]], Any]

# Reads (GET), by API surface.
READS: dict[str, Call] = {
    "typed": lambda c, d: c.tasks.get(d["task"]).id,
    "seed": lambda c, d: c.get_task(d["task"])["id"],
}
# Creates (POST tasks/), by API surface.
CREATES: dict[str, Call] = {
    "typed": lambda c, d: c.tasks.create_many([d["data_units"][0]], project=d["project"]),
    "seed": lambda c, d: c.create_tasks(
        [{"project": d["project"], "data_unit": d["data_units"][0]}]
    ),
}
# Partial updates (PATCH jobs/<id>/), by API surface.
PATCHES: dict[str, Call] = {
    "typed": lambda c, d: c.jobs.update(d["job"], meta={"note": "typed"}),
    "seed": lambda c, d: c.update_job(d["job"], {"meta": {"note": "seed"}}),
}
# Full updates (PUT plugins/<id>/), by API surface: idempotent, so retried.
PUTS: dict[str, Call] = {
    "typed": lambda c, d: c.plugins.update(d["plugin"], code=d["plugin_code"], name="Renamed"),
    "seed": lambda c, d: c.update_plugin(
        d["plugin"], {"code": d["plugin_code"], "name": "Renamed"}
    ),
}
SURFACES = ["typed", "seed"]


def task_count(backend: LocalBackend) -> int:
    return backend.store.count("tasks", 1)


# -- connection refused --------------------------------------------------------------------------


@pytest.mark.parametrize("surface", SURFACES)
def test_connection_refused_is_retried_then_typed_and_commits_nothing(
    synapse_backend: LocalBackend, clients: Any, surface: str
) -> None:
    backend, demo = synapse_backend, synapse_backend.demo
    client, sleeps = clients(target=backend)
    backend.stop()  # the port now refuses connections; the journal stays readable
    before = len(backend.journal.entries())
    for call in (READS[surface], CREATES[surface], PATCHES[surface]):
        sleeps.sleeps.clear()
        with pytest.raises(ClientConnectionError) as info:
            call(client, demo)
        # Refused = provably never sent: retried for every method (POST/PATCH too), and never
        # reported as "outcome unknown".
        assert not isinstance(info.value, OutcomeUnknownError)
        assert len(sleeps.sleeps) == 3
        assert info.value.status_code is None and "could not connect" in str(info.value)
    assert len(backend.journal.entries()) == before


def test_connection_refused_stops_retrying_when_the_budget_is_spent(
    synapse_backend: LocalBackend, clients: Any
) -> None:
    demo = synapse_backend.demo
    client, sleeps = clients(target=synapse_backend)
    synapse_backend.stop()
    attempts_per_call = []
    for _ in range(25):
        before = len(sleeps.sleeps)
        with pytest.raises(ClientConnectionError):
            client.get_task(demo["task"])
        attempts_per_call.append(len(sleeps.sleeps) - before)
    # The budget (50 tokens) pays 3 retries per call for 16 calls, then the last 2 tokens; after
    # that an outage costs one attempt per call instead of four.
    assert attempts_per_call[:16] == [3] * 16
    assert sum(attempts_per_call) == 50
    assert attempts_per_call[-5:] == [0] * 5


# -- reset before the handler ran (nothing processed) --------------------------------------------


@pytest.mark.parametrize("surface", SURFACES)
def test_reset_before_handler_get_is_retried(
    backend: LocalBackend, fast: Any, demo: dict[str, Any], surface: str
) -> None:
    client, sleeps = fast
    backend.faults.add("reset_before", method="GET", path="tasks/*")
    assert READS[surface](client, demo) == demo["task"]
    got = entries(backend, "GET")
    assert [e.fault for e in got] == ["reset_before", None]
    assert len(sleeps.sleeps) == 1


@pytest.mark.parametrize("surface", SURFACES)
def test_reset_before_handler_put_is_retried(
    backend: LocalBackend, fast: Any, demo: dict[str, Any], surface: str
) -> None:
    client, _ = fast
    backend.faults.add("reset_before", method="PUT", path="plugins/*")
    PUTS[surface](client, demo)
    assert [e.fault for e in entries(backend, "PUT")] == ["reset_before", None]
    assert committed(backend, "PUT", f"plugins/{demo['plugin']}/") == 1
    assert client.get_plugin(demo["plugin"])["name"] == "Renamed"


def test_reset_before_handler_delete_is_retried(backend: LocalBackend, fast: Any) -> None:
    # No declared endpoint deletes (the backend has no DELETE routes), so the session is used
    # directly: the retry happens, and the second attempt gets the server's real answer (405).
    client, _ = fast
    backend.faults.add("reset_before", method="DELETE", path="tasks/*")
    with pytest.raises(HTTPError) as info:
        client._session.request("DELETE", "tasks/1/")
    assert info.value.status_code == 405
    assert [e.fault for e in entries(backend, "DELETE")] == ["reset_before", None]


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize(
    ("method", "path", "calls"), [("POST", "tasks/", CREATES), ("PATCH", "jobs/*", PATCHES)]
)
def test_reset_before_handler_write_is_outcome_unknown_without_resend(
    backend: LocalBackend,
    fast: Any,
    demo: dict[str, Any],
    surface: str,
    method: str,
    path: str,
    calls: dict[str, Call],
) -> None:
    client, sleeps = fast
    tasks_before = task_count(backend)
    backend.faults.add("reset_before", method=method, path=path)
    with pytest.raises(OutcomeUnknownError) as info:
        calls[surface](client, demo)
    assert "may have applied it" in str(info.value) and "not resent" in str(info.value)
    sent = entries(backend, method)
    assert len(sent) == 1 and sent[0].fault == "reset_before" and not sent[0].committed
    assert sleeps.sleeps == []
    assert task_count(backend) == tasks_before


# -- reset after the write committed (processed, answer lost) ------------------------------------


@pytest.mark.parametrize("surface", SURFACES)
def test_reset_after_commit_get_is_retried_to_success(
    backend: LocalBackend, fast: Any, demo: dict[str, Any], surface: str
) -> None:
    client, _ = fast
    backend.faults.add("reset_after", method="GET", path="tasks/*")
    assert READS[surface](client, demo) == demo["task"]
    assert [e.fault for e in entries(backend, "GET")] == ["reset_after", None]


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize(
    ("method", "path", "calls"), [("POST", "tasks/", CREATES), ("PATCH", "jobs/*", PATCHES)]
)
def test_reset_after_commit_write_is_outcome_unknown_with_one_committed_write(
    backend: LocalBackend,
    fast: Any,
    demo: dict[str, Any],
    surface: str,
    method: str,
    path: str,
    calls: dict[str, Call],
) -> None:
    client, sleeps = fast
    tasks_before = task_count(backend)
    backend.faults.add("reset_after", method=method, path=path)
    with pytest.raises(OutcomeUnknownError):
        calls[surface](client, demo)
    sent = entries(backend, method)
    assert len(sent) == 1 and sent[0].committed and sent[0].fault == "reset_after"
    assert sleeps.sleeps == []
    assert task_count(backend) == tasks_before + (1 if method == "POST" else 0)


@pytest.mark.parametrize("surface", SURFACES)
def test_reset_after_commit_put_is_retried_and_idempotent(
    backend: LocalBackend, fast: Any, demo: dict[str, Any], surface: str
) -> None:
    client, _ = fast
    backend.faults.add("reset_after", method="PUT", path="plugins/*")
    PUTS[surface](client, demo)
    # Two committed PUTs of the same full state: the second changes nothing (idempotent).
    assert committed(backend, "PUT", f"plugins/{demo['plugin']}/") == 2
    assert client.get_plugin(demo["plugin"])["name"] == "Renamed"


# -- read timeout before headers / body stall: typed timeout, broken connection not reused ------


def pooled_sockets(client: BackendClient) -> set[Any]:
    """The sockets of the idle keep-alive connections in the client's pool."""
    pool, _ = client._session._pool.route(client.base_url + "/")
    conns = list(pool.pool.queue) if pool.pool is not None else []
    return {c.sock for c in conns if c is not None and getattr(c, "sock", None) is not None}


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize(
    ("kind", "params"),
    [("stall", {"seconds": 2.0}), ("latency", {"seconds": 1.0}), ("drip", {"interval": 2.0})],
    ids=["stall-before-headers", "late-answer", "body-stall"],
)
def test_read_timeout_is_typed_and_the_connection_is_not_reused(
    backend: LocalBackend,
    clients: Any,
    demo: dict[str, Any],
    surface: str,
    kind: str,
    params: dict[str, float],
) -> None:
    client, _ = clients(retries=0, timeout=Timeout(connect=2, read=0.3, deadline=10))
    other = demo["tasks"][1]
    assert client.get_task(other)["id"] == other  # a pooled keep-alive connection now exists
    before = pooled_sockets(client)
    assert len(before) == 1
    backend.faults.add(kind, method="GET", path=f"tasks/{demo['task']}/", **params)
    started = time.monotonic()
    with pytest.raises(ClientTimeoutError) as info:
        READS[surface](client, demo)
    assert time.monotonic() - started < 1.0
    assert not isinstance(info.value, DeadlineExceededError)
    assert "timed out" in str(info.value)
    # The next call must not read the late bytes of the abandoned answer from the old socket:
    # it gets its own answer, over a new connection.
    assert client.get_task(other)["id"] == other
    assert client.tasks.get(other).id == other
    after = pooled_sockets(client)
    assert after and after.isdisjoint(before)


@pytest.mark.parametrize("surface", SURFACES)
def test_read_timeout_get_is_retried(
    backend: LocalBackend, clients: Any, demo: dict[str, Any], surface: str
) -> None:
    client, sleeps = clients(timeout=Timeout(connect=2, read=0.3, deadline=10))
    backend.faults.add("stall", method="GET", path="tasks/*", seconds=2.0)
    assert READS[surface](client, demo) == demo["task"]
    assert len(sleeps.sleeps) == 1


@pytest.mark.parametrize("surface", SURFACES)
def test_read_timeout_on_a_write_is_outcome_unknown(
    backend: LocalBackend, clients: Any, demo: dict[str, Any], surface: str
) -> None:
    client, _ = clients(timeout=Timeout(connect=2, read=0.3, deadline=10))
    backend.faults.add("latency", method="POST", path="tasks/", seconds=1.0)
    with pytest.raises(OutcomeUnknownError) as info:
        CREATES[surface](client, demo)
    assert "read timed out" in str(info.value)
    # The server finishes the write after the client gave up; it must be the only one.
    deadline = time.monotonic() + 3
    while not entries(backend, "POST") and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    sent = entries(backend, "POST")
    assert len(sent) == 1 and sent[0].committed


# -- slow drip: the wall-clock deadline holds --------------------------------------------------


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("calls", [READS, CREATES], ids=["GET", "POST"])
def test_slow_drip_raises_within_deadline_plus_half_a_second(
    backend: LocalBackend,
    clients: Any,
    demo: dict[str, Any],
    surface: str,
    calls: dict[str, Call],
) -> None:
    # Every byte arrives well within the 1 s read timeout, so only the deadline can stop it.
    client, _ = clients(timeout=Timeout(connect=2, read=1.0, deadline=0.5))
    backend.faults.add("drip", method="*", path="tasks/*", interval=0.05)
    started = time.monotonic()
    expected = DeadlineExceededError if calls is READS else OutcomeUnknownError
    with pytest.raises(expected) as info:
        calls[surface](client, demo)
    elapsed = time.monotonic() - started
    assert elapsed < 0.5 + 0.5, elapsed
    assert "deadline" in str(info.value)


def test_slow_drip_per_call_deadline_override(
    backend: LocalBackend, fast: Any, demo: dict[str, Any]
) -> None:
    client, _ = fast
    backend.faults.add("drip", method="GET", path="tasks/*", interval=0.05)
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError):
        client.with_options(timeout={"deadline": 0.5}).tasks.get(demo["task"])
    assert time.monotonic() - started < 1.0


def test_retry_policy_zero_disables_retries(
    backend: LocalBackend, clients: Any, demo: dict[str, Any]
) -> None:
    client, sleeps = clients(retries=RetryPolicy(max_retries=0))
    backend.faults.add("reset_before", method="GET", path="tasks/*")
    with pytest.raises(ClientConnectionError):
        client.get_task(demo["task"])
    assert sleeps.sleeps == [] and len(entries(backend, "GET")) == 1

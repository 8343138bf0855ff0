"""No duplicate writes: 1,000 creates while 10 % of the answers are lost after the commit.

Target (guides/reliability.md): exactly 1,000 committed writes in the journal, every lost answer
surfaces as ``OutcomeUnknownError`` (as many as the fault plane injected), never a resend.
"""

from __future__ import annotations

import time
from typing import Any

from reliability_support import entries

from synapse_sdk import OutcomeUnknownError
from synapse_sdk.devserver import LocalBackend

CREATES = 1_000


def test_1000_creates_with_10_percent_lost_answers_commit_exactly_1000(
    synapse_backend: LocalBackend, clients: Any
) -> None:
    backend, demo = synapse_backend, synapse_backend.demo
    client, sleeps = clients(target=backend)
    project, unit = demo["project"], demo["data_units"][0]
    before = backend.store.count("tasks", 1)
    backend.journal.clear()
    fault = backend.faults.add(
        "reset_after", method="POST", path="tasks/", times=None, probability=0.1, seed=7
    )
    unknown: list[int] = []
    other: list[BaseException] = []
    started = time.monotonic()
    for n in range(CREATES):
        try:
            if n % 2:
                client.tasks.create_many([unit], project=project)
            else:
                client.create_tasks([{"project": project, "data_unit": unit, "meta": {"n": n}}])
        except OutcomeUnknownError:
            unknown.append(n)
        except Exception as exc:  # counted: anything else is a failure of the target
            other.append(exc)
    elapsed = time.monotonic() - started
    posts = entries(backend, "POST", "tasks/")
    assert other == []
    assert len(posts) == CREATES  # not one request was resent
    assert sum(e.committed for e in posts) == CREATES
    assert backend.journal.committed("POST", "tasks/") == CREATES
    assert backend.store.count("tasks", 1) == before + CREATES
    assert len(unknown) == fault.hits == sum(e.fault == "reset_after" for e in posts)
    assert 60 <= fault.hits <= 140  # ~10 %
    assert sleeps.sleeps == []  # writes whose answer was lost are never retried
    # The seed half tagged each create: every tag exists exactly once on the server.
    tags = [t["meta"]["n"] for t in backend.store.all("tasks", 1) if "n" in (t.get("meta") or {})]
    assert sorted(tags) == list(range(0, CREATES, 2))
    print(
        f"\n{CREATES} creates, {fault.hits} answers lost -> {len(unknown)} OutcomeUnknownError, "
        f"{len(posts)} POSTs, {sum(e.committed for e in posts)} committed, {elapsed:.1f} s"
    )

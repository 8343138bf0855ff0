"""Transient faults: 5 % of GETs reset (before or after the handler) or answered 503, with the
default 3 retries: 0 failures over 6,400 calls.

The calls run in one thread on purpose: the fault plane's random generator is seeded, and a single
caller makes the sequence of hits reproducible. (Threads would not be faster here: client and
server share one interpreter, and the 32-thread test covers concurrency.) With independent 5 %
faults a call fails only after 4 hits in a row, p = 0.05**4 = 6.25e-6, so about 0.04 expected
failures in 6,400 calls: a seeded run shows the retry policy's margin without flaking.
"""

from __future__ import annotations

import collections
import time
from typing import Any

from synapse_sdk.clients.exceptions import ClientError
from synapse_sdk.devserver import LocalBackend

CALLS = 6_400
SHARE = 0.017  # three kinds at 1.7 % each: 1 - 0.983**3 = 5.0 % of requests hit


def test_5_percent_transient_get_faults_with_3_retries_lose_nothing(
    backend: LocalBackend, fast: Any, demo: dict[str, Any]
) -> None:
    client, sleeps = fast
    tasks = demo["tasks"]
    for seed, (kind, params) in enumerate(
        [("reset_before", {}), ("reset_after", {}), ("status", {"status": 503})]
    ):
        backend.faults.add(
            kind, method="GET", path="*", times=None, probability=SHARE, seed=seed, **params
        )
    failures: list[ClientError] = []
    retries_per_call: collections.Counter[int] = collections.Counter()
    started = time.monotonic()
    for i in range(CALLS):
        pk = tasks[i % len(tasks)]
        before = len(sleeps.sleeps)
        try:
            got = client.tasks.get(pk).id if i % 2 else client.get_task(pk)["id"]
        except ClientError as exc:
            failures.append(exc)
            continue
        assert got == pk
        retries_per_call[len(sleeps.sleeps) - before] += 1
    elapsed = time.monotonic() - started
    journal = backend.journal.entries()
    hits = sum(1 for e in journal if e.fault is not None)
    assert failures == []
    assert sum(retries_per_call.values()) == CALLS
    assert len(journal) == CALLS + hits  # every hit cost exactly one retry, nothing else
    assert 0.04 < hits / len(journal) < 0.06
    print(
        f"\n{CALLS} calls, {len(journal)} requests, {hits} injected faults "
        f"({hits / len(journal):.2%}), retries per call {dict(sorted(retries_per_call.items()))}, "
        f"{elapsed:.1f} s"
    )

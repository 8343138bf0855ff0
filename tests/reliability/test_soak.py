"""Soak: 16 threads share one client for 5 minutes (``SYNAPSE_SOAK_SECONDS``) of mixed reads,
listings and writes while 1 % of requests hit a fault of some kind. Runs only with ``--soak``.

Target (guides/reliability.md): 0 unhandled exceptions (every failure is a ``ClientError``
subclass), 0 duplicate writes (each tagged create exists at most once, and exactly once when the
call succeeded; committed creates in the journal equal the rows added), and every request on a
declared route.
"""

from __future__ import annotations

import collections
import os
import random
import threading
import time
from typing import Any

import pytest
from reliability_support import outside_routes

from synapse_sdk import ClientError, OutcomeUnknownError, Timeout
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend

THREADS = 16
FAULT_SHARE = 0.01
FAULTS: list[tuple[str, dict[str, Any]]] = [
    ("reset_before", {}),
    ("reset_after", {}),
    ("status", {"status": 503, "retry_after": "0"}),
    ("status", {"status": 429, "retry_after": "1"}),
    ("status", {"status": 500}),
    ("status", {"status": 502}),
    ("truncate", {}),
    ("malformed_json", {}),
    ("html", {"status": 502}),
    ("latency", {"seconds": 0.3}),
    ("stall", {"seconds": 1.5}),
    ("drip", {"interval": 0.01}),
]


@pytest.mark.soak
@pytest.mark.slow
def test_soak_mixed_faults_16_threads(synapse_backend: LocalBackend) -> None:
    seconds = float(os.environ.get("SYNAPSE_SOAK_SECONDS", "300"))
    backend, demo = synapse_backend, synapse_backend.demo
    project, unit, job = demo["project"], demo["data_units"][0], demo["job"]
    client = BackendClient(
        backend.url,
        api_token=backend.api_token,
        pool_maxsize=THREADS,
        timeout=Timeout(connect=2, read=1.0, deadline=15),
        page_size=50,
    )
    tasks_before = backend.store.count("tasks", 1)
    backend.journal.clear()
    part = 1 - (1 - FAULT_SHARE) ** (1 / len(FAULTS))
    for seed, (kind, params) in enumerate(FAULTS):
        backend.faults.add(kind, times=None, probability=part, seed=seed, **params)

    lock = threading.Lock()
    outcomes: collections.Counter[str] = collections.Counter()
    unhandled: list[BaseException] = []
    created: dict[str, str] = {}  # tag -> "ok" | "unknown" | "failed"
    typed_creates = collections.Counter[str]()
    stop_at = time.monotonic() + seconds

    def operation(rng: random.Random, thread: int, n: int) -> str:
        pick = rng.random()
        if pick < 0.25:
            pk = rng.choice(demo["tasks"])
            assert client.tasks.get(pk).id == pk
            return "typed get"
        if pick < 0.45:
            pk = rng.choice(demo["tasks"])
            assert client.get_task(pk)["id"] == pk
            return "seed get"
        if pick < 0.55:
            rows = client.tasks.filter(project=project)[: rng.randint(1, 120)]
            ids = [t.id for t in rows]
            assert ids == sorted(ids) and len(set(ids)) == len(ids)
            return "typed list"
        if pick < 0.62:
            page = client.list_tasks(params={"project": project, "page": 1, "page_size": 20})
            assert len(page["results"]) <= 20
            return "seed list"
        if pick < 0.80:
            tag = f"{thread}-{n}"
            with lock:
                created[tag] = "failed"
            try:
                client.create_tasks(
                    [{"project": project, "data_unit": unit, "meta": {"soak": tag}}]
                )
            except OutcomeUnknownError:
                with lock:
                    created[tag] = "unknown"
                raise
            with lock:
                created[tag] = "ok"
            return "seed create"
        if pick < 0.88:
            try:
                client.tasks.create_many([unit], project=project)
            except OutcomeUnknownError:
                with lock:
                    typed_creates["unknown"] += 1
                raise
            except ClientError:
                with lock:
                    typed_creates["failed"] += 1
                raise
            with lock:
                typed_creates["ok"] += 1
            return "typed create"
        if pick < 0.94:
            client.update_job(job, {"meta": {f"t{thread}": n}})
            return "seed patch"
        pk = rng.choice(demo["tasks"])
        client.tasks.get(pk).annotate({"soak": n}, schema="any")
        return "typed put"

    def worker(thread: int) -> None:
        rng = random.Random(thread)
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            try:
                name = operation(rng, thread, n)
            except ClientError as exc:
                with lock:
                    outcomes[f"failed: {type(exc).__name__}"] += 1
            except BaseException as exc:
                with lock:
                    unhandled.append(exc)
            else:
                with lock:
                    outcomes[name] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 60)
    elapsed = time.monotonic() - started
    alive = [t for t in threads if t.is_alive()]
    backend.faults.clear()
    client.close()

    journal = backend.journal.entries()
    posts = [e for e in journal if e.method == "POST" and e.path == "tasks/"]
    tags = collections.Counter(
        t["meta"]["soak"]
        for t in backend.store.all("tasks", 1)
        if isinstance(t.get("meta"), dict) and "soak" in t["meta"]
    )
    duplicates = {tag: count for tag, count in tags.items() if count > 1}
    lost = [tag for tag, state in created.items() if state == "ok" and tags[tag] != 1]
    phantom = [tag for tag, state in created.items() if state == "failed" and tags[tag] != 0]
    rows_added = backend.store.count("tasks", 1) - tasks_before
    faults = collections.Counter(e.fault for e in journal if e.fault)

    print(
        f"\nsoak {elapsed:.0f} s, {THREADS} threads: {sum(outcomes.values())} calls, "
        f"{len(journal)} requests, {sum(faults.values())} faults "
        f"({sum(faults.values()) / max(1, len(journal)):.2%}) {dict(faults)}\n"
        f"outcomes {dict(sorted(outcomes.items()))}\n"
        f"creates: seed {collections.Counter(created.values())}, typed {dict(typed_creates)}; "
        f"rows added {rows_added}, committed POSTs {sum(e.committed for e in posts)}, "
        f"duplicates {len(duplicates)}, unhandled {len(unhandled)}"
    )
    assert not alive
    assert unhandled == []
    assert duplicates == {} and lost == [] and phantom == []
    assert rows_added == sum(e.committed for e in posts)
    assert outside_routes(journal) == []
    assert sum(outcomes.values()) > 0

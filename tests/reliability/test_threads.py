"""Thread safety: 32 threads x 200 requests on one shared client, typed and seed calls mixed.

Target (guides/reliability.md): 0 errors, 0 mixed-up responses (every answer is the object that
was asked for), 0 "connection pool is full" warnings (urllib3 logs those, it does not warn).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend

THREADS = 32
PER_THREAD = 200


def test_32_threads_x_200_requests_on_one_client(
    synapse_backend: LocalBackend, caplog: pytest.LogCaptureFixture
) -> None:
    backend = synapse_backend
    caplog.set_level(logging.WARNING, logger="urllib3")
    client = BackendClient(backend.url, api_token=backend.api_token, pool_maxsize=THREADS)
    demo = backend.demo
    # 200 distinct objects, so an answer meant for another request would be noticed.
    ids = [
        t.id
        for t in client.tasks.create_many([demo["data_units"][0]] * 200, project=demo["project"])
    ]
    backend.journal.clear()
    errors: list[BaseException] = []
    mixed: list[tuple[int, Any]] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker(thread: int) -> int:
        start.wait()  # all threads hit the pool at once
        done = 0
        for j in range(PER_THREAD):
            pk = ids[(thread * 37 + j) % len(ids)]
            try:
                if j % 4 == 0:
                    got: Any = client.tasks.get(pk).id
                elif j % 4 == 1:
                    got = client.get_task(pk)["id"]
                elif j % 4 == 2:
                    got = client.get_task(pk, {"fields": "id,status"})["id"]
                else:
                    got = client.tasks.ref(pk).fetch().id  # a stub loaded on demand
            except Exception as exc:  # counted, not raised: the target is "0 errors"
                with lock:
                    errors.append(exc)
                continue
            if got != pk:
                with lock:
                    mixed.append((pk, got))
            done += 1
        return done

    started = time.monotonic()
    try:
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            done = sum(pool.map(worker, range(THREADS)))
    finally:
        client.close()
    elapsed = time.monotonic() - started
    full = [r.getMessage() for r in caplog.records if "pool is full" in r.getMessage()]
    assert errors == []
    assert mixed == []
    assert full == []
    assert done == THREADS * PER_THREAD
    assert len(backend.journal.entries()) == THREADS * PER_THREAD  # no hidden retries either
    print(f"\n{THREADS}x{PER_THREAD} requests in {elapsed:.1f} s ({done / elapsed:.0f}/s)")

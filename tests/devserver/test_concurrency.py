"""8 threads x 100 mixed requests on one backend: no errors, no lost writes."""

from __future__ import annotations

import threading

import urllib3

from synapse_sdk.devserver import LocalBackend

from ._helpers import Api


def test_mixed_load(synapse_backend: LocalBackend) -> None:
    errors: list[str] = []
    created: list[int] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        with urllib3.PoolManager(maxsize=1) as pm:
            api = Api(synapse_backend, pm)
            for i in range(100):
                op = (n + i) % 5
                if op == 0:
                    r = api.post("tasks/", json={"project": 1, "data": [{"data_unit": 1 + i % 3}]})
                    if r.status == 201:
                        with lock:
                            created.append(r.json()[0]["id"])
                    expected = 201
                elif op == 1:
                    r = api.get("sdk/tasks/", params={"page_size": 5, "project": 1})
                    expected = 200
                elif op == 2:
                    r = api.put(
                        "tasks/1/annotate_task_data/", json={"action": "save", "data": {"n": n}}
                    )
                    expected = 200
                elif op == 3:
                    r = api.post("tasks/set_tags/", json={"ids": [2], "tags": [1, 2]})
                    expected = 200
                else:
                    r = api.get(f"tasks/{1 + i % 6}/", params={"expand": "data_unit"})
                    expected = 200
                if r.status != expected:
                    errors.append(f"{n}/{i}: {r.status} {r.data[:200]!r}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert len(created) == 160 and len(set(created)) == 160
    with urllib3.PoolManager() as pm:
        count = Api(synapse_backend, pm).ok("GET", "sdk/tasks/")["count"]
    assert count == 6 + 160
    assert synapse_backend.journal.committed("POST", "tasks/") == 160
    assert len(synapse_backend.journal.entries()) >= 800

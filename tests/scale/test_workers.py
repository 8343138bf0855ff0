"""Partitions read in other processes: a spawned and a forked process pool that only inherit the
environment, and a two-process Dask ``LocalCluster`` (skipped when it cannot start here)."""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

from synapse_sdk import Partition
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend


def read_partition(part: Partition[Any]) -> list[int]:
    """Runs in a worker: the partition binds itself to the environment's client."""
    return [obj.id for obj in part]


@pytest.fixture
def worker_env(backend: LocalBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNAPSE_BASE_URL", backend.url)
    monkeypatch.setenv("SYNAPSE_API_TOKEN", backend.api_token)


# Python 3.12+ warns that forking a process with threads (the backend's) may deadlock the
# child; the child here only reads over HTTP, and the spawn case covers the safe method.
@pytest.mark.filterwarnings("ignore:.*use of fork\\(\\) may lead to deadlocks:DeprecationWarning")
@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_a_process_pool_reads_every_id_once(
    worker_env: None, big_client: BackendClient, project: int, task_ids: list[int], method: str
) -> None:
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} start method here")
    parts = big_client.tasks.filter(project=project).partitions(size=900)
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        chunks = [f.result(timeout=60) for f in [pool.submit(read_partition, p) for p in parts]]
    assert Counter(i for chunk in chunks for i in chunk) == Counter(task_ids)


def test_an_unbound_partition_without_the_environment_says_how_to_bind(
    big_client: BackendClient, project: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pickle

    part = pickle.loads(pickle.dumps(big_client.tasks.filter(project=project).partitions()[0]))
    monkeypatch.delenv("SYNAPSE_BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match=r"client\.bind"):
        list(part)


def test_a_two_process_dask_cluster_reads_every_id_once(
    backend: LocalBackend, big_client: BackendClient, project: int, task_ids: list[int]
) -> None:
    pytest.importorskip("dask", reason="the 'dask' extra is not installed")
    distributed = pytest.importorskip("distributed", reason="distributed is not installed")
    env = {
        "SYNAPSE_BASE_URL": backend.url,
        "SYNAPSE_API_TOKEN": backend.api_token,
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
    }
    try:
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=2,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
            env=env,
            silence_logs=50,
        )
    except Exception as exc:  # the sandbox may forbid it: say so instead of failing
        pytest.skip(f"a LocalCluster cannot start here: {exc!r}")
    try:
        with distributed.Client(cluster, timeout=30) as dask_client:
            df = big_client.tasks.filter(project=project).to_dask_dataframe(
                size=700, columns=["status"]
            )
            frame = dask_client.compute(df).result(timeout=120)
            bag = big_client.tasks.filter(project=project).to_dask_bag(size=700)
            ids = dask_client.compute(bag.map(lambda t: t.id)).result(timeout=120)
    finally:
        cluster.close(timeout=30)
    assert list(frame.index) == task_ids
    assert Counter(ids) == Counter(task_ids)

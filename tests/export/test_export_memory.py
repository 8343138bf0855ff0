"""Bounded memory: exporting 20,000 tasks costs about what exporting 5,000 costs, and far less than
holding the tasks in memory would.

The local backend runs in a child process, so tracemalloc sees the client only. The demo project
gets 20,000 more tasks and the second demo project 5,000 (on one data unit: the listing and the
JSONL writing are what is measured; the files are a handful).
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from export_support import ROOT, add_plain_tasks

from synapse_sdk.clients.backend import BackendClient

BIG, SMALL = 20_000, 5_000


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNAPSE_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen(
        [sys.executable, "-m", "synapse_sdk.devserver", "--port", "0", "--seed", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in first, first
        url = first.rsplit(" ", 1)[1].strip()
        with BackendClient(url, api_token="local-api-token") as client:
            add_plain_tasks(client, 1, 1, BIG)
            add_plain_tasks(client, 2, 1, SMALL)
        yield url, "local-api-token"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
        proc.stdout.close() if proc.stdout else None


def peak(fn: Callable[[], Any]) -> tuple[int, Any]:
    """Peak traced bytes above the start while ``fn`` runs, and its result."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = fn()
        return tracemalloc.get_traced_memory()[1] - base, result
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_export_memory_stays_flat(server: tuple[str, str], tmp_path: Path) -> None:
    url, token = server
    with BackendClient(url, api_token=token, page_size=500) as client:
        small_peak, small = peak(lambda: client.projects.get(2).export(tmp_path / "small"))
        big_peak, big = peak(lambda: client.projects.get(1).export(tmp_path / "big"))
        held_peak, held = peak(lambda: list(client.tasks.filter(project=2).expand("data_unit")))
    assert small.counts["tasks"] == SMALL + 1 and big.counts["tasks"] == BIG + 5
    assert len(held) == SMALL + 1
    print(
        f"\ntracemalloc peak: export {SMALL:,} tasks {small_peak / 1e6:.2f} MB, "
        f"{BIG:,} tasks {big_peak / 1e6:.2f} MB; list() of {SMALL:,} tasks {held_peak / 1e6:.1f} MB"
    )
    # Four times the tasks, about the same memory (pages of 500 rows, a bounded window).
    assert big_peak < 1.5 * small_peak + 1_000_000
    assert big_peak < 16_000_000  # measured about 9 MB: pages of 500 rows, 4 fetched ahead
    # Holding the 20,000 tasks would cost about four times holding 5,000 (~70 MB).
    assert big_peak < held_peak

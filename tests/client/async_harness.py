"""A small ``asyncio.run`` harness (pytest has no asyncio plugin here): every coroutine runs
with a hard time bound, and a ticker measures how long the event loop was blocked."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import urllib3

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T], timeout: float = 20.0) -> T:
    """``asyncio.run(coro)``, failing after ``timeout`` seconds."""

    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


class LoopLag:
    """A task that sleeps ``interval`` and records how late it woke up (the loop's lag)."""

    def __init__(self, interval: float = 0.001) -> None:
        self.interval = interval
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(self.interval)
            self.lags.append(time.perf_counter() - start - self.interval)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._tick())

    async def stop(self) -> float:
        """Stop ticking; the largest lag seen, in seconds."""
        assert self._task is not None
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        return max(self.lags, default=0.0)


# -- a local backend in its own process (its threads do not share this process's GIL) --------


class RemoteBackend:
    """``python -m synapse_sdk.devserver --seed demo --control`` on a free loopback port."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "synapse_sdk.devserver", "--port=0", "--seed=demo", "--control"],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url = self.api_token = ""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if "listening on" in line:
                self.url = line.rsplit(" ", 1)[1].strip()
            if "api token:" in line:
                self.api_token = line.split("api token:", 1)[1].split()[0]
            if line.startswith("Press Ctrl-C"):
                break
        if not self.url or not self.api_token:
            self.close()
            raise RuntimeError("the devserver did not start")

    def fault(self, **fault: Any) -> None:
        """Add a fault through the control endpoint (``{"kind": "latency", ...}``)."""
        answer = urllib3.request(
            "POST",
            f"{self.url}/_devserver/faults/",
            body=json.dumps(fault).encode(),
            headers={"Content-Type": "application/json"},
            timeout=5,
        )
        assert answer.status in (200, 201), answer.data

    def clear_faults(self) -> None:
        answer = urllib3.request("DELETE", f"{self.url}/_devserver/faults/", timeout=5)
        assert answer.status in (200, 204), answer.data

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

"""Async twins benchmark: 200 ``get``s with 50 ms latency per request, sequential vs in flight.

Run: ``python bench/async.py [--gets 200] [--latency 0.05]`` (results: docs/async.md).

The local backend runs in a separate process (``python -m synapse_sdk.devserver --control``)
with a ``latency`` fault on every ``GET tasks/*``; the client has ``pool_maxsize=32`` (so its twin
pool has 32 threads). Measured in this one run:

1. sequential: ``client.tasks.get(id)`` 200 times in a loop (the baseline);
2. sequential awaits: ``await client.tasks.aget(id)`` 200 times, one after the other (the
   thread hop's cost);
3. ``asyncio.gather`` of 200 ``aget``s with at most 8, then 32, in flight (a semaphore);
4. the official client's async client: skipped with a note (it is not installed here).

Ratios are speed-ups against the sequential baseline of this run. With 50 ms per request the
ideal is 8x and 32x; what is lost is thread hops, the GIL and the server's own threads.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from _devserver import add_latency, start_server  # noqa: E402

from synapse_sdk.clients.backend import BackendClient  # noqa: E402


def ids(n: int) -> list[int]:
    return [1 + i % 6 for i in range(n)]  # the demo's six tasks


def sequential(client: BackendClient, n: int) -> float:
    start = time.perf_counter()
    for pk in ids(n):
        client.tasks.get(pk)
    return time.perf_counter() - start


async def sequential_awaits(client: BackendClient, n: int) -> float:
    start = time.perf_counter()
    for pk in ids(n):
        await client.tasks.aget(pk)
    return time.perf_counter() - start


async def gathered(client: BackendClient, n: int, in_flight: int) -> float:
    gate = asyncio.Semaphore(in_flight)

    async def one(pk: int) -> None:
        async with gate:
            await client.tasks.aget(pk)

    start = time.perf_counter()
    await asyncio.gather(*(one(pk) for pk in ids(n)))
    return time.perf_counter() - start


def official_note() -> str:
    """The official client installs under the import name ``synapse_sdk`` too, so it cannot sit
    beside this package in one environment: its async client is never measured here."""
    return (
        "the official client is not installed (it shares the import name synapse_sdk); "
        "its async client is not measured"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--gets", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    proc, url, token = start_server()
    try:
        with BackendClient(url, api_token=token, pool_maxsize=32) as client:

            async def warm() -> None:  # threads and connections, before the latency fault
                for _ in range(2):
                    await asyncio.gather(*(client.tasks.aget(pk) for pk in ids(32)))

            asyncio.run(warm())
            add_latency(url, args.latency, method="GET", path="tasks/*")
            n = args.gets
            rows: list[tuple[str, float]] = [("sequential get()", sequential(client, n))]
            rows.append(("sequential await aget()", asyncio.run(sequential_awaits(client, n))))
            for in_flight in (8, 32):
                took = asyncio.run(gathered(client, n, in_flight))
                rows.append((f"gather, {in_flight} in flight", took))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
    base = rows[0][1]
    print(f"{args.gets} gets, {args.latency * 1000:.0f} ms latency each (devserver process)")
    print(f"{'way':<28}{'seconds':>9}{'per get':>10}{'speed-up':>10}")
    for name, took in rows:
        per = took / args.gets * 1000
        print(f"{name:<28}{took:>9.2f}{per:>8.1f}ms{base / took:>9.2f}x")
    print(f"({official_note()})")


if __name__ == "__main__":
    main()

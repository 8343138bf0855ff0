"""Past one machine: exporting a big listing through partitions and Dask, and a sharded import.

Run: ``python bench/scale.py [--quick]`` (needs the ``dask`` extra; results: docs/scale.md).

The local backend runs in a separate process (``--serve``), so its work does not share the
benchmark's GIL. Every ``GET sdk/tasks/`` page waits 100 ms (a latency fault), like a backend
far away. What is measured, in one run:

1. Exporting every task of a project (100,000; ``--quick``: 20,000), 1,000 rows a page:
   (a) the sequential iterator (``qs.options(page_size=1000, prefetch=0).iterator()``), the
   baseline; (b) ``qs.to_dask_bag(size=...)`` computed on Dask's threaded scheduler with 1, 2
   and 4 workers (threads are enough: the time is spent waiting for pages); (c) the same as a
   DataFrame (``to_dask_dataframe``) with 4 workers; for context, (d) the in-process page
   prefetch of one iterator (``prefetch=4``). Rows/s and the ratio to (a). Target: 4 workers
   >= 3x (a).
2. A sharded import of 2,000 small files (``--quick``: 400) into the demo collection:
   ``plan.run()`` (shards one after the other) vs the shards on Dask's threaded scheduler with
   4 workers (a fresh set of files each, so nothing is reused). Files/s and the ratio.

The official client's sequential walk is measured only when it is installed (it is not a
dependency; it shares the import name ``synapse_sdk``, so it is skipped here otherwise).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import urllib3

LATENCY = 0.1  # seconds per list page


# -- the backend process ---------------------------------------------------------------------------


def serve(tasks: int) -> int:
    """``--serve N``: a LocalBackend with N more tasks in the demo project; prints its address
    as one JSON line and serves until stdin closes."""
    from synapse_sdk.devserver import LocalBackend

    with LocalBackend(seed="demo") as backend:
        project = int(backend.demo["project"])
        units = list(backend.demo["data_units"])
        headers = {**backend.headers(), "Content-Type": "application/json"}
        pool = urllib3.connection_from_url(backend.url, maxsize=1)
        left = tasks
        while left > 0:
            batch = min(1000, left)
            body = {"project": project, "data": [{"data_unit": units[i % 3]} for i in range(batch)]}
            answer = pool.request("POST", "/tasks/", body=json.dumps(body), headers=headers)
            if answer.status != 201:
                raise SystemExit(f"POST tasks/ answered {answer.status}")
            left -= batch
        pool.close()
        backend.faults.add("latency", method="GET", path="sdk/tasks/", times=None, seconds=LATENCY)
        info = {
            "url": backend.url,
            "token": backend.api_token,
            "project": project,
            "collection": backend.demo["data_collection"],
        }
        print(json.dumps(info), flush=True)
        sys.stdin.read()
    return 0


class Backend:
    """The backend process."""

    def __init__(self, tasks: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(tasks)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit("the backend process did not start")
        self.info: dict[str, Any] = json.loads(line)
        SERVER_PID[:] = [self.proc.pid]

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# -- measurements ----------------------------------------------------------------------------------


#: CPU seconds of the last :func:`timed` call: (this process, the backend process).
LAST_CPU: list[float] = [0.0, 0.0]
SERVER_PID: list[int] = []


def server_cpu() -> float:
    """CPU seconds the backend process has used (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{SERVER_PID[0]}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(fn: Any) -> tuple[float, Any]:
    cpu, srv = time.process_time(), server_cpu()
    started = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - started
    LAST_CPU[:] = [time.process_time() - cpu, server_cpu() - srv]
    return elapsed, result


def cpu() -> str:
    return f"[cpu: client {LAST_CPU[0]:.1f} s, backend {LAST_CPU[1]:.1f} s]"


def export(rep: list[str], info: dict[str, Any], n: int, size: int) -> dict[str, float]:
    import dask

    from synapse_sdk.clients.backend import BackendClient

    client = BackendClient(info["url"], api_token=info["token"])
    qs = client.tasks.filter(project=info["project"])
    total = qs.count()
    out: dict[str, float] = {}

    def check(got: int) -> None:
        if got != total:
            raise SystemExit(f"exported {got} rows, expected {total}")

    secs, got = timed(lambda: sum(1 for _ in qs.options(page_size=1000, prefetch=0).iterator()))
    check(got)
    base = total / secs
    out["sequential"] = base
    rep.append(f"\nexport of {total:,} tasks, {LATENCY * 1000:.0f} ms per page, 1,000 rows a page")
    rep.append(
        f"  (a) sequential iterator            {base:>9,.0f} rows/s   1.00x  ({secs:.1f} s) {cpu()}"
    )
    secs, parts = timed(lambda: qs.partitions(size=size))
    rep.append(f"      planning {len(parts)} partitions (span): {secs * 1000:.0f} ms")
    for workers in (1, 2, 4):
        bag = qs.to_dask_bag(size=size, max_parallel=workers)
        secs, got = timed(
            lambda bag=bag, w=workers: bag.count().compute(scheduler="threads", num_workers=w)
        )
        check(got)
        out[f"bag{workers}"] = rate = total / secs
        rep.append(
            f"  (b) to_dask_bag, {workers} worker(s)         {rate:>9,.0f} rows/s   "
            f"{rate / base:.2f}x  ({secs:.1f} s) {cpu()}"
        )
    df = qs.to_dask_dataframe(size=size, columns=["status", "project_id", "data_unit_id"])
    with dask.config.set(scheduler="threads", num_workers=4):
        secs, frame = timed(df.compute)
    check(len(frame))
    out["df4"] = rate = total / secs
    rep.append(
        f"  (c) to_dask_dataframe, 4 workers     {rate:>9,.0f} rows/s   {rate / base:.2f}x  "
        f"({secs:.1f} s) {cpu()}"
    )
    secs, got = timed(lambda: sum(1 for _ in qs.options(page_size=1000, prefetch=4).iterator()))
    check(got)
    rate = total / secs
    rep.append(
        f"  (d) one iterator, prefetch=4         {rate:>9,.0f} rows/s   {rate / base:.2f}x  "
        f"({secs:.1f} s) {cpu()} (in-process page prefetch, for context)"
    )
    rep.append("  official client sequential walk: not installed (skipped)")
    client.close()
    return out


def files(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(count):
        path = folder / f"img{i}.png"
        path.write_bytes(b"\x89PNG" + os.urandom(256))
        out.append(path)
    return out


def sharded_import(rep: list[str], info: dict[str, Any], count: int) -> dict[str, float]:
    import dask
    import dask.bag as db

    from synapse_sdk.clients.backend import BackendClient

    client = BackendClient(info["url"], api_token=info["token"])
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as tmp:
        rep.append(f"\nsharded import of {count:,} small files, shards of {count // 8:,}")
        first = files(Path(tmp) / "a", count)
        secs, plan = timed(
            lambda: client.uploads.plan(first, collection=info["collection"], shard_size=count // 8)
        )
        rep.append(f"      planning (hash + dedup, {len(plan.shards)} shards): {secs:.2f} s")
        secs, report = timed(plan.run)
        if not report.ok or report.counts()["created"] != count:
            raise SystemExit(f"import failed: {report!r}")
        out["sequential"] = base = count / secs
        rep.append(
            f"  plan.run() (one shard at a time)   {base:>9,.0f} files/s  1.00x  "
            f"({secs:.1f} s) {cpu()}"
        )
        second = files(Path(tmp) / "b", count)
        plan = client.uploads.plan(second, collection=info["collection"], shard_size=count // 8)
        bag = db.from_sequence(list(plan.shards), npartitions=len(plan.shards)).map(
            lambda shard: shard.run(client)
        )
        with dask.config.set(scheduler="threads", num_workers=4):
            secs, reports = timed(bag.compute)
        report = plan.merge(reports)
        if not report.ok or report.counts()["created"] != count:
            raise SystemExit(f"import failed: {report!r}")
        out["dask4"] = rate = count / secs
        rep.append(
            f"  shards on Dask, 4 workers          {rate:>9,.0f} files/s  {rate / base:.2f}x  "
            f"({secs:.1f} s) {cpu()}"
        )
        secs, report = timed(lambda: client.uploads.plan(second, collection=info["collection"],
                                                         shard_size=count // 8).run())  # fmt: skip
        rep.append(
            f"  the same import again (all reused) {count / secs:>9,.0f} files/s  {report.counts()}"
        )
    client.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 tasks and 400 files")
    parser.add_argument("--serve", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        return serve(args.serve)
    try:
        import dask  # noqa: F401
    except ImportError:
        raise SystemExit(
            "bench/scale.py needs the dask extra: pip install 'synapse-sdk[dask]'"
        ) from None
    n, count = (20_000, 400) if args.quick else (100_000, 2_000)
    size = n // 20
    flag = "--quick " if args.quick else ""
    cores = os.cpu_count()
    rep: list[str] = [f"bench/scale.py {flag}(python {sys.version.split()[0]}, {cores} cores)"]
    started = time.perf_counter()
    backend = Backend(n)
    rep.append(
        f"backend process ready with {n:,} more tasks in {time.perf_counter() - started:.1f} s"
    )
    try:
        exp = export(rep, backend.info, n, size)
        sharded_import(rep, backend.info, count)
    finally:
        backend.close()
    ratio = exp["bag4"] / exp["sequential"]
    rep.append(f"\ntarget: 4 Dask workers >= 3x the sequential iterator: {ratio:.2f}x "
               f"{'met' if ratio >= 3 else 'NOT met'}")  # fmt: skip
    print("\n".join(rep))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

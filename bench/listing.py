"""Listing, single-get, memory and prefetch benchmark of the SDK against the local backend.

Run: ``python bench/listing.py [--quick] [--big] [--strict]`` (results: docs/performance.md).

What is measured, all in one run (each timed row is the best of ``--repeat`` interleaved runs):

1. Listing every task of a project (20,000; ``--quick``: 2,000) at page sizes 100 and 1,000
   through (a) raw urllib3 + ``json.loads`` following ``next`` links, (b) the seed API
   ``list_tasks(list_all=True)`` and (c) typed iteration of ``client.tasks.filter(...)``.
   Targets: b/a >= 0.9, c/a >= 0.65.
2. One ``client.tasks.get(id)`` per request vs raw urllib3 + ``json.loads`` on one keep-alive
   connection. Target: >= 0.85x.
3. Peak traced memory (tracemalloc) of ``iterator()`` vs ``list(queryset)`` at two sizes (and
   200,000 rows with ``--big``): iteration must stay flat as N grows.
4. A typed listing with 50 ms latency per page request: ``prefetch=8`` vs ``prefetch=0``.
   Target: >= 4x.

Two servers are used. The issue's setup lists from a real ``LocalBackend`` (rows marked ``local``):
there the server shares the two cores and the GIL with the client, so its cost is part of every
way of listing. The stricter client-only view lists the same pages from a *snapshot server*: a
minimal keep-alive HTTP/1.1 server answering the same URLs with the bytes the local backend sent
(same envelope, compact JSON), at a small constant cost per page, honouring latency faults of a
``FaultPlane`` like the local backend does (rows marked ``snapshot``). Targets are checked on both.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import re
import subprocess
import threading
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import urllib3

from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import FaultPlane, LocalBackend

TOKEN_HEADER = "Synapse-Access-Token"
LATENCY = 0.05  # seconds per page request in the prefetch test


def _dumps(data: Any) -> bytes:
    # The local backend's encoding (synapse_sdk/devserver/_app.py): compact UTF-8 JSON.
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


# -- snapshot server -------------------------------------------------------------------------------


class _Rows(Sequence[dict[str, Any]]):
    """``n`` task rows: the recorded ones, cycled with fresh ids when ``n`` is larger."""

    def __init__(self, templates: Sequence[dict[str, Any]], n: int, project: int) -> None:
        self._templates = templates
        self._n = n
        self._project = project

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._n))]
        template = self._templates[index % len(self._templates)]
        return {**template, "id": index + 1, "project": self._project}


class SnapshotServer:
    """Answers ``GET sdk/tasks/?project=P&page_size=S[&page=K]`` and ``GET tasks/<id>/`` with
    pre-encoded bodies in the local backend's format; latency and status faults of ``faults``
    apply as on the local backend. Runs in a daemon thread on 127.0.0.1."""

    def __init__(self, token: str) -> None:
        self.auth = f"Token {token}"
        self.faults = FaultPlane()
        self._listings: dict[int, _Rows] = {}
        self._pages: dict[tuple[int, int], list[bytes]] = {}
        self._details: dict[int, bytes] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                status, body = server.answer(self.path, self.headers.get(TOKEN_HEADER))
                head = (
                    f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                )
                self.wfile.write(head.encode("latin-1"))
                self.wfile.write(body)  # no concatenated copy: tracemalloc sees the client only

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> SnapshotServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def add_listing(self, project: int, templates: Sequence[dict[str, Any]], n: int) -> None:
        """Serve ``n`` rows (built from ``templates``) as the tasks of ``project``."""
        self._listings[project] = _Rows(templates, n, project)

    def prepare(self, project: int, page_size: int) -> None:
        """Pre-encode every page of ``project`` at ``page_size`` (outside any timed section)."""
        rows = self._listings[project]
        pages = max(1, math.ceil(len(rows) / page_size))
        base = f"{self.url}/sdk/tasks/?project={project}&page_size={page_size}&page="
        encoded = []
        for number in range(1, pages + 1):
            envelope = {
                "count": len(rows),
                "next": f"{base}{number + 1}" if number < pages else None,
                "previous": f"{base}{number - 1}" if number > 1 else None,
                "results": rows[(number - 1) * page_size : number * page_size],
            }
            encoded.append(_dumps(envelope))
        self._pages[project, page_size] = encoded

    def drop(self, project: int) -> None:
        """Forget a listing and its encoded pages."""
        self._listings.pop(project, None)
        for key in [k for k in self._pages if k[0] == project]:
            del self._pages[key]

    def add_details(self, rows: Sequence[dict[str, Any]]) -> None:
        """Serve ``GET tasks/<id>/`` for these rows."""
        for row in rows:
            self._details[row["id"]] = _dumps(row)

    def answer(self, target: str, auth: str | None) -> tuple[int, bytes]:
        parts = urlsplit(target)
        rel = parts.path.lstrip("/")
        if auth != self.auth:
            return 401, b'{"detail":"Invalid token."}'
        fault = self.faults.take("GET", rel)
        if fault is not None and fault.kind == "latency":
            time.sleep(fault.params["seconds"])
        elif fault is not None and fault.kind == "status":
            return fault.params["status"], b'{"detail":"Injected fault."}'
        if rel == "sdk/tasks/":
            query = dict(parse_qsl(parts.query))
            size = min(int(query.get("page_size", "100")), 1000)
            pages = self._pages.get((int(query.get("project", "0")), size))
            number = int(query.get("page", "1"))
            if pages is None or not 1 <= number <= len(pages):
                return 404, b'{"detail":"Invalid page."}'
            return 200, pages[number - 1]
        match = re.fullmatch(r"tasks/(\d+)/", rel)
        if match and int(match.group(1)) in self._details:
            return 200, self._details[int(match.group(1))]
        return 404, b'{"detail":"Not found."}'


# -- the three ways of listing ---------------------------------------------------------------------


def list_raw(url: str, token: str, project: int, size: int, keep: list[Any] | None = None) -> int:
    """(a) urllib3 + json.loads, following ``next`` links on one keep-alive connection."""
    headers = {TOKEN_HEADER: f"Token {token}"}
    pool = urllib3.connection_from_url(url, maxsize=1)
    n = 0
    try:
        page: str | None = f"{url}/sdk/tasks/?project={project}&page_size={size}"
        while page is not None:
            response = pool.request("GET", page, headers=headers)
            if response.status != 200:
                raise SystemExit(f"GET {page} answered {response.status}")
            body = json.loads(response.data)
            for row in body["results"]:
                n += 1
                if keep is not None:
                    keep.append(row)
            page = body["next"]
    finally:
        pool.close()
    return n


def list_seed(client: BackendClient, project: int, size: int) -> int:
    """(b) the seed API: ``list_tasks(params=..., list_all=True)`` consumed fully."""
    n = 0
    for _row in client.list_tasks(params={"project": project, "page_size": size}, list_all=True):
        n += 1
    return n


def list_typed(client: BackendClient, project: int, size: int, prefetch: int = 0) -> int:
    """(c) typed iteration: ``client.tasks.filter(project=P).options(...).iterator()``."""
    n = 0
    qs = client.tasks.filter(project=project).options(page_size=size, prefetch=prefetch)
    for _task in qs.iterator():
        n += 1
    return n


def get_raw(url: str, token: str, ids: Sequence[int]) -> int:
    """Raw ``GET tasks/<id>/`` + json.loads, one keep-alive connection."""
    headers = {TOKEN_HEADER: f"Token {token}"}
    pool = urllib3.connection_from_url(url, maxsize=1)
    try:
        for pk in ids:
            response = pool.request("GET", f"/tasks/{pk}/", headers=headers)
            if response.status != 200 or json.loads(response.data)["id"] != pk:
                raise SystemExit(f"GET tasks/{pk}/ answered {response.status}")
    finally:
        pool.close()
    return len(ids)


def get_typed(client: BackendClient, ids: Sequence[int]) -> int:
    for pk in ids:
        if client.tasks.get(pk).id != pk:
            raise SystemExit(f"tasks.get({pk}) returned another task")
    return len(ids)


def get_seed(client: BackendClient, ids: Sequence[int]) -> int:
    for pk in ids:
        if client.get_task(pk)["id"] != pk:
            raise SystemExit(f"get_task({pk}) returned another task")
    return len(ids)


# -- measurement helpers ---------------------------------------------------------------------------


@dataclass
class Series:
    """One measured row over its repeats: wall-clock rates (items/s) and the CPU time the
    measuring thread spent per item (the in-process server's threads are not counted)."""

    label: str
    rates: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return max(self.rates)

    @property
    def cpu_us(self) -> float:
        return min(self.cpu) * 1e6


def timed(fn: Callable[[], int], expected: int) -> tuple[float, float]:
    """Run ``fn`` once; return (items/s, thread CPU seconds per item), checking the count."""
    gc.collect()
    cpu = time.thread_time()
    start = time.perf_counter()
    n = fn()
    elapsed = time.perf_counter() - start
    cpu = time.thread_time() - cpu
    if n != expected:
        raise SystemExit(f"expected {expected} items, got {n}")
    return n / elapsed, cpu / n


def interleaved(
    cases: Sequence[tuple[str, Callable[[], int]]], expected: int, repeat: int
) -> dict[str, Series]:
    """Run every case once per round, ``repeat`` rounds (noise hits all cases alike)."""
    series = {label: Series(label) for label, _ in cases}
    for _ in range(repeat):
        for label, fn in cases:
            rate, cpu = timed(fn, expected)
            series[label].rates.append(rate)
            series[label].cpu.append(cpu)
    return series


def traced_peak(fn: Callable[[], Any]) -> tuple[int, Any]:
    """Peak traced bytes above the starting level while ``fn`` runs (tracemalloc must be on)."""
    gc.collect()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    result = fn()
    peak = tracemalloc.get_traced_memory()[1] - base
    return peak, result


def met(value: float, goal: float, at_most: bool) -> bool:
    return value <= goal if at_most else value >= goal


def mib(n: float) -> str:
    return f"{n / 2**20:8.1f} MiB"


# -- setup -----------------------------------------------------------------------------------------


def fill_project(backend: LocalBackend, n: int) -> int:
    """Give the demo project exactly ``n`` tasks (POST tasks/ in batches of 1,000)."""
    project = int(backend.demo["project"])
    units = list(backend.demo["data_units"])
    headers = {**backend.headers(), "Content-Type": "application/json"}
    pool = urllib3.connection_from_url(backend.url, maxsize=1)
    try:
        first = pool.request(
            "GET", f"/sdk/tasks/?project={project}&page_size=1", headers=backend.headers()
        )
        missing = n - int(json.loads(first.data)["count"])
        while missing > 0:
            batch = min(1000, missing)
            body = {
                "project": project,
                "data": [{"data_unit": units[i % len(units)]} for i in range(batch)],
            }
            response = pool.request("POST", "/tasks/", body=_dumps(body), headers=headers)
            if response.status != 201:
                raise SystemExit(f"POST tasks/ answered {response.status}: {response.data[:200]!r}")
            missing -= batch
    finally:
        pool.close()
    return project


@dataclass
class Sizes:
    rows: int
    small_rows: int
    get_requests: int
    latency_rows: int
    local_latency_rows: int
    repeat: int


def source_state() -> str:
    """``git describe``-like state of the checkout (read-only), for the record."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}{' + uncommitted changes' if dirty else ''}" if head else "unknown"


def sizes(args: argparse.Namespace) -> Sizes:
    if args.quick:
        return Sizes(
            rows=2000,
            small_rows=500,
            get_requests=200,
            latency_rows=2000,
            local_latency_rows=1000,
            repeat=3,
        )
    return Sizes(
        rows=20000,
        small_rows=5000,
        get_requests=1000,
        latency_rows=5000,
        local_latency_rows=5000,
        repeat=3,
    )


# -- sections --------------------------------------------------------------------------------------


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    targets: list[tuple[str, float, float, bool]] = field(default_factory=list)

    def out(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)

    def target(self, name: str, value: float, goal: float, *, at_most: bool = False) -> None:
        """Record a target: ``value >= goal`` (or ``<=`` with ``at_most``)."""
        self.targets.append((name, value, goal, at_most))


def listing_local(
    rep: Report, backend: LocalBackend, project: int, n: int, repeat: int
) -> list[Any]:
    """The issue's setup: list the rows from the local backend itself, both page sizes."""
    rows: list[Any] = []
    list_raw(backend.url, backend.api_token, project, 1000, keep=rows)
    listing_table(rep, "local", backend.url, backend.api_token, project, n, repeat)
    return rows


def listing_snapshot(rep: Report, snap: SnapshotServer, project: int, n: int, repeat: int) -> None:
    """The stricter client-only view: the same pages from a server that costs almost nothing."""
    for size in (100, 1000):
        snap.prepare(project, size)
    listing_table(rep, "snapshot", snap.url, snap.auth.split(" ", 1)[1], project, n, repeat)


def listing_table(
    rep: Report, where: str, url: str, token: str, project: int, n: int, repeat: int
) -> None:
    client = BackendClient(url, api_token=token, prefetch=0)
    cases: list[tuple[str, Callable[[], int]]] = []
    for size in (100, 1000):
        cases += [
            (f"a{size}", lambda s=size: list_raw(url, token, project, s)),
            (f"b{size}", lambda s=size: list_seed(client, project, s)),
            (f"c{size}", lambda s=size: list_typed(client, project, s)),
        ]
    for _label, fn in cases:  # warm-up: connections, converter plans, imports
        fn()
    series = interleaved(cases, n, repeat)
    client.close()
    rep.out(f"\n[{where}] listing {n:,} tasks, best of {repeat} interleaved runs (rows/s)")
    rep.out(f"  {'page size':<34}{'100':>12}{'1,000':>12}")
    names = {"a": "(a) raw urllib3 + json.loads", "b": "(b) seed list_tasks(list_all)"}
    names["c"] = "(c) typed tasks.filter().iterator()"
    for way in "abc":
        cells = "".join(f"{series[f'{way}{size}'].best:>12,.0f}" for size in (100, 1000))
        rep.out(f"  {names[way]:<34}{cells}")
    for way, goal in (("b", 0.9), ("c", 0.65)):
        cells = ""
        for size in (100, 1000):
            ratio = series[f"{way}{size}"].best / series[f"a{size}"].best
            cells += f"{ratio:>12.2f}"
            rep.target(f"listing {way}/a, page size {size} ({where})", ratio, goal)
        rep.out(f"  {f'ratio {way}/a (target >= {goal})':<34}{cells}")
    for way in "bc":
        cells = "".join(
            f"{series[f'a{size}'].cpu_us / series[f'{way}{size}'].cpu_us:>12.2f}"
            for size in (100, 1000)
        )
        rep.out(f"  {f'client-CPU ratio {way}/a (no target)':<34}{cells}")
    rep.out(f"  {'per row, us':<34}{'raw':>8}{'seed':>8}{'typed':>8}")
    for size in (100, 1000):
        a, b, c = (series[f"{way}{size}"] for way in "abc")
        walls = "".join(f"{1e6 / x.best:>8.1f}" for x in (a, b, c))
        cpus = "".join(f"{x.cpu_us:>8.1f}" for x in (a, b, c))
        rep.out(f"  {f'wall, page size {size}':<34}{walls}")
        rep.out(f"  {f'client-thread CPU, page size {size}':<34}{cpus}")


def single_get(
    rep: Report, where: str, url: str, token: str, ids: Sequence[int], repeat: int
) -> None:
    client = BackendClient(url, api_token=token, prefetch=0)
    cases: list[tuple[str, Callable[[], int]]] = [
        ("raw", lambda: get_raw(url, token, ids)),
        ("seed", lambda: get_seed(client, ids)),
        ("typed", lambda: get_typed(client, ids)),
    ]
    for _label, fn in cases:
        fn()
    series = interleaved(cases, len(ids), repeat)
    client.close()
    raw, seed, typed = (series[k].best for k in ("raw", "seed", "typed"))
    rep.out(f"\n[{where}] GET tasks/<id>/, {len(ids):,} requests, best of {repeat} (req/s)")
    rep.out(f"  raw urllib3 + json.loads        {raw:>9,.0f}")
    rep.out(f"  seed client.get_task(id)        {seed:>9,.0f}   {seed / raw:.2f}x")
    rep.out(
        f"  typed client.tasks.get(id)      {typed:>9,.0f}   {typed / raw:.2f}x (target >= 0.85)"
    )
    rep.out(
        f"  per request: wall raw {1e6 / raw:.0f} us, typed +{1e6 / typed - 1e6 / raw:.0f} us; "
        f"client CPU raw {series['raw'].cpu_us:.0f} us, seed {series['seed'].cpu_us:.0f} us, "
        f"typed {series['typed'].cpu_us:.0f} us"
    )
    rep.target(f"tasks.get rate vs raw ({where})", typed / raw, 0.85)


def memory(rep: Report, snap: SnapshotServer, templates: list[Any], counts: list[int]) -> None:
    token = snap.auth.split(" ", 1)[1]
    client = BackendClient(snap.url, api_token=token)  # defaults: page_size 100, prefetch 4
    rep.out("\n[snapshot] peak traced memory (tracemalloc), default page size 100 and prefetch 4")
    rep.out(f"  {'rows':>9}  {'iterator()':>14}  {'list(queryset)':>14}  {'per row (list)':>14}")
    tracemalloc.start()
    iter_peaks = []
    try:
        for index, n in enumerate(counts):
            project = 900 + index
            snap.add_listing(project, templates, n)
            snap.prepare(project, 100)
            qs = client.tasks.filter(project=project)
            it_peak, it_n = traced_peak(lambda qs=qs: sum(1 for _ in qs.iterator()))
            all_peak, rows = traced_peak(lambda qs=qs: list(qs.all()))
            if it_n != n or len(rows) != n:
                raise SystemExit(f"expected {n} rows, got {it_n} and {len(rows)}")
            del rows
            snap.drop(project)
            iter_peaks.append(it_peak)
            rep.out(f"  {n:>9,}  {mib(it_peak):>14}  {mib(all_peak):>14}  {all_peak / n:>11,.0f} B")
    finally:
        tracemalloc.stop()
        client.close()
    growth = iter_peaks[-1] / iter_peaks[0]
    rep.out(
        f"  iterator() peak grows {growth:.2f}x from {counts[0]:,} to {counts[-1]:,} rows "
        f"({counts[-1] / counts[0]:.0f}x the rows)"
    )
    rep.target(
        f"iterator() peak growth, {counts[0]:,} -> {counts[-1]:,} rows", growth, 1.5, at_most=True
    )


def prefetch_latency(rep: Report, where: str, url: str, token: str, project: int, n: int) -> None:
    client = BackendClient(url, api_token=token, prefetch=0, pool_maxsize=16)
    warm = client.tasks.filter(project=project).options(page_size=100, prefetch=8)
    sum(1 for _ in warm[:900].iterator())  # warm-up: opens the connections, 9 pages
    sequential = timed(lambda: list_typed(client, project, 100, prefetch=0), n)[0]
    ahead = timed(lambda: list_typed(client, project, 100, prefetch=8), n)[0]
    client.close()
    speedup = ahead / sequential
    pages = math.ceil(n / 100)
    rep.out(
        f"\n[{where}] typed listing of {n:,} rows, page size 100 ({pages} pages), "
        f"+{LATENCY * 1000:.0f} ms per page request"
    )
    rep.out(f"  prefetch=0  {sequential:>9,.0f} rows/s   {n / sequential:6.2f} s")
    rep.out(f"  prefetch=8  {ahead:>9,.0f} rows/s   {n / ahead:6.2f} s   speedup {speedup:.2f}x")
    rep.target(f"prefetch=8 speedup at 50 ms ({where})", speedup, 4.0)


# -- main ------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Listing / get / memory / prefetch benchmark (see the module docstring)."
    )
    parser.add_argument("--quick", action="store_true", help="2,000 rows: a CI smoke run (< 30 s)")
    parser.add_argument("--big", action="store_true", help="add a 200,000-row memory run (slow)")
    parser.add_argument("--repeat", type=int, default=None, help="interleaved runs per row")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    size = sizes(args)
    if args.repeat is not None:
        size.repeat = max(1, args.repeat)
    rep = Report()
    started = time.perf_counter()
    rep.out(
        f"bench/listing.py: {size.rows:,} rows{' (quick)' if args.quick else ''}; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start"
    )
    rep.out(f"source: {source_state()}")

    with LocalBackend(seed="demo") as backend:
        project = fill_project(backend, size.rows)
        rep.out(f"created {size.rows:,} tasks in {time.perf_counter() - started:.1f} s")
        templates = listing_local(rep, backend, project, size.rows, size.repeat)
        ids = [row["id"] for row in templates[: size.get_requests]]
        single_get(rep, "local", backend.url, backend.api_token, ids, size.repeat)

    with SnapshotServer(backend.api_token) as snap:
        snap.add_listing(project, templates, len(templates))
        snap.add_details(templates[: size.get_requests])
        listing_snapshot(rep, snap, project, size.rows, size.repeat)
        single_get(rep, "snapshot", snap.url, backend.api_token, ids, size.repeat)
        snap.drop(project)
        counts = [size.small_rows, size.rows] + ([200_000] if args.big else [])
        memory(rep, snap, templates, counts)
        snap.add_listing(project, templates, size.latency_rows)
        snap.prepare(project, 100)
        snap.faults.add("latency", method="GET", path="sdk/tasks/*", times=None, seconds=LATENCY)
        prefetch_latency(rep, "snapshot", snap.url, backend.api_token, project, size.latency_rows)

    with LocalBackend(seed="demo") as backend:
        project = fill_project(backend, size.local_latency_rows)
        backend.faults.add("latency", method="GET", path="sdk/tasks/*", times=None, seconds=LATENCY)
        prefetch_latency(
            rep, "local", backend.url, backend.api_token, project, size.local_latency_rows
        )

    rep.out("\nTargets")
    for name, value, goal, at_most in rep.targets:
        verdict = "met" if met(value, goal, at_most) else "MISSED"
        rep.out(f"  {name:<58} {value:6.3f}  ({'<=' if at_most else '>='} {goal:g})  {verdict}")
    rep.out(
        f"\ntotal {time.perf_counter() - started:.0f} s; "
        f"load average {os.getloadavg()[0]:.2f} at end"
    )
    missed = [t for t in rep.targets if not met(t[1], t[2], t[3])]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())

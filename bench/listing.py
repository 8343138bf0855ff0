"""Listing, single-get, memory and prefetch benchmark of the SDK (results: docs/performance.md).

Run: ``python bench/listing.py [--quick] [--big] [--strict] [--client-only] [--official PYTHON]``.

What is measured, all in one run (medians of ``--repeat`` interleaved runs, default 11; ratios
are the median of the rounds' ratios):

1. Listing every task of a project (20,000; ``--quick``: 2,000) at page sizes 100 and 1,000
   through raw urllib3 + ``json.loads`` following ``next`` links, the seed API
   ``list_tasks(list_all=True)`` with default settings and with ``prefetch=0``, typed iteration
   ``client.tasks.filter(...).iterator()`` with ``prefetch=0``, and, when an interpreter with the
   official ``synapse-sdk`` is given (``--official``, default ``/tmp/venv-official/bin/python``),
   the official client's ``list_tasks(list_all=True)`` (dicts; its own process). The figure is
   the *client's CPU per row* (``time.process_time``: prefetch threads included). Targets:
   typed >= 0.8x raw, seed (defaults) >= 0.9x raw, both >= 1.5x the official client.
2. ``client.tasks.get(id)`` per request vs raw urllib3 + ``json.loads`` on one keep-alive
   connection. Target: >= 0.9x.
3. Peak traced memory (tracemalloc) of ``iterator()`` vs ``list(queryset)`` at two sizes (and
   200,000 rows with ``--big``), sequential and with the default prefetch: flat as N grows.
4. A typed listing with 50 ms latency per page request: default prefetch vs ``prefetch=0``.
   Target: >= 4x.

The client-only rows (``snapshot``) list from a *snapshot server* in its own process: the same
URLs answered with pre-built bytes (the local backend's rows and envelope, compact JSON) over
keep-alive connections, so neither its CPU nor its objects (garbage-collector passes) are in the
measured process. Both processes are pinned to one CPU (``--cpu``, ``os.sched_setaffinity``
where available; the output says which). Unless ``--client-only``, the issue's original setup is
measured too (rows marked ``local``): listing from an in-process ``LocalBackend``, whose cost is
then part of every way of listing (the CPU figure includes the server's threads there).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import urllib3

from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend

TOKEN_HEADER = "Synapse-Access-Token"
LATENCY = 0.05  # seconds per page request in the prefetch test


def _dumps(data: Any) -> bytes:
    # The local backend's encoding (synapse_sdk/devserver/_app.py): compact UTF-8 JSON.
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


# -- snapshot server (its own process) -------------------------------------------------------------


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


def _pin(cpu: int | None) -> str:
    """Pin this process to ``cpu`` when the platform allows it; say what happened."""
    if cpu is None:
        return "not pinned"
    setaffinity = getattr(os, "sched_setaffinity", None)
    if setaffinity is None:
        return "not pinned (no os.sched_setaffinity on this platform)"
    try:
        setaffinity(0, {cpu})
    except OSError as exc:
        return f"not pinned ({exc})"
    return f"pinned to CPU {cpu}"


def _encode_pages(rows: Sequence[dict[str, Any]], url: str, project: int, size: int) -> list[bytes]:
    pages = max(1, math.ceil(len(rows) / size))
    base = f"{url}/sdk/tasks/?project={project}&page_size={size}&page="
    encoded = []
    for number in range(1, pages + 1):
        envelope = {
            "count": len(rows),
            "next": f"{base}{number + 1}" if number < pages else None,
            "previous": f"{base}{number - 1}" if number > 1 else None,
            "results": rows[(number - 1) * size : number * size],
        }
        encoded.append(_response(200, _dumps(envelope)))
    return encoded


def _response(status: int, body: bytes) -> bytes:
    reason = "OK" if status == 200 else "Error"
    head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
    return f"{head}Content-Length: {len(body)}\r\n\r\n".encode("latin-1") + body


@dataclass
class ServerSpec:
    """What one snapshot server process serves: listings ``{project: (templates, n)}`` at the
    page sizes given, details ``GET tasks/<id>/`` of ``details``, ``latency`` seconds of sleep
    before every listing page."""

    token: str
    listings: dict[int, tuple[list[dict[str, Any]], int]]
    page_sizes: tuple[int, ...] = (100, 1000)
    details: list[dict[str, Any]] = field(default_factory=list)
    latency: float = 0.0
    cpu: int | None = None


def _key(target: bytes) -> bytes:
    """A request target without scheme and host, its query parameters sorted."""
    if target.startswith(b"http"):
        target = b"/" + target.split(b"/", 3)[3]
    path, _, query = target.partition(b"?")
    return path + b"?" + b"&".join(sorted(query.split(b"&"))) if query else path


def _serve(spec: ServerSpec, conn: Any) -> None:
    """The server process: pre-encode every answer, then serve keep-alive connections (a
    thread per connection) by looking the request target up in a dict of ready bytes."""
    import socket

    _pin(spec.cpu)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    answers: dict[bytes, bytes] = {}
    for project, (templates, n) in spec.listings.items():
        rows = _Rows(templates, n, project)
        for size in spec.page_sizes:
            pages = _encode_pages(rows, url, project, size)
            first = f"/sdk/tasks/?project={project}&page_size={size}"
            answers[_key(first.encode())] = pages[0]
            for number, page in enumerate(pages, 1):
                answers[_key(f"{first}&page={number}".encode())] = page
    for row in spec.details:
        answers[_key(f"/tasks/{row['id']}/".encode())] = _response(200, _dumps(row))
    auth = f"{TOKEN_HEADER}: Token {spec.token}".lower().encode()
    unauthorized = _response(401, b'{"detail":"Invalid token."}')
    missing = _response(404, b'{"detail":"Not found."}')
    latency = spec.latency

    def handle(sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer = b""
        with sock:
            while True:
                end = buffer.find(b"\r\n\r\n")
                while end < 0:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                    end = buffer.find(b"\r\n\r\n")
                head, buffer = buffer[:end], buffer[end + 4 :]
                target = head.split(b" ", 2)[1]
                if auth not in head.lower():
                    answer = unauthorized
                else:
                    answer = answers.get(target) or answers.get(_key(target), missing)
                    if latency and target.startswith(b"/sdk/tasks/"):
                        time.sleep(latency)
                sock.sendall(answer)

    conn.send(url)
    while True:
        sock, _ = listener.accept()
        threading.Thread(target=handle, args=(sock,), daemon=True).start()


class SnapshotServer:
    """A snapshot server in a child process (see the module docstring): nothing of it runs in
    the measured process, so neither its CPU nor its objects (GC passes) are counted."""

    def __init__(self, spec: ServerSpec) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
        parent, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(spec, child), daemon=True)
        self._process.start()
        if not parent.poll(120):
            self._process.kill()
            raise SystemExit("the snapshot server did not start")
        self.url: str = parent.recv()
        self.token = spec.token

    def __enter__(self) -> SnapshotServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self._process.kill()
        self._process.join(timeout=5)


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
        """The median client CPU per item, in microseconds."""
        return statistics.median(self.cpu) * 1e6

    @property
    def wall_us(self) -> float:
        """The median wall time per item, in microseconds."""
        return 1e6 / statistics.median(self.rates)


def timed(fn: Callable[[], int], expected: int) -> tuple[float, float]:
    """Run ``fn`` once; return (items/s, process CPU seconds per item), checking the count.

    Process CPU: prefetch threads count; the snapshot server (another process) does not."""
    gc.collect()
    cpu = time.process_time()
    start = time.perf_counter()
    n = fn()
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    if n != expected:
        raise SystemExit(f"expected {expected} items, got {n}")
    return n / elapsed, cpu / n


def interleaved(
    cases: Sequence[tuple[str, Callable[[], int]]],
    expected: int,
    repeat: int,
    external: Sequence[tuple[str, Callable[[], float]]] = (),
) -> dict[str, Series]:
    """Run every case once per round, ``repeat`` rounds (noise hits all cases alike).

    ``external`` cases run in another process and return their own CPU seconds per item (the
    official client's); they take their turn in every round too."""
    series = {label: Series(label) for label, _ in [*cases, *external]}
    for _ in range(repeat):
        for label, fn in cases:
            rate, cpu = timed(fn, expected)
            series[label].rates.append(rate)
            series[label].cpu.append(cpu)
        for label, measure in external:
            start = time.perf_counter()
            series[label].cpu.append(measure())
            series[label].rates.append(expected / (time.perf_counter() - start))
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
        repeat=11,  # the median of 11 rounds' ratios: half the spread of 5 on this noisy machine
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
    listing_table(rep, "local", backend.url, backend.api_token, project, n, repeat, None)
    return rows


OFFICIAL_SCRIPT = r"""
import gc, sys, time
from synapse_sdk.clients.backend import BackendClient
url, token = sys.argv[1:3]
client = BackendClient(url, token)  # the official constructor: (base_url, access_token)
def run_list(project, size):
    rows = client.list_tasks(params={"project": project, "page_size": size}, list_all=True)
    if isinstance(rows, tuple):  # the official list_all answers (generator, count)
        rows = rows[0]
    count = 0
    for _row in rows:
        count += 1
    return count
def run_get(ids):
    for pk in ids:
        if client.get_task(pk)["id"] != pk:
            raise SystemExit(f"get_task({pk}) returned another task")
    return len(ids)
print(sys.version.split()[0], flush=True)
for line in sys.stdin:  # "list PROJECT SIZE" or "get ID,ID,..."; answers "COUNT CPU_SECONDS"
    mode, *args = line.split()
    gc.collect()  # as before every run of the SDK's cases (timed())
    cpu = time.process_time()
    if mode == "list":
        count = run_list(int(args[0]), int(args[1]))
    else:
        count = run_get([int(i) for i in args[0].split(",")])
    print(count, time.process_time() - cpu, flush=True)
"""


class Official:
    """The official client in its own process (its own virtualenv's ``python``), run on
    command so that its runs interleave with the SDK's: ``list(project, size)`` and
    ``get(ids)`` return its CPU seconds per item."""

    def __init__(self, python: str, url: str, token: str) -> None:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        self._process = subprocess.Popen(
            [python, "-c", OFFICIAL_SCRIPT, url, token],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd="/",
        )
        self.python = self._answer()

    def _answer(self) -> str:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            assert self._process.stderr is not None
            last = (self._process.stderr.read().strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(last[:160])
        return line.strip()

    def _run(self, command: str, expected: int) -> float:
        assert self._process.stdin is not None
        self._process.stdin.write(command + "\n")
        self._process.stdin.flush()
        count, cpu = self._answer().split()
        if int(count) != expected:
            raise SystemExit(f"the official client returned {count} items, expected {expected}")
        return float(cpu) / expected

    def list(self, project: int, size: int, n: int) -> float:
        return self._run(f"list {project} {size}", n)

    def get(self, ids: Sequence[int]) -> float:
        return self._run("get " + ",".join(map(str, ids)), len(ids))

    def close(self) -> None:
        self._process.kill()
        self._process.wait(timeout=10)


def start_official(python: str | None, url: str, token: str) -> tuple[Official | None, str]:
    """The official client's process, or None and why not."""
    if python is None:
        return None, "no official client (--official PYTHON names its interpreter)"
    try:
        return Official(python, url, token), ""
    except (OSError, RuntimeError) as exc:
        return None, f"{python} failed: {exc}"


def decoder_name() -> str:
    """The JSON decoder the SDK uses for answers (the ``fast`` extra: msgspec)."""
    try:
        from synapse_sdk._http import _json
    except ImportError:
        return "json (standard library)"
    return str(getattr(_json, "DECODER", "json"))


def paired(raw: Series, other: Series) -> float:
    """The median over rounds of raw's CPU per item / ``other``'s in the same round (each round
    runs every case back to back, so a slow spell of the machine hits both sides of a ratio)."""
    return statistics.median(r / o for r, o in zip(raw.cpu, other.cpu, strict=True))


def listing_table(
    rep: Report,
    where: str,
    url: str,
    token: str,
    project: int,
    n: int,
    repeat: int,
    official: str | None,
) -> dict[str, Series]:
    """Raw, seed (default settings and prefetch 0), typed (prefetch 0) and, when an official
    client is at hand, the official client: per-row client CPU, medians of ``repeat``
    interleaved runs."""
    default = BackendClient(url, api_token=token)  # default prefetch
    sequential = BackendClient(url, api_token=token, prefetch=0)
    cases: list[tuple[str, Callable[[], int]]] = []
    for size in (100, 1000):
        cases += [
            (f"raw{size}", lambda s=size: list_raw(url, token, project, s)),
            (f"seed{size}", lambda s=size: list_seed(default, project, s)),
            (f"seed0-{size}", lambda s=size: list_seed(sequential, project, s)),
            (f"typed{size}", lambda s=size: list_typed(sequential, project, s)),
        ]
    process, note = start_official(official, url, token)
    external: list[tuple[str, Callable[[], float]]] = []
    if process is not None:
        external = [
            (f"official{size}", lambda s=size: process.list(project, s, n)) for size in (100, 1000)
        ]
    try:
        for _label, fn in cases:  # warm-up: connections, converter plans, imports
            fn()
        for _label, measure in external:
            measure()
        series = interleaved(cases, n, repeat, external)
    finally:
        default.close()
        sequential.close()
        if process is not None:
            process.close()
    names = {
        "raw": "raw urllib3 + json.loads",
        "seed": "seed list_all (default prefetch)",
        "seed0-": "seed list_all, prefetch 0",
        "typed": "typed iterator(), prefetch 0",
    }
    rep.out(
        f"\n[{where}] listing {n:,} tasks: client CPU per row, median of {repeat} interleaved "
        "runs (ratio: raw / this, the median of the rounds' ratios)"
    )
    rep.out(f"  {'page size':<36}{'100':>16}{'1,000':>16}")
    for way, name in names.items():
        cells = ""
        for size in (100, 1000):
            us = series[f"{way}{size}"].cpu_us
            ratio = paired(series[f"raw{size}"], series[f"{way}{size}"])
            cells += f"{us:>8.2f} us ({ratio:.2f})"
        rep.out(f"  {name:<36}{cells}")
    if process is not None:
        cells = ""
        for size in (100, 1000):
            off = series[f"official{size}"]
            cells += f"{off.cpu_us:>8.2f} us ({paired(series[f'raw{size}'], off):.2f})"
        rep.out(f"  {'official client (dicts)':<36}{cells}")
        rep.out(f"    (the official client ran on Python {process.python}, in its own process)")
    else:
        rep.out(f"  official client: skipped, {note}")
    rep.out(
        f"  {'wall per row (median, us)':<36}"
        + "".join(
            f"{size:>6}: " + " ".join(f"{series[f'{w}{size}'].wall_us:.1f}" for w in names)
            for size in (100, 1000)
        )
    )
    for size in (100, 1000):
        raw = series[f"raw{size}"]
        rep.target(
            f"typed/raw CPU, page size {size} ({where})", paired(raw, series[f"typed{size}"]), 0.8
        )
        rep.target(
            f"seed default/raw CPU, page size {size} ({where})",
            paired(raw, series[f"seed{size}"]),
            0.9,
        )
        if process is not None:
            for way in ("typed", "seed"):
                rep.target(
                    f"{way} vs official CPU, page size {size} ({where})",
                    paired(series[f"official{size}"], series[f"{way}{size}"]),
                    1.5,
                )
    return series


def _best(fn: Callable[[], Any], n: int) -> float:
    """The best of 7 runs of 5 calls of ``fn``: CPU microseconds per row of ``n``."""
    runs = []
    for _ in range(7):
        cpu = time.process_time()
        for _ in range(5):
            fn()
        runs.append((time.process_time() - cpu) / 5 / n * 1e6)
    return min(runs)


def breakdown(rep: Report, url: str, token: str, project: int, series: dict[str, Series]) -> None:
    """Where the client's time goes per row of a typed listing (prefetch 0), next to the raw
    listing's: the decoders are timed here on the first page of each size (best of 7 x 5); the
    other parts are differences of the listing table's medians (so they carry its noise)."""
    from synapse_sdk._http._response import Response

    headers = {TOKEN_HEADER: f"Token {token}"}
    pool = urllib3.connection_from_url(url, maxsize=1)
    cells: dict[str, list[float]] = {}
    try:
        for size in (100, 1000):
            body = pool.request(
                "GET", f"/sdk/tasks/?project={project}&page_size={size}", headers=headers
            ).data
            answer = Response(200, {"Content-Type": "application/json"}, body, "GET", url, "")
            n = len(json.loads(body)["results"])
            stdlib = _best(lambda body=body: json.loads(body), n)
            sdk = _best(answer.json, n)
            raw, seed0, typed = (series[f"{w}{size}"].cpu_us for w in ("raw", "seed0-", "typed"))
            for name, value in (
                ("HTTP and the SDK's request/page work (seed - decoder)", seed0 - sdk),
                (f"the SDK's decoder ({decoder_name()})", sdk),
                ("typed objects (typed - seed, both prefetch 0)", typed - seed0),
                ("= typed listing", typed),
                ("raw listing: HTTP (raw - json.loads)", raw - stdlib),
                ("raw listing: json.loads", stdlib),
            ):
                cells.setdefault(name, []).append(value)
    finally:
        pool.close()
    rep.out("\n[snapshot] where the time of a typed listing goes, client CPU per row")
    rep.out(f"  {'page size':<56}{'100':>10}{'1,000':>10}")
    for name, values in cells.items():
        rep.out(f"  {name:<56}" + "".join(f"{v:>7.2f} us" for v in values))


def single_get(
    rep: Report,
    where: str,
    url: str,
    token: str,
    ids: Sequence[int],
    repeat: int,
    official: str | None = None,
) -> None:
    client = BackendClient(url, api_token=token, prefetch=0)
    cases: list[tuple[str, Callable[[], int]]] = [
        ("raw", lambda: get_raw(url, token, ids)),
        ("seed", lambda: get_seed(client, ids)),
        ("typed", lambda: get_typed(client, ids)),
    ]
    process, note = start_official(official, url, token)
    external: list[tuple[str, Callable[[], float]]] = []
    if process is not None:
        external = [("official", lambda: process.get(ids))]
    try:
        for _label, fn in cases:
            fn()
        for _label, measure in external:
            measure()
        series = interleaved(cases, len(ids), repeat, external)
    finally:
        client.close()
        if process is not None:
            process.close()
    raw, seed, typed = (series[k] for k in ("raw", "seed", "typed"))
    rep.out(
        f"\n[{where}] GET tasks/<id>/, {len(ids):,} requests: client CPU per request, "
        f"median of {repeat} (ratio: raw / this, the median of the rounds' ratios)"
    )
    rep.out(f"  raw urllib3 + json.loads        {raw.cpu_us:>7.1f} us   wall {raw.wall_us:.1f} us")
    for name, s in (("seed client.get_task(id)", seed), ("typed client.tasks.get(id)", typed)):
        rep.out(
            f"  {name:<30}  {s.cpu_us:>7.1f} us   wall {s.wall_us:.1f} us   {paired(raw, s):.2f}x"
        )
    if process is not None:
        off = series["official"]
        rep.out(
            f"  {'official client.get_task(id)':<30}  {off.cpu_us:>7.1f} us   "
            f"{paired(raw, off):.2f}x   (Python {process.python}; typed vs official "
            f"{paired(off, typed):.2f}x)"
        )
    else:
        rep.out(f"  official client: skipped, {note}")
    rep.target(f"tasks.get CPU vs raw ({where})", paired(raw, typed), 0.9)


def _count_windowed(rows: Any) -> tuple[int, bool]:
    """Consume ``rows``; return how many and whether prefetch threads ran meanwhile."""
    n, windowed = 0, False
    for _ in rows:
        n += 1
        if n % 500 == 0 and not windowed:
            windowed = any(t.name.startswith("synapse-prefetch") for t in threading.enumerate())
    return n, windowed


def memory(rep: Report, snap: SnapshotServer, counts: list[int]) -> None:
    """Peak traced memory of ``iterator()`` and ``list()``, sequential and with the default
    (adaptive) prefetch; the window column says whether prefetch threads ran."""
    for prefetch in (0, None):
        kwargs = {} if prefetch is None else {"prefetch": prefetch}
        client = BackendClient(snap.url, api_token=snap.token, **kwargs)
        label = "default prefetch" if prefetch is None else f"prefetch {prefetch}"
        rep.out(f"\n[snapshot] peak traced memory (tracemalloc), page size 100, {label}")
        rep.out(
            f"  {'rows':>9}  {'iterator()':>14}  {'window':>6}  {'list(queryset)':>14}  per row"
        )
        tracemalloc.start()
        peaks: list[tuple[int, bool]] = []
        try:
            for index, n in enumerate(counts):
                qs = client.tasks.filter(project=900 + index)
                sum(1 for _ in qs[:200].iterator())  # warm-up
                it_peak, (it_n, windowed) = traced_peak(
                    lambda qs=qs: _count_windowed(qs.iterator())
                )
                all_peak, rows = traced_peak(lambda qs=qs: list(qs.all()))
                if it_n != n or len(rows) != n:
                    raise SystemExit(f"expected {n} rows, got {it_n} and {len(rows)}")
                del rows
                peaks.append((it_peak, windowed))
                rep.out(
                    f"  {n:>9,}  {mib(it_peak):>14}  {'yes' if windowed else 'no':>6}  "
                    f"{mib(all_peak):>14}  {all_peak / n:,.0f} B"
                )
        finally:
            tracemalloc.stop()
            client.close()
        growth = peaks[-1][0] / peaks[0][0]
        same = peaks[-1][1] == peaks[0][1]
        rep.out(
            f"  iterator() peak grows {growth:.2f}x from {counts[0]:,} to {counts[-1]:,} rows "
            f"({counts[-1] / counts[0]:.0f}x the rows)"
            + ("" if same else "; the window started in one run only (the peak is the window's)")
        )
        rep.target(
            f"iterator() peak growth, {counts[0]:,} -> {counts[-1]:,} rows ({label})",
            growth,
            1.5,
            at_most=True,
        )


def prefetch_latency(rep: Report, where: str, url: str, token: str, project: int, n: int) -> None:
    client = BackendClient(url, api_token=token, prefetch=0, pool_maxsize=16)
    default = BackendClient(url, api_token=token, pool_maxsize=16)  # the default prefetch
    for c in (client, default):
        warm = c.tasks.filter(project=project).options(page_size=100, prefetch=8)
        sum(1 for _ in warm[:900].iterator())  # warm-up: opens the connections, 9 pages
    sequential = timed(lambda: list_typed(client, project, 100, prefetch=0), n)[0]

    def typed_default() -> int:
        return sum(1 for _ in default.tasks.filter(project=project).options(page_size=100))

    ahead = timed(typed_default, n)[0]
    seed = timed(lambda: list_seed(default, project, 100), n)[0]
    client.close()
    default.close()
    speedup = ahead / sequential
    pages = math.ceil(n / 100)
    rep.out(
        f"\n[{where}] typed listing of {n:,} rows, page size 100 ({pages} pages), "
        f"+{LATENCY * 1000:.0f} ms per page request"
    )
    rep.out(f"  prefetch=0          {sequential:>9,.0f} rows/s   {n / sequential:6.2f} s")
    rep.out(
        f"  default prefetch    {ahead:>9,.0f} rows/s   {n / ahead:6.2f} s   speedup {speedup:.2f}x"
    )
    rep.out(
        f"  seed, default       {seed:>9,.0f} rows/s   {n / seed:6.2f} s   "
        f"speedup {seed / sequential:.2f}x"
    )
    rep.target(f"default prefetch speedup at 50 ms ({where})", speedup, 4.0)


# -- main ------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Listing / get / memory / prefetch benchmark (see the module docstring)."
    )
    parser.add_argument("--quick", action="store_true", help="2,000 rows: a CI smoke run (< 30 s)")
    parser.add_argument("--big", action="store_true", help="add a 200,000-row memory run (slow)")
    parser.add_argument("--repeat", type=int, default=None, help="interleaved runs per row")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--client-only", action="store_true", help="skip the local-backend (in-process) rows"
    )
    parser.add_argument("--cpu", type=int, default=0, help="the CPU to pin both processes to")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the processes")
    parser.add_argument(
        "--official",
        default="/tmp/venv-official/bin/python",
        help="the interpreter of a virtualenv with the official synapse-sdk (optional row)",
    )
    args = parser.parse_args()
    size = sizes(args)
    if args.repeat is not None:
        size.repeat = max(1, args.repeat)
    cpu = None if args.no_pin else args.cpu
    rep = Report()
    started = time.perf_counter()
    rep.out(
        f"bench/listing.py: {size.rows:,} rows{' (quick)' if args.quick else ''}; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start; "
        f"Python {sys.version.split()[0]}"
    )
    rep.out(f"source: {source_state()}")
    rep.out(f"client and snapshot server processes: {_pin(cpu)}")
    rep.out(f"the SDK's JSON decoder: {decoder_name()}")
    official = args.official if os.path.exists(args.official) else None

    with LocalBackend(seed="demo") as backend:
        project = fill_project(backend, size.rows)
        token = backend.api_token
        rep.out(f"created {size.rows:,} tasks in {time.perf_counter() - started:.1f} s")
        templates: list[Any] = []
        list_raw(backend.url, token, project, 1000, keep=templates)
        ids = [row["id"] for row in templates[: size.get_requests]]
        if not args.client_only:
            listing_table(rep, "local", backend.url, token, project, size.rows, size.repeat, None)
            single_get(rep, "local", backend.url, token, ids, size.repeat)

    counts = [size.small_rows, size.rows] + ([200_000] if args.big else [])
    spec = ServerSpec(
        token,
        {project: (templates, len(templates))}
        | {900 + i: (templates, n) for i, n in enumerate(counts)},
        details=templates[: size.get_requests],
        cpu=cpu,
    )
    with SnapshotServer(spec) as snap:
        rep.out("\nsnapshot server: its own process, pre-built answers, keep-alive")
        table = listing_table(
            rep, "snapshot", snap.url, token, project, size.rows, size.repeat, official
        )
        breakdown(rep, snap.url, token, project, table)
        single_get(rep, "snapshot", snap.url, token, ids, size.repeat, official)
        memory(rep, snap, counts)
    spec = ServerSpec(
        token, {project: (templates, size.latency_rows)}, (100,), latency=LATENCY, cpu=cpu
    )
    with SnapshotServer(spec) as snap:
        prefetch_latency(rep, "snapshot", snap.url, token, project, size.latency_rows)

    if not args.client_only:
        with LocalBackend(seed="demo") as backend:
            project = fill_project(backend, size.local_latency_rows)
            backend.faults.add(
                "latency", method="GET", path="sdk/tasks/*", times=None, seconds=LATENCY
            )
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

"""Upload throughput and memory: the SDK's chunked upload vs a plain urllib3 implementation of the
same protocol, and ``collection.upload`` of many small files with ``parallel=4`` vs 1.

Run: ``python bench/upload.py`` (512 MB file, 50 MB chunks, 200 small files; 2-3 minutes)
or ``python bench/upload.py --quick`` (64 MB, 8 MB chunks, 40 files; under 30 s).

Every number is measured in this one run. Each upload runs in a fresh subprocess (so its peak RSS
is its own) against two servers, each in its own process:

* the local backend (``python -m synapse_sdk.devserver``): the real protocol end to end, but it
  SHA-256-hashes every request body for its journal and MD5s the file again on finalize, so it
  caps both clients at its own speed;
* a sink: a minimal server of the same protocol that reads and discards the bytes, so the
  clients' own pipelines (read + MD5 + send) are what is measured.

The baseline streams its multipart body (preamble, chunk, epilogue as an iterable with
Content-Length) and does the same read + MD5 work, sequentially per chunk. The SDK reads 1 MiB
blocks into reused buffers, hashing each as it is read ("sdk", the default), and also runs with
its helper thread reading and hashing ahead while a block is on the wire ("sdk-overlap") to show
what that overlap buys on this machine.

The small files go through ``collection.upload`` twice: as the local backend answers (it is one
Python process doing CPU-bound work per request, so concurrency gains little), and with 20 ms of
latency injected on each data-file create (through the control endpoint), like a WAN round trip.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

MiB = 1024 * 1024
TOKEN = "local-api-token"
TIMEOUT = 600  # seconds per subprocess: the bench is bounded even if a server hangs

SINK = r"""
import json, socket, sys, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

uploads = {}

class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass

    def _drain(self):
        left = int(self.headers.get("Content-Length", "0"))
        buf = bytearray(1 << 20)
        view = memoryview(buf)
        data = b""
        while left:
            n = self.rfile.readinto(view[: min(left, len(buf))])
            if not n:
                break
            if left < 4096:
                data += bytes(view[:n])
            left -= n
        return data

    def _send(self, body):
        raw = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _url(self, ident):
        return f"http://127.0.0.1:{self.server.server_port}/chunked_upload/{ident}/"

    def do_PUT(self):
        self._drain()
        parts = self.path.strip("/").split("/")
        ident = parts[1] if len(parts) > 1 else str(uuid.uuid4())
        rng = self.headers["Content-Range"].split()[1]
        end, total = rng.split("-")[1].split("/")
        uploads[ident] = (int(end) + 1, int(total))
        self._send({"id": ident, "url": self._url(ident), "offset": int(end) + 1})

    def do_POST(self):
        body = json.loads(self._drain() or b"{}")
        ident = self.path.strip("/").split("/")[1]
        size = uploads[ident][0]
        self._send({"id": ident, "url": self._url(ident), "offset": size, "size": size,
                    "checksum": body.get("md5"), "completed_at": "2026-01-01T00:00:00Z"})

    def do_GET(self):
        ident = self.path.strip("/").split("/")[1]
        self._send({"id": ident, "offset": uploads[ident][0], "completed_at": None})

server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
print(f"http://127.0.0.1:{server.server_port}", flush=True)
server.serve_forever()
"""


# -- the two client implementations (run inside a worker subprocess) ------------------------------


def baseline_upload(url: str, path: Path, chunk: int) -> str:
    """The same protocol with plain urllib3: read a chunk, MD5 it, stream the multipart body."""
    import urllib3

    headers = {"Synapse-Access-Token": f"Token {TOKEN}"}
    pool = urllib3.PoolManager(maxsize=1)
    total = path.stat().st_size
    md5 = hashlib.md5()
    target, offset = f"{url}/chunked_upload/", 0
    try:
        with path.open("rb") as fh:
            while offset < total:
                fh.seek(offset)
                data = fh.read(min(chunk, total - offset))
                md5.update(data)
                boundary = uuid.uuid4().hex
                preamble = (
                    f'--{boundary}\r\nContent-Disposition: form-data; name="filename"\r\n\r\n'
                    f"{path.name}\r\n--{boundary}\r\nContent-Disposition: form-data; "
                    'name="file"; filename="file"\r\nContent-Type: application/octet-stream'
                    "\r\n\r\n"
                ).encode()
                epilogue = f"\r\n--{boundary}--\r\n".encode()
                answer = pool.request(
                    "PUT",
                    target,
                    body=iter([preamble, data, epilogue]),
                    headers={
                        **headers,
                        "Content-Type": f"multipart/form-data; boundary={boundary}",
                        "Content-Length": str(len(preamble) + len(data) + len(epilogue)),
                        "Content-Range": f"bytes {offset}-{offset + len(data) - 1}/{total}",
                    },
                )
                state = json.loads(answer.data)
                target, offset = state["url"], state["offset"]
                del data
        done = pool.request(
            "POST",
            target,
            body=json.dumps({"md5": md5.hexdigest()}),
            headers={**headers, "Content-Type": "application/json"},
        )
        assert done.status == 200, done.data
        return str(json.loads(done.data)["checksum"])
    finally:
        pool.clear()


def sdk_upload(url: str, path: Path, chunk: int, overlap: bool) -> str:
    from synapse_sdk.clients.backend import BackendClient
    from synapse_sdk.uploads import ChunkedUploader

    with BackendClient(url, api_token=TOKEN, timeout={"read": 120}) as client:
        if not overlap:  # the default: exactly what users get
            return str(client.create_chunked_upload(path, chunk_size=chunk)["checksum"])
        uploader = ChunkedUploader(client._session, chunk_size=chunk, overlap=True)
        return str(uploader.upload(path)["checksum"])


def worker(args: argparse.Namespace) -> None:
    # Imports happen before the clock starts (and before the RSS baseline).
    import urllib3  # noqa: F401

    import synapse_sdk.clients.backend  # noqa: F401

    path = Path(args.file)
    base_rss = _current_rss_mb()
    started = time.perf_counter()
    if args.worker == "baseline":
        checksum = baseline_upload(args.url, path, args.chunk)
    else:
        checksum = sdk_upload(args.url, path, args.chunk, overlap=args.worker == "sdk-overlap")
    seconds = time.perf_counter() - started
    peak = _status_mb("VmHWM")
    print(json.dumps({"seconds": seconds, "base_rss": base_rss, "peak_rss": peak, "md5": checksum}))


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc (``VmHWM`` = peak RSS since exec; unlike
    ``ru_maxrss`` it is not inherited from the parent across fork + exec)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _current_rss_mb() -> float:
    return _status_mb("VmRSS")


# -- orchestration ---------------------------------------------------------------------------------


def start(cmd: list[str], cwd: str | None = None) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=cwd)
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        found = re.search(r"http://[\d.]+:\d+", line)
        if found:
            return proc, found.group(0)
    proc.kill()
    raise RuntimeError(f"server did not start: {cmd}")


def run_worker(kind: str, url: str, path: Path, chunk: int) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", kind, "--url", url, "--file", str(path)]
    done = subprocess.run(
        [*cmd, "--chunk", str(chunk)], capture_output=True, text=True, timeout=TIMEOUT
    )
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def make_file(path: Path, size: int) -> str:
    md5 = hashlib.md5()
    with path.open("wb") as fh:
        left = size
        while left:
            block = os.urandom(min(8 * MiB, left))
            md5.update(block)
            fh.write(block)
            left -= len(block)
    return md5.hexdigest()


def big_file(url: str, label: str, path: Path, chunk: int, expected: str, reps: int) -> None:
    size = path.stat().st_size
    kinds = ["baseline", "sdk", "sdk-overlap"]
    results: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
    for rep in range(reps):
        for kind in kinds if rep % 2 == 0 else kinds[::-1]:  # alternate to cancel drift
            result = run_worker(kind, url, path, chunk)
            assert result["md5"] == expected, (kind, result)
            results[kind].append(result)
    rate = {k: size / MiB / statistics.median(r["seconds"] for r in v) for k, v in results.items()}
    peak = {k: max(r["peak_rss"] for r in v) for k, v in results.items()}
    budget = 2 * chunk / MiB + 50
    print(f"\n{label}: {size / MiB:.0f} MiB file, {chunk / MiB:.0f} MiB chunks, median of {reps}")
    for kind in kinds:
        print(
            f"  {kind:11s} {rate[kind]:7.1f} MiB/s  ratio {rate[kind] / rate['baseline']:.2f}  "
            f"peak RSS {peak[kind]:6.1f} MiB (budget {budget:.0f})"
        )


def small_files(url: str, root: Path, count: int, reps: int, latency: float) -> None:
    import urllib3

    from synapse_sdk.clients.backend import BackendClient

    control = urllib3.PoolManager()
    if latency:  # a WAN round trip on each data-file create, through the control endpoint
        fault = {"kind": "latency", "method": "POST", "path": "data_files/", "times": None}
        control.request("POST", f"{url}/_devserver/faults/", json={**fault, "seconds": latency})
    try:
        with BackendClient(url, api_token=TOKEN) as client:
            collection = client.data_collections.get(1)
            timings: dict[int, list[float]] = {1: [], 4: []}
            for rep in range(reps):
                for parallel in (1, 4) if rep % 2 == 0 else (4, 1):
                    folder = root / f"small-{latency}-{rep}-{parallel}"
                    folder.mkdir()
                    files = []
                    for i in range(count):  # fresh bytes: nothing is skipped as already there
                        path = folder / f"img{i}.png"
                        path.write_bytes(b"\x89PNG" + os.urandom(64 * 1024))
                        files.append(path)
                    started = time.perf_counter()
                    report = collection.upload(files, parallel=parallel)
                    timings[parallel].append(time.perf_counter() - started)
                    assert report.ok and report.file_counts()["uploaded"] == count, report
    finally:
        if latency:
            control.request("DELETE", f"{url}/_devserver/faults/")
        control.clear()
    rate = {p: count / statistics.median(t) for p, t in timings.items()}
    extra = f", +{latency * 1000:.0f} ms per data-file request" if latency else ""
    print(f"\ncollection.upload: {count} files of 64 KiB, local backend{extra}, median of {reps}")
    for parallel in (1, 4):
        print(f"  parallel={parallel}  {rate[parallel]:7.1f} files/s")
    print(f"  ratio parallel=4 / parallel=1: {rate[4] / rate[1]:.2f}")


def md5_rate() -> float:
    data = os.urandom(64 * MiB)
    started = time.perf_counter()
    hashlib.md5(data).hexdigest()
    return 64 / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="64 MB / 8 MB chunks / 40 files")
    parser.add_argument("--size-mb", type=int, default=None)
    parser.add_argument("--chunk-mb", type=int, default=None)
    parser.add_argument("--files", type=int, default=None)
    parser.add_argument("--reps", type=int, default=None)
    parser.add_argument(
        "--worker", choices=["baseline", "sdk", "sdk-overlap"], help=argparse.SUPPRESS
    )
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--chunk", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    size = (args.size_mb or (64 if args.quick else 512)) * MiB
    chunk = (args.chunk_mb or (8 if args.quick else 50)) * MiB
    count = args.files or (40 if args.quick else 200)
    reps = args.reps or (2 if args.quick else 3)
    python = sys.version.split()[0]
    print(f"machine: {os.cpu_count()} CPUs, MD5 {md5_rate():.0f} MiB/s, Python {python}")
    root = Path(tempfile.mkdtemp(prefix="synapse-bench-upload-"))
    servers: list[subprocess.Popen[str]] = []
    try:
        path = root / "big.bin"
        expected = make_file(path, size)
        sink, sink_url = start([sys.executable, "-c", SINK])
        servers.append(sink)
        data_dir = root / "devserver"
        devserver = ["-m", "synapse_sdk.devserver", "--port", "0", "--seed", "demo", "--control"]
        backend, backend_url = start([sys.executable, *devserver, "--data-dir", str(data_dir)])
        servers.append(backend)
        big_file(sink_url, "sink server (client pipeline only)", path, chunk, expected, reps)
        big_file(backend_url, "local backend (end to end)", path, chunk, expected, reps)
        small_files(backend_url, root, count, reps, latency=0.0)
        small_files(backend_url, root, count, reps, latency=0.02)
    finally:
        for proc in servers:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            if proc.stdout is not None:
                proc.stdout.close()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

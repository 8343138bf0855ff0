"""Small-GET requests/s: the local backend (``GET tasks/<id>/``) vs a minimal stdlib server.

Run: ``python bench/devserver_rate.py [--requests N] [--threads T]``. Bounded: a few seconds.
Both servers are measured in the same run over keep-alive urllib3 connections, once on a single
connection and once with T threads (one connection each), so later SDK benchmarks can show the
server is not their bottleneck.
"""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import urllib3

from synapse_sdk.devserver import LocalBackend

_BODY = json.dumps({"id": 1, "project": 1, "data_unit": 1, "status": "pending"}).encode()


class _Fixed(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # without this, headers and body go out in two segments and Nagle + delayed ACK add 40 ms
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(_BODY)))
        self.end_headers()
        self.wfile.write(_BODY)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _rate(url: str, headers: dict[str, str], n: int, threads: int) -> float:
    per = max(1, n // threads)
    errors: list[int] = []

    def worker() -> None:
        conn = urllib3.connection_from_url(url, maxsize=1)
        try:
            for _ in range(per):
                r = conn.request("GET", url, headers=headers)
                if r.status != 200:
                    errors.append(r.status)
        finally:
            conn.close()

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit(f"{len(errors)} non-200 answers from {url}")
    return per * threads / elapsed


def _measure(label: str, fn: Callable[[int], float], threads: int) -> float:
    rate = fn(threads)
    print(f"  {label:<34} {rate:9.0f} req/s")
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="requests per measurement")
    parser.add_argument("--threads", type=int, default=4, help="threads for the parallel run")
    args = parser.parse_args()

    stdlib = ThreadingHTTPServer(("127.0.0.1", 0), _Fixed)
    stdlib.daemon_threads = True
    t = threading.Thread(target=stdlib.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        with LocalBackend(seed="demo") as backend:
            dev_url = f"{backend.url}/tasks/{backend.demo['task']}/"
            std_url = f"http://127.0.0.1:{stdlib.server_address[1]}/tasks/1/"
            headers = backend.headers()
            _rate(dev_url, headers, 200, 1)  # warm-up
            _rate(std_url, {}, 200, 1)
            n = args.requests
            print(f"GET tasks/<id>/, {n} requests per row (keep-alive urllib3 connections)")
            dev1 = _measure("devserver, 1 connection", lambda k: _rate(dev_url, headers, n, k), 1)
            std1 = _measure(
                "stdlib http.server, 1 connection", lambda k: _rate(std_url, {}, n, k), 1
            )
            devn = _measure(
                f"devserver, {args.threads} threads",
                lambda k: _rate(dev_url, headers, n, k),
                args.threads,
            )
            stdn = _measure(
                f"stdlib http.server, {args.threads} threads",
                lambda k: _rate(std_url, {}, n, k),
                args.threads,
            )
            print(
                f"ratio devserver/stdlib: 1 connection {dev1 / std1:.2f}, "
                f"{args.threads} threads {devn / stdn:.2f}"
            )
    finally:
        stdlib.shutdown()
        stdlib.server_close()
        t.join(timeout=5)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

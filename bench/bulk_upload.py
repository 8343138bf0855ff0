"""Bulk upload benchmark: presigned parallel upload vs one data-file upload after another.

Run: ``python bench/bulk_upload.py [--quick] [--latency-ms 20]``.

A local backend runs in a separate process (``python -m synapse_sdk.devserver``) with a latency
fault on every request (20 ms by default, installed over HTTP through its control endpoint), so
each round trip costs what a nearby real backend or object store would. Both ways run in the
same process against the same server, in the same run, so the ratio is what matters:

* **baseline**: ``client.create_data_file(path)`` for each file in turn (one multipart
  ``POST data_files/`` per file, what a loop over the existing seed method does);
* **presigned**: ``client.upload_files_bulk(paths)`` with its defaults (batches of 200,
  10 workers; the server's default storage is ``minio``, so the presigned strategy is used).

Two sets: many small files (1,000 x 2 KiB; ``--quick``: 200) and a few large ones (3 x 16 MiB;
``--quick``: 3 x 4 MiB) with the server's multipart threshold lowered to half a file (parts of a
quarter), so each large file goes up in four parts. Target: presigned >= 5x the baseline's
files/s on the small files. The large files measure the local backend as much as the client: on
a shared 2-core machine its object store (MD5 per part, parts assembled and SHA-1 checked on
confirm) costs more CPU than one direct upload, so expect no gain there without a real store.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from _devserver import add_latency, start_server

from synapse_sdk.clients.backend import BackendClient

MiB = 1024 * 1024


def make_files(folder: Path, count: int, size: int, prefix: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(count):
        path = folder / f"{prefix}{i:05d}.bin"
        path.write_bytes(os.urandom(size))
        out.append(path)
    return out


def baseline(client: BackendClient, paths: list[Path]) -> float:
    started = time.perf_counter()
    for path in paths:
        client.create_data_file(path)
    return time.perf_counter() - started


def presigned(client: BackendClient, paths: list[Path]) -> float:
    started = time.perf_counter()
    result = client.upload_files_bulk(paths)
    seconds = time.perf_counter() - started
    if result["strategy"] != "presigned" or result["failed_count"]:
        failed = [r["error"] for r in result["results"] if not r["success"]][:3]
        raise SystemExit(f"presigned upload failed: {result['strategy']} {failed}")
    return seconds


def report(label: str, paths: list[Path], base: float, fast: float) -> float:
    size = sum(p.stat().st_size for p in paths)
    n = len(paths)
    print(f"\n{label}: {n} files, {size / MiB:.1f} MiB")
    print(
        f"  baseline  (create_data_file, sequential) {base:7.2f} s  {n / base:8.1f} files/s  "
        f"{size / MiB / base:7.1f} MiB/s"
    )
    print(
        f"  presigned (upload_files_bulk, defaults)  {fast:7.2f} s  {n / fast:8.1f} files/s  "
        f"{size / MiB / fast:7.1f} MiB/s"
    )
    ratio = base / fast
    print(f"  ratio presigned / baseline: {ratio:.2f}x")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 small files, 3 x 4 MiB")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--small", type=int, default=None, help="number of small files")
    parser.add_argument("--strict", action="store_true", help="exit 1 below the 5x target")
    args = parser.parse_args()
    small_count = args.small or (200 if args.quick else 1000)
    large_size = (4 if args.quick else 16) * MiB
    print(
        f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"latency {args.latency_ms:g} ms per request"
    )
    threshold, part = large_size // 2, large_size // 4
    proc, url, token = start_server(
        "--multipart-threshold", str(threshold), "--multipart-part-size", str(part)
    )
    try:
        add_latency(url, args.latency_ms / 1000)
        client = BackendClient(url, api_token=token, timeout={"read": 120, "deadline": 600})
        with tempfile.TemporaryDirectory(prefix="bulk-bench-") as tmp:
            root = Path(tmp)
            small = make_files(root / "small", small_count, 2048, "s")
            large = make_files(root / "large", 3, large_size, "l")
            presigned(client, small[:5])  # warm up both paths (connections, imports)
            baseline(client, small[:5])
            ratio = report(
                "small files (2 KiB)", small, baseline(client, small), presigned(client, small)
            )
            label = f"large files ({large_size // MiB} MiB, {part // MiB} MiB parts)"
            report(label, large, baseline(client, large), presigned(client, large))
    finally:
        proc.terminate()
        proc.wait(10)
    target = "met" if ratio >= 5 else "NOT met"
    print(f"\ntarget >= 5x on small files: {target} ({ratio:.2f}x)")
    if args.strict and ratio < 5:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

"""What the benchmarks share: the local backend in its own process (so the client measured is
the only Python in this one) and a latency fault installed over its control endpoint."""

from __future__ import annotations

import json
import subprocess
import sys

import urllib3


def start_server(*extra: str) -> tuple[subprocess.Popen[str], str, str]:
    """``python -m synapse_sdk.devserver --port 0 --seed demo --control *extra``; returns the
    process, its base URL and its API token (read from its banner)."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "synapse_sdk.devserver",
            "--port=0",
            "--seed=demo",
            "--control",
            *extra,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    url = token = ""
    assert proc.stdout is not None
    for line in proc.stdout:
        if "listening on" in line:
            url = line.rsplit(" ", 1)[1].strip()
        if "api token:" in line:
            token = line.split("api token:", 1)[1].split()[0]
        if line.startswith("Press Ctrl-C"):
            break
    if not url or not token:
        proc.kill()
        raise SystemExit("the devserver did not start")
    return proc, url, token


def add_latency(url: str, seconds: float, *, method: str = "*", path: str = "*") -> None:
    """Delay every matching request by ``seconds`` (the fault plane's ``latency`` kind)."""
    body = {"kind": "latency", "method": method, "path": path, "times": None, "seconds": seconds}
    answer = urllib3.request(
        "POST",
        f"{url}/_devserver/faults/",
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    if answer.status >= 300:
        raise SystemExit(f"could not install the latency fault: {answer.status} {answer.data!r}")

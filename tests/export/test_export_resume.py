"""An export killed (SIGKILL) at a random point and run again ends byte-identical to one that
ran without interruption, and the second run continues instead of starting over.

The export runs in a child process (``python -c ...``) against a local backend started by the
test on a loopback port; the child prints how many tasks it has written, so the test can kill it
after N tasks, or after a random time. Bounded: ~1,500 tasks, 30 data units, a few kill points.
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from export_support import add_tasks, add_units, snapshot, start_child

from synapse_sdk import ClientConnectionError
from synapse_sdk.clients.backend import BackendClient

TIMEOUT = 90  # seconds a child may take before the test kills it and fails
PER_UNIT = 50


@pytest.fixture
def big_project(
    synapse_backend: Any, client: BackendClient, demo: dict[str, Any], tmp_path: Path
) -> int:
    """The demo project with 30 more units, 50 tasks each, and a little latency on files."""
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    units = add_units(client, demo["data_collection"], 30, uploads)
    add_tasks(client, demo["project"], units, PER_UNIT)
    synapse_backend.faults.add("latency", method="GET", path="media/*", times=None, seconds=0.01)
    return int(demo["project"])


def _checkpoint(dest: Path) -> dict[str, Any]:
    if not (dest / ".export-state.sqlite").exists():
        return {"last_id": 0, "offsets": {}}  # killed before it started
    db = sqlite3.connect(dest / ".export-state.sqlite")
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'checkpoint'").fetchone()
    finally:
        db.close()
    return dict(json.loads(row[0])) if row else {"last_id": 0, "offsets": {}}


def _kill_after(proc: Any, *, tasks: int | None = None, seconds: float | None = None) -> int:
    """SIGKILL the child after it reports ``tasks`` written, or ``seconds`` after it reports
    its first task; return the last count it reported (or -1 if it finished first)."""
    guard = threading.Timer(TIMEOUT, proc.kill)
    guard.start()
    last = 0
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("DONE"):
                return -1
            last = int(line)
            if seconds is not None:
                time.sleep(seconds)  # its few KB of output fit in the pipe meanwhile
                break
            if tasks is not None and last >= tasks:
                break
        if proc.poll() is not None:
            return -1
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=TIMEOUT)
        assert proc.returncode == -signal.SIGKILL
        return last
    finally:
        guard.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=TIMEOUT)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def _finish(backend: Any, project: int, dest: Path) -> str:
    proc = start_child(backend, project, dest)
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=TIMEOUT)
    assert proc.returncode == 0, err
    assert "DONE" in out
    return out


def _media_path(client: BackendClient, record: dict[str, Any]) -> str:
    url = client.data_units.get(record["data_unit"]).files[record["spec"]].url
    assert url is not None
    return unquote(urlsplit(url).path).lstrip("/")


@pytest.mark.parametrize(
    "kill",
    [
        {"tasks": 120},
        {"tasks": 800},
        {"seconds": "random"},
        {"tasks": 300, "then": {"tasks": 1000}},  # killed twice
    ],
    ids=["after-120-tasks", "after-800-tasks", "random-time", "killed-twice"],
)
def test_killed_export_resumes_to_identical_bytes(
    synapse_backend: Any,
    client: BackendClient,
    big_project: int,
    tmp_path: Path,
    kill: dict[str, Any],
) -> None:
    whole = client.projects.get(big_project).export(tmp_path / "whole")
    expected = snapshot(whole.path)
    assert whole.counts["tasks"] > 1500 and whole.counts["files"] == 66

    dest = tmp_path / "killed"
    rounds = [kill, *([kill["then"]] if "then" in kill else [])]
    for spec in rounds:
        seconds = spec.get("seconds")
        if seconds == "random":
            seed = random.randrange(1 << 30)
            seconds = random.Random(seed).uniform(0.0, 1.0)
            print(f"kill after {seconds:.2f} s (seed {seed})")
        _kill_after(start_child(synapse_backend, big_project, dest), tasks=spec.get("tasks"),
                    seconds=seconds)  # fmt: skip

    finished_already = (dest / "manifest.json").exists()  # a random kill may come too late
    checkpoint = _checkpoint(dest)
    done_files: list[dict[str, Any]] = []
    if checkpoint["offsets"].get("files"):
        prefix = (dest / "files.jsonl").read_bytes()[: checkpoint["offsets"]["files"]]
        done_files = [json.loads(line) for line in prefix.splitlines()]

    synapse_backend.journal.clear()
    _finish(synapse_backend, big_project, dest)
    assert snapshot(dest) == expected

    entries = synapse_backend.journal.entries()
    if finished_already:  # a finished export is returned as it is: only the child's get()
        assert [e.path for e in entries] == [f"projects/{big_project}/"]
        return
    listings = [e for e in entries if e.path == "sdk/tasks/"]
    if checkpoint["last_id"]:
        assert f"id__gt={checkpoint['last_id']}" in listings[0].query
    fetched = {unquote(e.path) for e in entries if e.path.startswith("media/")}
    again = [r["path"] for r in done_files if _media_path(client, r) in fetched]
    assert again == []  # files completed before the kill are not fetched again


def test_an_export_resumes_after_a_connection_failure(
    synapse_backend: Any, demo: dict[str, Any], tmp_path: Path
) -> None:
    """A connection that keeps failing stops the export (no bogus error records); the next run
    completes it, identical to an export that never failed."""
    with BackendClient(synapse_backend.url, api_token=synapse_backend.api_token,
                       retries=0) as client:  # fmt: skip
        project = client.projects.get(demo["project"])
        expected = snapshot(project.export(tmp_path / "whole").path)
        synapse_backend.faults.add("reset_before", method="GET", path="media/*meta_2.json",
                                   times=None)  # fmt: skip
        with pytest.raises(ClientConnectionError):
            project.export(tmp_path / "o")
        assert not (tmp_path / "o" / "manifest.json").exists()
        assert _checkpoint(tmp_path / "o")["last_id"] == 1  # task 1 done, task 2 waits
        synapse_backend.faults.clear()
        result = project.export(tmp_path / "o")
    assert result.resumed and result.ok
    assert snapshot(tmp_path / "o") == expected

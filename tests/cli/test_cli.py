"""The ``synapse`` command line, run as a real process against a local backend on loopback.

Each test starts the CLI with :mod:`subprocess` (``python -m synapse_sdk._cli``, and the installed
``synapse`` script once), so argument parsing, configuration from the environment, output and
exit statuses are checked exactly as a shell sees them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk import BackendClient, JobStatus

TIMEOUT = 60  # seconds per CLI run: generous for a loaded CI machine, never reached normally


def _env(backend: Any | None, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNAPSE_")}
    if backend is not None:
        env["SYNAPSE_BASE_URL"] = backend.url
        env["SYNAPSE_API_TOKEN"] = backend.api_token
    env.update(overrides)
    return env


def synapse(backend: Any | None, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m synapse_sdk._cli ARGS`` configured for ``backend``."""
    return subprocess.run(
        [sys.executable, "-m", "synapse_sdk._cli", *args],
        env=_env(backend, **env),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def test_the_installed_script_runs() -> None:
    script = Path(sys.executable).with_name("synapse")
    if not script.exists():
        pytest.skip("the console script is not installed; run: python -m pip install -e .")
    result = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    assert result.returncode == 0, result.stderr
    for command in ("devserver", "tasks", "upload", "jobs"):
        assert command in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "required"),
        (("tasks", "list"), "--project"),
        (("tasks", "list", "--project", "0"), "positive integer"),
        (("tasks", "list", "--project", "1", "--limit", "x"), "positive integer"),
        (("jobs", "wait", "1", "--timeout", "-1"), "positive number"),
        (("frobnicate",), "invalid choice"),
    ],
)
def test_usage_errors_exit_2(args: tuple[str, ...], message: str) -> None:
    result = synapse(None, *args)
    assert result.returncode == 2
    assert message in result.stderr and result.stdout == ""


def test_missing_configuration_is_a_usage_error() -> None:
    result = synapse(None, "tasks", "list", "--project", "1")
    assert result.returncode == 2
    assert "SYNAPSE_BASE_URL" in result.stderr and "--base-url" in result.stderr


def test_tasks_list_table_json_and_limit(
    synapse_backend: Any, client: BackendClient, demo: dict[str, Any]
) -> None:
    tasks = list(client.tasks.filter(project=demo["project"]))
    table = synapse(synapse_backend, "tasks", "list", "--project", str(demo["project"]))
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["ID", "STATUS", "DATA_UNIT", "CREATED"]
    assert [int(line.split()[0]) for line in lines[1:]] == [t.id for t in tasks]

    result = synapse(
        synapse_backend, "tasks", "list", "--project", str(demo["project"]), "--json",
        "--limit", "2",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [row["id"] for row in rows] == [t.id for t in tasks[:2]]
    assert rows[0]["project"] == demo["project"] and "status" in rows[0]

    pending = synapse(
        synapse_backend, "tasks", "list", "--project", "1", "--status", "pending", "--json"
    )
    assert {row["status"] for row in json.loads(pending.stdout)} == {"pending"}


def test_flags_override_the_environment(synapse_backend: Any) -> None:
    result = synapse(
        None, "tasks", "list", "--project", "1", "--json",
        "--base-url", synapse_backend.url, "--token", synapse_backend.api_token,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)


def test_api_errors_exit_1_without_leaking_the_token(synapse_backend: Any) -> None:
    canary = "canary-token-5f1e2d"
    result = synapse(synapse_backend, "tasks", "list", "--project", "1", SYNAPSE_API_TOKEN=canary)
    assert result.returncode == 1
    assert "AuthenticationError" in result.stderr
    assert canary not in result.stderr + result.stdout
    missing = synapse(synapse_backend, "jobs", "wait", "999999")
    assert missing.returncode == 1 and "NotFoundError" in missing.stderr


def test_upload_a_directory_as_data_units(
    synapse_backend: Any, client: BackendClient, demo: dict[str, Any], tmp_path: Path
) -> None:
    for i in range(3):
        (tmp_path / f"img{i}.jpg").write_bytes(os.urandom(1000 + i))
    (tmp_path / ".hidden").write_bytes(b"skipped")
    collection = str(demo["data_collection"])
    before = client.data_units.filter(data_collection=demo["data_collection"]).count()
    result = synapse(synapse_backend, "upload", str(tmp_path), "--collection", collection)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and all(line.startswith("data unit ") for line in lines)
    after = client.data_units.filter(data_collection=demo["data_collection"]).count()
    assert after == before + 3
    assert synapse_backend.journal.committed("POST", "data_units/") == 1  # one batch

    single = synapse(
        synapse_backend, "upload", str(tmp_path / "img0.jpg"), "--collection", collection,
        "--json",
    )  # fmt: skip
    assert single.returncode == 0, single.stderr
    units = json.loads(single.stdout)
    assert len(units) == 1 and units[0]["data_collection"] == demo["data_collection"]


def test_upload_refuses_bad_input_before_writing(
    synapse_backend: Any, demo: dict[str, Any], tmp_path: Path
) -> None:
    (tmp_path / "a.jpg").write_bytes(b"x")
    collection = str(demo["data_collection"])
    synapse_backend.journal.clear()
    cases = [
        ((str(tmp_path / "missing"), "--collection", collection), "does not exist"),
        ((str(tmp_path), "--collection", collection, "--spec", "nope"), "no file specification"),
    ]
    for args, message in cases:
        result = synapse(synapse_backend, "upload", *args)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr
    assert synapse_backend.journal.committed() == 0


def test_jobs_wait_statuses(
    synapse_backend: Any, client: BackendClient, demo: dict[str, Any]
) -> None:
    plugin = client.plugins.get(demo["plugin"])
    ok = plugin.run(action="train")
    result = synapse(synapse_backend, "jobs", "wait", str(ok.id), "--timeout", "30", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "SUCCEEDED"

    failing = plugin.run(action="train", params={"fail": True})
    result = synapse(synapse_backend, "jobs", "wait", str(failing.id), "--timeout", "30")
    assert result.returncode == 1
    assert result.stdout.strip() == f"job {failing.id} FAILED" and "FAILED" in result.stderr

    stuck = plugin.run(action="train")
    client.jobs.update(stuck.id, status="RUNNING")  # an agent took it over: it stays running
    result = synapse(synapse_backend, "jobs", "wait", str(stuck.id), "--timeout", "0.3")
    assert result.returncode == 3
    assert "still RUNNING" in result.stderr
    assert client.jobs.get(stuck.id).status is JobStatus.RUNNING


def test_devserver_forwards_options_and_stops_on_sigterm(tmp_path: Path) -> None:
    help_result = synapse(None, "devserver", "--help")
    assert help_result.returncode == 0 and "--job-duration" in help_result.stdout

    proc = subprocess.Popen(
        [sys.executable, "-m", "synapse_sdk._cli", "devserver", "--port", "0", "--seed", "demo"],
        env=_env(None),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the cleanup below reaches the server
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # blocks until the server is listening
        assert first.startswith("Synapse local backend listening on http://127.0.0.1:"), first
        url = first.rsplit(" ", 1)[1].strip()
        result = synapse(
            None, "tasks", "list", "--project", "1", "--json",
            SYNAPSE_BASE_URL=url, SYNAPSE_API_TOKEN="local-api-token",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert len(json.loads(result.stdout)) >= 1
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=TIMEOUT) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=TIMEOUT)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()

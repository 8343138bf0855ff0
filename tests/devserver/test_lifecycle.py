"""Start/stop, persistence, CLI, tenant isolation, import isolation."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import urllib3

from synapse_sdk.devserver import LocalBackend

from ._helpers import Api

PACKAGE = Path(__file__).resolve().parents[2] / "synapse_sdk" / "devserver"


def test_start_stop_many_times_no_leaks(pool: urllib3.PoolManager) -> None:
    before = threading.active_count()
    for _ in range(3):
        backend = LocalBackend()
        backend.start()
        api = Api(backend, pool)
        assert api.ok("GET", "projects/")["count"] == 0  # empty default tenant
        assert api.ok("GET", "agents/")["count"] == 1
        pool.clear()
        backend.stop()
        backend.stop()  # idempotent
    assert threading.active_count() == before
    with pytest.raises(RuntimeError):
        _ = backend.url


def test_stop_with_open_keepalive_connection() -> None:
    backend = LocalBackend().start()
    pm = urllib3.PoolManager()
    try:
        assert Api(backend, pm).get("projects/").status == 200
        backend.stop()  # must not wait for the idle keep-alive connection
    finally:
        pm.clear()


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        LocalBackend(seed="full")
    with pytest.raises(ValueError):
        LocalBackend(job_duration=-1)


def test_data_dir_persists(tmp_path: Path, pool: urllib3.PoolManager) -> None:
    with LocalBackend(seed="demo", data_dir=tmp_path) as first:
        api = Api(first, pool)
        df = api.ok("POST", "data_files/", 201, fields={"file": ("keep.txt", b"kept")})
        demo = first.demo
        pool.clear()
    with LocalBackend(seed="demo", data_dir=tmp_path) as second:
        api = Api(second, pool)
        assert second.demo == demo
        assert api.ok("GET", "sdk/tasks/")["count"] == 6  # not seeded twice
        again = api.ok("GET", f"data_files/{df['id']}/")
        assert pool.request("GET", again["file"]).data == b"kept"
        pool.clear()
    assert (tmp_path / "devserver.sqlite3").exists()


def test_tenant_isolation(api: Api) -> None:
    backend = api.backend
    assert backend.create_tenant("other") == "other"
    other = api.with_token(backend.create_user("other", "eve"))
    assert other.ok("GET", "sdk/tasks/")["count"] == 0
    for path in ("projects/1/", "tasks/1/", "data_units/1/", "jobs/1/", "models/1/", "plugins/1/"):
        assert other.get(path).status == 404, path
    r = other.post("tasks/", json={"project": 1, "data": [{"data_unit": 1}]})
    assert r.status == 400 and "project" in r.json()
    assert other.post("plugins/demo-plugin/run/", json={}).status == 404
    agent = backend.create_agent("other", "a2")
    assert (
        api.get("projects/", auth=False, headers={"SYNAPSE-Agent": f"Token {agent}"}).json()[
            "count"
        ]
        == 0
    )
    with pytest.raises(ValueError):
        backend.create_tenant("other")
    with pytest.raises(ValueError):
        backend.create_user("missing", "x")


def test_cli_smoke(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "synapse_sdk.devserver",
            "--port",
            "0",
            "--seed",
            "demo",
            "--control",
            "--data-dir",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = []
        for _ in range(20):
            line = proc.stdout.readline()
            lines.append(line)
            if "Ctrl-C" in line or not line:
                break
        text = "".join(lines)
        url = re.search(r"listening on (http://127\.0\.0\.1:\d+)", text)
        assert url, text
        assert "local-api-token" in text and "local-agent-token" in text and "tenant:" in text
        with urllib3.PoolManager() as pm:
            r = pm.request(
                "GET",
                f"{url.group(1)}/projects/1/",
                headers={"Synapse-Access-Token": "Token local-api-token"},
                timeout=5,
            )
            assert r.status == 200 and r.json()["title"] == "Demo project"
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
    assert proc.returncode == 0, err


def test_cli_main_rejects_busy_port() -> None:
    from synapse_sdk.devserver.__main__ import main

    with LocalBackend() as backend:
        assert main(["--port", str(backend.port)]) == 1


FORBIDDEN = (
    "synapse_sdk.clients",
    "synapse_sdk._http",
    "synapse_sdk.resources",
    "synapse_sdk._query",
    "synapse_sdk._converter",
)


def test_devserver_imports_no_client_code() -> None:
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    continue  # relative: inside the devserver package
                names = [node.module or ""]
            for name in names:
                assert name.split(".")[0] in sys.stdlib_module_names | {"werkzeug", "pytest"}, (
                    f"{path.name} imports {name}"
                )
                assert not name.startswith(FORBIDDEN)

"""Helpers of the export tests: populating a project, snapshots of an export folder, running an
export in a child process that the test can kill."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from synapse_sdk.clients.backend import BackendClient

#: Files of an export folder that are not part of its identity (state, lock, sqlite journal).
NOT_IDENTITY = (".export-state.sqlite", ".export-state.sqlite-journal", ".export.lock")
ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import sys
from synapse_sdk.clients.backend import BackendClient
url, token, project, dest = sys.argv[1:5]
def progress(done, total):
    sys.stdout.write(f"{done}\\n")
    sys.stdout.flush()
with BackendClient(url, api_token=token) as client:
    result = client.projects.get(int(project)).export(dest, progress=progress, max_workers=4)
print("DONE", result.counts["tasks"], flush=True)
"""


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of an export folder (relative path -> bytes), without the state files."""
    out: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel not in NOT_IDENTITY:
            out[rel] = path.read_bytes()
    return out


def add_units(client: BackendClient, collection: int, n: int, tmp: Path) -> list[int]:
    """Upload ``n`` data units (a small PNG-named file and a JSON file each); their ids."""
    items = []
    for i in range(n):
        image = tmp / f"unit{i}.png"
        image.write_bytes(os.urandom(200 + i))
        meta = tmp / f"unit{i}.json"
        meta.write_bytes(b'{"i": %d}' % i)
        items.append({"image_1": image, "meta_1": meta})
    report = client.data_collections.get(collection).upload(items)
    assert report.ok, report
    return [item.data_unit.id for item in report.created if item.data_unit is not None]


def add_tasks(client: BackendClient, project: int, units: list[int], per_unit: int) -> None:
    """``per_unit`` consecutive tasks per unit (so a unit's files are first met spread out)."""
    data = [{"data_unit": unit} for unit in units for _ in range(per_unit)]
    for i in range(0, len(data), 1000):
        client.create_tasks({"project": project, "data": data[i : i + 1000]})


def add_plain_tasks(client: BackendClient, project: int, unit: int, n: int) -> None:
    """``n`` tasks on one data unit, 1,000 per request."""
    while n > 0:
        batch = min(n, 1000)
        client.create_tasks({"project": project, "data": [{"data_unit": unit}] * batch})
        n -= batch


def start_child(backend: Any, project: int, dest: Path) -> subprocess.Popen[str]:
    """An export of ``project`` into ``dest`` in a child process (prints tasks done)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNAPSE_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, backend.url, backend.api_token, str(project), str(dest)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )

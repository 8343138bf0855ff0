"""The README's main command: the quickstart runs end to end against the embedded backend."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quickstart_runs_against_embedded_backend() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNAPSE_")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Quickstart finished." in done.stdout
    assert "finished SUCCEEDED" in done.stdout

"""docs/export.md's Python examples run, in order, against the local backend they start."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from export_support import ROOT

PAGE = ROOT / "docs" / "export.md"


def test_the_export_page_examples_run() -> None:
    text = PAGE.read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    assert len(blocks) >= 6
    script = "\n".join(blocks)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNAPSE_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    # The outputs the page shows in comments.
    assert "{'annotations': 5, 'bytes': 322, 'data_units': 3, 'errors': 0, 'files': 6, " in (
        done.stdout
    )
    assert "files/3/meta_3.json NotFoundError 404" in done.stdout
    assert "Traceback" not in done.stderr


def test_the_page_is_in_the_navigation() -> None:
    assert "export.md" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert Path(PAGE).exists()

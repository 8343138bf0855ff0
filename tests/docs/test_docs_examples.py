"""The self-contained examples of the docs pages (the blocks that start their own local backend)
run as written, each in a fresh interpreter."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = ("querysets.md",)


def _blocks() -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        text = (ROOT / "docs" / page).read_text(encoding="utf-8")
        for block in re.findall(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL):
            if "LocalBackend(" in block:
                found.append((page, block))
    return found


def test_the_pages_have_runnable_examples() -> None:
    assert {page for page, _ in _blocks()} == set(PAGES)


@pytest.mark.parametrize(("page", "code"), _blocks(), ids=lambda v: v if v in PAGES else "")
def test_a_docs_example_runs(page: str, code: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNAPSE_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"{page}:\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr
    if page == "querysets.md":
        lines = done.stdout.splitlines()
        assert lines[0] == "5 6" and lines[1] == "True"
        assert "[2, 3]" in lines and "[1, 2]" in lines
        assert any(line.startswith("refused:") for line in lines)
        assert lines[-1] == "5"

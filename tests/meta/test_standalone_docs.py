"""The project stands on its own: its docs and docstrings never point into the team's private spec
files (``shared/``); a fact a user needs is written in the project's own words."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
POINTERS = re.compile(r"shared/|wire-protocol(\.md)?\s*§|decisions\.md|synapse-openapi")


def _texts() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").rglob("*.md"))]
    files += sorted((ROOT / "synapse_sdk").rglob("*.py"))
    return files


def test_no_pointers_into_the_spec_files() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _texts()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if POINTERS.search(line)
    ]
    assert found == []


def test_the_check_finds_a_pointer() -> None:
    assert POINTERS.search("see shared/spec/decisions.md")
    assert POINTERS.search("(wire-protocol §6)")
    assert not POINTERS.search("the wire protocol of the backend")

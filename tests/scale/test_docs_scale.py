"""The examples of docs/scale.md run, in order, against a local backend (the Ray one only where
Ray is installed; the Dask ones only where Dask is)."""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend

PAGE = Path(__file__).resolve().parents[2] / "docs" / "scale.md"
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE.read_text(), re.S)


def test_the_page_has_examples() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("needs", ["ray"])
def test_the_ray_example_is_marked(needs: str) -> None:
    assert any(b.startswith(f"# requires: {needs}") for b in BLOCKS)


def test_the_examples_run(
    backend: LocalBackend, big_client: BackendClient, project: int, tmp_path: Path
) -> None:
    paths = []
    for i in range(12):
        path = tmp_path / f"doc{i}.png"
        path.write_bytes(b"\x89PNG" + os.urandom(64))
        paths.append(path)
    namespace: dict[str, Any] = {
        "client": big_client,
        "project_id": project,
        "collection_id": backend.demo["data_collection"],
        "paths": paths,
        "api_token": backend.api_token,
    }
    ran = 0
    for block in BLOCKS:
        match = re.match(r"# requires: (\w+)", block)
        if match and importlib.util.find_spec(match.group(1)) is None:
            continue
        if "dask" in block and importlib.util.find_spec("dask") is None:
            continue
        exec(compile(block, str(PAGE), "exec"), namespace)
        ran += 1
    assert ran >= 3

"""The documentation site: ``mkdocs build --strict`` passes, every page is in the navigation, and
the seed API page covers every method of the original client.

The build writes to a temporary directory, never into the repository. ``.ci/run`` builds the site
itself as a separate gate and sets ``SYNAPSE_DOCS_BUILT=1`` so the build is not run twice in CI.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from synapse_sdk.clients.backend import BackendClient

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
BUILD_TIMEOUT = 180  # seconds; the build takes about 5 s here

#: Every flat method of the original ``BackendClient`` (the seed document).
SEED_METHODS = (
    "get_project",
    "get_task",
    "annotate_task_data",
    "list_tasks",
    "create_tasks",
    "set_tags_tasks",
    "create_chunked_upload",
    "list_data_collection",
    "get_data_collection",
    "create_data_file",
    "upload_data_file",
    "create_data_units",
    "get_assignment",
    "list_assignments",
    "set_tags_assignments",
    "health_check_agent",
    "get_plugin",
    "create_plugin",
    "update_plugin",
    "run_plugin",
    "create_plugin_release",
    "get_plugin_release",
    "list_jobs",
    "get_job",
    "update_job",
    "list_job_console_logs",
    "list_storages",
    "get_storage",
    "create_storage",
    "list_models",
    "get_model",
    "create_model",
    "list_ground_truth_events",
    "get_ground_truth_version",
)


def _nav_pages() -> set[str]:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = text[text.index("\nnav:") : text.index("\nmarkdown_extensions:")]
    return set(re.findall(r":\s*([\w./-]+\.md)\s*$", nav, flags=re.MULTILINE))


def test_every_page_is_in_the_navigation() -> None:
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert pages - _nav_pages() == set(), "add these pages to the nav in mkdocs.yml"


def test_the_changelog_page_includes_the_changelog() -> None:
    assert '--8<-- "CHANGELOG.md"' in (DOCS / "changelog.md").read_text(encoding="utf-8")


def test_the_seed_page_maps_every_seed_method() -> None:
    text = (DOCS / "seed-api.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    for name in SEED_METHODS:
        assert callable(getattr(BackendClient, name, None)), f"BackendClient.{name} is missing"
        row = next((r for r in rows if f"`{name}(" in r.split("|")[1]), None)
        assert row is not None, f"docs/seed-api.md has no row for {name}"
        typed = row.split("|")[3].strip()
        assert typed.startswith("`"), f"{name}: no typed equivalent in docs/seed-api.md"


@pytest.mark.skipif(
    os.environ.get("SYNAPSE_DOCS_BUILT") == "1", reason="built by .ci/run's mkdocs gate"
)
@pytest.mark.skipif(
    sys.version_info < (3, 11),
    reason="on 3.10 pip resolves pymdown-extensions 12 with mkdocstrings 1.0.6, which cannot "
    "highlight code; the docs are built on 3.11+ (CI)",
)
def test_mkdocs_build_strict(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    missing = sorted(p for p in _nav_pages() if not (DOCS / p).exists())
    assert not missing, f"pages in the nav that do not exist: {missing}"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    reference = (tmp_path / "reference" / "index.html").read_text(encoding="utf-8")
    for name in ("synapse_sdk.clients.backend.BackendClient", "synapse_sdk.QuerySet.to_pandas"):
        assert f'id="{name}"' in reference, f"{name} is missing from the API reference"
    changelog = (tmp_path / "changelog" / "index.html").read_text(encoding="utf-8")
    assert "Unreleased" in changelog
    assert (tmp_path / "notebooks" / "quickstart.ipynb").exists()

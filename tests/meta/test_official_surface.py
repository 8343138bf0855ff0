"""The official v1 client's 63 public methods all exist on ``BackendClient``, and
docs/seed-api.md lists each one with its typed twin.

The list is the official client's public surface (its v1 ``BackendClient``): a method added or
renamed there is added here first, and this test then says what is missing.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from synapse_sdk.clients.backend import BackendClient

DOCS = Path(__file__).resolve().parents[2] / "docs" / "seed-api.md"

OFFICIAL_METHODS: tuple[str, ...] = (
    # projects, tasks, task tags
    "get_project",
    "get_task",
    "annotate_task_data",
    "annotate_task_data_batch",
    "list_tasks",
    "list_tasks_data",
    "list_tasks_files",
    "create_tasks",
    "set_tags_tasks",
    "list_task_tags",
    "get_task_tag",
    # assignments
    "get_assignment",
    "list_assignments",
    "list_assignments_data",
    "list_assignments_files",
    "set_tags_assignments",
    # data collections, files, units, uploads
    "list_data_collections",
    "get_data_collection",
    "create_data_file",
    "verify_data_files_checksums",
    "upload_files_bulk",
    "request_presigned_upload",
    "confirm_presigned_upload",
    "upload_file_to_presigned_url",
    "list_data_units",
    "get_data_unit",
    "create_data_units",
    "upload_data_file",
    "upload_data_collection",
    "create_chunked_upload",
    "get_chunked_upload",
    # plugins, releases, jobs, logs, serve applications, agents
    "get_plugin",
    "create_plugin",
    "update_plugin",
    "run_plugin",
    "list_plugin_releases",
    "get_plugin_release",
    "get_plugin_release_by_lookup",
    "create_plugin_release",
    "list_jobs",
    "get_job",
    "update_job",
    "list_job_console_logs",
    "tail_job_console_logs",
    "create_logs",
    "list_serve_applications",
    "create_serve_application",
    "health_check_agent",
    "list_agents",
    # storages, models, ground truth
    "get_storage",
    "get_default_storage",
    "list_models",
    "get_model",
    "create_model",
    "list_ground_truth_events",
    "list_ground_truth_events_data",
    "list_ground_truth_events_files",
    "list_ground_truths",
    "list_ground_truth_versions",
    "get_ground_truth_version",
    # the client itself
    "exists",
    "reset_connection",
    "close",
)


def test_the_list_has_63_distinct_methods() -> None:
    assert len(OFFICIAL_METHODS) == len(set(OFFICIAL_METHODS)) == 63


@pytest.mark.parametrize("name", OFFICIAL_METHODS)
def test_every_official_method_exists_and_is_documented(name: str) -> None:
    method = getattr(BackendClient, name, None)
    assert callable(method), f"BackendClient.{name} is missing"
    assert inspect.getdoc(method), f"BackendClient.{name} has no docstring"


def _documented_rows() -> dict[str, str]:
    """Method name -> its typed-twin cell, from every table row of docs/seed-api.md."""
    rows: dict[str, str] = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        for name in re.findall(r"`([a-z_]+)\(", cells[0]):
            rows[name] = cells[-1]
    return rows


@pytest.mark.parametrize("name", OFFICIAL_METHODS)
def test_docs_list_every_official_method_with_its_typed_twin(name: str) -> None:
    rows = _documented_rows()
    assert name in rows, f"docs/seed-api.md has no table row for {name}()"
    assert rows[name] and rows[name] != "-", f"docs/seed-api.md gives {name}() no typed twin"

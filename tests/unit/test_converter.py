"""The record plans: partial rows, unknown fields, wrong shapes, enums, change tracking."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from synapse_sdk._converter import make_converter, plan_for
from synapse_sdk._exceptions import ResponseValidationError
from synapse_sdk.resources import DataCollection, Job, JobStatus, Task, TaskStatus

ROW: dict[str, Any] = {
    "id": 7,
    "project": 1,
    "data_unit": 3,
    "workshop": None,
    "meta": {"k": [1, 2]},
    "data": {"annotations": []},
    "status": "pending",
    "is_discarded": False,
    "tags": [1],
    "assignments": [],
    "created": "2026-11-27T20:45:44.123456Z",
    "modified": "2026-11-27T20:45:44+00:00",
}


def test_structure_full_row() -> None:
    task = make_converter().structure(ROW, Task)
    assert task.id == 7 and task.project_id == 1 and task.data_unit_id == 3
    assert task.status is TaskStatus.PENDING
    assert task.created == dt.datetime(2026, 11, 27, 20, 45, 44, 123456, tzinfo=dt.timezone.utc)


def test_unknown_fields_kept_and_written_back() -> None:
    task = plan_for(Task).build({**ROW, "new_field": {"x": 1}})
    assert task.extra == {"new_field": {"x": 1}}
    assert task.to_dict()["new_field"] == {"x": 1}
    assert task.to_dict()["project"] == 1
    assert task.to_dict()["created"] == "2026-11-27T20:45:44.123456Z"


def test_unknown_enum_value_kept_as_string() -> None:
    job = plan_for(Job).build({"id": 1, "status": "PAUSED"})
    assert job.status == "PAUSED"
    assert plan_for(Job).build({"id": 1, "status": "RUNNING"}).status is JobStatus.RUNNING


@pytest.mark.parametrize(
    ("row", "path"),
    [
        ({**ROW, "id": "7"}, "id"),
        ({**ROW, "tags": "1"}, "tags"),
        ({**ROW, "tags": [1, "x"]}, "tags[1]"),
        ({**ROW, "created": "yesterday"}, "created"),
        ({**ROW, "is_discarded": None}, "is_discarded"),
        ({**ROW, "meta": [1]}, "meta"),
    ],
)
def test_wrong_shape_names_the_field(row: dict[str, Any], path: str) -> None:
    with pytest.raises(ResponseValidationError) as info:
        plan_for(Task).build(row)
    assert info.value.path == path


def test_nested_records_and_paths() -> None:
    row = {"id": 1, "name": "c", "file_specifications": [{"name": "image_1"}, {"name": 5}]}
    with pytest.raises(ResponseValidationError) as info:
        plan_for(DataCollection).build(row)
    assert info.value.path == "file_specifications[1].name"


def test_partial_rows_leave_fields_unset() -> None:
    task = plan_for(Task).build({"id": 7, "data": None})
    assert task.id == 7 and task.data is None
    with pytest.raises(AttributeError, match="no client"):
        _ = task.status


def test_values_are_copied_so_in_place_edits_are_detected() -> None:
    row = {**ROW, "meta": {"k": [1, 2]}}
    task = plan_for(Task).build(row)
    object.__setattr__(task, "_raw", row)
    assert task.changes() == {}
    assert task.meta is not None
    task.meta["k"].append(3)
    assert task.changes() == {"meta": {"k": [1, 2, 3]}}
    assert row["meta"] == {"k": [1, 2]}


def test_equality_by_type_and_id() -> None:
    a = plan_for(Task).build(ROW)
    b = plan_for(Task).build({**ROW, "status": "completed"})
    assert a == b and hash(a) == hash(b)
    assert a != plan_for(Job).build({"id": 7})

"""Choice fields read as their enum (``task.status`` is a ``TaskStatus``), so editors offer the
members; a value the SDK does not know still loads (as a pseudo-member of the same enum, equal to
its string) and goes back to the server unchanged on save."""

from __future__ import annotations

import copy
import logging
import pickle
import typing
from typing import Any

import attrs
import pytest

from synapse_sdk import (
    Assignment,
    AssignmentReviewStatus,
    AssignmentStatus,
    DataCollection,
    DataCollectionCategory,
    FileSpecification,
    FileType,
    GroundTruthCategory,
    Job,
    JobLog,
    JobStatus,
    LogLevel,
    Plugin,
    PluginCategory,
    Project,
    ProjectCategory,
    Storage,
    StorageCategory,
    StorageProvider,
    Task,
    TaskStatus,
)
from synapse_sdk._converter import make_converter
from synapse_sdk.resources import GroundTruthEvent, _enums

#: Every resource field whose values are one of the SDK's enums: (class, field, enum).
ENUM_FIELDS: list[tuple[type, str, type]] = [
    (Task, "status", TaskStatus),
    (Assignment, "status_label", AssignmentStatus),
    (Assignment, "status_review", AssignmentReviewStatus),
    (Job, "status", JobStatus),
    (JobLog, "level", LogLevel),
    (Plugin, "category", PluginCategory),
    (Project, "category", ProjectCategory),
    (DataCollection, "category", DataCollectionCategory),
    (FileSpecification, "file_type", FileType),
    (Storage, "category", StorageCategory),
    (Storage, "provider", StorageProvider),
    (GroundTruthEvent, "category", GroundTruthCategory),
]


def build(cls: type, **fields: Any) -> Any:
    return make_converter().structure({"id": 1, **fields}, cls)


@pytest.mark.parametrize(("cls", "field", "enum_cls"), ENUM_FIELDS)
def test_every_choice_field_is_typed_as_its_enum(cls: type, field: str, enum_cls: type) -> None:
    hint = typing.get_type_hints(cls)[field]
    assert set(typing.get_args(hint)) == {enum_cls, type(None)}, f"{cls.__name__}.{field}: {hint}"


def test_every_enum_is_used_by_a_field() -> None:
    assert {e.__name__ for _, _, e in ENUM_FIELDS} == set(_enums.__all__)


@pytest.mark.parametrize(("cls", "field", "enum_cls"), ENUM_FIELDS)
def test_known_values_are_the_members(cls: type, field: str, enum_cls: Any) -> None:
    for member in enum_cls:
        obj = build(cls, **{field: member.value})
        value = getattr(obj, field)
        assert value is member and value == member.value and value.is_known


@pytest.mark.parametrize(("cls", "field", "enum_cls"), ENUM_FIELDS)
def test_unknown_values_load_as_pseudo_members_and_round_trip(
    cls: type, field: str, enum_cls: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="synapse_sdk"):
        obj = build(cls, **{field: "brand_new"})
    value = getattr(obj, field)
    assert isinstance(value, enum_cls) and isinstance(value, str)
    assert value == "brand_new" and str(value) == "brand_new" and value.value == "brand_new"
    assert not value.is_known
    assert value not in list(enum_cls)  # never listed among the members
    assert "brand_new" in repr(value) and "unknown" in repr(value)
    assert obj.to_dict()[field] == "brand_new"  # sent back unchanged
    assert getattr(build(cls, **{field: "brand_new"}), field) is value  # one object per value
    assert "brand_new" in caplog.text


def test_task_status_reads_like_a_string_and_like_an_enum() -> None:
    task = build(Task, status="completed")
    assert task.status == "completed" and task.status is TaskStatus.COMPLETED
    assert f"{task.status}" == "completed" and task.status in {"completed"}
    assert {task.status: 1}["completed"] == 1  # hashes like its string
    assert task.to_dict()["status"] == "completed"


def test_the_constructor_stays_strict() -> None:
    # Only the wire is open: code that builds an enum from a typo still gets a ValueError.
    with pytest.raises(ValueError):
        TaskStatus("complted")


def test_pseudo_members_pickle_and_copy() -> None:
    value = build(Task, status="on_hold").status
    back = pickle.loads(pickle.dumps(value))
    assert back is value
    assert copy.copy(value) is value and copy.deepcopy(value) is value
    assert pickle.loads(pickle.dumps(TaskStatus.PENDING)) is TaskStatus.PENDING
    job = build(Job, status="PAUSED")
    assert job.status is not None and job.status.is_terminal is False  # not a final one
    assert job.is_finished is False


def test_a_flood_of_unknown_values_is_bounded() -> None:
    # A hostile server sending ever new values cannot grow memory without bound: past the cache,
    # values still load and compare equal, only without the one-object-per-value identity.
    values = [build(Task, status=f"s{i}").status for i in range(3000)]
    assert all(v == f"s{i}" and not v.is_known for i, v in enumerate(values))
    assert len(_enums._PSEUDO) <= _enums.PSEUDO_CACHE


def test_a_non_string_is_still_refused() -> None:
    with pytest.raises(Exception, match="status"):
        build(Task, status=3)


def test_records_stay_attrs_classes() -> None:
    assert attrs.has(Task)

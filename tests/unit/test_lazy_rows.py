"""Lazy rows (``RecordPlan.lazy``, what listings and ``get`` build): the shape is checked when
the row is built, fields convert on first read, and every promise of the eager builder holds."""

from __future__ import annotations

import copy
import datetime as dt
import logging
import pickle
from typing import Any

import pytest
from test_converter import ROW as CONVERTER_ROW

from synapse_sdk._converter import plan_for
from synapse_sdk._converter._lazy import MISSING, peek
from synapse_sdk._exceptions import ResponseValidationError
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.resources import DataCollection, Task, TaskStatus

#: The converter tests' task row, plus a field the SDK does not know.
ROW: dict[str, Any] = {**CONVERTER_ROW, "brand_new": {"x": [1]}}


def lazy(row: dict[str, Any]) -> Any:
    return plan_for(Task).lazy(row)


def _slot_set(obj: Any, name: str) -> bool:
    try:
        object.__getattribute__(obj, name)
    except AttributeError:
        return False
    return True


def test_fields_convert_on_first_read_and_equal_the_eager_build() -> None:
    task = lazy(dict(ROW))
    assert _slot_set(task, "id") and _slot_set(task, "project_id")
    assert not _slot_set(task, "created") and not _slot_set(task, "meta")
    assert task.created == dt.datetime(2026, 11, 27, 20, 45, 44, 123456, tzinfo=dt.timezone.utc)
    assert _slot_set(task, "created")
    assert task.status is TaskStatus.PENDING
    eager = plan_for(Task).build(dict(ROW))
    assert task.to_dict() == eager.to_dict()
    assert task.extra == eager.extra == {"brand_new": {"x": [1]}}


def test_nested_edits_are_tracked_and_the_row_stays_untouched() -> None:
    row = dict(ROW)
    task = lazy(row)
    task._raw = row
    task.meta["k"].append(3)
    task.extra["brand_new"]["x"].append(2)
    assert row["meta"] == {"k": [1, 2]} and row["brand_new"] == {"x": [1]}
    assert task.changes() == {"meta": {"k": [1, 2, 3]}, "brand_new": {"x": [1, 2]}}


def test_wrong_json_types_raise_when_the_row_is_built() -> None:
    for key, value in (("tags", 5), ("created", 3), ("status", 1), ("id", "x"), ("meta", [1])):
        with pytest.raises(ResponseValidationError) as info:
            lazy({**ROW, key: value})
        assert info.value.path == key
    with pytest.raises(ResponseValidationError) as info:
        lazy({**ROW, "is_discarded": None})
    assert info.value.path == "is_discarded"


def test_nested_records_are_checked_when_the_row_is_built() -> None:
    build = plan_for(DataCollection).lazy
    with pytest.raises(ResponseValidationError) as info:
        build({"id": 1, "file_specifications": [{"name": 5}]})
    assert info.value.path == "file_specifications[0].name"


def test_what_the_shape_cannot_show_raises_on_first_read_and_validate() -> None:
    task = lazy({**ROW, "created": "yesterday", "tags": [1, "x"]})
    with pytest.raises(ResponseValidationError) as info:
        _ = task.created
    assert info.value.path == "created"
    with pytest.raises(ResponseValidationError) as info:
        _ = task.tags
    assert info.value.path == "tags[1]"
    with pytest.raises(ResponseValidationError):
        lazy({**ROW, "created": "yesterday"}).validate()
    assert lazy(dict(ROW)).validate().created.year == 2026


def test_unknown_enum_values_log_on_first_read(caplog: pytest.LogCaptureFixture) -> None:
    task = lazy({**ROW, "status": "brand_new"})
    with caplog.at_level(logging.DEBUG, logger="synapse_sdk"):
        assert task.status == "brand_new" and not task.status.is_known
    assert "brand_new" in caplog.text
    assert task.to_dict()["status"] == "brand_new"


def test_expanded_foreign_keys_use_the_eager_builder_and_cache_the_object() -> None:
    task = lazy({**ROW, "data_unit": {"id": 3, "meta": {}}})
    assert task.data_unit_id == 3
    assert task._cache["data_unit_id"][1] == {"id": 3, "meta": {}}


def test_pickle_and_copies_carry_the_converted_fields() -> None:
    row = dict(ROW)
    task = lazy(row)
    task._raw = row
    for clone in (pickle.loads(pickle.dumps(task)), copy.copy(task), copy.deepcopy(task)):
        assert clone.created == task.created and clone.extra == {"brand_new": {"x": [1]}}
        assert clone.to_dict() == task.to_dict() and clone.changes() == {}


def test_peek_converts_without_io_and_reports_absent_fields() -> None:
    task = lazy({"id": 1, "status": "completed"})
    assert peek(task, "status") is TaskStatus.COMPLETED
    assert peek(task, "created") is MISSING


def test_listed_rows_are_lazy_and_behave_as_before(client: BackendClient) -> None:
    tasks = list(client.tasks.all()[:3])
    assert tasks and all(not _slot_set(t, "created") for t in tasks)
    assert all(isinstance(t.created, dt.datetime) for t in tasks)
    values = client.tasks.all()[:3].values_list("id", "status")
    assert [v[0] for v in values] == [t.id for t in tasks]
    assert all(isinstance(v[1], TaskStatus) for v in values)
    first = tasks[0]
    first.meta = {"edited": True}
    assert first.changes() == {"meta": {"edited": True}}
    assert client.tasks.get(first.id).created == first.created

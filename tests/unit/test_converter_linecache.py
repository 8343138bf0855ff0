"""Generated code has its source in linecache (tracebacks show the generated lines), one entry
per record class and per check (never per client), and built objects still pickle."""

from __future__ import annotations

import gc
import linecache
import pickle
import traceback
from typing import Any

import attrs
import pytest

from synapse_sdk._converter import RecordPlan, check_for, make_converter, plan_for
from synapse_sdk._exceptions import ResponseValidationError
from synapse_sdk.resources import DataCollection, Record, Task, TaskStatus

ROW: dict[str, Any] = {
    "id": 7,
    "project": 1,
    "data_unit": {"id": 3, "meta": {}},
    "workshop": None,
    "meta": {"k": [1, 2]},
    "data": {"annotations": []},
    "status": "pending",
    "is_discarded": False,
    "tags": [1],
    "assignments": [],
    "created": "2026-11-27T20:45:44.123456Z",
    "modified": "2026-11-27T20:45:44+09:00",
    "new_field": {"x": 1},
}
SPEC = {
    "id": 1,
    "name": "image_1",
    "description": None,
    "file_type": "image",
    "is_required": True,
    "is_primary": True,
    "is_sequential": False,
    "function_type": None,
    "index": 0,
    "extensions": [".jpg"],
    "configuration": {"k": 1},
}


def _generated_entries() -> set[str]:
    return {name for name in linecache.cache if name.startswith("<synapse_sdk ")}


def _formatted(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def test_a_builder_error_shows_the_generated_line() -> None:
    with pytest.raises(ResponseValidationError) as info:
        plan_for(Task).build({"id": "7"})
    text = _formatted(info.value)
    assert f'File "{plan_for(Task).filename}", line ' in text
    assert plan_for(Task).filename.startswith("<synapse_sdk record builder Task-")
    assert "raise _wrong(_join(path, 'id'), 'an int', v)" in text


def test_a_nested_error_shows_the_step_and_the_nested_builder() -> None:
    row = {"id": 1, "name": "c", "file_specifications": [{"name": "a"}, {"name": 5}]}
    with pytest.raises(ResponseValidationError) as info:
        plan_for(DataCollection).build(row)
    text = _formatted(info.value)
    assert info.value.path == "file_specifications[1].name"
    assert "v = [c" in text and "item(x, f'{at}[{i}]') for i, x in enumerate(v)]" in text
    assert "<synapse_sdk check FileSpecification-" in text  # the item step
    assert "raise _wrong(_join(path, 'name'), 'a string', v)" in text


def test_every_builder_has_its_own_pseudo_filename() -> None:
    import synapse_sdk.resources as resources

    classes = [
        c for c in vars(resources).values() if isinstance(c, type) and hasattr(c, "__record__")
    ]
    names = [plan_for(c).filename for c in classes if attrs.has(c)]
    assert len(names) == len(set(names)) >= 15
    for name in names:
        assert linecache.getlines(name), name


def test_clients_do_not_add_entries() -> None:
    converter = make_converter()
    converter.structure(ROW, Task)
    converter.structure({"id": 1, "file_specifications": [{"name": "a"}]}, DataCollection)
    before = _generated_entries()
    for _ in range(30):
        converter = make_converter()
        converter.structure(ROW, Task)
        converter.structure({"id": 1, "file_specifications": [{"name": "a"}]}, DataCollection)
    assert _generated_entries() == before


@attrs.define(slots=True)
class _Throwaway(Record):
    id: int
    when: Any = None


def test_an_entry_lives_as_long_as_its_builder() -> None:
    plan = RecordPlan(_Throwaway)  # not the cached plan
    name = plan.filename
    assert name in linecache.cache and name != plan_for(_Throwaway).filename
    build = plan.build
    del plan
    gc.collect()
    assert name in linecache.cache  # the function still needs it
    del build
    gc.collect()
    assert name not in linecache.cache


def test_a_step_has_its_source_too() -> None:
    step = check_for(list[TaskStatus]).step
    with pytest.raises(ResponseValidationError) as info:
        step(["pending", 3], "statuses")
    assert info.value.path == "statuses[1]"
    assert "<synapse_sdk check TaskStatus-" in _formatted(info.value)


def test_built_objects_and_errors_pickle() -> None:
    task = plan_for(Task).build(ROW)
    clone = pickle.loads(pickle.dumps(task))
    assert clone.id == 7 and clone.status is TaskStatus.PENDING and clone.meta == {"k": [1, 2]}
    assert clone.created == task.created and clone.data_unit_id == 3
    collection = plan_for(DataCollection).build({"id": 1, "file_specifications": [SPEC]})
    spec = pickle.loads(pickle.dumps(collection.file_specifications[0]))
    assert spec.to_dict() == collection.file_specifications[0].to_dict() == SPEC
    with pytest.raises(ResponseValidationError) as info:
        plan_for(Task).build({"id": 1, "tags": [1, "x"]})
    again = pickle.loads(pickle.dumps(info.value))
    assert again.path == "tags[1]" and str(again) == str(info.value)

"""One type -> check mapping: every field type the resources use has its check in one table, and
the generated builders and the standalone steps (nested values, the datetime hook) agree."""

from __future__ import annotations

import datetime as dt
import enum
import linecache
import types
import typing
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import synapse_sdk.resources  # noqa: F401  (defines every record class)
from synapse_sdk._converter import check_for, make_converter, plan_for
from synapse_sdk._exceptions import ResponseValidationError
from synapse_sdk.resources import Record, Task


def _subclasses(cls: type) -> list[type]:
    out: list[type] = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out


RECORDS = sorted(
    {
        c
        for c in _subclasses(Record)
        if attrs.has(c) and c.__module__.startswith("synapse_sdk.resources.")
    },
    key=lambda c: c.__name__,
)
MISSING = object()


def test_the_resources_are_all_seen() -> None:
    names = {c.__name__ for c in RECORDS}
    assert {"Task", "DataCollection", "FileSpecification", "DataUnitFile", "Job"} <= names
    assert len(RECORDS) >= 19


def _declared_types() -> list[tuple[type, str, Any]]:
    out = []
    for cls in RECORDS:
        hints = typing.get_type_hints(cls)
        out += [(cls, f.attr, hints[f.attr]) for f in plan_for(cls).fields]
    return out


@pytest.mark.parametrize(("cls", "attr", "hint"), _declared_types())
def test_every_field_type_has_its_check_in_the_table(cls: type, attr: str, hint: Any) -> None:
    check = check_for(hint)
    field = next(f for f in plan_for(cls).fields if f.attr == attr)
    assert field.check is check  # the plan takes the table's check, not one of its own
    assert check_for(hint) is check  # cached: one check (and one step) per type
    # Only Any falls back to "any JSON"; every other declared type has a real check.
    assert (check.kind == "JSON") is (hint is Any)
    optional = type(None) in typing.get_args(hint)
    assert check.nullable is (optional or hint is Any)


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__name__)
def test_the_builder_inlines_the_tables_code(cls: type) -> None:
    """The generated source is made of each field's ``Check.code``: no second mapping."""
    plan = plan_for(cls)
    source = "".join(linecache.getlines(plan.filename))
    assert source.startswith("def fill(obj, row, path=''):")
    for f in plan.fields:
        code = f.check.code(f"_join(path, {f.wire!r})")
        block = "\n".join("        " + line for line in code)
        assert block in source, f"{cls.__name__}.{f.attr}: {f.check!r} not inlined"


# -- generated builders vs steps, on random rows -------------------------------------------------

JSON_LEAF = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.text(max_size=4)
)
JSON = st.recursive(
    JSON_LEAF,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=5,
)
TIMESTAMPS = st.sampled_from(
    [
        "2026-11-27T20:45:44.123456Z",
        "2026-11-27T20:45:44+09:00",
        "2026-11-27T20:45:44z",
        "2026-11-27t20:45:44.5z",
        "2026-11-27T20:45:44.12-03:30",
        "2026-11-27",
        "2026-11-27 20:45",
        "20261127T204544Z",
        "2026-13-01T00:00:00Z",
        "2026-11-27T20:45:44+24:00",
        "yesterday",
        "",
    ]
) | st.datetimes(timezones=st.none() | st.just(dt.timezone.utc)).map(dt.datetime.isoformat)


def _valid(tp: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Mostly well-typed values for ``tp`` (a strategy per type: the test's own, on purpose)."""
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return st.one_of([_valid(a, depth) for a in typing.get_args(tp)])
    if tp is type(None):
        return st.none()
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(-5, 10**6)
    if tp is float:
        return st.floats(allow_nan=False) | st.integers()
    if tp is str:
        return st.text(max_size=6)
    if tp is dt.datetime:
        return TIMESTAMPS
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from([m.value for m in tp]) | st.just("NOT_YET_KNOWN")
    if isinstance(tp, type) and attrs.has(tp):
        return _rows(tp, depth + 1) if depth < 2 else st.just({})
    if origin is list:
        return st.lists(_valid(typing.get_args(tp)[0], depth), max_size=3)
    if origin is dict:
        return st.dictionaries(
            st.text(max_size=3), _valid(typing.get_args(tp)[1], depth), max_size=2
        )
    return JSON


def _field_values(cls: type, f: Any, hint: Any, depth: int) -> st.SearchStrategy[Any]:
    values = _valid(hint, depth) | JSON
    if f.wire in plan_for(cls).fk:
        values |= st.fixed_dictionaries({"id": st.integers(1, 9) | st.text(max_size=2)})
        values |= st.just({"name": "no id"})
    return values


def _rows(cls: type, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    hints = typing.get_type_hints(cls)
    optional = {f.wire: _field_values(cls, f, hints[f.attr], depth) for f in plan_for(cls).fields}
    optional["zz_not_in_this_sdk"] = JSON
    return st.fixed_dictionaries({}, optional=optional)


def build_by_steps(cls: type, row: Any, path: str = "") -> Any:
    """The non-generated path: each field through its type's step (``FieldPlan.step``)."""
    plan = plan_for(cls)
    if type(row) is not dict:
        return plan.build(row, None, path)  # the builder's own shape check (one line)
    obj = object.__new__(cls)
    for f in plan.fields:
        value = row.get(f.wire, MISSING)
        if value is MISSING:
            continue
        at = f"{path}.{f.wire}" if path else f.wire
        if f.wire in plan.fk and type(value) is dict:
            value = plan._expanded(obj, f.attr, value, at)
        object.__setattr__(obj, f.attr, f.step(value, at))
    unknown = {k: v for k, v in row.items() if k not in plan.known}
    if unknown:
        object.__setattr__(obj, "_extra", unknown)
    return obj


def snapshot(value: Any) -> Any:
    """Everything an object holds, with types (``TaskStatus.PENDING`` != ``"pending"``)."""
    if isinstance(value, Record):
        out = {}
        for name in (*(f.attr for f in plan_for(type(value)).fields), "_extra", "_cache"):
            try:
                out[name] = snapshot(object.__getattribute__(value, name))
            except AttributeError:
                continue
        return (type(value).__name__, out)
    if isinstance(value, list):
        return [snapshot(v) for v in value]
    if isinstance(value, dict):
        return {k: snapshot(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(snapshot(v) for v in value)
    if isinstance(value, dt.datetime):
        return ("datetime", repr(value))
    return (type(value).__name__, value)


def outcome(build: Any, row: Any) -> Any:
    try:
        return ("ok", snapshot(build(row)))
    except ResponseValidationError as exc:
        return ("error", exc.path, str(exc))


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__name__)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_and_step_paths_agree(cls: type, data: st.DataObject) -> None:
    row = data.draw(_rows(cls))
    generated = outcome(plan_for(cls).build, row)
    stepped = outcome(lambda r: build_by_steps(cls, r), row)
    assert generated == stepped


@given(value=st.one_of(TIMESTAMPS, JSON.filter(lambda v: v is not None)))
def test_the_datetime_hook_is_the_fields_check(value: Any) -> None:
    converter = make_converter()
    field = outcome(lambda v: plan_for(Task).build({"created": v}).created, value)
    hook = outcome(lambda v: converter.structure(v, dt.datetime), value)
    if field[0] == "ok":
        assert hook == field
    else:
        assert hook[0] == "error" and hook[2] == field[2].replace("'created'", "'value'")


@pytest.mark.parametrize(
    ("row", "path", "expected"),
    [
        ({"id": 1, "status": 5}, "status", "one of TaskStatus's values"),
        ({"id": 1, "tags": [1, "2"]}, "tags[1]", "an int"),
        ({"id": 1, "tags": "1"}, "tags", "a list of int"),
        ({"id": 1, "data_unit": {"name": "x"}}, "data_unit", "an id or an object with an id"),
        ({"id": 1, "data_unit": {"id": "x"}}, "data_unit", "an int"),
        ({"id": 1, "data_unit": "x"}, "data_unit", "an int"),
        ({"id": None}, "id", "a value, not null"),
    ],
)
def test_error_paths_and_wording(row: dict[str, Any], path: str, expected: str) -> None:
    for build in (plan_for(Task).build, lambda r: build_by_steps(Task, r)):
        with pytest.raises(ResponseValidationError) as info:
            build(row)
        assert info.value.path == path
        assert f"should be {expected}, got" in str(info.value)

"""The one mapping from field types to checks (:func:`check_for`), and the per-class record plans
made of them (:func:`plan_for`)."""

from __future__ import annotations

import datetime as _dt
import enum
import types
import typing
from typing import Any

import attrs

from synapse_sdk._converter._builders import (
    MISSING,
    Check,
    Step,
    compile_record,
    wrong,
)
from synapse_sdk._converter._isotime import format_iso
from synapse_sdk._converter._lazy import compile_lazy, complete

__all__ = ["FieldPlan", "RecordPlan", "check_for", "plan_for", "unstructure_value"]


# -- the table: field type -> check ----------------------------------------------------------------


def _scalar(kind: str, types_: tuple[type, ...], what: str) -> Check:
    test = " and ".join(f"type(v) is not {t.__name__}" for t in types_)
    return Check(kind, (f"if {test}:", f"    raise _wrong($at, {what!r}, v)"))


_TIMESTAMP = (
    "if type(v) is not str:",
    "    raise _wrong($at, 'an ISO-8601 timestamp', v)",
    "try:",
    "    v = _fromiso(v)",
    "except ValueError:",
    "    v = _timestamp(v, $at)",
)
_JSON = ("if type(v) is dict or type(v) is list:", "    v = copy_json(v)")
_OBJECT = (
    "if type(v) is not dict:",
    "    raise _wrong($at, 'an object', v)",
    "v = copy_json(v) if v else {}",
)

#: Checks of the types that need no parameters.
_SIMPLE: dict[Any, Check] = {
    bool: _scalar("bool", (bool,), "a boolean"),
    int: _scalar("int", (int,), "an int"),
    float: _scalar("float", (float, int), "a number"),
    str: _scalar("str", (str,), "a string"),
    _dt.datetime: Check("datetime", _TIMESTAMP),
    dict: Check("dict", _OBJECT),
}
_INT_OR_STR = _scalar("int or str", (int, str), "an int or a string")


def _enum(cls: type[enum.Enum]) -> Check:
    """An enum, or a string it does not know yet: the enum's pseudo-member for it when the enum
    has a ``_from_wire`` hook (the SDK's choice enums do), else the string."""
    what = f"one of {cls.__name__}'s values"
    return Check(
        cls.__name__,
        (
            "if type(v) is not str:",
            f"    raise _wrong($at, {what!r}, v)",
            "e = ${ns}members.get(v)",
            "if e is None:",
            "    v = _unknown_enum(${ns}enum, v, $at)",
            "else:",
            "    v = e",
        ),
        {"members": dict(cls._value2member_map_), "enum": cls},
    )


def _record(cls: type) -> Check:
    # The plan is looked up when a value comes (record types may refer to themselves).
    line = "v = ${ns}plan_for(${ns}cls).build(v, None, $at)"
    return Check(cls.__name__, (line,), {"plan_for": plan_for, "cls": cls})


_ITEMS: dict[str, tuple[str, Any]] = {
    "int": ("an int", lambda x: type(x) is int),
    "str": ("a string", lambda x: type(x) is str),
}


def _list(item: Check) -> Check:
    if item.kind == "JSON":
        lines: tuple[str, ...] = ("if type(v) is not list:", "    raise _wrong($at, 'a list', v)")
        return Check("list", (*lines, "v = copy_json(v)"))
    kind = f"list[{item.kind}]"
    head = ("if type(v) is not list:", f"    raise _wrong($at, {'a list of ' + item.kind!r}, v)")
    if item.kind in _ITEMS and not item.nullable:  # a loop of type tests: no call per item
        what, ok = _ITEMS[item.kind]
        loop = (
            "for x in v:",
            f"    if type(x) is not {item.kind}:",
            f"        raise _bad_item($at, v, ${{ns}}ok, {what!r})",
            "v = list(v)",
        )
        return Check(kind, (*head, *loop), {"ok": ok})
    each = ("at = $at", "v = [${ns}item(x, f'{at}[{i}]') for i, x in enumerate(v)]")
    return Check(kind, (*head, *each), {"item": item.step})


def _dict(value: Check) -> Check:
    if value.kind == "JSON":
        return _SIMPLE[dict]
    return Check(
        f"dict[str, {value.kind}]",
        (
            "if type(v) is not dict:",
            f"    raise _wrong($at, {'an object of ' + value.kind!r}, v)",
            "at = $at",
            "v = {k: ${ns}item(x, f'{at}.{k}') for k, x in v.items()}",
        ),
        {"item": value.step},
    )


def _nullable(check: Check) -> Check:
    return Check(check.kind, check.lines, check.ns, nullable=True)


def _make(tp: Any) -> Check:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        optional = len(args) != len(typing.get_args(tp))
        enums = [a for a in args if isinstance(a, type) and issubclass(a, enum.Enum)]
        if enums and set(args) <= {enums[0], str}:
            check = _enum(enums[0])
        elif len(args) == 1:
            check = check_for(args[0])
        elif set(args) <= {int, str}:
            check = _INT_OR_STR
        else:
            check = Check("JSON", _JSON)
        return _nullable(check) if optional and not check.nullable else check
    if tp is Any or tp is object:
        return Check("JSON", _JSON, nullable=True)
    if tp in _SIMPLE:
        return _SIMPLE[tp]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enum(tp)
    if isinstance(tp, type) and attrs.has(tp):
        return _record(tp)
    if origin is list or tp is list:
        return _list(check_for((typing.get_args(tp) or (Any,))[0]))
    if origin is dict:
        return _dict(check_for(typing.get_args(tp)[1]))
    return Check("JSON", _JSON, nullable=True)


_CHECKS: dict[Any, Check] = {}


def check_for(tp: Any) -> Check:
    """The check of a field type: the one place a type gets its meaning on the wire.

    Both the generated builders (which inline :meth:`Check.code`) and the standalone steps
    (:attr:`Check.step`, for nested values and the converter's datetime hook) come from it.
    """
    check = _CHECKS.get(tp)
    if check is None:
        check = _CHECKS[tp] = _make(tp)
    return check


# -- plans -------------------------------------------------------------------------------------


@attrs.frozen
class FieldPlan:
    """How one attrs field maps to the wire."""

    attr: str
    wire: str
    check: Check
    fk: bool = False

    @property
    def nullable(self) -> bool:
        return self.check.nullable

    @property
    def kind(self) -> str:
        return self.check.kind

    @property
    def step(self) -> Step:
        """The field's check as a function (a foreign key's expansion is the builder's job)."""
        return self.check.step


class RecordPlan:
    """The compiled wire mapping of one record class (built once per class, then cached).

    ``build``/``fill`` are generated Python functions with every field's check inlined (the same
    technique cattrs uses for its structure functions). cattrs' own generated functions cannot
    leave missing fields unset, keep unknown keys or copy JSON containers, which partial objects,
    forward compatibility and change tracking need; the per-field loop this replaces cost about
    three times as much per row. ``filename`` names their source in :mod:`linecache`.
    """

    def __init__(self, cls: type) -> None:
        hints = typing.get_type_hints(cls)
        self.cls = cls
        self.fields: list[FieldPlan] = []
        for field in attrs.fields(cls):
            if not field.init and field.name.startswith("_"):
                continue
            wire = field.metadata.get("wire", field.name)
            fk = bool(field.metadata.get("fk"))
            self.fields.append(FieldPlan(field.name, wire, check_for(hints[field.name]), fk))
        self.by_wire = {f.wire: f for f in self.fields}
        self.by_attr = {f.attr: f for f in self.fields}
        self.known = frozenset(self.by_wire)
        self.fk = {f.wire for f in self.fields if f.fk}
        self.build, self.fill, self.filename = compile_record(self)
        self._lazy: Any = None

    @property
    def lazy(self) -> Any:
        """``lazy(row)``: the object with its row's shape checked and its fields converted on
        first read (:mod:`synapse_sdk._converter._lazy`; generated on first use)."""
        if self._lazy is None:
            self._lazy = compile_lazy(self)
        return self._lazy

    def _expanded(self, obj: Any, attr: str, value: dict[str, Any], path: str) -> Any:
        """An expanded foreign key (``?expand=data_unit``): keep the id, cache the object."""
        if "id" not in value:
            raise wrong(path, "an id or an object with an id", value)
        target = attrs.fields_dict(self.cls)[attr].metadata["fk"]
        cache = getattr(obj, "_cache", None) or {}
        cache[attr] = (target, value)
        object.__setattr__(obj, "_cache", cache)
        return value["id"]

    def to_wire(self, obj: Any) -> dict[str, Any]:
        """Return the wire form of ``obj``: its set fields plus the unknown ones it came with."""
        complete(obj)
        out: dict[str, Any] = {}
        for f in self.fields:
            value = _get_set(obj, f.attr)
            if value is MISSING:
                continue
            out[f.wire] = unstructure_value(value)
        extra = _get_set(obj, "_extra")
        if extra is not MISSING and extra:
            for k, v in extra.items():
                out.setdefault(k, v)
        return out


def _get_set(obj: Any, name: str) -> Any:
    try:
        return object.__getattribute__(obj, name)
    except AttributeError:
        return MISSING


def unstructure_value(value: Any) -> Any:
    """Turn a field value into JSON (ISO timestamps, enum values, records as dicts)."""
    if value is None or type(value) in (int, str, bool, float):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, _dt.datetime):
        return format_iso(value)
    if isinstance(value, list | tuple):
        return [unstructure_value(v) for v in value]
    if isinstance(value, dict):
        return {k: unstructure_value(v) for k, v in value.items()}
    if attrs.has(type(value)):
        return plan_for(type(value)).to_wire(value)
    return value


_PLANS: dict[type, RecordPlan] = {}


def plan_for(cls: type) -> RecordPlan:
    """Return the cached :class:`RecordPlan` of a record class."""
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = RecordPlan(cls)
    return plan

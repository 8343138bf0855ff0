"""The one cattrs converter per client, and the wire <-> object plans it uses for records.

:func:`make_converter` builds a fresh :class:`cattrs.Converter` and calls
:func:`configure_converter`; nothing here touches ``cattrs.global_converter``.

Records (attrs classes deriving from :class:`synapse_sdk.resources.Record`) are structured by a
plan compiled once per class: for each field its wire name, whether ``None`` is allowed and a
cheap check/convert step. This is the hot path of every listing, so it does the minimum:

* a field the row lacks stays *unset* (a partial object from ``only()``; reading it later loads
  the full object, see ``Resource.__getattr__``);
* unknown keys are kept in ``_extra`` and written back unchanged on save (forward compatibility);
* JSON containers are copied, so in-place edits (``task.meta["k"] = 1``) can be detected by
  comparing with the untouched raw row on save;
* a value of the wrong type raises :class:`ResponseValidationError` naming the field path.
"""

from __future__ import annotations

import datetime as _dt
import enum
import logging
import sys
import types
import typing
from collections.abc import Callable
from typing import Any

import attrs
import cattrs

from synapse_sdk._exceptions import ResponseValidationError

__all__ = [
    "RecordPlan",
    "configure_converter",
    "copy_json",
    "make_converter",
    "parse_datetime",
    "plan_for",
]

log = logging.getLogger("synapse_sdk.converter")

_MISSING = object()


def copy_json(value: Any) -> Any:
    """Return a deep copy of a JSON value (dicts and lists copied, scalars shared)."""
    if type(value) is dict:
        return {k: copy_json(v) if type(v) in (dict, list) else v for k, v in value.items()}
    if type(value) is list:
        return [copy_json(v) if type(v) in (dict, list) else v for v in value]
    return value


def parse_datetime(value: str) -> _dt.datetime:
    """Parse an ISO-8601 timestamp as the backend writes it (``Z`` accepted on Python 3.10)."""
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    return _dt.datetime.fromisoformat(value)


def _format_datetime(value: _dt.datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _wrong(path: str, expected: str, value: Any) -> ResponseValidationError:
    err = ResponseValidationError(
        f"response field {path!r} should be {expected}, got {type(value).__name__} "
        f"{repr(value)[:80]}",
        response=None,
    )
    err.path = path
    return err


Step = Callable[[Any, str], Any]


def _scalar(types_: tuple[type, ...], name: str) -> Step:
    def check(value: Any, path: str) -> Any:
        if type(value) not in types_:
            raise _wrong(path, name, value)
        return value

    return check


def _enum_or_str(enum_cls: type[enum.Enum]) -> Step:
    def convert(value: Any, path: str) -> Any:
        if type(value) is not str:
            raise _wrong(path, f"one of {enum_cls.__name__}'s values", value)
        try:
            return enum_cls(value)
        except ValueError:
            log.debug("unknown %s value %r at %s kept as a string", enum_cls.__name__, value, path)
            return value

    return convert


def _datetime(value: Any, path: str) -> Any:
    if type(value) is not str:
        raise _wrong(path, "an ISO-8601 timestamp", value)
    try:
        return parse_datetime(value)
    except ValueError:
        raise _wrong(path, "an ISO-8601 timestamp", value) from None


def _json_copy(value: Any, path: str) -> Any:
    return copy_json(value)


def _dict_copy(value: Any, path: str) -> Any:
    if type(value) is not dict:
        raise _wrong(path, "an object", value)
    return copy_json(value)


def _list_of(item: Step | None, name: str) -> Step:
    def convert(value: Any, path: str) -> Any:
        if type(value) is not list:
            raise _wrong(path, f"a list of {name}", value)
        if item is None:
            return list(value)
        return [item(v, f"{path}[{i}]") for i, v in enumerate(value)]

    return convert


def _dict_of(item: Step, name: str) -> Step:
    def convert(value: Any, path: str) -> Any:
        if type(value) is not dict:
            raise _wrong(path, f"an object of {name}", value)
        return {k: item(v, f"{path}.{k}") for k, v in value.items()}

    return convert


def _record(cls: type) -> Step:
    def convert(value: Any, path: str) -> Any:
        return plan_for(cls).build(value, None, path)

    return convert


def _step_for(tp: Any) -> tuple[bool, Step | None, str]:
    """Return ``(nullable, step, description)`` for a field type."""
    nullable = False
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        nullable = len(args) != len(typing.get_args(tp))
        enums = [a for a in args if isinstance(a, type) and issubclass(a, enum.Enum)]
        if enums and set(args) <= {enums[0], str}:
            return nullable, _enum_or_str(enums[0]), enums[0].__name__
        if len(args) == 1:
            _, step, name = _step_for(args[0])
            return nullable, step, name
        if set(args) <= {int, str}:
            return nullable, _scalar((int, str), "an int or a string"), "int or str"
        return nullable, _json_copy, "JSON"
    if tp is Any or tp is object:
        return True, _json_copy, "JSON"
    if tp is bool:
        return nullable, _scalar((bool,), "a boolean"), "bool"
    if tp is int:
        return nullable, _scalar((int,), "an int"), "int"
    if tp is float:
        return nullable, _scalar((int, float), "a number"), "float"
    if tp is str:
        return nullable, _scalar((str,), "a string"), "str"
    if tp is _dt.datetime:
        return nullable, _datetime, "datetime"
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return nullable, _enum_or_str(tp), tp.__name__
    if isinstance(tp, type) and attrs.has(tp):
        return nullable, _record(tp), tp.__name__
    if origin is list:
        arg = (typing.get_args(tp) or (Any,))[0]
        _, item, name = _step_for(arg)
        if item is _json_copy:
            return nullable, _dict_or_list_copy(list), "list"
        return nullable, _list_of(item, name), f"list[{name}]"
    if origin is dict or tp is dict:
        kv = typing.get_args(tp)
        if kv and isinstance(kv[1], type) and attrs.has(kv[1]):
            return nullable, _dict_of(_record(kv[1]), kv[1].__name__), "dict of records"
        return nullable, _dict_copy, "dict"
    return True, _json_copy, "JSON"


def _dict_or_list_copy(kind: type) -> Step:
    def convert(value: Any, path: str) -> Any:
        if type(value) is not kind:
            raise _wrong(path, "a list", value)
        return copy_json(value)

    return convert


@attrs.frozen
class FieldPlan:
    """How one attrs field maps to the wire."""

    attr: str
    wire: str
    nullable: bool
    step: Step | None
    kind: str


class RecordPlan:
    """The compiled wire mapping of one record class (built once per class, then cached).

    ``build``/``fill`` are generated Python functions with every field's check inlined (the same
    technique cattrs uses for its structure functions). cattrs' own generated functions cannot
    leave missing fields unset, keep unknown keys or copy JSON containers, which partial objects,
    forward compatibility and change tracking need; the per-field loop this replaces cost about
    three times as much per row.
    """

    def __init__(self, cls: type) -> None:
        hints = typing.get_type_hints(cls)
        self.cls = cls
        self.fields: list[FieldPlan] = []
        for field in attrs.fields(cls):
            if not field.init and field.name.startswith("_"):
                continue
            nullable, step, kind = _step_for(hints[field.name])
            wire = field.metadata.get("wire", field.name)
            self.fields.append(FieldPlan(field.name, wire, nullable, step, kind))
        self.by_wire = {f.wire: f for f in self.fields}
        self.known = frozenset(self.by_wire)
        self.fk = {f.wire for f in self.fields if _field_meta(cls, f.attr).get("fk")}
        self.build, self.fill = _compile(self, hints)

    def _expanded(self, obj: Any, attr: str, value: dict[str, Any], path: str) -> Any:
        """An expanded foreign key (``?expand=data_unit``): keep the id, cache the object."""
        if "id" not in value:
            raise _wrong(_join(path, attr), "an id or an object with an id", value)
        target = _field_meta(self.cls, attr)["fk"]
        cache = getattr(obj, "_cache", None) or {}
        cache[attr] = (target, value)
        object.__setattr__(obj, "_cache", cache)
        return value["id"]

    def to_wire(self, obj: Any) -> dict[str, Any]:
        """Return the wire form of ``obj``: its set fields plus the unknown ones it came with."""
        out: dict[str, Any] = {}
        for f in self.fields:
            value = _get_set(obj, f.attr)
            if value is _MISSING:
                continue
            out[f.wire] = unstructure_value(value)
        extra = _get_set(obj, "_extra")
        if extra is not _MISSING and extra:
            for k, v in extra.items():
                out.setdefault(k, v)
        return out


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _bad_item(path: str, wire: str, items: list[Any], ok: Callable[[Any], bool], what: str) -> Any:
    index = next(i for i, x in enumerate(items) if not ok(x))
    return _wrong(f"{_join(path, wire)}[{index}]", what, items[index])


def _unknown_enum(enum_cls: type, value: str, path: str, wire: str) -> None:
    log.debug(
        "unknown %s value %r at %s kept as a string", enum_cls.__name__, value, _join(path, wire)
    )


if sys.version_info >= (3, 11):
    _fromiso: Callable[[str], _dt.datetime] = _dt.datetime.fromisoformat
else:  # 3.10's fromisoformat knows neither "Z" nor every fraction width
    _fromiso = parse_datetime

_SCALARS = {"int": ("int", "an int"), "str": ("str", "a string"), "bool": ("bool", "a boolean")}


def _field_code(i: int, f: FieldPlan, fk: bool, hint: Any, ns: dict[str, Any]) -> list[str]:
    """Source lines that check/convert ``v`` (already known not to be None) for one field."""
    w = repr(f.wire)
    lines: list[str] = []
    if fk:
        lines += [
            "if type(v) is dict:",
            f"    v = plan._expanded(obj, {f.attr!r}, v, path)",
            "elif type(v) is not int:",
            f"    raise _wrong(_join(path, {w}), 'an id', v)",
        ]
        return lines
    if f.kind in _SCALARS:
        tname, what = _SCALARS[f.kind]
        return [f"if type(v) is not {tname}:", f"    raise _wrong(_join(path, {w}), {what!r}, v)"]
    if f.kind == "float":
        return [
            "if type(v) is not float and type(v) is not int:",
            f"    raise _wrong(_join(path, {w}), 'a number', v)",
        ]
    if f.kind == "datetime":
        return [
            "if type(v) is not str:",
            f"    raise _wrong(_join(path, {w}), 'an ISO-8601 timestamp', v)",
            "try:",
            "    v = _fromiso(v)",
            "except ValueError:",
            f"    raise _wrong(_join(path, {w}), 'an ISO-8601 timestamp', v) from None",
        ]
    if f.kind == "dict":
        return [
            "if type(v) is not dict:",
            f"    raise _wrong(_join(path, {w}), 'an object', v)",
            "v = copy_json(v) if v else {}",
        ]
    if f.kind == "JSON":
        return ["if type(v) is dict or type(v) is list:", "    v = copy_json(v)"]
    enum_cls = _enum_of(hint)
    if enum_cls is not None:
        ns[f"E{i}"] = enum_cls
        ns[f"M{i}"] = dict(enum_cls._value2member_map_)
        return [
            "if type(v) is not str:",
            f"    raise _wrong(_join(path, {w}), 'one of {enum_cls.__name__} values', v)",
            f"e = M{i}.get(v)",
            "if e is None:",
            f"    _unknown_enum(E{i}, v, path, {w})",
            "else:",
            "    v = e",
        ]
    item = _list_item_type(hint)
    if item in (int, str):
        ns[f"OK{i}"] = lambda x, t=item: type(x) is t
        tname = item.__name__
        return [
            "if type(v) is not list:",
            f"    raise _wrong(_join(path, {w}), 'a list', v)",
            "for x in v:",
            f"    if type(x) is not {tname}:",
            f"        raise _bad_item(path, {w}, v, OK{i}, 'a {tname}')",
            "v = list(v)",
        ]
    ns[f"S{i}"] = f.step
    return [f"v = S{i}(v, _join(path, {w}))"] if f.step is not None else []


def _enum_of(hint: Any) -> type[enum.Enum] | None:
    args = (
        typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else ()
    )
    for arg in (hint, *args):
        if isinstance(arg, type) and issubclass(arg, enum.Enum):
            return arg
    return None


def _list_item_type(hint: Any) -> Any:
    args = (
        typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else ()
    )
    for arg in (hint, *args):
        if typing.get_origin(arg) is list:
            return (typing.get_args(arg) or (Any,))[0]
    return None


def _compile(plan: RecordPlan, hints: dict[str, Any]) -> tuple[Any, Any]:
    """Generate ``build(row, _type=None, path="")`` and ``fill(obj, row, path="")`` for a plan."""
    ns: dict[str, Any] = {
        "plan": plan,
        "CLS": plan.cls,
        "KNOWN": plan.known,
        "M": _MISSING,
        "_wrong": _wrong,
        "_join": _join,
        "_bad_item": _bad_item,
        "_unknown_enum": _unknown_enum,
        "_fromiso": _fromiso,
        "copy_json": copy_json,
        "new": object.__new__,
    }
    body = ["get = row.get"]
    for i, f in enumerate(plan.fields):
        convert = _field_code(i, f, f.wire in plan.fk, hints[f.attr], ns)
        null = (
            f"    obj.{f.attr} = None"
            if f.nullable
            else f"    raise _wrong(_join(path, {f.wire!r}), 'a value, not null', None)"
        )
        body += [
            f"v = get({f.wire!r}, M)",
            "if v is not M:",
            "    if v is None:",
            "    " + null,
            "    else:",
            *("        " + line for line in convert),
            f"        obj.{f.attr} = v",
        ]
    body += [
        "if not row.keys() <= KNOWN:",
        "    obj._extra = copy_json({k: row[k] for k in row.keys() - KNOWN})",
    ]
    indented = "\n".join("    " + line for line in body)
    source = (
        "def fill(obj, row, path=''):\n"
        f"{indented}\n\n"
        "def build(row, _type=None, path=''):\n"
        "    if type(row) is not dict:\n"
        "        raise _wrong(path, 'a ' + CLS.__name__ + ' object', row)\n"
        "    obj = new(CLS)\n"
        f"{indented}\n"
        "    return obj\n"
    )
    exec(compile(source, f"<synapse_sdk record plan {plan.cls.__name__}>", "exec"), ns)
    return ns["build"], ns["fill"]


def _get_set(obj: Any, name: str) -> Any:
    try:
        return object.__getattribute__(obj, name)
    except AttributeError:
        return _MISSING


def _field_meta(cls: type, attr: str) -> Any:
    return attrs.fields_dict(cls)[attr].metadata


def unstructure_value(value: Any) -> Any:
    """Turn a field value into JSON (ISO timestamps, enum values, records as dicts)."""
    if value is None or type(value) in (int, str, bool, float):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, _dt.datetime):
        return _format_datetime(value)
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


def _is_record(tp: Any) -> bool:
    return isinstance(tp, type) and attrs.has(tp) and hasattr(tp, "__record__")


def configure_converter(converter: cattrs.Converter) -> None:
    """Register the SDK's hooks on ``converter``.

    * records structure through their compiled :class:`RecordPlan` (partial rows allowed,
      unknown keys kept, wrong types reported with the field path) and unstructure to their
      wire form;
    * datetimes read and write ISO-8601 (``Z`` for UTC);
    * enums unstructure to their values.
    """
    converter.register_structure_hook_factory(_is_record, lambda cls: plan_for(cls).build)
    converter.register_unstructure_hook_factory(
        _is_record, lambda cls: lambda obj: plan_for(cls).to_wire(obj)
    )
    converter.register_structure_hook(_dt.datetime, lambda v, _: _datetime(v, "value"))
    converter.register_unstructure_hook(_dt.datetime, _format_datetime)


def make_converter() -> cattrs.Converter:
    """Build a new converter configured for the SDK (one per client)."""
    converter = cattrs.Converter()
    configure_converter(converter)
    return converter

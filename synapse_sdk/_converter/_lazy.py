"""Lazy rows: a resource built from a wire row converts each field on first read.

The listing hot path (``manager.build``) does not convert a row; it checks its *shape* and keeps
it. :func:`compile_lazy` generates, per record class, ``lazy(row)`` that

1. checks every shallow field's JSON type in one expression (a string where a timestamp or an
   enum goes, an int for an int field, an object for a ``dict`` field, ``null`` only where the
   field allows it). A row that fails it, or that has a foreign key expanded to an object, goes
   to the eager builder (``RecordPlan.build``), which raises the
   :class:`ResponseValidationError` naming the field (or caches the expanded object);
2. converts the *deep* fields at once (nested records, lists and dicts of records or enums:
   their errors name the nested path, ``files.image_1.size``, as the eager builder's do);
3. sets the id and the foreign-key ids (plain ints: nothing to convert; relations, equality and
   hashing read them) and keeps the row as ``_raw``.

Every other field stays an unset slot; the first read reaches ``__getattr__`` (only ever called
for unset slots), which converts the value from ``_raw`` with the field's check
(:func:`resolve`): the same code as the eager builder, so what is refused and how values are
copied (JSON containers are copied, ``_raw`` stays untouched for change tracking) is the same.
Two errors the shape check cannot see are reported on that first read: a string that is not an
ISO-8601 timestamp, and a wrong item in a list of ints or strings (``tags: [1, "x"]``); the
error's ``path`` names the field (``tags[1]``). ``obj.validate()`` converts
everything at once.

Listings build a page at a time (``lazy.page(rows, manager)``): the same shape check, run column by
column over the page (``frozenset.issuperset(map(type, map(itemgetter(key), rows)))``: the loop
over the rows runs in C), then one plain loop sets the ids and keeps the rows. A page with a
row that is not an object, lacks a checked key, or fails the check is built row by row by
``lazy`` instead, so every outcome (and every error, naming its field) is ``lazy``'s.

:func:`complete` converts what is still pending (and the unknown fields into ``_extra``): the
wire form, pickling, copying, display and ``validate()`` call it first.
"""

from __future__ import annotations

from itertools import repeat
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from synapse_sdk._converter._builders import MISSING, RUNTIME, _exec, copy_json

if TYPE_CHECKING:
    from synapse_sdk._converter._plan import FieldPlan, RecordPlan

__all__ = ["MISSING", "compile_lazy", "complete", "peek", "resolve"]

_NONE = type(None)
_MISSING_T = type(MISSING)

#: The JSON types each check kind accepts (the shape check); a kind not listed takes anything.
_SHAPES: dict[str, tuple[type, ...]] = {
    "bool": (bool,),
    "int": (int,),
    "float": (float, int),
    "str": (str,),
    "datetime": (str,),
    "dict": (dict,),
    "int or str": (int, str),
    "list": (list,),
    "list[int]": (list,),  # the items are checked on first read
    "list[str]": (list,),
}


def _deep(f: FieldPlan) -> bool:
    """Whether a field holds nested records or typed items: converted when the row is built
    (their errors name the nested path at once, as the eager builder's do)."""
    kind = f.kind
    if kind in _SHAPES:
        return False
    if kind.startswith("list[") or kind.startswith("dict["):
        return True
    return "plan_for" in f.check.ns  # a nested record


def _accepted(f: FieldPlan) -> frozenset[type] | None:
    """The JSON types a shallow field accepts (``None``: anything, a JSON field)."""
    kind = f.kind
    types_ = _SHAPES.get(kind)
    if types_ is None:
        if kind == "JSON":
            return None
        types_ = (str,)  # an enum: a string (unknown values become pseudo-members)
    extra = (_NONE,) if f.nullable else ()
    return frozenset((*types_, *extra, _MISSING_T))


def compile_lazy(plan: RecordPlan) -> Any:
    """Generate ``lazy(row, manager=None)`` for ``plan`` (see the module docstring): the object,
    bound to ``manager``, its row kept as ``_raw``; ``lazy.page(rows, manager=None)`` builds the
    list of a page's objects at once."""
    ns: dict[str, Any] = {
        **RUNTIME,
        "plan": plan,
        "CLS": plan.cls,
        "M": MISSING,
        "new": object.__new__,
        "build": plan.build,
        "bound": _bound,
        "repeat": repeat,
        "ONLY_DICTS": frozenset({dict}).issuperset,
    }
    tests: list[str] = []
    columns: list[str] = []
    eager: list[str] = []
    keyed: list[str] = []  # the page builder's lines: every checked key is in every row
    for index, f in enumerate(plan.fields):
        get = f"v = get({f.wire!r}, M)"
        if _deep(f):
            ns[f"S{index}"] = f.check.step
            lines = [get, "if v is not M:", f"    obj.{f.attr} = S{index}(v, {f.wire!r})"]
            eager += lines
            keyed += lines
            continue
        accepted = _accepted(f)
        if accepted is not None:
            ns[f"T{index}"] = accepted
            ns[f"C{index}"] = accepted.issuperset
            ns[f"G{index}"] = itemgetter(f.wire)
            tests.append(f"type(get({f.wire!r}, M)) not in T{index}")
            columns.append(f"C{index}(map(type, map(G{index}, rows)))")
        if f.attr == "id" or f.fk:
            eager += [get, "if v is not M:", f"    obj.{f.attr} = v"]
            if accepted is not None:
                keyed.append(f"obj.{f.attr} = row[{f.wire!r}]")
            else:
                keyed += [get, "if v is not M:", f"    obj.{f.attr} = v"]
    condition = " or ".join(tests) or "False"
    checked = " and ".join(["ONLY_DICTS(map(type, rows))", *columns])
    if any(line.startswith("v = get(") for line in keyed):
        keyed.insert(0, "get = row.get")
    source = "\n".join(
        [
            "def lazy(row, manager=None):",
            "    if type(row) is not dict:",
            "        return bound(build(row), row, manager)",
            "    get = row.get",
            f"    if {condition}:",
            "        # raises, naming the field (or expands a foreign key):",
            "        return bound(build(row), row, manager)",
            "    obj = new(CLS)",
            *[f"    {line}" for line in eager],
            "    obj._raw = row",
            "    obj._manager = manager",
            "    return obj",
            "",
            "def page(rows, manager=None):",
            "    try:",
            f"        whole = {checked}",
            "    except KeyError:  # a row without a checked key (a partial row)",
            "        whole = False",
            "    if not whole:",
            "        return [lazy(row, manager) for row in rows]",
            "    objs = list(map(new, repeat(CLS, len(rows))))",
            "    for obj, row in zip(objs, rows):",
            *[f"        {line}" for line in keyed],
            "        obj._raw = row",
            "        obj._manager = manager",
            "    return objs",
            "",
            "lazy.page = page",
            "",
        ]
    )
    _exec("lazy builder", plan.cls.__name__, source, ns, "plan")
    return ns["lazy"]


def _bound(obj: Any, row: dict[str, Any], manager: Any) -> Any:
    obj._raw = row
    obj._manager = manager
    return obj


def _unset(obj: Any, name: str) -> bool:
    try:
        object.__getattribute__(obj, name)
    except AttributeError:
        return True
    return False


def _raw(obj: Any) -> dict[str, Any] | None:
    try:
        raw = object.__getattribute__(obj, "_raw")
    except AttributeError:
        return None
    return raw if type(raw) is dict else None


def resolve(obj: Any, name: str) -> Any:
    """Convert field ``name`` of ``obj`` from its row if it is pending; return the value, or
    ``MISSING`` when the row does not have it (a partial row or a stub: the caller loads)."""
    raw = _raw(obj)
    if raw is None:
        return MISSING
    from synapse_sdk._converter._plan import plan_for

    plan = plan_for(type(obj))
    field = plan.by_attr.get(name)
    if field is None or field.wire not in raw:
        return MISSING
    value = field.step(raw[field.wire], field.wire)
    object.__setattr__(obj, name, value)
    return value


def peek(obj: Any, name: str) -> Any:
    """The field's value if it is loaded or pending in the row (never any I/O), else
    ``MISSING``."""
    try:
        return object.__getattribute__(obj, name)
    except AttributeError:
        return resolve(obj, name)


def complete(obj: Any) -> None:
    """Convert every pending field of ``obj`` and its unknown fields (``_extra``) now."""
    raw = _raw(obj)
    if raw is None:
        return
    from synapse_sdk._converter._plan import plan_for

    plan = plan_for(type(obj))
    for field in plan.fields:
        if field.wire in raw and _unset(obj, field.attr):
            object.__setattr__(obj, field.attr, field.step(raw[field.wire], field.wire))
    if _unset(obj, "_extra") and not raw.keys() <= plan.known:
        object.__setattr__(obj, "_extra", copy_json({k: raw[k] for k in raw.keys() - plan.known}))

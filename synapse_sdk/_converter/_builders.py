"""Code generation for the record plans: a :class:`Check` per field type, compiled into a
standalone *step* and inlined into the per-class *builders*, with every generated source
registered in :mod:`linecache` so tracebacks show the generated lines.

A check is a few lines of Python over ``v`` (the wire value) that leave the converted value in
``v`` or raise :func:`wrong`; ``$at`` in them stands for the expression of the field's path and
``${ns}`` prefixes the names the check brings along (so two checks' names never clash in one
builder). Steps and builders are made from the same lines (:meth:`Check.code`), so the two can
not disagree.

The generated sources live as long as the functions made from them: one entry per check and
per record class (both are cached), never per client.
"""

from __future__ import annotations

import itertools
import linecache
import logging
import string
import weakref
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from synapse_sdk._converter._isotime import fast_parse, parse_form
from synapse_sdk._exceptions import ResponseValidationError

if TYPE_CHECKING:
    from synapse_sdk._converter._plan import RecordPlan

__all__ = ["MISSING", "Check", "Step", "compile_record", "copy_json", "join", "wrong"]

Step = Callable[[Any, str], Any]

MISSING = object()
_SERIAL = itertools.count(1)
log = logging.getLogger("synapse_sdk.converter")


def copy_json(value: Any) -> Any:
    """Return a deep copy of a JSON value (dicts and lists copied, scalars shared)."""
    if type(value) is dict:
        return {k: copy_json(v) if type(v) in (dict, list) else v for k, v in value.items()}
    if type(value) is list:
        return [copy_json(v) if type(v) in (dict, list) else v for v in value]
    return value


def wrong(path: str, expected: str, value: Any) -> ResponseValidationError:
    """The error for a value of the wrong shape at ``path`` (the value is shown shortened)."""
    err = ResponseValidationError(
        f"response field {path!r} should be {expected}, got {type(value).__name__} "
        f"{repr(value)[:80]}",
        response=None,
    )
    err.path = path
    return err


def join(path: str, name: str) -> str:
    """``path.name`` (``name`` alone at the top)."""
    return f"{path}.{name}" if path else name


def _index(path: str, index: int) -> str:
    return f"{path}[{index}]"


def _bad_item(path: str, items: list[Any], ok: Callable[[Any], bool], what: str) -> Any:
    index = next(i for i, x in enumerate(items) if not ok(x))
    return wrong(_index(path, index), what, items[index])


def _timestamp(value: str, path: str) -> Any:
    """The slow path of the ISO parser (after ``fast_parse`` refused ``value``)."""
    try:
        return parse_form(value)
    except ValueError:
        raise wrong(path, "an ISO-8601 timestamp", value) from None


def _unknown_enum(enum_cls: type, value: str, path: str) -> Any:
    """A value outside ``enum_cls``'s members: its pseudo-member (``_from_wire``), else the
    string as is; logged at debug level either way."""
    hook = getattr(enum_cls, "_from_wire", None)
    log.debug(
        "unknown %s value %r at %s kept as %s",
        enum_cls.__name__,
        value,
        path,
        "a pseudo-member" if hook is not None else "a string",
    )
    return value if hook is None else hook(value)


#: The names generated code may use besides its checks' own.
RUNTIME: dict[str, Any] = {
    "_wrong": wrong,
    "_join": join,
    "_bad_item": _bad_item,
    "_fromiso": fast_parse,
    "_timestamp": _timestamp,
    "_unknown_enum": _unknown_enum,
    "copy_json": copy_json,
}


def _exec(kind: str, name: str, source: str, ns: dict[str, Any], owner: str) -> str:
    """Run ``source`` in ``ns`` under a new pseudo-filename, its text in :mod:`linecache` for as
    long as ``ns[owner]`` lives (``traceback`` shows generated lines like any others)."""
    filename = f"<synapse_sdk {kind} {name}-{next(_SERIAL)}>"
    exec(compile(source, filename, "exec"), ns)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    weakref.finalize(ns[owner], linecache.cache.pop, filename, None)
    return filename


def _indent(lines: list[str], depth: int = 1) -> list[str]:
    return [("    " * depth + line) if line else line for line in lines]


class Check:
    """How the values of one field type are checked and converted (see the module docstring).

    ``nullable`` says whether ``None`` is accepted; ``kind`` names the type (``"int"``,
    ``"datetime"``, ``"list[int]"``, ``"TaskStatus"`` ...).
    """

    __slots__ = ("__weakref__", "_step", "kind", "lines", "ns", "nullable", "prefix")

    def __init__(
        self,
        kind: str,
        lines: tuple[str, ...],
        ns: Mapping[str, Any] | None = None,
        *,
        nullable: bool = False,
    ) -> None:
        self.kind = kind
        self.lines = lines
        self.ns = dict(ns or {})
        self.nullable = nullable
        self.prefix = f"c{next(_SERIAL)}_"
        self._step: Step | None = None

    def __repr__(self) -> str:
        return f"<Check {self.kind}{' | None' if self.nullable else ''}>"

    def names(self) -> dict[str, Any]:
        """The check's own names as its code spells them."""
        return {self.prefix + k: v for k, v in self.ns.items()}

    def code(self, at: str, head: tuple[str, ...] = ()) -> list[str]:
        """Source lines over ``v`` (``None`` included) for the path expression ``at``.

        ``head`` runs first, before the null check (a foreign key's expansion).
        """
        subst = {"at": at, "ns": self.prefix}
        head_lines = [string.Template(line).substitute(subst) for line in head]
        body = [string.Template(line).substitute(subst) for line in self.lines]
        if self.nullable:
            return [*head_lines, "if v is not None:", *_indent(body or ["pass"])]
        return [
            *head_lines,
            "if v is None:",
            f"    raise _wrong({at}, 'a value, not null', None)",
            *body,
        ]

    @property
    def step(self) -> Step:
        """``step(value, path)``: the check as a function (compiled on first use)."""
        if self._step is None:
            source = "\n".join(["def step(v, path):", *_indent(self.code("path")), "    return v"])
            ns = {**RUNTIME, **self.names()}
            _exec("check", self.kind, source + "\n", ns, "step")
            self._step = ns["step"]
        return self._step


def compile_record(plan: RecordPlan) -> tuple[Any, Any, str]:
    """Generate ``build(row, _type=None, path="")`` and ``fill(obj, row, path="")`` for a plan.

    Returns the two functions and their source's pseudo-filename.
    """
    ns: dict[str, Any] = {
        **RUNTIME,
        "plan": plan,
        "CLS": plan.cls,
        "KNOWN": plan.known,
        "M": MISSING,
        "new": object.__new__,
    }
    body = ["get = row.get"]
    for f in plan.fields:
        ns.update(f.check.names())
        head = (
            ("if type(v) is dict:", f"    v = plan._expanded(obj, {f.attr!r}, v, $at)")
            if f.fk
            else ()
        )
        body += [
            f"v = get({f.wire!r}, M)",
            "if v is not M:",
            *_indent(f.check.code(f"_join(path, {f.wire!r})", head)),
            f"    obj.{f.attr} = v",
        ]
    body += [
        "if not row.keys() <= KNOWN:",
        "    obj._extra = copy_json({k: row[k] for k in row.keys() - KNOWN})",
    ]
    source = "\n".join(
        [
            "def fill(obj, row, path=''):",
            *_indent(body),
            "",
            "def build(row, _type=None, path=''):",
            "    if type(row) is not dict:",
            "        raise _wrong(path, 'a ' + CLS.__name__ + ' object', row)",
            "    obj = new(CLS)",
            *_indent(body),
            "    return obj",
            "",
        ]
    )
    # Both functions' globals hold the plan: its source lives as long as either of them.
    filename = _exec("record builder", plan.cls.__name__, source, ns, "plan")
    return ns["build"], ns["fill"], filename

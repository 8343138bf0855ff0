"""Endpoint declarations: each REST endpoint of the backend described once, as data.

An :class:`Endpoint` names the collection path, the list path, the kind of id its detail routes
take, the filters and orderings its list accepts, the operations it supports and its extra
actions. The typed managers, the seed's flat methods, the local backend's route-parity test and
the docs all read these declarations; no path string is written twice in the package.

This module also validates what goes into a URL or a query string, before any I/O:

* :func:`check_id` refuses ids that are not positive ints (or well-formed UUIDs / lookups), so a
  hostile ``".."`` or ``"7?role=admin"`` can never reach a URL (reliability rule 5);
* :meth:`Endpoint.check_filters` refuses unknown filter keys with the closest valid key and values
  of the wrong kind; :meth:`Endpoint.encode_filters` drops ``None`` values and encodes booleans,
  lists and datetimes the way the backend reads them.

A family's filters are declared once, as a ``total=False`` ``TypedDict`` (``TaskFilters``) with a
docstring under each key: type checkers read it through ``filter(**filters: Unpack[...])`` and
:func:`filter_kinds` derives the runtime kinds from its annotations when the endpoint is declared.
"""

from __future__ import annotations

import collections.abc
import datetime as _dt
import difflib
import enum
import re
import types
import typing
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import attrs

from synapse_sdk._http import encode_query_value
from synapse_sdk._http._urls import register_secret_path

__all__ = [
    "Action",
    "Endpoint",
    "FilterKind",
    "IdKind",
    "check_id",
    "encode_query_value",
    "filter_choices",
    "filter_kinds",
]

#: What a detail route's id may be: ``int`` (a positive int), ``uuid`` (a UUID or its canonical
#: string), ``int_or_uuid`` (either: job ids) or ``lookup`` (an int or a code string).
IdKind = Literal["int", "uuid", "int_or_uuid", "lookup"]
#: What a filter's value may be: ``int``; ``ints`` (one int or several); ``bool``; ``str`` (or a
#: str enum); ``strs``; ``datetime`` (a datetime, a date or an ISO string); ``lookup`` (an id or a
#: code string); ``any`` (not checked).
FilterKind = Literal["int", "ints", "bool", "str", "strs", "datetime", "lookup", "any"]

_LOOKUP_RE = re.compile(r"^[A-Za-z0-9_-]{1,100}(@[A-Za-z0-9_.+-]{1,64})?$")
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
_PAGING_KEYS = frozenset({"page", "page_size", "ordering", "fields", "expand"})


_MAX_INT_ID = 2**63 - 1


def check_id(value: object, kind: IdKind = "int", *, what: str = "id", secret: bool = False) -> str:
    """Validate an object id and return its URL segment.

    Args:
        value: The id given by the caller.
        kind: ``"int"`` (positive int), ``"uuid"`` (UUID or its canonical string),
            ``"int_or_uuid"`` (either: a positive int, a ``uuid.UUID`` or a canonical UUID string)
            or ``"lookup"`` (a positive int, or a slug / ``code@version`` string).
        what: The parameter name used in error messages.
        secret: The id is a credential (an agent token): never echo it in an error.

    Returns:
        The id as a string that is safe to place in a URL path.

    Raises:
        TypeError: The id has the wrong type (``"1"``, ``True``, ``None``, ``1.0``).
        ValueError: The id has the right type but an invalid value (``-1``, ``".."``, ``"a/b"``).
    """
    if kind == "int_or_uuid":
        if isinstance(value, uuid.UUID):
            return str(value)
        if isinstance(value, str):
            if value.isascii() and value.isdigit():
                raise TypeError(
                    f"{what} must be a positive int or a UUID, got str {value!r} (convert it "
                    "with int() first)"
                )
            if not _UUID_RE.fullmatch(value):
                raise ValueError(
                    f"{what} must be a positive int or a UUID in canonical form "
                    f"('xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx'), got {value!r}"
                )
            return value.lower()
        if not (isinstance(value, int) and not isinstance(value, bool)):
            raise TypeError(
                f"{what} must be a positive int or a UUID (uuid.UUID or its string), got "
                f"{type(value).__name__} {value!r}"
            )
    if kind == "uuid":
        if isinstance(value, uuid.UUID):
            return str(value)
        if isinstance(value, str):
            try:
                parsed = uuid.UUID(value)
            except ValueError:
                raise ValueError(f"{what} must be a UUID, got {value!r}") from None
            if str(parsed) != value.lower() and parsed.hex != value.lower():
                raise ValueError(f"{what} must be a UUID in canonical form, got {value!r}")
            return str(parsed)
        raise TypeError(f"{what} must be a UUID or UUID string, got {type(value).__name__}")
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 < value <= _MAX_INT_ID:
            raise ValueError(f"{what} must be a positive int below 2**63, got {value}")
        return str(value)
    shown = "a value that is not shown (it is a secret)" if secret else repr(value)
    if kind == "lookup" and isinstance(value, str):
        if value.isdigit() and not secret:
            raise TypeError(f"{what} {value!r} looks like an id: pass it as an int ({int(value)})")
        if not _LOOKUP_RE.match(value):
            raise ValueError(
                f"{what} must be a positive int, a code like 'my-plugin' or 'code@version', "
                f"got {shown}"
            )
        return value
    expected = "a positive int or a code string" if kind == "lookup" else "a positive int"
    hint = " (convert it with int() first)" if isinstance(value, str) and value.isdigit() else ""
    if secret:
        hint, shown = "", ""
    raise TypeError(f"{what} must be {expected}, got {type(value).__name__} {shown}{hint}")


_KIND_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "bool": (bool,),
    "str": (str, enum.Enum),
    "datetime": (_dt.datetime, _dt.date, str),
    "lookup": (int, str),
}


def _check_filter(name: str, kind: FilterKind, value: object) -> None:
    if kind == "any" or value is None:
        return
    if kind in ("ints", "strs"):
        if isinstance(value, list | tuple | set | frozenset):
            for item in value:
                _check_filter(name, "int" if kind == "ints" else "str", item)
            return
        _check_filter(name, "int" if kind == "ints" else "str", value)
        return
    allowed = _KIND_TYPES[kind]
    ok = isinstance(value, allowed) and not (kind in ("int", "lookup") and isinstance(value, bool))
    if not ok:
        raise TypeError(f"filter {name!r} takes {kind}, got {type(value).__name__} {value!r}")


# -- deriving filter kinds from a TypedDict -------------------------------------------------------

_UNION_ORIGINS: tuple[object, ...] = (typing.Union, types.UnionType)
_SEQUENCE_ORIGINS: tuple[object, ...] = (
    collections.abc.Sequence,
    collections.abc.Set,
    list,
    tuple,
    set,
    frozenset,
)
_MAPPABLE = (
    "int, bool, str, a str enum, a Literal of strs or ints, dt.datetime | str, int | str (an id "
    "or a code), Sequence[int], Sequence[str] (or the scalar | its Sequence), or Any"
)


def _scalar_kind(hint: object) -> FilterKind | None:
    """The kind of one non-union, non-sequence annotation (``None``: not a scalar we know)."""
    if hint is bool:
        return "bool"
    if hint is int:
        return "int"
    if hint is str:
        return "str"
    if hint in (_dt.datetime, _dt.date):
        return "datetime"
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return "str" if issubclass(hint, str) else None
    if typing.get_origin(hint) is Literal:
        values = typing.get_args(hint)
        if values and all(isinstance(v, str) for v in values):
            return "str"
        if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return "int"
    return None


def _scalars_kind(hints: list[object]) -> FilterKind | None:
    """The kind of a union of scalar annotations (``SomeEnum | str``, ``dt.datetime | str``)."""
    kinds = {_scalar_kind(h) for h in hints}
    if None in kinds:
        return None
    if len(kinds) == 1:
        return kinds.pop()
    if kinds == {"datetime", "str"} and str in hints:
        return "datetime"  # an ISO string is sent as given
    if kinds == {"int", "str"} and int in hints and str in hints:
        return "lookup"
    return None


def _sequence_kind(hint: object) -> FilterKind | None:
    """``Sequence[int]`` -> ``ints``, ``Sequence[str]`` (or of a str enum) -> ``strs``."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) is tuple and len(args) == 2 and args[1] is Ellipsis:
        args = args[:1]
    if len(args) != 1:
        return None
    item = args[0]
    members = list(typing.get_args(item)) if typing.get_origin(item) in _UNION_ORIGINS else [item]
    kind = _scalars_kind(members)
    if kind == "int":
        return "ints"
    if kind == "str":
        return "strs"
    return None


def _annotation_kind(hint: object) -> FilterKind | None:
    """The filter kind of one TypedDict annotation, or ``None`` when it does not map to one."""
    if hint is Any:
        return "any"
    origin = typing.get_origin(hint)
    if origin in _SEQUENCE_ORIGINS:
        return _sequence_kind(hint)
    if origin not in _UNION_ORIGINS:
        return _scalar_kind(hint)
    members = [m for m in typing.get_args(hint) if m is not type(None)]
    sequences = [m for m in members if typing.get_origin(m) in _SEQUENCE_ORIGINS]
    scalars = [m for m in members if m not in sequences]
    if len(sequences) > 1:
        return None
    if not sequences:
        return _scalars_kind(scalars)
    plural = _sequence_kind(sequences[0])
    if plural is None or (scalars and _scalars_kind(scalars) != plural[:-1]):
        return None
    return plural


def filter_kinds(source: type) -> dict[str, FilterKind]:
    """Derive the runtime filter kinds of a family from its filters ``TypedDict``.

    Each key's annotation maps to a :data:`FilterKind`: ``int`` -> ``int``; ``Sequence[int]`` or
    ``int | Sequence[int]`` -> ``ints``; ``bool`` -> ``bool``; ``str``, a str enum or
    ``SomeEnum | str`` -> ``str``; ``Sequence[str]`` (``str | Sequence[str]``) -> ``strs``;
    ``dt.datetime | str`` -> ``datetime``; ``int | str`` -> ``lookup``; ``Any`` -> ``any``.
    ``| None`` is allowed anywhere (a ``None`` value is never sent).

    Args:
        source: A ``total=False`` ``TypedDict`` whose annotations the module can resolve at
            runtime (no names imported only under ``TYPE_CHECKING``).

    Returns:
        Filter name -> kind, in declaration order.

    Raises:
        TypeError: ``source`` is not a ``TypedDict``, has required keys, names a paging key
            (``page``, ``ordering`` ...), or has an annotation that maps to no kind. This runs
            when the endpoint is declared, so a bad declaration fails at import time.
    """
    name = getattr(source, "__qualname__", repr(source))
    if not typing.is_typeddict(source):
        raise TypeError(f"filters must be a TypedDict class, got {name}")
    required = sorted(getattr(source, "__required_keys__", ()))
    if required:
        raise TypeError(
            f"{name}: filters are optional, declare it with total=False (required: "
            f"{', '.join(required)})"
        )
    try:
        hints = typing.get_type_hints(source)
    except NameError as exc:
        raise TypeError(
            f"{name}: cannot resolve its annotations at runtime ({exc}); import the names they "
            "use outside TYPE_CHECKING"
        ) from exc
    kinds: dict[str, FilterKind] = {}
    for key, hint in hints.items():
        if key in _PAGING_KEYS:
            raise TypeError(f"{name}.{key}: {key!r} is a paging option, not a filter")
        kind = _annotation_kind(hint)
        if kind is None:
            plain = isinstance(hint, type) and typing.get_origin(hint) is None
            shown = hint.__qualname__ if plain else repr(hint)
            raise TypeError(
                f"{name}.{key}: no filter kind for the annotation {shown}; use {_MAPPABLE}"
            )
        kinds[key] = kind
    return kinds


def _choices_of(hint: object) -> set[str] | None:
    """The values an annotation's str enums and ``Literal`` strs allow (``None``: no such set)."""
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return {str(member.value) for member in hint}
    origin = typing.get_origin(hint)
    if origin is Literal:
        values = typing.get_args(hint)
        return {v for v in values if isinstance(v, str)} or None
    if origin in _UNION_ORIGINS or origin in _SEQUENCE_ORIGINS:
        found: set[str] | None = None
        for arg in typing.get_args(hint):
            sub = _choices_of(arg)
            if sub is not None:
                found = (found or set()) | sub
        return found
    return None


def filter_choices(source: type) -> dict[str, frozenset[str]]:
    """The known values of the enum-typed filters of a filters ``TypedDict``.

    A key annotated with a str enum or a ``Literal`` of strs (``TaskStatus | str``, or a sequence
    of them) takes only the enum's values: the backend answers an unknown one with an empty list
    or ignores it, so :meth:`Endpoint.check_filters` refuses it naming the valid ones.
    """
    hints = typing.get_type_hints(source)
    out: dict[str, frozenset[str]] = {}
    for key, hint in hints.items():
        choices = _choices_of(hint)
        if choices:
            out[key] = frozenset(choices)
    return out


@attrs.frozen
class Action:
    """An extra route on an endpoint, e.g. ``PUT tasks/{id}/annotate_task_data/``.

    Attributes:
        method: The HTTP method.
        path: The path after the endpoint's collection (``"annotate_task_data/"``), or a path from
            the root when ``absolute`` is set.
        detail: Whether the route takes an object id (``tasks/{id}/...``) or not (``tasks/...``).
        absolute: Whether ``path`` is relative to the API root instead of the collection.
        id_kind: The id kind this route takes, when it differs from the endpoint's.
        secret: The route's id is a credential (never echoed in errors).
    """

    method: str
    path: str
    detail: bool = True
    absolute: bool = False
    id_kind: IdKind | None = None
    secret: bool = False


@attrs.frozen
class Endpoint:
    """One REST endpoint family of the backend, declared as data.

    Attributes:
        name: The family name, also the manager attribute (``"tasks"``).
        path: The collection path; detail routes are ``path + "{id}/"``.
        list_path: Where listing happens, if not ``path`` (``"sdk/tasks/"``); ``None`` when the
            family cannot be listed.
        id_kind: What its ids look like.
        ops: Supported operations: ``get``, ``list``, ``create``, ``update`` (PUT),
            ``partial_update`` (PATCH), ``delete``.
        filters_type: The ``TypedDict`` declaring the filters its list accepts (given as
            ``filters=``); the single source of the family's filters.
        filters: Filter name -> kind, derived from ``filters_type`` (see :func:`filter_kinds`).
        ordering: Fields its list can be ordered by.
        actions: Extra routes by name.
        fields_param: Whether it honours ``?fields=a,b``.
        expand: Names its ``?expand=`` accepts.
    """

    name: str
    path: str
    list_path: str | None = None
    id_kind: IdKind = "int"
    ops: frozenset[str] = frozenset({"get", "list"})
    filters_type: type | None = attrs.field(default=None, alias="filters")
    filters: Mapping[str, FilterKind] = attrs.field(init=False, repr=False)
    choices: Mapping[str, frozenset[str]] = attrs.field(init=False, repr=False)
    ordering: frozenset[str] = frozenset({"id", "created"})
    actions: Mapping[str, Action] = attrs.field(factory=dict)
    fields_param: bool = True
    expand: frozenset[str] = frozenset()

    def __attrs_post_init__(self) -> None:
        # A route whose id is a credential is redacted in every URL the HTTP layer logs or
        # stores on an error: declared here once, by the action's ``secret`` flag.
        for action in self.actions.values():
            if action.secret:
                if action.absolute:
                    template = action.path
                elif action.detail:
                    template = f"{self.path}{{id}}/{action.path}"
                else:
                    template = f"{self.path}{action.path}"
                register_secret_path(template)

    @filters.default
    def _derive_filters(self) -> Mapping[str, FilterKind]:
        return {} if self.filters_type is None else filter_kinds(self.filters_type)

    @choices.default
    def _derive_choices(self) -> Mapping[str, frozenset[str]]:
        return {} if self.filters_type is None else filter_choices(self.filters_type)

    @property
    def listing_path(self) -> str:
        """The path a list request goes to."""
        return self.list_path if self.list_path is not None else self.path

    def detail_path(self, pk: object) -> str:
        """The detail path for ``pk``, after validating it."""
        return f"{self.path}{check_id(pk, self.id_kind)}/"

    def action_path(self, name: str, pk: object = None) -> tuple[str, str]:
        """Return ``(method, path)`` of the action ``name`` (for ``pk`` on detail actions)."""
        action = self.actions[name]
        kind = action.id_kind or self.id_kind
        if action.absolute:
            base = action.path
            if action.detail:
                base = base.replace("{id}", check_id(pk, kind, secret=action.secret))
            return action.method, base
        if action.detail:
            segment = check_id(pk, kind, secret=action.secret)
            return action.method, f"{self.path}{segment}/{action.path}"
        return action.method, f"{self.path}{action.path}"

    def check_filters(self, filters: Mapping[str, object]) -> None:
        """Refuse unknown filter keys, values of the wrong type and values outside an enum's set,
        before any request."""
        for key, value in filters.items():
            kind = self.filters.get(key)
            if kind is None:
                raise TypeError(self._unknown_filter(key))
            if kind in ("int", "str", "bool", "datetime", "lookup") and isinstance(
                value, list | tuple | set | frozenset
            ):
                several = f"{key}__in" if f"{key}__in" in self.filters else None
                hint = (
                    f"use {several}=[...]"
                    if several
                    else "the backend cannot match several values of it (it has no "
                    f"{key}__in): filter once per value"
                )
                raise TypeError(
                    f"filter {key!r} of {self.name} takes one value, got a list; {hint}"
                )
            _check_filter(key, kind, value)
            choices = self.choices.get(key)
            if choices is not None and value is not None:
                items = value if isinstance(value, list | tuple | set | frozenset) else (value,)
                for item in items:
                    raw = item.value if isinstance(item, enum.Enum) else item
                    if raw not in choices:
                        valid = ", ".join(sorted(choices))
                        raise ValueError(
                            f"filter {key!r} of {self.name} got {raw!r}, which is not one of the "
                            f"backend's values: {valid}"
                        )

    def _unknown_filter(self, key: str) -> str:
        known = sorted(self.filters)
        base = key[: -len("__in")] if key.endswith("__in") else None
        if base is not None and base in self.filters:
            return (
                f"{self.name} cannot filter {base!r} by several values: the backend has no "
                f"{key!r} filter (it would silently ignore it). Filter once per value, or list "
                f"and select in Python. Valid filters: {', '.join(known)}"
            )
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return (
            f"unknown filter {key!r} for {self.name}{hint} "
            f"(the backend would silently ignore it). Valid filters: {', '.join(known)}"
        )

    def check_ordering(self, fields: Iterable[str]) -> tuple[str, ...]:
        """Validate ``order_by`` fields (``"-created"`` = descending) and return them."""
        out = []
        for field in fields:
            if not isinstance(field, str):
                raise TypeError(f"order_by takes field names, got {type(field).__name__}")
            name = field[1:] if field.startswith("-") else field
            if name not in self.ordering:
                known = ", ".join(sorted(self.ordering))
                raise ValueError(f"{self.name} cannot be ordered by {name!r} (valid: {known})")
            out.append(field)
        return tuple(out)

    def encode_filters(self, filters: Mapping[str, object]) -> dict[str, str]:
        """Encode checked filters into query parameters (``None`` values dropped)."""
        out: dict[str, str] = {}
        for key, value in filters.items():
            encoded = encode_query_value(value, key)
            if encoded is not None:
                out[key] = encoded
        return out

    def routes(self) -> list[tuple[str, str]]:
        """Every ``(method, path template)`` this declaration can produce (for parity tests)."""
        routes: list[tuple[str, str]] = []
        detail = f"{self.path}{{id}}/"
        if "list" in self.ops:
            routes.append(("GET", self.listing_path))
        if "create" in self.ops:
            routes.append(("POST", self.path))
        for op, method in (
            ("get", "GET"),
            ("update", "PUT"),
            ("partial_update", "PATCH"),
            ("delete", "DELETE"),
        ):
            if op in self.ops:
                routes.append((method, detail))
        for action in self.actions.values():
            if action.absolute:
                routes.append((action.method, action.path))
            else:
                routes.append(
                    (action.method, (detail if action.detail else self.path) + action.path)
                )
        return routes


PAGING_KEYS = _PAGING_KEYS

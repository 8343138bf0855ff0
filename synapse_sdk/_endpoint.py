"""Endpoint declarations: each REST endpoint of the backend described once, as data.

An :class:`Endpoint` names the collection path, the list path, the kind of id its detail routes
take, the filters and orderings its list accepts, the operations it supports and its extra
actions. The typed managers, the seed's flat methods, the local backend's route-parity test and
the docs all read these declarations; no path string is written twice in the package.

This module also validates what goes into a URL or a query string, before any I/O:

* :func:`check_id` refuses ids that are not positive ints (or well-formed UUIDs / lookups), so a
  hostile ``".."`` or ``"7?role=admin"`` can never reach a URL (reliability rule 5);
* :meth:`Endpoint.encode_filters` refuses unknown filter keys with the closest valid key, drops
  ``None`` values and encodes booleans, lists and datetimes the way the backend reads them.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import enum
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Literal

import attrs

__all__ = [
    "Action",
    "Endpoint",
    "FilterKind",
    "IdKind",
    "check_id",
    "encode_query_value",
]

IdKind = Literal["int", "uuid", "lookup"]
FilterKind = Literal["int", "ints", "bool", "str", "strs", "datetime", "any"]

_LOOKUP_RE = re.compile(r"^[A-Za-z0-9_-]{1,100}(@[A-Za-z0-9_.+-]{1,64})?$")
_PAGING_KEYS = frozenset({"page", "page_size", "ordering", "fields", "expand"})


_MAX_INT_ID = 2**63 - 1


def check_id(value: object, kind: IdKind = "int", *, what: str = "id", secret: bool = False) -> str:
    """Validate an object id and return its URL segment.

    Args:
        value: The id given by the caller.
        kind: ``"int"`` (positive int), ``"uuid"`` (UUID or its canonical string) or ``"lookup"``
            (a positive int, or a slug / ``code@version`` string).
        what: The parameter name used in error messages.
        secret: The id is a credential (an agent token): never echo it in an error.

    Returns:
        The id as a string that is safe to place in a URL path.

    Raises:
        TypeError: The id has the wrong type (``"1"``, ``True``, ``None``, ``1.0``).
        ValueError: The id has the right type but an invalid value (``-1``, ``".."``, ``"a/b"``).
    """
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


def encode_query_value(value: object) -> str | None:
    """Encode one query value the way the backend reads it (``None`` means: leave the key out)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return encode_query_value(value.value)
    if isinstance(value, int | float | str):
        return str(value)
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        parts = [encode_query_value(v) for v in value]
        return ",".join(p for p in parts if p is not None)
    raise TypeError(f"cannot send {type(value).__name__} {value!r} as a query parameter")


_KIND_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "bool": (bool,),
    "str": (str, enum.Enum),
    "datetime": (_dt.datetime, _dt.date, str),
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
    types = _KIND_TYPES[kind]
    ok = isinstance(value, types) and not (kind == "int" and isinstance(value, bool))
    if not ok:
        raise TypeError(f"filter {name!r} takes {kind}, got {type(value).__name__} {value!r}")


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
        filters: Query filters its list accepts, with their kinds.
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
    filters: Mapping[str, FilterKind] = attrs.field(factory=dict)
    ordering: frozenset[str] = frozenset({"id", "created"})
    actions: Mapping[str, Action] = attrs.field(factory=dict)
    fields_param: bool = True
    expand: frozenset[str] = frozenset()

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

    def require(self, op: str) -> None:
        """Raise ``NotImplementedError`` (a clear one) when the endpoint lacks ``op``."""
        if op not in self.ops:
            supported = ", ".join(sorted(self.ops))
            raise NotImplementedError(
                f"the backend's {self.name!r} endpoint does not support {op!r} "
                f"(supported: {supported})"
            )

    def check_filters(self, filters: Mapping[str, object]) -> None:
        """Refuse unknown filter keys and values of the wrong type, before any request."""
        for key, value in filters.items():
            kind = self.filters.get(key)
            if kind is None:
                known = sorted(self.filters)
                close = difflib.get_close_matches(key, known, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise TypeError(
                    f"unknown filter {key!r} for {self.name}{hint} "
                    f"(the backend would silently ignore it). Valid filters: {', '.join(known)}"
                )
            _check_filter(key, kind, value)

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
            encoded = encode_query_value(value)
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

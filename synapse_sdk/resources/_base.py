"""Base classes of the typed resources: ``Record`` (a value read from the wire) and the resource
chain, which mirrors the managers' capabilities (a method exists only where the endpoint has it):

* ``BaseResource`` -- an object with an id and a manager (identity, change tracking, display);
* ``Resource`` -- adds ``fetch()``, ``refresh()`` and lazy loading (endpoints with a detail route);
* ``SavableResource`` -- adds ``save()`` (endpoints with PUT or PATCH);
* ``DeletableResource`` -- adds ``delete()`` (endpoints with DELETE).

Resources are slotted attrs classes with fully annotated fields. Three things are special:

* **Partial and lazy objects.** A field the server did not send stays *unset*. Reading it calls
  ``__getattr__`` (only ever reached for unset slots, so loaded objects pay nothing), which loads
  the full object once. ``manager.ref(42)`` and foreign keys (``task.project``) return such stubs:
  no request until a field other than ``id`` is read, or ``fetch()`` is called.
* **Forward compatibility.** Fields the SDK does not know are kept in ``_extra`` and sent back
  unchanged on save.
* **Change tracking.** ``_raw`` keeps the row as received; ``save()`` sends only the fields whose
  wire form differs from it, nested edits included (values are copied on read, so in-place edits
  are visible).

**Pickling.** A resource pickles with its fields, its unknown fields, the row as received and
its cached related objects, but not its client: the manager becomes a
:class:`~synapse_sdk.resources._context.PendingManager` (family, scope, base URL; no token).
The restored object binds on its first request, to ``client.bind(obj)``'s client or to the one
the environment names (``SYNAPSE_BASE_URL``/``SYNAPSE_API_TOKEN``, same base URL only).
``copy.copy``/``copy.deepcopy`` keep the binding.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from synapse_sdk._async import asyncify, asyncify_self
from synapse_sdk._converter import plan_for
from synapse_sdk._converter._builders import MISSING as _PENDING_NONE
from synapse_sdk._converter._lazy import complete, resolve
from synapse_sdk._query import QuerySet
from synapse_sdk._query._display import render_card
from synapse_sdk.resources._context import PendingManager, pending

if TYPE_CHECKING:
    from typing_extensions import Self

    from synapse_sdk.resources._context import ClientContext
    from synapse_sdk.resources._manager import BaseManager

__all__ = [
    "BaseResource",
    "DeletableResource",
    "Record",
    "Resource",
    "SavableResource",
    "bind_objects",
    "fk",
    "wire",
]

_MISSING = object()
_PRIVATE = ("_manager", "_raw", "_cache")


def wire(name: str, **kwargs: Any) -> Any:
    """An attrs field whose wire (JSON) name differs from the attribute name."""
    metadata = {**kwargs.pop("metadata", {}), "wire": name}
    return attrs.field(metadata=metadata, **kwargs)


def fk(name: str, **kwargs: Any) -> Any:
    """A foreign-key id field with the wire key ``name`` (``project_id = fk("project")``).

    The server may also send the key expanded to an object (``?expand=``); the id is kept in the
    field and the object is cached for the :class:`~synapse_sdk.resources._relations.ForeignKey`
    that navigates it.
    """
    metadata = {**kwargs.pop("metadata", {}), "wire": name, "fk": True}
    kwargs.setdefault("default", None)
    return attrs.field(metadata=metadata, **kwargs)


class Record:
    """A value object read from the wire (e.g. a data collection's file specification)."""

    __slots__ = ("_extra",)
    __record__: ClassVar[bool] = True

    def to_dict(self) -> dict[str, Any]:
        """The wire form: JSON-ready, unknown fields included, unset fields left out."""
        return plan_for(type(self)).to_wire(self)

    @property
    def extra(self) -> dict[str, Any]:
        """Fields the server sent that this SDK version does not know (kept and sent back)."""
        try:
            value: dict[str, Any] = object.__getattribute__(self, "_extra")
        except AttributeError:
            complete(self)  # a lazy row: its unknown fields are copied on first use
            try:
                value = object.__getattribute__(self, "_extra")
            except AttributeError:
                return {}
        return value

    def validate(self) -> Self:
        """Convert every field now (a listed row converts each field on first read, so a
        malformed timestamp or list item would otherwise surface there); return the object.

        Raises:
            ResponseValidationError: A field has the wrong shape (``path`` names it).
        """
        complete(self)
        return self

    def _loaded_items(self) -> list[tuple[str, Any]]:
        complete(self)
        items = []
        for field in attrs.fields(type(self)):  # type: ignore[arg-type]
            try:
                items.append((field.name, object.__getattribute__(self, field.name)))
            except AttributeError:
                continue
        return items

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self._loaded_items()[:8])
        return f"{type(self).__name__}({shown})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Record)
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def _repr_html_(self) -> str:
        """Notebook display: a compact card of the loaded fields (no I/O)."""
        return render_card(type(self).__name__, None, self._loaded_items(), extra=len(self.extra))


class BaseResource(Record):
    """An object with an id on a REST endpoint, bound to the manager that built it.

    Equality and hashing follow the identity on the server: same type and same id. Fields the
    server did not send stay unset (a family without a detail route cannot load them).
    """

    __slots__ = ("_cache", "_manager", "_raw")

    if TYPE_CHECKING:
        id: Any
        _manager: BaseManager[Any] | PendingManager | None
        _raw: dict[str, Any] | None
        _cache: dict[str, Any] | None
    else:

        def __getattr__(self, name: str) -> Any:
            # Only reached for *unset* slots: a lazy row's field converts here on first read.
            if name in _PRIVATE:
                return None
            value = resolve(self, name)
            if value is not _PENDING_NONE:
                return value
            if name.startswith("__") or name not in attrs.fields_dict(type(self)):
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            raise AttributeError(
                f"{type(self).__name__}.{name} was not sent by the server (its endpoint has no "
                "detail route to load it from)"
            )

    def _apply(self, raw: dict[str, Any]) -> None:
        """Replace the object's state with a fresh wire row (as received from the server)."""
        complete(self)  # fields the new row lacks keep their converted values
        try:
            object.__delattr__(self, "_extra")
        except AttributeError:
            pass
        object.__setattr__(self, "_cache", None)
        plan_for(type(self)).fill(self, raw)
        object.__setattr__(self, "_raw", raw)

    def _require_manager(self) -> BaseManager[Any]:
        manager = self._manager
        if manager is None:
            raise RuntimeError(
                f"this {type(self).__name__} is not bound to a client; "
                f"get it through a manager (client.{type(self).__name__.lower()}s.get(id)) "
                "or call client.bind(obj)"
            )
        if isinstance(manager, PendingManager):  # unpickled: bind on first use
            manager = manager.resolve()
            object.__setattr__(self, "_manager", manager)
        return manager

    # -- pickling and copying (the client stays behind; see the module docstring) ------------

    def _state(self) -> dict[str, Any]:
        state = dict(self._loaded_items())  # converts a lazy row's pending fields first
        for name in ("_extra", "_raw", "_cache"):
            value = _get(self, name)
            if value is not _MISSING and value is not None:
                state[name] = value
        return state

    def __reduce__(self) -> tuple[Any, ...]:
        if self._cache and self._manager is not None:
            self._build_embedded()  # while a client can build them (the copy may have none)
        state = self._state()
        if self._manager is not None:
            state["_manager"] = self._manager  # pickles as a PendingManager (no token)
        return (_restore, (type(self), state))

    def __copy__(self) -> Self:
        clone: Self = _restore(type(self), {**self._state(), "_manager": self._manager})
        return clone

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        state = copy.deepcopy(self._state(), memo)
        clone: Self = _restore(type(self), {**state, "_manager": self._manager})
        return clone

    def _build_embedded(self) -> None:
        """Turn the expanded rows the converter cached into the related objects."""
        cache = self._cache or {}
        for klass in type(self).__mro__:
            for name, relation in vars(klass).items():
                if hasattr(relation, "prime") and getattr(relation, "attr", None) in cache:
                    getattr(self, name)

    def _bind(self, manager: BaseManager[Any]) -> None:
        """Bind this object (and the related objects it caches) to ``manager``'s client."""
        object.__setattr__(self, "_manager", manager)
        for entry in (self._cache or {}).values():
            related = entry[1] if type(entry) is tuple else None
            if isinstance(related, BaseResource):
                related._rebind(manager._ctx)

    def _rebind(self, ctx: ClientContext) -> None:
        current = self._manager
        if isinstance(current, PendingManager):
            self._bind(current.bind(ctx))
        elif current is not None:
            self._bind(pending(current).bind(ctx))
        else:
            self._bind(ctx.named(type(self).__name__))

    @property
    def is_loaded(self) -> bool:
        """Whether the object holds the server's full row (not a stub or a partial row)."""
        return self._raw is not None and all(
            f.wire in self._raw for f in plan_for(type(self)).fields
        )

    def changes(self) -> dict[str, Any]:
        """The wire fields that differ from what the server last sent (nested edits included)."""
        current = self.to_dict()
        plan = plan_for(type(self))
        # Compare with the raw row as this SDK would write it (timestamps normalised etc.).
        baseline = plan.to_wire(plan.build(self._raw)) if self._raw else {}
        return {k: v for k, v in current.items() if baseline.get(k, _MISSING) != v}

    def __repr__(self) -> str:
        try:
            pk = object.__getattribute__(self, "id")
        except AttributeError:
            pk = "?"
        if self._raw is None and self._manager is not None:
            return f"<{type(self).__name__} id={pk!r} (not loaded)>"
        shown = ", ".join(
            f"{name}={value!r}" for name, value in self._loaded_items()[:6] if name != "id"
        )
        return f"<{type(self).__name__} id={pk!r} {shown}>"

    def _repr_html_(self) -> str:
        """Notebook display: a card with the type, the id and the loaded fields.

        Shows only what is in memory: a stub (``manager.ref(7)``) or a partial row (``only()``)
        says so instead of loading itself.
        """
        pk = _get(self, "id")
        items = [(name, value) for name, value in self._loaded_items() if name != "id"]
        if self._raw is None and self._manager is not None:
            note = "not loaded (.fetch() loads it)"
        elif self._raw is not None and not self.is_loaded:
            note = "partial"
        else:
            note = ""
        pk = None if pk is _MISSING else pk
        return render_card(type(self).__name__, pk, items, note=note, extra=len(self.extra))

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return bool(_get(self, "id") == _get(other, "id") and _get(self, "id") is not _MISSING)

    def __hash__(self) -> int:  # type: ignore[override]
        return hash((type(self), _get(self, "id")))


class Resource(BaseResource):
    """A resource whose endpoint has a detail route: ``fetch()``, ``refresh()``, lazy loading."""

    __slots__ = ()

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            # Only reached for *unset* slots: private state not yet set, or a field the server
            # did not send (partial object / stub). Loaded objects never come here.
            if name in _PRIVATE:
                return None
            value = resolve(self, name)  # a lazy row's field, converted on first read
            if value is not _PENDING_NONE:
                return value
            if name.startswith("__") or name not in attrs.fields_dict(type(self)):
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            manager = self._manager
            if manager is None or name == "id":
                raise AttributeError(
                    f"{type(self).__name__}.{name} was not loaded and the object has no client"
                )
            self._load()
            try:
                return object.__getattribute__(self, name)
            except AttributeError:
                raise AttributeError(
                    f"the server's {type(self).__name__} has no field {name!r}"
                ) from None

    def _load(self) -> None:
        self._apply(self._require_manager()._fetch_json(self.id))

    def fetch(self) -> Self:
        """Load the object if it is a stub or partial; return it."""
        if not self.is_loaded:
            self._load()
        return self

    def refresh(self) -> Self:
        """Reload every field from the server; return the object."""
        self._load()
        return self

    afetch = asyncify_self(fetch)
    arefresh = asyncify_self(refresh)


class SavableResource(Resource):
    """A resource whose endpoint can be updated: ``save()`` sends the changed fields."""

    __slots__ = ()

    def save(self) -> Self:
        """Send the changed fields (PATCH, or PUT where the endpoint only has that); return self.

        Nothing is sent when nothing changed.
        """
        manager = self._require_manager()
        changed = self.changes()
        if not changed:
            return self
        raw = manager._save_json(self.id, changed, self.to_dict())
        if isinstance(raw, dict):
            self._apply(raw)
        return self

    asave = asyncify_self(save, write=True)


class DeletableResource(SavableResource):
    """A resource whose endpoint has DELETE: ``delete()``."""

    __slots__ = ()

    def delete(self) -> None:
        """Delete the object on the server."""
        self._require_manager()._delete_json(self.id)

    adelete = asyncify(delete, write=True)


def _restore(cls: type[Any], state: dict[str, Any]) -> Any:
    """Rebuild a resource from :meth:`BaseResource.__reduce__`'s state."""
    obj = object.__new__(cls)
    for name, value in state.items():
        object.__setattr__(obj, name, value)
    return obj


def _get(obj: object, name: str) -> Any:
    try:
        return object.__getattribute__(obj, name)
    except AttributeError:
        return _MISSING


def bind_objects(ctx: ClientContext, obj: Any) -> Any:
    """``client.bind(obj)``: ``obj`` bound to ``ctx``'s client.

    A resource is bound in place (with the related objects it caches) and returned; a queryset
    is immutable, so a bound copy is returned (same filters, ordering, ``only``, ``expand``,
    prefetches; no results); a list or tuple comes back as one of the same kind, each item bound.

    Raises:
        TypeError: ``obj`` is none of these.
    """
    if isinstance(obj, BaseResource):
        obj._rebind(ctx)
        return obj
    if isinstance(obj, QuerySet):
        source: Any = obj._source
        spec = source if isinstance(source, PendingManager) else pending(source)
        manager: Any = spec.bind(ctx)
        return obj._bound_to(manager)
    if isinstance(obj, list | tuple):
        return type(obj)(bind_objects(ctx, item) for item in obj)
    raise TypeError(
        f"client.bind() takes a resource, a queryset or a list of them, got {type(obj).__name__}"
    )

"""Typed navigation between families, declared once per relation as a class attribute:

.. code-block:: python

    class Task(Resource):
        project_id: int | None = fk("project")           # the id field (wire key "project")
        project = ForeignKey["Project"]("project_id")    # task.project -> Project | None

    class Project(Resource):
        tasks = Related["TaskManager"]("project")        # project.tasks -> TaskManager

The type argument is the target class: mypy reads it (``task.project`` is ``Project | None``)
and, at run time, the descriptor finds the client's manager by that class name
(:meth:`ClientContext.named`), so a module never imports another family's module just to
navigate to it (``tasks`` and ``projects`` point at each other). The registry checks at import
that every name resolves (:func:`check_targets`).
"""

from __future__ import annotations

import typing
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import attrs

from synapse_sdk.resources._base import BaseResource

if TYPE_CHECKING:
    from synapse_sdk.resources._manager import BaseManager

__all__ = ["ForeignKey", "Related", "check_targets", "relations"]

T = TypeVar("T", bound=BaseResource)
M = TypeVar("M", bound="BaseManager[Any]")


def _target_name(descriptor: object) -> str:
    """The class name given as the descriptor's type argument (``ForeignKey["Project"]``)."""
    alias = getattr(descriptor, "__orig_class__", None)
    args = typing.get_args(alias) if alias is not None else ()
    if len(args) != 1:
        raise TypeError(
            f"declare {type(descriptor).__name__} with its target, e.g. "
            f'{type(descriptor).__name__}["Project"](...)'
        )
    target = args[0]
    if isinstance(target, typing.ForwardRef):
        return target.__forward_arg__
    if isinstance(target, str):
        return target
    name: str = target.__name__
    return name


class ForeignKey(Generic[T]):
    """``task.project``: the object the id field ``attr`` points at, or ``None`` when it is null.

    The object is cached on the instance (like Django's relation cache): every access returns
    the same object, so ``task.project.title; task.project.description`` loads the project once.
    It is the expanded copy when the server embedded it (``expand("data_unit")``: no request at
    all), or one a queryset prefetched (``QuerySet.prefetch_related``), else a stub that loads
    on first use (no request until a field other than ``id`` is read). Setting the id field
    (``task.project_id = 2``) or ``refresh()`` drops the cached object.
    """

    def __init__(self, attr: str) -> None:
        self.attr = attr
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @property
    def target(self) -> str:
        """The target resource class's name."""
        return _target_name(self)

    def wire(self, cls: type) -> str:
        """The id field's wire key on ``cls`` (the name ``?expand=`` takes: ``"data_unit"``)."""
        name: str = attrs.fields_dict(cls)[self.attr].metadata.get("wire", self.attr)
        return name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> ForeignKey[T]: ...

    @overload
    def __get__(self, obj: BaseResource, owner: type | None = None) -> T | None: ...

    def __get__(self, obj: BaseResource | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        pk = getattr(obj, self.attr)
        if pk is None:
            return None
        found = self.cached(obj, pk)
        if found is not None:
            return found
        manager = self.target_manager(obj)
        embedded = (obj._cache or {}).get(self.attr)  # the converter's expanded row
        if embedded is not None and embedded[1].get("id") == pk:
            related = manager.build(embedded[1])
        else:
            related = manager._ref(pk)
        self.prime(obj, related)
        return related

    # -- the relation cache (also the prefetch's interface, synapse_sdk._query._prefetch) -----

    def cached(self, obj: BaseResource, pk: object) -> Any:
        """The object cached for ``pk`` on ``obj``, or ``None``."""
        entry = (obj._cache or {}).get(self.name)
        if entry is not None and entry[0] == pk and type(entry[0]) is type(pk):
            return entry[1]
        return None

    def prime(self, obj: BaseResource, related: BaseResource) -> None:
        """Cache ``related`` as ``obj``'s related object (for its current id)."""
        cache = obj._cache
        if cache is None:
            cache = {}
            object.__setattr__(obj, "_cache", cache)
        cache[self.name] = (related.id, related)

    def target_manager(self, obj: BaseResource) -> BaseManager[Any]:
        """The manager of the target family, of ``obj``'s client."""
        return obj._require_manager()._ctx.named(self.target)

    def pk(self, obj: BaseResource) -> Any:
        """The id ``obj`` points at (``None`` when null)."""
        return getattr(obj, self.attr)


class Related(Generic[M]):
    """``project.tasks``: the target family's manager scoped to this object (``key=self.id``)."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @property
    def target(self) -> str:
        """The target manager class's name."""
        return _target_name(self)

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> Related[M]: ...

    @overload
    def __get__(self, obj: BaseResource, owner: type | None = None) -> M: ...

    def __get__(self, obj: BaseResource | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        manager = obj._require_manager()._ctx.named(self.target)
        return manager.scoped(**{self.key: obj.id})


def relations(cls: type) -> list[ForeignKey[Any] | Related[Any]]:
    """The navigation descriptors declared on a resource class (and its bases)."""
    found: list[ForeignKey[Any] | Related[Any]] = []
    for klass in reversed(cls.__mro__):
        found.extend(v for v in vars(klass).values() if isinstance(v, ForeignKey | Related))
    return found


def check_targets(resources: dict[str, type], managers: dict[str, type]) -> None:
    """Raise ``TypeError`` (at import) when a relation names no registered class.

    Args:
        resources: Resource class name -> class, for every registered family.
        managers: Manager class name -> class, for every registered family.
    """
    for cls in resources.values():
        for relation in relations(cls):
            known = resources if isinstance(relation, ForeignKey) else managers
            if relation.target not in known:
                raise TypeError(
                    f"{cls.__name__}.{relation.name} points at {relation.target!r}, which is not "
                    f"a registered {'resource' if known is resources else 'manager'}"
                )
            if isinstance(relation, ForeignKey) and relation.attr not in attrs.fields_dict(cls):
                raise TypeError(f"{cls.__name__}.{relation.name}: no id field {relation.attr!r}")

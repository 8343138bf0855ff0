"""``QuerySet.prefetch_related("project")``: the related objects of a page in a few requests.

For each named foreign key, the page's distinct ids are loaded together and every row's relation
cache is filled (``row.project`` then sends nothing), choosing per relation:

1. **expand** -- the listing embeds the related object (the relation's wire key is in the
   endpoint's ``expand``): decided when the queryset is built (:func:`split_related`), the rows
   arrive with it, no extra request;
2. **id__in** -- the related family can be listed by ids: one ``filter(id__in=[...])`` request
   per page and relation, in chunks of at most :data:`CHUNK` ids;
3. **detail** -- else one GET per *distinct* id (not per row), remembered across the pages of
   one walk.

This layer knows nothing of the resource classes: a relation is any class attribute with the
:class:`Relation` interface (``synapse_sdk.resources._relations.ForeignKey`` has it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol, runtime_checkable

from synapse_sdk._converter._lazy import MISSING, peek
from synapse_sdk._exceptions import NotFoundError

__all__ = ["CHUNK", "MEMO_LIMIT", "Relation", "RelatedLoader", "split_related"]

#: The most ids sent in one ``id__in`` request (keeps the URL short).
CHUNK = 100
#: The most related objects remembered across the pages of one walk (then forgotten).
MEMO_LIMIT = 10_000

_MISSING = object()


@runtime_checkable
class Relation(Protocol):
    """What prefetching needs from a foreign-key descriptor."""

    name: str
    attr: str

    def wire(self, cls: type) -> str:
        """The id field's wire key (the name ``?expand=`` takes)."""
        ...

    def cached(self, obj: Any, pk: object) -> Any:
        """The object cached on ``obj`` for ``pk``, or ``None``."""
        ...

    def prime(self, obj: Any, related: Any) -> None:
        """Cache ``related`` on ``obj``."""
        ...

    def target_manager(self, obj: Any) -> Any:
        """The related family's manager (of ``obj``'s client)."""
        ...


def _relations(resource: type) -> dict[str, Relation]:
    found: dict[str, Relation] = {}
    for klass in reversed(resource.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, Relation):
                found[name] = value
    return found


def split_related(source: Any, names: Sequence[str]) -> tuple[list[str], list[str]]:
    """Check ``names`` against the rows' foreign keys; return ``(wire keys to expand, names to
    load per page)``.

    Raises:
        TypeError: A name is not a string.
        ValueError: A name is not a foreign key of the rows' class (or the source builds no
            resources).
    """
    endpoint = source.endpoint
    resource = getattr(source, "resource", None)
    known = _relations(resource) if isinstance(resource, type) else {}
    expand: list[str] = []
    later: list[str] = []
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"prefetch_related() takes relation names, got {name!r}")
        relation = known.get(name)
        if relation is None:
            valid = ", ".join(sorted(known)) or "none"
            raise ValueError(
                f"{endpoint.name} has no foreign key {name!r} to prefetch (valid: {valid})"
            )
        assert isinstance(resource, type)
        wire = relation.wire(resource)
        if wire in endpoint.expand:
            expand.append(wire)
        else:
            later.append(name)
    return expand, later


def _peek(obj: Any, attr: str) -> Any:
    """The field's value if it is loaded (never loads a partial object)."""
    value = peek(obj, attr)  # a lazy row's field converts here (no I/O)
    return _MISSING if value is MISSING else value


def _chunks(ids: Sequence[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


class RelatedLoader:
    """Fills the relation caches of a walk's pages (one loader per walk: it remembers what the
    earlier pages loaded, up to :data:`MEMO_LIMIT` objects per relation)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        self._memo: dict[str, dict[Any, Any]] = {name: {} for name in self.names}

    def fill(self, objs: Sequence[Any]) -> None:
        """Load and cache the related objects of ``objs`` (one page)."""
        if not objs:
            return
        for name in self.names:
            relation = getattr(type(objs[0]), name)
            memo = self._memo[name]
            waiting: dict[Any, list[Any]] = {}
            for obj in objs:
                pk = _peek(obj, relation.attr)
                if pk is _MISSING or pk is None or relation.cached(obj, pk) is not None:
                    continue
                hit = memo.get(pk)
                if hit is not None:
                    relation.prime(obj, hit)
                else:
                    waiting.setdefault(pk, []).append(obj)
            if not waiting:
                continue
            loaded = self._load(relation.target_manager(next(iter(waiting.values()))[0]), waiting)
            if len(memo) + len(loaded) > MEMO_LIMIT:
                memo.clear()
            memo.update(loaded)
            for pk, related in loaded.items():
                for obj in waiting[pk]:
                    relation.prime(obj, related)

    @staticmethod
    def _load(manager: Any, waiting: dict[Any, list[Any]]) -> dict[Any, Any]:
        """The related objects by id: by ``id__in`` listing, else by detail GETs. Ids the server
        does not return stay unloaded (the row's relation loads, and fails, on use)."""
        from synapse_sdk._query._queryset import QuerySet  # the walk that calls us

        endpoint = manager.endpoint
        ids = list(waiting)
        found: dict[Any, Any] = {}
        if "list" in endpoint.ops and "id__in" in endpoint.filters:
            for chunk in _chunks(ids, CHUNK):
                base: Any = QuerySet(manager, page_size=len(chunk), prefetch=0)
                query = base.filter(id__in=chunk)
                # At most one row per id asked: a server that ignores the filter is not walked
                # to the end of its table, and rows nobody asked for are dropped.
                for related in query[: len(chunk)].iterator():
                    if related.id in waiting:
                        found[related.id] = related
            return found
        if "get" in endpoint.ops:
            for pk in ids:
                try:
                    found[pk] = manager.get(pk)
                except NotFoundError:
                    continue
        return found

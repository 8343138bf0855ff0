"""The capability bases above :class:`ReadManager`: a family's manager derives from the one that
matches its endpoint, so it has exactly the operations the backend serves.

=======================  ========================================  ==============================
base                     public operations                         families
=======================  ========================================  ==============================
``ReadManager``          ``all``/``filter`` (listing)              ground_truth_events, agents
``DetailManager``        + ``get``, ``ref``                        projects, assignments, ...
``CreateManager``        + ``create``                              tasks, models, data_units, ...
``UpdateManager``        + ``update`` (PUT or PATCH), ``save()``   plugins
``Manager``              + ``delete``, ``delete()``                (none yet)
``DetailUpdateManager``  listing, ``get``, ``update`` (no create)  jobs
``UnlistedManager``      ``get``, ``create`` (no listing)          data_files
=======================  ========================================  ==============================

``K`` is the id type of the family's detail routes: ``int`` almost everywhere, ``int | str``
where the backend also takes a code (``plugin_releases``: ``"code@version"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, TypeVar

from synapse_sdk._async import asyncify
from synapse_sdk._http import Timeout
from synapse_sdk.resources._base import BaseResource
from synapse_sdk.resources._manager import BaseManager, ReadManager

__all__ = [
    "CreateManager",
    "DetailManager",
    "DetailUpdateManager",
    "Manager",
    "UnlistedManager",
    "UpdateManager",
]

R = TypeVar("R", bound=BaseResource)
K = TypeVar("K")


class DetailManager(ReadManager[R], Generic[R, K]):
    """Listing plus the detail route: ``get``, ``ref`` and the raw ``fetch_json``."""

    def fetch_json(
        self, pk: K, params: Mapping[str, Any] | None = None, *, timeout: Timeout | None = None
    ) -> Any:
        """GET the detail route of ``pk`` and return the JSON as received."""
        return self._fetch_json(pk, params, timeout=timeout)

    def get(
        self,
        /,
        pk: K | None = None,
        *,
        expand: tuple[str, ...] = (),
        fields: tuple[str, ...] = (),
        **filters: Any,
    ) -> R:
        """Fetch one object: by id (the detail route), or, as in Django, the single object
        matching ``filters`` (``client.tasks.get(project=1, status="pending")`` is
        ``filter(...).get()``: keys and values checked like ``filter()``'s).

        Raises:
            NotFoundError: No such object (or it belongs to another tenant), or nothing matched.
            MultipleObjectsReturned: The filters matched more than one object.
            TypeError, ValueError: ``pk`` is not a valid id, or a filter is wrong (nothing sent).
        """
        if not filters:
            if pk is None:
                raise TypeError("get() takes an id, or filters: get(7), get(project=1, ...)")
            return self._get(pk, expand, fields)
        self.endpoint.check_filters(filters)
        if pk is not None:
            raise TypeError("get() takes an id or filters, not both (filter on id=... instead)")
        qs = self._filter(filters)
        if expand:
            qs = qs.expand(*expand)
        if fields:
            qs = qs.only(*fields)
        return qs.get()

    def ref(self, pk: K) -> R:
        """A stub for ``pk``: no request until a field other than ``id`` is read."""
        return self._ref(pk)

    aget = asyncify(get)
    afetch_json = asyncify(fetch_json)


class CreateManager(DetailManager[R, K]):
    """Adds ``create`` and the raw ``create_json``."""

    def create_json(self, body: Any, *, timeout: Timeout | None = None) -> Any:
        """POST ``body`` to the collection and return the JSON as received."""
        return self._create_json(body, timeout=timeout)

    def create(self, /, **data: Any) -> R:
        """Create an object from wire fields and return it."""
        return self._create(data)

    acreate = asyncify(create, write=True)
    acreate_json = asyncify(create_json, write=True)


class UpdateManager(CreateManager[R, K]):
    """Adds ``update`` (PATCH where the endpoint has it, else PUT) and ``update_json``."""

    def update_json(self, pk: K, body: Any, *, partial: bool | None = None) -> Any:
        """PUT (or PATCH when ``partial``; default: what the endpoint has) ``body`` to ``pk``."""
        return self._update_json(pk, body, partial=partial)

    def update(self, /, pk: K, **data: Any) -> R:
        """Change fields of object ``pk`` and return it."""
        return self._update(pk, data)

    aupdate = asyncify(update, write=True)
    aupdate_json = asyncify(update_json, write=True)


class Manager(UpdateManager[R, K]):
    """Every operation: adds ``delete`` and ``delete_json``."""

    def delete_json(self, pk: K) -> None:
        """DELETE the detail route of ``pk``."""
        self._delete_json(pk)

    def delete(self, pk: K) -> None:
        """Delete object ``pk``."""
        self._delete_json(pk)

    adelete = asyncify(delete, write=True)


class DetailUpdateManager(DetailManager[R, K]):
    """Listing, ``get`` and ``update``, without ``create`` (jobs are started by plugins)."""

    def update_json(self, pk: K, body: Any, *, partial: bool | None = None) -> Any:
        """PUT (or PATCH when ``partial``; default: what the endpoint has) ``body`` to ``pk``."""
        return self._update_json(pk, body, partial=partial)

    def update(self, /, pk: K, **data: Any) -> R:
        """Change fields of object ``pk`` and return it."""
        return self._update(pk, data)

    aupdate = asyncify(update, write=True)
    aupdate_json = asyncify(update_json, write=True)


class UnlistedManager(BaseManager[R], Generic[R, K]):
    """``get`` and ``create`` on an endpoint that cannot be listed (data files)."""

    def fetch_json(
        self, pk: K, params: Mapping[str, Any] | None = None, *, timeout: Timeout | None = None
    ) -> Any:
        """GET the detail route of ``pk`` and return the JSON as received."""
        return self._fetch_json(pk, params, timeout=timeout)

    def get(self, pk: K, *, expand: tuple[str, ...] = (), fields: tuple[str, ...] = ()) -> R:
        """Fetch one object by id.

        Raises:
            NotFoundError: No such object (or it belongs to another tenant).
            TypeError, ValueError: ``pk`` is not a valid id (nothing is sent).
        """
        return self._get(pk, expand, fields)

    def ref(self, pk: K) -> R:
        """A stub for ``pk``: no request until a field other than ``id`` is read."""
        return self._ref(pk)

    def create_json(self, body: Any, *, timeout: Timeout | None = None) -> Any:
        """POST ``body`` to the collection and return the JSON as received."""
        return self._create_json(body, timeout=timeout)

    def create(self, /, **data: Any) -> R:
        """Create an object from wire fields and return it."""
        return self._create(data)

    aget = asyncify(get)
    afetch_json = asyncify(fetch_json)
    acreate = asyncify(create, write=True)
    acreate_json = asyncify(create_json, write=True)

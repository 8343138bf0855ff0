"""Managers: the typed door to one endpoint family (``client.tasks``), and the raw JSON operations
the seed's flat methods forward to. Two linear generic bases:

* :class:`ReadManager` -- ``get``, ``ref``, ``all``, ``filter`` and the raw reads;
* :class:`Manager` -- adds ``create``, ``update``, ``delete`` and the raw writes.

Every path comes from the family's :class:`~synapse_sdk._endpoint.Endpoint`; operations the
endpoint does not declare raise ``NotImplementedError`` before any I/O.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Generic, TypeVar

import attrs
import cattrs

from synapse_sdk._converter import make_converter
from synapse_sdk._endpoint import Endpoint, check_id, encode_query_value
from synapse_sdk._exceptions import ResponseValidationError
from synapse_sdk._http import UNSET, Multipart, Session, Timeout
from synapse_sdk._query import QuerySet, iter_pages
from synapse_sdk._query._envelope import MAX_PAGE, MAX_PAGE_SIZE, check_envelope, page_param
from synapse_sdk.resources._base import Resource

__all__ = ["ClientContext", "Manager", "ReadManager"]

R = TypeVar("R", bound=Resource)

_RESULTS = operator.attrgetter("results")


@attrs.frozen
class ClientContext:
    """What managers share: the session, the client's converter, listing defaults and the other
    managers (for foreign-key navigation)."""

    session: Session
    converter: cattrs.Converter = attrs.field(factory=make_converter, eq=False)
    page_size: int = 100
    prefetch: int = 4
    managers: dict[str, ReadManager[Any]] = attrs.field(factory=dict, eq=False)

    def manager(self, name: str) -> ReadManager[Any]:
        """The manager of the family ``name`` (``"projects"``)."""
        return self.managers[name]


def _as_row(body: Any, what: str) -> dict[str, Any]:
    if type(body) is not dict:
        err = ResponseValidationError(
            f"{what} should answer an object, got {type(body).__name__}", response=body
        )
        raise err
    return body


class ReadManager(Generic[R]):
    """Read access to one endpoint family: ``get``, ``filter``, ``all``, ``ref``."""

    endpoint: ClassVar[Endpoint]
    resource: ClassVar[type[Resource]]

    def __init__(self, ctx: ClientContext, *, scope: Mapping[str, object] | None = None) -> None:
        self._ctx = ctx
        self._scope = dict(scope or {})
        self._structure = ctx.converter.get_structure_hook(self.resource)

    def __repr__(self) -> str:
        scope = f" scope={self._scope}" if self._scope else ""
        return f"<{type(self).__name__} {self.endpoint.name}{scope}>"

    # -- ListSource protocol (used by QuerySet) ---------------------------------------------

    @property
    def converter(self) -> cattrs.Converter:
        """The client's converter (one per client)."""
        return self._ctx.converter

    @property
    def default_page_size(self) -> int:
        """Rows per request for listings."""
        return self._ctx.page_size

    @property
    def default_prefetch(self) -> int:
        """Pages fetched ahead for listings."""
        return self._ctx.prefetch

    def fetch_page(self, params: Mapping[str, str] | None, url: str | None = None) -> Any:
        """GET one page of the listing (``url`` = an absolute next link)."""
        self.endpoint.require("list")
        return self._ctx.session.request(
            "GET", url or self.endpoint.listing_path, params=params
        ).json()

    def check_url(self, url: str) -> None:
        """Raise what requesting ``url`` would raise before any I/O (``OriginError`` ...)."""
        self._ctx.session.resolve_url(url)

    def build(self, row: dict[str, Any]) -> R:
        """Structure one wire row into a resource bound to this manager (the client's converter)."""
        obj: R = self._structure(row, self.resource)
        obj._manager = self
        obj._raw = row
        return obj

    def scoped(self, **scope: object) -> Any:
        """A copy of this manager whose listings and creations are limited to ``scope``."""
        return type(self)(self._ctx, scope={**self._scope, **scope})

    def related(self, name: str) -> ReadManager[Any]:
        """Another family's manager on the same client (for foreign-key navigation)."""
        return self._ctx.manager(name)

    # -- raw JSON operations (the seed API forwards here) -----------------------------------

    def fetch_json(
        self, pk: object, params: Mapping[str, Any] | None = None, *, timeout: Timeout | None = None
    ) -> Any:
        """GET the detail route of ``pk`` and return the JSON as received."""
        self.endpoint.require("get")
        return self._ctx.session.request(
            "GET", self.endpoint.detail_path(pk), params=params, timeout=timeout
        ).json()

    def list_json(self, params: Mapping[str, Any] | None = None) -> Any:
        """GET the list route with ``params`` passed through unchanged; return the first page.

        Raises:
            TypeError, ValueError: ``page`` or ``page_size`` is not a positive int (before I/O).
            ResponseValidationError: The answer is not a well-formed page envelope.
        """
        self.endpoint.require("list")
        query = {**self._scope, **(params or {})}
        number = page_param(query, "page", 1, MAX_PAGE)
        page_param(query, "page_size", 1, MAX_PAGE_SIZE)
        return check_envelope(
            self._ctx.session.request("GET", self.endpoint.listing_path, params=query).json(),
            number,
        )

    def iter_json(
        self, params: Mapping[str, Any] | None = None, *, prefetch: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every row of the listing as dicts, fetched page by page as the iterator is consumed.

        ``page``/``page_size`` in ``params`` say where to start (row ``(page - 1) * page_size``)
        and what to ask for; the walk adapts when the server serves another page size.

        Raises:
            TypeError, ValueError: ``page`` or ``page_size`` is not a positive int (raised by this
                call, before any I/O).
        """
        self.endpoint.require("list")
        query = {k: v for k, v in {**self._scope, **(params or {})}.items() if v is not None}
        page_size = page_param(query, "page_size", self._ctx.page_size, MAX_PAGE_SIZE)
        start_page = page_param(query, "page", 1, MAX_PAGE)
        query.pop("page_size", None)
        query.pop("page", None)
        encoded = {k: v for k, v in ((k, encode_query_value(v)) for k, v in query.items()) if v}
        pages = iter_pages(
            self,
            encoded,
            page_size=page_size,
            start=(start_page - 1) * page_size,
            prefetch=self._ctx.prefetch if prefetch is None else prefetch,
        )
        # chain iterates the rows in C: no Python frame per row.
        return itertools.chain.from_iterable(map(_RESULTS, pages))

    def action_json(
        self,
        name: str,
        pk: object = None,
        *,
        json: Any = UNSET,
        params: Mapping[str, Any] | None = None,
        body: bytes | Multipart | None = None,
        timeout: Timeout | None = None,
    ) -> Any:
        """Call the extra route ``name`` (see the endpoint's ``actions``) and return its JSON."""
        method, path = self.endpoint.action_path(name, pk)
        return self._ctx.session.request(
            method, path, json=json, params=params, body=body, timeout=timeout
        ).json()

    def update_json(self, pk: object, body: Any, *, partial: bool = False) -> Any:
        """PUT (or PATCH when ``partial``) ``body`` to the detail route of ``pk``."""
        self.endpoint.require("partial_update" if partial else "update")
        method = "PATCH" if partial else "PUT"
        return self._ctx.session.request(method, self.endpoint.detail_path(pk), json=body).json()

    def save_json(self, pk: object, changed: dict[str, Any], full: dict[str, Any]) -> Any:
        """Send changes: PATCH when the endpoint has it, else PUT of the full object."""
        if "partial_update" in self.endpoint.ops:
            return self.update_json(pk, changed, partial=True)
        return self.update_json(pk, full)

    def iter_action_rows(
        self, name: str, pk: object = None, params: Mapping[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every row of a paginated extra route (``jobs/<id>/console_logs/``), page by page."""
        method, path = self.endpoint.action_path(name, pk)
        session = self._ctx.session

        class _Source:
            def fetch_page(self, query: Mapping[str, str] | None, url: str | None = None) -> Any:
                return session.request(method, url or path, params=query).json()

            def check_url(self, url: str) -> None:
                session.resolve_url(url)

        query: dict[str, str] = {}
        for key, value in (params or {}).items():
            encoded = encode_query_value(value)
            if encoded is not None:
                query[key] = encoded
        for envelope in iter_pages(_Source(), query, page_size=self._ctx.page_size):
            yield from envelope.results

    def delete_json(self, pk: object) -> None:
        """DELETE the detail route of ``pk``."""
        self.endpoint.require("delete")
        self._ctx.session.request("DELETE", self.endpoint.detail_path(pk))

    # -- typed API ---------------------------------------------------------------------------

    def get(
        self, pk: int | str, *, expand: tuple[str, ...] = (), fields: tuple[str, ...] = ()
    ) -> R:
        """Fetch one object by id.

        Raises:
            NotFoundError: No such object (or it belongs to another tenant).
            TypeError, ValueError: ``pk`` is not a valid id (nothing is sent).
        """
        params: dict[str, str] = {}
        if expand:
            params["expand"] = ",".join(expand)
        if fields:
            params["fields"] = ",".join(dict.fromkeys(("id", *fields)))
        return self.build(_as_row(self.fetch_json(pk, params or None), self.endpoint.name))

    def ref(self, pk: int | str) -> R:
        """A stub for ``pk``: no request until a field other than ``id`` is read."""
        check_id(pk, self.endpoint.id_kind)
        obj: R = object.__new__(self.resource)  # type: ignore[assignment]
        object.__setattr__(obj, "id", pk)
        object.__setattr__(obj, "_manager", self)
        return obj

    def all(self) -> QuerySet[R]:
        """A lazy queryset over every object (within this manager's scope)."""
        self.endpoint.require("list")
        return QuerySet(self, self._scope)

    def _filter(self, filters: Mapping[str, Any]) -> QuerySet[R]:
        return self.all().filter(**filters)


class Manager(ReadManager[R]):
    """Read and write access: adds ``create``, ``update`` and ``delete``."""

    def create_json(self, body: Any, *, timeout: Timeout | None = None) -> Any:
        """POST ``body`` to the collection and return the JSON as received."""
        self.endpoint.require("create")
        if isinstance(body, dict) and self._scope:
            body = {**self._scope, **body}
        return self._ctx.session.request(
            "POST", self.endpoint.path, json=body, timeout=timeout
        ).json()

    def create_body(self, data: dict[str, Any]) -> Any:
        """The wire body that creates one object from ``data`` (families override the shape)."""
        return data

    def create(self, **data: Any) -> R:
        """Create an object from wire fields and return it."""
        raw = self.create_json(self.create_body({**self._scope, **data}))
        if type(raw) is list and len(raw) == 1:  # endpoints that create in bulk answer a list
            raw = raw[0]
        return self.build(_as_row(raw, self.endpoint.name))

    def update(self, pk: int | str, **data: Any) -> R:
        """Change fields of object ``pk`` (PATCH where supported, else PUT) and return it."""
        partial = "partial_update" in self.endpoint.ops
        return self.build(_as_row(self.update_json(pk, data, partial=partial), self.endpoint.name))

    def delete(self, pk: int | str) -> None:
        """Delete object ``pk``."""
        self.delete_json(pk)

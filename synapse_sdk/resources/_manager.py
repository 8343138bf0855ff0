"""Managers: the typed door to one endpoint family (``client.tasks``), and the raw JSON operations
the seed's flat methods forward to.

A manager has exactly the operations its endpoint supports: a call the backend cannot serve is a
type error and an ``AttributeError``, never a failure at run time. The capabilities are a linear
chain of generic bases (this module and :mod:`synapse_sdk.resources._capabilities`):

* :class:`BaseManager` -- what every family has: ``build``, ``scoped``, ``related``, actions;
* :class:`ReadManager` -- listing: ``all()``, ``filter()`` and the raw ``list_json``/``iter_json``;
* ``DetailManager`` -> ``CreateManager`` -> ``UpdateManager`` -> ``Manager`` add ``get``/``ref``,
  ``create``, ``update`` and ``delete``; two side bases serve the odd families
  (``DetailUpdateManager``: jobs; ``UnlistedManager``: data files, no listing).

The operations themselves are implemented once, here, as protected methods (``_get``,
``_create`` ...); a capability base only makes them public. Declaring a family checks, at import,
that its manager's public operations and its endpoint's ``ops`` agree (:func:`capabilities`).
"""

from __future__ import annotations

import itertools
import operator
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import cattrs

from synapse_sdk._converter import plan_for
from synapse_sdk._endpoint import Endpoint, check_id, encode_query_value
from synapse_sdk._exceptions import ResponseValidationError
from synapse_sdk._http import UNSET, Multipart, Session, Timeout
from synapse_sdk._progress import ProgressLike
from synapse_sdk._query import PageSource, QuerySet, iter_pages
from synapse_sdk._query._envelope import (
    MAX_PAGE,
    MAX_PAGE_SIZE,
    PageEnvelope,
    check_envelope,
    page_param,
)
from synapse_sdk._query._proxy import QueryMethods
from synapse_sdk._transfer import DownloadItem, download_file, download_files
from synapse_sdk.resources._base import BaseResource
from synapse_sdk.resources._context import ClientContext, pending

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["OP_METHODS", "BaseManager", "ClientContext", "ReadManager", "capabilities"]

R = TypeVar("R", bound=BaseResource)
M = TypeVar("M", bound="BaseManager[Any]")

_RESULTS = operator.attrgetter("results")

#: Endpoint operation -> the public manager method that performs it.
OP_METHODS: dict[str, str] = {
    "list": "all",
    "get": "get",
    "create": "create",
    "update": "update",
    "partial_update": "update",
    "delete": "delete",
}


def capabilities(cls: type) -> frozenset[str]:
    """The operations a manager class exposes, as endpoint ops (``update`` for PUT or PATCH)."""
    return frozenset(
        op
        for op, method in OP_METHODS.items()
        if op != "partial_update" and callable(getattr(cls, method, None))
    )


def _declared(endpoint: Endpoint) -> frozenset[str]:
    """The endpoint's ops, PATCH folded into ``update`` (one ``update()`` serves both)."""
    return frozenset("update" if op == "partial_update" else op for op in endpoint.ops)


def as_row(body: Any, what: str) -> dict[str, Any]:
    """``body`` if it is a JSON object, else :class:`ResponseValidationError`."""
    if type(body) is not dict:
        err = ResponseValidationError(
            f"{what} should answer an object, got {type(body).__name__}", response=body
        )
        raise err
    return body


class BaseManager(Generic[R]):
    """What every family's manager has: building objects, scoping, navigation and actions."""

    endpoint: ClassVar[Endpoint]
    resource: ClassVar[type[BaseResource]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        endpoint = cls.__dict__.get("endpoint")
        if endpoint is not None:
            exposed, declared = capabilities(cls), _declared(endpoint)
            if exposed != declared:
                raise TypeError(
                    f"{cls.__name__} exposes {sorted(exposed)} but the {endpoint.name!r} "
                    f"endpoint declares {sorted(declared)}: pick the capability base that matches"
                )

    def __init__(self, ctx: ClientContext, *, scope: Mapping[str, object] | None = None) -> None:
        self._ctx = ctx
        self._scope = dict(scope or {})
        self._structure = ctx.converter.get_structure_hook(self.resource)
        self._lazy = plan_for(self.resource).lazy
        self._lazy_page = self._lazy.page

    def __repr__(self) -> str:
        scope = f" scope={self._scope}" if self._scope else ""
        return f"<{type(self).__name__} {self.endpoint.name}{scope}>"

    @property
    def converter(self) -> cattrs.Converter:
        """The client's converter (one per client)."""
        return self._ctx.converter

    def build(self, row: dict[str, Any]) -> R:
        """Structure one wire row into a resource bound to this manager: its shape checked now,
        its fields converted on first read (``synapse_sdk._converter._lazy``)."""
        obj: R = self._lazy(row, self)
        return obj

    def build_page(self, rows: list[Any]) -> list[R]:
        """:meth:`build` for every row of a listing page, the shape checked column by column
        (a page that fails the check is built row by row, whose error names the field)."""
        objs: list[R] = self._lazy_page(rows, self)
        return objs

    def scoped(self, **scope: object) -> Self:
        """A copy of this manager whose listings and creations are limited to ``scope``."""
        return type(self)(self._ctx, scope={**self._scope, **scope})

    def related(self, cls: type[M]) -> M:
        """The client's manager of another family: ``manager.related(ProjectManager)``."""
        return self._ctx.manager(cls)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled without the session or any token: family, scope and base URL (see _context).
        return pending(self).__reduce__()

    # -- raw JSON operations every family may have ------------------------------------------

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

    # -- the operations, implemented once (capability bases make them public) ----------------

    def _fetch_json(
        self, pk: object, params: Mapping[str, Any] | None = None, *, timeout: Timeout | None = None
    ) -> Any:
        return self._ctx.session.request(
            "GET", self.endpoint.detail_path(pk), params=params, timeout=timeout
        ).json()

    def _get(self, pk: object, expand: tuple[str, ...], fields: tuple[str, ...]) -> R:
        params: dict[str, str] = {}
        if expand:
            params["expand"] = ",".join(expand)
        if fields:
            params["fields"] = ",".join(dict.fromkeys(("id", *fields)))
        return self.build(as_row(self._fetch_json(pk, params or None), self.endpoint.name))

    def _ref(self, pk: object) -> R:
        check_id(pk, self.endpoint.id_kind)
        obj: R = object.__new__(self.resource)  # type: ignore[assignment]
        object.__setattr__(obj, "id", pk)
        object.__setattr__(obj, "_manager", self)
        return obj

    def _create_json(
        self, body: Any, *, timeout: Timeout | None = None, form: Multipart | None = None
    ) -> Any:
        """POST ``body`` as JSON (the scope merged in), or ``form`` as multipart."""
        if form is not None:
            return self._ctx.session.request(
                "POST", self.endpoint.path, body=form, timeout=timeout
            ).json()
        if isinstance(body, dict) and self._scope:
            body = {**self._scope, **body}
        return self._ctx.session.request(
            "POST", self.endpoint.path, json=body, timeout=timeout
        ).json()

    def _create_body(self, data: dict[str, Any]) -> Any:
        """The wire body that creates one object from ``data`` (families override the shape)."""
        return data

    def _build_created(self, raw: Any) -> R:
        if type(raw) is list and len(raw) == 1:  # endpoints that create in bulk answer a list
            raw = raw[0]
        return self.build(as_row(raw, self.endpoint.name))

    def _create(self, data: dict[str, Any]) -> R:
        return self._build_created(self._create_json(self._create_body({**self._scope, **data})))

    def _update_json(self, pk: object, body: Any, *, partial: bool | None = None) -> Any:
        if partial is None:
            partial = "partial_update" in self.endpoint.ops
        method = "PATCH" if partial else "PUT"
        return self._ctx.session.request(method, self.endpoint.detail_path(pk), json=body).json()

    def _save_json(self, pk: object, changed: dict[str, Any], full: dict[str, Any]) -> Any:
        """Send changes: PATCH when the endpoint has it, else PUT of the full object."""
        if "partial_update" in self.endpoint.ops:
            return self._update_json(pk, changed, partial=True)
        return self._update_json(pk, full, partial=False)

    def _update(self, pk: object, data: dict[str, Any]) -> R:
        return self.build(as_row(self._update_json(pk, data), self.endpoint.name))

    def _delete_json(self, pk: object) -> None:
        self._ctx.session.request("DELETE", self.endpoint.detail_path(pk))

    # -- file transfers of the family's objects (the engine in synapse_sdk._transfer) ---------

    def _download(
        self,
        url: str,
        target: Path,
        *,
        overwrite: bool,
        max_bytes: int | None,
        deadline: float | None,
        progress: ProgressLike,
        md5: str | None = None,
        size: int | None = None,
    ) -> Path:
        return download_file(
            self._ctx.session,
            url,
            target,
            overwrite=overwrite,
            max_bytes=max_bytes,
            deadline=deadline,
            md5=md5,
            size=size,
            progress=progress,
        )

    def _download_files(
        self,
        items: list[DownloadItem],
        dest_dir: str | os.PathLike[str],
        *,
        overwrite: bool,
        max_bytes: int | None,
        deadline: float | None,
        progress: ProgressLike,
        desc: str,
    ) -> dict[str, Path]:
        return download_files(
            self._ctx.session,
            items,
            dest_dir,
            overwrite=overwrite,
            max_bytes=max_bytes,
            deadline=deadline,
            progress=progress,
            desc=desc,
        )


class _RouteSource:
    """The pages of one paginated GET route other than the family's listing."""

    def __init__(self, session: Session, path: str) -> None:
        self._session = session
        self._path = path

    def fetch_page(self, params: Mapping[str, str] | None, url: str | None = None) -> Any:
        return self._session.request("GET", url or self._path, params=params).json()

    def check_url(self, url: str) -> None:
        self._session.resolve_url(url)


class ReadManager(QueryMethods[R], BaseManager[R]):
    """Listing: ``all()``, the family's typed ``filter()``, ``list_json`` and ``iter_json``, and
    the queryset API forwarded to ``all()`` (``count()``, ``first()``, ``list(manager)`` ...).

    The root of the capability chain (``ground_truth_events`` and ``agents`` have only this).
    """

    # -- ListSource protocol (used by QuerySet) ---------------------------------------------

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
        return self._ctx.session.request(
            "GET", url or self.endpoint.listing_path, params=params
        ).json()

    def check_url(self, url: str) -> None:
        """Raise what requesting ``url`` would raise before any I/O (``OriginError`` ...)."""
        self._ctx.session.resolve_url(url)

    # -- raw JSON ----------------------------------------------------------------------------

    def list_json(self, params: Mapping[str, Any] | None = None) -> PageEnvelope:
        """GET the list route with ``params`` passed through unchanged; return the first page.

        Raises:
            TypeError, ValueError: ``page`` or ``page_size`` is not a positive int (before I/O).
            ResponseValidationError: The answer is not a well-formed page envelope.
        """
        return self._first_page(self.endpoint.listing_path, params)

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
        return self._walk(self, params, prefetch)

    def list_route_json(self, name: str, params: Mapping[str, Any] | None = None) -> PageEnvelope:
        """The first page of the paginated GET action ``name`` (``sdk/tasks/data/``), checked
        like :meth:`list_json` (same params, scope and envelope checks)."""
        return self._first_page(self._route_path(name), params)

    def iter_route_json(
        self, name: str, params: Mapping[str, Any] | None = None, *, prefetch: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every row of the paginated GET action ``name``, walked like :meth:`iter_json`."""
        return self._walk(_RouteSource(self._ctx.session, self._route_path(name)), params, prefetch)

    def _route_rows(self, name: str, filters: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """The typed door to a row route: ``filters`` checked and encoded like ``filter()``'s."""
        self.endpoint.check_filters(filters)
        return self.iter_route_json(name, self.endpoint.encode_filters(filters))

    def _route_path(self, name: str) -> str:
        method, path = self.endpoint.action_path(name)
        if method != "GET":
            raise ValueError(f"{self.endpoint.name} action {name!r} is not a GET listing")
        return path

    def _first_page(self, path: str, params: Mapping[str, Any] | None) -> PageEnvelope:
        query = {**self._scope, **(params or {})}
        number = page_param(query, "page", 1, MAX_PAGE)
        page_param(query, "page_size", 1, MAX_PAGE_SIZE)
        return check_envelope(self._ctx.session.request("GET", path, params=query).json(), number)

    def _walk(
        self, source: PageSource, params: Mapping[str, Any] | None, prefetch: int | None
    ) -> Iterator[dict[str, Any]]:
        query = {k: v for k, v in {**self._scope, **(params or {})}.items() if v is not None}
        page_size = page_param(query, "page_size", self._ctx.page_size, MAX_PAGE_SIZE)
        start_page = page_param(query, "page", 1, MAX_PAGE)
        query.pop("page_size", None)
        query.pop("page", None)
        encoded = {k: v for k, v in ((k, encode_query_value(v)) for k, v in query.items()) if v}
        pages = iter_pages(
            source,
            encoded,
            page_size=page_size,
            start=(start_page - 1) * page_size,
            prefetch=self._ctx.prefetch if prefetch is None else prefetch,
        )
        # chain iterates the rows in C: no Python frame per row.
        return itertools.chain.from_iterable(map(_RESULTS, pages))

    # -- typed API ---------------------------------------------------------------------------

    def all(self) -> QuerySet[R]:
        """A lazy queryset over every object (within this manager's scope)."""
        return QuerySet(self, self._scope)

    def _filter(self, filters: Mapping[str, Any]) -> QuerySet[R]:
        return QuerySet(self, self._scope)._narrow(filters)

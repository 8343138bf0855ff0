"""What a queryset needs from its manager (:class:`ListSource`), what a resource class declares
for type checkers so that ``QuerySet.filter`` takes its family's filters (:class:`Filtered`), and
the error of ``get()`` when several objects match."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ParamSpec, Protocol, TypeVar

from synapse_sdk._endpoint import Endpoint
from synapse_sdk._exceptions import MultipleObjectsReturned
from synapse_sdk._query._pages import PageSource

__all__ = ["Filtered", "ListSource", "MultipleObjectsReturned"]

P = ParamSpec("P")
R_co = TypeVar("R_co", covariant=True)
T_co = TypeVar("T_co", covariant=True)


class ListSource(PageSource, Protocol[R_co]):
    """What a queryset needs from its manager."""

    @property
    def endpoint(self) -> Endpoint:
        """The endpoint declaration (filters, ordering, list path)."""
        ...

    @property
    def default_page_size(self) -> int:
        """Rows per page unless the query says otherwise."""
        ...

    @property
    def default_prefetch(self) -> int:
        """Pages fetched ahead unless the query says otherwise."""
        ...

    def build(self, row: dict[str, Any]) -> R_co:
        """Turn one wire row into an object."""
        ...

    def build_page(self, rows: list[Any]) -> Sequence[R_co]:
        """Turn the rows of a page into objects (what ``build`` does for each)."""
        ...


class Filtered(Protocol[P, T_co]):
    """What a resource class declares (for type checkers only) so that ``QuerySet.filter``
    takes the family's filters: ``def _filter_signature(self, **f: Unpack[TaskFilters]) -> Task``.
    """

    def _filter_signature(self, *args: P.args, **kwargs: P.kwargs) -> T_co:
        """The family's filter keywords (never called)."""
        ...

"""The base of the seed API's method groups: what every flat method shares (listing with
``list_all``, ``params`` checks, per-call read timeouts).

``BackendClient`` derives from one mixin per family group (``_seed_annotation``, ``_seed_data``,
``_seed_integration``, ``_seed_ml``); each is a list of one-line forwards to the managers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from synapse_sdk._url_conversion import (
    UrlConversion,
    check_url_conversion,
    convert_page,
    convert_rows,
)
from synapse_sdk.clients._listing import CountingSource, ListAllRows
from synapse_sdk.clients._shapes import PageEnvelope
from synapse_sdk.resources import Managers, ReadManager
from synapse_sdk.resources._manager import _RouteSource

if TYPE_CHECKING:
    from typing_extensions import Self

    from synapse_sdk._http import RetryPolicy, Session
    from synapse_sdk.clients._config import ClientConfig, TimeoutLike
    from synapse_sdk.uploads import UploadManager

__all__ = ["SeedBase", "chunked_flag"]


def chunked_flag(value: object) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"use_chunked_upload must be True, False or None, got {value!r}")
    return value


class SeedBase(Managers):
    """What the seed method groups read from the client."""

    _config: ClientConfig
    _session: Session
    uploads: UploadManager

    def with_options(
        self,
        *,
        timeout: TimeoutLike = None,
        retries: int | RetryPolicy | None = None,
        page_size: int | None = None,
        prefetch: int | None = None,
    ) -> Self:
        raise NotImplementedError  # BackendClient.with_options

    def _list(
        self,
        manager: ReadManager[Any],
        params: Mapping[str, Any] | None,
        url_conversion: UrlConversion | None,
        list_all: bool,
    ) -> PageEnvelope | ListAllRows:
        conversion = check_url_conversion(url_conversion)
        if params is not None and not isinstance(params, Mapping):
            raise TypeError(f"params must be a mapping, got {type(params).__name__}")
        if list_all:  # iter_json checks page/page_size now; nothing is sent before next()
            # The manager's own walk over a source that keeps the first page's count.
            source = CountingSource(manager)
            rows = manager._walk(source, params, None)
            return ListAllRows(convert_rows(rows, conversion) if conversion else rows, source)
        page: PageEnvelope = convert_page(manager.list_json(params), conversion)
        return page

    def _list_route(
        self,
        manager: ReadManager[Any],
        name: str,
        params: Mapping[str, Any] | None,
        url_conversion: UrlConversion | None,
        list_all: bool,
    ) -> PageEnvelope | ListAllRows:
        conversion = check_url_conversion(url_conversion)
        query = self._params(params)
        if list_all:  # iter_route_json checks page/page_size now; nothing is sent before next()
            source = CountingSource(_RouteSource(self._session, manager._route_path(name)))
            rows = manager._walk(source, query, None)
            return ListAllRows(convert_rows(rows, conversion) if conversion else rows, source)
        page: PageEnvelope = convert_page(manager.list_route_json(name, query), conversion)
        return page

    def _reading(self, read_timeout: float | None) -> Self:
        """This client, or with ``read_timeout`` a copy whose read timeout it is (sharing the
        pool; the wall-clock deadline raised to at least ``read_timeout``). Checked before I/O."""
        if read_timeout is None:
            return self
        if isinstance(read_timeout, bool) or not isinstance(read_timeout, (int, float)):
            kind = type(read_timeout).__name__
            raise TypeError(f"read_timeout must be a number of seconds or None, got {kind}")
        deadline = self._config.timeout.deadline
        timeout: dict[str, float | None] = {"read": read_timeout}
        if deadline is not None and read_timeout > deadline:
            timeout["deadline"] = read_timeout
        return self.with_options(timeout=timeout)

    @staticmethod
    def _params(params: Mapping[str, Any] | None) -> dict[str, Any]:
        if params is None:
            return {}
        if not isinstance(params, Mapping):
            raise TypeError(f"params must be a mapping, got {type(params).__name__}")
        return dict(params)

"""The seed API's flat methods for models and ground truth."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, overload

from synapse_sdk._url_conversion import UrlConversion, check_url_conversion, convert_row
from synapse_sdk.clients._listing import ListAllRows
from synapse_sdk.clients._seed_base import SeedBase
from synapse_sdk.clients._shapes import PageEnvelope
from synapse_sdk.resources._manager import as_row

__all__ = ["MLMethods"]


class MLMethods(SeedBase):
    """``list_models``, ``create_model``, ``list_ground_truth_events`` ... (raw JSON)."""

    def list_models(self, params: Mapping[str, Any] | None = None) -> PageEnvelope:
        """List models (first page envelope)."""
        return self.models.list_json(params)

    def get_model(
        self,
        pk: int,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion | None = None,
    ) -> dict[str, Any]:
        """Get a model; ``url_conversion`` rewrites its file URLs."""
        conversion = check_url_conversion(url_conversion)
        return as_row(convert_row(self.models.fetch_json(pk, params), conversion), "model")

    def create_model(self, data: Mapping[str, Any], *, file: Any = None) -> dict[str, Any]:
        """Create a model; a file path (``file=``, or ``data['file']``) is uploaded with the
        chunked protocol first and referenced by ``chunked_upload``."""
        return as_row(self.uploads.model_json(data, file=file), "model")

    @overload
    def list_ground_truth_events(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion | None = None,
        list_all: Literal[False] = False,
    ) -> PageEnvelope: ...

    @overload
    def list_ground_truth_events(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion | None = None,
        *,
        list_all: Literal[True],
    ) -> ListAllRows: ...

    @overload
    def list_ground_truth_events(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
    ) -> PageEnvelope | ListAllRows: ...

    def list_ground_truth_events(
        self,
        params: Mapping[str, Any] | None = None,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
    ) -> PageEnvelope | ListAllRows:
        """List ground-truth events (first page, or every row lazily with ``list_all=True``)."""
        return self._list(self.ground_truth_events, params, url_conversion, list_all)

    @overload
    def list_ground_truths(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: Literal[False] = False,
        page_size: int = 100,
        timeout: float | None = 60,
    ) -> PageEnvelope: ...

    @overload
    def list_ground_truths(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: Literal[True],
        page_size: int = 100,
        timeout: float | None = 60,
    ) -> ListAllRows: ...

    @overload
    def list_ground_truths(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
        page_size: int = 100,
        timeout: float | None = 60,
    ) -> PageEnvelope | ListAllRows: ...

    def list_ground_truths(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
        page_size: int = 100,
        timeout: float | None = 60,
    ) -> PageEnvelope | ListAllRows:
        """List ground truths (``ground_truths/``), e.g. ``params={'ground_truth_dataset': 1}``
        or ``{'ground_truth_dataset_versions': [3]}``: the first page envelope (``page_size``
        rows unless ``params`` says otherwise), or with ``list_all=True`` a lazy iterator over
        every row. Each row's ``files`` holds its annotation files (``url`` ...), which
        ``url_conversion`` rewrites. ``timeout`` is the read timeout of these requests in seconds
        (None: the client's); the backend can take long to build these rows."""
        query = {"page_size": page_size, **self._params(params)}
        client = self if timeout is None else self.with_options(timeout={"read": timeout})
        return client._list(client.ground_truths, query, url_conversion, list_all)

    def get_ground_truth_version(self, pk: int) -> dict[str, Any]:
        """Get a ground-truth dataset version (raw JSON)."""
        return as_row(self.ground_truth_versions.fetch_json(pk), "ground-truth version")

    def list_ground_truth_versions(self, params: Mapping[str, Any] | None = None) -> PageEnvelope:
        """List ground-truth dataset versions (first page envelope)."""
        return self.ground_truth_versions.list_json(self._params(params))

    @overload
    def list_ground_truth_events_data(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: Literal[False] = False,
        page_size: int = 100,
    ) -> PageEnvelope: ...

    @overload
    def list_ground_truth_events_data(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: Literal[True],
        page_size: int = 100,
    ) -> ListAllRows: ...

    @overload
    def list_ground_truth_events_data(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
        page_size: int = 100,
    ) -> PageEnvelope | ListAllRows: ...

    def list_ground_truth_events_data(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
        page_size: int = 100,
    ) -> PageEnvelope | ListAllRows:
        """``{"id", "pgh_id", "data"}`` of the ground-truth events matching ``params``
        (``sdk/ground_truth_events/data/``): first page, or every row with ``list_all=True``."""
        query = {"page_size": page_size, **self._params(params)}
        return self._list_route(
            self.ground_truth_events, "list_data", query, url_conversion, list_all
        )

    @overload
    def list_ground_truth_events_files(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: Literal[False] = False,
        page_size: int = 100,
    ) -> PageEnvelope: ...

    @overload
    def list_ground_truth_events_files(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: Literal[True],
        page_size: int = 100,
    ) -> ListAllRows: ...

    @overload
    def list_ground_truth_events_files(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
        page_size: int = 100,
    ) -> PageEnvelope | ListAllRows: ...

    def list_ground_truth_events_files(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
        page_size: int = 100,
    ) -> PageEnvelope | ListAllRows:
        """``{"id", "pgh_id", "files": [...]}`` of the ground-truth events matching ``params``
        (``sdk/ground_truth_events/files/``): first page, or every row with ``list_all=True``."""
        query = {"page_size": page_size, **self._params(params)}
        return self._list_route(
            self.ground_truth_events, "list_files", query, url_conversion, list_all
        )

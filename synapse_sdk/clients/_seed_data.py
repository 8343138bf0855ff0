"""The seed API's flat methods for uploads, data collections, data files and data units."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Literal, overload

from synapse_sdk._endpoint import check_id
from synapse_sdk._url_conversion import UrlConversion
from synapse_sdk.clients._listing import ListAllRows
from synapse_sdk.clients._seed_base import SeedBase, chunked_flag
from synapse_sdk.clients._shapes import ExistingChecksums, PageEnvelope
from synapse_sdk.resources._manager import as_row
from synapse_sdk.uploads import (
    CHUNKED_UPLOADS,
    DEFAULT_CHUNK_SIZE,
    BulkUploadResult,
    ProgressCallback,
    Strategy,
)

__all__ = ["DataMethods"]


class DataMethods(SeedBase):
    """``create_chunked_upload``, ``create_data_file``, ``list_data_units`` ... (raw JSON)."""

    def create_chunked_upload(
        self,
        file_path: str | os.PathLike[str],
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        on_progress: ProgressCallback | None = None,
        *,
        progress: bool | None = None,
        read_timeout: float | None = None,
    ) -> dict[str, Any]:
        """Upload a file with the chunked protocol (50 MiB chunks streamed from disk,
        MD5-verified, resumed from the server's offset after a dropped connection).

        ``on_progress(sent, total)`` is called as bytes go out; ``progress=True`` shows a bar.
        ``read_timeout`` (seconds) replaces the client's read timeout for this upload's requests
        (a finalize of a large file can take the server tens of seconds). Returns the finalize
        JSON (``id``, ``checksum``, ``size`` ...). On failure the error's ``upload_id`` names the
        upload for :meth:`resume_chunked_upload`.
        """
        return as_row(
            self._reading(read_timeout).uploads.chunked_json(
                file_path, chunk_size=chunk_size, progress=on_progress or progress
            ),
            "chunked upload",
        )

    def resume_chunked_upload(
        self,
        upload_id: str,
        file_path: str | os.PathLike[str],
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        on_progress: ProgressCallback | None = None,
        *,
        progress: bool | None = None,
    ) -> dict[str, Any]:
        """Continue an interrupted chunked upload (from this or another process) from the
        server's offset, after checking the local file; returns the finalize JSON."""
        return as_row(
            self.uploads.resume_chunked_json(
                upload_id, file_path, chunk_size=chunk_size, progress=on_progress or progress
            ),
            "chunked upload",
        )

    def list_data_collection(self) -> PageEnvelope:
        """List data collections (first page envelope)."""
        return self.data_collections.list_json()

    list_data_collections = list_data_collection

    def get_data_collection(self, data_collection_id: int) -> dict[str, Any]:
        """Get a data collection with its ``file_specifications``."""
        return as_row(
            self.data_collections.fetch_json(data_collection_id, {"expand": "file_specifications"}),
            "data collection",
        )

    def create_data_file(
        self,
        file_path: str | os.PathLike[str],
        use_chunked_upload: bool | None = None,
        *,
        read_timeout: float | None = None,
    ) -> dict[str, Any]:
        """Upload a file as a data file: one multipart POST, or the chunked protocol for files
        above 50 MiB (``use_chunked_upload=None``, the default); True/False force either.
        ``read_timeout`` (seconds) replaces the client's read timeout for this call."""
        chunked = chunked_flag(use_chunked_upload)
        return as_row(
            self._reading(read_timeout).uploads.data_file_json(file_path, chunked=chunked),
            "data file",
        )

    def upload_data_file(
        self,
        organized_file: Mapping[str, Any],
        collection_id: int,
        use_chunked_upload: bool | None = None,
        *,
        read_timeout: float | None = None,
    ) -> dict[str, Any]:
        """Upload an organised item's files (each chunked above 50 MiB unless
        ``use_chunked_upload`` says otherwise); return the item for ``create_data_units``.
        ``read_timeout`` (seconds) replaces the client's read timeout for these uploads."""
        chunked = chunked_flag(use_chunked_upload)
        return as_row(
            self._reading(read_timeout).uploads.data_unit_item(
                organized_file, collection_id, chunked=chunked
            ),
            "data unit item",
        )

    def create_data_units(self, uploaded_files: Any) -> list[dict[str, Any]] | dict[str, Any]:
        """Create data units from uploaded items (a list in, a list out; one object in, one
        object out). An answer that is neither an object nor a list of objects raises
        ``ResponseValidationError``."""
        created = self.data_units.create_json(uploaded_files)
        if type(created) is list:
            return [as_row(row, "data unit") for row in created]
        return as_row(created, "data units")

    def upload_files_bulk(
        self,
        file_paths: Sequence[str | os.PathLike[str]],
        *,
        max_workers: int = 10,
        on_progress: ProgressCallback | None = None,
        batch_size: int = 200,
        max_upload_retries: int = 2,
        strategy: Strategy | None = None,
    ) -> BulkUploadResult:
        """Upload many files as data files; one failing file never stops the others.

        ``strategy=None`` (default) asks for the default storage: when its provider issues
        presigned URLs (``amazon_s3``, ``s3``, ``minio``, ``gcp``, ``gcs``, ``azure``) the files
        go straight to object storage (batches of ``batch_size``, ``max_workers`` PUTs at once,
        multipart above the backend's threshold, each PUT retried ``max_upload_retries`` times
        unless storage refused it, then confirmed with their SHA-1); otherwise, or with
        ``strategy='direct'``, each file is one ``data_files/`` upload (chunked above 50 MiB),
        ``max_workers`` at a time. ``strategy='presigned'`` skips the storage check.
        ``on_progress(sent_bytes, total_bytes)`` is called as bytes go out.

        Returns ``{"strategy", "results": [{"path", "success", "data_file_id", "file_key",
        "checksum", "size", "attempts", "error", "error_type"}], "created_count",
        "failed_count"}``, results in input order. Bad arguments, an unknown strategy or a
        missing/unreadable file raise before any request.
        """
        return self.uploads.bulk_json(
            file_paths,
            max_workers=max_workers,
            on_progress=on_progress,
            batch_size=batch_size,
            max_upload_retries=max_upload_retries,
            strategy=strategy,
        )

    def request_presigned_upload(
        self, files: Sequence[Mapping[str, Any]], *, expiration: int = 3600
    ) -> dict[str, Any]:
        """``POST data_files/presigned_upload/upload/`` with ``[{filename, size,
        content_type}]``; returns the answer (``files`` with ``file_key`` and ``presigned_url``
        or ``multipart``, ``expires_at``) as received. Inputs are checked before the request;
        the caller's list and dicts are never modified."""
        return as_row(
            self.data_files.presigned_upload_json(files, expiration=expiration), "presigned upload"
        )

    def confirm_presigned_upload(self, files: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """``POST data_files/presigned_upload/confirm_upload/`` with ``[{file_key, checksum,
        size, multipart?}]``; returns the answer (``results``, ``created_count``,
        ``failed_count``) as received. Inputs are checked before the request and copied."""
        return as_row(self.data_files.confirm_upload_json(files), "presigned confirm")

    def upload_file_to_presigned_url(
        self,
        url: str,
        path: str | os.PathLike[str],
        content_type: str | None = None,
    ) -> dict[str, Any]:
        """PUT a local file to one presigned storage URL: streamed, no auth headers,
        ``Content-Type`` = ``content_type`` or the type guessed from the name, retried like the
        bulk upload's PUTs. Returns ``{"etag", "size", "checksum" (SHA-1), "attempts"}``; a
        storage error raises (``HTTPError`` with the storage's XML in ``.response``)."""
        return self.uploads.presigned_put_json(url, path, content_type)

    @overload
    def list_data_units(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: Literal[False] = False,
        page_size: int = 100,
        timeout: float | None = 60,
    ) -> PageEnvelope: ...

    @overload
    def list_data_units(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: Literal[True],
        page_size: int = 100,
        timeout: float | None = 60,
    ) -> ListAllRows: ...

    @overload
    def list_data_units(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
        page_size: int = 100,
        timeout: float | None = 60,
    ) -> PageEnvelope | ListAllRows: ...

    def list_data_units(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        url_conversion: UrlConversion | None = None,
        list_all: bool = False,
        page_size: int = 100,
        timeout: float | None = 60,
    ) -> PageEnvelope | ListAllRows:
        """List data units: the first page envelope (``page_size`` rows unless ``params`` says
        otherwise), or with ``list_all=True`` a lazy iterator over every unit. ``timeout`` is
        the read timeout of these requests in seconds (None: the client's)."""
        query = {"page_size": page_size, **self._params(params)}
        client = self if timeout is None else self.with_options(timeout={"read": timeout})
        return client._list(client.data_units, query, url_conversion, list_all)

    def get_data_unit(self, pk: int, *, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Get a data unit by id, e.g. ``params={'expand': 'files'}`` (raw JSON)."""
        return as_row(self.data_units.fetch_json(pk, self._params(params)), "data unit")

    def verify_data_files_checksums(self, checksums: Sequence[str]) -> ExistingChecksums:
        """``{"existing_checksums": [...]}``: which of ``checksums`` (MD5 hex) the server already
        has (asked 1,000 at a time, the most one request carries; the answers merged)."""
        return ExistingChecksums(
            existing_checksums=self.data_files.verify_checksums_json(checksums)[
                "existing_checksums"
            ]
        )

    def get_chunked_upload(self, pk: str | int) -> dict[str, Any]:
        """The state of a chunked upload (``offset``, ``completed_at`` ...), by its id (a UUID
        string, or an int on backends that number uploads)."""
        if isinstance(pk, str):
            return as_row(self.uploads.get_chunked(pk), "chunked upload")
        segment = check_id(pk, what="upload id")
        return as_row(
            self._session.request("GET", f"{CHUNKED_UPLOADS.path}{segment}/").json(),
            "chunked upload",
        )

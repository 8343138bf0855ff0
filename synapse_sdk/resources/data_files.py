"""Data files (``data_files/``): uploaded files, created from a local file or a chunked upload;
the endpoint has no listing."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from synapse_sdk._endpoint import Action, Endpoint
from synapse_sdk._exceptions import ResponseValidationError
from synapse_sdk._http import Timeout
from synapse_sdk._progress import ProgressLike
from synapse_sdk._transfer import (
    API_READ_TIMEOUT,
    DEFAULT_CHUNK_SIZE,
    PresignedReport,
    check_confirm_files,
    check_expiration,
    check_request_files,
    create_data_file,
    resolve_target,
    upload_presigned,
)
from synapse_sdk.resources._base import Resource
from synapse_sdk.resources._capabilities import UnlistedManager
from synapse_sdk.resources._files import checked_size, loaded_field

__all__ = ["DATA_FILES", "VERIFY_BATCH", "DataFile", "DataFileManager"]

#: The most checksums one ``verify_checksums`` request carries.
VERIFY_BATCH = 1000


@attrs.define(kw_only=True, eq=False, repr=False)
class DataFile(Resource):
    """An uploaded file (``checksum`` is the MD5 of its bytes)."""

    id: int
    checksum: str = ""
    file: str | None = None
    size: int | None = None
    meta: dict[str, Any] | None = None
    created_at: dt.datetime | None = None

    def download(
        self,
        dest: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        max_bytes: int | None = None,
        deadline: float | None = None,
        progress: ProgressLike = None,
    ) -> Path:
        """Download the file (streamed, resumable, MD5-checked, no auth headers sent).

        Args:
            dest: A directory (the file keeps its safe base name) or a file path.
            overwrite: Replace an existing file.
            max_bytes: Refuse a larger file.
            deadline: Seconds for the whole download.
            progress: ``True`` for a bar, or a ``(done, total)`` callback.

        Returns:
            The downloaded file's path.

        Raises:
            ValueError: The data file has no URL.
            OriginError: The URL is not one the SDK downloads from (before any request).
            ResponseValidationError: ``size`` is not a size (before any request).
            FileExistsError: The target exists and ``overwrite`` is False (before any request).
            IntegrityError: The bytes do not match ``checksum``/``size``.
        """
        url = loaded_field(self, "file")
        if not url:
            raise ValueError(f"data file {self.id} has no file URL to download")
        return self._require_manager()._download(
            url,
            resolve_target(dest, url),
            overwrite=overwrite,
            max_bytes=max_bytes,
            deadline=deadline,
            md5=loaded_field(self, "checksum"),
            size=checked_size(loaded_field(self, "size"), "size"),
            progress=progress,
        )


DATA_FILES = Endpoint(
    name="data_files",
    path="data_files/",
    ops=frozenset({"get", "create"}),
    actions={
        "verify_checksums": Action("POST", "verify_checksums/", detail=False),
        "presigned_upload": Action("POST", "presigned_upload/upload/", detail=False),
        "confirm_upload": Action("POST", "presigned_upload/confirm_upload/", detail=False),
    },
)


class DataFileManager(UnlistedManager[DataFile, int]):
    """``client.data_files``: ``get``, ``create`` (from a ``chunked_upload``), ``upload`` (a
    local file) and ``verify_checksums``; data files cannot be listed."""

    endpoint = DATA_FILES
    resource = DataFile

    def upload_json(
        self,
        file_path: str | os.PathLike[str],
        *,
        chunked: bool | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        progress: ProgressLike = None,
        timeout: Timeout | None = None,
        deadline: float | None = None,
    ) -> dict[str, Any]:
        """Create a data file from a local file; return the JSON. ``chunked=None`` decides by
        size (50 MiB); ``deadline`` bounds a chunked upload's wall-clock time."""
        return create_data_file(
            self._ctx.session,
            file_path,
            data_files_path=self.endpoint.path,
            chunked=chunked,
            chunk_size=chunk_size,
            progress=progress,
            timeout=timeout,
            deadline=deadline,
        )

    def upload(
        self,
        file_path: str | os.PathLike[str],
        *,
        chunked: bool | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        progress: ProgressLike = None,
        deadline: float | None = None,
    ) -> DataFile:
        """Upload a local file as a data file (chunked above 50 MiB) and return it.

        Raises:
            OSError: The file cannot be read (before any request).
            IntegrityError: The server's checksum differs from the local MD5, or the file
                changed while it was uploaded.
        """
        raw = self.upload_json(
            file_path, chunked=chunked, chunk_size=chunk_size, progress=progress, deadline=deadline
        )
        return self.build(raw)

    def verify_checksums_json(self, checksums: Sequence[str]) -> dict[str, list[str]]:
        """``{"existing_checksums": [...]}``: which of ``checksums`` (MD5 hex) the server already
        has, asked in batches of 1,000 (the most one request may carry), merged in order.

        Raises:
            TypeError: ``checksums`` is a single string or holds a non-string (before I/O).
            ResponseValidationError: An answer's ``existing_checksums`` is not a list of strings
                (an answer without the key counts as "none known").
        """
        if isinstance(checksums, str | bytes) or not isinstance(checksums, Iterable):
            raise TypeError(f"checksums must be a list of strings, got {type(checksums).__name__}")
        items = list(checksums)
        for item in items:
            if not isinstance(item, str):
                raise TypeError(f"checksums must be strings, got {type(item).__name__}")
        found: dict[str, None] = {}
        for i in range(0, len(items), VERIFY_BATCH):
            batch = items[i : i + VERIFY_BATCH]
            raw = self.action_json("verify_checksums", json={"checksums": batch})
            # An answer that names none (another shape, no key) means "none known": the files
            # are sent. A list that holds anything but strings is refused.
            existing = raw.get("existing_checksums", []) if type(raw) is dict else []
            if not isinstance(existing, list) or not all(isinstance(c, str) for c in existing):
                raise ResponseValidationError(
                    "verify_checksums should answer {'existing_checksums': [str, ...]}",
                    response=raw,
                )
            found.update(dict.fromkeys(existing))
        return {"existing_checksums": list(found)}

    def verify_checksums(self, checksums: Sequence[str]) -> set[str]:
        """Which of ``checksums`` (MD5 hex) the server already has, in batches of 1,000."""
        return set(self.verify_checksums_json(checksums)["existing_checksums"])

    # -- presigned bulk upload -------------------------------------------------------------

    def _api_timeout(self) -> Timeout:
        base = self._ctx.session.timeout
        deadline = None if base.deadline is None else max(base.deadline, API_READ_TIMEOUT + 30)
        return Timeout(base.connect, API_READ_TIMEOUT, deadline)

    def presigned_upload_json(
        self, files: Sequence[Mapping[str, Any]], *, expiration: int = 3600
    ) -> Any:
        """``POST presigned_upload/upload/``: where to PUT each file (raw JSON).

        Args:
            files: ``[{"filename": base name, "size": bytes, "content_type": str | None}]``.
            expiration: Seconds the URLs stay valid (60..86400).

        Raises:
            TypeError, ValueError: Malformed ``files`` or ``expiration`` (before any request;
                the caller's list and dicts are never modified).
        """
        body = {"files": check_request_files(files), "expiration": check_expiration(expiration)}
        return self.action_json("presigned_upload", json=body, timeout=self._api_timeout())

    def confirm_upload_json(self, files: Sequence[Mapping[str, Any]]) -> Any:
        """``POST presigned_upload/confirm_upload/``: create data files from stored objects.

        Args:
            files: ``[{"file_key", "checksum", "size", "multipart"?: {"upload_id", "parts":
                [{"part_number", "etag"}]}}]``.

        Raises:
            TypeError, ValueError: Malformed ``files`` (before any request; copied, never
                modified).
        """
        body = {"files": check_confirm_files(files)}
        return self.action_json("confirm_upload", json=body, timeout=self._api_timeout())

    def upload_presigned(
        self,
        file_paths: Sequence[str | os.PathLike[str]],
        *,
        max_workers: int = 10,
        batch_size: int = 200,
        max_upload_retries: int = 2,
        expiration: int = 3600,
        progress: ProgressLike = None,
        timeout: Timeout | None = None,
        put_timeout: Timeout | None = None,
    ) -> PresignedReport:
        """Upload files straight to object storage through presigned URLs and create their data
        files (see ``client.uploads.presigned``)."""
        return upload_presigned(
            self._ctx.session,
            file_paths,
            request_path=self.endpoint.action_path("presigned_upload")[1],
            confirm_path=self.endpoint.action_path("confirm_upload")[1],
            max_workers=max_workers,
            batch_size=batch_size,
            max_upload_retries=max_upload_retries,
            expiration=expiration,
            progress=progress,
            timeout=timeout,
            put_timeout=put_timeout,
        )

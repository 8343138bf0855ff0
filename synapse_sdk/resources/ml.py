"""Models and storages (``models/``, ``storages/``)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import attrs

from synapse_sdk._endpoint import Endpoint
from synapse_sdk._exceptions import ResponseValidationError
from synapse_sdk._http import Timeout
from synapse_sdk._progress import ProgressLike
from synapse_sdk._query import QuerySet
from synapse_sdk._transfer import (
    DEFAULT_CHUNK_SIZE,
    ChunkedUploader,
    check_upload_path,
    resolve_target,
)
from synapse_sdk.resources._base import Resource, fk
from synapse_sdk.resources._capabilities import CreateManager
from synapse_sdk.resources._enums import StorageCategory, StorageProvider
from synapse_sdk.resources._files import checked_size, loaded_field
from synapse_sdk.resources._relations import ForeignKey
from synapse_sdk.resources.ground_truth import (  # their old home (kept importable)
    GROUND_TRUTH_DATASETS as GROUND_TRUTH_DATASETS,
)
from synapse_sdk.resources.ground_truth import GROUND_TRUTH_EVENTS as GROUND_TRUTH_EVENTS
from synapse_sdk.resources.ground_truth import GROUND_TRUTH_VERSIONS as GROUND_TRUTH_VERSIONS

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from synapse_sdk.resources.projects import Project  # noqa: F401 (navigation targets)


__all__ = [
    "MODELS",
    "STORAGES",
    "Model",
    "ModelFilters",
    "ModelManager",
    "Storage",
    "StorageFilters",
    "StorageManager",
]


@attrs.define(kw_only=True, eq=False, repr=False)
class Model(Resource):
    """A trained model; ``file`` is the URL of its archive."""

    if TYPE_CHECKING:

        def _filter_signature(self, **filters: Unpack[ModelFilters]) -> Model:
            """The keywords of ``QuerySet.filter`` (for type checkers only)."""
            ...

    id: int
    name: str = ""
    description: str | None = None
    category: str | None = None
    project_id: int | None = fk("project")
    plugin: str | None = None
    version: str | None = None
    checkpoint: int | None = None
    configuration: dict[str, Any] | None = None
    file: str | None = None
    size: int | None = None
    is_released: bool = False
    created: dt.datetime | None = None

    project = ForeignKey["Project"]("project_id")
    """The model's project (loaded on first use)."""

    def download(
        self,
        dest: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        max_bytes: int | None = None,
        deadline: float | None = None,
        progress: ProgressLike = None,
    ) -> Path:
        """Download the model's file (streamed to disk, resumable, no auth headers sent).

        Args:
            dest: A directory (the file keeps the URL's safe base name) or a file path.
            overwrite: Replace an existing file.
            max_bytes: Refuse a larger file.
            deadline: Seconds for the whole download.
            progress: ``True`` for a bar, or a ``(done, total)`` callback.

        Returns:
            The downloaded file's path.

        Raises:
            ValueError: The model has no file.
            OriginError: The file URL is not one the SDK downloads from (before any request).
            ResponseValidationError: ``size`` is not a size (before any request).
            FileExistsError: The target exists and ``overwrite`` is False (before any request).
            ResponseError, DeadlineExceededError, IntegrityError, ClientError: The download failed.
        """
        url = loaded_field(self, "file")
        if not url:
            raise ValueError(f"model {self.id} has no file to download")
        return self._require_manager()._download(
            url,
            resolve_target(dest, url),
            overwrite=overwrite,
            max_bytes=max_bytes,
            deadline=deadline,
            size=checked_size(loaded_field(self, "size"), "size"),
            progress=progress,
        )


class ModelFilters(TypedDict, total=False):
    """Filters of ``client.models.filter()``."""

    project: int
    """Models of this project."""
    plugin: str
    """Models trained by this plugin (its code)."""
    is_released: bool
    """Released models (``True``) or the others (``False``)."""
    name: str
    """Models whose name contains this text (case-insensitive)."""


MODELS = Endpoint(
    name="models",
    path="models/",
    ops=frozenset({"get", "list", "create"}),
    filters=ModelFilters,
)


class ModelManager(CreateManager[Model, int]):
    """``client.models``: listing, ``get`` and ``create`` (uploading the model's file first).

    ``client.uploads.create_model`` is the same operation.
    """

    endpoint = MODELS
    resource = Model

    def filter(self, **filters: Unpack[ModelFilters]) -> QuerySet[Model]:
        """Models matching ``filters`` (lazy)."""
        return self._filter(filters)

    def create_json(
        self,
        body: Any,
        *,
        timeout: Timeout | None = None,
        file: str | os.PathLike[str] | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        progress: ProgressLike = None,
    ) -> Any:
        """Create a model and return the JSON; a ``file`` path (argument or ``body['file']``)
        is chunk-uploaded first and referenced by ``chunked_upload``.

        Raises:
            OSError: The file cannot be read (before any request).
        """
        data = dict(body)
        source = file if file is not None else data.get("file")
        data.pop("file", None)
        if source is not None:
            path = check_upload_path(source)
            uploader = ChunkedUploader(self._ctx.session, chunk_size=chunk_size, progress=progress)
            data["chunked_upload"] = uploader.upload(path)["id"]
        return self._create_json(data, timeout=timeout)

    def create(
        self,
        *,
        file: str | os.PathLike[str] | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        progress: ProgressLike = None,
        **data: Any,
    ) -> Model:
        """Create a model, uploading its file with the chunked protocol first.

        Args:
            file: The model archive/weights (a local path), or None.
            chunk_size: Bytes per chunk.
            progress: ``True`` for a bar, or a ``(sent, total)`` callback.
            **data: Wire fields: ``name``, ``plugin`` (code), ``version``, ``checkpoint``,
                ``configuration``, ``description``, ``project`` ...

        Raises:
            OSError: The file cannot be read (before any request).
        """
        body = self._create_body({**self._scope, **data})
        raw = self.create_json(body, file=file, chunk_size=chunk_size, progress=progress)
        return self._build_created(raw)


@attrs.define(kw_only=True, eq=False, repr=False)
class Storage(Resource):
    """A storage backend configuration."""

    if TYPE_CHECKING:

        def _filter_signature(self, **filters: Unpack[StorageFilters]) -> Storage:
            """The keywords of ``QuerySet.filter`` (for type checkers only)."""
            ...

    id: int
    name: str = ""
    category: StorageCategory | None = None
    provider: StorageProvider | None = None
    configuration: dict[str, Any] | None = None
    is_default: bool = False
    created: dt.datetime | None = None


class StorageFilters(TypedDict, total=False):
    """Filters of ``client.storages.filter()``."""

    category: StorageCategory | str
    """Storages of this category (``"internal"``, ``"external"``)."""
    provider: StorageProvider | str
    """Storages of this provider (``"amazon_s3"`` ...)."""
    is_default: bool
    """The tenant's default storage (``True``) or the others (``False``)."""


STORAGES = Endpoint(
    name="storages",
    path="storages/",
    ops=frozenset({"get", "list", "create"}),
    filters=StorageFilters,
    ordering=frozenset({"id", "created", "name"}),
)


class StorageManager(CreateManager[Storage, int]):
    """``client.storages``."""

    endpoint = STORAGES
    resource = Storage

    def filter(self, **filters: Unpack[StorageFilters]) -> QuerySet[Storage]:
        """Storages matching ``filters`` (lazy)."""
        return self._filter(filters)

    def default_json(self) -> dict[str, Any] | None:
        """The default storage as the official client finds it: the first page of
        ``storages/?category=internal`` (an envelope or a bare list), the row with
        ``is_default``, else its first row, else ``None``."""
        raw = self.fetch_page({"category": StorageCategory.INTERNAL.value})
        rows = raw.get("results") if type(raw) is dict else raw
        if not isinstance(rows, list) or not all(type(row) is dict for row in rows):
            raise ResponseValidationError(
                "storages/ should answer a page of storage objects", response=raw
            )
        return next((row for row in rows if row.get("is_default") is True), None) or next(
            iter(rows), None
        )

    def default(self) -> Storage | None:
        """The default storage (:meth:`default_json`: the internal one marked ``is_default``,
        else the first internal one), else ``None``."""
        row = self.default_json()
        return None if row is None else self.build(row)

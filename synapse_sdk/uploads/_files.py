"""``client.uploads``: chunked uploads (and resuming them), data files, data-unit items, model files
and plugin release archives, on top of the transfer engine in :mod:`synapse_sdk._transfer`."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from synapse_sdk._async import asyncify
from synapse_sdk._http import Timeout
from synapse_sdk._progress import ProgressLike
from synapse_sdk._transfer import (
    CHUNKED_UPLOADS,
    DEFAULT_CHUNK_SIZE,
    ChunkedUpload,
    ChunkedUploader,
    check_upload_path,
)
from synapse_sdk._transfer._items import UploadInput
from synapse_sdk._transfer._shards import ImportPlan, plan_import
from synapse_sdk.resources import (
    ClientContext,
    DataCollection,
    DataCollectionManager,
    DataFile,
    DataFileManager,
    Model,
    ModelManager,
    PluginRelease,
    PluginReleaseManager,
)
from synapse_sdk.resources._base import bind_objects
from synapse_sdk.uploads._presigned import PresignedUploads

__all__ = ["UploadManager"]


class UploadManager(PresignedUploads):
    """File transfers of one client: ``client.uploads``.

    Typed methods return objects (:class:`ChunkedUpload`, ``DataFile``, ``Model``,
    ``PluginRelease``); the ``*_json`` methods return the server's JSON for the seed API.
    """

    def __init__(self, ctx: ClientContext) -> None:
        self._ctx = ctx

    def _uploader(
        self,
        chunk_size: int,
        progress: ProgressLike,
        timeout: Timeout | None,
        deadline: float | None = None,
        max_resend: float = 1.0,
    ) -> ChunkedUploader:
        return ChunkedUploader(
            self._ctx.session,
            chunk_size=chunk_size,
            progress=progress,
            timeout=timeout,
            deadline=deadline,
            max_resend=max_resend,
        )

    # -- chunked uploads -------------------------------------------------------------------

    def chunked_json(
        self,
        file_path: str | os.PathLike[str],
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        progress: ProgressLike = None,
        timeout: Timeout | None = None,
        deadline: float | None = None,
        max_resend: float = 1.0,
    ) -> dict[str, Any]:
        """Upload a file with the chunked protocol; return the finalize JSON (``id`` ...).

        Raises:
            OSError: The file cannot be read (before any request).
            IntegrityError: The server's bytes differ from the local file's MD5, or the file
                changed while it was uploaded.
            UploadStalledError: The server's answers kept the upload from progressing.
            DeadlineExceededError: ``deadline`` passed.
            ClientError: The upload failed; ``upload_id`` on it names the upload to resume.
        """
        uploader = self._uploader(chunk_size, progress, timeout, deadline, max_resend)
        return uploader.upload(file_path)

    def chunked(
        self,
        file_path: str | os.PathLike[str],
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        progress: ProgressLike = None,
        timeout: Timeout | None = None,
        deadline: float | None = None,
        max_resend: float = 1.0,
    ) -> ChunkedUpload:
        """Upload a file with the chunked protocol (streamed, MD5-verified, resumable).

        Args:
            file_path: The local file.
            chunk_size: Bytes per chunk (default 50 MiB); memory stays at a few MiB regardless.
            progress: ``True`` for a progress bar, or a ``(sent, total)`` callback.
            timeout: Timeouts per request.
            deadline: Wall-clock seconds for the whole upload (None: no limit beyond each
                request's own deadline).
            max_resend: Bytes that may be sent again per byte of the file before the upload is
                declared stalled (default 1.0: at most twice the file, plus four chunks).

        Returns:
            The completed upload; pass ``upload.id`` as ``chunked_upload`` elsewhere.

        Raises:
            OSError: The file cannot be read (before any request).
            IntegrityError: The server's bytes differ from the local file's MD5, or the file
                changed while it was uploaded (the message names the upload to resume).
            UploadStalledError: The server's answers kept the upload from progressing.
            DeadlineExceededError: ``deadline`` passed.
            ClientError: The upload failed; ``upload_id`` on it names the upload to resume.
        """
        answer = self.chunked_json(
            file_path,
            chunk_size=chunk_size,
            progress=progress,
            timeout=timeout,
            deadline=deadline,
            max_resend=max_resend,
        )
        return ChunkedUpload.from_wire(answer)

    def resume_chunked_json(
        self,
        upload_id: str,
        file_path: str | os.PathLike[str],
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        progress: ProgressLike = None,
        timeout: Timeout | None = None,
        deadline: float | None = None,
        max_resend: float = 1.0,
    ) -> dict[str, Any]:
        """Continue an interrupted upload from the server's offset; return the finalize JSON.

        Raises:
            ValueError: Bad id, or the server holds more bytes than the local file has.
            IntegrityError: The local file is not the one the upload started with, or it
                changed while it was uploaded.
        """
        uploader = self._uploader(chunk_size, progress, timeout, deadline, max_resend)
        return uploader.resume(upload_id, file_path)

    def resume_chunked(
        self,
        upload_id: str,
        file_path: str | os.PathLike[str],
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        progress: ProgressLike = None,
        timeout: Timeout | None = None,
        deadline: float | None = None,
        max_resend: float = 1.0,
    ) -> ChunkedUpload:
        """Continue an interrupted upload (from any process) from the server's offset.

        The local file is checked first (it must hold at least the server's bytes); the final
        whole-file MD5 proves the bytes the server already had are this file's.

        Raises:
            ValueError: Bad id, or the server holds more bytes than the local file has.
            NotFoundError: No such upload. HTTPError (410): it expired; upload again.
            IntegrityError: The local file is not the one the upload started with, or it
                changed while it was uploaded.
            UploadStalledError, DeadlineExceededError: As for :meth:`chunked`.
        """
        answer = self.resume_chunked_json(
            upload_id,
            file_path,
            chunk_size=chunk_size,
            progress=progress,
            timeout=timeout,
            deadline=deadline,
            max_resend=max_resend,
        )
        return ChunkedUpload.from_wire(answer)

    def get_chunked(self, upload_id: str) -> dict[str, Any]:
        """The state of a chunked upload (``offset``, ``completed_at`` ...)."""
        answer: dict[str, Any] = self._ctx.session.request(
            "GET", CHUNKED_UPLOADS.detail_path(upload_id)
        ).json()
        return answer

    # -- data files and data-unit items ----------------------------------------------------

    def data_file_json(
        self,
        file_path: str | os.PathLike[str],
        *,
        chunked: bool | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        progress: ProgressLike = None,
        timeout: Timeout | None = None,
        deadline: float | None = None,
    ) -> dict[str, Any]:
        """Create a data file from a local file; ``chunked=None`` decides by size (50 MiB).

        ``deadline`` bounds a chunked upload's wall-clock time (see :meth:`chunked`). The same
        operation as ``client.data_files.upload_json``.
        """
        return self._ctx.manager(DataFileManager).upload_json(
            file_path,
            chunked=chunked,
            chunk_size=chunk_size,
            progress=progress,
            timeout=timeout,
            deadline=deadline,
        )

    def data_file(
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

        The same operation as ``client.data_files.upload``.
        """
        return self._ctx.manager(DataFileManager).upload(
            file_path, chunked=chunked, chunk_size=chunk_size, progress=progress, deadline=deadline
        )

    def data_unit_item(
        self,
        organized_file: Mapping[str, Any],
        collection_id: int,
        *,
        chunked: bool | None = False,
    ) -> dict[str, Any]:
        """Upload the files of one organised item and return the ``data_units/`` create item.

        Every file is checked before the first is sent.

        Args:
            organized_file: ``{"files": {spec name: path}, "meta": {...}, "groups": [...]}``.
            collection_id: The data collection the unit will belong to.
            chunked: Force or forbid chunked upload (``None`` = by size).

        Raises:
            ValueError, TypeError: Malformed ``organized_file``.
            OSError: A file cannot be read (before any request).
        """
        files = organized_file.get("files")
        if not isinstance(files, Mapping) or not files:
            raise ValueError(
                "organized_file needs a non-empty 'files' mapping of spec name -> path"
            )
        for spec, value in files.items():
            if not isinstance(spec, str):
                raise TypeError(f"file specification names must be strings, got {spec!r}")
            check_upload_path(value)
        out: dict[str, Any] = {}
        for spec, value in files.items():
            data_file = self.data_file_json(value, chunked=chunked)
            out[spec] = {"checksum": data_file["checksum"], "path": Path(value).name}
        item: dict[str, Any] = {"data_collection": collection_id, "files": out}
        meta = organized_file.get("meta")
        if meta is not None:
            item["meta"] = meta
        if organized_file.get("groups"):
            item["groups"] = list(organized_file["groups"])
        return item

    # -- models and plugin releases (their managers' create, under the names of the seed) ----

    def model_json(
        self,
        data: Mapping[str, Any],
        *,
        file: Any = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        progress: ProgressLike = None,
    ) -> Any:
        """Create a model; a ``file`` path (argument or ``data['file']``) is chunk-uploaded
        first and referenced by ``chunked_upload`` (``client.models.create_json``)."""
        return self._ctx.manager(ModelManager).create_json(
            data, file=file, chunk_size=chunk_size, progress=progress
        )

    def create_model(
        self,
        /,
        name: str,
        *,
        file: str | os.PathLike[str] | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        progress: ProgressLike = None,
        **fields: Any,
    ) -> Model:
        """Create a model, uploading its file with the chunked protocol first: the same as
        ``client.models.create(name=name, file=file, ...)``.

        Args:
            name: The model's name.
            file: The model archive/weights (a local path), or None.
            chunk_size: Bytes per chunk.
            progress: ``True`` for a bar, or a ``(sent, total)`` callback.
            **fields: Other wire fields: ``plugin`` (code), ``version``, ``checkpoint``,
                ``configuration``, ``description``, ``project`` ...

        Raises:
            OSError: The file cannot be read (before any request).
        """
        return self._ctx.manager(ModelManager).create(
            name=name, file=file, chunk_size=chunk_size, progress=progress, **fields
        )

    def plugin_release_json(self, data: Mapping[str, Any], *, file: Any = None) -> Any:
        """Create a plugin release; with an archive (``file`` or ``data['file']``: a path, bytes
        or an open binary file) the request is multipart with the archive (streamed) in part
        ``file`` and other values as form fields (``client.plugin_releases.create_json``)."""
        return self._ctx.manager(PluginReleaseManager).create_json(data, file=file)

    def create_plugin_release(
        self, /, plugin: str, version: str, *, file: Any = None, **fields: Any
    ) -> PluginRelease:
        """Create a release of plugin ``plugin`` (its code), with an archive when ``file`` is
        given (a path, bytes or an open binary file; sent multipart, streamed): the same as
        ``client.plugin_releases.create(plugin=plugin, version=version, file=file, ...)``.

        Args:
            plugin: The plugin's code.
            version: The release's version string.
            file: The archive, or None for a release without one.
            **fields: ``config`` (dict), ``requirements`` (list of str), ``debug`` (bool) ...

        Raises:
            OSError: The archive path cannot be read (before any request).
            TypeError: ``file`` is a text-mode file.
        """
        return self._ctx.manager(PluginReleaseManager).create(
            plugin=plugin, version=version, file=file, **fields
        )

    # -- async twins (docs/async.md) --
    achunked = asyncify(chunked, write=True)
    aresume_chunked = asyncify(resume_chunked, write=True)
    aget_chunked = asyncify(get_chunked)
    adata_file = asyncify(data_file, write=True)
    adata_unit_item = asyncify(data_unit_item, write=True)
    acreate_model = asyncify(create_model, write=True)
    acreate_plugin_release = asyncify(create_plugin_release, write=True)

    # -- sharded imports (docs/scale.md; synapse_sdk/_transfer/_shards.py) --------------------

    def plan(
        self,
        manifest: Sequence[UploadInput],
        *,
        collection: DataCollection | int,
        shard_size: int = 1000,
        parallel: int = 4,
        batch_size: int = 100,
    ) -> ImportPlan:
        """Dedup ``manifest`` by checksum and cut it into picklable, idempotent shards."""
        if isinstance(collection, int) and not isinstance(collection, bool):
            found = self._ctx.manager(DataCollectionManager).get(collection)
        elif isinstance(collection, DataCollection):
            found = bind_objects(self._ctx, collection)
        else:
            raise TypeError(f"collection takes a DataCollection or its id, got {collection!r}")
        specs = found.file_specifications
        if not specs:
            raise ValueError(f"data collection {found.id} has no file specifications")
        return plan_import(
            found,
            specs,
            manifest,
            shard_size=shard_size,
            parallel=parallel,
            batch_size=batch_size,
        )

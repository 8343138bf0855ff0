"""``client.uploads``: data files, data units from local files, model files and plugin release
archives, all on top of one chunked-upload engine and one multipart encoder."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from synapse_sdk._exceptions import ResponseValidationError
from synapse_sdk._http import Multipart, Timeout
from synapse_sdk.resources._manager import ClientContext
from synapse_sdk.resources.data import DATA_FILES, DataFile
from synapse_sdk.resources.integration import PLUGIN_RELEASES
from synapse_sdk.resources.ml import MODELS
from synapse_sdk.uploads._chunked import (
    CHUNKED_UPLOADS,
    DEFAULT_CHUNK_SIZE,
    ChunkedUploader,
    ProgressCallback,
    check_upload_path,
)

__all__ = ["CHUNKED_THRESHOLD", "UploadManager"]

#: Above this size the typed API switches to chunked upload on its own.
CHUNKED_THRESHOLD = 50 * 1024 * 1024


def _form_value(value: Any) -> list[str]:
    """Encode one multipart form value like the real SDK: dicts as JSON, lists repeated."""
    if value is None:
        return []
    if isinstance(value, bool):
        return ["True" if value else "False"]
    if isinstance(value, dict):
        return [json.dumps(value)]
    if isinstance(value, list | tuple):
        return [v for item in value for v in _form_value(item)]
    return [str(value)]


class UploadManager:
    """File uploads: ``chunked()``, ``data_file()``, ``data_unit_item()``, ``model()``,
    ``plugin_release()``."""

    def __init__(self, ctx: ClientContext) -> None:
        self._ctx = ctx

    def chunked(
        self,
        file_path: str | os.PathLike[str],
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        on_progress: ProgressCallback | None = None,
        timeout: Timeout | None = None,
    ) -> dict[str, Any]:
        """Upload a file with the chunked protocol; return the finalize response (has ``id``)."""
        uploader = ChunkedUploader(
            self._ctx.session, chunk_size=chunk_size, on_progress=on_progress, timeout=timeout
        )
        return uploader.upload(file_path)

    def get_chunked(self, upload_id: str) -> dict[str, Any]:
        """The state of a chunked upload (``offset``, ``completed_at`` ...)."""
        answer: dict[str, Any] = self._ctx.session.request(
            "GET", CHUNKED_UPLOADS.detail_path(upload_id)
        ).json()
        return answer

    def data_file_json(
        self,
        file_path: str | os.PathLike[str],
        *,
        chunked: bool | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        on_progress: ProgressCallback | None = None,
    ) -> dict[str, Any]:
        """Create a data file from a local file; ``chunked=None`` decides by size."""
        path = check_upload_path(file_path)
        if chunked is None:
            chunked = path.stat().st_size > CHUNKED_THRESHOLD
        session = self._ctx.session
        if chunked:
            upload = self.chunked(path, chunk_size=chunk_size, on_progress=on_progress)
            answer = session.request("POST", DATA_FILES.path, json={"chunked_upload": upload["id"]})
        else:
            body = Multipart(files=[("file", path.name, path, None)])
            answer = session.request("POST", DATA_FILES.path, body=body)
        result = answer.json()
        if not isinstance(result, dict) or "checksum" not in result:
            raise ResponseValidationError(
                f"data_files/ answered without a checksum: {result!r}"[:300], response=result
            )
        return result

    def data_file(
        self, file_path: str | os.PathLike[str], *, chunked: bool | None = None
    ) -> DataFile:
        """Upload a local file as a data file and return it (chunked above 50 MiB)."""
        manager = self._ctx.manager("data_files")
        built: DataFile = manager.build(self.data_file_json(file_path, chunked=chunked))
        return built

    def data_unit_item(
        self,
        organized_file: Mapping[str, Any],
        collection_id: int,
        *,
        chunked: bool | None = False,
    ) -> dict[str, Any]:
        """Upload the files of one organised item and return the ``data_units/`` create item.

        Args:
            organized_file: ``{"files": {spec name: path}, "meta": {...}}``.
            collection_id: The data collection the unit will belong to.
            chunked: Force or forbid chunked upload (``None`` = by size).
        """
        files = organized_file.get("files")
        if not isinstance(files, Mapping) or not files:
            raise ValueError(
                "organized_file needs a non-empty 'files' mapping of spec name -> path"
            )
        for spec, value in files.items():
            check_upload_path(value)
            if not isinstance(spec, str):
                raise TypeError(f"file specification names must be strings, got {spec!r}")
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

    def model_json(self, data: Mapping[str, Any], *, file: Any = None) -> Any:
        """Create a model; a ``file`` path (argument or ``data['file']``) is chunk-uploaded first
        and referenced by ``chunked_upload``."""
        body = dict(data)
        source = file if file is not None else body.pop("file", None)
        body.pop("file", None)
        if source is not None:
            body["chunked_upload"] = self.chunked(source)["id"]
        return self._ctx.session.request("POST", MODELS.path, json=body).json()

    def plugin_release_json(self, data: Mapping[str, Any], *, file: Any = None) -> Any:
        """Create a plugin release; with an archive (``file`` or ``data['file']``: path, bytes
        or open binary file) the request is multipart with the archive in part ``file``."""
        body = dict(data)
        source = file if file is not None else body.pop("file", None)
        body.pop("file", None)
        if source is None:
            return self._ctx.session.request("POST", PLUGIN_RELEASES.path, json=body).json()
        if isinstance(source, io.IOBase) or hasattr(source, "read"):
            name = Path(getattr(source, "name", "plugin.zip")).name
            payload: Any = source.read()
            if not isinstance(payload, bytes):
                raise TypeError("plugin release file must be opened in binary mode ('rb')")
        elif isinstance(source, bytes):
            name, payload = "plugin.zip", source
        else:
            path = check_upload_path(source)
            name, payload = path.name, path
        fields = [(key, v) for key, value in body.items() for v in _form_value(value)]
        multipart = Multipart(fields=fields, files=[("file", name, payload, None)])
        return self._ctx.session.request("POST", PLUGIN_RELEASES.path, body=multipart).json()

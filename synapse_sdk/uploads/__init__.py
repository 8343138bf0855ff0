"""Uploads: ``client.uploads`` (:class:`UploadManager`), the facade over the transfer engine
(:mod:`synapse_sdk._transfer`: chunked upload, data files, downloads)."""

from synapse_sdk._transfer import (
    CHUNKED_THRESHOLD,
    CHUNKED_UPLOADS,
    DEFAULT_CHUNK_SIZE,
    ChunkedUpload,
    ChunkedUploader,
    FileResult,
    ItemResult,
    ProgressCallback,
    UploadReport,
    check_upload_path,
)
from synapse_sdk.uploads._files import UploadManager

__all__ = [
    "CHUNKED_THRESHOLD",
    "CHUNKED_UPLOADS",
    "DEFAULT_CHUNK_SIZE",
    "ChunkedUpload",
    "ChunkedUploader",
    "FileResult",
    "ItemResult",
    "ProgressCallback",
    "UploadManager",
    "UploadReport",
    "check_upload_path",
]

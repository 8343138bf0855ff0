"""Uploads: ``client.uploads`` (:class:`UploadManager`), the facade over the transfer engine
(:mod:`synapse_sdk._transfer`: chunked upload, data files, presigned bulk upload, downloads)."""

from synapse_sdk._transfer import (
    CHUNKED_THRESHOLD,
    CHUNKED_UPLOADS,
    DEFAULT_CHUNK_SIZE,
    ChunkedUpload,
    ChunkedUploader,
    FileResult,
    ItemResult,
    PresignedFile,
    PresignedReport,
    ProgressCallback,
    UploadReport,
    check_upload_path,
)
from synapse_sdk.uploads._files import UploadManager
from synapse_sdk.uploads._presigned import (
    PRESIGNED_PROVIDERS,
    BulkUploadFile,
    BulkUploadResult,
    Strategy,
)

__all__ = [
    "CHUNKED_THRESHOLD",
    "CHUNKED_UPLOADS",
    "DEFAULT_CHUNK_SIZE",
    "PRESIGNED_PROVIDERS",
    "BulkUploadFile",
    "BulkUploadResult",
    "ChunkedUpload",
    "ChunkedUploader",
    "FileResult",
    "ItemResult",
    "PresignedFile",
    "PresignedReport",
    "ProgressCallback",
    "Strategy",
    "UploadManager",
    "UploadReport",
    "check_upload_path",
]

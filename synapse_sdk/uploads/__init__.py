"""Uploads: the chunked-upload engine and the file helpers built on it."""

from synapse_sdk.uploads._chunked import (
    CHUNKED_UPLOADS,
    DEFAULT_CHUNK_SIZE,
    ChunkedUploader,
    ProgressCallback,
    check_upload_path,
)
from synapse_sdk.uploads._files import UploadManager

__all__ = [
    "CHUNKED_UPLOADS",
    "DEFAULT_CHUNK_SIZE",
    "ChunkedUploader",
    "ProgressCallback",
    "UploadManager",
    "check_upload_path",
]

"""The transfer engine: chunked uploads (streamed, hashed once, resumable, verified), data-file
creation, collection batch uploads and downloads to disk.

It sits below ``resources`` so that resource methods (``collection.upload()``,
``data_unit.download()``) can use it; ``synapse_sdk.uploads`` is the facade on the client.
Endpoint paths of other families are passed in by the callers, which declare them.
"""

from __future__ import annotations

from synapse_sdk._transfer._batch import SpecLike, UploadInput, upload_to_collection
from synapse_sdk._transfer._chunked import (
    CHUNKED_UPLOADS,
    DEFAULT_CHUNK_SIZE,
    ChunkedUploader,
    ProgressCallback,
)
from synapse_sdk._transfer._datafile import CHUNKED_THRESHOLD, create_data_file
from synapse_sdk._transfer._download import (
    DownloadItem,
    download_file,
    download_files,
    resolve_target,
)
from synapse_sdk._transfer._hashing import IncrementalMD5, file_md5
from synapse_sdk._transfer._paths import check_upload_path, safe_name
from synapse_sdk._transfer._presigned import (
    API_READ_TIMEOUT,
    PresignedFile,
    PresignedReport,
    check_options,
    check_paths,
    upload_presigned,
)
from synapse_sdk._transfer._presigned_put import put_presigned_file
from synapse_sdk._transfer._presigned_wire import (
    check_confirm_files,
    check_expiration,
    check_request_files,
)
from synapse_sdk._transfer._report import (
    FileResult,
    FileStatus,
    ItemResult,
    ItemStatus,
    UploadReport,
)
from synapse_sdk._transfer._result import ChunkedUpload
from synapse_sdk._transfer._reuse import LOOKUP_PAGE_SIZE, ExistingUnits, check_existing_units

__all__ = [
    "API_READ_TIMEOUT",
    "CHUNKED_THRESHOLD",
    "CHUNKED_UPLOADS",
    "DEFAULT_CHUNK_SIZE",
    "ChunkedUpload",
    "ChunkedUploader",
    "DownloadItem",
    "ExistingUnits",
    "FileResult",
    "FileStatus",
    "IncrementalMD5",
    "LOOKUP_PAGE_SIZE",
    "ItemResult",
    "ItemStatus",
    "PresignedFile",
    "PresignedReport",
    "ProgressCallback",
    "SpecLike",
    "UploadInput",
    "UploadReport",
    "check_confirm_files",
    "check_expiration",
    "check_options",
    "check_paths",
    "check_request_files",
    "check_existing_units",
    "check_upload_path",
    "create_data_file",
    "download_file",
    "download_files",
    "file_md5",
    "put_presigned_file",
    "resolve_target",
    "safe_name",
    "upload_presigned",
    "upload_to_collection",
]

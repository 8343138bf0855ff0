"""Enumerations of the backend's choice fields (values exactly as on the wire).

Values the SDK does not know yet are kept as plain strings on read (with a debug log), so a
newer backend never breaks an older SDK.
"""

from __future__ import annotations

import enum

__all__ = [
    "AssignmentReviewStatus",
    "AssignmentStatus",
    "DataCollectionCategory",
    "FileType",
    "GroundTruthCategory",
    "JobStatus",
    "LogLevel",
    "PluginCategory",
    "ProjectCategory",
    "StorageCategory",
    "StorageProvider",
    "TaskStatus",
]


class _StrEnum(str, enum.Enum):
    def __str__(self) -> str:
        return str(self.value)


class ProjectCategory(_StrEnum):
    """A project's data category."""

    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    TEXT = "text"
    PCD = "pcd"
    PROMPT = "prompt"
    TIME_SERIES = "time_series"
    DATA = "data"


class DataCollectionCategory(_StrEnum):
    """A data collection's category."""

    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    TEXT = "text"
    PCD = "pcd"
    DATA = "data"


class FileType(_StrEnum):
    """The kind of file a file specification holds."""

    AUDIO = "audio"
    DATA = "data"
    IMAGE = "image"
    PCD = "pcd"
    TEXT = "text"
    VIDEO = "video"


class TaskStatus(_StrEnum):
    """A task's annotation status."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class AssignmentStatus(_StrEnum):
    """An assignment's labelling status (``status_label``)."""

    STAND_BY = "stand_by"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    SKIPPED = "skipped"


class AssignmentReviewStatus(_StrEnum):
    """An assignment's review status (``status_review``)."""

    STAND_BY = "stand_by"
    IN_PROGRESS = "in_progress"
    REJECTED = "rejected"
    COMPLETED = "completed"
    SKIPPED = "skipped"


class PluginCategory(_StrEnum):
    """What a plugin does."""

    NEURAL_NET = "neural_net"
    EXPORT = "export"
    UPLOAD = "upload"
    SMART_TOOL = "smart_tool"
    PRE_ANNOTATION = "pre_annotation"
    POST_ANNOTATION = "post_annotation"
    DATA_VALIDATION = "data_validation"
    CONVERTER = "converter"


class JobStatus(_StrEnum):
    """A job's status. ``SUCCEEDED``, ``FAILED`` and ``STOPPED`` are final."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"

    @property
    def is_terminal(self) -> bool:
        """Whether the job can no longer change status."""
        return self in (JobStatus.STOPPED, JobStatus.SUCCEEDED, JobStatus.FAILED)


class LogLevel(_StrEnum):
    """A console log line's level."""

    DEBUG = "debug"
    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    DANGER = "danger"
    ERROR = "error"
    CRITICAL = "critical"


class StorageCategory(_StrEnum):
    """Where a storage lives: ``INTERNAL`` systems or ``EXTERNAL`` providers."""

    INTERNAL = "internal"
    EXTERNAL = "external"


class StorageProvider(_StrEnum):
    """A storage provider code."""

    AMAZON_S3 = "amazon_s3"
    AZURE = "azure"
    DIGITAL_OCEAN = "digital_ocean"
    FILE_SYSTEM = "file_system"
    FTP = "ftp"
    SFTP = "sftp"
    MINIO = "minio"
    GCP = "gcp"
    SYNOLOGY = "synology"
    SMB = "smb"


class GroundTruthCategory(_StrEnum):
    """The split a ground truth belongs to."""

    TRAIN = "train"
    VALIDATION = "validation"
    TEST = "test"

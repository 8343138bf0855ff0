"""Enumerations of the backend's choice fields (values exactly as on the wire).

Fields read as their enum (``task.status`` is a :class:`TaskStatus`), and every member is a
``str``: ``task.status == "completed"`` and ``task.status is TaskStatus.COMPLETED`` both hold. A
value the SDK does not know yet (a newer backend) still loads, as a *pseudo-member* of the same
enum: equal to its string, ``is_known`` False, never listed among the members, sent back
unchanged on save (and logged at debug level when read). Only the wire is open:
``TaskStatus("complted")`` in code still raises ``ValueError``.
"""

from __future__ import annotations

import enum
import threading
from typing import Any, TypeVar

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

E = TypeVar("E", bound="_StrEnum")

#: Unknown values kept as one object per (enum, value), at most this many in all: past it a
#: flood of new values (a hostile server) still loads, without the identity.
PSEUDO_CACHE = 1024
_PSEUDO: dict[tuple[type, str], Any] = {}
_PSEUDO_LOCK = threading.Lock()


def _pseudo(cls: type[E], value: str) -> E:
    """The pseudo-member of ``cls`` for ``value`` (cached; see :data:`PSEUDO_CACHE`)."""
    key = (cls, value)
    found = _PSEUDO.get(key)
    if found is not None:
        return found  # type: ignore[no-any-return]
    member = str.__new__(cls, value)
    member._value_ = value
    member._name_ = value
    with _PSEUDO_LOCK:
        if len(_PSEUDO) < PSEUDO_CACHE:
            member = _PSEUDO.setdefault(key, member)
    return member


class _StrEnum(str, enum.Enum):
    def __str__(self) -> str:
        return str(self.value)

    def __hash__(self) -> int:
        # Equal to its string, so it must hash like it (``{"completed": 1}[status]``).
        return str.__hash__(self)

    def __repr__(self) -> str:
        if self.is_known:
            return enum.Enum.__repr__(self)
        return f"<{type(self).__name__} {self._value_!r} (unknown to this SDK)>"

    def __reduce_ex__(self, protocol: Any) -> Any:
        if self.is_known:
            return type(self), (self._value_,)
        return _pseudo, (type(self), self._value_)

    @property
    def is_known(self) -> bool:
        """Whether this is one of the enum's members (False for a value read from a server
        that is newer than this SDK)."""
        return type(self)._value2member_map_.get(self._value_) is self

    @classmethod
    def _from_wire(cls: type[E], value: str) -> E:
        # The converter's hook for values outside the members (see the module docstring).
        return _pseudo(cls, value)


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

"""What a presigned bulk upload reports: one :class:`PresignedFile` per input path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs

__all__ = ["PresignedFile", "PresignedReport"]


@attrs.frozen
class PresignedFile:
    """The outcome of one file of a presigned bulk upload.

    Attributes:
        path: The local file.
        success: Whether its data file was created.
        data_file_id: The created data file's id (None when it failed).
        file_key: The storage key the backend gave it (None if it never got one).
        checksum: Hex SHA-1 of its bytes, when they were read.
        size: Bytes.
        attempts: Storage PUT attempts made (all parts together).
        error: Why it failed (a :class:`~synapse_sdk.ClientError`, or ``IntegrityError`` when
            the file changed while it was read); None on success.
    """

    path: Path
    success: bool
    data_file_id: int | None
    file_key: str | None
    checksum: str | None
    size: int
    attempts: int
    error: BaseException | None = attrs.field(default=None, eq=False)

    @property
    def reason(self) -> str | None:
        """``error`` as text (None on success)."""
        return None if self.error is None else f"{type(self.error).__name__}: {self.error}"


@attrs.frozen
class PresignedReport:
    """Results of ``client.uploads.presigned(paths)``, in input order (iterable, sized)."""

    files: list[PresignedFile]

    def __iter__(self) -> Iterator[PresignedFile]:
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> PresignedFile:
        return self.files[index]

    @property
    def ok(self) -> bool:
        """Whether every file's data file was created."""
        return all(f.success for f in self.files)

    @property
    def created(self) -> list[PresignedFile]:
        return [f for f in self.files if f.success]

    @property
    def failed(self) -> list[PresignedFile]:
        return [f for f in self.files if not f.success]

    @property
    def data_file_ids(self) -> list[int]:
        """The created data files' ids, in input order."""
        return [f.data_file_id for f in self.files if f.data_file_id is not None]

    def __repr__(self) -> str:
        return (
            f"<PresignedReport files={len(self.files)} created={len(self.created)} "
            f"failed={len(self.failed)}>"
        )

"""What a collection upload reports: one :class:`ItemResult` per input item, one
:class:`FileResult` per file of an item."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Generic, Literal, TypeVar

import attrs

__all__ = ["FileResult", "FileStatus", "ItemResult", "ItemStatus", "U", "UploadReport"]

U = TypeVar("U")

#: ``uploaded``: sent now; ``skipped``: the server already had a file with this checksum;
#: ``failed``: see ``reason``.
FileStatus = Literal["uploaded", "skipped", "failed"]
#: ``created``: the data unit was created now; ``reused``: the collection already had a unit with
#: the same files (spec name -> checksum), which is the item's unit (nothing was created);
#: ``failed``: see ``reason`` (nothing was created for it).
ItemStatus = Literal["created", "reused", "failed"]


@attrs.frozen
class FileResult:
    """The outcome of one file of an item.

    Attributes:
        spec: The file specification's name (``image_1``).
        path: The local file (None when the input was not a usable path).
        status: ``uploaded``, ``skipped`` or ``failed``.
        checksum: Hex MD5 of the file, when it was read.
        size: Bytes, when known.
        reason: Why it failed (None otherwise).
    """

    spec: str
    path: Path | None
    status: FileStatus
    checksum: str | None = None
    size: int | None = None
    reason: str | None = None


@attrs.frozen
class ItemResult(Generic[U]):
    """The outcome of one input item (one data unit).

    Attributes:
        index: The item's position in the input.
        status: ``created``, ``reused`` or ``failed``.
        files: Per specification name, what happened to its file.
        data_unit: The item's data unit, created or reused (None when the item failed).
        reason: Why the item failed (None otherwise).
        error: The exception behind ``reason``, when there was one.
        data_unit_id: The id of :attr:`data_unit` (None when the item failed).
    """

    index: int
    status: ItemStatus
    files: dict[str, FileResult]
    data_unit: U | None = None
    reason: str | None = None
    error: BaseException | None = attrs.field(default=None, repr=False, eq=False)
    data_unit_id: int | None = None


@attrs.frozen
class UploadReport(Generic[U]):
    """Results of ``collection.upload(...)``, in input order (iterable, indexable, sized)."""

    items: list[ItemResult[U]]

    def __iter__(self) -> Iterator[ItemResult[U]]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> ItemResult[U]:
        return self.items[index]

    @property
    def ok(self) -> bool:
        """Whether every item has its data unit (created or reused)."""
        return all(item.status != "failed" for item in self.items)

    @property
    def created(self) -> list[ItemResult[U]]:
        """Items whose data unit was created now."""
        return [item for item in self.items if item.status == "created"]

    @property
    def reused(self) -> list[ItemResult[U]]:
        """Items that reused a data unit the collection already had for the same files."""
        return [item for item in self.items if item.status == "reused"]

    @property
    def failed(self) -> list[ItemResult[U]]:
        """Items that failed (``reason`` says why)."""
        return [item for item in self.items if item.status == "failed"]

    @property
    def data_units(self) -> list[U]:
        """The items' data units (created or reused), in input order."""
        return [item.data_unit for item in self.items if item.data_unit is not None]

    def file_counts(self) -> dict[str, int]:
        """How many files were ``uploaded``, ``skipped`` and ``failed``."""
        counts = {"uploaded": 0, "skipped": 0, "failed": 0}
        for item in self.items:
            for result in item.files.values():
                counts[result.status] += 1
        return counts

    def __repr__(self) -> str:
        counts = self.file_counts()
        return (
            f"<UploadReport items={len(self.items)} created={len(self.created)} "
            f"reused={len(self.reused)} failed={len(self.failed)} files={counts}>"
        )

"""The seed API's bulk methods: ``upload_data_collection`` (organised items -> data files, data
units and, for a project, tasks)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from synapse_sdk._endpoint import check_id
from synapse_sdk._transfer._collection import (
    CollectionItemOutcome,
    check_bulk_options,
    upload_collection,
)
from synapse_sdk.clients._seed_base import SeedBase

__all__ = ["BulkMethods", "CollectionItemOutcome"]


class BulkMethods(SeedBase):
    """``upload_data_collection`` (raw JSON per item)."""

    def upload_data_collection(
        self,
        collection_id: int,
        data: Sequence[Mapping[str, Any]],
        *,
        project_id: int | None = None,
        batch_size: int = 1000,
        max_workers: int = 10,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> list[CollectionItemOutcome]:
        """Upload organised items into a data collection, create their data units and, with
        ``project_id``, one task per unit in that project.

        Args:
            collection_id: The data collection.
            data: Items as ``upload_data_file`` takes them:
                ``{"files": {spec name: path}, "meta": {...}?, "groups": [...]?}``.
            project_id: Also create a task per created unit (``POST tasks/``).
            batch_size: Data units (and tasks) per create request (1..1000).
            max_workers: Items whose files upload at the same time (1..64); each file goes
                as one request, or in chunks above 50 MiB.
            on_progress: ``on_progress(done, total)`` once per item, when its files are
                uploaded or it failed before that.

        Returns:
            One outcome per item, in input order: ``success``, the ``data_unit`` and ``task``
            created, and for a failure the ``stage`` (``check``, ``upload``, ``data_unit``,
            ``task``) and ``error``. One bad item never stops the others; a create whose answer
            was lost is not resent (its items fail saying it may exist).

        Raises:
            TypeError, ValueError: A bad id, option, or ``data`` not a list (nothing is sent).
        """
        check_id(collection_id, what="collection_id")
        if project_id is not None:
            check_id(project_id, what="project_id")
        check_bulk_options(batch_size, max_workers, on_progress)
        create_tasks = None
        if project_id is not None:

            def create_tasks(unit_ids: list[int]) -> Any:
                body = {"project": project_id, "data": [{"data_unit": u} for u in unit_ids]}
                return self.tasks.create_json(body)

        return upload_collection(
            data,
            upload_item=lambda item: self.uploads.data_unit_item(item, collection_id, chunked=None),
            create_units=self.data_units.create_json,
            create_tasks=create_tasks,
            batch_size=batch_size,
            max_workers=max_workers,
            on_progress=on_progress,
        )

"""Resumable exports of a project's tasks, annotations, data units and files (docs/export.md).

``project.export(dest)`` and ``client.tasks.filter(...).export(dest)`` forward here. The
engine sits beside the query and transfer engines (it uses both) and below the resources, which
hand it their querysets.

Layout of ``dest``: ``tasks.jsonl``, ``annotations.jsonl``, ``data_units.jsonl``,
``files.jsonl``, ``errors.jsonl``, ``files/<unit id>/<name>`` and ``manifest.json`` -- all
byte-identical for the same data whether or not the export was interrupted -- plus the state
file ``.export-state.sqlite`` and the lock ``.export.lock`` (run times live only there).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from synapse_sdk._export._manifest import MANIFEST_NAME, ExportResult
from synapse_sdk._export._options import FAMILIES, ExportMismatchError, ExportOptions, make_plan
from synapse_sdk._export._run import Exporter
from synapse_sdk._export._state import STATE_NAME
from synapse_sdk._http import Session

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from synapse_sdk._query import QuerySet

__all__ = [
    "FAMILIES",
    "MANIFEST_NAME",
    "STATE_NAME",
    "ExportMismatchError",
    "ExportOptions",
    "ExportResult",
    "export_queryset",
]


def export_queryset(
    qs: QuerySet[Any], dest: str | os.PathLike[str], **options: Unpack[ExportOptions]
) -> ExportResult:
    """Export the tasks of ``qs`` (a task queryset) into the folder ``dest``; see docs/export.md.

    Every option is checked before any I/O. Re-running with the same ``dest`` continues an
    interrupted export where it stopped; a finished one is returned as it is (no request).

    Args:
        qs: A task queryset (``client.tasks.filter(project=1)``), not sliced.
        dest: The export folder (created; must be empty, or hold this same export).
        **options: ``include``, ``format``, ``progress``, ``max_workers``, ``max_bytes``
            (:class:`ExportOptions`).

    Returns:
        An :class:`ExportResult` (counts, the manifest; ``errors`` names failed files).

    Raises:
        TypeError, ValueError: A bad option, or a queryset that is not of tasks or is sliced.
        ExportMismatchError: ``dest`` holds another export, or files that are not an export.
        RuntimeError: Another export is running into ``dest``.
        ClientError: Listing the tasks failed, or a connection failed while downloading (the
            next run resumes).
    """
    plan = make_plan(dest, **options)
    source: Any = qs._source
    if source.endpoint.name != "tasks":
        raise TypeError(
            f"only task querysets can be exported, not {source.endpoint.name} "
            "(client.tasks.filter(project=...).export(dest), or project.export(dest))"
        )
    if qs._start or qs._stop is not None:
        raise TypeError("cannot export a sliced queryset: filter it instead (id__gt=, id__lte=)")
    session = getattr(getattr(source, "_ctx", None), "session", None)
    if not isinstance(session, Session):
        raise TypeError("this queryset is not bound to a client's session")
    query = source.endpoint.encode_filters(qs._filters)
    return Exporter(plan, qs, session, query).run()

"""Listing commands (``tasks list``, ``projects list``, ``jobs list``) and ``jobs wait``."""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TextIO

from synapse_sdk import Job, JobStatus, QuerySet
from synapse_sdk._cli._config import make_client

__all__ = ["jobs_list", "jobs_wait", "projects_list", "tasks_list", "text"]

EXIT_OK, EXIT_API, EXIT_TIMEOUT = 0, 1, 3
_WIDTH_SAMPLE = 200  # rows read before the table's column widths are fixed


def print_table(out: TextIO, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Aligned columns, streamed: widths come from the first rows, later rows just follow them."""
    iterator = iter(rows)
    head = [list(header), *(list(r) for r in itertools.islice(iterator, _WIDTH_SAMPLE))]
    widths = [max(len(row[i]) for row in head) for i in range(len(header))]
    for row in itertools.chain(head, iterator):
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        out.write("  ".join(cells).rstrip() + "\n")


def text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return str(getattr(value, "value", value))


def _emit(
    args: argparse.Namespace,
    out: TextIO,
    qs: QuerySet[Any],
    header: Sequence[str],
    row: Callable[[Any], Sequence[str]],
) -> int:
    if args.limit:
        qs = qs[: args.limit]
    if args.json:
        # Streamed: one page in memory at a time, however long the listing.
        out.write("[")
        for i, obj in enumerate(qs.iterator()):
            out.write(("," if i else "") + "\n  " + json.dumps(obj.to_dict()))
        out.write("\n]\n")
        return EXIT_OK
    print_table(out, header, (row(obj) for obj in qs.iterator()))
    return EXIT_OK


def tasks_list(args: argparse.Namespace, out: TextIO) -> int:
    with make_client(args) as client:
        filters: dict[str, Any] = {"project": args.project}
        if args.status:
            filters["status"] = args.status
        return _emit(
            args, out, client.tasks.filter(**filters), ("ID", "STATUS", "DATA_UNIT", "CREATED"),
            lambda t: (str(t.id), text(t.status), text(t.data_unit_id), text(t.created)),
        )  # fmt: skip


def projects_list(args: argparse.Namespace, out: TextIO) -> int:
    with make_client(args) as client:
        filters: dict[str, Any] = {}
        if args.search:
            filters["search"] = args.search
        if args.archived is not None:
            filters["is_archived"] = args.archived
        return _emit(
            args, out, client.projects.filter(**filters),
            ("ID", "TITLE", "CATEGORY", "TASKS", "ARCHIVED"),
            lambda p: (str(p.id), p.title, text(p.category), text(p.task_count),
                       "yes" if p.is_archived else "no"),
        )  # fmt: skip


def jobs_list(args: argparse.Namespace, out: TextIO) -> int:
    with make_client(args) as client:
        filters: dict[str, Any] = {}
        if args.status:
            filters["status"] = args.status
        if args.plugin:
            filters["plugin"] = args.plugin
        if args.job_action:
            filters["action"] = args.job_action
        return _emit(
            args, out, client.jobs.filter(**filters),
            ("ID", "STATUS", "ACTION", "PLUGIN", "CREATED"),
            lambda j: (str(j.id), text(j.status), text(j.action), text(j.plugin_id),
                       text(j.created)),
        )  # fmt: skip


def jobs_wait(args: argparse.Namespace, out: TextIO) -> int:
    with make_client(args) as client:
        job: Job = client.jobs.get(args.job)
        try:
            job.wait(
                timeout=args.timeout,
                progress=bool(args.progress) or None,
                raise_on_failure=False,  # a failed job is reported below, with its status
            )
        except TimeoutError as exc:
            sys.stderr.write(f"synapse: {exc}\n")
            return EXIT_TIMEOUT
    if args.json:
        out.write(json.dumps(job.to_dict(), indent=2) + "\n")
    else:
        out.write(f"job {job.id} {text(job.status)}\n")
    if job.status is not JobStatus.SUCCEEDED:
        sys.stderr.write(f"synapse: job {job.id} ended {text(job.status)}\n")
        return EXIT_API
    return EXIT_OK

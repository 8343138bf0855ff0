"""File commands: ``upload`` (files as data units), ``download`` (a data unit's files or a data
file) and ``export`` (a project, resumably)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO, TypeVar

from synapse_sdk import DataCollection, FileSpecification, NotFoundError
from synapse_sdk._cli._config import CommandError, UsageError, make_client

__all__ = ["download", "export", "upload"]

EXIT_OK, EXIT_API = 0, 1
T = TypeVar("T")


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        if not found:
            raise UsageError(f"{path} holds no files to upload")
        return found
    raise UsageError(f"{path} does not exist")


def _pick_spec(collection: DataCollection, name: str | None) -> FileSpecification:
    """The spec named ``name``, else the collection's primary (or only required, or only) one."""
    specs = collection.file_specifications
    if name is not None:
        try:
            return collection.spec(name)
        except KeyError as exc:
            raise UsageError(exc.args[0]) from None
    for candidates in ([s for s in specs if s.is_primary], [s for s in specs if s.is_required]):
        if len(candidates) == 1:
            return candidates[0]
    if len(specs) == 1:
        return specs[0]
    names = ", ".join(s.name for s in specs) or "none"
    raise UsageError(
        f"collection {collection.id} has several file specifications; "
        f"pick one with --spec ({names})"
    )


def _get(what: str, pk: int, fetch: Callable[[int], T]) -> T:
    """``fetch(pk)``; a 404 becomes a plain message (exit 1), not an error dump."""
    try:
        return fetch(pk)
    except NotFoundError:
        raise CommandError(f"{what} {pk} does not exist (or this token cannot see it)") from None


def upload(args: argparse.Namespace, out: TextIO) -> int:
    files = _files(args.path)
    with make_client(args) as client:
        collection = _get("data collection", args.collection, client.data_collections.get)
        spec = _pick_spec(collection, args.spec)
        refused = [f for f in files if not spec.accepts(f.name)]
        if refused and not args.skip_refused:
            names = ", ".join(f.name for f in refused[:5]) + (" ..." if len(refused) > 5 else "")
            raise UsageError(
                f"file specification {spec.name!r} accepts {', '.join(spec.extensions)}; "
                f"refused: {names} (--skip-refused uploads the others)"
            )
        for path in refused:
            sys.stderr.write(f"synapse: skipped (extension refused by {spec.name!r}): {path}\n")
        files = [f for f in files if f not in refused]
        if not files:
            raise UsageError(f"no file left to upload: {spec.name!r} refuses every one")
        # The collection's upload engine: files checked first, parallel and resumable uploads,
        # files the server already has skipped, units created in batches.
        report = collection.upload(
            [{spec.name: path} for path in files], progress=args.progress or None
        )
    # Units created or reused (a re-run prints the units the files already form).
    created = [(files[item.index], item.data_unit) for item in report if item.data_unit is not None]
    if args.json:
        units = [unit.to_dict() for _, unit in created if unit is not None]
        out.write(json.dumps(units, indent=2) + "\n")
    else:
        for path, unit in created:
            out.write(f"data unit {unit.id if unit else '?'}\t{path}\n")
    for item in report.failed:
        sys.stderr.write(f"synapse: failed: {files[item.index]}: {item.reason}\n")
    return EXIT_OK if report.ok else EXIT_API


def download(args: argparse.Namespace, out: TextIO) -> int:
    progress = args.progress or None
    with make_client(args) as client:
        if args.data_file:
            data_file = _get("data file", args.data_file, client.data_files.get)
            args.dest.mkdir(parents=True, exist_ok=True)  # DIR is a directory, even a new one
            path = data_file.download(
                args.dest,
                overwrite=args.overwrite,
                progress=progress,
            )
            out.write(f"{path}\n")
            return EXIT_OK
        unit = _get("data unit", args.data_unit, client.data_units.get)
        try:
            paths = unit.download(
                args.dest, specs=args.spec, overwrite=args.overwrite, progress=progress
            )
        except KeyError as exc:
            raise UsageError(exc.args[0]) from None
    for spec, path in paths.items():
        out.write(f"{spec}\t{path}\n")
    return EXIT_OK


def export(args: argparse.Namespace, out: TextIO) -> int:
    with make_client(args) as client:
        project = _get("project", args.project, client.projects.get)
        result = project.export(
            args.dest,
            include=args.include,
            max_workers=args.max_workers,
            progress=args.progress or None,
        )
    if args.json:
        out.write(json.dumps(result.manifest, indent=2, sort_keys=True) + "\n")
    else:
        c = result.counts
        out.write(
            f"exported project {args.project} to {result.path}: {c['tasks']} tasks, "
            f"{c['annotations']} annotations, {c['data_units']} data units, {c['files']} files "
            f"({c['bytes']} bytes), {c['errors']} errors\n"
        )
    if not result.ok:
        sys.stderr.write(
            f"synapse: {result.errors} file(s) failed; see {result.path / 'errors.jsonl'} "
            "(the rest is complete)\n"
        )
        return EXIT_API
    return EXIT_OK

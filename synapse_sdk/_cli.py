"""The ``synapse`` command line: a thin shell over the typed API (argparse, no extra dependency).

    synapse devserver [--port 8000 --seed demo ...]
    synapse tasks list --project 1 [--status pending] [--limit N] [--json]
    synapse upload PATH --collection ID [--spec NAME] [--json]
    synapse jobs wait ID [--timeout S] [--progress] [--json]

Configuration comes from the client's environment variables (``SYNAPSE_BASE_URL``,
``SYNAPSE_API_TOKEN``, ``SYNAPSE_AGENT_TOKEN``, ``SYNAPSE_TENANT``); ``--base-url`` and
``--token`` override the first two. Exit status: 0 success, 1 API or transport error (or a local
file error, a failed upload, a job that ended FAILED/STOPPED), 2 usage error (bad arguments,
missing configuration), 3 a job still running when ``--timeout`` ran out, 130 interrupted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from synapse_sdk import (
    BackendClient,
    ClientError,
    DataCollection,
    FileSpecification,
    Job,
    JobStatus,
)

__all__ = ["main"]

EXIT_OK, EXIT_API, EXIT_USAGE, EXIT_TIMEOUT, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
_WIDTH_SAMPLE = 200  # rows read before the table's column widths are fixed


class UsageError(Exception):
    """Bad arguments or configuration: exit status 2."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    conn = common.add_argument_group("connection")
    conn.add_argument("--base-url", metavar="URL", help="API root (default: $SYNAPSE_BASE_URL)")
    conn.add_argument(
        "--token",
        metavar="TOKEN",
        help="API token (default: $SYNAPSE_API_TOKEN; prefer the variable, flags show in ps)",
    )

    parser = argparse.ArgumentParser(
        prog="synapse",
        description="Command line for the Synapse backend (synapse_sdk).",
        epilog="Exit status: 0 ok, 1 API error or failed job, 2 usage, 3 job wait timed out.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands.add_parser(
        "devserver",
        add_help=False,
        help="run the local backend (options as python -m synapse_sdk.devserver --help)",
    )

    tasks = commands.add_parser("tasks", help="tasks").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    listing = tasks.add_parser("list", parents=[common], help="list a project's tasks")
    listing.add_argument("--project", type=_positive_int, required=True, help="project id")
    listing.add_argument("--status", help="only tasks in this status (pending, completed ...)")
    listing.add_argument("--limit", type=_positive_int, help="at most N tasks")
    listing.add_argument("--json", action="store_true", help="print a JSON array (wire form)")

    upload = commands.add_parser(
        "upload", parents=[common], help="upload files as data units of a collection"
    )
    upload.add_argument("path", type=Path, help="a file, or a directory of files (one unit each)")
    upload.add_argument("--collection", type=_positive_int, required=True, help="collection id")
    upload.add_argument("--spec", help="file specification name (default: the primary one)")
    upload.add_argument("--progress", action="store_true", help="show progress on stderr")
    upload.add_argument("--json", action="store_true", help="print the created units as JSON")

    jobs = commands.add_parser("jobs", help="plugin jobs").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    wait = jobs.add_parser("wait", parents=[common], help="wait until a job finishes")
    wait.add_argument("job", type=_positive_int, metavar="ID", help="job id")
    wait.add_argument("--timeout", type=_seconds, default=600.0, help="seconds (default 600)")
    wait.add_argument("--progress", action="store_true", help="show progress on stderr")
    wait.add_argument("--json", action="store_true", help="print the finished job as JSON")
    return parser


def _client(args: argparse.Namespace) -> BackendClient:
    try:
        return BackendClient(args.base_url, api_token=args.token)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{exc}; the command line also takes --base-url and --token") from None


# -- devserver ----------------------------------------------------------------------------------


def _devserver(argv: list[str]) -> int:
    # A child process, not an import: the client side never imports the devserver (layering
    # rule), and the server keeps its own signal handling and clean shutdown.
    if importlib.util.find_spec("werkzeug") is None:
        raise UsageError("the local backend needs werkzeug: pip install 'synapse-sdk[devserver]'")
    child = subprocess.Popen([sys.executable, "-m", "synapse_sdk.devserver", *argv])
    if threading.current_thread() is not threading.main_thread():
        return child.wait()

    def _forward(signum: int, frame: FrameType | None) -> None:
        child.send_signal(signum)

    # Ctrl-C reaches the child directly (same process group); the parent only waits for it.
    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN),
        signal.SIGTERM: signal.signal(signal.SIGTERM, _forward),
    }
    try:
        return child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


# -- tasks list ---------------------------------------------------------------------------------


def _print_table(out: TextIO, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Aligned columns, streamed: widths come from the first rows, later rows just follow them."""
    iterator = iter(rows)
    head = [list(header), *(list(r) for r in itertools.islice(iterator, _WIDTH_SAMPLE))]
    widths = [max(len(row[i]) for row in head) for i in range(len(header))]
    for row in itertools.chain(head, iterator):
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        out.write("  ".join(cells).rstrip() + "\n")


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return str(getattr(value, "value", value))


def _tasks_list(args: argparse.Namespace, out: TextIO) -> int:
    with _client(args) as client:
        filters: dict[str, Any] = {"project": args.project}
        if args.status:
            filters["status"] = args.status
        qs = client.tasks.filter(**filters)
        if args.limit:
            qs = qs[: args.limit]
        if args.json:
            # Streamed: one page in memory at a time, however long the listing.
            out.write("[")
            for i, task in enumerate(qs.iterator()):
                out.write(("," if i else "") + "\n  " + json.dumps(task.to_dict()))
            out.write("\n]\n")
            return EXIT_OK
        rows = (
            (str(t.id), _text(t.status), _text(t.data_unit_id), _text(t.created))
            for t in qs.iterator()
        )
        _print_table(out, ("ID", "STATUS", "DATA_UNIT", "CREATED"), rows)
    return EXIT_OK


# -- upload -------------------------------------------------------------------------------------


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


def _upload(args: argparse.Namespace, out: TextIO) -> int:
    files = _files(args.path)
    with _client(args) as client:
        collection = client.data_collections.get(args.collection)
        spec = _pick_spec(collection, args.spec)
        refused = [f.name for f in files if not spec.accepts(f.name)]
        if refused:
            raise UsageError(
                f"file specification {spec.name!r} accepts {', '.join(spec.extensions)}; "
                f"refused: {', '.join(refused[:5])}" + (" ..." if len(refused) > 5 else "")
            )
        # The collection's upload engine: files checked first, parallel and resumable uploads,
        # files the server already has skipped, units created in batches (or reused: a re-run
        # prints the units the files already form).
        report = collection.upload(
            [{spec.name: path} for path in files], progress=args.progress or None
        )
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


# -- jobs wait ----------------------------------------------------------------------------------


def _jobs_wait(args: argparse.Namespace, out: TextIO) -> int:
    with _client(args) as client:
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
        out.write(f"job {job.id} {_text(job.status)}\n")
    if job.status is not JobStatus.SUCCEEDED:
        sys.stderr.write(f"synapse: job {job.id} ended {_text(job.status)}\n")
        return EXIT_API
    return EXIT_OK


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the ``synapse`` command line.

    Args:
        argv: The arguments (default ``sys.argv[1:]``).
        out: Where results go (default ``sys.stdout``); messages go to ``sys.stderr``.

    Returns:
        The exit status (0 ok, 1 API error or failed job, 2 usage, 3 wait timed out).
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    stream = sys.stdout if out is None else out
    parser = _parser()
    try:
        if arguments[:1] == ["devserver"]:
            return _devserver(arguments[1:])
        try:
            args = parser.parse_args(arguments)
        except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
            return int(exc.code or 0)
        handlers = {
            ("tasks", "list"): _tasks_list,
            ("upload", None): _upload,
            ("jobs", "wait"): _jobs_wait,
        }
        return handlers[(args.command, getattr(args, "action", None))](args, stream)
    except UsageError as exc:
        sys.stderr.write(f"synapse: error: {exc}\n")
        return EXIT_USAGE
    except ClientError as exc:
        sys.stderr.write(f"synapse: error: {type(exc).__name__}: {exc}\n")
        return EXIT_API
    except (TypeError, ValueError) as exc:  # bad input the SDK refused before any request
        sys.stderr.write(f"synapse: error: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("synapse: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `synapse tasks list ... | head`: the reader left. Not an error; point stdout at
        # /dev/null so the interpreter's final flush does not complain either.
        if out is None:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:  # a local file that cannot be read, a full disk ...
        sys.stderr.write(f"synapse: error: {exc}\n")
        return EXIT_API


if __name__ == "__main__":
    sys.exit(main())

"""The ``synapse`` command's arguments (argparse): every command and option with its help."""

from __future__ import annotations

import argparse
from pathlib import Path

from synapse_sdk import __version__
from synapse_sdk._export import FAMILIES

__all__ = ["parser"]

EPILOG = (
    "Connection settings: a flag wins over the environment ($SYNAPSE_BASE_URL, "
    "$SYNAPSE_API_TOKEN, $SYNAPSE_AGENT_TOKEN, $SYNAPSE_TENANT), which wins over the profile "
    "(--profile or $SYNAPSE_PROFILE, else [default], in --config, $SYNAPSE_CONFIG or "
    "~/.config/synapse/config.ini). Exit status: 0 ok, 1 API error, failed file or failed job, "
    "2 usage, 3 job wait timed out, 130 interrupted."
)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def families(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    bad = [n for n in names if n not in FAMILIES]
    if bad or not names:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list of {', '.join(FAMILIES)}, got {text!r}"
        )
    return names


def _connection(parser: argparse.ArgumentParser, default: object) -> None:
    group = parser.add_argument_group("connection (also accepted before the command)")
    group.add_argument(
        "--base-url", metavar="URL", default=default, help="API root (default: $SYNAPSE_BASE_URL)"
    )
    group.add_argument(
        "--token",
        metavar="TOKEN",
        default=default,
        help="API token (default: $SYNAPSE_API_TOKEN; prefer the variable or a profile: flags "
        "show in ps)",
    )
    group.add_argument(
        "--profile",
        metavar="NAME",
        default=default,
        help="profile of the configuration file (default: $SYNAPSE_PROFILE, else [default])",
    )
    group.add_argument(
        "--config",
        metavar="PATH",
        default=default,
        help="configuration file (default: $SYNAPSE_CONFIG, else ~/.config/synapse/config.ini)",
    )


def _listing(p: argparse.ArgumentParser) -> None:
    p.add_argument("--limit", type=positive_int, metavar="N", help="at most N rows")
    p.add_argument("--json", action="store_true", help="print a JSON array (wire form)")


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    _connection(common, argparse.SUPPRESS)  # given after the command, it wins over before

    top = argparse.ArgumentParser(
        prog="synapse", description="Command line for the Synapse backend (synapse_sdk).",
        epilog=EPILOG,
    )  # fmt: skip
    top.add_argument("--version", action="version", version=f"synapse {__version__}")
    _connection(top, None)
    commands = top.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands.add_parser(
        "devserver",
        add_help=False,
        help="run the local backend (options as python -m synapse_sdk.devserver --help)",
    )

    def sub(group: argparse._SubParsersAction[argparse.ArgumentParser], name: str, text: str,
            **kw: object) -> argparse.ArgumentParser:  # fmt: skip
        return group.add_parser(name, parents=[common], help=text, description=text, **kw)  # type: ignore[arg-type]

    def family(name: str, text: str) -> argparse._SubParsersAction[argparse.ArgumentParser]:
        p = commands.add_parser(name, help=text, description=text)
        return p.add_subparsers(dest="action", metavar="ACTION", required=True)

    tasks = family("tasks", "tasks of a project")
    listing = sub(tasks, "list", "list a project's tasks (streamed page by page)")
    listing.add_argument("--project", type=positive_int, required=True, help="project id")
    listing.add_argument("--status", help="only tasks in this status (pending, completed ...)")
    _listing(listing)

    projects = family("projects", "projects")
    listing = sub(projects, "list", "list the projects this token can see")
    listing.add_argument("--search", metavar="TEXT", help="title or description contains TEXT")
    listing.add_argument(
        "--archived", action=argparse.BooleanOptionalAction, default=None,
        help="only archived projects (--no-archived: only the others; default: all)",
    )  # fmt: skip
    _listing(listing)

    jobs = family("jobs", "plugin jobs")
    listing = sub(jobs, "list", "list plugin jobs, newest first as the server orders them")
    listing.add_argument("--status", help="only jobs in this status (RUNNING, FAILED ...)")
    listing.add_argument(
        "--plugin", type=positive_int, metavar="ID", help="only this plugin's jobs"
    )
    listing.add_argument("--action", dest="job_action", metavar="NAME", help="only this action")
    _listing(listing)
    wait = sub(jobs, "wait", "wait until a job finishes; exit 1 unless it SUCCEEDED")
    wait.add_argument("job", type=positive_int, metavar="ID", help="job id")
    wait.add_argument("--timeout", type=seconds, default=600.0, help="seconds (default 600)")
    wait.add_argument("--progress", action="store_true", help="show progress on stderr")
    wait.add_argument("--json", action="store_true", help="print the finished job as JSON")

    upload = sub(commands, "upload", "upload files as data units of a collection (one each)")
    upload.add_argument("path", type=Path, help="a file, or a directory of files (not recursive)")
    upload.add_argument("--collection", type=positive_int, required=True, help="collection id")
    upload.add_argument("--spec", help="file specification name (default: the primary one)")
    upload.add_argument(
        "--skip-refused", action="store_true",
        help="skip files whose extension the specification refuses (default: refuse them all "
        "before uploading anything)",
    )  # fmt: skip
    upload.add_argument("--progress", action="store_true", help="show progress on stderr")
    upload.add_argument("--json", action="store_true", help="print the created units as JSON")

    download = sub(commands, "download", "download a data unit's files, or a data file")
    what = download.add_mutually_exclusive_group(required=True)
    what.add_argument("--data-unit", type=positive_int, metavar="ID", help="a data unit's files")
    what.add_argument("--data-file", type=positive_int, metavar="ID", help="one data file")
    download.add_argument("dest", type=Path, metavar="DIR", help="directory (created if needed)")
    download.add_argument(
        "--spec", action="append", metavar="NAME",
        help="only this file specification of the unit (repeatable)",
    )  # fmt: skip
    download.add_argument("--overwrite", action="store_true", help="replace existing files")
    download.add_argument("--progress", action="store_true", help="show progress on stderr")

    export = sub(
        commands, "export",
        "export a project (tasks, annotations, data units, files) to a folder; run it again "
        "to resume an interrupted export",
    )  # fmt: skip
    export.add_argument("project", type=positive_int, metavar="PROJECT", help="project id")
    export.add_argument(
        "dest", type=Path, metavar="DEST", help="export folder (new, or the same export)"
    )
    export.add_argument(
        "--include", type=families, default=["tasks", "annotations", "files"], metavar="LIST",
        help=f"comma-separated families: {', '.join(FAMILIES)} (default tasks,annotations,files)",
    )  # fmt: skip
    export.add_argument(
        "--max-workers", type=positive_int, default=4, metavar="N",
        help="files downloaded at once (1..32, default 4)",
    )  # fmt: skip
    export.add_argument("--progress", action="store_true", help="show a progress bar on stderr")
    export.add_argument("--json", action="store_true", help="print the manifest as JSON")
    return top

"""The ``synapse`` command line: a thin shell over the typed API (argparse, no extra dependency).

    synapse [--base-url URL] [--token T] [--profile NAME] [--config PATH] COMMAND ...
    synapse --version
    synapse devserver [--port 8000 --seed demo ...]
    synapse projects list [--search TEXT] [--archived | --no-archived] [--limit N] [--json]
    synapse tasks list --project 1 [--status pending] [--limit N] [--json]
    synapse jobs list [--status S] [--plugin ID] [--action NAME] [--limit N] [--json]
    synapse jobs wait ID [--timeout S] [--progress] [--json]
    synapse upload PATH --collection ID [--spec NAME] [--skip-refused] [--progress] [--json]
    synapse download (--data-unit ID | --data-file ID) DIR [--spec NAME] [--overwrite]
    synapse export PROJECT DEST [--include tasks,annotations,files] [--max-workers N] [--progress]

Connection settings: a flag wins over the environment variable (``SYNAPSE_BASE_URL``,
``SYNAPSE_API_TOKEN``, ``SYNAPSE_AGENT_TOKEN``, ``SYNAPSE_TENANT``), which wins over the profile
of the configuration file (see :mod:`synapse_sdk._cli._config`). Exit status: 0 success, 1 API
or transport error (or a local file error, a failed upload or export file, a job that ended
FAILED/STOPPED, an object that does not exist), 2 usage error (bad arguments, missing
configuration, an export folder holding something else), 3 a job still running when
``--timeout`` ran out, 130 interrupted. Expected errors print one line, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from synapse_sdk import ClientError
from synapse_sdk._cli._config import CommandError, UsageError
from synapse_sdk._cli._devserver import devserver
from synapse_sdk._cli._parser import parser
from synapse_sdk._cli._read import jobs_list, jobs_wait, projects_list, tasks_list
from synapse_sdk._cli._transfer import download, export, upload

__all__ = ["main"]

EXIT_OK, EXIT_API, EXIT_USAGE, EXIT_TIMEOUT, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

Handler = Callable[[argparse.Namespace, TextIO], int]
HANDLERS: dict[tuple[str, str | None], Handler] = {
    ("tasks", "list"): tasks_list,
    ("projects", "list"): projects_list,
    ("jobs", "list"): jobs_list,
    ("jobs", "wait"): jobs_wait,
    ("upload", None): upload,
    ("download", None): download,
    ("export", None): export,
}


def _devserver_argv(arguments: list[str]) -> list[str] | None:
    """The devserver's own arguments when the command is ``devserver`` (after any global
    options), else None: everything after it goes to the devserver untouched."""
    i = 0
    takes_value = {"--base-url", "--token", "--profile", "--config"}
    while i < len(arguments):
        arg = arguments[i]
        if arg == "devserver":
            return arguments[i + 1 :]
        if arg in takes_value:
            i += 2
        elif arg.split("=", 1)[0] in takes_value:
            i += 1
        else:
            return None
    return None


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
    try:
        forwarded = _devserver_argv(arguments)
        if forwarded is not None:
            return devserver(forwarded)
        try:
            args = parser().parse_args(arguments)
        except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help / --version
            return int(exc.code or 0)
        return HANDLERS[(args.command, getattr(args, "action", None))](args, stream)
    except UsageError as exc:
        sys.stderr.write(f"synapse: error: {exc}\n")
        return EXIT_USAGE
    except CommandError as exc:
        sys.stderr.write(f"synapse: error: {exc}\n")
        return EXIT_API
    except ClientError as exc:
        sys.stderr.write(f"synapse: error: {type(exc).__name__}: {exc}\n")
        return EXIT_API
    except (TypeError, ValueError) as exc:  # bad input refused before any request
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
    except (OSError, RuntimeError) as exc:  # a local file error, an export already running
        sys.stderr.write(f"synapse: error: {exc}\n")
        return EXIT_API


if __name__ == "__main__":
    sys.exit(main())

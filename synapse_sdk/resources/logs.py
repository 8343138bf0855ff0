"""Log entries for ``POST logs/`` (``client.jobs.create_logs``, seed ``create_logs``).

The route is declared once, as the ``create_logs`` action of the jobs endpoint (an absolute
``logs/`` path): the backend's log entries belong to the plugin runs that write them, and the
family has no reads of its own. This module checks and shapes the body before any request.
"""

from __future__ import annotations

import base64
import mimetypes
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from synapse_sdk.resources._enums import LogLevel

__all__ = ["MAX_LOG_FILE_BYTES", "log_body"]

#: The largest file attached to a log entry (it is sent inline, base64-encoded).
MAX_LOG_FILE_BYTES = 20 * 1024 * 1024
_LEVELS = tuple(level.value for level in LogLevel)


def _data_uri(value: object, where: str) -> str:
    if isinstance(value, str) and value.startswith("data:"):
        return value
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{where}.file must be a path or a data: URI, got {type(value).__name__}")
    path = Path(value)
    if not path.is_file():
        raise FileNotFoundError(f"{where}.file: no such file: {os.fspath(path)!r}")
    size = path.stat().st_size
    if size > MAX_LOG_FILE_BYTES:
        raise ValueError(
            f"{where}.file is {size} bytes; log attachments are sent inline and may hold at "
            f"most {MAX_LOG_FILE_BYTES} bytes"
        )
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _entry(item: object, where: str) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise TypeError(f"{where} must be a mapping, got {type(item).__name__}")
    entry = dict(item)  # the caller's dict is never modified
    message = entry.get("message")
    if not isinstance(message, str):
        raise TypeError(f"{where}.message must be a string, got {type(message).__name__}")
    level = entry.setdefault("level", "info")
    if isinstance(level, LogLevel):
        entry["level"] = level = level.value
    if level not in _LEVELS:
        raise ValueError(f"{where}.level must be one of {', '.join(_LEVELS)}, got {level!r}")
    context = entry.get("context")
    if context is not None and not isinstance(context, Mapping):
        raise TypeError(f"{where}.context must be a mapping, got {type(context).__name__}")
    if entry.get("file") is not None:
        entry["file"] = _data_uri(entry["file"], where)
    return entry


def log_body(data: object) -> dict[str, Any] | list[dict[str, Any]]:
    """The body of ``POST logs/`` for one entry or a list of them: each a copy with ``level``
    defaulted to ``"info"`` and a ``file`` path turned into a ``data:<mime>;base64,...`` URI.
    One entry is sent as an object, several as a list (as the official client does).

    Raises:
        TypeError, ValueError, FileNotFoundError: A malformed entry (no string ``message``, a
            level outside the backend's set, a missing or too large file), before any request.
    """
    if isinstance(data, Mapping):
        return _entry(data, "data")
    if not isinstance(data, (list, tuple)):
        raise TypeError(f"data must be a mapping or a list of them, got {type(data).__name__}")
    if not data:
        raise ValueError("data is an empty list: nothing to log")
    entries = [_entry(item, f"data[{i}]") for i, item in enumerate(data)]
    return entries if len(entries) > 1 else entries[0]

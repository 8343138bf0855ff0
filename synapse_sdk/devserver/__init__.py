"""Local Synapse v1 backend for offline development and tests (werkzeug + SQLite).

Start it with ``python -m synapse_sdk.devserver --seed demo`` or in process::

    with LocalBackend(seed="demo") as backend:
        backend.url, backend.api_token, backend.demo["task"]

It never imports the client side of ``synapse_sdk``. Names are imported lazily so that the
pytest plugin (loaded in every pytest run) costs nothing until a fixture is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._faults import Fault, FaultPlane
    from ._journal import Journal, JournalEntry
    from ._server import LocalBackend

__all__ = ["Fault", "FaultPlane", "Journal", "JournalEntry", "LocalBackend"]

_WHERE = {
    "Fault": "._faults",
    "FaultPlane": "._faults",
    "Journal": "._journal",
    "JournalEntry": "._journal",
    "LocalBackend": "._server",
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(where, __name__), name)
    globals()[name] = value
    return value

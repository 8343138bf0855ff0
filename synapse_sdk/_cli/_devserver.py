"""``synapse devserver``: the local backend in a child process."""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
import threading
from types import FrameType

from synapse_sdk._cli._config import UsageError

__all__ = ["devserver"]


def devserver(argv: list[str]) -> int:
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

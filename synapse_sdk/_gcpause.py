"""Pausing CPython's cyclic garbage collector while the SDK makes many objects that stay alive.

Decoding a listing page of 1,000 tasks allocates some 5,000 containers, and building its typed
objects 1,000 more. CPython runs a young collection every 700 container allocations and an
older one every ten of those; here each finds nothing to free (every new object is part of the
page being built) yet walks all of them, a fifth of a typed listing's CPU. So the SDK pauses the
collector for the length of one decode of a large answer (:data:`MIN_BYTES` or more) and one
page build - a few milliseconds, no user code inside - and turns it back on right after: the
first allocation afterwards runs the one collection the page needs. JSON holds no reference
cycles, so nothing waits longer to be freed.

Rules, so that a program's own use of :mod:`gc` is respected:

* The collector is only ever turned back on if it was on when the (first) pause began; a program
  that runs with it off keeps it off.
* Pauses in several threads nest: it is turned back on when the last one ends.
* A forked child of a process in a pause starts with the collector as it was before the pause.
* ``SYNAPSE_SDK_PAUSE_GC=0`` in the environment (read at import) turns pausing off.

A program that turns the collector *off* while another of its threads is inside such a pause
finds it on again when the pause ends (the pause cannot tell that change from its own).
"""

from __future__ import annotations

import gc
import os
import threading

__all__ = ["ENABLED", "MIN_BYTES", "paused"]

#: Whether pausing is on (``SYNAPSE_SDK_PAUSE_GC=0`` turns it off).
ENABLED = os.environ.get("SYNAPSE_SDK_PAUSE_GC", "1").strip() != "0"
#: Answers at least this large are decoded with the collector paused.
MIN_BYTES = 64 * 1024

_lock = threading.Lock()
_active = 0
_resume = False


class _Pause:
    """The context manager :func:`paused` returns (one shared instance: it holds no state)."""

    __slots__ = ()

    def __enter__(self) -> None:
        global _active, _resume
        with _lock:
            if _active == 0:
                _resume = gc.isenabled()
                if _resume:
                    gc.disable()
            _active += 1

    def __exit__(self, *exc_info: object) -> None:
        global _active
        with _lock:
            _active -= 1
            if _active == 0 and _resume:
                gc.enable()


class _NoPause:
    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        return None


_PAUSE = _Pause()
_NO_PAUSE = _NoPause()


def paused() -> _Pause | _NoPause:
    """``with paused(): ...`` runs the block with the collector paused (see the module
    docstring); a no-op with ``SYNAPSE_SDK_PAUSE_GC=0``."""
    return _PAUSE if ENABLED else _NO_PAUSE


def _after_fork_in_child() -> None:
    global _lock, _active
    # Only the forking thread exists in the child: pauses of other threads never end there.
    if _active and _resume:
        gc.enable()
    _lock = threading.Lock()
    _active = 0


if hasattr(os, "register_at_fork"):  # pragma: no branch - POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)

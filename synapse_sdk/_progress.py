"""Progress reporting for long work (uploads, listings with a known count, ``job.wait``).

Silent by default. ``progress=True`` shows tqdm's auto bar (notebook widget or terminal) when
tqdm is installed (``pip install synapse-sdk[progress]``), else a plain line on stderr at most
every half second. A callable receives ``(done, total)`` instead.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["ProgressLike", "Reporter", "check_progress", "reporter"]

#: What ``progress=`` accepts: off, on, or a ``(done, total)`` callback.
ProgressLike = bool | Callable[[int, int], None] | None


class Reporter(Protocol):
    """Receives progress updates."""

    def update(self, done: int) -> None:
        """Report that ``done`` units (bytes, rows ...) are finished so far (absolute)."""

    def close(self) -> None:
        """Finish the display."""


class _Silent:
    def update(self, done: int) -> None:
        pass

    def close(self) -> None:
        pass


class _Callback:
    def __init__(self, fn: Callable[[int, int], None], total: int) -> None:
        self._fn = fn
        self._total = total

    def update(self, done: int) -> None:
        self._fn(done, self._total)

    def close(self) -> None:
        pass


class _Tqdm:
    def __init__(self, bar: Any) -> None:
        self._bar = bar
        self._done = 0

    def update(self, done: int) -> None:
        if done > self._done:
            self._bar.update(done - self._done)
            self._done = done

    def close(self) -> None:
        self._bar.close()


class _Line:
    def __init__(self, total: int, desc: str, unit: str) -> None:
        self._total = total
        self._desc = desc
        self._unit = unit
        self._last = 0.0
        self._done = 0

    def update(self, done: int) -> None:
        self._done = done
        now = time.monotonic()
        if now - self._last >= 0.5 or done >= self._total:
            self._last = now
            pct = f" ({100 * done / self._total:.0f}%)" if self._total else ""
            sys.stderr.write(f"\r{self._desc}: {done}/{self._total} {self._unit}{pct}")
            sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()


def check_progress(progress: object) -> None:
    """Refuse a ``progress=`` value that is not ``True``/``False``/``None`` or a callable, before
    any work starts."""
    if progress is not None and not isinstance(progress, bool) and not callable(progress):
        raise TypeError(
            f"progress must be True, False/None or a (done, total) callable, "
            f"got {type(progress).__name__}"
        )


def reporter(progress: ProgressLike, total: int, desc: str, unit: str = "B") -> Reporter:
    """Build the reporter ``progress`` asks for (``None``/``False``: silent).

    Args:
        progress: ``True`` for a bar, a ``(done, total)`` callable, or ``None``/``False``.
        total: The amount of work (bytes for uploads, rows for listings).
        desc: A short label.
        unit: ``"B"`` shows bytes with binary prefixes in tqdm.

    Raises:
        TypeError: ``progress`` is none of the accepted kinds.
    """
    if progress is None or progress is False:
        return _Silent()
    if progress is True:
        try:
            from tqdm import tqdm
        except ImportError:
            return _Line(total, desc, unit)
        try:  # the notebook widget bar needs ipywidgets; without it tqdm.auto only warns
            import ipywidgets  # noqa: F401
            from tqdm.auto import tqdm
        except ImportError:
            pass
        scale = unit == "B"
        return _Tqdm(tqdm(total=total, desc=desc, unit=unit, unit_scale=scale, unit_divisor=1024))
    if callable(progress):
        return _Callback(progress, total)
    raise TypeError(
        f"progress must be True, False/None or a callable, got {type(progress).__name__}"
    )

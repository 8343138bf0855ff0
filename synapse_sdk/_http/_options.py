"""The bounds of the client's integer options, declared once.

``BackendClient(...)``, ``BackendClient.with_options(...)``, :class:`Session` and the querysets
check their options with :func:`check_option`, so a bound (and its error message) cannot differ
between the places an option can be set.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from typing import TypeVar

import attrs

__all__ = ["OPTIONS", "IntOption", "check_option", "picklable_or"]

T = TypeVar("T")


@attrs.frozen
class IntOption:
    """An integer option and its inclusive bounds.

    Attributes:
        name: The keyword users pass (``page_size``).
        low: The smallest value allowed.
        high: The largest value allowed.
        meaning: What the option sets (for documentation and error messages).
    """

    name: str
    low: int
    high: int
    meaning: str

    def check(self, value: object) -> int:
        """Return ``value`` if it is an int within the bounds.

        Raises:
            TypeError: Not an int (``True`` and ``1.0`` included: they are bugs, never 1).
            ValueError: Outside ``low..high``.
        """
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{self.name} must be an int, got {type(value).__name__}")
        if not self.low <= value <= self.high:
            raise ValueError(f"{self.name} must be between {self.low} and {self.high}, got {value}")
        return value


def _table(*options: IntOption) -> Mapping[str, IntOption]:
    return {option.name: option for option in options}


#: Every bounded integer option of the client, by keyword.
OPTIONS: Mapping[str, IntOption] = _table(
    IntOption("page_size", 1, 1000, "rows per list request"),
    IntOption("prefetch", 0, 16, "pages fetched ahead while iterating (0 = sequential)"),
    IntOption("retries", 0, 20, "retries of a failed safe request"),
    IntOption("pool_maxsize", 1, 1024, "connections kept per origin"),
    IntOption("max_response_bytes", 1, 2**62, "largest successful API body buffered"),
)


def check_option(name: str, value: object) -> int:
    """Check one option against :data:`OPTIONS` (``check_option("page_size", 100)``).

    Raises:
        TypeError: ``value`` is not an int.
        ValueError: ``value`` is out of bounds.
        KeyError: ``name`` is not a declared option (a bug in the caller).
    """
    return OPTIONS[name].check(value)


def picklable_or(value: T, default: T) -> T:
    """``value`` if it survives pickling, else ``default`` (for callables such as ``sleep``:
    ``time.sleep`` pickles by reference, a lambda or a closure does not)."""
    if value is default:
        return value
    try:
        pickle.dumps(value)
    except Exception:
        return default
    return value

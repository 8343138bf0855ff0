"""The ``UNSET`` sentinel: "argument not given", distinct from an explicit ``None``."""

from __future__ import annotations

import enum

__all__ = ["UNSET", "Unset"]


class Unset(enum.Enum):
    """Type of :data:`UNSET`; an enum so type checkers can narrow ``x is UNSET``."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


#: "No value given" (``json=None`` means the JSON body ``null``; ``json=UNSET`` means no JSON).
UNSET = Unset.UNSET

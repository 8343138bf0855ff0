"""Test helpers for the JSON decoder (``synapse_sdk._http._json``): a counting msgspec decode and
a strict equality of decoded values."""

from __future__ import annotations

import math
from typing import Any

import msgspec

__all__ = ["Spy", "same"]

_MSGSPEC = msgspec.json.Decoder().decode


class Spy:
    """Wraps msgspec's decode: counts calls and refusals (proves which path answered)."""

    def __init__(self) -> None:
        self.calls = 0
        self.refused = 0

    def __call__(self, content: bytes) -> Any:
        self.calls += 1
        try:
            return _MSGSPEC(content)
        except Exception:
            self.refused += 1
            raise


def same(a: Any, b: Any) -> bool:
    """Equal values with equal types all the way down: nan == nan, -0.0 != 0.0, True != 1,
    dict key order counts."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return len(a) == len(b) and all(
            same(ka, kb) and same(va, vb)
            for (ka, va), (kb, vb) in zip(a.items(), b.items(), strict=True)
        )
    return bool(a == b)

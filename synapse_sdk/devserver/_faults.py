"""Fault plane: scripted misbehaviour per method and route pattern (see docs/devserver.md)."""

from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import dataclass, field
from typing import Any

KINDS: dict[str, dict[str, Any]] = {
    # kind -> accepted params with their defaults
    "status": {"status": 503, "retry_after": None, "body": None},
    "latency": {"seconds": 0.5},
    "stall": {"seconds": 5.0},
    "drip": {"interval": 0.1},
    "reset_before": {},
    "reset_after": {},
    "truncate": {},
    "malformed_json": {},
    "html": {"status": 502},
    "redirect": {"location": None, "status": 302},
}


@dataclass
class Fault:
    """One scripted fault.

    Attributes:
        id: identifier (for removal through the control endpoint).
        kind: one of :data:`KINDS`.
        method: HTTP method or ``"*"``.
        path: fnmatch pattern on the path without its leading slash.
        times: how many more matching requests it applies to (None = unlimited).
        probability: chance that a matching request is hit.
        params: kind-specific parameters (defaults filled in).
        hits: how many requests it has hit so far.
    """

    id: int
    kind: str
    method: str
    path: str
    times: int | None
    probability: float
    params: dict[str, Any]
    seed: int | None = None
    hits: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def matches(self, method: str, path: str) -> bool:
        """Whether the fault is live for ``method`` and ``path`` (no side effects)."""
        if self.times is not None and self.times <= 0:
            return False
        if self.method != "*" and self.method.upper() != method.upper():
            return False
        return fnmatch.fnmatchcase(path, self.path)

    def to_dict(self) -> dict[str, Any]:
        """JSON form used by the control endpoint."""
        return {
            "id": self.id,
            "kind": self.kind,
            "method": self.method,
            "path": self.path,
            "times": self.times,
            "probability": self.probability,
            "seed": self.seed,
            "hits": self.hits,
            **self.params,
        }


class FaultPlane:
    """The set of active faults of one backend; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._next = 1

    def add(
        self,
        kind: str,
        *,
        method: str = "*",
        path: str = "*",
        times: int | None = 1,
        probability: float = 1.0,
        seed: int | None = None,
        **params: Any,
    ) -> Fault:
        """Script a fault.

        Args:
            kind: ``status``, ``latency``, ``stall``, ``drip``, ``reset_before``, ``reset_after``,
                ``truncate``, ``malformed_json``, ``html`` or ``redirect``.
            method: HTTP method it applies to, ``"*"`` for any.
            path: fnmatch pattern on the request path without the leading slash (``"tasks/*"``).
            times: number of matching requests it applies to; None = unlimited.
            probability: chance in [0, 1] that a matching request is hit.
            seed: seed of the fault's own random generator (reproducible probability).
            **params: kind parameters (``status``, ``retry_after``, ``body``, ``seconds``,
                ``interval``, ``location``).

        Returns:
            The new :class:`Fault`.

        Raises:
            ValueError: unknown kind, unknown parameter or out-of-range value.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(KINDS)}")
        unknown = set(params) - set(KINDS[kind])
        if unknown:
            raise ValueError(f"unknown parameter(s) for {kind!r}: {sorted(unknown)}")
        if times is not None and (isinstance(times, bool) or not isinstance(times, int)):
            raise ValueError("times must be an int or None")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        if not 0.0 <= float(probability) <= 1.0:
            raise ValueError("probability must be within [0, 1]")
        merged = {**KINDS[kind], **params}
        for key in ("seconds", "interval"):
            if key in merged and (not isinstance(merged[key], (int, float)) or merged[key] < 0):
                raise ValueError(f"{key} must be a number >= 0")
        if "status" in merged and not (
            isinstance(merged["status"], int) and 100 <= merged["status"] <= 599
        ):
            raise ValueError("status must be an int within 100..599")
        with self._lock:
            fault = Fault(
                id=self._next,
                kind=kind,
                method=method.upper() if method != "*" else "*",
                path=path.lstrip("/"),
                times=times,
                probability=float(probability),
                params=merged,
                seed=seed,
                _rng=random.Random(seed),
            )
            self._next += 1
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()

    def remove(self, fault_id: int) -> bool:
        """Remove one fault by id; return whether it existed."""
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fault_id]
            return len(self._faults) != before

    def list(self) -> list[Fault]:
        """Return the faults not used up yet, in the order they were added."""
        with self._lock:
            return [f for f in self._faults if f.times is None or f.times > 0]

    def take(self, method: str, path: str) -> Fault | None:
        """Return the first live fault hitting this request and use one of its ``times``."""
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path):
                    continue
                if fault.probability < 1.0 and fault._rng.random() >= fault.probability:
                    continue
                if fault.times is not None:
                    fault.times -= 1
                fault.hits += 1
                self._faults = [f for f in self._faults if f.times is None or f.times > 0]
                return fault
        return None

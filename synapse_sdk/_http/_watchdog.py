"""One process-wide watchdog that enforces call deadlines inside blocking socket operations.

Socket timeouts bound each ``recv``/``send``, not a whole phase: a server that sends one header
byte every 0.2 s, or takes an upload 16 KiB at a time, resets them forever. So every attempt with
a deadline *arms* a :class:`Guard` (its deadline on the real monotonic clock) before it opens the
request and *disarms* it once the answer is read. When a deadline passes first, the watchdog
thread shuts the attempt's socket down (``shutdown(SHUT_RDWR)``), which makes the blocked
``recv``/``send`` return at once; the attempt sees ``guard.fired`` and raises the deadline error.

Cheap per call: no thread per call (one daemon thread, started lazily, that exits when there is
nothing to watch), one lock round trip to arm and one to disarm, and the thread is woken only
when a guard's deadline is earlier than the time it already planned to look. Disarmed guards are
deleted lazily: the heap is emptied whenever no guard is live and compacted when dead entries
outnumber live ones, so it cannot grow without bound.

The connection classes (:mod:`synapse_sdk._http._connection`) attach themselves to the current
thread's guard when they connect or send, so the watchdog knows which socket to shut down and
how far the attempt got (:data:`WAITING`, :data:`CONNECTING`, :data:`SENDING`).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import math
import os
import socket
import threading
import time
from typing import Any

__all__ = [
    "CONNECTING",
    "SENDING",
    "WAITING",
    "WATCHDOG",
    "DeadlineReached",
    "Guard",
    "Watchdog",
    "arm",
    "current_guard",
    "set_current_guard",
]

#: Phases of an attempt, as far as the watchdog knows: no I/O yet (waiting for a pooled
#: connection), opening a TCP/TLS connection, and sending the request (or anything after it).
WAITING, CONNECTING, SENDING = 0, 1, 2


class DeadlineReached(Exception):
    """Internal: the call's deadline passed (mapped by :func:`~._transport.map_error`).

    Not an ``OSError``: urllib3 lets it through unwrapped and discards the connection.
    """


class Guard:
    """One armed deadline: the connection it watches and how far the attempt got.

    Attributes:
        deadline: The deadline on ``time.monotonic()``.
        conn: The urllib3 connection in use (set by the connection classes), or None.
        handshake: A duplicate of the raw socket while a TLS handshake runs (the raw socket object
            is detached once wrapped, but shutting the duplicate down stops the handshake).
        phase: :data:`WAITING`, :data:`CONNECTING` or :data:`SENDING`.
        fired: True once the watchdog shut the connection down.
        active: False once disarmed or fired.
    """

    __slots__ = ("active", "conn", "deadline", "fired", "handshake", "phase")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.conn: Any = None
        self.handshake: socket.socket | None = None
        self.phase = WAITING
        self.fired = False
        self.active = True


class Watchdog:
    """The deadline heap and its thread (use the process-wide :data:`WATCHDOG`)."""

    #: The thread looks at least this often; it exits when it finds nothing to watch.
    POLL = 1.0

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        # Also run in a forked child: the parent's thread does not exist there and its lock may
        # have been held at the fork, so everything starts over.
        self._lock = threading.Lock()
        self._wakeup = threading.Condition(self._lock)
        self._heap: list[tuple[float, int, Guard]] = []
        self._live = 0
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._wake_at = math.inf

    def arm(self, deadline: float) -> Guard:
        """Watch a new attempt until ``deadline`` (on ``time.monotonic()``)."""
        guard = Guard(deadline)
        with self._lock:
            heapq.heappush(self._heap, (deadline, next(self._seq), guard))
            self._live += 1
            if self._thread is None:
                self._wake_at = -math.inf  # the new thread looks as soon as it runs
                self._thread = threading.Thread(
                    target=self._run, name="synapse-sdk-watchdog", daemon=True
                )
                self._thread.start()
            elif deadline < self._wake_at:
                self._wakeup.notify()
        return guard

    def disarm(self, guard: Guard) -> bool:
        """Stop watching ``guard``; return whether it had fired (its socket was shut down).

        After this returns the watchdog never touches the guard's connection again, so the
        connection may go back to the pool (unless it fired).
        """
        with self._lock:
            if guard.active:
                guard.active = False
                self._live -= 1
                heap = self._heap
                if not self._live:
                    heap.clear()
                elif len(heap) > 64 and len(heap) > 4 * self._live:
                    self._heap = [entry for entry in heap if entry[2].active]
                    heapq.heapify(self._heap)
        return guard.fired

    def detach(self, guard: Guard, conn: Any) -> bool:
        """Stop watching ``conn`` (going back to the pool); return whether ``guard`` fired."""
        with self._lock:
            if guard.conn is conn:
                guard.conn = None
            return guard.fired

    def watch_handshake(self, guard: Guard, sock: socket.socket) -> None:
        """Keep a duplicate of ``sock`` on ``guard`` while a TLS handshake runs on it."""
        with self._lock:
            if guard.active:
                with contextlib.suppress(OSError):
                    guard.handshake = sock.dup()

    def drop_handshake(self, guard: Guard) -> None:
        """Close the handshake duplicate (under the lock: the watchdog may be using it)."""
        with self._lock:
            sock, guard.handshake = guard.handshake, None
        if sock is not None:
            sock.close()

    def pending(self) -> int:
        """Live (armed, not fired) guards."""
        with self._lock:
            return self._live

    def heap_size(self) -> int:
        """Entries in the heap, dead ones included (bounded: see the module docstring)."""
        with self._lock:
            return len(self._heap)

    def _run(self) -> None:
        with self._lock:
            while True:
                now = time.monotonic()
                heap = self._heap
                while heap and (heap[0][0] <= now or not heap[0][2].active):
                    guard = heapq.heappop(heap)[2]
                    if guard.active:
                        guard.active = False
                        self._live -= 1
                        _fire(guard)
                if not heap:
                    self._thread = None
                    self._wake_at = math.inf
                    return
                self._wake_at = min(heap[0][0], now + self.POLL)
                self._wakeup.wait(self._wake_at - now)


def _fire(guard: Guard) -> None:
    """Shut the guard's socket down so a blocked recv/send returns now (called under the lock).

    ``shutdown`` rather than ``close``: the owning thread still uses the socket object and
    closes it itself; shutdown only ends the connection (both directions) for everyone.
    """
    guard.fired = True
    conn = guard.conn
    for sock in (getattr(conn, "sock", None), guard.handshake):
        if sock is not None:
            with contextlib.suppress(OSError, ValueError):
                sock.shutdown(socket.SHUT_RDWR)


#: The process-wide watchdog.
WATCHDOG = Watchdog()

_local = threading.local()


def current_guard() -> Guard | None:
    """The guard of the attempt running on this thread, or None."""
    guard: Guard | None = getattr(_local, "guard", None)
    return guard


def set_current_guard(guard: Guard | None) -> Guard | None:
    """Make ``guard`` this thread's current one; return the previous one (to restore)."""
    previous: Guard | None = getattr(_local, "guard", None)
    _local.guard = guard
    return previous


def arm(deadline_at: float | None, clock: Any) -> Guard | None:
    """Arm the watchdog for a deadline on ``clock`` (translated to real monotonic time), or
    return None when there is no deadline."""
    if deadline_at is None:
        return None
    if clock is time.monotonic:
        return WATCHDOG.arm(deadline_at)
    # An injected clock (tests) may run ahead of real time: the watchdog works in real time, so
    # keep the *remaining* time, not the clock's value.
    return WATCHDOG.arm(time.monotonic() + (deadline_at - clock()))


if hasattr(os, "register_at_fork"):  # pragma: no branch - POSIX
    os.register_at_fork(after_in_child=WATCHDOG._reset)

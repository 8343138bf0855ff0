"""The deadline watchdog (``_http/_watchdog.py``): fires by shutting the socket down, never
touches a disarmed guard's socket, keeps its heap bounded, and exits when idle."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

from synapse_sdk._http import _watchdog
from synapse_sdk._http._watchdog import Watchdog


class FakeConn:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock


def test_a_passed_deadline_shuts_the_socket_down() -> None:
    dog = Watchdog()
    left, right = socket.socketpair()
    with left, right:
        guard = dog.arm(time.monotonic() + 0.2)
        guard.conn = FakeConn(left)
        got: list[Any] = []
        reader = threading.Thread(target=lambda: got.append(left.recv(10)))
        reader.start()
        reader.join(5)
        assert not reader.is_alive() and got == [b""]  # the blocked recv returned
        assert dog.disarm(guard) is True
        assert dog.pending() == 0


def test_a_disarmed_guard_never_fires() -> None:
    dog = Watchdog()
    left, right = socket.socketpair()
    with left, right:
        guard = dog.arm(time.monotonic() + 0.05)
        guard.conn = FakeConn(left)
        assert dog.disarm(guard) is False
        time.sleep(0.2)
        right.sendall(b"ok")
        assert left.recv(2) == b"ok"
        assert not guard.fired


def test_a_detached_connection_is_left_alone() -> None:
    dog = Watchdog()
    left, right = socket.socketpair()
    with left, right:
        conn = FakeConn(left)
        guard = dog.arm(time.monotonic() + 0.05)
        guard.conn = conn
        assert dog.detach(guard, conn) is False  # back to the pool before the deadline
        time.sleep(0.2)
        assert guard.fired  # the deadline passed ...
        right.sendall(b"ok")
        assert left.recv(2) == b"ok"  # ... but the pooled socket was not touched
        dog.disarm(guard)


def test_the_heap_stays_bounded_with_lazy_deletion() -> None:
    dog = Watchdog()
    far = time.monotonic() + 3600
    live = [dog.arm(far) for _ in range(10)]
    biggest = 0
    for _ in range(20_000):
        dog.disarm(dog.arm(far))
        biggest = max(biggest, dog.heap_size())
    assert biggest <= 4 * len(live) + 64 + 1
    for guard in live:
        dog.disarm(guard)
    assert dog.heap_size() == 0 and dog.pending() == 0


def test_many_threads_arm_and_disarm() -> None:
    dog = Watchdog()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for i in range(2000):
                guard = dog.arm(time.monotonic() + (0.001 if i % 100 == 0 else 60))
                dog.disarm(guard)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert dog.pending() == 0 and dog.heap_size() == 0


def test_the_thread_exits_when_idle_and_restarts() -> None:
    dog = Watchdog()
    dog.POLL = 0.05
    dog.disarm(dog.arm(time.monotonic() + 60))
    for _ in range(100):
        if dog._thread is None:
            break
        time.sleep(0.05)
    assert dog._thread is None
    guard = dog.arm(time.monotonic() + 0.05)
    for _ in range(100):
        if guard.fired:
            break
        time.sleep(0.05)
    assert guard.fired


def test_the_process_wide_watchdog_exists() -> None:
    assert isinstance(_watchdog.WATCHDOG, Watchdog)

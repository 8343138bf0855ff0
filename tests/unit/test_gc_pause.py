"""The collector pause around large decodes and page builds: on while the SDK's own code runs,
restored after (errors included), nested across threads, respectful of a program that keeps the
collector off, reset in a forked child, and off with ``SYNAPSE_SDK_PAUSE_GC=0``."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import synapse_sdk._gcpause as gcpause
from synapse_sdk._exceptions import ResponseDecodeError
from synapse_sdk._http import _response
from synapse_sdk._http._response import Response
from synapse_sdk.clients.backend import BackendClient


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    assert gc.isenabled()
    yield
    gc.enable()


def answer(content: bytes) -> Response:
    return Response(
        status=200,
        headers={"Content-Type": "application/json"},
        content=content,
        method="GET",
        url="http://h/x/",
        request_id="r",
    )


def spy_loads(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    seen: list[bool] = []
    real = _response.loads

    def loads(content: bytes) -> Any:
        seen.append(gc.isenabled())
        return real(content)

    monkeypatch.setattr(_response, "loads", loads)
    return seen


def test_a_large_answer_is_decoded_with_the_collector_paused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = spy_loads(monkeypatch)
    big = json.dumps({"results": [{"id": i, "tags": []} for i in range(8000)]}).encode()
    assert len(big) >= gcpause.MIN_BYTES
    assert len(answer(big).json()["results"]) == 8000
    assert answer(b'{"id": 1}').json() == {"id": 1}
    assert seen == [False, True]  # paused for the large one only
    assert gc.isenabled()


def test_the_collector_is_back_on_after_a_large_answer_fails_to_decode() -> None:
    broken = b'{"results": [' + b'{"id": 1},' * 10000 + b"oops"
    with pytest.raises(ResponseDecodeError):
        answer(broken).json()
    assert gc.isenabled()


def test_a_program_that_keeps_the_collector_off_keeps_it_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = spy_loads(monkeypatch)
    gc.disable()
    big = json.dumps([{"id": i} for i in range(10000)]).encode()
    assert len(answer(big).json()) == 10000
    assert seen == [False]
    assert not gc.isenabled()


def test_pauses_in_several_threads_end_with_the_last() -> None:
    inside = threading.Event()
    leave = threading.Event()

    def other() -> None:
        with gcpause.paused():
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=other)
    with gcpause.paused():
        thread.start()
        assert inside.wait(10)
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other thread's pause is still on
    leave.set()
    thread.join(10)
    assert gc.isenabled()


def test_listing_pages_are_built_with_the_collector_paused(
    client: BackendClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = client.tasks
    seen: list[bool] = []
    real = type(manager).build_page

    def build_page(self: Any, rows: list[Any]) -> Any:
        seen.append(gc.isenabled())
        return real(self, rows)

    monkeypatch.setattr(type(manager), "build_page", build_page)
    tasks = list(manager.all().options(page_size=2))
    assert tasks and len(seen) == -(-len(tasks) // 2)
    assert not any(seen)
    assert gc.isenabled()


def _run(code: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_environment_variable_turns_pausing_off() -> None:
    code = """
        import gc
        import synapse_sdk._gcpause as p
        with p.paused():
            print(p.ENABLED, gc.isenabled())
    """
    assert _run(code, SYNAPSE_SDK_PAUSE_GC="0") == "False True"
    assert _run(code, SYNAPSE_SDK_PAUSE_GC="1") == "True False"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
def test_a_child_forked_during_another_threads_pause_has_the_collector_on() -> None:
    code = """
        import gc, os, threading
        import synapse_sdk._gcpause as p
        inside, leave = threading.Event(), threading.Event()
        def hold():
            with p.paused():
                inside.set()
                leave.wait(10)
        t = threading.Thread(target=hold)
        t.start()
        inside.wait(10)
        pid = os.fork()
        if pid == 0:
            ok = gc.isenabled()
            with p.paused():
                ok = ok and not gc.isenabled()
            os._exit(0 if ok and gc.isenabled() else 1)
        _, status = os.waitpid(pid, 0)
        leave.set()
        t.join(10)
        print(os.waitstatus_to_exitcode(status), gc.isenabled())
    """
    assert _run(code) == "0 True"

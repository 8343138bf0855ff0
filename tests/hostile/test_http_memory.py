"""Finding 9: buffered answers are capped, so a hostile server cannot exhaust the client's memory.

Each attack runs in a fresh subprocess that measures its own peak RSS growth (``VmHWM`` after the
attack minus ``VmRSS`` before it) and how long the typed error took to arrive.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from typing import Any

import pytest
from hostile_server import Conn, HostileServer, Request, gzip_bomb, head_bytes, task_json

MiB = 1024 * 1024
LIMIT_GROWTH = 100 * MiB

PROBE = r"""
import json, sys, time, traceback

def status(key):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    raise KeyError(key)

from synapse_sdk import Timeout
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk._http import Session

url, deadline = sys.argv[1], float(sys.argv[2])
client = BackendClient(url, api_token="t", timeout=Timeout(connect=2, read=5, deadline=deadline))
client.projects.get(1)   # warm up: modules loaded, pool and connection built
before = status("VmRSS:")
started = time.monotonic()
outcome = {}
try:
    result = ATTACK
    outcome["result"] = repr(result)[:200]
except BaseException as exc:
    outcome["error"] = type(exc).__name__
    outcome["mro"] = [c.__name__ for c in type(exc).__mro__]
    outcome["message"] = str(exc)[:500]
outcome["seconds"] = time.monotonic() - started
outcome["growth"] = status("VmHWM:") - before
print(json.dumps(outcome))
"""


def probe(server: HostileServer, attack: str, deadline: float = 5.0) -> dict[str, Any]:
    """Run ``attack`` (an expression using ``client``, ``url``, ``Session``) in a subprocess."""
    server.json("/projects/", {"id": 1, "title": "p"})
    script = PROBE.replace("ATTACK", attack)
    done = subprocess.run(
        [sys.executable, "-c", script, server.url, str(deadline)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    outcome: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return outcome


def endless_chunked(status: int) -> Any:
    def handler(conn: Conn, req: Request) -> bool:
        conn.send_head(status, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
        conn.send(b"1\r\n[\r\n")
        conn.endless(b"1," * 32768, limit=20)
        return False

    return handler


def assert_bounded(outcome: dict[str, Any], error: str, seconds: float) -> None:
    assert outcome.get("error") and error in outcome["mro"], outcome
    assert outcome["seconds"] < seconds, outcome
    assert outcome["growth"] < LIMIT_GROWTH, f"RSS grew {outcome['growth'] / MiB:.0f} MiB"


@pytest.mark.parametrize(
    "attack", ["client.tasks.get(1)", "client.get_task(1)"], ids=["typed", "seed"]
)
def test_endless_chunked_2xx_body_is_capped(hostile: HostileServer, attack: str) -> None:
    hostile.route("/tasks/", endless_chunked(200))
    outcome = probe(hostile, attack)
    assert_bounded(outcome, "ResponseTooLargeError", 5.5)
    assert "max_response_bytes" in outcome["message"] and "67108864" in outcome["message"]


@pytest.mark.parametrize(
    "attack",
    ["client.tasks.get(1)", "client.create_tasks([{'project': 1, 'data_unit': 1}])"],
    ids=["typed-get", "seed-post"],
)
def test_endless_error_body_is_capped(hostile: HostileServer, attack: str) -> None:
    hostile.route("/tasks/", endless_chunked(500))
    outcome = probe(hostile, attack)
    # The 500 (retried for the GET) is raised with the first MiB of its body as text.
    assert_bounded(outcome, "ServerError", 5.5)


@pytest.mark.parametrize(
    "attack", ["client.tasks.get(1)", "client.get_task(1)"], ids=["typed", "seed"]
)
def test_gzip_bomb_is_not_inflated_past_the_cap(hostile: HostileServer, attack: str) -> None:
    bomb = gzip_bomb(512 * MiB)  # about 0.5 MB on the wire

    def handler(conn: Conn, req: Request) -> bool:
        headers = {
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
            "Content-Length": str(len(bomb)),
        }
        conn.send(head_bytes(200, headers) + bomb)
        return True

    hostile.route("/tasks/", handler)
    outcome = probe(hostile, attack)
    assert_bounded(outcome, "ResponseDecodeError", 5.5)


def test_content_length_over_the_cap_is_refused_before_reading(hostile: HostileServer) -> None:
    def handler(conn: Conn, req: Request) -> bool:
        conn.send_head(200, {"Content-Type": "application/json", "Content-Length": str(10**12)})
        conn.endless(b"x" * 65536, chunked=False, limit=20)
        return False

    hostile.route("/tasks/", handler)
    outcome = probe(hostile, "client.get_task(1)")
    assert_bounded(outcome, "ResponseTooLargeError", 1.0)
    assert outcome["growth"] < 20 * MiB
    assert "1000000000000" in outcome["message"]


def test_endless_404_during_a_download_is_capped(hostile: HostileServer) -> None:
    hostile.route("/media/", endless_chunked(404))
    outcome = probe(
        hostile, "Session(url).download(url + '/media/f.bin', timeout=Timeout(deadline=3))"
    )
    assert_bounded(outcome, "NotFoundError", 3.5)


def test_typed_download_with_max_bytes_and_an_endless_404(hostile: HostileServer) -> None:
    hostile.json(
        "/data_files/", {"id": 5, "file": f"{hostile.url}/media/f.bin", "checksum": "", "size": 10}
    )
    hostile.route("/media/", endless_chunked(404))
    outcome = probe(
        hostile,
        "client.data_files.get(5).download("
        "__import__('tempfile').mkdtemp(), max_bytes=1000, deadline=3)",
    )
    assert_bounded(outcome, "NotFoundError", 3.5)


def test_a_smaller_configured_cap_is_named_in_the_error(hostile: HostileServer) -> None:
    big = json.dumps([task_json(i) for i in range(2000)]).encode()
    hostile.route(
        "/tasks/",
        lambda conn, req: (
            conn.send(
                head_bytes(
                    200, {"Content-Type": "application/json", "Content-Length": str(len(big))}
                )
                + big
            )
            or True
        ),
    )
    script = textwrap.dedent(
        """
        BackendClient(url, api_token="t", max_response_bytes=10_000).create_tasks(
            [{"project": 1, "data_unit": 1}]
        )
        """
    ).strip()
    started = time.monotonic()
    outcome = probe(hostile, script)
    assert time.monotonic() - started < 30
    assert "ResponseTooLargeError" in outcome["mro"], outcome
    assert "max_response_bytes" in outcome["message"] and "10000" in outcome["message"]


@pytest.mark.parametrize(
    "attack", ["client.tasks.get(1)", "client.get_task(1)"], ids=["typed", "seed"]
)
def test_a_large_announced_body_that_stalls_ends_at_the_deadline_unbuffered(
    hostile: HostileServer, attack: str
) -> None:
    """A body of announced length is read in calls of at most 1 MiB: a server that announces
    60 MiB (under the cap), sends 8 MiB and stalls gets a deadline error, and the client holds
    about what arrived, never the announced size."""

    def handler(conn: Conn, req: Request) -> bool:
        conn.send_head(200, {"Content-Type": "application/json", "Content-Length": str(60 * MiB)})
        conn.send(b"[" + b"1," * (4 * MiB))
        conn.wait(10)
        return False

    hostile.route("/tasks/", handler)
    outcome = probe(hostile, attack, deadline=1.5)
    assert_bounded(outcome, "DeadlineExceededError", 2.5)
    assert outcome["growth"] < 40 * MiB, f"RSS grew {outcome['growth'] / MiB:.0f} MiB"


def test_no_read_asks_for_more_than_a_mebibyte_of_an_announced_body(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bound itself (RSS cannot show it: pages a read reserves but never fills stay
    untouched): every read of the 60 MiB announced body above asks for at most 1 MiB."""
    import urllib3

    from synapse_sdk import DeadlineExceededError, Timeout
    from synapse_sdk._http._body import KNOWN_BLOCK
    from synapse_sdk.clients.backend import BackendClient

    asked: list[int | None] = []
    real = urllib3.HTTPResponse.read

    def read(self: Any, amt: int | None = None, *args: Any, **kwargs: Any) -> bytes:
        asked.append(amt)
        return real(self, amt, *args, **kwargs)

    monkeypatch.setattr(urllib3.HTTPResponse, "read", read)

    def handler(conn: Conn, req: Request) -> bool:
        conn.send_head(200, {"Content-Type": "application/json", "Content-Length": str(60 * MiB)})
        conn.send(b"[" + b"1," * (2 * MiB))
        conn.wait(10)
        return False

    hostile.route("/tasks/", handler)
    timeout = Timeout(connect=2, read=5, deadline=1.0)
    with (
        BackendClient(hostile.url, api_token="t", timeout=timeout) as client,
        pytest.raises(DeadlineExceededError),
    ):
        client.tasks.get(1)
    assert MiB == KNOWN_BLOCK
    assert asked and all(a is not None and 0 < a <= KNOWN_BLOCK for a in asked), asked

"""API calls and downloads share one attempt loop (``_http/_attempt.run``).

Each behaviour is pinned on both surfaces with the same scripted answers: retried statuses and
their pauses, connection failures before the body, the retry budget, ``max_retries``, the
deadline that no pause may cross, and errors that are never retried. The scripted apps answer
in-process (``WSGITransport``), and one case runs on a real socket too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest
from http_fault_server import RESET_BEFORE_READ, Reply, SleepRecorder

from synapse_sdk import (
    ClientConnectionError,
    DeadlineExceededError,
    HTTPError,
    NotFoundError,
    ServerError,
    Timeout,
    WSGITransport,
)
from synapse_sdk._http import RetryBudget, RetryPolicy, Session, _attempt

Surface = Callable[..., bytes]


def api(session: Session, timeout: Timeout | None = None) -> bytes:
    return session.request("GET", "files/1/", timeout=timeout).content


def download(session: Session, timeout: Timeout | None = None) -> bytes:
    with session.download("files/1/", timeout=timeout) as stream:
        return b"".join(stream.iter_content())


SURFACES = pytest.mark.parametrize("surface", [api, download], ids=["api", "download"])


class Script:
    """A WSGI app answering each request with the next scripted step (then 200 ``ok``)."""

    def __init__(self, *steps: tuple[str, dict[str, str]] | Exception) -> None:
        self.steps = list(steps)
        self.calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        self.calls += 1
        step = self.steps.pop(0) if self.steps else ("200 OK", {})
        if isinstance(step, Exception):
            raise step
        status, headers = step
        start_response(status, [("Content-Type", "application/json"), *headers.items()])
        return [b'{"detail": "scripted"}' if status[0] != "2" else b"ok"]


def make(app: Script, **kw: Any) -> tuple[Session, SleepRecorder]:
    recorder = SleepRecorder()
    kw.setdefault("retry", RetryPolicy(max_retries=3, backoff_initial=0.01))
    session = Session(
        "http://testserver",
        transport=WSGITransport(app),
        sleep=recorder,
        clock=recorder.clock,
        **kw,
    )
    return session, recorder


BUSY = ("503 Service Unavailable", {"Retry-After": "0.5"})


@SURFACES
def test_retried_statuses_pause_as_told(surface: Surface) -> None:
    app = Script(BUSY, BUSY)
    budget = RetryBudget(capacity=10)
    session, sleeper = make(app, budget=budget)
    assert surface(session) == b"ok"
    assert app.calls == 3 and sleeper.sleeps == [0.5, 0.5]
    assert budget.tokens == pytest.approx(10 - 2 + 0.2)  # two retries spent, one success refilled


@SURFACES
def test_failures_before_the_body_are_retried(surface: Surface) -> None:
    app = Script(RuntimeError("gone"), RuntimeError("gone"))
    session, sleeper = make(app)
    assert surface(session) == b"ok"
    assert app.calls == 3 and len(sleeper.sleeps) == 2


@SURFACES
def test_max_retries_ends_with_the_last_real_answer(surface: Surface) -> None:
    app = Script(BUSY, BUSY, BUSY)
    session, sleeper = make(app, retry=RetryPolicy(max_retries=2))
    with pytest.raises(ServerError) as info:
        surface(session)
    assert info.value.status_code == 503 and app.calls == 3 and len(sleeper.sleeps) == 2


@SURFACES
def test_an_empty_budget_stops_retries(surface: Surface) -> None:
    app = Script(RuntimeError("gone"))
    session, sleeper = make(app, budget=RetryBudget(capacity=0))
    with pytest.raises(ClientConnectionError):
        surface(session)
    assert app.calls == 1 and sleeper.sleeps == []


@SURFACES
def test_no_pause_crosses_the_deadline(surface: Surface) -> None:
    app = Script(("503 Service Unavailable", {"Retry-After": "30"}))
    session, sleeper = make(app)
    with pytest.raises(ServerError):
        surface(session, timeout=Timeout(deadline=10))
    assert app.calls == 1 and sleeper.sleeps == []


@SURFACES
def test_a_passed_deadline_stops_before_the_next_attempt(surface: Surface) -> None:
    app = Script(("503 Service Unavailable", {"Retry-After": "0.2"}))
    recorder = SleepRecorder()

    def slow_sleep(seconds: float) -> None:
        recorder(seconds + 5)  # the pause overruns: the deadline has passed when it ends

    session = Session(
        "http://testserver",
        transport=WSGITransport(app),
        sleep=slow_sleep,
        clock=recorder.clock,
        retry=RetryPolicy(max_retries=3),
    )
    with pytest.raises(DeadlineExceededError, match="deadline of 1 s passed before attempt 2"):
        surface(session, timeout=Timeout(deadline=1))


@SURFACES
def test_client_errors_are_never_retried(surface: Surface) -> None:
    app = Script(("404 Not Found", {}))
    session, sleeper = make(app)
    with pytest.raises(NotFoundError):
        surface(session)
    assert app.calls == 1 and sleeper.sleeps == []


@SURFACES
def test_both_go_through_the_one_loop(surface: Surface, monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[str] = []
    real = _attempt.run

    def spy(session: Session, call: _attempt.Call, *args: Any) -> Any:
        runs.append(call.what)
        return real(session, call, *args)

    monkeypatch.setattr(_attempt, "run", spy)
    session, _ = make(Script(("302 Found", {"Location": "/files/2/"})))
    if surface is download:  # downloads follow the redirect: one run per hop
        assert surface(session) == b"ok" and runs == ["download", "download"]
    else:  # API calls never follow redirects
        with pytest.raises(HTTPError, match="never follow redirects"):
            surface(session)
        assert runs == ["call"]


@SURFACES
def test_a_reset_on_a_real_socket_is_retried_by_both(
    surface: Surface, server: Any, make_session: Any
) -> None:
    server.script(RESET_BEFORE_READ, Reply(503))
    session, sleeper = make_session(server.url)
    assert surface(session)
    assert server.attempts == 3 and len(sleeper.sleeps) == 2

"""Client options: the bounds are declared once (``_http/_options.OPTIONS``) and every place an
option can be set agrees with them; a pickled client keeps every option."""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from synapse_sdk import BackendClient, RetryPolicy, Timeout, WSGITransport
from synapse_sdk._http import Session
from synapse_sdk._http._options import OPTIONS, check_option

URL = "http://127.0.0.1:9"  # never contacted: nothing here does I/O


def client(**options: Any) -> BackendClient:
    return BackendClient(URL, api_token="t", **options)


#: Every place an option can be set, and the options it takes.
SETTERS: dict[str, tuple[Callable[[str, int], object], tuple[str, ...]]] = {
    "BackendClient": (
        lambda name, value: client(**{name: value}),
        ("page_size", "prefetch", "retries", "pool_maxsize", "max_response_bytes"),
    ),
    "with_options": (
        lambda name, value: client().with_options(**{name: value}),
        ("page_size", "prefetch", "retries"),
    ),
    "Session": (
        lambda name, value: Session(URL, **{name: value}),
        ("pool_maxsize", "max_response_bytes"),
    ),
    "QuerySet.options": (
        lambda name, value: client().tasks.all().options(**{name: value}),
        ("page_size", "prefetch"),
    ),
}

CASES = [(where, name) for where, (_, names) in SETTERS.items() for name in names]


def test_the_table() -> None:
    bounds = {name: (o.low, o.high) for name, o in OPTIONS.items()}
    assert bounds == {
        "page_size": (1, 1000),
        "prefetch": (0, 16),
        "retries": (0, 20),
        "pool_maxsize": (1, 1024),
        "max_response_bytes": (1, 2**62),
    }
    for name, option in OPTIONS.items():
        assert option.name == name and option.meaning
        assert check_option(name, option.low) == option.low
        assert check_option(name, option.high) == option.high
        for bad in (option.low - 1, option.high + 1):
            with pytest.raises(ValueError, match=f"^{name} must be between"):
                check_option(name, bad)
        for wrong in (True, 1.0, "1", None):
            with pytest.raises(TypeError, match=f"^{name} must be an int"):
                check_option(name, wrong)


@pytest.mark.parametrize(("where", "name"), CASES, ids=[f"{w}-{n}" for w, n in CASES])
def test_every_setter_checks_against_the_table(where: str, name: str) -> None:
    setter = SETTERS[where][0]
    option = OPTIONS[name]
    for good in (option.low, option.high):
        setter(name, good)
    for bad in (option.low - 1, option.high + 1):
        with pytest.raises(ValueError) as info:
            setter(name, bad)
        with pytest.raises(ValueError) as expected:
            option.check(bad)
        assert str(info.value) == str(expected.value)
    with pytest.raises(TypeError, match=f"{name} must be an int"):
        setter(name, True)  # type: ignore[arg-type]


# -- pickling ------------------------------------------------------------------------------------


def recorded_sleep(seconds: float) -> None:
    """A module-level sleep: it pickles by reference."""


def frozen_clock() -> float:
    return 42.0


def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b'{"id": 1}']


def test_a_pickled_client_keeps_every_option() -> None:
    original = client(
        timeout=Timeout(connect=1, read=2, deadline=3),
        retries=RetryPolicy(max_retries=5, backoff_initial=0.1),
        page_size=7,
        prefetch=2,
        pool_maxsize=3,
        user_agent="probe/1",
        max_response_bytes=12_345,
        sleep=recorded_sleep,
        clock=frozen_clock,
        tenant="acme",
    )
    clone = pickle.loads(pickle.dumps(original))
    assert clone._config == original._config
    session = clone._session
    assert session.sleep is recorded_sleep and session.clock is frozen_clock
    assert session.max_response_bytes == 12_345 and session.pool_maxsize == 3
    assert session.timeout == Timeout(connect=1, read=2, deadline=3)
    assert session.retry == RetryPolicy(max_retries=5, backoff_initial=0.1)
    assert session.user_agent == "probe/1"
    assert session.header_names == original._session.header_names
    assert (clone._ctx.page_size, clone._ctx.prefetch) == (7, 2)
    copy = pickle.loads(pickle.dumps(original.with_options(page_size=9, retries=0)))
    assert copy._ctx.page_size == 9 and copy._session.retry.max_retries == 0
    assert copy._session.sleep is recorded_sleep


def test_unpicklable_sleep_and_clock_fall_back_to_the_defaults() -> None:
    original = client(sleep=lambda s: None, clock=lambda: 0.0)
    clone = pickle.loads(pickle.dumps(original))
    assert clone._session.sleep is time.sleep and clone._session.clock is time.monotonic
    assert original._session.sleep is not time.sleep  # the original keeps its own
    session = Session(URL, sleep=lambda s: None)
    assert pickle.loads(pickle.dumps(session)).sleep is time.sleep


def test_a_picklable_transport_travels_with_the_client() -> None:
    original = BackendClient("http://testserver", api_token="t", transport=WSGITransport(app))
    clone = pickle.loads(pickle.dumps(original))
    assert isinstance(clone._session._pool, WSGITransport) and clone._session._pool.app is app
    assert clone.get_project(1) == {"id": 1}

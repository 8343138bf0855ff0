"""Fault matrix, answer rows (guides/reliability.md): 429/503 with every kind of Retry-After,
500, truncated / malformed / HTML bodies, JSON of the wrong shape and redirects to another host.
Typed API and seed API alike; retry pauses are recorded, not slept."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator
from typing import Any

import pytest
from reliability_support import committed, entries, make_client

from synapse_sdk import (
    ClientConnectionError,
    HTTPError,
    OutcomeUnknownError,
    RateLimitError,
    ResponseDecodeError,
    ResponseValidationError,
    ServerError,
)
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend

SURFACES = ["typed", "seed"]
AUTH_HEADERS = {"synapse-access-token", "synapse-agent", "synapse-tenant", "authorization"}


def read(client: BackendClient, demo: dict[str, Any], surface: str) -> int:
    if surface == "typed":
        return int(client.tasks.get(demo["task"]).id)
    return int(client.get_task(demo["task"])["id"])


def create(client: BackendClient, demo: dict[str, Any], surface: str) -> Any:
    if surface == "typed":
        return client.tasks.create_many([demo["data_units"][0]], project=demo["project"])
    return client.create_tasks([{"project": demo["project"], "data_unit": demo["data_units"][0]}])


# -- 429 / 503 with Retry-After --------------------------------------------------------------------


def http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize(
    ("retry_after", "low", "high"),
    [
        ("2", 2.0, 2.0),  # honoured as given
        ("http-date+30", 27.0, 30.0),  # sleeps until the date
        ("99999", 60.0, 60.0),  # capped: a hostile value cannot pin a worker
        ("-1", 0.0, 0.5),  # garbage: the policy's backoff (full jitter, first ceiling 0.5 s)
        ("abc", 0.0, 0.5),
    ],
)
def test_retry_after_is_honoured_capped_or_replaced_by_backoff(
    backend: LocalBackend,
    fast: Any,
    demo: dict[str, Any],
    status: int,
    surface: str,
    retry_after: str,
    low: float,
    high: float,
) -> None:
    client, sleeps = fast
    value = http_date(30) if retry_after == "http-date+30" else retry_after
    backend.faults.add("status", method="GET", path="tasks/*", status=status, retry_after=value)
    assert read(client, demo, surface) == demo["task"]
    assert len(sleeps.sleeps) == 1
    assert low <= sleeps.sleeps[0] <= high, sleeps.sleeps


def test_http_date_in_the_past_retries_at_once(
    backend: LocalBackend, fast: Any, demo: dict[str, Any]
) -> None:
    client, sleeps = fast
    backend.faults.add(
        "status", method="GET", path="tasks/*", status=503, retry_after=http_date(-60)
    )
    assert read(client, demo, "typed") == demo["task"]
    assert sleeps.sleeps == [0.0]


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("surface", SURFACES)
def test_post_is_retried_when_the_server_says_it_did_not_process_it(
    backend: LocalBackend, fast: Any, demo: dict[str, Any], status: int, surface: str
) -> None:
    client, sleeps = fast
    backend.faults.add("status", method="POST", path="tasks/", status=status, retry_after="2")
    create(client, demo, surface)
    assert sleeps.sleeps == [2.0]
    assert len(entries(backend, "POST")) == 2
    assert committed(backend, "POST", "tasks/") == 1


def test_rate_limit_error_after_retries_carries_retry_after(
    backend: LocalBackend, fast: Any, demo: dict[str, Any]
) -> None:
    client, sleeps = fast
    backend.faults.add(
        "status", method="GET", path="tasks/*", status=429, retry_after="7", times=None
    )
    with pytest.raises(RateLimitError) as info:
        client.get_task(demo["task"])
    assert info.value.retry_after == 7.0 and info.value.status_code == 429
    assert sleeps.sleeps == [7.0, 7.0, 7.0]


# -- 500 and friends: GET retried, POST not ------------------------------------------------------


@pytest.mark.parametrize("surface", SURFACES)
def test_500_get_is_retried(
    backend: LocalBackend, fast: Any, demo: dict[str, Any], surface: str
) -> None:
    client, sleeps = fast
    backend.faults.add("status", method="GET", path="tasks/*", status=500)
    assert read(client, demo, surface) == demo["task"]
    assert len(sleeps.sleeps) == 1 and len(entries(backend, "GET")) == 2


@pytest.mark.parametrize("status", [500, 502, 504])
@pytest.mark.parametrize("surface", SURFACES)
def test_5xx_post_is_not_retried(
    backend: LocalBackend, fast: Any, demo: dict[str, Any], status: int, surface: str
) -> None:
    # A gateway's 502/504 can hide a committed write: only 503 and 429 prove "not processed".
    client, sleeps = fast
    backend.faults.add("status", method="POST", path="tasks/", status=status)
    with pytest.raises(ServerError) as info:
        create(client, demo, surface)
    assert info.value.status_code == status
    assert sleeps.sleeps == [] and len(entries(backend, "POST")) == 1


# -- truncated, malformed and HTML bodies: a typed decode error, never a half-built object --------


@pytest.mark.parametrize("surface", SURFACES)
def test_truncated_body_get_is_retried(
    backend: LocalBackend, fast: Any, demo: dict[str, Any], surface: str
) -> None:
    client, _ = fast
    backend.faults.add("truncate", method="GET", path="tasks/*")
    assert read(client, demo, surface) == demo["task"]
    assert [e.fault for e in entries(backend, "GET")] == ["truncate", None]


@pytest.mark.parametrize("surface", SURFACES)
def test_truncated_body_that_keeps_failing_is_a_decode_error_naming_status_and_type(
    backend: LocalBackend, fast: Any, demo: dict[str, Any], surface: str
) -> None:
    client, _ = fast
    backend.faults.add("truncate", method="GET", path="tasks/*", times=None)
    with pytest.raises(ResponseDecodeError) as info:
        read(client, demo, surface)
    text = str(info.value)
    assert info.value.status_code == 200
    assert "200 response" in text and "application/json" in text and "cut off" in text
    # It is also a connection error: the connection broke mid-body.
    assert isinstance(info.value, ClientConnectionError)
    assert not isinstance(info.value, OutcomeUnknownError)
    assert len(entries(backend, "GET")) == 4


@pytest.mark.parametrize("surface", SURFACES)
def test_truncated_answer_to_a_write_is_outcome_unknown(
    backend: LocalBackend, fast: Any, demo: dict[str, Any], surface: str
) -> None:
    client, _ = fast
    backend.faults.add("truncate", method="POST", path="tasks/")
    with pytest.raises(OutcomeUnknownError) as info:
        create(client, demo, surface)
    assert "201 response" in str(info.value) and "application/json" in str(info.value)
    assert committed(backend, "POST", "tasks/") == 1 and len(entries(backend, "POST")) == 1


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize(
    ("kind", "params", "content_type"),
    [
        ("malformed_json", {}, "application/json"),
        ("html", {"status": 200}, "text/html"),
    ],
)
def test_undecodable_body_is_a_decode_error_naming_status_and_type(
    backend: LocalBackend,
    fast: Any,
    demo: dict[str, Any],
    surface: str,
    kind: str,
    params: dict[str, Any],
    content_type: str,
) -> None:
    client, sleeps = fast
    backend.faults.add(kind, method="GET", path="tasks/*", **params)
    with pytest.raises(ResponseDecodeError) as info:
        read(client, demo, surface)
    assert info.value.status_code == 200
    assert "200 response" in str(info.value) and content_type in str(info.value)
    assert sleeps.sleeps == []  # a complete answer that cannot be decoded is not retried


@pytest.mark.parametrize("surface", SURFACES)
def test_html_error_page_is_typed_and_names_status_and_type(
    backend: LocalBackend, fast: Any, demo: dict[str, Any], surface: str
) -> None:
    client, sleeps = fast
    backend.faults.add("html", method="GET", path="tasks/*", status=502, times=None)
    with pytest.raises(ServerError) as info:
        read(client, demo, surface)
    assert info.value.status_code == 502
    assert "502" in str(info.value) and "text/html" in str(info.value)
    assert "<html>" in str(info.value.response)  # the page itself is kept for debugging
    assert len(sleeps.sleeps) == 3


def test_a_listing_that_breaks_mid_way_leaves_nothing_half_built(
    backend: LocalBackend, clients: Any, demo: dict[str, Any]
) -> None:
    client, _ = clients(page_size=2, prefetch=0)
    qs = client.tasks.filter(project=demo["project"])
    backend.faults.add("malformed_json", method="GET", path="sdk/tasks/")
    with pytest.raises(ResponseDecodeError):
        list(qs)
    assert "not evaluated" in repr(qs)  # no partial result cache
    assert len(list(qs)) == qs.count()  # and a later evaluation is whole


# -- valid JSON of the wrong shape -----------------------------------------------------------------


def test_wrong_shape_typed_get_names_the_field(
    backend: LocalBackend, fast: Any, demo: dict[str, Any]
) -> None:
    client, _ = fast
    backend.faults.add("status", method="GET", path="tasks/*", status=200, body={"id": "seven"})
    with pytest.raises(ResponseValidationError) as info:
        client.tasks.get(demo["task"])
    assert info.value.path == "id"


def test_wrong_shape_typed_listing_names_the_row_and_field(
    backend: LocalBackend, fast: Any
) -> None:
    client, _ = fast
    page = {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [{"id": 1}, {"id": 2, "tags": 5}],
    }
    backend.faults.add("status", method="GET", path="sdk/tasks/", status=200, body=page)
    with pytest.raises(ResponseValidationError) as info:
        list(client.tasks.all())
    assert info.value.path == "results[1].tags"


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize(
    ("body", "path"),
    [({"rows": []}, "results"), ({"results": [], "count": -3}, "count"), ("nope", "results")],
)
def test_wrong_shape_envelope_names_the_field(
    backend: LocalBackend, fast: Any, surface: str, body: Any, path: str
) -> None:
    client, _ = fast
    backend.faults.add("status", method="GET", path="sdk/tasks/", status=200, body=body)
    with pytest.raises(ResponseValidationError) as info:
        if surface == "typed":
            list(client.tasks.all())
        else:
            list(client.list_tasks(list_all=True))
    assert info.value.path == path


def test_seed_get_returns_the_json_as_received(
    backend: LocalBackend, fast: Any, demo: dict[str, Any]
) -> None:
    # The seed API's contract is "raw JSON as the server sent it": no shape check to fail.
    client, _ = fast
    backend.faults.add("status", method="GET", path="tasks/*", status=200, body={"id": "seven"})
    assert client.get_task(demo["task"]) == {"id": "seven"}


# -- redirects to another host --------------------------------------------------------------------


@pytest.fixture
def other_backend() -> Iterator[LocalBackend]:
    """Another origin (its own port): what a redirect could point at."""
    with LocalBackend(seed="demo", job_duration=0.2) as other:
        yield other


@pytest.mark.parametrize("surface", SURFACES)
def test_api_calls_refuse_redirects_to_another_host(
    backend: LocalBackend,
    other_backend: LocalBackend,
    fast: Any,
    demo: dict[str, Any],
    surface: str,
) -> None:
    client, _ = fast
    for method, path, status in (("GET", "tasks/*", 302), ("POST", "tasks/", 307)):
        backend.faults.add(
            "redirect",
            method=method,
            path=path,
            status=status,
            location=f"{other_backend.url}/tasks/",
        )
        with pytest.raises(HTTPError) as info:
            if method == "GET":
                read(client, demo, surface)
            else:
                create(client, demo, surface)
        assert info.value.status_code == status
        assert "never follow redirects" in str(info.value)
        assert other_backend.url in str(info.value)
    assert other_backend.journal.entries() == []
    assert len(entries(backend, "POST")) == 1 and committed(backend, "POST", "tasks/") == 0


def test_download_follows_a_redirect_to_another_host_without_auth_headers(
    backend: LocalBackend, other_backend: LocalBackend, clients: Any
) -> None:
    other_client, _ = make_client(other_backend)
    try:
        target = other_client.get_model(other_backend.demo["model"])["file"]
        with other_client._session.download(target) as streamed:
            expected = b"".join(streamed.iter_content())
    finally:
        other_client.close()
    other_backend.journal.clear()
    client, _ = clients()
    source = client.get_model(backend.demo["model"])["file"]
    backend.faults.add("redirect", method="GET", path="media/*", location=target)
    with client._session.download(source) as streamed:
        assert b"".join(streamed.iter_content()) == expected
    media = entries(backend, "GET", "media/") + entries(other_backend, "GET", "media/")
    assert [e.fault for e in media] == ["redirect", None]
    for entry in media:
        assert not AUTH_HEADERS & {name.lower() for name in entry.headers}, entry.headers

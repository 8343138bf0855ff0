"""Hostile input: Hypothesis over every id-taking method of the typed and seed APIs, over filter
values, and server-supplied URLs on another origin.

Target (guides/reliability.md): only typed errors (``TypeError``, ``ValueError`` or a
``ClientError`` subclass), and 0 requests outside the declared route templates (checked on the
local backend's journal against ``ENDPOINTS[...].routes()``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_support import INT_ID_METHODS, LOOKUP_METHODS, make_client, outside_routes

from synapse_sdk import ClientError, OriginError, RetryPolicy
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend

TYPED_ERRORS = (TypeError, ValueError, ClientError)

HOSTILE_IDS = st.one_of(
    st.text(max_size=24),
    st.text(alphabet="./#?%&=@:\\ \x00\r\n-_aZ09", max_size=12),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.uuids(),
    st.uuids().map(str),
    st.sampled_from(
        [
            "1",
            "..",
            ".",
            "a/b",
            "7#x",
            "\x00",
            "7?role=admin",
            "%2e%2e",
            "a%2Fb",
            "\ud800",
            "demo-plugin",
            "demo-plugin@1.0.0",
            "local-agent-token",
            " 1",
            "1 ",
            "\uff11",  # fullwidth digit one
        ]
    ),
)

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def hostile(module_backend: LocalBackend) -> Iterator[BackendClient]:
    """A client of the module's backend that never retries (answers are what we look at)."""
    client, _ = make_client(module_backend, retries=RetryPolicy(max_retries=0))
    yield client
    client.close()


@pytest.mark.parametrize("method", sorted({**INT_ID_METHODS, **LOOKUP_METHODS}))
def test_hostile_ids_raise_only_typed_errors_and_stay_on_declared_routes(
    backend: LocalBackend, hostile: BackendClient, method: str
) -> None:
    call = {**INT_ID_METHODS, **LOOKUP_METHODS}[method]
    outcomes: dict[str, int] = {}

    @SETTINGS
    @given(value=HOSTILE_IDS)
    def check(value: Any) -> None:
        try:
            call(hostile, value)
        except TYPED_ERRORS as exc:
            outcomes[type(exc).__name__] = outcomes.get(type(exc).__name__, 0) + 1
        else:
            outcomes["ok"] = outcomes.get("ok", 0) + 1

    check()
    journal = backend.journal.entries()
    assert outside_routes(journal) == []
    # Only well-formed ids ever reach the server.
    assert "TypeError" in outcomes or "ValueError" in outcomes, outcomes


@SETTINGS
@given(
    search=st.text(max_size=40)
    | st.builds(lambda a, b: a + "\ud800" + b, st.text(max_size=5), st.text(max_size=5)),
    project=st.one_of(st.integers(-5, 10**12), st.none(), st.text(max_size=5), st.booleans()),
    ids=st.lists(st.integers(-3, 2**40), max_size=20),
)
def test_hostile_filter_values_raise_only_typed_errors(
    module_backend: LocalBackend, hostile: BackendClient, search: str, project: Any, ids: Any
) -> None:
    before = len(module_backend.journal.entries())
    for call in (
        lambda: hostile.tasks.filter(search=search, project=project, id__in=ids).first(),
        lambda: hostile.list_tasks(params={"search": search, "project": project, "ids": ids}),
    ):
        try:
            call()
        except TYPED_ERRORS:
            pass
    new = module_backend.journal.entries()[before:]
    assert outside_routes(new) == []
    assert all(e.path == "sdk/tasks/" for e in new)


# -- server-supplied URLs on another origin ------------------------------------------------------


@pytest.mark.parametrize(
    "next_url",
    [
        "http://evil.invalid/sdk/tasks/?page=2",
        "https://{host}:{port}/sdk/tasks/?page=2",  # same host, other scheme
        "http://{host}:1/sdk/tasks/?page=2",  # same host, other port
        "http://localhost:{port}/sdk/tasks/?page=2",  # same machine, other name
    ],
)
@pytest.mark.parametrize("surface", ["typed", "seed"])
def test_pagination_links_to_another_origin_are_refused(
    backend: LocalBackend, clients: Any, next_url: str, surface: str
) -> None:
    client, _ = clients(prefetch=0)  # follow next links (with prefetch, pages go by number)
    host, port = "127.0.0.1", backend.port
    page = {
        "count": 4,
        "next": next_url.format(host=host, port=port),
        "previous": None,
        "results": [{"id": 1}, {"id": 2}],
    }
    backend.faults.add("status", method="GET", path="sdk/tasks/", status=200, body=page)
    rows: list[Any] = []
    with pytest.raises(OriginError) as info:
        if surface == "typed":
            rows.extend(client.tasks.all().options(page_size=2))
        else:
            rows.extend(client.list_tasks(params={"page_size": 2}, list_all=True))
    assert "not on the API origin" in str(info.value)
    assert info.value.page == 2  # type: ignore[attr-defined]
    assert len(backend.journal.entries()) == 1  # the foreign URL was never requested


def test_same_origin_next_links_are_followed(
    backend: LocalBackend, clients: Any, demo: dict[str, Any]
) -> None:
    client, _ = clients(prefetch=0, page_size=2)
    ids = [t.id for t in client.tasks.all()]
    assert ids == sorted(ids) and len(ids) >= len(demo["tasks"])
    assert outside_routes(backend.journal.entries()) == []
    assert any("page=2" in e.query for e in backend.journal.entries())


def test_uuid_ids_are_refused_where_ints_are_expected(hostile: BackendClient) -> None:
    with pytest.raises(TypeError):
        hostile.tasks.get(uuid.uuid4())  # type: ignore[arg-type]

"""Fault matrix, input rows (guides/reliability.md): bad ids fail before any I/O, unicode is kept,
lone surrogates and oversized filters get clear errors, header values are checked. Typed API and
seed API alike; the journal proves "before any I/O"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from reliability_support import BAD_IDS, INT_ID_METHODS, LOOKUP_METHODS

from synapse_sdk import RetryPolicy
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend


@pytest.fixture
def no_retry(clients: Any) -> BackendClient:
    client, _ = clients(retries=RetryPolicy(max_retries=0))
    return client


@pytest.mark.parametrize("method", sorted(INT_ID_METHODS))
def test_bad_int_ids_fail_before_any_io(
    backend: LocalBackend, no_retry: BackendClient, method: str
) -> None:
    for bad in [*BAD_IDS, 0, 1.0, 2**70 * -1]:
        with pytest.raises((TypeError, ValueError)) as info:
            INT_ID_METHODS[method](no_retry, bad)
        assert "id" in str(info.value) or "pk" in str(info.value)
    assert backend.journal.entries() == []


@pytest.mark.parametrize("method", sorted(LOOKUP_METHODS))
def test_bad_lookup_ids_fail_before_any_io(
    backend: LocalBackend, no_retry: BackendClient, method: str
) -> None:
    for bad in [b for b in BAD_IDS if b != "1"] + ["a b", "x?role=admin", "é", "a" * 101]:
        with pytest.raises((TypeError, ValueError)):
            LOOKUP_METHODS[method](no_retry, bad)
    assert backend.journal.entries() == []


def test_bad_id_errors_say_what_was_wrong(no_retry: BackendClient) -> None:
    with pytest.raises(TypeError, match=r"positive int.*int\(\)"):
        no_retry.get_task("1")
    with pytest.raises(TypeError, match="bool"):
        no_retry.tasks.get(True)
    with pytest.raises(ValueError, match="positive"):
        no_retry.tasks.get(-1)


# -- unicode -------------------------------------------------------------------------------------

UNICODE = "데이터 ✓ naïve 🚀 Ω≈ç √ \u200b end"


@pytest.mark.parametrize("surface", ["typed", "seed"])
def test_unicode_names_and_bodies_round_trip(
    backend: LocalBackend, no_retry: BackendClient, demo: dict[str, Any], surface: str
) -> None:
    code = f"unicode-{surface}"
    annotation = {"label": UNICODE, "nested": [{"text": "💡", "surface": surface}]}
    if surface == "typed":
        plugin_id = no_retry.plugins.create(code=code, name=UNICODE, description=UNICODE * 3).id
        assert no_retry.plugins.get(plugin_id).name == UNICODE
        no_retry.tasks.get(demo["task"]).annotate(annotation)
        found = [t.id for t in no_retry.tasks.filter(search=UNICODE)]
        assert found == [demo["task"]]
    else:
        plugin_id = no_retry.create_plugin({"code": code, "name": UNICODE})["id"]
        assert no_retry.get_plugin(plugin_id)["name"] == UNICODE
        no_retry.annotate_task_data(demo["task"], annotation)
        page = no_retry.list_tasks(params={"search": UNICODE})
        assert [t["id"] for t in page["results"]] == [demo["task"]]
    assert no_retry.get_task(demo["task"])["data"] == annotation


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.create_plugin({"code": "sur", "name": "bad \ud800 name"}),
        lambda c: c.plugins.create(code="sur", name="x\udfff"),
        lambda c: c.annotate_task_data(1, {"label": "\udc80"}),
        lambda c: list(c.tasks.filter(search="\ud83d")),
        lambda c: c.list_tasks(params={"search": "tail \udfff"}),
        lambda c: list(c.list_tasks(params={"search": "\ud800"}, list_all=True)),
        lambda c: c.plugins.get("\ud800"),
        lambda c: c.health_check_agent("tok\ud800en"),
    ],
    ids=[
        "seed-body",
        "typed-body",
        "seed-annotation",
        "typed-filter",
        "seed-params",
        "seed-list-all",
        "typed-id",
        "seed-token",
    ],
)
def test_lone_surrogates_get_a_clear_error_before_any_io(
    backend: LocalBackend, no_retry: BackendClient, call: Callable[[BackendClient], Any]
) -> None:
    with pytest.raises((ValueError, TypeError)) as info:
        call(no_retry)
    text = str(info.value)
    assert "surrogate" in text or "must be" in text, text
    assert info.value.__cause__ is None or not isinstance(info.value.__cause__, UnicodeError)
    assert backend.journal.entries() == []


def test_unencodable_header_values_are_refused_without_echoing_them(
    backend: LocalBackend,
) -> None:
    secret = "tøken-€-not-latin1"
    with pytest.raises(ValueError, match="cannot be sent in an HTTP header") as info:
        BackendClient(backend.url, api_token=secret)
    assert secret not in str(info.value) and secret not in repr(info.value)
    assert info.value.__context__ is None and info.value.__cause__ is None


# -- oversized filters -----------------------------------------------------------------------------


HUGE = list(range(1, 100_001))


@pytest.mark.parametrize(
    "call",
    [
        lambda c: list(c.tasks.filter(id__in=HUGE)),
        lambda c: c.tasks.filter(id__in=HUGE).count(),
        lambda c: c.list_tasks(params={"id__in": HUGE}),
        lambda c: list(c.list_tasks(params={"id__in": HUGE}, list_all=True)),
        lambda c: c.list_tasks(params={"search": "x" * 9000}),
    ],
    ids=["typed-iter", "typed-count", "seed-page", "seed-list-all", "seed-long-string"],
)
def test_oversized_filters_get_a_clear_error_before_any_io(
    backend: LocalBackend, no_retry: BackendClient, call: Callable[[BackendClient], Any]
) -> None:
    with pytest.raises(ValueError, match="over the SDK's limit of 8192") as info:
        call(no_retry)
    assert "split it into batches" in str(info.value)
    assert len(str(info.value)) < 600  # it names the parameter, it does not echo it
    assert backend.journal.entries() == []


def test_large_but_reasonable_filters_still_work(
    backend: LocalBackend, no_retry: BackendClient, demo: dict[str, Any]
) -> None:
    ids = list(range(1, 1001))  # ~3.9 KB of query
    got = sorted(t.id for t in no_retry.tasks.filter(id__in=ids))
    assert got == sorted(demo["tasks"])

"""Bulk writes against the local backend: the official ``annotate_task_data_batch``, its typed
twin ``client.tasks.annotate_many`` / ``iter_annotate`` and ``client.tasks.tag_many``."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from synapse_sdk import (
    AnnotateReport,
    AnnotateResult,
    NotFoundError,
    Task,
    ValidationError,
    WSGITransport,
)
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend

WSGI_URL = "http://testserver"


@pytest.fixture
def backend(synapse_backend_wsgi: LocalBackend) -> LocalBackend:
    return synapse_backend_wsgi


@pytest.fixture
def c(backend: LocalBackend) -> Iterator[BackendClient]:
    transport = WSGITransport(backend.wsgi_app)
    with BackendClient(WSGI_URL, api_token=backend.api_token, transport=transport) as client:
        yield client


def puts(backend: LocalBackend) -> list[Any]:
    return [e for e in backend.journal.entries() if e.method == "PUT"]


# -- the seed: annotate_task_data_batch ----------------------------------------------------------


def test_batch_annotates_every_item_in_both_forms(c: BackendClient, backend: LocalBackend) -> None:
    t1, t2, t3 = backend.demo["tasks"][:3]
    result = c.annotate_task_data_batch(
        [
            {"task_id": t1, "data": {"a": 1}},
            (t2, {"b": 2}),
            {"task_id": t3, "data": {"c": 3}, "schema": "any"},
        ]
    )
    assert list(result) == [t1, t2, t3]
    for pk, key in ((t1, "a"), (t2, "b"), (t3, "c")):
        entry = result[pk]
        assert entry["success"] is True and entry["error"] is None
        assert entry["response"] is not None and entry["response"]["id"] == pk
        assert key in c.get_task(pk)["data"]
    queries = {e.path: e.query for e in puts(backend)}
    assert queries[f"tasks/{t3}/annotate_task_data/"] == "schema=any"
    assert queries[f"tasks/{t1}/annotate_task_data/"] == ""


def test_one_failure_never_stops_the_rest(c: BackendClient, backend: LocalBackend) -> None:
    t1, t2 = backend.demo["tasks"][:2]
    result = c.annotate_task_data_batch(
        [(t1, {"ok": 1}), (999_999, {"x": 1}), (t2, [1, 2]), {"task_id": t2 + 1000, "data": {}}],
        max_workers=2,
    )
    assert result[t1]["success"] is True
    missing = result[999_999]
    assert missing["success"] is False and missing["response"] is None
    assert missing["error"] is not None and missing["error"].startswith("NotFoundError")
    refused = result[t2]
    assert refused["success"] is False and refused["error"] is not None
    assert refused["error"].startswith("ValidationError")
    assert result[t2 + 1000]["success"] is False
    assert len(puts(backend)) == 4


@pytest.mark.parametrize(
    ("items", "error", "words"),
    [
        ([(1, {}), (1, {})], ValueError, "named twice"),
        ([{"task_id": 1, "data": {}}, (1, {"again": 1})], ValueError, "named twice"),
        ([(True, {})], TypeError, "positive int"),
        ([("7", {})], TypeError, "positive int"),
        ([(0, {})], TypeError, "positive int"),
        ([{"task_id": 1}], TypeError, "'task_id' and 'data'"),
        ([{"task_id": 1, "data": {}, "extra": 1}], TypeError, "unknown keys"),
        ([(1, {"s": {1, 2}})], TypeError, "item 0"),
        ([(1, {"n": float("nan")})], ValueError, "NaN"),
        ([{"task_id": 1, "data": {}, "schema": "dm_schema_v9"}], ValueError, "schema"),
        ([(1, {}, "extra")], TypeError, "item 0"),
        ({"task_id": 1, "data": {}}, TypeError, "items must be"),
        ("abc", TypeError, "items must be"),
    ],
)
def test_bad_items_are_refused_before_any_request(
    c: BackendClient, backend: LocalBackend, items: Any, error: type[Exception], words: str
) -> None:
    backend.journal.clear()
    with pytest.raises(error, match=words):
        c.annotate_task_data_batch(items)
    assert backend.journal.entries() == []


@pytest.mark.parametrize(
    ("workers", "error"), [(0, ValueError), (65, ValueError), (1.5, TypeError)]
)
def test_max_workers_is_checked(c: BackendClient, workers: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="max_workers"):
        c.annotate_task_data_batch([(1, {})], max_workers=workers)


def test_an_empty_batch_sends_nothing(c: BackendClient, backend: LocalBackend) -> None:
    backend.journal.clear()
    assert c.annotate_task_data_batch([]) == {}
    assert c.annotate_task_data_batch(iter([])) == {}
    assert backend.journal.entries() == []


# -- the typed twin: annotate_many / iter_annotate -----------------------------------------------


def test_annotate_many_returns_typed_results(c: BackendClient, backend: LocalBackend) -> None:
    t1, t2, t3 = backend.demo["tasks"][:3]
    task = c.tasks.get(t1)
    report = c.tasks.annotate_many(
        [(task, {"a": 1}), {"task_id": t2, "data": {"b": 2}, "action": "save"}, (t3, {"c": 3})],
        schema="any",
    )
    assert isinstance(report, AnnotateReport) and report.ok and len(report) == 3
    assert [r.task_id for r in report] == [t1, t2, t3]
    assert all(isinstance(r.task, Task) for r in report)
    assert report[0].task is not None and report[0].task.data == {"a": 1}
    assert report[1].task is not None and report[1].task.status == "in_progress"  # save
    assert report[2].task is not None and report[2].task.status == "completed"  # submit
    assert all(e.query == "schema=any" for e in puts(backend))


def test_annotate_many_failures_carry_typed_errors(c: BackendClient, backend: LocalBackend) -> None:
    t1 = backend.demo["tasks"][0]
    seen: list[tuple[int, int]] = []
    report = c.tasks.annotate_many(
        [(999_999, {}), (t1, {"ok": True}), {"task_id": t1 + 1, "data": {}, "action": "save"}],
        progress=lambda done, total: seen.append((done, total)),
    )
    assert not report.ok
    assert [r.status for r in report] == ["failed", "annotated", "annotated"]
    failed = report.failed[0]
    assert isinstance(failed, AnnotateResult) and isinstance(failed.error, NotFoundError)
    assert failed.task is None and failed.task_id == 999_999
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert "failed=1" in repr(report)


def test_annotate_many_takes_a_dataframe(c: BackendClient, backend: LocalBackend) -> None:
    pandas = pytest.importorskip("pandas")
    t1, t2 = backend.demo["tasks"][:2]
    frame = pandas.DataFrame(
        {"task_id": [t1, t2], "data": [{"x": 1}, {"y": 2}], "schema": [None, "any"]}
    )
    report = c.tasks.annotate_many(frame)
    assert report.ok and [r.task_id for r in report] == [t1, t2]
    assert type(report[0].task_id) is int  # not numpy.int64
    assert [e.query for e in puts(backend)] == ["", "schema=any"]
    table = report.to_pandas()
    assert list(table.columns) == ["index", "task_id", "status", "error"]
    assert list(table["status"]) == ["annotated", "annotated"]
    with pytest.raises(TypeError, match="task_id and data"):
        c.tasks.annotate_many(pandas.DataFrame({"task": [t1], "payload": [{}]}))


def test_to_pandas_without_pandas_names_the_extra(
    c: BackendClient, backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = c.tasks.annotate_many([(backend.demo["tasks"][0], {})])
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"synapse-sdk\[pandas\]"):
        report.to_pandas()


def test_a_sized_input_is_checked_whole_before_any_request(
    c: BackendClient, backend: LocalBackend
) -> None:
    t1 = backend.demo["tasks"][0]
    backend.journal.clear()
    with pytest.raises(ValueError, match="named twice"):
        c.tasks.annotate_many([(t1, {}), (t1, {})])
    with pytest.raises(TypeError, match="item 1"):
        c.tasks.annotate_many(((t1, {}), ("x", {})))
    with pytest.raises(ValueError, match="action"):
        c.tasks.annotate_many([(t1, {})], action="publish")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="progress"):
        c.tasks.annotate_many([(t1, {})], progress="yes")  # type: ignore[arg-type]
    assert backend.journal.entries() == []


def test_a_stream_reports_bad_items_and_repeats_without_sending_them(
    c: BackendClient, backend: LocalBackend
) -> None:
    t1, t2 = backend.demo["tasks"][:2]
    items = iter([(t1, {}), ("bad", {}), (t2, {}), (t1, {"again": 1})])
    report = c.tasks.annotate_many(items, max_workers=2)
    assert [r.status for r in report] == ["annotated", "failed", "annotated", "failed"]
    assert isinstance(report[1].error, TypeError) and report[1].task_id is None
    assert isinstance(report[3].error, ValueError) and report[3].task_id is None
    assert len(puts(backend)) == 2


def test_iter_annotate_reads_a_huge_generator_as_it_goes(
    c: BackendClient, backend: LocalBackend
) -> None:
    """A million-item generator: the first results come back after reading a few items."""
    task_ids = backend.demo["tasks"]
    pulled = 0

    def items() -> Iterator[tuple[int, dict[str, int]]]:
        nonlocal pulled
        for n in range(1_000_000):
            pulled += 1
            yield (task_ids[n] if n < len(task_ids) else 10_000_000 + n, {"n": n})

    results = c.tasks.iter_annotate(items(), max_workers=2)
    assert pulled == 0  # lazy until the first next()
    first = list(itertools.islice(results, 5))
    assert [r.index for r in first] == [0, 1, 2, 3, 4]
    assert pulled <= 5 + 2 * 2 + 1, pulled  # a bounded window, not the whole input
    results.close()  # type: ignore[attr-defined]
    assert pulled <= 5 + 2 * 2 + 1


# -- tag_many -------------------------------------------------------------------------------------


def test_tag_many_adds_and_removes_in_chunks(c: BackendClient, backend: LocalBackend) -> None:
    tasks = backend.demo["tasks"][:5]
    tag = backend.demo["task_tags"][0]
    backend.journal.clear()
    answers = c.tasks.tag_many([c.tasks.get(tasks[0]), *tasks[1:]], [tag], chunk_size=2)
    assert len(answers) == 3
    posts = [e for e in backend.journal.entries() if e.path == "tasks/set_tags/"]
    assert len(posts) == 3
    assert all(tag in c.tasks.get(pk).tags for pk in tasks)
    c.tasks.tag_many(tasks, [tag], remove=True)
    assert all(tag not in c.tasks.get(pk).tags for pk in tasks)
    posts = [e for e in backend.journal.entries() if e.path == "tasks/set_tags/"]
    assert len(posts) == 4  # one request for up to 1000 ids


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda c: c.tasks.tag_many([], [1]), ValueError),
        (lambda c: c.tasks.tag_many([1, "2"], [1]), TypeError),
        (lambda c: c.tasks.tag_many([1], []), ValueError),
        (lambda c: c.tasks.tag_many([1], [True]), TypeError),
        (lambda c: c.tasks.tag_many([1], [1], chunk_size=0), ValueError),
        (lambda c: c.tasks.tag_many([1], [1], chunk_size=1001), ValueError),
        (lambda c: c.tasks.tag_many([1], [1], remove="yes"), TypeError),
        (lambda c: c.tasks.tag_many("12", [1]), TypeError),
    ],
)
def test_tag_many_checks_everything_before_any_request(
    c: BackendClient, backend: LocalBackend, call: Any, error: type[Exception]
) -> None:
    backend.journal.clear()
    with pytest.raises(error):
        call(c)
    assert backend.journal.entries() == []


def test_tag_many_failure_is_the_backends_error(c: BackendClient, backend: LocalBackend) -> None:
    with pytest.raises(ValidationError):
        c.tasks.tag_many([999_999], [backend.demo["task_tags"][0]])

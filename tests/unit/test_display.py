"""Notebook display, DataFrame export and progress, against the local backend.

Display must never do I/O (the journal proves zero requests) and must escape everything that
came from the server or the user. ``preview(n)`` is one request; ``to_pandas(columns=...)`` asks
only for the needed fields; progress is silent unless asked for.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from synapse_sdk import BackendClient, Job, JobStatus, Page
from synapse_sdk._query._display import MAX_ROWS, display_value, render_table

HOSTILE = "<script>alert('x')</script>\"><img src=x onerror=alert(1)>&amp;"


def _requests(backend: Any) -> list[Any]:
    return list(backend.journal.entries())


def _assert_safe(markup: str) -> None:
    """No hostile markup survived: only escaped forms of it are present."""
    lowered = markup.lower()
    assert "<script" not in lowered and "<img" not in lowered and "onerror=alert(1)>" not in lowered
    assert "&lt;script&gt;" in markup


def _task_row(i: int, **extra: Any) -> dict[str, Any]:
    return {"id": i, "project": 1, "data_unit": 1, "status": "pending", "tags": [], **extra}


# -- display does no I/O ----------------------------------------------------------------------


def test_unevaluated_queryset_describes_the_query_without_requests(
    client: BackendClient, synapse_backend: Any
) -> None:
    synapse_backend.journal.clear()
    qs = client.tasks.filter(project=1, status="pending").order_by("-id")[:10]
    markup = qs._repr_html_()
    text = repr(qs)
    assert _requests(synapse_backend) == []
    assert "not evaluated" in markup and ".preview(20)" in markup
    assert "tasks.filter(project=1, status=&#x27;pending&#x27;).order_by(&#x27;-id&#x27;)[:10]" in (
        markup
    )
    assert "GET sdk/tasks/?project=1&amp;status=pending&amp;ordering=-id" in markup
    assert "not evaluated" in text and ".preview(20)" in text


def test_stub_and_loaded_resources_render_cards_without_requests(
    client: BackendClient, synapse_backend: Any, demo: dict[str, Any]
) -> None:
    task = client.tasks.get(demo["task"])
    stub = client.tasks.ref(demo["task"])
    synapse_backend.journal.clear()
    card = task._repr_html_()
    stub_card = stub._repr_html_()
    assert _requests(synapse_backend) == []
    assert "<b>Task</b>" in card and f"<code>{demo['task']}</code>" in card
    assert "<th>status</th>" in card and "completed" in card
    assert "not loaded" in stub_card and "<th>" not in stub_card
    assert "not loaded" in repr(stub)
    assert _requests(synapse_backend) == []


def test_records_render_cards_without_requests(
    client: BackendClient, synapse_backend: Any, demo: dict[str, Any]
) -> None:
    collection = client.data_collections.get(demo["data_collection"])
    synapse_backend.journal.clear()
    card = collection.file_specifications[0]._repr_html_()
    assert "<b>FileSpecification</b>" in card and "image_1" in card
    assert "<b>DataCollection</b>" in collection._repr_html_()
    assert _requests(synapse_backend) == []


def test_partial_rows_are_labelled_and_not_loaded(
    client: BackendClient, synapse_backend: Any
) -> None:
    rows = list(client.tasks.filter(project=1).only("status")[:2])
    synapse_backend.journal.clear()
    card = rows[0]._repr_html_()
    assert "partial" in card and "<th>status</th>" in card and "<th>data</th>" not in card
    assert _requests(synapse_backend) == []


def test_evaluated_queryset_and_page_render_cached_rows_only(
    client: BackendClient, synapse_backend: Any
) -> None:
    qs = client.tasks.filter(project=1).order_by("id")
    rows = list(qs)
    synapse_backend.journal.clear()
    markup = qs._repr_html_()
    assert _requests(synapse_backend) == []
    assert f"{len(rows)} rows" in markup
    assert markup.count("<tr>") == len(rows) + 1  # header + one per cached row
    assert "not evaluated" not in markup


def test_preview_is_one_request_and_reports_the_total(
    client: BackendClient, synapse_backend: Any
) -> None:
    qs = client.tasks.filter(project=1)
    total = len(list(client.tasks.filter(project=1)))
    synapse_backend.journal.clear()
    page = qs.preview(2)
    assert len(_requests(synapse_backend)) == 1
    assert isinstance(page, Page) and len(page) == 2 and page.count == total
    assert repr(page) == f"<Page 1: 2 items of {total}>"
    markup = page._repr_html_()
    assert f"Page 1: 2 rows of {total}" in markup
    assert len(_requests(synapse_backend)) == 1
    with pytest.raises(ValueError, match="preview takes"):
        qs.preview(0)


def test_tables_truncate_rows_and_columns_with_counts(client: BackendClient) -> None:
    wide = {f"col{i}": i for i in range(12)}
    tasks = [client.tasks.build(_task_row(i + 1)) for i in range(MAX_ROWS + 7)]
    markup = Page(tasks, 500, 3)._repr_html_()
    assert markup.count("<tr>") == MAX_ROWS + 1
    assert f"Page 3: {MAX_ROWS + 7} rows of 500 (first {MAX_ROWS} shown" in markup
    dict_markup = render_table([wide], "wide", None)
    assert "4 more columns" in dict_markup and "<th>col7</th>" in dict_markup
    assert "<th>col8</th>" not in dict_markup
    assert display_value("x" * 500).endswith("\u2026") and len(display_value("x" * 500)) == 80
    assert display_value(JobStatus.RUNNING) == "RUNNING"
    assert display_value(None) == "" and display_value("a\nb\tc") == "a b c"


# -- escaping ---------------------------------------------------------------------------------


def test_hostile_server_values_are_escaped(
    client: BackendClient, synapse_backend: Any, demo: dict[str, Any]
) -> None:
    task = client.tasks.get(demo["task"])
    task.annotate({"annotations": [{"class": HOSTILE}], HOSTILE: HOSTILE})
    task.refresh()
    qs = client.tasks.filter(project=1).order_by("id")
    list(qs)
    for markup in (task._repr_html_(), qs._repr_html_(), qs.preview(3)._repr_html_()):
        _assert_safe(markup)


def test_hostile_user_input_and_unknown_fields_are_escaped(client: BackendClient) -> None:
    qs = client.tasks.filter(project=1, search=HOSTILE)
    _assert_safe(qs._repr_html_())
    task = client.tasks.build(_task_row(1, meta={HOSTILE: HOSTILE}, **{HOSTILE: HOSTILE}))
    card = task._repr_html_()
    _assert_safe(card)
    assert "1 unknown field kept in .extra" in card
    _assert_safe(render_table([{HOSTILE: HOSTILE}], HOSTILE, None))
    # A long hostile value is cut for the cell, and its full text goes into an attribute: the
    # quote must not close the attribute.
    long_value = HOSTILE * 10
    cell_markup = render_table([{"v": long_value}], "t", None)
    _assert_safe(cell_markup)
    assert 'title="' in cell_markup and '"><img' not in cell_markup


# -- DataFrame export -------------------------------------------------------------------------


def test_to_pandas_requests_only_the_columns(client: BackendClient, synapse_backend: Any) -> None:
    import pandas as pd

    qs = client.tasks.filter(project=1).order_by("id").options(page_size=2)
    expected = [(t.id, t.status.value if t.status else None) for t in qs.all()]
    synapse_backend.journal.clear()
    frame = qs.to_pandas(columns=["status", "id"])
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["status", "id"]
    assert list(zip(frame["id"], frame["status"], strict=True)) == expected
    entries = _requests(synapse_backend)
    assert len(entries) == (len(expected) + 1) // 2  # streamed page by page
    assert all("fields=id%2Cstatus" in e.query or "fields=id,status" in e.query for e in entries)


def test_to_pandas_all_fields_slices_and_cache(client: BackendClient, synapse_backend: Any) -> None:
    qs = client.tasks.filter(project=1).order_by("id")
    frame = qs[1:3].to_pandas()
    assert len(frame) == 2 and {"id", "status", "project_id", "data_unit_id"} <= set(frame.columns)
    list(qs)
    synapse_backend.journal.clear()
    cached = qs.to_pandas(columns=["id"])
    assert _requests(synapse_backend) == []  # an evaluated queryset converts its cache
    assert list(cached["id"]) == [t.id for t in qs]
    empty = client.tasks.filter(project=1, status="in_progress").to_pandas(columns=["id"])
    assert list(empty.columns) == ["id"] and len(empty) == 0


def test_to_pandas_refuses_bad_columns_before_any_request(
    client: BackendClient, synapse_backend: Any
) -> None:
    synapse_backend.journal.clear()
    qs = client.tasks.filter(project=1)
    with pytest.raises(TypeError, match="list of field names"):
        qs.to_pandas(columns="id")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="twice"):
        qs.to_pandas(columns=["id", "id"])
    with pytest.raises(TypeError, match="progress"):
        qs.to_pandas(progress="yes")  # type: ignore[arg-type]
    assert _requests(synapse_backend) == []


def test_to_pandas_without_pandas_names_the_extra(
    client: BackendClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` raise ImportError
    with pytest.raises(ImportError, match=r"synapse-sdk\[pandas\]"):
        client.tasks.filter(project=1).to_pandas()


# -- progress ---------------------------------------------------------------------------------


def test_listing_progress_reports_rows_against_the_count(client: BackendClient) -> None:
    seen: list[tuple[int, int]] = []
    qs = client.tasks.filter(project=1).options(page_size=2)
    total = qs.count()
    rows = list(qs.iterator(progress=lambda done, of: seen.append((done, of))))
    assert len(rows) == total
    assert seen == [(min(n, total), total) for n in range(2, total + 2, 2)]
    sliced: list[tuple[int, int]] = []
    list(qs[1:4].iterator(progress=lambda done, of: sliced.append((done, of))))
    assert sliced[-1] == (3, 3)


def test_progress_is_silent_by_default_and_checked(
    client: BackendClient, capsys: pytest.CaptureFixture[str]
) -> None:
    list(client.tasks.filter(project=1).iterator())
    client.tasks.filter(project=1).to_pandas(columns=["id"])
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    with pytest.raises(TypeError, match="progress"):
        client.tasks.filter(project=1).iterator(progress=3)  # type: ignore[arg-type]
    list(client.tasks.filter(project=1).iterator(progress=True))
    assert "tasks" in capsys.readouterr().err  # the bar's label, on stderr


def test_job_wait_progress_follows_the_progress_record(
    client: BackendClient, demo: dict[str, Any]
) -> None:
    job = client.plugins.get(demo["plugin"]).run(action="train")
    # Take the job over (a PATCH stops the simulation) and report progress as an agent would.
    client.jobs.update(job.id, status="RUNNING", progress_record={"train": {"progress": 40}})
    steps = iter(
        [
            {"progress_record": {"train": {"progress": 80}, "export": {"progress": 20}}},
            {"status": "SUCCEEDED", "progress_record": {"progress": 90}},
        ]
    )
    seen: list[tuple[int, int]] = []

    def agent_step(seconds: float) -> None:
        client.jobs.update(job.id, **next(steps))

    finished: Job = job.wait(
        timeout=30, sleep=agent_step, progress=lambda done, of: seen.append((done, of))
    )
    assert finished.status is JobStatus.SUCCEEDED
    assert seen == [(40, 100), (50, 100), (100, 100)]


def test_job_wait_progress_is_silent_by_default(
    client: BackendClient, demo: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    job = client.plugins.get(demo["plugin"]).run(action="train")
    assert job.wait(timeout=30, poll=0.05).is_finished
    assert capsys.readouterr().err == ""
    with pytest.raises(TypeError, match="progress"):
        job.wait(progress="bar")  # type: ignore[arg-type]

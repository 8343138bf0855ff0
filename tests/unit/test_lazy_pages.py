"""Page builds (``RecordPlan.lazy.page``, what listings use): a page's shape is checked column by
column, and every outcome - objects, slots set, errors and their paths - is what building the rows
one by one with ``lazy`` gives."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_lazy_rows import ROW

from synapse_sdk._converter import plan_for
from synapse_sdk._exceptions import ResponseValidationError
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.resources import DataCollection, Task
from synapse_sdk.resources._base import BaseResource

COLLECTION: dict[str, Any] = {
    "id": 1,
    "name": "c",
    "file_specifications": [{"name": "image_1", "type": "image", "is_required": True}],
}

#: Values of every JSON type (and an expanded foreign key): some right, most wrong, per field.
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from(["pending", "completed", "x", "2026-11-27T20:45:44Z", "yesterday"]),
    st.just([1]),
    st.just(["a"]),
    st.just({"id": 3}),
    st.just({}),
    st.just([{"name": 5}]),
)


def _slots(obj: Any) -> dict[str, Any]:
    """The slots an object has set (what was converted or kept when it was built)."""
    names = [n for c in type(obj).__mro__ for n in c.__dict__.get("__slots__", ())]
    out = {}
    for name in names:
        if name in ("__weakref__", "_manager"):
            continue
        try:
            out[name] = object.__getattribute__(obj, name)
        except AttributeError:
            continue
    return out


def _read(obj: Any) -> tuple[Any, ...]:
    """The object as built, then every field converted (or the first read's error)."""
    built = (type(obj), _slots(obj))
    try:
        return (*built, obj.to_dict())
    except ResponseValidationError as exc:
        return (*built, "error on first read", exc.path, str(exc))


def outcome(build: Any) -> tuple[Any, ...]:
    try:
        objs = build()
    except ResponseValidationError as exc:
        return ("error", exc.path, str(exc))
    return ("ok", [_read(o) for o in objs])


def _rows(base: dict[str, Any]) -> Any:
    """Pages of rows: mostly whole rows (every key there, one value changed: the column check
    decides), some partial rows and some that are not objects (built row by row)."""
    good = st.builds(lambda i: {**base, "id": i}, st.integers(1, 10**6))
    edited = st.builds(lambda k, v: {**base, k: v}, st.sampled_from(sorted(base)), VALUES)
    partial = st.builds(
        lambda d: {k: v for k, v in base.items() if k not in d},
        st.sets(st.sampled_from(sorted(base)), min_size=1, max_size=2),
    )
    odd = st.sampled_from([None, 3, "row", [ROW]])
    whole = st.lists(st.one_of(good, edited), max_size=6)
    mixed = st.lists(st.one_of(good, edited, partial, odd), max_size=6)
    return st.one_of(whole, whole, mixed)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_rows(ROW))
def test_a_task_page_builds_as_its_rows_do_one_by_one(rows: list[Any]) -> None:
    lazy = plan_for(Task).lazy
    assert outcome(lambda: lazy.page(rows)) == outcome(lambda: [lazy(r) for r in rows])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_rows(COLLECTION))
def test_a_page_with_nested_records_builds_as_its_rows_do(rows: list[Any]) -> None:
    lazy = plan_for(DataCollection).lazy
    assert outcome(lambda: lazy.page(rows)) == outcome(lambda: [lazy(r) for r in rows])


def test_a_whole_page_keeps_each_row_and_sets_only_the_ids() -> None:
    rows = [{**ROW, "id": i, "brand_new": [i]} for i in range(1, 4)]
    manager = object()
    objs = plan_for(Task).lazy.page(rows, manager)
    assert [o.id for o in objs] == [1, 2, 3]
    for obj, row in zip(objs, rows, strict=True):
        assert obj._raw is row and obj._manager is manager
        assert set(_slots(obj)) == {"id", "project_id", "data_unit_id", "_raw"}
        assert obj.extra == {"brand_new": [row["id"]]}
    assert plan_for(Task).lazy.page([]) == []


def test_one_bad_row_fails_the_page_naming_the_field() -> None:
    lazy = plan_for(Task).lazy
    rows = [dict(ROW), {**ROW, "status": 5}]
    with pytest.raises(ResponseValidationError) as info:
        lazy.page(rows)
    assert info.value.path == "status"


def test_listing_pages_with_partial_and_expanded_rows(
    client: BackendClient, synapse_backend: Any
) -> None:
    page = {
        "count": 3,
        "next": None,
        "previous": None,
        "results": [dict(ROW), {"id": 8}, {**ROW, "id": 9, "data_unit": {"id": 4, "meta": {}}}],
    }
    synapse_backend.faults.add("status", method="GET", path="sdk/tasks/", status=200, body=page)
    tasks = list(client.tasks.all())
    assert [t.id for t in tasks] == [7, 8, 9]
    assert tasks[0].created.year == 2026 and tasks[2].data_unit_id == 4
    assert tasks[2]._cache["data_unit_id"][1] == {"id": 4, "meta": {}}


def test_a_listing_holds_one_page_at_a_time(
    client: BackendClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The objects of a page the caller did not keep are freed before the next page is fetched
    (fewer garbage-collector passes; the memory of one page, not two)."""
    import gc
    import weakref

    qs = client.tasks.all().options(page_size=2, prefetch=0)
    manager = qs._source
    fetch = manager.fetch_page
    seen: list[weakref.ref[Any]] = []
    alive_at_fetch: list[list[bool]] = []

    def watched(*args: Any, **kwargs: Any) -> Any:
        gc.collect()
        alive_at_fetch.append([ref() is not None for ref in seen])
        return fetch(*args, **kwargs)

    monkeypatch.setattr(manager, "fetch_page", watched)
    for task in qs.iterator():
        seen.append(weakref.ref(task))
        if len(seen) == 4:
            break
    assert len(alive_at_fetch) >= 2  # page 1, then page 2 (with page 1's objects dropped)
    # Page 1's first object is gone; its last one is the caller's loop variable.
    assert alive_at_fetch[1] == [False, True]


@attrs.define(kw_only=True, eq=False, repr=False)
class _IdOnly(BaseResource):
    """A record with a single checked column (the page check has its own form for it)."""

    id: int


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_rows({"id": 1}))
def test_a_page_of_a_one_column_record_builds_as_its_rows_do(rows: list[Any]) -> None:
    lazy = plan_for(_IdOnly).lazy
    assert outcome(lambda: lazy.page(rows)) == outcome(lambda: [lazy(r) for r in rows])

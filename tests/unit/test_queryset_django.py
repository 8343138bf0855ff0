"""Django semantics of querysets over an in-memory page source (no sockets): counts that are never
remembered, checked and narrowing filters, ``values``/``values_list``, ``last``, ``in_bulk`` and
``to_pandas`` by attribute names."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs
import pytest

from synapse_sdk._converter import plan_for
from synapse_sdk._exceptions import NotFoundError
from synapse_sdk._query import QuerySet
from synapse_sdk.resources import JobStatus, Task, TaskStatus
from synapse_sdk.resources.tasks import TASKS

STATUSES = ["pending", "in_progress", "completed"]


class Source:
    """Task rows with DRF page-number semantics, ``id__in``/``fields``/``ordering`` honoured."""

    endpoint = TASKS
    resource = Task
    default_page_size = 10
    default_prefetch = 0

    def __init__(self, n: int) -> None:
        self.rows: list[dict[str, Any]] = [self.row(i + 1) for i in range(n)]
        self.requests: list[dict[str, str]] = []
        self.lock = threading.Lock()

    @staticmethod
    def row(pk: int) -> dict[str, Any]:
        return {
            "id": pk,
            "project": 1 + pk % 2,
            "status": STATUSES[pk % 3],
            "created": f"2024-01-{1 + pk % 28:02d}T10:00:00Z",
        }

    def fetch_page(self, params: Mapping[str, str] | None, url: str | None = None) -> Any:
        if url is not None:
            params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assert params is not None
        with self.lock:
            self.requests.append(dict(params))
        rows = list(self.rows)
        if "id__in" in params:
            wanted = {int(v) for v in params["id__in"].split(",")}
            rows = [r for r in rows if r["id"] in wanted]
        if params.get("ordering") == "-id":
            rows.reverse()
        if "fields" in params:
            keep = params["fields"].split(",")
            rows = [{k: v for k, v in r.items() if k in keep} for r in rows]
        size = int(params.get("page_size", "100"))
        page = int(params.get("page", "1"))
        chunk = rows[(page - 1) * size : page * size]
        if page > 1 and not chunk:
            raise NotFoundError("Invalid page.", status_code=404)
        more = page * size < len(rows)
        nxt = f"http://x/sdk/tasks/?page={page + 1}&page_size={size}" if more else None
        return {"count": len(rows), "next": nxt, "previous": None, "results": chunk}

    def check_url(self, url: str) -> None:
        assert url.startswith("http://x/")

    def build(self, row: dict[str, Any]) -> Task:
        task: Task = plan_for(Task).build(row)
        return task

    def build_page(self, rows: list[Any]) -> list[Task]:
        return [self.build(row) for row in rows]


# -- item 1: count() and exists() ask the server unless the rows are cached ------------------


def test_count_asks_the_server_on_every_call_until_evaluated() -> None:
    source = Source(5)
    qs: QuerySet[Task] = QuerySet(source)
    assert qs.count() == 5
    source.rows.append(Source.row(6))  # the listing changes on the server
    assert qs.count() == 6
    assert len(source.requests) == 2
    list(qs.iterator())  # streaming is not an evaluated result cache
    source.rows.append(Source.row(7))
    assert qs.count() == 7
    list(qs)  # evaluated: the cache answers
    before = len(source.requests)
    source.rows.append(Source.row(8))
    assert qs.count() == 7 and qs.exists() and len(source.requests) == before


def test_exists_asks_the_server_on_every_call_until_evaluated() -> None:
    source = Source(0)
    qs: QuerySet[Task] = QuerySet(source)
    assert not qs.exists()
    source.rows.append(Source.row(1))
    assert qs.exists()
    assert len(source.requests) == 2


# -- item 3: filter values are checked; chained filters narrow --------------------------------


def test_an_enum_filter_refuses_a_value_outside_the_backends_set() -> None:
    qs: QuerySet[Task] = QuerySet(Source(3))
    with pytest.raises(ValueError, match=r"'pendng'.*completed, in_progress, pending"):
        qs.filter(status="pendng")
    with pytest.raises(ValueError, match="'RUNNING'"):
        qs.filter(status=JobStatus.RUNNING)  # another family's enum
    assert qs.filter(status=TaskStatus.PENDING).params() == {"status": "pending"}
    assert qs.filter(status="completed").params() == {"status": "completed"}


def test_several_values_for_a_one_value_filter_are_refused_with_the_way_out() -> None:
    qs: QuerySet[Task] = QuerySet(Source(3))
    with pytest.raises(TypeError, match="no status__in"):
        qs.filter(status=["pending", "completed"])
    with pytest.raises(TypeError, match=r"cannot filter 'status' by several values"):
        qs.filter(status__in=["pending"])
    with pytest.raises(TypeError, match=r"use id__in="):
        qs.filter(id=[1, 2])
    with pytest.raises(TypeError, match="keyword arguments only"):
        qs.filter({"project": 1})  # type: ignore[misc]
    assert qs.filter(id__in=[1, 2]).params() == {"id__in": "1,2"}


def test_chained_filters_narrow_instead_of_replacing() -> None:
    source = Source(30)
    qs: QuerySet[Task] = QuerySet(source)
    both = qs.filter(id__in=[1, 2, 3, 4]).filter(id__in=[3, 4, 5])
    assert both.params() == {"id__in": "3,4"}
    assert [t.id for t in both] == [3, 4]
    assert qs.filter(id__gt=3).filter(id__gt=7).params() == {"id__gt": "7"}
    assert qs.filter(id__gt=9).filter(id__gt=2).params() == {"id__gt": "9"}
    assert qs.filter(id__lte=9).filter(id__lte=20).params() == {"id__lte": "9"}
    late = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
    early = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    bounded = qs.filter(created__gte=early).filter(created__gte=late)
    assert bounded.params()["created__gte"].startswith("2024-05-01")
    assert qs.filter(ids_ex=[1]).filter(ids_ex=[2]).params() == {"ids_ex": "1,2"}
    assert qs.filter(status="pending").filter(status="pending").params() == {"status": "pending"}
    assert source.requests == [{"id__in": "3,4", "page_size": "10"}]


def test_chained_filters_the_backend_cannot_express_raise() -> None:
    qs: QuerySet[Task] = QuerySet(Source(3))
    with pytest.raises(ValueError, match=r"filter\(status='pending'\) and then filter"):
        qs.filter(status="pending").filter(status="completed")
    with pytest.raises(ValueError, match="any of these"):
        qs.filter(tags=[1]).filter(tags=[2])
    with pytest.raises(ValueError, match="cannot combine"):
        qs.filter(created__gt="2024-01-01").filter(created__gt="2024-02-01")


def test_a_filter_that_matches_nothing_sends_nothing() -> None:
    source = Source(10)
    qs: QuerySet[Task] = QuerySet(source)
    disjoint = qs.filter(id__in=[1, 2]).filter(id__in=[3])
    assert list(disjoint) == [] and disjoint.count() == 0 and not disjoint.exists()
    assert list(qs.filter(id__in=[])) == [] and qs.filter(ids=[]).count() == 0
    assert source.requests == []  # "id__in=" would be ignored by the backend: every row


# -- item 4: values(), values_list(), last(), in_bulk() ---------------------------------------


def test_values_are_dicts_of_attribute_names_asking_only_those_fields() -> None:
    source = Source(3)
    rows = QuerySet(source).values("id", "project_id", "created")
    assert source.requests == []  # lazy
    assert "not evaluated" in repr(rows)
    got = list(rows)
    assert got[0] == {
        "id": 1,
        "project_id": 2,
        "created": dt.datetime(2024, 1, 2, 10, tzinfo=dt.timezone.utc),
    }
    assert source.requests == [{"fields": "id,project,created", "page_size": "10"}]
    assert len(rows) == 3 and len(source.requests) == 1  # cached after iteration


def test_values_list_tuples_and_flat() -> None:
    source = Source(4)
    qs: QuerySet[Task] = QuerySet(source)
    assert list(qs.values_list("id", "status")) == [
        (1, "in_progress"),
        (2, "completed"),
        (3, "pending"),
        (4, "in_progress"),
    ]
    assert list(qs.values_list("project_id", flat=True)) == [2, 1, 2, 1]
    assert qs.values_list("id", flat=True)[1] == 2
    assert list(qs.values_list("id", flat=True)[1:3]) == [2, 3]
    assert source.requests[1] == {"fields": "id,project", "page_size": "10"}
    with pytest.raises(TypeError, match="exactly one field"):
        qs.values_list("id", "status", flat=True)


def test_values_refuse_wire_and_unknown_names_naming_the_valid_ones() -> None:
    source = Source(3)
    qs: QuerySet[Task] = QuerySet(source)
    with pytest.raises(ValueError, match=r"'project'.*attribute 'project_id'.*valid fields: id"):
        qs.values("project")
    with pytest.raises(ValueError, match="has no field 'nope'"):
        qs.values_list("nope")
    assert source.requests == []


def test_last_reverses_the_ordering() -> None:
    source = Source(25)
    qs: QuerySet[Task] = QuerySet(source)
    last = qs.last()
    assert last is not None and last.id == 25
    assert source.requests[-1]["ordering"] == "-id"
    ordered = qs.order_by("-id").last()
    assert ordered is not None and ordered.id == 1
    assert source.requests[-1]["ordering"] == "id"
    with pytest.raises(TypeError, match="slicing"):
        qs[:3].last()
    evaluated: QuerySet[Task] = QuerySet(source)
    list(evaluated)
    before = len(source.requests)
    tail = evaluated.last()
    assert tail is not None and tail.id == 25 and len(source.requests) == before
    assert QuerySet(Source(0)).last() is None


def test_in_bulk_uses_id_in_in_bounded_chunks() -> None:
    source = Source(300)
    qs: QuerySet[Task] = QuerySet(source)
    wanted = [*range(1, 251), 999]
    found = qs.in_bulk(wanted)
    assert sorted(found) == list(range(1, 251))
    assert all(found[pk].id == pk for pk in found)
    assert len(source.requests) == 3  # 100 + 100 + 51 ids, one request each
    assert all(len(r["id__in"].split(",")) <= 100 for r in source.requests)
    assert qs.in_bulk([]) == {}
    narrowed = qs.filter(id__in=[1, 2, 3]).in_bulk([2, 3, 4])
    assert sorted(narrowed) == [2, 3]
    count = len(source.requests)
    for bad in (["1"], [0], [True]):
        with pytest.raises((TypeError, ValueError)):
            qs.in_bulk(bad)  # type: ignore[list-item]
    with pytest.raises(TypeError):
        qs.in_bulk("12")  # type: ignore[arg-type]
    assert len(source.requests) == count  # refused before any request


# -- item 5: to_pandas by attribute names, with datetimes and enum values ---------------------


def test_to_pandas_takes_attribute_names_and_converts_values() -> None:
    pd = pytest.importorskip("pandas")
    source = Source(4)
    frame = QuerySet(source).to_pandas(columns=["id", "project_id", "status", "created"])
    assert list(frame["project_id"]) == [2, 1, 2, 1]
    assert list(frame["status"]) == ["in_progress", "completed", "pending", "in_progress"]
    assert all(type(v) is str for v in frame["status"])  # the value, not the enum member
    assert isinstance(frame["created"].dtype, pd.DatetimeTZDtype)
    assert source.requests[0]["fields"] == "id,project,status,created"
    everything = QuerySet(source).to_pandas()
    assert {"project_id", "status", "created"} <= set(everything.columns)
    assert "project" not in everything.columns


def test_to_pandas_refuses_unknown_columns_naming_the_valid_ones() -> None:
    pytest.importorskip("pandas")
    source = Source(2)
    with pytest.raises(ValueError, match=r"'project'.*'project_id'.*valid fields"):
        QuerySet(source).to_pandas(columns=["project"])
    assert source.requests == []


def test_a_scope_narrows_like_a_filter() -> None:
    """``project.tasks.filter(project=other)`` no longer replaces the scope silently."""
    source = Source(4)
    scoped: QuerySet[Task] = QuerySet(source, {"project": 1})
    assert scoped.filter(project=1).params() == {"project": "1"}
    with pytest.raises(ValueError, match="cannot both hold"):
        scoped.filter(project=2)
    assert source.requests == []


def test_values_without_names_give_every_attribute() -> None:
    source = Source(2)
    rows = list(QuerySet(source).values())
    assert list(rows[0]) == [f.name for f in attrs.fields(Task)]
    assert rows[0]["project_id"] == 2 and rows[0]["tags"] is None  # not sent: None, no load
    assert "fields" not in source.requests[0]

"""QuerySet semantics against an in-memory page source (no sockets)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from synapse_sdk._converter import plan_for
from synapse_sdk._exceptions import NotFoundError
from synapse_sdk._query import QuerySet, iter_pages
from synapse_sdk.resources import Task
from synapse_sdk.resources.tasks import TASKS


class FakeSource:
    """Serves ``n`` task rows with DRF page-number semantics and records every request."""

    endpoint = TASKS
    default_page_size = 10
    default_prefetch = 0

    def __init__(self, n: int, prefetch: int = 0, cap: int = 1000) -> None:
        self.rows = [{"id": i + 1, "project": 1} for i in range(n)]
        self.cap = cap
        self.requests: list[dict[str, str]] = []
        self.default_prefetch = prefetch
        self.lock = threading.Lock()

    def fetch_page(self, params: Mapping[str, str] | None, url: str | None = None) -> Any:
        if url is not None:
            params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assert params is not None
        with self.lock:
            self.requests.append(dict(params))
        size = min(int(params.get("page_size", "100")), self.cap)
        page = int(params.get("page", "1"))
        chunk = self.rows[(page - 1) * size : page * size]
        if page > 1 and not chunk:
            raise NotFoundError("Invalid page.", status_code=404)
        more = page * size < len(self.rows)
        nxt = f"http://x/sdk/tasks/?page={page + 1}&page_size={size}" if more else None
        return {"count": len(self.rows), "next": nxt, "previous": None, "results": chunk}

    def check_url(self, url: str) -> None:
        assert url.startswith("http://x/")

    def build(self, row: dict[str, Any]) -> Task:
        task: Task = plan_for(Task).build(row)
        return task

    def build_page(self, rows: list[Any]) -> list[Task]:
        return [self.build(row) for row in rows]


def test_lazy_until_evaluated_and_repr_does_no_io() -> None:
    source = FakeSource(25)
    qs = QuerySet(source).filter(project=1).order_by("-created")[:5]
    assert "not evaluated" in repr(qs)
    assert "not evaluated" in qs._repr_html_()
    assert source.requests == []
    assert [t.id for t in qs] == [1, 2, 3, 4, 5]
    assert source.requests == [{"project": "1", "ordering": "-created", "page_size": "5"}]
    assert "not evaluated" not in repr(qs)


def test_filter_returns_copies() -> None:
    base = QuerySet(FakeSource(3))
    narrowed = base.filter(project=2)
    assert base.params() == {} and narrowed.params() == {"project": "2"}


def test_full_iteration_across_pages() -> None:
    source = FakeSource(25)
    assert [t.id for t in QuerySet(source).iterator()] == list(range(1, 26))
    assert len(source.requests) == 3


@pytest.mark.parametrize("prefetch", [0, 1, 3])
def test_slices_fetch_only_needed_pages(prefetch: int) -> None:
    source = FakeSource(95, prefetch=prefetch)
    ids = [t.id for t in QuerySet(source)[12:37]]
    assert ids == list(range(13, 38))
    pages = sorted(int(r.get("page", "1")) for r in source.requests)
    assert pages == [2, 3, 4]


def test_prefetch_preserves_order() -> None:
    source = FakeSource(500, prefetch=4)
    assert [t.id for t in QuerySet(source).iterator()] == list(range(1, 501))
    assert len(source.requests) == 50


def test_index_count_first_exists() -> None:
    source = FakeSource(12)
    qs = QuerySet(source)
    assert qs[11].id == 12
    with pytest.raises(IndexError):
        qs[12]
    assert qs.count() == 12
    assert qs[5:].count() == 7
    first = qs.first()
    assert first is not None and first.id == 1
    assert qs.exists()
    assert QuerySet(FakeSource(0)).first() is None
    assert not QuerySet(FakeSource(0)).exists()


def test_negative_indexes_refused_with_guidance() -> None:
    qs = QuerySet(FakeSource(3))
    with pytest.raises(ValueError, match="order_by"):
        qs[-1]
    with pytest.raises(ValueError, match="negative"):
        qs[-2:]


def test_get_exactly_one() -> None:
    with pytest.raises(NotFoundError):
        QuerySet(FakeSource(0)).get()
    with pytest.raises(ValueError, match="more than one"):
        QuerySet(FakeSource(2)).get()
    assert QuerySet(FakeSource(1)).get().id == 1


def test_cache_after_evaluation() -> None:
    source = FakeSource(3)
    qs = QuerySet(source)
    assert len(qs) == 3 and bool(qs)
    before = len(source.requests)
    assert qs.count() == 3 and qs.first() is not None and list(qs)[2].id == 3
    assert len(source.requests) == before


def test_pages_and_preview() -> None:
    source = FakeSource(25)
    pages = list(QuerySet(source).pages())
    assert [p.number for p in pages] == [1, 2, 3] and pages[0].count == 25
    assert len(QuerySet(source).preview(4)) == 4


def test_refuses_filter_after_slice_and_bad_options() -> None:
    qs = QuerySet(FakeSource(3))
    with pytest.raises(TypeError, match="after slicing"):
        qs[:2].filter(project=1)
    with pytest.raises(ValueError):
        qs.options(page_size=0)
    with pytest.raises(TypeError):
        qs.filter(nope=1)


@pytest.mark.parametrize("prefetch", [0, 3])
def test_walk_adapts_to_a_server_cap_below_the_page_size(prefetch: int) -> None:
    source = FakeSource(95, prefetch=prefetch, cap=7)
    qs = QuerySet(source)
    assert [t.id for t in qs.iterator()] == list(range(1, 96))
    assert [t.id for t in qs[12:37]] == list(range(13, 38))
    assert [t.id for t in qs[50:]] == list(range(51, 96))
    assert qs[94].id == 95
    assert [p.number for p in qs.pages()] == list(range(1, 15))  # 14 pages of 7


@pytest.mark.parametrize("cap", [7, 1000])
@pytest.mark.parametrize("prefetch", [0, 3])
def test_envelopes_hold_exactly_the_wanted_rows(cap: int, prefetch: int) -> None:
    source = FakeSource(95, cap=cap)
    envelopes = list(iter_pages(source, {}, page_size=10, start=13, limit=40, prefetch=prefetch))
    rows = [row["id"] for env in envelopes for row in env.results]
    assert rows == list(range(14, 54))
    assert envelopes[0].offset == 13
    for env, following in itertools.pairwise(envelopes):
        assert following.offset == env.offset + len(env.results)

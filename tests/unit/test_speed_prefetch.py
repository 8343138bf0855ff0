"""Adaptive prefetch (``_query._pages``): no thread while pages come fast, a window that ramps
up to ``prefetch`` once the page requests wait on the server."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from synapse_sdk._query._pages import iter_pages

BASE = "http://testserver/sdk/tasks/"


class Source:
    """``rows`` rows in pages, each request sleeping ``delay`` seconds; records what it saw."""

    def __init__(self, rows: int, delay: float = 0.0) -> None:
        self.rows = rows
        self.delay = delay
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0
        self.threads: set[str] = set()
        self.by_link = 0

    def check_url(self, url: str) -> None:
        pass

    def fetch_page(self, params: Mapping[str, str] | None, url: str | None = None) -> Any:
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            self.threads.add(threading.current_thread().name)
            self.by_link += url is not None
        try:
            if self.delay:
                time.sleep(self.delay)
            query = dict(parse_qsl(urlsplit(url).query)) if url else dict(params or {})
            size, number = int(query["page_size"]), int(query.get("page", "1"))
            start = (number - 1) * size
            last = -(-self.rows // size)
            return {
                "count": self.rows,
                "next": f"{BASE}?page={number + 1}&page_size={size}" if number < last else None,
                "previous": None,
                "results": [{"id": i + 1} for i in range(start, min(start + size, self.rows))],
            }
        finally:
            with self.lock:
                self.in_flight -= 1


def ids(source: Source, prefetch: int, page_size: int = 10) -> list[int]:
    pages = iter_pages(source, {}, page_size=page_size, prefetch=prefetch)
    return [row["id"] for env in pages for row in env.results]


def test_fast_pages_start_no_thread() -> None:
    source = Source(500)
    before = {t.name for t in threading.enumerate()}
    assert ids(source, prefetch=8) == list(range(1, 501))
    assert source.threads == {threading.current_thread().name}
    assert source.peak == 1 and source.by_link == 49  # followed the next links
    assert not {t.name for t in threading.enumerate()} - before


def test_slow_pages_ramp_the_window_up_to_prefetch() -> None:
    source = Source(400, delay=0.02)
    started = time.perf_counter()
    assert ids(source, prefetch=8) == list(range(1, 401))
    elapsed = time.perf_counter() - started
    assert source.peak == 8
    assert any(name.startswith("synapse-prefetch") for name in source.threads)
    assert elapsed < 40 * 0.02 / 3  # sequential would take 40 x 20 ms


def test_the_window_never_exceeds_prefetch() -> None:
    source = Source(300, delay=0.01)
    assert ids(source, prefetch=3) == list(range(1, 301))
    assert source.peak == 3


def test_prefetch_zero_stays_sequential_even_when_slow() -> None:
    source = Source(60, delay=0.01)
    assert ids(source, prefetch=0) == list(range(1, 61))
    assert source.peak == 1 and source.threads == {threading.current_thread().name}


def test_a_slow_consumer_of_fast_pages_starts_no_thread() -> None:
    source = Source(100, delay=0.008)  # waits 8 ms a page, the caller spends 20 ms on each
    seen = []
    for env in iter_pages(source, {}, page_size=10, prefetch=8):
        time.sleep(0.02)
        seen += [row["id"] for row in env.results]
    assert seen == list(range(1, 101))
    assert source.peak == 1 and source.threads == {threading.current_thread().name}


class Hiccup(Source):
    """Fast pages, but every third request stalls once (a scheduling hiccup)."""

    def fetch_page(self, params: Mapping[str, str] | None, url: str | None = None) -> Any:
        self.calls = getattr(self, "calls", 0) + 1
        if self.calls % 3 == 0:
            time.sleep(0.02)
        return super().fetch_page(params, url)


def test_isolated_slow_pages_start_no_thread() -> None:
    source = Hiccup(300)
    assert ids(source, prefetch=8) == list(range(1, 301))
    assert source.peak == 1 and source.threads == {threading.current_thread().name}

"""Pagination against servers that cap, ignore or lie about page sizes (finding 4).

A DRF backend caps ``page_size`` (1,000 is common): asking for 5,000 rows a page gets 1,000, and
page 2 then means rows 1,000-1,999, not 5,000-9,999. The SDK used to compute page numbers from
the size it asked for, so it lost rows (1,000 of 1,506), listed one page for ``page_size=-1`` and
divided by zero for ``page_size=0``. Now the walk learns the size the server serves, re-plans page
numbers (and slice offsets) from it, and refuses nonsensical page parameters before any I/O.

:class:`FakeListing` (also used by the other ``test_pagination_*`` modules) serves a DRF-style
listing of ``n`` rows on a hostile server, with a configurable cap, a ``tamper`` hook that can
rewrite any page (``next`` links, counts, rows) and a request budget: past it every request gets a
500, so a pagination loop fails the test instead of hanging it. Listings also run in a daemon
thread with a time limit (:func:`bounded`) and through ``islice`` caps.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from hostile_server import Conn, HostileServer, Request

from synapse_sdk import ClientError, ServerError
from synapse_sdk.clients.backend import BackendClient

PATH = "/sdk/tasks/"
CAP = 100_000  # islice cap: far more rows than any test serves
Tamper = Callable[["FakeListing", dict[str, Any], int, int], "dict[str, Any] | None"]


class FakeListing:
    """A DRF page-number listing of ``n`` task rows served by a hostile server.

    Args:
        srv: The server to route ``PATH`` on.
        n: Rows in the listing (ids 1..n).
        cap: The server's page-size cap (page sizes above it are served at the cap).
        default_size: The page size when the request does not say (DRF's ``PAGE_SIZE``).
        count: Send ``count`` (False: envelopes without it).
        endless: Never answer 404 past the last page (pages there are empty).
        max_requests: Past this many requests every answer is a 500 (a loop ends the test).
        tamper: ``tamper(listing, body, page, size)`` may rewrite (or return) a page's body.
        fail_pages: Page numbers answered with a 500 (a page that keeps failing).
    """

    def __init__(
        self,
        srv: HostileServer,
        n: int = 250,
        *,
        cap: int = 1000,
        default_size: int = 100,
        count: bool = True,
        endless: bool = False,
        max_requests: int = 200,
        tamper: Tamper | None = None,
        fail_pages: tuple[int, ...] = (),
    ) -> None:
        self.srv = srv
        self.n = n
        self.cap = cap
        self.default_size = default_size
        self.count = count
        self.endless = endless
        self.max_requests = max_requests
        self.tamper = tamper
        self.fail_pages = set(fail_pages)
        self.served: list[tuple[int, int]] = []  # (page, size) of every page answered
        self.requests = 0
        self._lock = threading.Lock()
        srv.route(PATH, self.handle)

    def link(self, page: int, query: dict[str, str] | None = None, **changes: str) -> str:
        """An absolute link to ``page`` with the request's query (DRF keeps every parameter)."""
        pairs = {k: v for k, v in (query or {}).items() if k != "page"}
        pairs.update(changes)
        pairs["page"] = str(page)
        return f"{self.srv.url}{PATH}?{urlencode(pairs)}"

    def rows(self, page: int, size: int) -> list[dict[str, Any]]:
        return [
            {"id": i + 1, "project": 1} for i in range((page - 1) * size, min(page * size, self.n))
        ]

    def handle(self, conn: Conn, req: Request) -> bool:
        with self._lock:
            self.requests += 1
            spent = self.requests > self.max_requests
        if spent:
            conn.send_json({"detail": "request budget spent: the client is looping"}, 500)
            return True
        query = dict(parse_qsl(urlsplit(req.target).query, keep_blank_values=True))
        try:
            size = int(query.get("page_size") or self.default_size)
        except ValueError:
            size = self.default_size
        size = self.default_size if size < 1 else min(size, self.cap)
        try:
            page = int(query.get("page") or "1")
        except ValueError:
            page = 0
        pages = max(1, -(-self.n // size))
        if page in self.fail_pages:
            conn.send_json({"detail": "boom"}, 500)
            return True
        if page < 1 or (page > pages and not self.endless):
            conn.send_json({"detail": "Invalid page."}, 404)
            return True
        body: dict[str, Any] = {
            "count": self.n,
            "next": self.link(page + 1, query) if page < pages or self.endless else None,
            "previous": self.link(page - 1, query) if page > 1 else None,
            "results": self.rows(page, size),
        }
        if not self.count:
            del body["count"]
        if self.tamper is not None:
            body = self.tamper(self, body, page, size) or body
        with self._lock:
            self.served.append((page, size))
        conn.send_json(body)
        return True


def make_client(srv: HostileServer, *, prefetch: int = 0, page_size: int = 100) -> BackendClient:
    """A client of ``srv`` that never retries (a hostile answer is final) and never sleeps."""
    return BackendClient(
        srv.url,
        api_token="canary-token",
        retries=0,
        prefetch=prefetch,
        page_size=page_size,
        sleep=lambda seconds: None,
    )


def bounded(fn: Callable[[], Any], seconds: float = 20.0) -> Any:
    """Run ``fn`` in a daemon thread; fail (rather than hang) if it does not return in time."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"the listing did not finish in {seconds} s: a pagination loop"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def capped(rows: Iterator[Any]) -> list[Any]:
    """At most ``CAP`` rows of ``rows``: a runaway iterator fails the test instead of hanging."""
    got = list(itertools.islice(rows, CAP))
    assert len(got) < CAP, "the listing ran away"
    return got


def ids(rows: list[Any]) -> list[int]:
    return [row["id"] if isinstance(row, dict) else row.id for row in rows]


#: Every way of listing all rows, on both APIs: name -> fn(client) -> the rows.
LISTINGS: dict[str, Callable[[BackendClient], list[Any]]] = {
    "typed-iterator": lambda c: capped(c.tasks.all().iterator()),
    "typed-list": lambda c: list(c.tasks.filter(project=1)),
    "typed-pages": lambda c: [t for p in itertools.islice(c.tasks.all().pages(), CAP) for t in p],
    "seed-list-all": lambda c: capped(iter(c.list_tasks(params={"project": 1}, list_all=True))),
}


def listing_of(kind: str, srv: HostileServer, prefetch: int, **client: Any) -> list[int]:
    with make_client(srv, prefetch=prefetch, **client) as client_:
        return ids(bounded(lambda: LISTINGS[kind](client_)))


# -- the server serves fewer rows than asked ---------------------------------------------------


@pytest.mark.parametrize("prefetch", [0, 4])
def test_seed_list_all_with_a_page_size_over_the_servers_cap_gets_every_row(
    hostile: HostileServer, prefetch: int
) -> None:
    FakeListing(hostile, 1506, cap=1000)
    with make_client(hostile, prefetch=prefetch) as client:
        rows = bounded(
            lambda: capped(iter(client.list_tasks(params={"page_size": 5000}, list_all=True)))
        )
    assert ids(rows) == list(range(1, 1507))


@pytest.mark.parametrize("prefetch", [0, 4])
@pytest.mark.parametrize("kind", sorted(LISTINGS))
def test_every_listing_adapts_to_a_cap_below_the_clients_page_size(
    hostile: HostileServer, kind: str, prefetch: int
) -> None:
    listing = FakeListing(hostile, 250, cap=40)
    assert listing_of(kind, hostile, prefetch) == list(range(1, 251))
    pages = [page for page, _ in listing.served]
    assert len(pages) == len(set(pages))  # no page fetched twice


@pytest.mark.parametrize("prefetch", [0, 4])
@pytest.mark.parametrize(("start", "stop"), [(1500, 1600), (1234, 1345), (30, 200), (0, 75)])
def test_slices_land_on_the_right_rows_under_a_cap(
    hostile: HostileServer, prefetch: int, start: int, stop: int
) -> None:
    FakeListing(hostile, 2000, cap=40)
    with make_client(hostile, prefetch=prefetch) as client:
        qs = client.tasks.all()
        got = bounded(lambda: [t.id for t in qs[start:stop]])
        one = bounded(lambda: qs[start].id)
    assert got == list(range(start + 1, stop + 1)) and one == start + 1


@pytest.mark.parametrize("prefetch", [0, 4])
def test_seed_page_param_means_the_callers_page_size_under_a_cap(
    hostile: HostileServer, prefetch: int
) -> None:
    # page 3 of 500-row pages starts at row 1,000, whatever size the server serves.
    FakeListing(hostile, 1506, cap=200)
    params = {"page": 3, "page_size": 500}
    with make_client(hostile, prefetch=prefetch) as client:
        rows = bounded(lambda: capped(iter(client.list_tasks(params=params, list_all=True))))
    assert ids(rows) == list(range(1001, 1507))


@pytest.mark.parametrize("prefetch", [0, 4])
def test_a_server_that_ignores_page_size_and_serves_more_rows(
    hostile: HostileServer, prefetch: int
) -> None:
    # The server always serves 100 rows a page, whatever was asked.
    def ignore_size(listing: FakeListing, body: dict[str, Any], page: int, size: int) -> Any:
        pages = -(-listing.n // 100)
        if page > pages:
            return {"count": listing.n, "next": None, "previous": None, "results": []}
        return {
            **body,
            "next": listing.link(page + 1) if page < pages else None,
            "results": listing.rows(page, 100),
        }

    FakeListing(hostile, 430, tamper=ignore_size, endless=True)
    with make_client(hostile, prefetch=prefetch, page_size=30) as client:
        every = bounded(lambda: [t.id for t in client.tasks.all().iterator()])
        sliced = bounded(lambda: [t.id for t in client.tasks.all()[250:275]])
    assert every == list(range(1, 431)) and sliced == list(range(251, 276))


def test_count_under_a_cap(hostile: HostileServer) -> None:
    FakeListing(hostile, 1506, cap=1000)
    with make_client(hostile) as client:
        assert client.tasks.all().count() == 1506
        assert client.tasks.all()[1500:].count() == 6


# -- resume attributes use the served size -------------------------------------------------------


def test_seed_resume_params_use_the_served_page_size(hostile: HostileServer) -> None:
    listing = FakeListing(hostile, 3500, cap=1000, fail_pages=(3,))
    with make_client(hostile) as client:
        params = {"page_size": 5000}
        rows = iter(client.list_tasks(params=params, list_all=True))
        got = [row["id"] for row in itertools.islice(rows, 2000)]
        with pytest.raises(ServerError) as info:
            next(rows)
        err = info.value
        assert err.page == 3 and err.resume_offset == 2000
        assert err.resume_params == {"page": 3, "page_size": 1000}
        listing.fail_pages.clear()
        resumed = client.list_tasks(params={**params, **err.resume_params}, list_all=True)
        got += bounded(lambda: [row["id"] for row in capped(iter(resumed))])
    assert got == list(range(1, 3501))


@pytest.mark.parametrize("prefetch", [0, 4])
def test_typed_resume_offset_uses_the_served_page_size(
    hostile: HostileServer, prefetch: int
) -> None:
    listing = FakeListing(hostile, 300, cap=40, fail_pages=(5,))
    with make_client(hostile, prefetch=prefetch) as client:
        qs = client.tasks.all()
        got: list[int] = []

        def walk() -> ClientError | None:
            try:
                got.extend(t.id for t in qs.iterator())
            except ClientError as exc:
                return exc
            return None

        err = bounded(walk)
        assert isinstance(err, ClientError)
        assert err.page == 5 and err.resume_offset == 160 == len(got)
        assert err.resume_params == {"page": 5, "page_size": 40}
        assert "queryset[160:]" in str(err)
        listing.fail_pages.clear()
        got += bounded(lambda: [t.id for t in qs[err.resume_offset :]])
    assert got == list(range(1, 301))


# -- page parameters checked before any I/O ------------------------------------------------------

BAD_SIZES: list[tuple[Any, type[Exception]]] = [
    (0, ValueError),
    (-1, ValueError),
    (10**12, ValueError),
    (True, TypeError),
    (1.5, TypeError),
    ("abc", ValueError),
    ("-5", ValueError),
    ([100], TypeError),
]


@pytest.mark.parametrize(("value", "error"), BAD_SIZES)
@pytest.mark.parametrize("key", ["page_size", "page"])
@pytest.mark.parametrize("list_all", [True, False])
def test_seed_refuses_bad_page_params_before_any_io(
    hostile: HostileServer, key: str, value: Any, error: type[Exception], list_all: bool
) -> None:
    FakeListing(hostile, 10)
    with make_client(hostile) as client, pytest.raises(error, match=key):
        rows = client.list_tasks(params={key: value}, list_all=list_all)
        list(itertools.islice(iter(rows), 5)) if list_all else None
    assert hostile.journal == []


@pytest.mark.parametrize("value", [0, -1, True, 1.5, 5000])
def test_typed_refuses_bad_page_sizes_before_any_io(hostile: HostileServer, value: Any) -> None:
    FakeListing(hostile, 10)
    with make_client(hostile) as client:
        with pytest.raises((TypeError, ValueError), match="page_size"):
            client.tasks.all().options(page_size=value)
        with pytest.raises((TypeError, ValueError), match="page_size"):
            client.with_options(page_size=value)
        with pytest.raises((TypeError, ValueError), match="page_size"):
            BackendClient(hostile.url, page_size=value)
    assert hostile.journal == []


def test_seed_accepts_page_params_as_digit_strings(hostile: HostileServer) -> None:
    FakeListing(hostile, 45)
    with make_client(hostile) as client:
        rows = bounded(
            lambda: capped(
                iter(client.list_tasks(params={"page": "2", "page_size": "20"}, list_all=True))
            )
        )
        first = client.list_tasks(params={"page": "2", "page_size": "20"})
    assert ids(rows) == list(range(21, 46)) and ids(first["results"]) == list(range(21, 41))

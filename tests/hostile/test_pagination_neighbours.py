"""Neighbouring attacks on pagination: the variations next to findings 4, 7 and 10b.

Links that change the page size, servers whose page size keeps changing, absurd counts, slices
past the end under a cap, unpaginated (bare list) answers, a ``next`` that 404s, one huge page.
"""

from __future__ import annotations

from typing import Any

import pytest
from hostile_server import Conn, HostileServer, Request
from test_pagination import LISTINGS, PATH, FakeListing, bounded, ids, make_client

from synapse_sdk import NotFoundError, ResponseValidationError

KINDS = sorted(LISTINGS)


@pytest.mark.parametrize("prefetch", [0, 4])
@pytest.mark.parametrize("kind", KINDS)
def test_a_next_link_that_changes_the_page_size_keeps_rows_right(
    hostile: HostileServer, kind: str, prefetch: int
) -> None:
    # Page 1's next asks for page 2 of 1-row pages (row 1, already delivered): the walk notices
    # the 1-row page, re-plans from row 100 and goes on in the new size.
    def tiny(listing: FakeListing, body: dict[str, Any], page: int, size: int) -> None:
        if page == 1:
            body["next"] = listing.link(2, page_size="1")

    FakeListing(hostile, 130, tamper=tiny)
    with make_client(hostile, prefetch=prefetch) as client:
        assert ids(bounded(lambda: LISTINGS[kind](client))) == list(range(1, 131))


@pytest.mark.parametrize("prefetch", [0, 4])
@pytest.mark.parametrize("kind", KINDS)
def test_a_server_whose_page_size_keeps_changing_is_refused(
    hostile: HostileServer, kind: str, prefetch: int
) -> None:
    # Odd pages hold 10 rows, even pages 20, whatever was asked: no page numbering fits.
    def flip(listing: FakeListing, body: dict[str, Any], page: int, size: int) -> Any:
        served = 10 if page % 2 else 20
        return {**body, "results": listing.rows(page, served), "next": listing.link(page + 1)}

    listing = FakeListing(hostile, 10**6, tamper=flip, count=False)
    with (
        make_client(hostile, prefetch=prefetch) as client,
        pytest.raises(ResponseValidationError, match="page size") as info,
    ):
        bounded(lambda: LISTINGS[kind](client))
    assert info.value.path == "results" and listing.requests <= 12


@pytest.mark.parametrize("prefetch", [0, 4])
@pytest.mark.parametrize("kind", KINDS)
def test_an_absurd_count_does_not_run_away(
    hostile: HostileServer, kind: str, prefetch: int
) -> None:
    def absurd(listing: FakeListing, body: dict[str, Any], page: int, size: int) -> None:
        body["count"] = 10**18

    listing = FakeListing(hostile, 250, tamper=absurd)
    with make_client(hostile, prefetch=prefetch) as client:
        assert ids(bounded(lambda: LISTINGS[kind](client))) == list(range(1, 251))
    assert listing.requests <= 3 + prefetch


@pytest.mark.parametrize("prefetch", [0, 4])
def test_slices_past_the_end_under_a_cap(hostile: HostileServer, prefetch: int) -> None:
    listing = FakeListing(hostile, 500, cap=40)
    with make_client(hostile, prefetch=prefetch) as client:
        qs = client.tasks.all()
        assert bounded(lambda: list(qs[1500:1600])) == []
        assert listing.requests <= 3  # the 404 page, page 1 (the served size), the 404 page
        assert bounded(lambda: [t.id for t in qs[480:]]) == list(range(481, 501))
        with pytest.raises(IndexError):
            bounded(lambda: qs[500])


@pytest.mark.parametrize("prefetch", [0, 4])
@pytest.mark.parametrize("kind", KINDS)
def test_an_unpaginated_bare_list_answer_is_one_complete_page(
    hostile: HostileServer, kind: str, prefetch: int
) -> None:
    rows = [{"id": i, "project": 1} for i in range(1, 31)]
    hostile.json(PATH, rows)
    with make_client(hostile, prefetch=prefetch) as client:
        assert ids(bounded(lambda: LISTINGS[kind](client))) == list(range(1, 31))
        assert bounded(lambda: [t.id for t in client.tasks.all()[5:10]]) == [6, 7, 8, 9, 10]
    assert len(hostile.journal) == 2  # one request per listing: no page 2 is asked for


def test_a_next_link_that_404s_is_a_resumable_not_found(hostile: HostileServer) -> None:
    def gone(listing: FakeListing, body: dict[str, Any], page: int, size: int) -> None:
        if page == 1:
            body["next"] = f"{listing.srv.url}/sdk/tasks-gone/?page=2"

    FakeListing(hostile, 250, tamper=gone)
    with make_client(hostile) as client, pytest.raises(NotFoundError) as info:
        bounded(lambda: [t.id for t in client.tasks.all().iterator()])
    err = info.value
    assert err.page == 2 and err.resume_offset == 100


@pytest.mark.parametrize("prefetch", [0, 4])
@pytest.mark.parametrize("kind", KINDS)
def test_one_huge_last_page_is_trusted(hostile: HostileServer, kind: str, prefetch: int) -> None:
    # The server ignores page_size and answers everything at once, without a next link.
    def everything(conn: Conn, req: Request) -> bool:
        rows = [{"id": i, "project": 1} for i in range(1, 5001)]
        conn.send_json({"count": 5000, "next": None, "previous": None, "results": rows})
        return True

    hostile.route(PATH, everything)
    with make_client(hostile, prefetch=prefetch) as client:
        assert ids(bounded(lambda: LISTINGS[kind](client))) == list(range(1, 5001))
        assert bounded(lambda: [t.id for t in client.tasks.all()[4990:]]) == list(range(4991, 5001))

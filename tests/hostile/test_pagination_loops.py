"""Pagination that never ends (finding 7): ``next`` links that go nowhere, empty pages, counts that
lie and pages that repeat.

Without ``count``, a ``next`` pointing at the same page (or ``"next": ""``, which was read as "the
first page again") made ``list(qs)`` run forever. Now a ``next`` must advance to the following
page, an empty page may not promise more, the walk is bounded by the first page's ``count`` (plus
a margin), and a page that repeats an earlier page's rows stops the walk; each raises
``ResponseValidationError`` naming the page, with the resume attributes. Every listing here runs
under :func:`bounded` and the server's request budget, so a regression fails instead of hanging.
"""

from __future__ import annotations

from typing import Any

import pytest
from hostile_server import HostileServer
from test_pagination import LISTINGS, PATH, FakeListing, bounded, ids, make_client

from synapse_sdk import ResponseValidationError

KINDS = sorted(LISTINGS)


def refused(
    kind: str, srv: HostileServer, prefetch: int, path: str, **client: Any
) -> ResponseValidationError:
    """Run listing ``kind``; it must raise ``ResponseValidationError`` at ``path``."""
    with (
        make_client(srv, prefetch=prefetch, **client) as client_,
        pytest.raises(ResponseValidationError) as info,
    ):
        bounded(lambda: LISTINGS[kind](client_))
    err = info.value
    assert err.path == path, str(err)
    return err


def set_next(link: Any, on_page: int | None = None) -> Any:
    """A tamper hook that replaces ``next`` (on every page, or on page ``on_page``)."""

    def tamper(listing: FakeListing, body: dict[str, Any], page: int, size: int) -> None:
        if on_page is None or page == on_page:
            body["next"] = link(listing, page) if callable(link) else link

    return tamper


# -- next links that do not advance ------------------------------------------------------------


@pytest.mark.parametrize("prefetch", [0, 4])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("count", [False, True])
def test_next_pointing_at_the_same_page_is_refused(
    hostile: HostileServer, kind: str, prefetch: int, count: bool
) -> None:
    listing = FakeListing(
        hostile, 250, count=count, tamper=set_next(lambda lst, page: lst.link(page))
    )
    err = refused(kind, hostile, prefetch, "next")
    assert err.page == 2 and err.resume_offset == 100  # page 1 was delivered
    assert err.resume_params == {"page": 2, "page_size": 100}
    assert "page 1" in str(err) and "does not advance" in str(err)
    assert listing.requests <= 6


@pytest.mark.parametrize("prefetch", [0, 4])
@pytest.mark.parametrize("kind", KINDS)
def test_empty_next_is_refused(hostile: HostileServer, kind: str, prefetch: int) -> None:
    listing = FakeListing(hostile, 250, count=False, tamper=set_next(""))
    err = refused(kind, hostile, prefetch, "next")
    assert err.page == 2 and err.resume_offset == 100
    assert listing.requests <= 6


@pytest.mark.parametrize("prefetch", [0, 4])
@pytest.mark.parametrize("kind", KINDS)
def test_next_back_to_an_earlier_page_is_refused(
    hostile: HostileServer, kind: str, prefetch: int
) -> None:
    listing = FakeListing(hostile, 500, count=False, tamper=set_next(lambda lst, p: lst.link(1), 3))
    err = refused(kind, hostile, prefetch, "next")
    assert err.page == 4 and err.resume_offset == 300 and "page 3" in str(err)
    assert listing.requests <= 8


@pytest.mark.parametrize("prefetch", [0, 4])
@pytest.mark.parametrize("kind", KINDS)
def test_next_to_the_first_page_without_a_page_number_is_refused(
    hostile: HostileServer, kind: str, prefetch: int
) -> None:
    # DRF's link to page 1 has no page parameter: following it would list page 1 again.
    first = lambda lst, page: f"{lst.srv.url}{PATH}?page_size=100"  # noqa: E731
    listing = FakeListing(hostile, 500, count=False, tamper=set_next(first, 2))
    err = refused(kind, hostile, prefetch, "results")
    assert err.page == 3 and err.resume_offset == 200 and "repeat" in str(err)
    assert listing.requests <= 8


@pytest.mark.parametrize("prefetch", [0, 4])
@pytest.mark.parametrize("kind", KINDS)
def test_next_that_skips_pages_is_refused(hostile: HostileServer, kind: str, prefetch: int) -> None:
    listing = FakeListing(
        hostile, 500, count=False, tamper=set_next(lambda lst, p: lst.link(p + 3))
    )
    err = refused(kind, hostile, prefetch, "next")
    assert err.page == 2 and "skips" in str(err)
    assert listing.requests <= 6


# -- empty pages, counts that lie, repeated pages -------------------------------------------------


@pytest.mark.parametrize("prefetch", [0, 4])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("count", [False, True])
def test_an_endless_chain_of_empty_pages_is_refused(
    hostile: HostileServer, kind: str, prefetch: int, count: bool
) -> None:
    listing = FakeListing(hostile, 200, count=count, endless=True)
    err = refused(kind, hostile, prefetch, "results")
    assert err.page == 3 and err.resume_offset == 200 and "empty" in str(err)
    assert listing.requests <= 8


@pytest.mark.parametrize("prefetch", [0, 4])
@pytest.mark.parametrize("kind", KINDS)
def test_more_rows_than_count_promised_is_bounded(
    hostile: HostileServer, kind: str, prefetch: int
) -> None:
    def low_count(listing: FakeListing, body: dict[str, Any], page: int, size: int) -> None:
        body["count"] = 250

    listing = FakeListing(hostile, 10**7, tamper=low_count, max_requests=60)
    err = refused(kind, hostile, prefetch, "count")
    assert "250" in str(err) and err.page is not None and err.page <= 6
    assert listing.requests <= 12


@pytest.mark.parametrize("prefetch", [0, 4])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("later_count", [0, 10, 10**9])
def test_a_count_that_changes_mid_walk_trusts_the_rows(
    hostile: HostileServer, kind: str, prefetch: int, later_count: int
) -> None:
    def drift(listing: FakeListing, body: dict[str, Any], page: int, size: int) -> None:
        if page > 1:
            body["count"] = later_count

    FakeListing(hostile, 300, tamper=drift)
    with make_client(hostile, prefetch=prefetch) as client:
        assert ids(bounded(lambda: LISTINGS[kind](client))) == list(range(1, 301))


@pytest.mark.parametrize("prefetch", [0, 4])
@pytest.mark.parametrize("kind", KINDS)
def test_a_first_count_slightly_low_still_follows_next_to_the_end(
    hostile: HostileServer, kind: str, prefetch: int
) -> None:
    # Rows added while listing: page 1 said 180, the walk finds 300 (within the margin).
    def grew(listing: FakeListing, body: dict[str, Any], page: int, size: int) -> None:
        if page == 1:
            body["count"] = 180

    FakeListing(hostile, 300, tamper=grew)
    with make_client(hostile, prefetch=prefetch) as client:
        assert ids(bounded(lambda: LISTINGS[kind](client))) == list(range(1, 301))


@pytest.mark.parametrize("prefetch", [0, 4])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("count", [False, True])
def test_a_server_that_ignores_the_page_number_is_refused(
    hostile: HostileServer, kind: str, prefetch: int, count: bool
) -> None:
    def always_first(listing: FakeListing, body: dict[str, Any], page: int, size: int) -> None:
        body["results"] = listing.rows(1, size)

    listing = FakeListing(hostile, 10**6, count=count, tamper=always_first, endless=True)
    err = refused(kind, hostile, prefetch, "results")
    assert err.page == 2 and err.resume_offset == 100 and "repeat" in str(err)
    assert listing.requests <= 8


def test_count_with_no_count_and_a_looping_next_is_refused(hostile: HostileServer) -> None:
    FakeListing(hostile, 250, count=False, tamper=set_next(lambda lst, page: lst.link(page)))
    with make_client(hostile) as client, pytest.raises(ResponseValidationError) as info:
        bounded(lambda: client.tasks.all().count())
    assert info.value.path == "next"


@pytest.mark.parametrize("prefetch", [0, 4])
def test_a_row_shifted_across_a_page_boundary_is_passed_through(
    hostile: HostileServer, prefetch: int
) -> None:
    # An insert at the front between two page requests shifts rows by one: page 2 starts with
    # page 1's last row. Offset pagination cannot avoid that; the SDK does not dedupe rows.
    def shifted(listing: FakeListing, body: dict[str, Any], page: int, size: int) -> None:
        if page == 2:
            body["results"] = [listing.rows(1, size)[-1], *body["results"][:-1]]

    FakeListing(hostile, 250, tamper=shifted)
    with make_client(hostile, prefetch=prefetch) as client:
        got = bounded(lambda: [t.id for t in client.tasks.all().iterator()])
    assert got == [*range(1, 101), 100, *range(101, 200), *range(201, 251)]

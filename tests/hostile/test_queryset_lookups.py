"""What a hostile (or older) server can do to the Django-style queryset calls: ignore ``id__in``
or ``?fields=``, change or fake its ``count``. The listing is ``FakeListing`` of
test_pagination.py: it honours paging and ignores every filter."""

from __future__ import annotations

from typing import Any

import pytest
from hostile_server import HostileServer
from test_pagination import FakeListing, bounded, make_client

from synapse_sdk import ResponseValidationError


def test_in_bulk_refuses_a_server_that_ignores_id_in_after_one_bounded_request(
    hostile: HostileServer,
) -> None:
    listing = FakeListing(hostile, n=5000)
    with (
        make_client(hostile) as client,
        pytest.raises(ResponseValidationError, match="ignores the id__in filter"),
    ):
        bounded(lambda: client.tasks.in_bulk([4000, 4001]))
    assert listing.requests == 1  # one page of 2 rows, not a walk over 5000 rows


def test_in_bulk_keeps_only_asked_ids_when_the_server_honours_them(
    hostile: HostileServer,
) -> None:
    def only_asked(listing: FakeListing, body: dict[str, Any], page: int, size: int) -> Any:
        return {**body, "count": 1, "next": None, "results": [{"id": 3, "project": 1}]}

    listing = FakeListing(hostile, n=50, tamper=only_asked)
    with make_client(hostile) as client:
        found = bounded(lambda: client.tasks.in_bulk([3, 4]))
    assert list(found) == [3] and listing.requests == 1


def test_count_reports_what_the_server_says_now_and_refuses_a_bad_count(
    hostile: HostileServer,
) -> None:
    counts = iter([7, 9, -1])

    def recount(listing: FakeListing, body: dict[str, Any], page: int, size: int) -> Any:
        return {**body, "count": next(counts)}

    FakeListing(hostile, n=3, tamper=recount)
    with make_client(hostile) as client:
        qs = client.tasks.all()
        assert bounded(qs.count) == 7
        assert bounded(qs.count) == 9  # asked again, not remembered
        with pytest.raises(ResponseValidationError):
            bounded(qs.count)


def test_values_keep_only_the_asked_fields_when_the_server_ignores_fields(
    hostile: HostileServer,
) -> None:
    def fat_rows(listing: FakeListing, body: dict[str, Any], page: int, size: int) -> Any:
        rows = [{**row, "status": "pending", "secret": "x"} for row in body["results"]]
        return {**body, "results": rows}

    FakeListing(hostile, n=3, tamper=fat_rows)
    with make_client(hostile) as client:
        rows = bounded(lambda: list(client.tasks.values("id", "project_id")))
        flat = bounded(lambda: list(client.tasks.values_list("status", flat=True)))
    assert rows == [{"id": i, "project_id": 1} for i in (1, 2, 3)]
    assert flat == ["pending"] * 3

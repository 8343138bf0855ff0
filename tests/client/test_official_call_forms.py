"""The official v1 client's call forms, against the local backend: where the official client
returns or takes something the seed does not, the seed API accepts the official form too (the
migration is in docs/seed-api.md, "Migrating from the official client")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from synapse_sdk.clients.backend import BackendClient, ListAllRows
from synapse_sdk.devserver import LocalBackend

# -- list_*(list_all=True): the lazy iterator carries the count ---------------------------------


def test_list_all_count_replaces_the_official_tuple(
    client: BackendClient, synapse_backend: LocalBackend, demo: dict[str, Any]
) -> None:
    query = {"project": demo["project"], "page_size": 2}
    total = client.list_tasks(query)["count"]
    assert total > 2  # more than one page
    synapse_backend.journal.clear()
    rows = client.list_tasks(query, list_all=True)
    assert isinstance(rows, Iterator) and isinstance(rows, ListAllRows)
    assert synapse_backend.journal.entries() == []  # lazy: nothing sent yet
    assert rows.count == total and len(rows) == total
    assert type(rows.count) is int
    assert len(synapse_backend.journal.entries()) == 1  # the first page, read once
    ids = [row["id"] for row in rows]
    assert len(ids) == total == len(set(ids))
    # The first page the count came from is the walk's own: page 1 was fetched once.
    firsts = [e for e in synapse_backend.journal.entries() if "page=" not in e.query]
    assert len(firsts) == 1
    assert rows.count == total  # kept after the walk


def test_list_all_count_after_reading_sends_nothing_more(
    client: BackendClient, synapse_backend: LocalBackend, demo: dict[str, Any]
) -> None:
    rows = client.list_tasks({"project": demo["project"], "page_size": 2}, list_all=True)
    first = next(rows)
    sent = len(synapse_backend.journal.entries())
    assert rows.count >= 1 and len(synapse_backend.journal.entries()) == sent
    assert first["id"] not in [row["id"] for row in rows]


def test_list_of_list_all_rows_costs_no_extra_request(
    client: BackendClient, synapse_backend: LocalBackend, demo: dict[str, Any]
) -> None:
    every = client.list_tasks({"project": demo["project"]})
    synapse_backend.journal.clear()
    rows = client.list_tasks({"project": demo["project"]}, list_all=True)
    assert bool(rows) and synapse_backend.journal.entries() == []  # truthiness sends nothing
    listed = list(rows)  # list() asks len() first
    assert [row["id"] for row in listed] == [row["id"] for row in every["results"]]
    assert len(synapse_backend.journal.entries()) == 1


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.list_tasks(list_all=True),
        lambda c: c.list_assignments(list_all=True),
        lambda c: c.list_ground_truth_events(list_all=True),
        lambda c: c.list_tasks_data(list_all=True),
        lambda c: c.list_tasks_files(list_all=True),
        lambda c: c.list_assignments_data(list_all=True),
        lambda c: c.list_assignments_files(list_all=True),
        lambda c: c.list_data_units(list_all=True),
        lambda c: c.list_ground_truth_events_data(list_all=True),
        lambda c: c.list_ground_truth_events_files(list_all=True),
        lambda c: c.list_tasks(list_all=True, url_conversion={"files": str.upper}),
    ],
)
def test_every_list_all_has_a_count(
    client: BackendClient, synapse_backend: LocalBackend, call: Any
) -> None:
    rows = call(client)
    assert synapse_backend.journal.entries() == []
    count = rows.count
    assert count == len(rows) == len(list(rows))
    assert len(synapse_backend.journal.entries()) >= 1


def test_empty_listing_counts_zero(client: BackendClient) -> None:
    rows = client.list_tasks({"project": 10**9}, list_all=True)
    assert rows.count == 0 and len(rows) == 0 and list(rows) == []


def test_list_all_bad_page_size_still_refused_before_io(
    client: BackendClient, synapse_backend: LocalBackend
) -> None:
    with pytest.raises((TypeError, ValueError)):
        client.list_tasks({"page_size": 0}, list_all=True)
    assert synapse_backend.journal.entries() == []

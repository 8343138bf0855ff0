"""Long listings under page faults: every row once, in order; a page that keeps failing names
itself and how to resume.

Target (guides/reliability.md): 50,000 rows with 2 % transient page faults -> 50,000 unique rows
in order. The full-size run (~20 s: creating 50,000 rows over HTTP is half of it) runs with
``--soak``; the default run lists 10,000 rows at the SDK's default page size (about 200 page
requests for the two walks, typed iteration with prefetch and the seed's list_all), which puts
more page requests under fault than the full-size run at 1,000 rows a page does.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from reliability_support import make_client

from synapse_sdk import ClientError, ServerError
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend

ROWS = 10_000
PAGE = 500


def add_rows(client: BackendClient, project: int, unit: int, rows: int) -> None:
    """Create ``rows`` tasks in ``project``, 1,000 per request."""
    while rows > 0:
        batch = min(rows, 1000)
        client.create_tasks({"project": project, "data": [{"data_unit": unit}] * batch})
        rows -= batch


def expected_ids(backend: LocalBackend, project: int) -> list[int]:
    """The ids the server holds for ``project``, in the listing's default order (by id)."""
    return sorted(t["id"] for t in backend.store.all("tasks", 1) if t["project"] == project)


@pytest.fixture(scope="module")
def listing(module_backend: LocalBackend) -> dict[str, Any]:
    """The module backend with ROWS more tasks in the demo's second project."""
    project = module_backend.demo["projects"][1]
    client, _ = make_client(module_backend)
    try:
        add_rows(client, project, module_backend.demo["data_units"][0], ROWS)
    finally:
        client.close()
    return {"project": project, "ids": expected_ids(module_backend, project)}


def page_faults(backend: LocalBackend, share: float, seed: int) -> None:
    """``share`` of list requests hit by a transient fault (four kinds, equal parts)."""
    kinds: list[tuple[str, dict[str, Any]]] = [
        ("reset_before", {}),
        ("reset_after", {}),
        ("status", {"status": 503}),
        ("truncate", {}),
    ]
    part = 1 - (1 - share) ** (1 / len(kinds))
    for offset, (kind, params) in enumerate(kinds):
        backend.faults.add(
            kind,
            method="GET",
            path="sdk/tasks/",
            times=None,
            probability=part,
            seed=seed + offset,
            **params,
        )


def test_long_listing_with_page_faults_keeps_every_row_once_in_order(
    backend: LocalBackend, listing: dict[str, Any], clients: Any
) -> None:
    # The SDK's default page size (100): 101 pages per walk.
    client, _ = clients(prefetch=4)
    project, expected = listing["project"], listing["ids"]
    page_faults(backend, 0.02, seed=11)
    started = time.monotonic()
    typed = [t.id for t in client.tasks.filter(project=project).iterator()]
    seed = [row["id"] for row in client.list_tasks(params={"project": project}, list_all=True)]
    elapsed = time.monotonic() - started
    hits = sum(1 for e in backend.journal.entries() if e.fault)
    assert typed == expected and seed == expected
    assert len(set(typed)) == len(expected) == ROWS + 1
    assert hits >= 3  # 2 % of ~200 page requests
    print(
        f"\n2 x {len(expected)} rows, {len(backend.journal.entries())} page requests, "
        f"{hits} faults, {elapsed:.1f} s"
    )


# -- a page that keeps failing: which page, and how to resume ------------------------------------


def take(rows: Iterator[Any], n: int) -> list[Any]:
    return [next(rows) for _ in range(n)]


def test_typed_listing_names_the_failed_page_and_resumes_from_it(
    backend: LocalBackend, listing: dict[str, Any], clients: Any
) -> None:
    client, sleeps = clients(page_size=PAGE, prefetch=0)
    qs = client.tasks.filter(project=listing["project"])
    rows = qs.iterator()
    got = [t.id for t in take(rows, 3 * PAGE)]  # pages 1-3 delivered
    backend.faults.add("status", method="GET", path="sdk/tasks/", status=503, times=None)
    with pytest.raises(ServerError) as info:
        next(rows)
    err = info.value
    assert err.page == 4  # type: ignore[attr-defined]
    assert err.resume_offset == 3 * PAGE  # type: ignore[attr-defined]
    assert err.resume_params == {"page": 4, "page_size": PAGE}  # type: ignore[attr-defined]
    assert "page 4" in str(err) and f"queryset[{3 * PAGE}:]" in str(err)
    assert len(sleeps.sleeps) == 3  # the page was retried before giving up
    backend.faults.clear()
    got += [t.id for t in qs[err.resume_offset :].iterator()]  # type: ignore[attr-defined]
    assert got == listing["ids"]


def test_prefetched_listing_names_the_failed_page_and_resumes_from_it(
    backend: LocalBackend, listing: dict[str, Any], clients: Any
) -> None:
    client, _ = clients(page_size=PAGE, prefetch=4)
    qs = client.tasks.filter(project=listing["project"])
    rows = qs.iterator()
    got = [t.id for t in take(rows, 3 * PAGE)]
    backend.faults.add("reset_before", method="GET", path="sdk/tasks/", times=None)
    with pytest.raises(ClientError) as info:
        for task in rows:  # pages already fetched ahead are still delivered
            got.append(task.id)
    err = info.value
    page = err.page  # type: ignore[attr-defined]
    assert 4 <= page <= 8 and err.resume_offset == (page - 1) * PAGE  # type: ignore[attr-defined]
    assert len(got) == (page - 1) * PAGE
    backend.faults.clear()
    got += [t.id for t in qs[err.resume_offset :]]  # type: ignore[attr-defined]
    assert got == listing["ids"]


def test_seed_list_all_names_the_failed_page_and_resumes_from_it(
    backend: LocalBackend, listing: dict[str, Any], clients: Any
) -> None:
    client, _ = clients(prefetch=0)
    params = {"project": listing["project"], "page_size": PAGE}
    rows = iter(client.list_tasks(params=params, list_all=True))
    got = [row["id"] for row in take(rows, 5 * PAGE)]
    backend.faults.add("html", method="GET", path="sdk/tasks/", status=502, times=None)
    with pytest.raises(ServerError) as info:
        next(rows)
    err = info.value
    assert err.page == 6 and err.resume_params == {"page": 6, "page_size": PAGE}  # type: ignore[attr-defined]
    assert "'page': 6" in str(err) and "list_all=True" in str(err)
    backend.faults.clear()
    resumed = client.list_tasks(params={**params, **err.resume_params}, list_all=True)  # type: ignore[attr-defined]
    got += [row["id"] for row in resumed]
    assert got == listing["ids"]


# -- a page size over the server's cap (the local backend caps at 1,000, like DRF setups) --------


@pytest.mark.parametrize("prefetch", [0, 4])
def test_seed_page_size_over_the_servers_cap_keeps_every_row_and_resumes_in_the_served_size(
    backend: LocalBackend, listing: dict[str, Any], clients: Any, prefetch: int
) -> None:
    client, _ = clients(prefetch=prefetch)
    expected = listing["ids"]
    params = {"project": listing["project"], "page_size": 5000}
    assert [r["id"] for r in client.list_tasks(params=params, list_all=True)] == expected
    # page 2 of 5,000-row pages starts at row 5,000, whatever the server serves
    later = client.list_tasks(params={**params, "page": 2}, list_all=True)
    assert [r["id"] for r in later] == expected[5000:]
    rows = iter(client.list_tasks(params=params, list_all=True))
    got = [row["id"] for row in take(rows, 3000)]
    backend.faults.add("status", method="GET", path="sdk/tasks/", status=503, times=None)
    with pytest.raises(ServerError) as info:
        for row in rows:  # pages fetched ahead are still delivered
            got.append(row["id"])
    err = info.value
    page = err.page  # type: ignore[attr-defined]
    assert err.resume_params == {"page": page, "page_size": 1000}  # type: ignore[attr-defined]
    assert len(got) == err.resume_offset == (page - 1) * 1000  # type: ignore[attr-defined]
    backend.faults.clear()
    resumed = client.list_tasks(params={**params, **err.resume_params}, list_all=True)  # type: ignore[attr-defined]
    got += [row["id"] for row in resumed]
    assert got == expected


def test_first_page_errors_are_left_plain(
    backend: LocalBackend, listing: dict[str, Any], clients: Any
) -> None:
    client, _ = clients(retries=0)
    backend.faults.add("status", method="GET", path="sdk/tasks/", status=500)
    with pytest.raises(ServerError) as info:
        list(client.tasks.filter(project=listing["project"]))
    assert info.value.page is None and "interrupted" not in str(info.value)


# -- the full-size run ----------------------------------------------------------------------------


@pytest.mark.soak
@pytest.mark.slow
def test_50000_rows_with_2_percent_page_faults(synapse_backend: LocalBackend) -> None:
    rows = int(os.environ.get("SYNAPSE_LISTING_ROWS", "50000"))
    backend = synapse_backend
    project = backend.demo["projects"][1]
    client, _ = make_client(backend, page_size=1000, prefetch=4)
    try:
        started = time.monotonic()
        add_rows(client, project, backend.demo["data_units"][0], rows)
        created = time.monotonic() - started
        expected = expected_ids(backend, project)
        backend.journal.clear()
        page_faults(backend, 0.02, seed=5)
        started = time.monotonic()
        typed = [t.id for t in client.tasks.filter(project=project).iterator()]
        typed_s = time.monotonic() - started
        seed = [r["id"] for r in client.list_tasks(params={"project": project}, list_all=True)]
        total_s = time.monotonic() - started
    finally:
        client.close()
    hits = sum(1 for e in backend.journal.entries() if e.fault)
    assert typed == expected and seed == expected and len(set(seed)) == rows + 1
    print(
        f"\n{rows + 1} rows: created in {created:.1f} s; typed walk {typed_s:.1f} s, both walks "
        f"{total_s:.1f} s; {len(backend.journal.entries())} page requests, {hits} faults"
    )

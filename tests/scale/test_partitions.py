"""``qs.partitions()`` against the local backend: every id exactly once, bounds checked,
picklable without a token, resumable, and a page-range fallback with a warning."""

from __future__ import annotations

import itertools
import pickle
from collections import Counter

import pytest

from synapse_sdk import Partition, PartitionBoundsError, PartitionWarning, ServerError
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend


def read_ids(parts: list[Partition[object]]) -> list[int]:
    return [int(getattr(obj, "id")) for part in parts for obj in part]  # noqa: B009


@pytest.mark.parametrize("plan", ["span", "scan"])
def test_every_id_of_the_listing_exactly_once(
    big_client: BackendClient, project: int, task_ids: list[int], plan: str
) -> None:
    parts = big_client.tasks.filter(project=project).partitions(size=700, plan=plan, page_size=300)
    ids = read_ids(parts)  # type: ignore[arg-type]
    assert Counter(ids) == Counter(task_ids)
    assert ids == sorted(ids)
    for a, b in itertools.pairwise(parts):
        assert a.upto == b.after
    if plan == "scan":
        counts = [len(part.fetch()) for part in parts]
        assert all(c == 700 for c in counts[:-1]) and 0 < counts[-1] <= 700


def test_span_plan_costs_two_small_requests(
    backend: LocalBackend, big_client: BackendClient, project: int, task_ids: list[int]
) -> None:
    backend.journal.clear()
    parts = big_client.tasks.filter(project=project).partitions(size=1000)
    listed = [e for e in backend.journal.entries() if e.method == "GET"]
    assert len(listed) == 2
    assert parts[0].after == task_ids[0] - 1 and parts[-1].upto == task_ids[-1]


def test_filters_and_only_travel_with_the_partition(
    big_client: BackendClient, project: int, task_ids: list[int]
) -> None:
    qs = big_client.tasks.filter(project=project, id__gt=task_ids[100]).only("id", "status")
    parts = qs.partitions(size=500)
    assert parts[0].filters["project"] == project
    ids = read_ids(parts)  # type: ignore[arg-type]
    assert ids == task_ids[101:]


def test_empty_listing_has_no_partitions(big_client: BackendClient) -> None:
    assert big_client.tasks.filter(project=999_999).partitions(size=10) == []


def test_a_partition_pickles_without_the_token_and_binds(
    backend: LocalBackend, big_client: BackendClient, project: int, task_ids: list[int]
) -> None:
    part = big_client.tasks.filter(project=project).partitions(size=400)[1]
    data = pickle.dumps(part)
    assert backend.api_token.encode() not in data
    back = pickle.loads(data)
    assert back.base_url == backend.url and back.credentials == "env"
    assert [t.id for t in back.bind(big_client)] == [t.id for t in part]


def test_a_backend_ignoring_id_gt_fires_the_bounds_error() -> None:
    with (
        LocalBackend(seed="demo", ignore_filters={"id__gt"}) as bad,
        BackendClient(bad.url, api_token=bad.api_token) as c,
    ):
        parts = c.tasks.all().partitions(size=2, page_size=1)
        assert len(parts) >= 2
        with pytest.raises(PartitionBoundsError, match="ignores id__gt"):
            list(parts[1])


def test_a_backend_ignoring_id_lte_fires_the_bounds_error() -> None:
    with (
        LocalBackend(seed="demo", ignore_filters=["id__lte"]) as bad,
        BackendClient(bad.url, api_token=bad.api_token) as c,
    ):
        first = c.tasks.all().partitions(size=1)[0]
        with pytest.raises(PartitionBoundsError, match="outside the range"):
            list(first)


def test_ignore_filters_takes_names() -> None:
    with pytest.raises(TypeError, match="ignore_filters"):
        LocalBackend(ignore_filters="id__gt")


def test_five_percent_502s_on_list_pages_lose_and_repeat_nothing(
    backend: LocalBackend, big_client: BackendClient, project: int, task_ids: list[int]
) -> None:
    parts = big_client.tasks.filter(project=project).partitions(size=500, page_size=50)
    backend.faults.add(
        "status", method="GET", path="sdk/tasks/", status=502, times=None, probability=0.05,
        seed=7,
    )  # fmt: skip
    ids = read_ids(parts)  # type: ignore[arg-type]
    assert Counter(ids) == Counter(task_ids)
    assert backend.faults.list()[0].hits > 0


def test_a_page_failing_past_its_retries_says_where_to_resume(
    backend: LocalBackend, big_client: BackendClient, project: int, task_ids: list[int]
) -> None:
    part = big_client.tasks.filter(project=project).partitions(size=5000, page_size=100)[0]
    rows = part.rows()
    got = [next(rows).id for _ in range(100)]  # the first page
    backend.faults.add("status", method="GET", path="sdk/tasks/", status=502, times=50)
    with pytest.raises(ServerError) as info:
        got.extend(t.id for t in rows)
    after = info.value.resume_after  # type: ignore[attr-defined]
    assert after == got[-1]
    backend.faults.clear()
    rest = [t.id for t in part.resume(after)]
    assert got + rest == task_ids


def test_resume_checks_the_bound(big_client: BackendClient, project: int) -> None:
    part = big_client.tasks.filter(project=project).partitions(size=100)[0]
    assert part.upto is not None
    with pytest.raises(ValueError, match="outside the partition"):
        part.resume(part.upto + 1)


def test_families_without_id_ranges_fall_back_to_row_offsets(big_client: BackendClient) -> None:
    with pytest.warns(PartitionWarning, match="row-offset"):
        parts = big_client.projects.all().partitions(size=1)
    assert [p.offsets for p in parts] == [(0, 1), (1, 2)]
    assert sorted(p.id for part in parts for p in part) == sorted(
        p.id for p in big_client.projects.all()
    )


def test_bad_arguments_are_refused_before_any_io(
    backend: LocalBackend, big_client: BackendClient
) -> None:
    backend.journal.clear()
    qs = big_client.tasks.all()
    with pytest.raises(ValueError, match="plan must be"):
        qs.partitions(plan="pages")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="credentials"):
        qs.partitions(credentials="inline")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="order_by"):
        qs.order_by("-id").partitions()
    with pytest.raises(TypeError, match="slicing"):
        qs[:10].partitions()
    with pytest.raises(ValueError, match="page_size"):
        qs.partitions(page_size=0)
    assert backend.journal.entries() == []

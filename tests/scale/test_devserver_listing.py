"""The local backend serves id ranges by bisection over its id-ordered rows: the answers equal
a row-by-row filter for every comparison and bound, and ``-id`` is a reversal."""

from __future__ import annotations

import pytest

from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend

OPS = {
    "id__gt": lambda pk, b: pk > b,
    "id__gte": lambda pk, b: pk >= b,
    "id__lt": lambda pk, b: pk < b,
    "id__lte": lambda pk, b: pk <= b,
}


@pytest.mark.parametrize("op", sorted(OPS))
def test_id_comparisons_match_a_row_by_row_filter(
    big_client: BackendClient, task_ids: list[int], project: int, op: str
) -> None:
    every = sorted(big_client.tasks.all().values_list("id", flat=True))
    for bound in (-5, 0, every[0], every[1] + 0, every[len(every) // 2], every[-1], 10**9):
        got = list(big_client.tasks.filter(**{op: bound}).values_list("id", flat=True))
        assert got == [pk for pk in every if OPS[op](pk, bound)], (op, bound)
        scoped = big_client.tasks.filter(project=project, **{op: bound})
        assert list(scoped.values_list("id", flat=True)) == [
            pk for pk in task_ids if OPS[op](pk, bound)
        ]


def test_two_bounds_and_a_reversed_order(big_client: BackendClient, task_ids: list[int]) -> None:
    lo, hi = task_ids[10], task_ids[500]
    qs = big_client.tasks.filter(id__gt=lo, id__lte=hi)
    assert list(qs.values_list("id", flat=True)) == [pk for pk in task_ids if lo < pk <= hi]
    rev = qs.order_by("-id").values_list("id", flat=True)
    assert list(rev) == [pk for pk in reversed(task_ids) if lo < pk <= hi]


def test_writes_are_seen_by_the_next_range(
    backend: LocalBackend, big_client: BackendClient, project: int, task_ids: list[int]
) -> None:
    from .scale_support import fill_tasks

    fill_tasks(backend, 3)
    newest = list(big_client.tasks.filter(id__gt=task_ids[-1]).values_list("id", flat=True))
    assert len(newest) == 3

"""Planned id ranges cover every id exactly once (property tests, no I/O)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synapse_sdk import PartitionBoundsError
from synapse_sdk._query._partitions import scan_ranges, span_ranges

IDS = st.lists(st.integers(min_value=1, max_value=5_000), max_size=300, unique=True).map(sorted)
SIZES = st.integers(min_value=1, max_value=400)


def owners(ranges: list[tuple[int, int]], pk: int) -> list[int]:
    return [i for i, (after, upto) in enumerate(ranges) if after < pk <= upto]


def assert_chained(ranges: list[tuple[int, int]]) -> None:
    for (_, upto), (after, _) in itertools.pairwise(ranges):
        assert after == upto  # half-open and contiguous: no gap, no overlap
    for after, upto in ranges:
        assert after < upto


@settings(max_examples=200, deadline=None)
@given(ids=IDS, size=SIZES)
def test_span_ranges_cover_every_id_of_the_span_exactly_once(ids: list[int], size: int) -> None:
    if not ids:
        assert span_ranges(1, 0, size) == []
        return
    ranges = span_ranges(ids[0], ids[-1], size)
    assert_chained(ranges)
    for after, upto in ranges:
        assert upto - after <= size  # empty ranges are allowed, oversized ones are not
    for pk in range(ids[0], ids[-1] + 1):
        assert len(owners(ranges, pk)) == 1
    assert owners(ranges, ids[0] - 1) == [] and owners(ranges, ids[-1] + 1) == []


@settings(max_examples=200, deadline=None)
@given(ids=IDS, size=SIZES)
def test_scan_ranges_hold_size_ids_each_and_every_id_once(ids: list[int], size: int) -> None:
    ranges = scan_ranges(iter(ids), size)
    assert_chained(ranges)
    counts = [sum(1 for pk in ids if after < pk <= upto) for after, upto in ranges]
    assert sum(counts) == len(ids)
    assert all(c == size for c in counts[:-1])
    assert not counts or 1 <= counts[-1] <= size
    for pk in ids:
        assert len(owners(ranges, pk)) == 1


def test_scan_refuses_ids_out_of_order() -> None:
    with pytest.raises(PartitionBoundsError, match="not ordered by id"):
        scan_ranges([1, 3, 2], 2)


@pytest.mark.parametrize("size", [0, -1])
def test_size_must_be_positive(size: int) -> None:
    with pytest.raises(ValueError, match="size must be >= 1"):
        span_ranges(1, 10, size)


@pytest.mark.parametrize("size", [1.5, "10", True, None])
def test_size_must_be_an_int(size: object) -> None:
    with pytest.raises(TypeError, match="size must be an int"):
        span_ranges(1, 10, size)  # type: ignore[arg-type]

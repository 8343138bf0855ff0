"""Which server row counts as "the same data unit": every server-supplied value is checked, so a
server that ignores the lookup's filters, or answers rows of the wrong shape, never makes an item
reuse another unit."""

from __future__ import annotations

from typing import Any

import pytest

from synapse_sdk._transfer._reuse import matching_unit, unit_checksum
from synapse_sdk.devserver._handlers.data import unit_checksum as server_unit_checksum

A = "a" * 32
B = "b" * 32
WANT = {"image_1": A, "meta_1": B}


def row(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 7,
        "data_collection": 3,
        "checksum": unit_checksum([A, B]),
        "files": {"image_1": {"checksum": A}, "meta_1": {"checksum": B.upper()}},
    }
    base.update(changes)
    return base


def test_the_checksum_is_derived_as_the_local_backend_does() -> None:
    assert unit_checksum([A, B]) == server_unit_checksum([A, B]) == unit_checksum([B, A])
    assert unit_checksum([A]) != unit_checksum([B])


def test_the_same_files_match() -> None:
    assert matching_unit([row()], 3, WANT) == row()


def test_the_oldest_of_several_matches_is_taken() -> None:
    assert matching_unit([row(id=9), row(id=4), row(id=12)], 3, WANT) == row(id=4)


@pytest.mark.parametrize(
    "bad",
    [
        row(id=True),
        row(id="7"),
        row(id=0),
        row(id=-1),
        row(id=None),
        row(data_collection=4),  # another collection (the filter was ignored)
        row(data_collection_id=4, data_collection=None),
        row(files={"image_1": {"checksum": A}}),  # fewer files
        row(files={"image_1": {"checksum": B}, "meta_1": {"checksum": A}}),  # swapped specs
        row(files={"image_1": {"checksum": A}, "meta_9": {"checksum": B}}),
        row(files={"image_1": {"checksum": A}, "meta_1": {"checksum": A}}),
        row(files={"image_1": {"checksum": A}, "meta_1": "b"}),
        row(files={"image_1": {"checksum": A}, "meta_1": {"checksum": 5}}),
        row(files={"image_1": {"checksum": A}, "meta_1": {}}, checksum="x"),
        row(files=None, checksum="0" * 40),  # no files and another checksum
        row(files=[], checksum=None),
        "a string row",
        None,
        [row()],
    ],
)
def test_rows_that_are_not_the_same_unit_are_never_reused(bad: Any) -> None:
    assert matching_unit([bad], 3, WANT) is None
    assert matching_unit([bad, row(id=8)], 3, WANT) == row(id=8)  # a good row still counts


def test_without_file_checksums_the_units_checksum_decides() -> None:
    # A listing may leave the file entries out; the server-computed checksum still names the set.
    bare = row(files=None)
    assert matching_unit([bare], 3, WANT) == bare
    no_sums = row(files={"image_1": {"url": "u"}, "meta_1": {"url": "v"}})
    assert matching_unit([no_sums], 3, WANT) == no_sums
    assert matching_unit([row(files=None, checksum=unit_checksum([A]))], 3, WANT) is None


def test_a_row_without_a_collection_field_is_trusted_to_the_filter() -> None:
    loose = row()
    del loose["data_collection"]
    assert matching_unit([loose], 3, WANT) == loose

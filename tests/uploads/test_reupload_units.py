"""Re-running ``collection.upload(items)`` is idempotent: an item whose files (spec name ->
checksum) match a data unit the collection already has reuses that unit (``status="reused"``)
instead of creating a twin, also after a ``POST data_units/`` whose answer was lost.
``existing_units="create"`` keeps the old behaviour."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend
from synapse_sdk.resources import DataCollection, DataUnit

from .conftest import entries


@pytest.fixture
def collection(client: BackendClient, demo: dict[str, Any]) -> DataCollection:
    """The demo collection: ``image_1`` (required, primary, .jpg/.png), ``meta_1`` (.json)."""
    return client.data_collections.get(demo["data_collection"])


def images(tmp_path: Path, count: int, prefix: str = "img") -> list[Path]:
    out = []
    for i in range(count):
        path = tmp_path / f"{prefix}{i}.png"
        path.write_bytes(b"\x89PNG" + os.urandom(3000))
        out.append(path)
    return out


def units_with(client: BackendClient, collection: DataCollection, unit: DataUnit) -> list[int]:
    """Ids of the collection's units with ``unit``'s checksum."""
    assert unit.checksum
    rows = client.data_units.filter(data_collection=collection.id, checksum=unit.checksum)
    return sorted(u.id for u in rows)


def test_a_second_run_reuses_the_unit_instead_of_creating_a_twin(
    client: BackendClient, collection: DataCollection, synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    png = images(tmp_path, 1)[0]
    first = collection.upload([png])
    assert [r.status for r in first] == ["created"]
    unit = first[0].data_unit
    assert unit is not None and first[0].data_unit_id == unit.id
    synapse_backend.journal.clear()
    again = collection.upload([png])
    assert [r.status for r in again] == ["reused"]
    assert again.ok and again.reused == [again[0]] and again.created == []
    reused = again[0].data_unit
    assert reused is not None and reused.id == unit.id and again[0].data_unit_id == unit.id
    assert again.data_units == [reused]  # the items' units, created or reused
    assert again[0].files["image_1"].status == "skipped"
    assert synapse_backend.journal.committed("POST", "data_units/") == 0
    assert units_with(client, collection, unit) == [unit.id]
    assert "reused=1" in repr(again)


def test_create_makes_a_new_unit_as_before(
    client: BackendClient, collection: DataCollection, tmp_path: Path
) -> None:
    png = images(tmp_path, 1)[0]
    first = collection.upload([png])
    again = collection.upload([png], existing_units="create")
    assert [r.status for r in again] == ["created"]
    one, two = first[0].data_unit, again[0].data_unit
    assert one is not None and two is not None and one.id != two.id
    assert units_with(client, collection, one) == sorted([one.id, two.id])


def test_a_partial_rerun_reuses_the_old_items_and_creates_only_the_new(
    collection: DataCollection, synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    old = images(tmp_path, 2, "old")
    first = collection.upload(old)
    new = images(tmp_path, 1, "new")
    synapse_backend.journal.clear()
    report = collection.upload([old[0], new[0], old[1]])
    assert [r.status for r in report] == ["reused", "created", "reused"]
    assert [r.data_unit_id for r in report][::2] == [r.data_unit_id for r in first]
    posts = entries(synapse_backend, "POST", "data_units/")
    assert len(posts) == 1 and synapse_backend.journal.committed("POST", "data_units/") == 1


def test_the_same_files_twice_in_one_call_make_one_unit(
    client: BackendClient, collection: DataCollection, tmp_path: Path
) -> None:
    png = images(tmp_path, 1)[0]
    report = collection.upload([png, {"image_1": png}])
    assert [r.status for r in report] == ["created", "reused"]
    assert report[0].data_unit_id == report[1].data_unit_id is not None
    unit = report[0].data_unit
    assert unit is not None and units_with(client, collection, unit) == [unit.id]
    twice = collection.upload([png, png], existing_units="create")
    assert [r.status for r in twice] == ["created", "created"]
    assert twice[0].data_unit_id != twice[1].data_unit_id


def test_a_different_file_set_is_not_reused(collection: DataCollection, tmp_path: Path) -> None:
    png = images(tmp_path, 1)[0]
    meta = tmp_path / "m.json"
    meta.write_text('{"a": 1}')
    alone = collection.upload([png])
    both = collection.upload([{"image_1": png, "meta_1": meta}])
    assert [r.status for r in both] == ["created"]
    assert both[0].data_unit_id != alone[0].data_unit_id
    again = collection.upload([{"image_1": png, "meta_1": meta}, png])
    assert [r.status for r in again] == ["reused", "reused"]
    assert [r.data_unit_id for r in again] == [both[0].data_unit_id, alone[0].data_unit_id]


def test_a_first_run_asks_nothing_extra(
    collection: DataCollection, synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    # Files the server did not have cannot be in any unit: no lookup is made for them.
    synapse_backend.journal.clear()
    report = collection.upload(images(tmp_path, 3))
    assert [r.status for r in report] == ["created"] * 3
    assert entries(synapse_backend, "GET", "data_units/") == []


def test_a_lost_create_answer_then_a_rerun_makes_no_second_unit(
    client: BackendClient, collection: DataCollection, synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    pngs = images(tmp_path, 2)
    synapse_backend.faults.add("reset_after", method="POST", path="data_units/")
    lost = collection.upload(pngs)
    assert [r.status for r in lost] == ["failed", "failed"]
    assert synapse_backend.journal.committed("POST", "data_units/") == 1  # they exist
    synapse_backend.journal.clear()
    rerun = collection.upload(pngs)
    assert [r.status for r in rerun] == ["reused", "reused"]
    assert synapse_backend.journal.committed("POST", "data_units/") == 0
    for item in rerun:
        assert item.data_unit is not None
        assert units_with(client, collection, item.data_unit) == [item.data_unit_id]


def test_without_the_server_file_check_every_item_is_looked_up(
    collection: DataCollection, synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    png = images(tmp_path, 1)[0]
    first = collection.upload([png], skip_existing=False)
    again = collection.upload([png], skip_existing=False)
    assert [r.status for r in again] == ["reused"]
    assert again[0].data_unit_id == first[0].data_unit_id


def test_when_the_lookup_fails_the_item_fails_and_nothing_is_created(
    collection: DataCollection, synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    png = images(tmp_path, 1)[0]
    collection.upload([png])
    synapse_backend.faults.add("status", method="GET", path="data_units/", status=400, times=None)
    synapse_backend.journal.clear()
    report = collection.upload([png])
    assert [r.status for r in report] == ["failed"]
    assert "looking for an existing data unit failed" in (report[0].reason or "")
    assert synapse_backend.journal.committed("POST", "data_units/") == 0


@pytest.mark.parametrize("bad", ["yes", "", None, True, "REUSE"])
def test_a_bad_existing_units_is_refused_before_any_request(
    collection: DataCollection, synapse_backend: LocalBackend, tmp_path: Path, bad: Any
) -> None:
    png = images(tmp_path, 1)[0]
    synapse_backend.journal.clear()
    with pytest.raises((ValueError, TypeError), match="existing_units"):
        collection.upload([png], existing_units=bad)
    assert synapse_backend.journal.entries() == []

"""Sharded imports: ``client.uploads.plan()`` dedups by checksum, its shards pickle without the
token, a shard run again creates nothing twice, and lost POST answers lose or double nothing."""

from __future__ import annotations

import hashlib
import os
import pickle
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk import ImportPlan, ShardReport
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend


@pytest.fixture
def fresh() -> Iterator[LocalBackend]:
    with LocalBackend(seed="demo") as backend:
        yield backend


@pytest.fixture
def fresh_client(fresh: LocalBackend) -> Iterator[BackendClient]:
    with BackendClient(fresh.url, api_token=fresh.api_token) as c:
        yield c


def manifest(tmp_path: Path, distinct: int, copies: int = 0) -> list[Any]:
    """``distinct`` small images, then ``copies`` items whose file repeats an earlier one."""
    items: list[Any] = []
    for i in range(distinct):
        path = tmp_path / f"img{i}.png"
        path.write_bytes(b"\x89PNG" + os.urandom(200))
        items.append(path)
    for i in range(copies):
        twin = tmp_path / f"twin{i}.png"
        twin.write_bytes(Path(items[i]).read_bytes())
        items.append({"image_1": twin})
    return items


def md5(path: Any) -> str:
    return hashlib.md5(Path(path).read_bytes(), usedforsecurity=False).hexdigest()


def stored(backend: LocalBackend, kind: str) -> list[dict[str, Any]]:
    tenant = backend.store.tenant_id(backend.tenant)
    assert tenant is not None
    return backend.store.all(kind, tenant)


def assert_imported_once(backend: LocalBackend, collection: int, items: list[Any]) -> None:
    sums = {md5(i if not isinstance(i, dict) else i["image_1"]) for i in items}
    files = Counter(d.get("checksum") for d in stored(backend, "data_files"))
    assert all(files[s] == 1 for s in sums), {s: files[s] for s in sums if files[s] != 1}
    units = [u for u in stored(backend, "data_units") if u.get("data_collection") == collection]
    per_file = Counter(s for u in units for s in _unit_sums(backend, u))
    assert all(per_file[s] == 1 for s in sums), {s: per_file[s] for s in sums if per_file[s] != 1}


def _unit_sums(backend: LocalBackend, unit: dict[str, Any]) -> list[str]:
    by_id = {d["id"]: d for d in stored(backend, "data_files")}
    out = []
    for entry in (unit.get("files") or {}).values():
        ref = entry.get("data_file") if isinstance(entry, dict) else entry
        doc = by_id.get(ref)
        if doc is not None:
            out.append(doc["checksum"])
        elif isinstance(entry, dict) and entry.get("checksum"):
            out.append(entry["checksum"])
    return out


def test_plan_dedups_by_checksum_and_shards_the_rest(
    fresh: LocalBackend, fresh_client: BackendClient, tmp_path: Path
) -> None:
    items = manifest(tmp_path, 25, copies=5)
    plan = fresh_client.uploads.plan(items, collection=fresh.demo["data_collection"], shard_size=10)
    assert isinstance(plan, ImportPlan)
    assert plan.total == 30 and dict(plan.duplicates) == {25 + i: i for i in range(5)}
    assert [len(s) for s in plan.shards] == [10, 10, 5]
    report = plan.merge(shard.run() for shard in plan.shards)
    assert report.ok and report.counts() == {
        "created": 25, "reused": 0, "duplicate": 5, "failed": 0,
    }  # fmt: skip
    assert report.items[26].data_unit_id == report.items[1].data_unit_id
    assert_imported_once(fresh, fresh.demo["data_collection"], items)


def test_a_shard_run_again_creates_nothing(
    fresh: LocalBackend, fresh_client: BackendClient, tmp_path: Path
) -> None:
    items = manifest(tmp_path, 12)
    plan = fresh_client.uploads.plan(items, collection=fresh.demo["data_collection"], shard_size=6)
    first = plan.shards[0].run()
    again = plan.shards[0].run()
    assert [i.status for i in first.items] == ["created"] * 6
    assert [i.status for i in again.items] == ["reused"] * 6
    assert [i.data_unit_id for i in again.items] == [i.data_unit_id for i in first.items]
    report = plan.merge([first, again, plan.shards[1].run()])  # the last report of a shard wins
    assert report.ok and report.counts()["reused"] == 6
    assert_imported_once(fresh, fresh.demo["data_collection"], items)


def test_shards_pickle_without_the_token_and_run_in_a_spawned_process(
    fresh: LocalBackend,
    fresh_client: BackendClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    items = manifest(tmp_path, 8)
    plan = fresh_client.uploads.plan(items, collection=fresh.demo["data_collection"], shard_size=4)
    data = pickle.dumps(plan)
    assert fresh.api_token.encode() not in data
    monkeypatch.setenv("SYNAPSE_BASE_URL", fresh.url)
    monkeypatch.setenv("SYNAPSE_API_TOKEN", fresh.api_token)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        reports = [f.result(timeout=60) for f in [pool.submit(_run, s) for s in plan.shards]]
    assert all(isinstance(r, ShardReport) for r in reports)
    merged = pickle.loads(data).merge(reports)
    assert merged.ok and merged.counts()["created"] == 8
    assert_imported_once(fresh, fresh.demo["data_collection"], items)


def _run(shard: Any) -> ShardReport:
    report: ShardReport = shard.run()
    return report


def test_a_missing_shard_report_is_named(
    fresh: LocalBackend, fresh_client: BackendClient, tmp_path: Path
) -> None:
    plan = fresh_client.uploads.plan(
        manifest(tmp_path, 4), collection=fresh.demo["data_collection"], shard_size=2
    )
    report = plan.merge([plan.shards[1].run()])
    assert not report.ok and report.missing_shards == (0,)
    with pytest.raises(ValueError, match="does not have"):
        plan.merge([ShardReport(7, ())])


@pytest.mark.parametrize("route", ["data_units/", "data_files/"])
def test_lost_post_answers_import_every_file_exactly_once(
    fresh: LocalBackend, fresh_client: BackendClient, tmp_path: Path, route: str
) -> None:
    items = manifest(tmp_path, 30, copies=3)
    collection = fresh.demo["data_collection"]
    plan = fresh_client.uploads.plan(items, collection=collection, shard_size=10)
    fault = fresh.faults.add(
        "reset_after", method="POST", path=route, times=None, probability=0.3, seed=3
    )
    report = plan.run(retries=6)
    assert fault.hits > 0
    assert report.ok, report.failed[:3]
    assert report.counts()["duplicate"] == 3
    assert_imported_once(fresh, collection, items)


def test_bad_arguments_are_refused_before_any_io(
    fresh: LocalBackend, fresh_client: BackendClient, tmp_path: Path
) -> None:
    with pytest.raises(TypeError, match="collection"):
        fresh_client.uploads.plan([], collection="x")  # type: ignore[arg-type]
    collection = fresh.demo["data_collection"]
    fresh.journal.clear()
    with pytest.raises(TypeError, match="manifest"):
        fresh_client.uploads.plan("a.png", collection=collection)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="shard_size"):
        fresh_client.uploads.plan([], collection=collection, shard_size=0)

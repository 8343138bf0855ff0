"""``to_dask_bag`` / ``to_dask_dataframe`` on Dask's synchronous scheduler, and the ImportError
naming the extra when Dask is absent."""

from __future__ import annotations

import sys
from collections import Counter

import pytest

from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend

dask = pytest.importorskip("dask", reason="the 'dask' extra is not installed")


def test_dataframe_has_every_id_once_divided_at_the_partition_bounds(
    big_client: BackendClient, project: int, task_ids: list[int]
) -> None:
    qs = big_client.tasks.filter(project=project)
    df = qs.to_dask_dataframe(size=600, columns=["status", "project_id"])
    parts = qs.partitions(size=600)
    assert df.npartitions == len(parts)
    assert df.divisions[0] == parts[0].after + 1 and df.divisions[-1] == parts[-1].upto
    assert list(df.columns) == ["status", "project_id"]
    frame = df.compute(scheduler="sync")
    assert list(frame.index) == task_ids
    assert set(frame["project_id"]) == {project}
    # the divisions let .loc read only the partitions it needs
    lo, hi = task_ids[10], task_ids[20]
    assert list(df.loc[lo:hi].compute(scheduler="sync").index) == task_ids[10:21]


def test_default_columns_are_the_resource_fields(big_client: BackendClient, project: int) -> None:
    df = big_client.tasks.filter(project=project).to_dask_dataframe(size=5000)
    assert "status" in df.columns and "id" not in df.columns
    assert df.index.name == "id"


def test_bag_holds_every_object_once(
    big_client: BackendClient, project: int, task_ids: list[int]
) -> None:
    bag = big_client.tasks.filter(project=project).to_dask_bag(size=800)
    ids = bag.map(lambda t: t.id).compute(scheduler="sync")
    assert Counter(ids) == Counter(task_ids)


def test_partition_to_pandas_is_indexed_by_id(big_client: BackendClient, project: int) -> None:
    part = big_client.tasks.filter(project=project).partitions(size=50)[0]
    frame = part.to_pandas(columns=["status"])
    assert frame.index.name == "id" and list(frame.columns) == ["status"]
    assert len(frame) == len(part.fetch())


def test_unknown_columns_are_refused_before_any_io(
    backend: LocalBackend, big_client: BackendClient
) -> None:
    backend.journal.clear()
    with pytest.raises(ValueError, match="unknown column"):
        big_client.tasks.all().to_dask_dataframe(columns=["nope"])
    assert backend.journal.entries() == []


@pytest.mark.parametrize("method", ["to_dask_bag", "to_dask_dataframe"])
def test_without_dask_the_error_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, backend: LocalBackend, big_client: BackendClient,
    method: str,
) -> None:  # fmt: skip
    for name in list(sys.modules):
        if name == "dask" or name.startswith("dask."):
            monkeypatch.setitem(sys.modules, name, None)  # type: ignore[arg-type]
    monkeypatch.setitem(sys.modules, "dask", None)  # type: ignore[arg-type]
    backend.journal.clear()
    with pytest.raises(ImportError, match=r"synapse-sdk\[dask\]"):
        getattr(big_client.tasks.all(), method)()
    assert backend.journal.entries() == []

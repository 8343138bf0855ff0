"""Ground truths (``GET ground_truths/``): the local backend's listing and filters over HTTP, the
seed's ``list_ground_truths`` and the typed ``client.ground_truths``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from synapse_sdk import GroundTruth, WSGITransport
from synapse_sdk.clients.backend import BackendClient, ListAllRows
from synapse_sdk.devserver import LocalBackend
from synapse_sdk.resources import GroundTruthCategory

from ._helpers import Api, ids


def demo_gts(ro: Api) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = ro.ok("GET", "ground_truths/")["results"]
    assert len(rows) >= 3
    return rows


def test_the_demo_has_ground_truths_with_files(ro: Api) -> None:
    rows = demo_gts(ro)
    demo = ro.backend.demo
    assert {r["ground_truth_dataset"] for r in rows} == {demo["ground_truth_dataset"]}
    assert {r["category"] for r in rows} == {"train", "validation", "test"}
    for row in rows:
        assert row["project"] == demo["project"]
        assert row["ground_truth_dataset_versions"] == [demo["ground_truth_dataset_version"]]
        assert row["files"] and all(f["url"].startswith("http") for f in row["files"].values())


@pytest.mark.parametrize(
    ("query", "pick"),
    [
        ({"category": "train"}, lambda r: r["category"] == "train"),
        ({"categories": "train,test"}, lambda r: r["category"] in ("train", "test")),
        ({"classes": "dog"}, lambda r: "dog" in r["classes"]),
        ({"classes": "dog,cat"}, lambda r: True),
    ],
)
def test_filters_select_the_matching_rows(ro: Api, query: dict[str, str], pick: Any) -> None:
    every = demo_gts(ro)
    expected = [r["id"] for r in every if pick(r)]
    assert expected
    assert sorted(ids(ro.ok("GET", "ground_truths/", params=query))) == sorted(expected)


def test_id_data_unit_dataset_and_version_filters(ro: Api) -> None:
    every = demo_gts(ro)
    demo = ro.backend.demo
    first = every[0]
    assert ids(ro.ok("GET", "ground_truths/", params={"id": str(first["id"])})) == [first["id"]]
    by_unit = ro.ok("GET", "ground_truths/", params={"data_unit": str(first["data_unit"])})
    assert ids(by_unit) == [first["id"]]
    dataset = {"ground_truth_dataset": str(demo["ground_truth_dataset"])}
    assert len(ids(ro.ok("GET", "ground_truths/", params=dataset))) == len(every)
    assert ids(ro.ok("GET", "ground_truths/", params={"ground_truth_dataset": "999999"})) == []
    version = {"ground_truth_dataset_versions": str(demo["ground_truth_dataset_version"])}
    assert len(ids(ro.ok("GET", "ground_truths/", params=version))) == len(every)


def test_the_task_filter_reads_the_tasks_data_unit(ro: Api) -> None:
    every = {r["data_unit"]: r["id"] for r in demo_gts(ro)}
    tasks = ro.ok("GET", "sdk/tasks/", params={"page_size": "100"})["results"]
    task = next(t for t in tasks if t["data_unit"] in every)
    got = ids(ro.ok("GET", "ground_truths/", params={"task": str(task["id"])}))
    assert got == [every[task["data_unit"]]]


@pytest.mark.parametrize("name", ["id", "task", "data_unit", "ground_truth_dataset_versions"])
def test_a_non_integer_id_filter_is_a_400_naming_it(ro: Api, name: str) -> None:
    answer = ro.get("ground_truths/", params={name: "x"})
    assert answer.status == 400 and name in answer.json()


# -- the client ---------------------------------------------------------------------------------


@pytest.fixture
def gt_client(synapse_backend_wsgi: LocalBackend) -> Iterator[BackendClient]:
    with BackendClient(
        "http://testserver",
        api_token=synapse_backend_wsgi.api_token,
        transport=WSGITransport(synapse_backend_wsgi.wsgi_app),
    ) as client:
        yield client


def test_seed_list_ground_truths_first_page_and_list_all(
    gt_client: BackendClient, synapse_backend_wsgi: LocalBackend
) -> None:
    demo = synapse_backend_wsgi.demo
    page = gt_client.list_ground_truths({"ground_truth_dataset": demo["ground_truth_dataset"]})
    assert page["count"] == len(page["results"]) >= 3
    query = parse(synapse_backend_wsgi.journal.entries()[-1].query)
    assert query["page_size"] == "100"  # sent always, like the official client
    rows = gt_client.list_ground_truths({"page_size": 1}, list_all=True)
    assert isinstance(rows, ListAllRows)
    assert rows.count == page["count"]
    assert sorted(r["id"] for r in rows) == sorted(r["id"] for r in page["results"])


def parse(query: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in query.split("&") if item)


def test_seed_list_ground_truths_page_size_url_conversion_and_versions(
    gt_client: BackendClient, synapse_backend_wsgi: LocalBackend
) -> None:
    version = synapse_backend_wsgi.demo["ground_truth_dataset_version"]
    page = gt_client.list_ground_truths(
        {"ground_truth_dataset_versions": [version]},
        page_size=2,
        url_conversion={"files": lambda url: "converted:" + url},
    )
    assert len(page["results"]) == 2 and page["next"]
    for row in page["results"]:
        assert all(f["url"].startswith("converted:http") for f in row["files"].values())
    query = parse(synapse_backend_wsgi.journal.entries()[-1].query)
    assert query == {"ground_truth_dataset_versions": str(version), "page_size": "2"}


def test_seed_list_ground_truths_read_timeout_is_per_call(gt_client: BackendClient) -> None:
    before = gt_client._config.timeout
    gt_client.list_ground_truths(timeout=1)
    gt_client.list_ground_truths(timeout=None)
    assert gt_client._config.timeout == before
    with pytest.raises(TypeError):
        gt_client.list_ground_truths(params=[("a", 1)])  # type: ignore[arg-type]


def test_typed_ground_truths(gt_client: BackendClient, synapse_backend_wsgi: LocalBackend) -> None:
    demo = synapse_backend_wsgi.demo
    train = gt_client.ground_truths.filter(category=GroundTruthCategory.TRAIN).all()
    assert len(train) == 1
    gt = train[0]
    assert isinstance(gt, GroundTruth)
    assert gt.category == GroundTruthCategory.TRAIN
    assert gt.ground_truth_dataset_id == demo["ground_truth_dataset"]
    assert gt.ground_truth_dataset_versions == [demo["ground_truth_dataset_version"]]
    assert gt.data_unit_id in demo["data_units"] and gt.files
    assert gt.data_unit.id == gt.data_unit_id  # navigation
    assert gt.ground_truth_dataset.id == demo["ground_truth_dataset"]
    version = gt_client.ground_truth_versions.get(demo["ground_truth_dataset_version"])
    assert len(version.ground_truths.all()) == 3
    both = gt_client.ground_truths.filter(categories=["train", "test"], classes=["cat"]).all()
    assert {g.category for g in both} == {"train", "test"}


def test_typed_ground_truths_refuse_an_unknown_filter_before_io(
    gt_client: BackendClient, synapse_backend_wsgi: LocalBackend
) -> None:
    synapse_backend_wsgi.journal.clear()
    with pytest.raises(TypeError, match="ground_truth_dataset"):
        gt_client.ground_truths.filter(ground_truth_datset=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        gt_client.ground_truths.filter(task="x")  # type: ignore[arg-type]
    assert synapse_backend_wsgi.journal.entries() == []

"""List filters through the typed client, end to end: the filters the client used to refuse although
the real backend supports them now narrow the rows, and the filters only the local backend had
invented are gone from both sides (the backend ignores unknown keys, as the real one does)."""

from __future__ import annotations

from typing import Any

import pytest

from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend
from synapse_sdk.devserver._store import now_iso

from ._helpers import Api, ids


def _tenant(backend: LocalBackend) -> int:
    tenant = backend.store.tenant_id(backend.tenant)
    assert tenant is not None
    return tenant


def _second_ground_truth_dataset(backend: LocalBackend) -> tuple[int, int]:
    """A second dataset with one event (white-box: the backend has no write route for them)."""
    store, tenant = backend.store, _tenant(backend)
    unit = backend.demo["data_units"][0]
    dataset = store.insert(
        "gt_datasets",
        tenant,
        {"name": "Other", "project": backend.demo["project"], "created": now_iso()},
    )
    version = store.insert(
        "gt_versions",
        tenant,
        {"version": "v1", "ground_truth_dataset": dataset["id"], "is_archived": False},
    )
    event = store.insert(
        "gt_events",
        tenant,
        {
            "ground_truth": 99,
            "pgh_obj_id": 99,
            "pgh_label": "update",
            "ground_truth_dataset": dataset["id"],
            "ground_truth_dataset_version": version["id"],
            "data_unit": unit,
            "category": "train",
            "classes": ["cat"],
            "data": {},
            "files": {},
            "created": now_iso(),
        },
    )
    return dataset["id"], event["id"]


def test_ground_truth_events_by_dataset(
    client: BackendClient, synapse_backend: LocalBackend
) -> None:
    demo_dataset = synapse_backend.demo["ground_truth_dataset"]
    other, other_event = _second_ground_truth_dataset(synapse_backend)
    assert client.ground_truth_events.all().count() == 4

    events = list(client.ground_truth_events.filter(ground_truth_dataset=demo_dataset))
    assert {e.pgh_id for e in events} == set(synapse_backend.demo["ground_truth_events"])
    assert {e.ground_truth_dataset_id for e in events} == {demo_dataset}
    only = client.ground_truth_events.filter(ground_truth_dataset=other)
    assert [e.pgh_id for e in only] == [other_event]
    assert client.ground_truth_events.filter(ground_truth_dataset=other + 1).count() == 0


def test_assignments_by_id_and_search(client: BackendClient, demo: dict[str, Any]) -> None:
    first, second, _ = demo["assignments"]
    assert client.assignments.all().count() == 3
    assert [a.id for a in client.assignments.filter(id=second)] == [second]
    # only the first assignment has annotation data ({"annotations": [{"class": "cat"}]})
    assert [a.id for a in client.assignments.filter(search="CAT")] == [first]
    assert client.assignments.filter(search="nothing like it").count() == 0


def test_projects_by_data_collection(client: BackendClient, synapse_backend: LocalBackend) -> None:
    store, tenant = synapse_backend.store, _tenant(synapse_backend)
    collection = store.insert(
        "data_collections",
        tenant,
        {"name": "Other", "category": "text", "is_archived": False, "file_specifications": []},
    )
    project = store.insert(
        "projects",
        tenant,
        {"title": "Other", "category": "text", "data_collection": collection["id"]},
    )
    demo = synapse_backend.demo
    by_demo = client.projects.filter(data_collection=demo["data_collection"])
    assert sorted(p.id for p in by_demo) == sorted(demo["projects"])
    assert [p.id for p in client.projects.filter(data_collection=collection["id"])] == [
        project["id"]
    ]
    assert client.projects.all().count() == 3


@pytest.mark.parametrize(
    ("family", "key", "value"),
    [
        ("projects", "created__gte", "2999-01-01"),
        ("data_collections", "is_archived", True),
        ("models", "category", "nothing"),
        ("ground_truth_events", "pgh_label", "nothing"),
    ],
)
def test_invented_filters_are_refused_by_the_client(
    client: BackendClient, family: str, key: str, value: object
) -> None:
    manager = getattr(client, family)
    with pytest.raises(TypeError, match=f"unknown filter {key!r} for {family}"):
        manager.all().filter(**{key: value})


@pytest.mark.parametrize(
    ("path", "everything"),
    [
        ("projects/?created__gte=2999-01-01", [1, 2]),
        ("projects/?id=1", [1, 2]),
        ("data_collections/?is_archived=true", [1]),
        ("models/?category=nothing", [1]),
        ("storages/?name=nothing", [1, 2]),
        ("data_units/?created__lt=2000-01-01", [1, 2, 3]),
        ("agents/?name=nothing", [1]),
        ("plugin_releases/?version=9.9.9", [1]),
    ],
)
def test_the_local_backend_ignores_filters_the_real_one_does_not_document(
    ro: Api, path: str, everything: list[int]
) -> None:
    assert ids(ro.ok("GET", path)) == everything


def test_ground_truth_events_ignore_pgh_label(ro: Api) -> None:
    assert ro.ok("GET", "sdk/ground_truth_events/?pgh_label=nothing")["count"] == 3


@pytest.mark.parametrize(
    "path",
    [
        "models/?ordering=name",
        "agents/?ordering=-name",
        "ground_truth_datasets/?ordering=name",
        "plugin_releases/?ordering=version",
    ],
)
def test_orderings_the_client_does_not_declare_are_refused(ro: Api, path: str) -> None:
    answer = ro.get(path)
    assert answer.status == 400 and "ordering" in answer.json()

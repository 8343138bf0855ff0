"""``QuerySet.get()``'s errors, as a Django user expects them: ``MultipleObjectsReturned`` and
``DoesNotExist``, importable from ``synapse_sdk`` and ``synapse_sdk.clients.exceptions``, in the
SDK's error tree, with a grammatical message and the filters / count as attributes."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

import synapse_sdk
import synapse_sdk.clients.exceptions as seed_exceptions
from synapse_sdk import BackendClient, ClientError, DoesNotExist, MultipleObjectsReturned


def test_both_are_importable_from_both_doors_as_the_same_classes() -> None:
    assert synapse_sdk.MultipleObjectsReturned is seed_exceptions.MultipleObjectsReturned
    assert synapse_sdk.DoesNotExist is seed_exceptions.DoesNotExist
    from synapse_sdk._query._queryset import MultipleObjectsReturned as old_home

    assert old_home is MultipleObjectsReturned


def test_they_sit_in_the_error_tree_and_keep_their_old_bases() -> None:
    assert issubclass(MultipleObjectsReturned, ClientError)
    assert issubclass(MultipleObjectsReturned, ValueError)  # what it was before
    assert issubclass(DoesNotExist, synapse_sdk.NotFoundError)  # what get() raised before
    assert issubclass(DoesNotExist, ClientError)


def test_multiple_names_the_family_in_singular_with_the_filters_and_count(
    client: BackendClient, demo: dict[str, Any]
) -> None:
    total = client.tasks.filter(project=demo["project"]).count()
    assert total >= 2
    with pytest.raises(MultipleObjectsReturned) as info:
        client.tasks.filter(project=demo["project"]).get()
    err = info.value
    assert str(err) == f"more than one task matched {{'project': {demo['project']}}}: {total} found"
    assert err.count == total
    assert err.filters == {"project": demo["project"]}
    assert err.family == "tasks"
    assert "tasks matched" not in str(err)


def test_multiple_on_a_two_word_family(client: BackendClient) -> None:
    units = client.data_units.all().count()
    assert units >= 2
    with pytest.raises(MultipleObjectsReturned, match=r"^more than one data unit matched \{\}: "):
        client.data_units.all().get()


def test_does_not_exist_names_the_family_and_filters(
    client: BackendClient, demo: dict[str, Any]
) -> None:
    with pytest.raises(DoesNotExist) as info:
        client.tasks.filter(project=demo["project"], id=999_999).get()
    err = info.value
    assert str(err) == f"no task matched {{'project': {demo['project']}, 'id': 999999}}"
    assert err.filters == {"project": demo["project"], "id": 999_999}
    assert err.count == 0
    assert err.status_code is None  # no 404 was received: the listing was empty


def test_they_pickle_with_their_attributes() -> None:
    err = MultipleObjectsReturned("tasks", {"project": 1}, 3)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is MultipleObjectsReturned
    assert (str(back), back.count, back.filters) == (str(err), 3, {"project": 1})
    gone = pickle.loads(pickle.dumps(DoesNotExist("storages", {"name": "x"})))
    assert str(gone) == "no storage matched {'name': 'x'}"


def test_an_unknown_count_says_at_least_two() -> None:
    err = MultipleObjectsReturned("plugin_releases", {"plugin": "p"}, None)
    assert str(err) == "more than one plugin release matched {'plugin': 'p'}: at least 2 found"
    assert err.count is None

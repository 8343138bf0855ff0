"""Endpoint declarations: id validation, filters, ordering, routes (no sockets)."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synapse_sdk._endpoint import check_id, encode_query_value
from synapse_sdk.resources import ENDPOINTS
from synapse_sdk.resources.tasks import TASKS

BAD_TYPES = ["1", True, None, 1.0, b"1", [1]]
BAD_VALUES = [-1, 0]


@pytest.mark.parametrize("value", BAD_TYPES)
def test_check_id_refuses_wrong_types(value: object) -> None:
    with pytest.raises(TypeError):
        check_id(value)


@pytest.mark.parametrize("value", BAD_VALUES)
def test_check_id_refuses_non_positive(value: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        check_id(value)


@pytest.mark.parametrize("value", ["..", "a/b", "7#x", "7?role=admin", "\x00", "", "a b", "é"])
def test_lookup_ids_refuse_path_tricks(value: str) -> None:
    with pytest.raises(ValueError):
        check_id(value, "lookup")


def test_lookup_accepts_code_and_version() -> None:
    assert check_id("demo-plugin@1.0.0", "lookup") == "demo-plugin@1.0.0"
    assert check_id(7, "lookup") == "7"


def test_uuid_ids() -> None:
    u = uuid.uuid4()
    assert check_id(u, "uuid") == str(u)
    assert check_id(str(u), "uuid") == str(u)
    with pytest.raises(ValueError):
        check_id("../x", "uuid")
    with pytest.raises(TypeError):
        check_id(5, "uuid")


@given(st.one_of(st.text(), st.integers(), st.none(), st.booleans(), st.floats(), st.uuids()))
def test_check_id_only_raises_typed_errors(value: object) -> None:
    for kind in ("int", "uuid", "lookup"):
        try:
            segment = check_id(value, kind)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        assert "/" not in segment and "?" not in segment and "#" not in segment
        assert segment not in (".", "..")


def test_unknown_filter_names_the_closest() -> None:
    with pytest.raises(TypeError, match="did you mean 'project'"):
        TASKS.check_filters({"projet": 1})


def test_filter_value_types_checked() -> None:
    with pytest.raises(TypeError, match="takes int"):
        TASKS.check_filters({"project": "1"})
    with pytest.raises(TypeError):
        TASKS.check_filters({"is_discarded": 1})
    TASKS.check_filters({"project": 1, "tags": [1, 2], "is_discarded": False, "status": None})


def test_encode_query_values() -> None:
    assert encode_query_value(None) is None
    assert encode_query_value(True) == "true"
    assert encode_query_value(False) == "false"
    assert encode_query_value([1, 2, 3]) == "1,2,3"
    assert TASKS.encode_filters({"project": 1, "status": None, "is_discarded": True}) == {
        "project": "1",
        "is_discarded": "true",
    }
    with pytest.raises(TypeError):
        encode_query_value(object())


def test_ordering_validated() -> None:
    assert TASKS.check_ordering(["-created", "id"]) == ("-created", "id")
    with pytest.raises(ValueError, match="cannot be ordered by 'title'"):
        TASKS.check_ordering(["title"])


def test_action_paths() -> None:
    assert TASKS.action_path("annotate", 5) == ("PUT", "tasks/5/annotate_task_data/")
    assert TASKS.action_path("set_tags") == ("POST", "tasks/set_tags/")
    assert ENDPOINTS["agents"].action_path("connect", "abc123") == (
        "POST",
        "agents/abc123/connect/",
    )
    with pytest.raises(ValueError):
        ENDPOINTS["agents"].action_path("connect", "../x")


def test_every_declared_path_is_relative_with_trailing_slash() -> None:
    for endpoint in ENDPOINTS.values():
        for _method, path in endpoint.routes():
            assert not path.startswith("/") and path.endswith("/"), (endpoint.name, path)


def test_digit_strings_for_lookups_and_huge_ids_refused() -> None:
    with pytest.raises(TypeError, match="pass it as an int"):
        check_id("12", "lookup")
    with pytest.raises(ValueError, match="2\\*\\*63"):
        check_id(2**63)


def test_secret_ids_are_never_echoed() -> None:
    secret = "tok-SECRET-123/../x"
    with pytest.raises(ValueError) as info:
        check_id(secret, "lookup", secret=True)
    assert "SECRET" not in str(info.value)
    with pytest.raises(TypeError) as info2:
        check_id(b"SECRET", "lookup", secret=True)
    assert "SECRET" not in str(info2.value)

"""Endpoint declarations: id validation, filters, ordering, routes (no sockets)."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, TypedDict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synapse_sdk._endpoint import Endpoint, check_id, encode_query_value, filter_kinds
from synapse_sdk.resources import ENDPOINTS, TaskStatus
from synapse_sdk.resources.integration import PLUGIN_RELEASES
from synapse_sdk.resources.ml import GROUND_TRUTH_EVENTS
from synapse_sdk.resources.tasks import TASKS

if TYPE_CHECKING:
    from decimal import Decimal

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


# -- filter kinds derived from the family's TypedDict ----------------------------------------------


class Colour(enum.Enum):
    RED = 1


class EveryForm(TypedDict, total=False):
    """Each annotation form the deriver maps (annotations are strings here, as in the package)."""

    one: int
    many: Sequence[int]
    one_or_many: int | Sequence[int]
    as_list: list[int]
    as_tuple: tuple[int, ...]
    flag: bool
    text: str
    status: TaskStatus | str
    bare_enum: TaskStatus
    texts: Sequence[str]
    text_or_texts: str | Sequence[str]
    statuses: Sequence[TaskStatus | str]
    moment: dt.datetime | str
    day: dt.date
    choice: Literal["a", "b"]
    number_choice: Literal[1, 2]
    maybe: int | None
    id_or_code: int | str
    anything: Any


def test_filter_kinds_follow_the_annotations() -> None:
    assert filter_kinds(EveryForm) == {
        "one": "int",
        "many": "ints",
        "one_or_many": "ints",
        "as_list": "ints",
        "as_tuple": "ints",
        "flag": "bool",
        "text": "str",
        "status": "str",
        "bare_enum": "str",
        "texts": "strs",
        "text_or_texts": "strs",
        "statuses": "strs",
        "moment": "datetime",
        "day": "datetime",
        "choice": "str",
        "number_choice": "int",
        "maybe": "int",
        "id_or_code": "lookup",
        "anything": "any",
    }


def test_declared_families_get_the_kinds_of_their_annotations() -> None:
    assert TASKS.filters_type is not None and TASKS.filters_type.__name__ == "TaskFilters"
    kinds = TASKS.filters
    assert (kinds["project"], kinds["tags"], kinds["is_discarded"]) == ("int", "ints", "bool")
    assert (kinds["status"], kinds["created__gte"], kinds["search"]) == ("str", "datetime", "str")
    events = GROUND_TRUTH_EVENTS.filters
    assert events["ground_truth_dataset"] == "int"
    assert (events["classes"], events["categories"]) == ("strs", "strs")
    assert PLUGIN_RELEASES.filters == {"plugin": "lookup"}
    assert ENDPOINTS["data_files"].filters == {} and ENDPOINTS["data_files"].filters_type is None


UNMAPPABLE = [
    float,
    bytes,
    dict[str, int],
    Colour,  # not a str enum
    int | bool,
    str | bool,
    Sequence[float],
    Sequence[bool],
    int | Sequence[str],
    Sequence[int] | Sequence[str],
    list[Sequence[int]],
    tuple[int, str],
    TaskStatus | dt.datetime,
    Literal["a", 1],
    object,
]


@pytest.mark.parametrize("annotation", UNMAPPABLE, ids=repr)
def test_an_unmappable_annotation_fails_at_declaration(annotation: object) -> None:
    bad = TypedDict("bad", {"fine": int, "odd": annotation}, total=False)  # type: ignore[valid-type]  # noqa: UP013
    with pytest.raises(TypeError, match=r"bad\.odd: no filter kind for the annotation"):
        Endpoint(name="things", path="things/", filters=bad)


class Required(TypedDict):
    project: int


class Paging(TypedDict, total=False):
    ordering: str


class Unresolved(TypedDict, total=False):
    amount: Decimal  # imported only under TYPE_CHECKING


def test_filters_must_be_an_optional_typeddict_without_paging_keys() -> None:
    with pytest.raises(TypeError, match="must be a TypedDict"):
        Endpoint(name="x", path="x/", filters=dict)
    with pytest.raises(TypeError, match=r"Required: .*total=False \(required: project\)"):
        Endpoint(name="x", path="x/", filters=Required)
    with pytest.raises(TypeError, match=r"Paging\.ordering: 'ordering' is a paging option"):
        Endpoint(name="x", path="x/", filters=Paging)
    with pytest.raises(TypeError, match=r"Unresolved: cannot resolve .*TYPE_CHECKING"):
        Endpoint(name="x", path="x/", filters=Unresolved)


def test_lookup_filters_take_an_id_or_a_code() -> None:
    PLUGIN_RELEASES.check_filters({"plugin": 1})
    PLUGIN_RELEASES.check_filters({"plugin": "demo-plugin"})
    for bad in (True, 1.5, b"x"):
        with pytest.raises(TypeError, match="takes lookup"):
            PLUGIN_RELEASES.check_filters({"plugin": bad})


def test_newly_accepted_filters_and_their_typos() -> None:
    GROUND_TRUTH_EVENTS.check_filters({"ground_truth_dataset": 1})
    ENDPOINTS["assignments"].check_filters({"id": 2, "search": "cat"})
    ENDPOINTS["projects"].check_filters({"data_collection": 1})
    with pytest.raises(TypeError, match="did you mean 'ground_truth_dataset'"):
        GROUND_TRUTH_EVENTS.check_filters({"ground_truth_datset": 1})
    with pytest.raises(TypeError, match="unknown filter 'pgh_label'"):
        GROUND_TRUTH_EVENTS.check_filters({"pgh_label": "insert"})

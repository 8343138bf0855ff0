"""One ISO-8601 parser: the forms it accepts and refuses, the same in the record builders, the
datetime hook and the chunked-upload result."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synapse_sdk._converter import format_iso, make_converter, parse_iso, plan_for
from synapse_sdk._converter._isotime import _fast_py310, parse_form
from synapse_sdk._exceptions import ResponseValidationError
from synapse_sdk._transfer import _result
from synapse_sdk.resources import DataCollection, Task

UTC = dt.timezone.utc
TOKYO = dt.timezone(dt.timedelta(hours=9))

ACCEPTED = [
    ("2026-11-27T20:45:44Z", dt.datetime(2026, 11, 27, 20, 45, 44, tzinfo=UTC)),
    ("2026-11-27T20:45:44z", dt.datetime(2026, 11, 27, 20, 45, 44, tzinfo=UTC)),
    ("2026-11-27T20:45:44.123456Z", dt.datetime(2026, 11, 27, 20, 45, 44, 123456, tzinfo=UTC)),
    ("2026-11-27T20:45:44+09:00", dt.datetime(2026, 11, 27, 20, 45, 44, tzinfo=TOKYO)),
    ("2026-11-27T20:45:44+0900", dt.datetime(2026, 11, 27, 20, 45, 44, tzinfo=TOKYO)),
    ("2026-11-27T20:45:44+09", dt.datetime(2026, 11, 27, 20, 45, 44, tzinfo=TOKYO)),
    ("2026-11-27T20:45:44-00:00", dt.datetime(2026, 11, 27, 20, 45, 44, tzinfo=UTC)),
    ("2026-11-27T20:45:44.5+09:00", dt.datetime(2026, 11, 27, 20, 45, 44, 500000, tzinfo=TOKYO)),
    ("2026-11-27T20:45:44.12z", dt.datetime(2026, 11, 27, 20, 45, 44, 120000, tzinfo=UTC)),
    ("2026-11-27T20:45:44,25Z", dt.datetime(2026, 11, 27, 20, 45, 44, 250000, tzinfo=UTC)),
    ("2026-11-27T20:45:44.123456789Z", dt.datetime(2026, 11, 27, 20, 45, 44, 123456, tzinfo=UTC)),
    ("2026-11-27t20:45:44z", dt.datetime(2026, 11, 27, 20, 45, 44, tzinfo=UTC)),
    ("2026-11-27 20:45:44", dt.datetime(2026, 11, 27, 20, 45, 44)),
    ("2026-11-27T20:45", dt.datetime(2026, 11, 27, 20, 45)),
    ("2026-11-27", dt.datetime(2026, 11, 27)),
]
REFUSED = [
    "",
    "yesterday",
    "2026/11/27",
    "2026-13-01T00:00:00Z",
    "2026-02-30",
    "2026-11-27T24:00:00Z",
    "2026-11-27T20:45:60Z",
    "2026-11-27T20:45:44+24:00",
    "2026-11-27T20:45:44Zjunk",
    " 2026-11-27T20:45:44Z",
    "\uff12\uff10\uff12\uff16-11-27",  # full-width digits
    "1764276344",
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_accepted_forms(text: str, expected: dt.datetime) -> None:
    for parse in (parse_iso, parse_form):
        got = parse(text)
        assert got == expected and got.utcoffset() == expected.utcoffset()
    task = plan_for(Task).build({"id": 1, "created": text})
    assert task.created == expected and task.created.utcoffset() == expected.utcoffset()
    assert make_converter().structure(text, dt.datetime) == expected
    assert _result.parse_time(text) == expected


@pytest.mark.parametrize("text", REFUSED)
def test_refused_forms_name_the_field(text: str) -> None:
    with pytest.raises(ValueError):
        parse_iso(text)
    with pytest.raises(ResponseValidationError) as info:
        plan_for(Task).build({"id": 1, "created": text})
    assert info.value.path == "created"
    assert "should be an ISO-8601 timestamp" in str(info.value)
    with pytest.raises(ResponseValidationError) as info:
        make_converter().structure(text, dt.datetime)
    assert info.value.path == "value"
    assert _result.parse_time(text) is None


def test_a_nested_timestamp_names_its_path() -> None:
    row = {"id": 1, "name": "c", "file_specifications": [{"name": "a"}, {"name": "b"}]}
    assert plan_for(DataCollection).build(row).file_specifications[1].name == "b"
    with pytest.raises(ResponseValidationError) as info:
        plan_for(Task).build({"id": 1, "created": 20261127})
    assert info.value.path == "created"


def test_the_upload_result_uses_the_one_parser() -> None:
    assert _result.parse_iso is parse_iso
    assert _result.parse_time(None) is None and _result.parse_time(5) is None


@st.composite
def iso_texts(draw: st.DrawFn) -> tuple[str, dt.datetime]:
    """A timestamp in one of the documented forms, and the datetime it means."""
    when = draw(st.datetimes(min_value=dt.datetime(1000, 1, 1), max_value=dt.datetime(9999, 1, 1)))
    if draw(st.booleans()):
        return when.strftime("%Y-%m-%d"), dt.datetime(when.year, when.month, when.day)
    sep = draw(st.sampled_from("Tt "))
    text = when.strftime(f"%Y-%m-%d{sep}%H:%M")
    if draw(st.booleans()):
        when = when.replace(second=0, microsecond=0)
    else:
        text += when.strftime(":%S")
        fraction = f"{when.microsecond:06d}" + draw(st.text("0123456789", max_size=3))
        width = draw(st.integers(0, len(fraction)))
        if width:
            text += draw(st.sampled_from(".,")) + fraction[:width]
        when = when.replace(microsecond=int(fraction[: min(width, 6)].ljust(6, "0")))
    minutes = draw(st.none() | st.just(0) | st.integers(-23 * 60 - 59, 23 * 60 + 59))
    if minutes is None:
        return text, when
    tz = dt.timezone(dt.timedelta(minutes=minutes))
    sign, (hh, mm) = "-" if minutes < 0 else "+", divmod(abs(minutes), 60)
    forms = [f"{sign}{hh:02d}:{mm:02d}", f"{sign}{hh:02d}{mm:02d}"]
    forms += ["Z", "z"] if minutes == 0 else []
    forms += [f"{sign}{hh:02d}"] if mm == 0 else []
    return text + draw(st.sampled_from(forms)), when.replace(tzinfo=tz)


@given(case=iso_texts())
def test_every_documented_form_parses_the_same_on_every_path(case: tuple[str, Any]) -> None:
    text, expected = case
    assert parse_form(text) == expected
    assert parse_form(text).utcoffset() == expected.utcoffset()
    assert parse_iso(text) == expected and parse_iso(text).utcoffset() == expected.utcoffset()
    try:
        assert _fast_py310(text) == expected  # the 3.10 first step: right, or passes it on
    except ValueError:
        pass
    assert plan_for(Task).build({"created": text}).created == expected


@given(
    text=st.text(max_size=40)
    | iso_texts().map(lambda c: c[0])
    | iso_texts().map(lambda c: c[0] + "x")
)
def test_the_builder_agrees_with_the_parser_on_any_text(text: str) -> None:
    try:
        expected: Any = parse_iso(text)
    except ValueError:
        expected = ("refused", "created")
    try:
        got: Any = plan_for(Task).build({"created": text}).created
    except ResponseValidationError as exc:
        got = ("refused", exc.path)
    assert got == expected
    assert _result.parse_time(text) == (None if isinstance(expected, tuple) else expected)


@given(when=st.datetimes(timezones=st.none() | st.just(UTC) | st.just(TOKYO)))
def test_written_timestamps_read_back(when: dt.datetime) -> None:
    text = format_iso(when)
    assert parse_iso(text) == when and parse_iso(text).utcoffset() == when.utcoffset()
    assert not text.endswith("+00:00")

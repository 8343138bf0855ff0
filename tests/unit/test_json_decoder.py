"""The response JSON decoder (``synapse_sdk._http._json``): msgspec's speed, the stdlib's answers.

Every body, valid or not, must give exactly what ``json.loads`` gives: the same values with the
same types (``True`` is not ``1``, ``1.0`` is not ``1``, ``-0.0`` is not ``0.0``, nan is nan), the
same key order, or the same error (type and message). The tests run through the msgspec path
(``_fast`` set) and the standard-library path (``_fast`` None), selected without reloading.
Choosing the decoder (the environment variable) is in ``test_json_decoder_choice.py``.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from json_support import Spy, same

from synapse_sdk._http import _json
from synapse_sdk._http._json import loads

MSGSPEC = msgspec.json.Decoder().decode


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Spy:
    """The msgspec path, counted."""
    fast = Spy()
    monkeypatch.setattr(_json, "_fast", fast)
    return fast


@pytest.fixture
def stdlib_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The standard-library path (as with SYNAPSE_SDK_JSON_DECODER=json)."""
    monkeypatch.setattr(_json, "_fast", None)


def outcome(decode: Callable[[bytes], Any], content: bytes) -> tuple[str, Any]:
    """``("ok", value)`` or ``("error", (type, message))``."""
    try:
        return "ok", decode(content)
    except Exception as exc:
        return "error", (type(exc), str(exc))


def same_outcome(a: tuple[str, Any], b: tuple[str, Any]) -> bool:
    if a[0] != b[0]:
        return False
    return a[1] == b[1] if a[0] == "error" else same(a[1], b[1])


def test_same_tells_types_apart() -> None:
    assert same([1, 1.0, True, None, "a"], [1, 1.0, True, None, "a"])
    assert same(math.nan, math.nan) and same({"a": [math.nan]}, {"a": [math.nan]})
    for a, b in [
        (1, True),
        (1, 1.0),
        (0.0, -0.0),
        (0, False),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
    ]:
        assert not same(a, b) and not same(b, a)
    assert not same([1, 2], [1, 2, 3]) and not same(math.nan, 1.0)


# -- the property: any JSON value, any way json.dumps writes it, any encoding json detects --------

BIG = st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63) - 1, -(2**64), 10**40, 0])
INTS = st.integers() | st.integers(min_value=-(10**80), max_value=10**80) | BIG
FLOATS = (
    st.floats(allow_nan=False, allow_infinity=False)
    | st.floats()
    | st.sampled_from(
        [1.0000000000000002, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -0.0, 1e16]
    )
)
#: Any code point, lone surrogates included (they are written as \\udXXX or with surrogatepass).
TEXT = st.text(st.characters(codec=None, categories=None), max_size=20) | st.sampled_from(
    ["", "\x00", "\x7f", "\u2028", "\ufeff", "\ud800", "\udfff", "\U0001f600", "\\", '"']
)
VALUES = st.recursive(
    st.none() | st.booleans() | INTS | FLOATS | TEXT,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(TEXT, inner, max_size=5),
    max_leaves=30,
)
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"]


@settings(max_examples=300, deadline=1000, suppress_health_check=[HealthCheck.too_slow])
@given(
    value=VALUES,
    ensure_ascii=st.booleans(),
    separators=st.sampled_from([None, (",", ":"), (", ", ": "), (" ,\n", "\t:\r ")]),
    indent=st.sampled_from([None, 0, 2, "\t"]),
    encoding=st.sampled_from(ENCODINGS),
)
def test_any_json_value_decodes_as_the_stdlib_decodes_it(
    value: Any, ensure_ascii: bool, separators: Any, indent: Any, encoding: str
) -> None:
    text = json.dumps(value, ensure_ascii=ensure_ascii, separators=separators, indent=indent)
    content = text.encode(encoding, "surrogatepass")
    expected = json.loads(content)
    fast = Spy()
    old = _json._fast
    _json._fast = fast  # (hypothesis forbids function-scoped fixtures in a @given test)
    try:
        got = loads(content)
    finally:
        _json._fast = old
    assert fast.calls == 1
    assert same(got, expected), (content, got, expected)


#: What msgspec must decode by itself: no nan/inf, no lone surrogates, UTF-8.
PLAIN = st.recursive(
    st.none()
    | st.booleans()
    | INTS
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(codec="utf-8"), max_size=20),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.text(st.characters(codec="utf-8"), max_size=8), inner, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=1000)
@given(value=PLAIN, ensure_ascii=st.booleans(), compact=st.booleans())
def test_plain_json_is_answered_by_msgspec_itself(
    value: Any, ensure_ascii: bool, compact: bool
) -> None:
    """Without this, a msgspec path that always failed would pass the tests above."""
    separators = (",", ":") if compact else None
    content = json.dumps(value, ensure_ascii=ensure_ascii, separators=separators).encode()
    fast = Spy()
    old = _json._fast
    _json._fast = fast
    try:
        got = loads(content)
    finally:
        _json._fast = old
    assert (fast.calls, fast.refused) == (1, 0)
    assert same(got, json.loads(content))


@settings(max_examples=300, deadline=1000)
@given(
    value=VALUES,
    cut=st.integers(min_value=0, max_value=200),
    junk=st.binary(max_size=4),
)
def test_any_broken_body_fails_or_decodes_as_the_stdlib_does(
    value: Any, cut: int, junk: bytes
) -> None:
    """Truncated, spliced and garbage bodies: the same value or the same error."""
    good = json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    for content in (good[:cut], good[:cut] + junk + good[cut:], junk, good + junk):
        old = _json._fast
        try:
            _json._fast = MSGSPEC
            fast = outcome(loads, content)
            _json._fast = None
            slow = outcome(loads, content)
        finally:
            _json._fast = old
        assert same_outcome(fast, slow), (content, fast, slow)
        reference = outcome(json.loads, content)
        assert same_outcome(slow, reference), (content, slow, reference)


# -- the table: each case msgspec refuses or could get wrong -------------------------------------

#: (body, the value, or the exception type json.loads raises)
CASES: list[tuple[bytes, Any]] = [
    # msgspec refuses, the stdlib answers
    (b"\xef\xbb\xbf[1]", [1]),
    (b"[Infinity, -Infinity]", [math.inf, -math.inf]),
    (b"NaN", math.nan),
    (b'{"a": NaN}', {"a": math.nan}),
    (b"1e400", math.inf),
    (b"-1e400", -math.inf),
    (b"1.7976931348623159e308", math.inf),
    (b'["\xed\xa0\x80"]', ["\ud800"]),
    (b'"\xed\xb0\x80"', "\udc00"),
    (b'"\\ud800"', "\ud800"),
    (b'"\\udc00\\ud800"', "\udc00\ud800"),
    (b'"\\ud800\\u0041"', "\ud800A"),
    ('[1, "\u00e9"]'.encode("utf-16"), [1, "\u00e9"]),
    ('[1, "\u00e9"]'.encode("utf-16-le"), [1, "\u00e9"]),
    ('{"a": 2}'.encode("utf-16-be"), {"a": 2}),
    ('[1, "\U0001f600"]'.encode("utf-32"), [1, "\U0001f600"]),
    ("7".encode("utf-32-be"), 7),
    ("7".encode("utf-16-le"), 7),
    # msgspec decodes, and must match exactly
    (b"18446744073709551616", 2**64),
    (b"-9223372036854775809", -(2**63) - 1),
    (b"1" * 4300, int("1" * 4300)),
    (b"1.0000000000000002", 1.0000000000000002),
    (b"1.5e-400", 0.0),
    (b"-0.0", -0.0),
    (b"-0", 0),
    (b"1E2", 100.0),
    (b"9007199254740993.0", 9007199254740992.0),
    (b"2.4703282292062328e-324", 5e-324),
    (b'{"b": 1, "a": 2, "b": 3}', {"b": 3, "a": 2}),
    (b'"\\u0000\\n\\"\\\\\\/\\u00e9\\ud83d\\ude00"', '\x00\n"\\/\u00e9\U0001f600'),
    (b'"\x7f\xe2\x80\xa8"', "\x7f\u2028"),
    (b" \t\r\n[true, false, null] \n", [True, False, None]),
    # both refuse: the stdlib's error
    (b"", json.JSONDecodeError),
    (b"   ", json.JSONDecodeError),
    (b'{"a": 1', json.JSONDecodeError),
    (b"[1, 2", json.JSONDecodeError),
    (b'"\x00"', json.JSONDecodeError),
    (b'"\x1f"', json.JSONDecodeError),
    (b'"a\tb"', json.JSONDecodeError),
    (b"[1] x", json.JSONDecodeError),
    (b"[1]\x00", json.JSONDecodeError),
    (b"\x0c1", json.JSONDecodeError),
    (b"\xc2\xa01", json.JSONDecodeError),
    (b"[1,]", json.JSONDecodeError),
    (b"01", json.JSONDecodeError),
    (b"-NaN", json.JSONDecodeError),
    (b'"\\x41"', json.JSONDecodeError),
    (b"True", json.JSONDecodeError),
    (b"1" * 4301, ValueError),  # Python's int digit limit
    (b'"\xff"', UnicodeDecodeError),
    (b'"\xc0\x80"', UnicodeDecodeError),  # overlong
    (b'"\xf4\x90\x80\x80"', UnicodeDecodeError),  # beyond U+10FFFF
    (b'["\xe9t\xe9"]', UnicodeDecodeError),  # Latin-1
    (b"\xff\xfe\x00", UnicodeDecodeError),  # a UTF-16 BOM and half a character
    (b"[" * 100_000 + b"]" * 100_000, ValueError),  # deeper than any version's limit
    (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, ValueError),
]


def _ids() -> list[str]:
    return [repr(body[:24]) + (f"..({len(body)})" if len(body) > 24 else "") for body, _ in CASES]


@pytest.mark.parametrize("path", ["msgspec", "json"])
@pytest.mark.parametrize(("content", "expected"), CASES, ids=_ids())
def test_edge_case_matches_the_stdlib(
    monkeypatch: pytest.MonkeyPatch, path: str, content: bytes, expected: Any
) -> None:
    fast = Spy()
    monkeypatch.setattr(_json, "_fast", fast if path == "msgspec" else None)
    got = outcome(loads, content)
    if isinstance(expected, type):
        assert got[0] == "error" and got[1][0] is expected, got
        if expected is not ValueError:  # the deep ones are re-raised with their own message
            assert same_outcome(got, outcome(json.loads, content))
    else:
        assert got[0] == "ok" and same(got[1], expected), got
        assert same_outcome(got, outcome(json.loads, content))
    assert fast.calls == (1 if path == "msgspec" else 0)


def test_the_table_exercises_the_fallback(spy: Spy) -> None:
    """A table msgspec answered alone would prove nothing about the fallback."""
    answered = [body for body, expected in CASES if not isinstance(expected, type)]
    for body in answered:
        loads(body)
    assert 10 < spy.refused < spy.calls == len(answered)


@pytest.mark.parametrize("path", ["msgspec", "json"])
def test_deep_nesting_is_a_value_error_naming_the_nesting(
    monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    monkeypatch.setattr(_json, "_fast", MSGSPEC if path == "msgspec" else None)
    with pytest.raises(ValueError, match="nested too deeply") as info:
        loads(b"[" * 100_000 + b"]" * 100_000)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_nesting_the_stdlib_accepts_decodes_alike(spy: Spy) -> None:
    """The deepest array json.loads accepts here (it depends on the stack and the version):
    the same value (from msgspec, or, where msgspec's own limit is a little lower, as on Python
    3.13, from the fallback); both fail a little deeper (the one documented divergence is in
    between)."""
    depth = 1
    while True:
        try:
            json.loads(b"[" * (depth + 1) + b"]" * (depth + 1))
        except RecursionError:
            break
        depth += 1
    value = loads(b"[" * depth + b"]" * depth)
    for _ in range(depth - 1):  # (comparing such a value would itself recurse too deeply)
        assert type(value) is list and len(value) == 1
        value = value[0]
    assert value == []
    assert spy.calls == 1
    if sys.version_info < (3, 12):
        assert spy.refused == 0  # msgspec and json share the recursion limit there
    with pytest.raises(ValueError, match="nested too deeply"):
        loads(b"[" * (depth + 10) + b"]" * (depth + 10))


def test_a_non_json_failure_inside_msgspec_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """Anything msgspec raises (not only DecodeError) lets the stdlib answer."""
    for error in (RuntimeError("bug"), MemoryError(), RecursionError(), TypeError("x")):

        def broken(content: bytes, error: BaseException = error) -> Any:
            raise error

        monkeypatch.setattr(_json, "_fast", broken)
        assert loads(b'{"a": [1, 2.5]}') == {"a": [1, 2.5]}


def test_keyboard_interrupt_is_not_swallowed(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(content: bytes) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(_json, "_fast", interrupted)
    with pytest.raises(KeyboardInterrupt):
        loads(b"[1]")


def test_the_default_is_msgspec_when_installed() -> None:
    if os.environ.get(_json.ENV_VAR, "").strip().lower() == "json":
        pytest.skip("the test run forces the stdlib decoder")
    assert _json.DECODER == "msgspec" and _json._fast is not None

"""Timeout construction and coercion (no sockets)."""

from __future__ import annotations

import pytest

from synapse_sdk._http import Timeout


def test_defaults():
    assert Timeout() == Timeout(connect=5.0, read=30.0, deadline=300.0)


def test_coerce_dict_number_none_and_instance():
    base = Timeout(connect=1, read=2, deadline=3)
    assert Timeout.coerce({"connect": 5, "read": 30}) == Timeout(5, 30, 300)
    assert Timeout.coerce({"read": 60}, base=base) == Timeout(1, 60, 3)
    assert Timeout.coerce({"deadline": None}, base=base) == Timeout(1, 2, None)
    assert Timeout.coerce(10, base=base) == Timeout(10, 10, 3)
    assert Timeout.coerce(2.5) == Timeout(2.5, 2.5, 300)
    assert Timeout.coerce(None, base=base) is base
    assert Timeout.coerce(None) == Timeout()
    assert Timeout.coerce(base) is base


@pytest.mark.parametrize(
    ("value", "error", "words"),
    [
        (True, TypeError, "bool"),
        ("5", TypeError, "str"),
        (-1, ValueError, "> 0"),
        (0, ValueError, "> 0"),
        (float("inf"), ValueError, "finite"),
        ({"conect": 5}, ValueError, "'conect'"),
        ({"read": -2}, ValueError, "'read'"),
        ({"read": False}, TypeError, "'read'"),
    ],
)
def test_coerce_errors(value, error, words):
    with pytest.raises(error, match=words):
        Timeout.coerce(value)


def test_constructor_validates():
    with pytest.raises(ValueError):
        Timeout(read=-1)
    with pytest.raises(TypeError):
        Timeout(connect="1")  # type: ignore[arg-type]

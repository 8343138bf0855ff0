"""The msgspec decoder against a server's odd JSON: the standard library's answer, every time.

A body msgspec refuses but ``json.loads`` accepts (a UTF-8 BOM, ``NaN``, a UTF-16 body, a lone
surrogate) gives the stdlib's value; a body both refuse (truncated, invalid UTF-8, trailing
garbage) is a ResponseDecodeError naming the status, or for an error answer the status error
with the body kept as text. Each case runs with msgspec (counted, to prove it was asked) and with
the standard library alone.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest
from hostile_server import Conn, HostileServer, Request, head_bytes, task_json
from json_support import Spy

from synapse_sdk import ResponseDecodeError, Timeout, ValidationError
from synapse_sdk._http import _json
from synapse_sdk.clients.backend import BackendClient

BOM = b"\xef\xbb\xbf"


@pytest.fixture(params=["msgspec", "json"])
def spy(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Spy | None:
    """The decoder under test: msgspec (counted) or the standard library alone (None)."""
    fast = Spy() if request.param == "msgspec" else None
    monkeypatch.setattr(_json, "_fast", fast)
    return fast


def make_client(server: HostileServer) -> BackendClient:
    return BackendClient(
        server.url, api_token="t", retries=0, timeout=Timeout(connect=2, read=2, deadline=5)
    )


def answer(status: int, body: bytes) -> Callable[[Conn, Request], bool]:
    def handler(conn: Conn, req: Request) -> bool:
        headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        conn.send(head_bytes(status, headers) + body)
        return True

    return handler


def task_text(**meta: Any) -> str:
    return json.dumps({**task_json(7), "meta": meta})


def page_text(**meta: Any) -> str:
    return f'{{"count": 1, "next": null, "previous": null, "results": [{task_text(**meta)}]}}'


def nan(text: str) -> bytes:
    return text.replace('"n": 1', '"n": NaN').encode()


def minus_infinity(text: str) -> bytes:
    return text.replace('"n": 1', '"n": -Infinity').encode()


def lone_surrogate(text: str) -> bytes:
    return text.replace('"n": 1', '"n": "\\ud800"').encode()


#: Bodies json.loads accepts and msgspec refuses: the meta sent, how the body is written, and
#: the meta json.loads makes of it.
ACCEPTED: dict[str, tuple[dict[str, Any], Callable[[str], bytes], dict[str, Any]]] = {
    "bom": ({"n": 2**64}, lambda t: BOM + t.encode(), {"n": 2**64}),
    "nan": ({"n": 1}, nan, {"n": math.nan}),
    "infinity": ({"n": 1}, minus_infinity, {"n": -math.inf}),
    "utf-16": ({"n": "\u00e9\u2603"}, lambda t: t.encode("utf-16"), {"n": "\u00e9\u2603"}),
    "surrogate": ({"n": 1}, lone_surrogate, {"n": "\ud800"}),
}


def same_meta(got: Any, expected: dict[str, Any]) -> bool:
    value, want = got["n"], expected["n"]
    if isinstance(want, float) and math.isnan(want):
        return isinstance(value, float) and math.isnan(value)
    return type(value) is type(want) and value == want


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_a_body_only_the_stdlib_accepts_gets_its_value(
    hostile: HostileServer, spy: Spy | None, case: str
) -> None:
    meta, encode, expected = ACCEPTED[case]
    hostile.route("/tasks/", answer(200, encode(task_text(**meta))))
    hostile.route("/sdk/tasks/", answer(200, encode(page_text(**meta))))
    with make_client(hostile) as client:
        raw = client.get_task(7)
        typed = client.tasks.get(7)
        rows = list(client.list_tasks(list_all=True))
        typed_rows = list(client.tasks.all())
    assert same_meta(raw["meta"], expected) and same_meta(typed.meta, expected)
    assert len(rows) == len(typed_rows) == 1
    assert same_meta(rows[0]["meta"], expected) and same_meta(typed_rows[0].meta, expected)
    if spy is not None:  # msgspec was asked and refused each body: the fallback answered
        assert spy.calls == spy.refused == 4


#: Bodies both refuse.
REFUSED: dict[str, bytes] = {
    "truncated": task_text(n=1).encode()[:-9],
    "invalid-utf-8": task_text(n="\u00e9").replace("\\u00e9", "\u00e9").encode("latin-1"),
    "trailing-garbage": task_text(n=1).encode() + b" }",
    "bom-then-truncated": BOM + b'{"id": 7, ',
    "nul": b"\x00" + task_text(n=1).encode(),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
@pytest.mark.parametrize("surface", ["typed", "seed", "listing"])
def test_a_body_both_refuse_is_a_decode_error_naming_the_status(
    hostile: HostileServer, spy: Spy | None, case: str, surface: str
) -> None:
    body = REFUSED[case]
    hostile.default = answer(200, body)
    calls: dict[str, Callable[[BackendClient], Any]] = {
        "typed": lambda c: c.tasks.get(7),
        "seed": lambda c: c.get_task(7),
        "listing": lambda c: list(c.list_tasks(list_all=True)),
    }
    with make_client(hostile) as client, pytest.raises(ResponseDecodeError) as info:
        calls[surface](client)
    assert info.value.status_code == 200
    message = str(info.value)
    assert "could not decode the 200 response" in message
    assert f"malformed or truncated JSON ({len(body)} bytes" in message
    with pytest.raises((ValueError, UnicodeDecodeError)) as stdlib:
        json.loads(body)
    assert f"'application/json'): {stdlib.value} (GET " in message  # the stdlib's own words
    if spy is not None:
        assert spy.calls == spy.refused == 1


@pytest.mark.parametrize(
    ("body", "parsed"),
    [
        (BOM + b'{"detail": "bad \\u00e9"}', {"detail": "bad \u00e9"}),
        (b'{"detail": "bad", "score": NaN}', None),
        (b'{"detail": "bad"', None),
        (b'{"detail": "bad \xe9"}', None),
    ],
    ids=["bom", "nan", "truncated", "invalid-utf-8"],
)
def test_an_error_answer_keeps_what_the_stdlib_makes_of_its_body(
    hostile: HostileServer, spy: Spy | None, body: bytes, parsed: dict[str, Any] | None
) -> None:
    hostile.default = answer(400, body)
    with make_client(hostile) as client, pytest.raises(ValidationError) as info:
        client.get_task(7)
    assert info.value.status_code == 400
    try:
        expected: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        expected = body.decode("utf-8", "replace")  # kept as text
    response = info.value.response
    if parsed is not None:
        assert response == parsed == expected
        assert info.value.message == parsed["detail"]
    elif isinstance(expected, dict):  # NaN: parsed by the stdlib
        assert isinstance(response, dict) and response["detail"] == "bad"
        assert math.isnan(response["score"])
    else:
        assert response == expected
    if spy is not None:
        assert spy.calls == spy.refused == 1

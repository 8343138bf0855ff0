"""Both JSON decoders against the local backend, over HTTP: the same rows, typed and raw.

The decoder is switched in-process (``synapse_sdk._http._json._fast``: msgspec's decode, or None
for the standard library); a counting wrapper proves msgspec really answered.
"""

from __future__ import annotations

from typing import Any

import pytest
from json_support import Spy, same

from synapse_sdk._http import _json
from synapse_sdk.clients.backend import BackendClient

#: Values a decoder could get subtly wrong: exact big integers, float rounding and sign, text.
TRICKY: dict[str, Any] = {
    "big": 2**70,
    "small": -(2**63) - 1,
    "u64": 2**64 - 1,
    "float": 1.0000000000000002,
    "zero": -0.0,
    "tiny": 5e-324,
    "huge": 1.7976931348623157e308,
    "integral": 100.0,
    "text": 'caf\u00e9 \u2603 \U0001f600 \x00 \u2028 "q" \\',
    "nested": [[1, [2.5, None, True]], {"": False, "b": 1, "a": 2}],
}


def read_everything(client: BackendClient, project: int, task: int) -> dict[str, Any]:
    """A listing and a get, through the seed (raw JSON) and the typed API."""
    return {
        "raw_rows": list(client.list_tasks({"project": project}, list_all=True)),
        "raw_page": client.list_tasks({"project": project, "page_size": 2}),
        "raw_get": client.get_task(task),
        "typed_rows": list(client.tasks.filter(project=project)),
        "typed_get": client.tasks.get(task),
    }


def test_both_decoders_read_the_same_rows(
    client: BackendClient, demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    task = demo["task"]
    client.annotate_task_data(task, {"action": "save", "data": TRICKY}, schema="any")

    spy = Spy()
    monkeypatch.setattr(_json, "_fast", spy)
    fast = read_everything(client, demo["project"], task)
    assert spy.calls >= 5 and spy.refused == 0  # msgspec answered every call itself

    monkeypatch.setattr(_json, "_fast", None)
    slow = read_everything(client, demo["project"], task)
    assert spy.calls >= 5 and spy.refused == 0  # (and was not called again)

    assert len(fast["raw_rows"]) >= 2 and any(r["id"] == task for r in fast["raw_rows"])
    for key in ("raw_rows", "raw_get"):
        assert same(fast[key], slow[key]), key
    assert same(dict(fast["raw_page"]), dict(slow["raw_page"]))
    assert fast["typed_rows"] == slow["typed_rows"]
    assert fast["typed_get"] == slow["typed_get"]
    for decoded in (fast, slow):
        assert same(decoded["raw_get"]["data"], TRICKY)
        assert same(decoded["typed_get"].data, TRICKY)
        (row,) = [r for r in decoded["raw_rows"] if r["id"] == task]
        assert same(row["data"], TRICKY)

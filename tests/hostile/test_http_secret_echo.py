"""A server that echoes the request's credentials back in its error body (a debugging proxy, a
hostile backend) never gets them into an error's message, ``str``/``repr`` or ``response``."""

from __future__ import annotations

import json
import traceback

import pytest
from hostile_server import Conn, HostileServer, Request

from synapse_sdk import BackendClient, ClientError

TOKENS = {
    "api_token": "api-c4n4ry-1111",
    "authorization_token": "auth-c4n4ry-2222",
    "agent_token": "agent-c4n4ry-3333",
    "tenant": "tenant-c4n4ry-4444",
}


def _echo_json(conn: Conn, req: Request) -> bool:
    headers = req.auth_headers()
    conn.send_json(
        {"detail": f"bad credentials: {headers}", "echo": {v: [v] for v in headers.values()}},
        403,
    )
    return True


def _echo_text(conn: Conn, req: Request) -> bool:
    body = ("denied " + " ".join(req.auth_headers().values())).encode()
    conn.send_head(400, {"Content-Type": "text/plain", "Content-Length": str(len(body))})
    conn.send(body)
    return True


def _echo_bare(conn: Conn, req: Request) -> bool:
    bare = [v.split(" ", 1)[1] for v in req.auth_headers().values()]
    conn.send_json({"message": ",".join(bare), "tokens": bare}, 401)
    return True


@pytest.mark.parametrize(
    "handler", [_echo_json, _echo_text, _echo_bare], ids=["json", "text", "bare"]
)
def test_echoed_credentials_are_scrubbed(hostile: HostileServer, handler: object) -> None:
    hostile.route("/", handler)  # type: ignore[arg-type]
    client = BackendClient(hostile.url, **TOKENS, retries=0)
    with pytest.raises(ClientError) as info:
        client.get_task(1)
    exc = info.value
    sent = hostile.requests("/tasks/")[0].auth_headers()
    assert len(sent) == 4  # every credential went out, so each one was echoed back
    texts = [
        str(exc),
        repr(exc),
        exc.message,
        json.dumps(exc.response),
        "".join(traceback.format_exception(exc)),
    ]
    for token in TOKENS.values():
        assert all(token not in text for text in texts), token
    assert "***" in str(exc)


def test_the_typed_api_scrubs_too(hostile: HostileServer) -> None:
    hostile.route("/", _echo_json)
    client = BackendClient(hostile.url, api_token=TOKENS["api_token"], retries=0)
    with pytest.raises(ClientError) as info:
        client.tasks.get(1)
    assert TOKENS["api_token"] not in str(info.value) + json.dumps(info.value.response)

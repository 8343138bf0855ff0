"""Response decoding and status -> error mapping (no sockets)."""

from __future__ import annotations

import pickle

import pytest

from synapse_sdk._exceptions import (
    AuthenticationError,
    HTTPError,
    NotFoundError,
    RateLimitError,
    ResponseDecodeError,
    ServerError,
    ValidationError,
)
from synapse_sdk._http import UNSET, Response, Session
from synapse_sdk._http._encoding import encode_json
from synapse_sdk._http._response import build_status_error


def _response(status=200, content=b"", ctype="application/json"):
    headers = {"Content-Type": ctype} if ctype else {}
    return Response(status, headers, content, "GET", "https://h/x/", "rid")


def test_json_variants():
    assert _response(content=b'{"a": 1}').json() == {"a": 1}
    assert _response(content=b'{"a": 1}', ctype="application/vnd.api+json").json() == {"a": 1}
    assert _response(content=b"[1]", ctype="").json() == [1]
    assert _response(204).json() is None
    assert _response(content=b"  ").json() is None
    assert (
        _response(content="é".encode("latin-1"), ctype="text/plain; charset=latin-1").text() == "é"
    )


@pytest.mark.parametrize(
    ("content", "ctype", "words"),
    [
        (b'{"a": 1', "application/json", "malformed or truncated"),
        (b"<html></html>", "text/html; charset=utf-8", "text/html"),
        (b"\xff\xfe", "application/json", "malformed"),
    ],
)
def test_json_decode_errors(content, ctype, words):
    with pytest.raises(ResponseDecodeError, match=words) as info:
        _response(502 if ctype == "text/html" else 200, content, ctype).json()
    assert info.value.request_id == "rid"
    assert str(info.value.status_code) in str(info.value)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, ValidationError),
        (401, AuthenticationError),
        (404, NotFoundError),
        (418, HTTPError),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_status_errors(status, cls):
    error = build_status_error(_response(status, b'{"detail": "nope"}'))
    assert type(error) is cls
    assert error.status_code == status
    assert error.message == "nope"
    assert error.response == {"detail": "nope"}
    assert (error.method, error.url, error.request_id) == ("GET", "https://h/x/", "rid")
    assert pickle.loads(pickle.dumps(error)).response == {"detail": "nope"}


def test_error_message_from_field_errors_and_text():
    error = build_status_error(_response(400, b'{"name": ["required"]}'))
    assert error.message == '{"name":["required"]}'
    text = build_status_error(_response(500, b"plain failure", "text/plain"))
    assert text.message == "plain failure"
    assert text.response == "plain failure"
    empty = build_status_error(_response(502, b"", ""))
    assert empty.message == "Bad Gateway"


def test_rate_limit_retry_after():
    error = build_status_error(_response(429, b"{}"), retry_after=4.0)
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 4.0


def test_encode_json():
    assert encode_json({"a": "é"}) == '{"a": "é"}'.encode()
    with pytest.raises(ValueError, match="lone surrogate"):
        encode_json(["\ud800"])
    with pytest.raises(ValueError, match="NaN"):
        encode_json(float("nan"))
    with pytest.raises(TypeError):
        encode_json(object())


def test_request_input_errors_before_io():
    session = Session("http://127.0.0.1:9")  # nothing listens; no request must be attempted
    with pytest.raises(TypeError, match="not both"):
        session.request("POST", "a/", json={}, body=b"x")
    with pytest.raises(ValueError):
        session.request("GET", "a/../b/")
    with pytest.raises(ValueError, match="line break"):
        session.request("GET", "a/", headers={"X-Token": "a\r\nb"})
    with pytest.raises(ValueError) as info:
        Session("http://h", headers={"Synapse-Access-Token": "Token secret\n"})
    assert "secret" not in str(info.value)
    assert UNSET is not None
    assert not UNSET
    assert repr(UNSET) == "UNSET"

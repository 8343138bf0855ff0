"""Header blocks: the SDK's parser builds exactly the message ``http.client`` builds (its e-mail
parser), for plain blocks (parsed directly) and for everything else (handed to the e-mail parser),
and reads blocks bounded as ``http.client`` does."""

from __future__ import annotations

import http.client
import io
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synapse_sdk._http import _headers
from synapse_sdk._http._headers import (
    MAX_HEADERS,
    MAX_LINE,
    parse_header_block,
    read_header_block,
)


def stdlib(lines: list[bytes]) -> http.client.HTTPMessage:
    """What http.client builds from the same lines (``parse_headers`` on a file of them)."""
    return http.client.parse_headers(io.BytesIO(b"".join(lines)))


def state(message: Any) -> dict[str, Any]:
    """Everything a message holds (a nested message by its own state)."""
    out = dict(vars(message))
    out["defects"] = [(type(d), str(d)) for d in message.defects]
    payload = out.get("_payload")
    if isinstance(payload, list):
        out["_payload"] = [state(p) for p in payload]
    out["items"] = message.items()
    out["content_type"] = message.get_content_type()
    return out


def same(lines: list[bytes]) -> None:
    assert state(parse_header_block(lines)) == state(stdlib(lines))


PLAIN = [
    [b"\r\n"],
    [b"Content-Type: application/json\r\n", b"Content-Length: 12\r\n", b"\r\n"],
    [b"Date: Tue, 01 Dec 2026 16:00:00 GMT\r\n", b"Server: x/1\r\n", b"Vary: A, B\r\n", b"\r\n"],
    [b"X-Empty:\r\n", b"X-Blanks: \t  v  \t\r\n", b"X-Colons: a:b::c\r\n", b"\r\n"],
    [b"Set-Cookie: a=1\r\n", b"set-cookie: b=2\r\n", b"X-Latin: caf\xe9\r\n", b"\r\n"],
    [b"X-Nul: a\x00b\r\n", b"X-Ctl: \x01\x7f\xff\r\n", b"\r\n"],
]
ODD = [
    [b"Content-Type: multipart/mixed; boundary=x\r\n", b"\r\n"],
    [b"Content-Type: message/rfc822\r\n", b"\r\n"],
    [b"Content-Type: MESSAGE/delivery-status\r\n", b"\r\n"],
    [b"X-Folded: a\r\n", b" b\r\n", b"\tc\r\n", b"\r\n"],
    [b"No colon here\r\n", b"X-After: 1\r\n", b"\r\n"],
    [b": no name\r\n", b"X-After: 1\r\n", b"\r\n"],
    [b"From someone\r\n", b"\r\n"],
    [b"X-Space Name: 1\r\n", b"\r\n"],
    [b"X-Caf\xe9: 1\r\n", b"\r\n"],
    [b"X-CR: a\rb\r\n", b"\r\n"],
    [b"X-LF: a\n", b"\r\n"],
    [b"X-A: 1\r\n", b"\n"],
    [b"X-VT: a\x0bb\r\n", b"X-FF: a\x0cb\r\n", b"X-NEL: a\x85b\r\n", b"\r\n"],
    [b"X-Seps: a\x1cb\x1dc\x1ed\r\n", b"\r\n"],
]


@pytest.mark.parametrize("lines", PLAIN, ids=range(len(PLAIN)))
def test_plain_blocks_skip_the_email_parser_and_match_it(
    lines: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = state(stdlib(lines))
    # The fast path must not need the e-mail parser at all.
    monkeypatch.setattr(_headers.email.parser, "Parser", None)
    assert state(parse_header_block(lines)) == expected


@pytest.mark.parametrize("lines", ODD, ids=range(len(ODD)))
def test_every_other_block_is_what_the_email_parser_makes_of_it(lines: list[bytes]) -> None:
    same(lines)


LINE_BYTES = st.sampled_from(
    [b"a", b"Z", b"-", b"_", b":", b" ", b"\t", b"\r", b"\n", b"\x00", b"\x0b", b"\x85", b"\xe9"]
)
WORDS = st.sampled_from([b"Content-Type", b"multipart/x", b"message/y", b"From ", b"text/plain"])
LINE = st.lists(st.one_of(LINE_BYTES, WORDS), max_size=8).map(b"".join)
PLAIN_LINE = st.builds(
    lambda name, value: name + b":" + value + b"\r\n",
    st.sampled_from([b"Content-Type", b"Content-Length", b"X-A", b"set-cookie", b"a!#$%&'*+.^`|~"]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=12).map(
        lambda t: t.encode("latin-1")
    ),
)
ENDING = st.sampled_from([b"\r\n", b"\r\n", b"\n"])


@settings(max_examples=400, deadline=None)
@given(
    body=st.lists(st.one_of(PLAIN_LINE, PLAIN_LINE, LINE.map(lambda b: b + b"\r\n"), LINE)),
    end=ENDING,
)
def test_any_block_parses_as_http_client_parses_it(body: list[bytes], end: bytes) -> None:
    # Lines as a reader returns them: each ends at its LF (a line without one is merged on).
    raw = b"".join(body)
    lines = [line for line in io.BytesIO(raw).readlines() if line not in (b"\r\n", b"\n")]
    if lines and not lines[-1].endswith(b"\n"):
        lines[-1] += b"\r\n"
    same([*lines, end])


def test_blocks_are_read_to_their_blank_line_and_bounded_as_http_client_reads_them() -> None:
    wire = b"A: 1\r\nB: 2\r\n\r\nbody"
    fp = io.BytesIO(wire)
    assert read_header_block(fp) == [b"A: 1\r\n", b"B: 2\r\n", b"\r\n"]
    assert fp.read() == b"body"
    assert read_header_block(io.BytesIO(b"A: 1\r\n")) == [b"A: 1\r\n", b""]
    assert read_header_block(io.BytesIO(b"A: 1\n\n")) == [b"A: 1\n", b"\n"]
    with pytest.raises(http.client.LineTooLong):
        read_header_block(io.BytesIO(b"A: " + b"x" * MAX_LINE + b"\r\n\r\n"))
    with pytest.raises(http.client.HTTPException, match=f"got more than {MAX_HEADERS} headers"):
        read_header_block(io.BytesIO(b"A: 1\r\n" * (MAX_HEADERS + 1) + b"\r\n"))
    # Exactly the bounds http.client enforces.
    http.client.parse_headers(io.BytesIO(b"A: 1\r\n" * (MAX_HEADERS - 1) + b"\r\n"))
    assert len(read_header_block(io.BytesIO(b"A: 1\r\n" * (MAX_HEADERS - 1) + b"\r\n"))) == 100

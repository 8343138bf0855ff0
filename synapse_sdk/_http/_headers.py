"""An answer's header block: read it bounded, and parse it into what ``http.client`` would build.

``http.client`` hands every header block to the e-mail package's feed parser, which costs tens
of microseconds per answer (about a tenth of the client's CPU for a small API call). A block of
plain ``Name: value`` lines - what servers send - is parsed here directly into the same
:class:`http.client.HTTPMessage`: the same ``(name, value)`` list, no defects, an empty payload.
Anything else goes to the e-mail parser exactly as ``http.client`` does, so the message is always
the one ``http.client`` builds: folded (continued) lines, a line without a colon or with a name
outside printable ASCII, a CR or another line-break character inside a line, a block ending in a
bare LF, and any ``Content-Type`` naming ``multipart`` or ``message`` (which the e-mail parser
treats specially). Tests pin the two paths together over arbitrary blocks.
"""

from __future__ import annotations

import email.parser
import http.client
import re
from typing import Any

__all__ = ["MAX_HEADERS", "MAX_LINE", "parse_header_block", "read_header_block"]

#: ``http.client``'s bounds on a header block: the longest line and the most lines.
MAX_LINE: int = getattr(http.client, "_MAXLINE", 65536)
MAX_HEADERS: int = getattr(http.client, "_MAXHEADERS", 100)

# A plain header line: a name of printable ASCII but ':' (the e-mail parser's own rule), a
# colon, optional blanks (the e-mail parser strips them), a value without any character the
# e-mail parser or str.splitlines could split on, and CRLF.
_PLAIN = re.compile(rb"([!-9;-~]+):[ \t]*([^\r\n\x0b\x0c\x1c\x1d\x1e\x85]*)\r\n")


def read_header_block(fp: Any) -> list[bytes]:
    """The lines of one header block, its ending line (CRLF, LF, or ``b""`` when the
    connection closed first) last; bounded and worded as ``http.client``'s own reader.

    Raises:
        http.client.LineTooLong: A line over :data:`MAX_LINE` bytes.
        http.client.HTTPException: More than :data:`MAX_HEADERS` lines.
    """
    lines: list[bytes] = []
    while True:
        line: bytes = fp.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise http.client.LineTooLong("header line")
        lines.append(line)
        if len(lines) > MAX_HEADERS:
            raise http.client.HTTPException(f"got more than {MAX_HEADERS} headers")
        if line in (b"\r\n", b"\n", b""):
            return lines


def parse_header_block(lines: list[bytes]) -> http.client.HTTPMessage:
    """The message ``http.client.parse_headers`` builds from ``lines`` (as read by
    :func:`read_header_block`), without the e-mail parser when every line is plain."""
    if lines[-1] == b"\r\n":
        message = http.client.HTTPMessage()
        match = _PLAIN.fullmatch
        for index in range(len(lines) - 1):
            found = match(lines[index])
            if found is None:
                break
            name = found[1].decode("ascii")
            value = found[2].decode("iso-8859-1")
            if len(name) == 12 and name.lower() == "content-type":
                kind = value.lower()
                if "multipart" in kind or "message" in kind:
                    break
            message.set_raw(name, value)
        else:
            message.set_payload("")
            return message
    text = b"".join(lines).decode("iso-8859-1")
    return email.parser.Parser(_class=http.client.HTTPMessage).parsestr(text)

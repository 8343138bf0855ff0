"""Parsing Server-Sent Events: bytes in, event blocks out, under a line and a block limit.

The format: ``field: value`` lines (one space after the colon dropped), ``data`` lines joined by
newlines, ``:`` comments, ``event``/``id``/``retry`` fields, a blank line ending each block, CR,
LF or CRLF line ends (a CRLF split across two reads is one line end), a UTF-8 BOM dropped,
undecodable bytes replaced. The stream logic is in :mod:`._sse`.
"""

from __future__ import annotations

import collections
import re
from collections.abc import Iterator
from typing import Any

import attrs

from synapse_sdk._exceptions import ResponseTooLargeError

__all__ = ["SSEEvent", "SeenIds", "SSEParser"]

_LINE_END = re.compile(rb"\r\n|\r|\n")
_REMEMBERED_IDS = 4096


@attrs.frozen
class SSEEvent:
    """One block of the stream (the lines up to a blank line).

    Attributes:
        id: The block's own ``id`` field, or None.
        last_id: The stream's last event id once this block was read (what a reconnect sends).
        event: The event type (``"message"`` unless the block names one).
        data: The ``data`` lines joined with newlines; None for a block without data (only
            comments, such as a ``: ping`` keep-alive): not an event in the SSE sense.
        lines: The block's raw non-blank lines, as received (comments included).
    """

    id: str | None
    last_id: str | None
    event: str
    data: str | None
    lines: tuple[str, ...]


class SSEParser:
    """Bytes in, blocks out, under the line and block limits."""

    def __init__(self, max_line: int, max_block: int, context: dict[str, Any]) -> None:
        self.max_line, self.max_block, self.context = max_line, max_block, context
        self.buf = bytearray()
        self.skip_lf = False
        self.first = True
        self.last_id: str | None = None
        self.retry_ms: int | None = None
        self.reset()

    def reset(self) -> None:
        self.lines: list[str] = []
        self.data: list[str] = []
        self.event = ""
        self.block_id: str | None = None
        self.size = 0

    def _too_large(self, what: str, limit: int) -> ResponseTooLargeError:
        error = ResponseTooLargeError(
            f"the event stream sent {what} longer than {limit} bytes; nothing more was read",
            **self.context,
        )
        error.limit = limit
        return error

    def feed(self, chunk: bytes) -> Iterator[SSEEvent]:
        buf = self.buf
        held = len(buf)  # what is held has no line end: scan only the new bytes
        buf += chunk
        start = 0
        if self.skip_lf and buf[:1] == b"\n":
            start = 1
        self.skip_lf = False
        for match in _LINE_END.finditer(buf, max(start, held)):
            line = bytes(buf[start : match.start()])
            start = match.end()
            if match.group() == b"\r" and start == len(buf):
                self.skip_lf = True  # a CRLF may be split across reads
            block = self._line(line)
            if block is not None:
                yield block
        del buf[:start]
        if len(buf) > self.max_line:
            raise self._too_large("a line", self.max_line)

    def _line(self, raw: bytes) -> SSEEvent | None:
        if self.first:
            self.first = False
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        if len(raw) > self.max_line:
            raise self._too_large("a line", self.max_line)
        if not raw:
            return self._dispatch()
        self.size += len(raw) + 1
        if self.size > self.max_block:
            raise self._too_large("an event", self.max_block)
        line = raw.decode("utf-8", errors="replace")
        self.lines.append(line)
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self.data.append(value)
        elif name == "event":
            self.event = value
        elif name == "id" and "\0" not in value:
            self.block_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retry_ms = int(value)
        return None

    def _dispatch(self) -> SSEEvent | None:
        if not self.lines:
            return None
        if self.block_id is not None:
            self.last_id = self.block_id
        block = SSEEvent(
            id=self.block_id,
            last_id=self.last_id,
            event=self.event or "message",
            data="\n".join(self.data) if self.data else None,
            lines=tuple(self.lines),
        )
        self.reset()
        return block


class SeenIds:
    """Ids already dispatched: numeric ids must grow, others are remembered (bounded)."""

    def __init__(self) -> None:
        self.high: int | None = None
        self.order: collections.deque[str] = collections.deque()
        self.names: set[str] = set()

    def duplicate(self, event_id: str) -> bool:
        if event_id.isascii() and event_id.isdigit() and len(event_id) < 30:
            number = int(event_id)
            if self.high is not None and number <= self.high:
                return True
            self.high = number
            return False
        if event_id in self.names:
            return True
        self.names.add(event_id)
        self.order.append(event_id)
        if len(self.order) > _REMEMBERED_IDS:
            self.names.discard(self.order.popleft())
        return False

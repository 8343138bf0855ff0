"""Reading a buffered answer's body: bounded in time and in size, decoded only when safe.

* **Size.** A 2xx API body may hold at most ``max_response_bytes`` (64 MiB by default): a
  ``Content-Length`` over the cap is refused before anything is read, and a body that grows past
  it (chunked or unannounced) is refused as soon as it does. Error answers (status >= 300) are
  read up to :data:`MAX_ERROR_BYTES` (1 MiB); the rest is not read, the connection is closed, and
  the error is built from the truncated text.
* **Content codings.** The SDK asks for ``Accept-Encoding: identity`` and urllib3 is told not to
  decode (``decode_content=False``). A server that compresses anyway with ``gzip``/``deflate``
  gets its body inflated under the same cap (a 0.5 MB gzip bomb stops at the cap, not at 512 MB);
  any other coding (``br``, ``zstd`` ...) cannot be read and is a decode error.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import urllib3

from synapse_sdk._http._watchdog import DeadlineReached

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "MAX_ERROR_BYTES",
    "READ_BLOCK",
    "BodyTooLarge",
    "UndecodableBody",
    "body_limit",
    "decode_body",
    "read_body",
    "set_read_timeout",
]

#: Bytes asked for per body read; ``read1`` returns after one socket read, often less.
READ_BLOCK = 64 * 1024
#: Bytes asked for per read of a body whose length is announced (``Content-Length``) on a
#: connection the watchdog watches: read to that length in one call (in C, as ``urllib3``'s own
#: ``.data`` does) instead of a Python loop of socket-sized pieces joined at the end. Bounded so
#: that a server announcing a large body it never sends does not make the SDK allocate it up
#: front; the watchdog ends a read that outlasts the deadline (a server trickling bytes cannot
#: hold it open).
KNOWN_BLOCK = 1024 * 1024
#: Default cap on a buffered 2xx API body (``Session(max_response_bytes=...)``).
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
#: Cap on the body of an error answer (status >= 300): enough for any error JSON or page.
MAX_ERROR_BYTES = 1024 * 1024


class BodyTooLarge(Exception):
    """Internal: a 2xx body over the cap (mapped to ``ResponseTooLargeError``)."""

    def __init__(self, limit: int, *, announced: int | None = None, coding: str = "") -> None:
        super().__init__(limit)
        self.limit = limit
        self.announced = announced
        self.coding = coding


class UndecodableBody(Exception):
    """Internal: a content coding the SDK cannot (or did not manage to) decode."""


def body_limit(status: int, max_response_bytes: int) -> int:
    """The cap for an answer with ``status``."""
    return max_response_bytes if status < 300 else min(MAX_ERROR_BYTES, max_response_bytes)


def set_read_timeout(response: urllib3.BaseHTTPResponse, seconds: float | None) -> None:
    # urllib3 fixes the socket timeout once per request; shrinking it before each read keeps a
    # stalled read from running past the deadline.
    sock = getattr(getattr(response, "connection", None), "sock", None)
    if sock is not None and sock.gettimeout() != seconds:
        try:
            sock.settimeout(seconds)
        except OSError:
            pass


def _watched(response: urllib3.BaseHTTPResponse) -> bool:
    """Whether the answer's connection is attached to a watchdog guard (see ``_connection``)."""
    return getattr(getattr(response, "connection", None), "_synapse_guard", None) is not None


def _announced(response: urllib3.BaseHTTPResponse) -> int | None:
    value = response.headers.get("Content-Length")
    if value and value.isdigit():
        return int(value)
    return None


def read_body(
    response: urllib3.BaseHTTPResponse,
    *,
    read_timeout: float | None,
    deadline_at: float | None,
    clock: Callable[[], float],
    limit: int,
) -> tuple[bytes, bool]:
    """Read a body of at most ``limit`` bytes, checking the deadline between socket reads.

    Never returns the connection to the pool (the caller does, once the watchdog is disarmed);
    closes the response when the body is not read to its end.

    Args:
        response: A response opened with ``preload_content=False, decode_content=False``.
        read_timeout: The per-read socket timeout.
        deadline_at: The call's deadline on ``clock``, or None.
        clock: The monotonic clock.
        limit: The cap (see :func:`body_limit`).

    Returns:
        ``(body, complete)``: ``complete`` is False when an error answer was cut at ``limit``.

    Raises:
        BodyTooLarge: A 2xx body announced or grew past ``limit``.
        DeadlineReached: The deadline passed before the body was complete.
        urllib3.exceptions.HTTPError: The read failed (for ``map_error``).
    """
    success = response.status < 300
    announced = _announced(response)
    if success and announced is not None and announced > limit:
        response.close()
        raise BodyTooLarge(limit, announced=announced)
    chunks: list[bytes] = []
    size = 0
    # One read per KNOWN_BLOCK only where nothing but a socket read can stall: no deadline, or
    # a connection the watchdog is watching (it shuts the socket down at the deadline). Other
    # transports (an in-process app) are read piece by piece, the deadline checked in between.
    whole = deadline_at is None or _watched(response)
    try:
        while True:
            if deadline_at is not None:
                remaining = deadline_at - clock()
                if remaining <= 0:
                    raise DeadlineReached
                set_read_timeout(
                    response, remaining if read_timeout is None else min(read_timeout, remaining)
                )
            left = response.length_remaining
            if left and whole:
                # A body of announced length: up to KNOWN_BLOCK of it in one call; a short
                # body (the connection closed early) raises urllib3's IncompleteRead.
                data = response.read(min(left, KNOWN_BLOCK, limit - size + 1))
            else:
                # Unknown length (chunked, or to the end of the stream), or nothing left: a read
                # of nothing also marks the answer done so the connection can be reused.
                data = response.read1(READ_BLOCK)
            if not data:
                break
            size += len(data)
            if size > limit:
                if success:
                    raise BodyTooLarge(limit)
                chunks.append(data[: len(data) - (size - limit)])
                response.close()  # the rest is never read: the connection cannot be reused
                return b"".join(chunks), False
            chunks.append(data)
            if response.length_remaining == 0:
                break  # Content-Length reached: spare the read that would only return b""
    except BaseException:
        response.close()
        raise
    return b"".join(chunks), True


def decode_body(content: bytes, coding: str | None, limit: int, *, truncate: bool = False) -> bytes:
    """Undo a ``gzip``/``deflate`` content coding the SDK did not ask for, under ``limit``.

    Args:
        content: The raw body.
        coding: The ``Content-Encoding`` header, or None.
        limit: The most bytes the decoded body may hold.
        truncate: Cut the decoded body at ``limit`` instead of raising (error answers).

    Returns:
        The decoded body (``content`` itself without a coding, or with ``identity``).

    Raises:
        BodyTooLarge: The decoded body would exceed ``limit`` (``coding`` names the coding).
        UndecodableBody: An unsupported coding, or data that is not what it says.
    """
    if not coding:
        return content
    codings = [c.strip().lower() for c in coding.split(",") if c.strip()]
    for name in reversed(codings):  # the last coding applied is listed last
        if name == "identity":
            continue
        if name in ("gzip", "x-gzip"):
            content = _inflate(content, 16 + zlib.MAX_WBITS, limit, name, truncate)
        elif name == "deflate":
            # "deflate" is zlib-wrapped by the spec and raw deflate in practice: accept both.
            wbits = zlib.MAX_WBITS if content[:1] == b"\x78" else -zlib.MAX_WBITS
            content = _inflate(content, wbits, limit, name, truncate)
        else:
            raise UndecodableBody(
                f"the body has Content-Encoding {coding!r}, which the SDK cannot decode (it asks "
                "for 'identity'; only gzip and deflate are inflated)"
            )
    return content


#: Bytes inflated per step: the output is built from small pieces, so a bomb never costs more
#: than the cap plus one step (one big ``decompress`` call would hold its output twice).
_INFLATE_STEP = 1024 * 1024


def _inflate(data: bytes, wbits: int, limit: int, name: str, truncate: bool) -> bytes:
    parts: list[bytes] = []
    size = 0
    first = True
    while True:  # a gzip body may hold several members back to back
        decoder = zlib.decompressobj(wbits)
        pending = data
        try:
            while True:
                out = decoder.decompress(pending, _INFLATE_STEP)
                pending = decoder.unconsumed_tail
                parts.append(out)
                size += len(out)
                if size > limit:
                    if truncate:
                        return b"".join(parts)[:limit]
                    raise BodyTooLarge(limit, coding=name)
                if not pending or not out:
                    break
            out = decoder.flush()
        except zlib.error as exc:
            if not first:  # bytes after the last gzip member: ignored, as urllib3 does
                return b"".join(parts)
            raise UndecodableBody(f"the {name} body could not be inflated: {exc}") from None
        parts.append(out)
        size += len(out)
        if size > limit:
            if truncate:
                return b"".join(parts)[:limit]
            raise BodyTooLarge(limit, coding=name)
        if not decoder.eof:
            if truncate:
                return b"".join(parts)
            raise UndecodableBody(f"the {name} body is cut off (the compressed stream never ends)")
        data = decoder.unused_data
        if not data or wbits < 0:
            return b"".join(parts)
        first = False

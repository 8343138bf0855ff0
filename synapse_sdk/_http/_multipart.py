"""Streaming ``multipart/form-data`` bodies (RFC 7578) that never copy a whole file into memory."""

from __future__ import annotations

import mimetypes
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Union

__all__ = ["BLOCK_SIZE", "Block", "FileSource", "Multipart", "RawBody"]

#: Size of the blocks read from files and sliced from in-memory buffers.
BLOCK_SIZE = 1024 * 1024

#: A piece of an encoded body.
Block = bytes | bytearray | memoryview

#: What a file part may be built from:
#:
#: - ``bytes`` (sent as is), ``bytearray`` or ``memoryview`` (sent in 1 MiB blocks);
#: - an ``os.PathLike`` such as :class:`pathlib.Path`: its size is read at construction and
#:   the file is opened and read in 1 MiB blocks each time the body is iterated;
#: - a pair ``(factory, size)``: ``factory()`` returns a fresh iterable of bytes-like blocks
#:   (``bytes``, ``bytearray``, ``memoryview``) each time the body is iterated (so a retry can
#:   resend it) and must yield exactly ``size`` bytes. Blocks are passed to the socket without a
#:   copy, one at a time: a factory may refill the same buffer once the next block is asked for.
FileSource = Union[
    bytes,
    bytearray,
    memoryview,
    "os.PathLike[str]",
    tuple[Callable[[], Iterable[Block]], int],
]


def _quote_param(value: str) -> str:
    # HTML5 form encoding (what browsers, urllib3 and werkzeug agree on): raw UTF-8 with the
    # three characters that would break the header escaped.
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _utf8(value: str, what: str) -> bytes:
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"multipart {what} {value!r} cannot be encoded as UTF-8 "
            f"(lone surrogate at index {exc.start})"
        ) from exc


def _source_size(source: FileSource, name: str) -> int:
    if isinstance(source, (bytes, bytearray)):
        return len(source)
    if isinstance(source, memoryview):
        return source.nbytes
    if isinstance(source, os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"multipart file {name!r}: {str(path)!r} is not a readable file")
        return path.stat().st_size
    if (
        isinstance(source, tuple)
        and len(source) == 2
        and callable(source[0])
        and isinstance(source[1], int)
        and not isinstance(source[1], bool)
        and source[1] >= 0
    ):
        return source[1]
    raise TypeError(
        f"multipart file {name!r}: source must be bytes, bytearray, memoryview, a Path, or "
        f"(factory, size), got {type(source).__name__}"
    )


class Multipart:
    """A ``multipart/form-data`` request body that streams its file parts.

    The length is known up front (so the request carries ``Content-Length``, not chunked
    encoding) and :meth:`iter_body` starts over on each call, so a retried request resends the
    whole body.

    Args:
        fields: Ordinary form fields as ``(name, value)`` pairs.
        files: File parts as ``(field name, filename, source, content_type)``; ``content_type``
            None guesses from the filename (``application/octet-stream`` when unknown). See
            :data:`FileSource` for the accepted sources.

    Raises:
        TypeError: A source has an unsupported type, or a name/value is not a string.
        ValueError: A path is not a file, or a name cannot be encoded as UTF-8.
    """

    def __init__(
        self,
        fields: Sequence[tuple[str, str]] = (),
        files: Sequence[tuple[str, str, FileSource, str | None]] = (),
    ) -> None:
        self.boundary = f"synapse-{uuid.uuid4().hex}"
        self.content_type = f"multipart/form-data; boundary={self.boundary}"
        self._parts: list[tuple[bytes, FileSource | None, int]] = []
        for name, value in fields:
            if not isinstance(name, str) or not isinstance(value, str):
                raise TypeError(
                    f"multipart field {name!r}: name and value must be str, "
                    f"got {type(value).__name__}"
                )
            head = self._head(name, None, None)
            self._parts.append((head + _utf8(value, "field value"), None, 0))
        for name, filename, source, content_type in files:
            if not isinstance(name, str) or not isinstance(filename, str):
                raise TypeError(f"multipart file {name!r}: field name and filename must be str")
            size = _source_size(source, name)
            ctype = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
            self._parts.append((self._head(name, filename, ctype), source, size))
        self._closing = f"--{self.boundary}--\r\n".encode("ascii")
        self.content_length = sum(len(head) + size + 2 for head, _, size in self._parts) + len(
            self._closing
        )

    def _head(self, name: str, filename: str | None, content_type: str | None) -> bytes:
        lines = [
            f"--{self.boundary}",
            f'Content-Disposition: form-data; name="{_quote_param(name)}"'
            + (f'; filename="{_quote_param(filename)}"' if filename is not None else ""),
        ]
        if content_type is not None:
            if "\r" in content_type or "\n" in content_type:
                raise ValueError(f"multipart content type {content_type!r} contains a line break")
            lines.append(f"Content-Type: {content_type}")
        return _utf8("\r\n".join(lines) + "\r\n\r\n", "part header")

    def iter_body(self) -> Iterator[Block]:
        """Yield the encoded body in blocks; each call starts from the first byte.

        Returns:
            An iterator over the body's blocks (``content_length`` bytes in total).

        Raises:
            ValueError: A file or factory produced a different number of bytes than announced
                (the file changed while uploading).
        """
        for head, source, size in self._parts:
            yield head
            if source is not None:
                yield from _iter_source(source, size)
            yield b"\r\n"
        yield self._closing

    def __repr__(self) -> str:
        return f"Multipart(parts={len(self._parts)}, content_length={self.content_length})"


class RawBody:
    """A request body sent as it is (no multipart framing), e.g. a file's bytes PUT to object
    storage. Like :class:`Multipart` its length is known up front and :meth:`iter_body` starts
    over on each call.

    Args:
        source: Any :data:`FileSource` (a ``(factory, size)`` pair streams from disk).

    Raises:
        TypeError, ValueError: As for a :class:`Multipart` file part.
    """

    def __init__(self, source: FileSource) -> None:
        self._source = source
        self.content_length = _source_size(source, "body")

    def iter_body(self) -> Iterator[Block]:
        """Yield the body's blocks (``content_length`` bytes); each call starts over.

        Raises:
            ValueError: The source produced a different number of bytes than announced.
        """
        return _iter_source(self._source, self.content_length)

    def __repr__(self) -> str:
        return f"RawBody(content_length={self.content_length})"


def _iter_source(source: FileSource, size: int) -> Iterator[Block]:
    if isinstance(source, bytes):
        if source:
            yield source
        return
    if isinstance(source, (bytearray, memoryview)):
        view = memoryview(source).cast("B")
        for start in range(0, size, BLOCK_SIZE):
            yield view[start : start + BLOCK_SIZE].tobytes()
        return
    sent = 0
    if isinstance(source, os.PathLike):
        with open(source, "rb") as handle:
            while sent < size:
                block = handle.read(min(BLOCK_SIZE, size - sent))
                if not block:
                    break
                sent += len(block)
                yield block
    else:
        for piece in source[0]():
            # Bytes-like blocks go to the socket as they are (no copy): a factory may reuse
            # its buffer for the next block, since each is sent before the next is asked for.
            length = memoryview(piece).nbytes
            if not length:
                continue
            sent += length
            if sent > size:
                break
            yield piece
    if sent != size:
        raise ValueError(
            f"multipart file part announced {size} bytes but its source produced "
            f"{'more' if sent > size else sent}; was the file modified during the upload?"
        )

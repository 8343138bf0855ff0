"""The bytes of one chunk, read from the file block by block while the previous block is sent.

A chunk is never held whole in memory: :class:`ChunkSource` is a multipart ``(factory, size)``
file source whose factory yields blocks of the file's range. Each block is hashed (through
:class:`~synapse_sdk._transfer._hashing.IncrementalMD5`) as it is read.

With ``overlap`` a reader thread reads and hashes the next blocks while the calling thread sends
the current one: file reads, MD5 and socket sends all release the GIL, so hashing costs no wall
time when a core is free. ``bench/upload.py`` measures both modes; where the server shares the
machine's two cores the sequential mode won, so it is the default. Blocks are read
into a small ring of reused buffers, so memory stays at ``(depth + 2) x block_size`` whatever the
chunk size, and no block is allocated or copied on its way to the socket.

Given the file's :class:`~synapse_sdk._transfer._paths.FileStamp` from the start of the upload,
the source checks it (one ``fstat`` of the open file) after every block read and raises
:class:`~synapse_sdk._transfer._hashing.FileChangedError` as soon as the file shrank, grew or was
rewritten: the request body is then cut short, so the server never stores a complete chunk that
mixes old and new bytes.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from synapse_sdk._transfer._hashing import FileChangedError, IncrementalMD5
from synapse_sdk._transfer._paths import FileStamp

__all__ = ["BLOCK_SIZE", "ChunkSource"]

#: Bytes per read and per socket send.
BLOCK_SIZE = 1024 * 1024
#: Blocks the reader thread may run ahead of the sender.
QUEUE_DEPTH = 4

_DONE = object()


class ChunkSource:
    """The file range ``[start, start + size)`` as a restartable stream of blocks.

    Args:
        path: The file.
        start: First byte of the range.
        size: Length of the range.
        hasher: Receives every block read (hashes each byte once, in file order).
        block_size: Bytes per block.
        overlap: Read and hash in a helper thread, one block ahead of the sender.
        on_sent: Called with the bytes of the range handed to the socket so far, after each
            block (in the sending thread).
        stamp: The file's size and mtime when the upload started; a block read after the file
            changed raises :class:`FileChangedError` instead of being sent. None: no check.
    """

    def __init__(
        self,
        path: Path,
        start: int,
        size: int,
        hasher: IncrementalMD5,
        *,
        block_size: int = BLOCK_SIZE,
        overlap: bool = False,
        on_sent: Callable[[int], None] | None = None,
        stamp: FileStamp | None = None,
    ) -> None:
        self.path = path
        self.start = start
        self.size = size
        self._hasher = hasher
        self._block = block_size
        self._overlap = overlap
        self._on_sent = on_sent
        self._stamp = stamp

    def __call__(self) -> Iterator[memoryview]:
        """A fresh iterator over the range's blocks (a retried request starts over).

        Blocks are views of reused buffers: each is valid until the next one is asked for,
        which is how a request body is consumed (sent before the next block is read).
        """
        blocks = self._threaded() if self._overlap else self._read(memoryview(self._buffer()))
        sent = 0
        for block in blocks:
            yield block
            sent += len(block)
            if self._on_sent is not None:
                self._on_sent(sent)

    def _buffer(self) -> bytearray:
        return bytearray(min(self._block, max(self.size, 1)))

    def _read(
        self, buffers: memoryview | list[memoryview], stop: threading.Event | None = None
    ) -> Iterator[memoryview]:
        """Read the range into ``buffers`` (one, or a ring used in turn) and hash each block."""
        ring = buffers if isinstance(buffers, list) else [buffers]
        end = self.start + self.size
        with self.path.open("rb") as fh:
            fh.seek(self.start)
            position = self.start
            turn = 0
            while position < end and not (stop is not None and stop.is_set()):
                view = ring[turn % len(ring)]
                turn += 1
                got = fh.readinto(view[: min(len(view), end - position)])
                self._check(fh.fileno(), position, got)
                block = view[:got]
                self._hasher.feed(position, block)
                position += got
                yield block

    def _check(self, fd: int, position: int, got: int) -> None:
        """Raise :class:`FileChangedError` if the file ended early or is not the one we started.

        Its message is the detail only ("it shrank from 10 to 4 bytes"); callers name the file.
        """
        if not got:
            raise FileChangedError(
                f"it ended at byte {position}, expected {self.start + self.size}"
            )
        stamp = self._stamp
        if stamp is None:
            return
        st = os.fstat(fd)
        if st.st_size == stamp.size and st.st_mtime_ns == stamp.mtime_ns:
            return
        if st.st_size != stamp.size:
            grew = "grew" if st.st_size > stamp.size else "shrank"
            raise FileChangedError(f"it {grew} from {stamp.size} to {st.st_size} bytes")
        raise FileChangedError("it was rewritten (its modification time changed)")

    def _threaded(self) -> Iterator[memoryview]:
        items: queue.Queue[object] = queue.Queue(maxsize=QUEUE_DEPTH)
        stop = threading.Event()
        # QUEUE_DEPTH queued + one being sent + one being filled: the reader never refills a
        # buffer the sender still holds.
        ring = [memoryview(self._buffer()) for _ in range(QUEUE_DEPTH + 2)]

        def put(item: object) -> None:
            while not stop.is_set():
                try:
                    items.put(item, timeout=0.05)
                    return
                except queue.Full:
                    continue

        def produce() -> None:
            try:
                for block in self._read(ring, stop):
                    put(block)
                put(_DONE)
            except BaseException as exc:  # handed to the sending thread, which raises it
                put(exc)

        reader = threading.Thread(target=produce, name="synapse-upload-reader", daemon=True)
        reader.start()
        try:
            while True:
                item = items.get()
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                assert isinstance(item, memoryview)
                yield item
        finally:
            # The request may stop early (connection reset): release the reader at once.
            stop.set()
            reader.join()

"""The fetch loop of one download: requests, answer checks and the ``.part``'s bookkeeping.

:func:`~synapse_sdk._transfer._download.download_file` checks its arguments and the target,
then hands over to :class:`Run`, which decides where to start (resume or byte 0, see
:mod:`._partial`), sends each GET (ranged, with ``If-Range``, when it continues), checks every
answer against the request and the ``.part`` (a 206 must continue exactly where asked and
describe the same object; a 200 replaces the ``.part``), streams the raw body through the
``.part``'s descriptor while hashing it, and publishes the verified file.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import attrs

from synapse_sdk._exceptions import (
    DeadlineExceededError,
    HTTPError,
    IntegrityError,
    ResponseError,
    TransportError,
    TruncatedBodyError,
)
from synapse_sdk._http import Session, StreamedResponse, Timeout, redact_url
from synapse_sdk._progress import Reporter
from synapse_sdk._transfer._partial import Folder, Identity, PartFile, PartReplacedError, Sidecar

__all__ = ["Run"]

_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")
_BLOCK = 1024 * 1024


class _Restart(Exception):
    """Internal: the ``.part`` is not a prefix of this object; fetch it again from byte 0."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class Run:
    """One download: the ``.part``, what it is known to hold, and the fetch loop."""

    def __init__(
        self,
        session: Session,
        url: str,
        ident: Identity,
        folder: Folder,
        name: str,
        report: Reporter,
    ) -> None:
        self.session, self.url, self.ident, self.folder = session, url, ident, folder
        self.name, self.part_name, self.side_name = name, name + ".part", name + ".part.json"
        self.safe_url = redact_url(url)
        self.report = report
        self.max_bytes: int | None = None
        self.max_attempts = 5
        self.overwrite = False
        self.deadline_at: float | None = None
        self.part: PartFile | None = None
        self.side: Sidecar | None = None  # what the .part holds; None until the first answer
        self.if_range: str | None = None  # a validator for If-Range (from this very URL)
        self.continued = False  # the .part holds bytes from an earlier answer (resumed)
        self.restarts = 2
        self.hasher: Any = None

    # -- the loop ---------------------------------------------------------------------------

    def go(self, resume: bool) -> None:
        for name in (self.part_name, self.side_name):
            self.folder.refuse_directory(name)  # before any request, and before any cleanup
        try:
            complete = self._open(resume)
            attempt = 0
            while True:
                if not complete:
                    attempt += 1
                    try:
                        self._fetch()
                    except TransportError as exc:
                        if isinstance(exc, DeadlineExceededError) or attempt >= self.max_attempts:
                            raise
                        pause = self.session.retry.backoff(attempt - 1)
                        self.session.sleep(min(pause, self._left()))
                        continue
                    except _Restart as exc:
                        self._restart(exc.error)
                        continue
                complete = False
                if self._verified():
                    break
            assert self.part is not None
            self.folder.publish(self.part, self.part_name, self.name, overwrite=self.overwrite)
            self.folder.unlink(self.side_name)
        except BaseException as exc:
            self._cleanup(exc)
            raise
        finally:
            if self.part is not None:
                self.part.close()

    def _restart(self, error: Exception) -> None:
        if self.restarts <= 0:
            raise error
        self.restarts -= 1
        self._fresh()

    def _verified(self) -> bool:
        """Size and MD5 check of a complete ``.part``; False: fetch it again from byte 0."""
        assert self.part is not None
        size, md5 = self.ident.size, self.ident.md5
        if size is not None and self.part.size != size:
            raise IntegrityError(
                f"downloaded {self.part.size} bytes, expected {size}", url=self.safe_url
            )
        if md5 is not None and self.hasher.hexdigest() != md5:
            if self.continued and self.restarts > 0:
                self.restarts -= 1  # an earlier answer's bytes were another version: once more
                self._fresh()
                return False
            raise IntegrityError(f"the downloaded file's MD5 differs from {md5}", url=self.safe_url)
        return True

    def _cleanup(self, exc: BaseException) -> None:
        """After a failure: drop bytes judged wrong (or none at all); keep a resumable ``.part``."""
        wrong = isinstance(exc, IntegrityError | ResponseError) and not isinstance(
            exc, TransportError
        )
        part = self.part
        if isinstance(exc, PartReplacedError):
            self.folder.unlink(self.side_name)  # the .part name is not ours any more
            return
        if part is None or not (wrong or part.size == 0 or self.side is None):
            return
        self.folder.unlink(self.side_name)
        st = self.folder.lstat(self.part_name)
        if st is not None and (st.st_dev, st.st_ino) == part.ino:
            self.folder.unlink(self.part_name)

    # -- the .part --------------------------------------------------------------------------

    def _open(self, resume: bool) -> bool:
        """Open the ``.part`` to continue, or a fresh one; True if it is already complete."""
        side = self.folder.read_sidecar(self.side_name) if resume else None
        part = None
        if side is not None and side.matches(self.ident):
            part = self.folder.open_part(self.part_name)
        bound = None if side is None else (side.total if side.total is not None else side.size)
        if bound is None:
            bound = self.ident.size
        if part is not None and (part.size == 0 or (bound is not None and part.size > bound)):
            part.close()
            part = None
        if part is None or side is None:
            self._fresh()
            return False
        self.part, self.side, self.continued = part, side, True
        self.if_range = side.validator() if side.url == self.ident.url else None
        if self.ident.md5 is not None:
            self.hasher = hashlib.md5(usedforsecurity=False)
            for block in part.read_blocks(_BLOCK):
                self.hasher.update(block)
        self.report.update(part.size)
        # Complete already (a crash before the rename): with an MD5, the MD5 decides.
        return part.size == bound and self.ident.md5 is not None

    def _fresh(self) -> None:
        """Start again at byte 0: the sidecar goes first, so no crash leaves a .part that a
        sidecar wrongly describes."""
        self.folder.unlink(self.side_name)
        if self.part is not None:
            self.part.close()
        self.part = None
        self.part = self.folder.fresh_part(self.part_name)
        self.side, self.if_range, self.continued = None, None, False
        self.hasher = hashlib.md5(usedforsecurity=False) if self.ident.md5 else None
        self.report.update(0)

    def _zero(self) -> None:
        """Truncate the open ``.part`` (the server sends the whole file)."""
        assert self.part is not None
        self.folder.unlink(self.side_name)
        self.part.truncate(0)
        self.side, self.if_range, self.continued = None, None, False
        self.hasher = hashlib.md5(usedforsecurity=False) if self.ident.md5 else None

    # -- one request ------------------------------------------------------------------------

    def _left(self) -> float:
        if self.deadline_at is None:
            return 3600.0
        return max(0.0, self.deadline_at - self.session.clock())

    def _fetch(self) -> None:
        """One GET (ranged when the ``.part`` has bytes), appended to the ``.part``."""
        assert self.part is not None
        offset = self.part.size
        if self.deadline_at is not None and self.session.clock() >= self.deadline_at:
            raise DeadlineExceededError("the download's deadline passed", url=self.safe_url)
        timeout = Timeout(
            connect=self.session.timeout.connect,
            read=self.session.timeout.read,
            deadline=None if self.deadline_at is None else max(0.001, self._left()),
        )
        headers = {"Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
            if self.if_range is not None:
                headers["If-Range"] = self.if_range
        try:
            response = self.session.download(self.url, timeout=timeout, headers=headers)
        except HTTPError as exc:
            if exc.status_code == 416 and offset:
                raise _Restart(exc) from exc  # our .part is not a prefix of this file
            raise
        with response:
            total = self._plan(response, offset)
            if self.max_bytes is not None and total is not None and total > self.max_bytes:
                raise ResponseError(
                    f"the file has {total} bytes, more than max_bytes={self.max_bytes}",
                    url=self.safe_url,
                )
            self._write(response, total)
        if total is not None and self.part.size != total:
            raise TruncatedBodyError(
                f"the body ended after {self.part.size} of {total} bytes", url=self.safe_url
            )

    def _plan(self, response: StreamedResponse, offset: int) -> int | None:
        """Check the answer against the request and the ``.part``; return the file's total size.

        A valid 206 continues the ``.part``; a 200 (or a 206 of the whole file) replaces it,
        and its validators go to a new sidecar before the first body byte.
        """
        headers = response.headers
        length = _int(headers.get("Content-Length"))
        if response.status == 206:
            first, last, total = self._content_range(headers.get("Content-Range", ""), length)
            if first == offset and offset:
                if self.side is None:
                    raise _Restart(ResponseError("a 206 for bytes of unknown origin"))
                self._same_object(headers, total)
                self.continued = True
                return total if total is not None else (self.side.total if self.side else None)
            if first != 0 or total is None or last != total - 1:
                error = ResponseError(
                    f"the server answered 206 with bytes {first}-{last}/{total or '*'} to a "
                    f"request for {f'bytes {offset}-' if offset else 'the whole file'}",
                    url=self.safe_url,
                )
                if offset:
                    raise _Restart(error)
                raise error
            length = total  # the whole file as a 206: fine
        if offset:
            self._zero()  # a 200: the range was ignored, or If-Range said the object changed
        if self.ident.size is not None and length is not None and length != self.ident.size:
            raise IntegrityError(
                f"the server sends {length} bytes, expected {self.ident.size}", url=self.safe_url
            )
        self._new_sidecar(headers, length)
        return length

    def _content_range(self, value: str, length: int | None) -> tuple[int, int, int | None]:
        match = _CONTENT_RANGE.match(value)
        if match is not None:
            first, last = int(match.group(1)), int(match.group(2))
            total = None if match.group(3) == "*" else int(match.group(3))
            if (
                first <= last
                and (total is None or last < total)
                and (length is None or length == last - first + 1)
            ):
                return first, last, total
        error = ResponseError(
            f"the server answered 206 with a bad Content-Range {value[:100]!r}", url=self.safe_url
        )
        if self.part is not None and self.part.size:
            raise _Restart(error)
        raise error

    def _same_object(self, headers: Any, total: int | None) -> None:
        """A 206 continuing the ``.part`` must describe the object the ``.part`` holds."""
        side = self.side
        assert side is not None
        etag, modified = _strong(headers.get("ETag")), headers.get("Last-Modified")
        known = side.total if side.total is not None else self.ident.size
        here = side.url == self.ident.url  # another URL's validators mean nothing here
        if (
            (total is not None and known is not None and total != known)
            or (here and side.etag is not None and etag is not None and etag != side.etag)
            or (here and side.last_modified not in (None, modified) and modified is not None)
        ):
            raise _Restart(IntegrityError("the object changed since the .part was started"))

    def _new_sidecar(self, headers: Any, total: int | None) -> None:
        sidecar = attrs.evolve(
            Sidecar.start(self.ident),
            etag=_strong(headers.get("ETag")),
            last_modified=headers.get("Last-Modified"),
            total=total,
        )
        self.folder.write_sidecar(self.side_name, sidecar)
        self.side = sidecar
        self.if_range = sidecar.validator()

    def _write(self, response: StreamedResponse, total: int | None) -> None:
        part = self.part
        assert part is not None
        for block in response.iter_content(_BLOCK):
            done = part.size + len(block)
            if self.max_bytes is not None and done > self.max_bytes:
                raise ResponseError(
                    f"the file is larger than max_bytes={self.max_bytes}", url=self.safe_url
                )
            if total is not None and done > total:
                raise ResponseError(
                    f"the server sent more than the {total} bytes it announced", url=self.safe_url
                )
            part.write(block)
            if self.hasher is not None:
                self.hasher.update(block)
            self.report.update(done)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and value.isascii() else None


def _strong(etag: str | None) -> str | None:
    """A strong ETag (``If-Range`` must not use a weak one), else None."""
    if etag is None or etag.startswith("W/") or len(etag) > 1024:
        return None
    return etag

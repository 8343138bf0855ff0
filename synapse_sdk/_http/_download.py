"""Streaming downloads: plain GETs without auth headers that follow a few redirects.

Every hop goes through the one attempt loop (:func:`._attempt.run`), like an API call: the same
retries of connection failures and retryable statuses before the body starts, the same budget,
backoff, deadline and error mapping. Only the reader differs (:func:`_read_download`).

The body is streamed as stored: urllib3 never decodes it (``decode_content=False``), so an object
stored with ``Content-Encoding: gzip`` arrives byte for byte and matches its Content-Length and
checksum. A redirect's body is never read (the connection is closed instead), and an error
answer's body is read up to 1 MiB for the error message. The deadline is enforced by the
watchdog from the first connect until the body is read or the stream is closed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urljoin

import urllib3

from synapse_sdk._exceptions import HTTPError
from synapse_sdk._http import _attempt
from synapse_sdk._http._attempt import Buffered, Call, decode_answer, finish_attempt, self_delimited
from synapse_sdk._http._body import MAX_ERROR_BYTES, read_body, set_read_timeout
from synapse_sdk._http._request_id import request_id
from synapse_sdk._http._timeout import Timeout
from synapse_sdk._http._transport import map_error, remaining_time
from synapse_sdk._http._urls import parse_server_url
from synapse_sdk._http._watchdog import DeadlineReached, Guard

if TYPE_CHECKING:
    from typing_extensions import Self

    from synapse_sdk._http._session import Session

__all__ = ["MAX_REDIRECTS", "StreamedResponse", "open_download"]

MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class StreamedResponse:
    """An open download whose body is read in chunks; close it (or use ``with``).

    Attributes:
        status: The final HTTP status (2xx).
        headers: The final response headers (case-insensitive).
        url: The final URL after redirects, secrets redacted.
        request_id: The SDK's id for the call.
    """

    def __init__(
        self,
        raw: urllib3.BaseHTTPResponse,
        *,
        url: str,
        request_id: str,
        timeout: Timeout,
        deadline_at: float | None,
        clock: Callable[[], float],
        guard: Guard | None = None,
    ) -> None:
        self._raw = raw
        self._guard = guard
        self.status = raw.status
        self.headers: Mapping[str, str] = raw.headers
        self.url = url
        self.request_id = request_id
        self._timeout = timeout
        self._deadline_at = deadline_at
        self._clock = clock
        self._closed = False

    def iter_content(self, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
        """Yield the body in chunks of at most ``chunk_size`` bytes.

        Args:
            chunk_size: Maximum bytes per chunk.

        Returns:
            An iterator over the body's chunks.

        Raises:
            ClientTimeoutError: A read timed out (``DeadlineExceededError`` past the deadline).
            ClientConnectionError: The connection broke or the body was truncated.
        """
        context = {"method": "GET", "url": self.url, "request_id": self.request_id}
        try:
            while not self._closed:
                remaining = remaining_time(self._deadline_at, self._clock)
                if remaining is not None:
                    if remaining <= 0:
                        raise DeadlineReached
                    read = self._timeout.read
                    set_read_timeout(self._raw, remaining if read is None else min(read, remaining))
                data = self._raw.read1(chunk_size)
                if not data:
                    break
                yield data
            if self._closed:
                return
            self._closed = True
            if finish_attempt(self._guard, self._raw, reuse=True) and not self_delimited(self._raw):
                raise DeadlineReached  # the watchdog's shutdown may have ended the body
        except (urllib3.exceptions.HTTPError, DeadlineReached, OSError) as exc:
            self.close()
            passed = self._deadline_at is not None and self._clock() >= self._deadline_at - 0.01
            error, _ = map_error(
                exc,
                sent=True,
                idempotent=True,
                deadline_passed=passed,
                context=context,
                guard=self._guard,
            )
            raise error from exc

    def close(self) -> None:
        """Close the response; an unread connection is discarded, not reused."""
        if not self._closed:
            self._closed = True
            finish_attempt(self._guard, self._raw, reuse=False)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<StreamedResponse {self.status} {self.url}>"


class Redirect:
    """A redirect answer, taken over by the download reader (its body is never read)."""

    __slots__ = ("location", "status")

    def __init__(self, status: int, location: str) -> None:
        self.status = status
        self.location = location


def _read_download(
    raw: urllib3.BaseHTTPResponse, guard: Guard | None, call: Call
) -> StreamedResponse | Redirect | Buffered:
    """The download reader: a 2xx answer becomes the stream (with the attempt's guard, so the
    deadline keeps running while the body is read), a redirect is closed unread, and an error
    answer is buffered up to 1 MiB for the error message (the loop then judges its status)."""
    status = raw.status
    if 200 <= status < 300:
        return StreamedResponse(
            raw,
            url=call.context["url"],
            request_id=call.context["request_id"],
            timeout=call.timeout,
            deadline_at=call.deadline_at,
            clock=call.clock,
            guard=guard,
        )
    location = raw.headers.get("Location")
    if status in _REDIRECTS and location:
        # Never read a redirect's body (it may be endless, or drip): close the connection.
        finish_attempt(guard, raw, reuse=False)
        return Redirect(status, location)
    content, complete = read_body(
        raw,
        read_timeout=call.timeout.read,
        deadline_at=call.deadline_at,
        clock=call.clock,
        limit=MAX_ERROR_BYTES,
    )
    coding = raw.headers.get("Content-Encoding")
    return decode_answer(content, coding, MAX_ERROR_BYTES, error_answer=True), complete


def open_download(
    session: Session, url: str, *, headers: dict[str, str], timeout: Timeout
) -> StreamedResponse:
    """Open a download (see :meth:`Session.download`): each hop of up to ``MAX_REDIRECTS``
    redirects is attempted by the one attempt loop (:func:`._attempt.run`) under one deadline,
    with the session's retry policy and budget.

    Raises:
        HTTPError: A non-2xx final status, or more than ``MAX_REDIRECTS`` redirects.
        TransportError: Connection failures or timeouts after the retries.
    """
    headers.setdefault("X-Request-ID", request_id())
    deadline_at = None if timeout.deadline is None else session.clock() + timeout.deadline
    redirects = 0
    while True:
        call = Call(
            session,
            "GET",
            url,
            headers,
            timeout=timeout,
            retry=session.retry,
            idempotent=True,
            deadline_at=deadline_at,
            what="download",
        )
        opener, target = session._pool.route_download(url)
        got = _attempt.run(session, call, opener, target, _read_download)
        if isinstance(got, StreamedResponse):
            return got
        if not isinstance(got, Redirect):  # pragma: no cover - a 2xx is always streamed
            raise AssertionError(f"unexpected download answer {got!r}")
        redirects += 1
        if redirects > MAX_REDIRECTS:
            raise HTTPError(
                f"more than {MAX_REDIRECTS} redirects", status_code=got.status, **call.context
            )
        try:
            url = parse_server_url(urljoin(url, got.location)).url
        except ValueError as exc:
            raise HTTPError(
                f"redirect refused: {exc}", status_code=got.status, **call.context
            ) from None

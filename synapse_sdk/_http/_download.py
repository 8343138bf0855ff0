"""Streaming downloads: plain GETs without auth headers that follow a few redirects.

The body is streamed as stored: urllib3 never decodes it (``decode_content=False``), so an object
stored with ``Content-Encoding: gzip`` arrives byte for byte and matches its Content-Length and
checksum. A redirect's body is never read (the connection is closed instead), and an error
answer's body is read up to 1 MiB for the error message. The deadline is enforced by the
watchdog from the first connect until the body is read or the stream is closed.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import urllib3

from synapse_sdk._exceptions import ClientError, DeadlineExceededError, HTTPError
from synapse_sdk._http._attempt import finish_attempt, self_delimited
from synapse_sdk._http._body import MAX_ERROR_BYTES, decode_body, read_body, set_read_timeout
from synapse_sdk._http._response import Response, build_status_error
from synapse_sdk._http._retry import RetryBudget, RetryPolicy
from synapse_sdk._http._timeout import Timeout
from synapse_sdk._http._transport import attempt_timeout, map_error, remaining_time
from synapse_sdk._http._urls import parse_server_url, redact_url
from synapse_sdk._http._watchdog import DeadlineReached, Guard, arm, set_current_guard

if TYPE_CHECKING:
    from typing_extensions import Self

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


def open_download(
    pool: urllib3.PoolManager,
    url: str,
    *,
    headers: dict[str, str],
    timeout: Timeout,
    retry: RetryPolicy,
    budget: RetryBudget,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> StreamedResponse:
    """Open a download (see :meth:`Session.download`).

    Raises:
        HTTPError: A non-2xx final status, or more than ``MAX_REDIRECTS`` redirects.
        TransportError: Connection failures or timeouts after the retries.
    """
    request_id = headers.setdefault("X-Request-ID", uuid.uuid4().hex)
    deadline_at = None if timeout.deadline is None else clock() + timeout.deadline
    redirects = 0
    attempt = 0
    while True:
        attempt += 1
        context: dict[str, Any] = {
            "method": "GET",
            "url": redact_url(url),
            "request_id": request_id,
        }
        remaining = remaining_time(deadline_at, clock)
        if remaining is not None and remaining <= 0:
            raise DeadlineExceededError("the download's deadline passed", **context)
        error: ClientError
        retry_after: float | None = None
        guard = arm(deadline_at, clock)
        previous = set_current_guard(guard)
        try:
            raw = pool.urlopen(
                "GET",
                url,
                headers=headers,
                retries=False,
                redirect=False,
                preload_content=False,
                decode_content=False,
                timeout=attempt_timeout(timeout.connect, timeout.read, remaining),
                pool_timeout=remaining,
            )
        except Exception as exc:
            set_current_guard(previous)
            finish_attempt(guard, None, reuse=False)
            passed = deadline_at is not None and clock() >= deadline_at - 0.01
            error, retryable = map_error(
                exc,
                sent=False,
                idempotent=True,
                deadline_passed=passed,
                context=context,
                guard=guard,
            )
            if not retryable:
                raise error from exc
            cause: BaseException | None = exc
        else:
            set_current_guard(previous)
            if 200 <= raw.status < 300:
                budget.record_success()
                return StreamedResponse(
                    raw,
                    url=context["url"],
                    request_id=request_id,
                    timeout=timeout,
                    deadline_at=deadline_at,
                    clock=clock,
                    guard=guard,
                )
            location = raw.headers.get("Location")
            if raw.status in _REDIRECTS and location:
                # Never read a redirect's body (it may be endless, or drip): close the connection.
                finish_attempt(guard, raw, reuse=False)
                redirects += 1
                if redirects > MAX_REDIRECTS:
                    raise HTTPError(
                        f"more than {MAX_REDIRECTS} redirects", status_code=raw.status, **context
                    )
                try:
                    url = parse_server_url(urljoin(url, location)).url
                except ValueError as exc:
                    raise HTTPError(
                        f"redirect refused: {exc}", status_code=raw.status, **context
                    ) from None
                attempt = 0
                continue
            answer = (raw.status, raw.headers.get("Content-Type", "") or "")
            try:
                # An error answer: its first MiB is enough for the message; the rest is not read.
                content, complete = read_body(
                    raw,
                    read_timeout=timeout.read,
                    deadline_at=deadline_at,
                    clock=clock,
                    limit=MAX_ERROR_BYTES,
                )
            except Exception as exc:
                finish_attempt(guard, raw, reuse=False)
                passed = deadline_at is not None and clock() >= deadline_at - 0.01
                error, _ = map_error(
                    exc,
                    sent=True,
                    idempotent=True,
                    deadline_passed=passed,
                    context=context,
                    answer=answer,
                    guard=guard,
                )
                raise error from exc
            finish_attempt(guard, raw, reuse=complete)
            content = _decoded_error_body(content, raw.headers.get("Content-Encoding"))
            response = Response(raw.status, raw.headers, content, "GET", context["url"], request_id)
            retry_after = retry.retry_after(raw.headers.get("Retry-After"), now=time.time())
            error = build_status_error(response, retry_after=retry_after)
            if raw.status < 400 or not retry.retries_status(raw.status, idempotent=True):
                raise error
            cause = None
        if attempt > retry.max_retries:
            raise error from cause
        delay = retry_after if retry_after is not None else retry.backoff(attempt - 1)
        if deadline_at is not None and clock() + delay >= deadline_at:
            raise error from cause
        if not budget.try_spend():
            raise error from cause
        sleep(delay)


def _decoded_error_body(content: bytes, coding: str | None) -> bytes:
    if not coding:
        return content
    try:
        return decode_body(content, coding, MAX_ERROR_BYTES, truncate=True)
    except Exception:
        return content  # an error page in a coding we cannot read: keep its bytes

"""Streaming downloads: plain GETs without auth headers that follow a few redirects."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import urllib3

from synapse_sdk._exceptions import ClientError, DeadlineExceededError, HTTPError
from synapse_sdk._http._response import Response, build_status_error
from synapse_sdk._http._retry import RetryBudget, RetryPolicy
from synapse_sdk._http._timeout import Timeout
from synapse_sdk._http._transport import (
    DeadlineReached,
    attempt_timeout,
    map_error,
    read_body,
    remaining_time,
    set_read_timeout,
)
from synapse_sdk._http._urls import parse_server_url, redact_url

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
    ) -> None:
        self._raw = raw
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
        except (urllib3.exceptions.HTTPError, DeadlineReached, OSError) as exc:
            self.close()
            passed = self._deadline_at is not None and self._clock() >= self._deadline_at - 0.01
            error, _ = map_error(
                exc, sent=True, idempotent=True, deadline_passed=passed, context=context
            )
            raise error from exc
        self._raw.release_conn()

    def close(self) -> None:
        """Close the response; an unread connection is discarded, not reused."""
        if not self._closed:
            self._closed = True
            self._raw.close()
            self._raw.release_conn()

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
        try:
            raw = pool.urlopen(
                "GET",
                url,
                headers=headers,
                retries=False,
                redirect=False,
                preload_content=False,
                timeout=attempt_timeout(timeout.connect, timeout.read, remaining),
                pool_timeout=remaining,
            )
        except urllib3.exceptions.HTTPError as exc:
            passed = deadline_at is not None and clock() >= deadline_at - 0.01
            error, retryable = map_error(
                exc, sent=False, idempotent=True, deadline_passed=passed, context=context
            )
            if not retryable:
                raise error from exc
            cause: BaseException | None = exc
        else:
            if 200 <= raw.status < 300:
                budget.record_success()
                return StreamedResponse(
                    raw,
                    url=context["url"],
                    request_id=request_id,
                    timeout=timeout,
                    deadline_at=deadline_at,
                    clock=clock,
                )
            location = raw.headers.get("Location")
            if raw.status in _REDIRECTS and location:
                raw.drain_conn()
                raw.release_conn()
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
            try:
                content = read_body(
                    raw, read_timeout=timeout.read, deadline_at=deadline_at, clock=clock
                )
            except (urllib3.exceptions.HTTPError, DeadlineReached) as exc:
                passed = deadline_at is not None and clock() >= deadline_at - 0.01
                error, _ = map_error(
                    exc, sent=True, idempotent=True, deadline_passed=passed, context=context
                )
                raise error from exc
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

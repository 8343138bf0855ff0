"""The Session: one pooled, retrying, deadline-bound HTTP client for a backend origin."""

from __future__ import annotations

import logging
import time
import uuid
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import urllib3

from synapse_sdk._exceptions import ClientError, DeadlineExceededError, OriginError
from synapse_sdk._http._download import StreamedResponse, open_download
from synapse_sdk._http._encoding import (
    InsecureTLSWarning,
    check_headers,
    default_user_agent,
    encode_json,
)
from synapse_sdk._http._logfilter import install_urllib3_redaction
from synapse_sdk._http._multipart import Multipart
from synapse_sdk._http._response import Response, build_status_error
from synapse_sdk._http._retry import IDEMPOTENT_METHODS, RetryBudget, RetryPolicy
from synapse_sdk._http._sentinel import UNSET, Unset
from synapse_sdk._http._timeout import Timeout
from synapse_sdk._http._transport import (
    PoolHolder,
    attempt_timeout,
    map_error,
    read_body,
    remaining_time,
)
from synapse_sdk._http._urls import (
    add_params,
    check_url_length,
    is_absolute,
    join_url,
    normalize_base_url,
    origin_of,
    parse_server_url,
    redact_url,
)

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["Session"]

logger = logging.getLogger("synapse_sdk.http")

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_JSON = "application/json"


class Session:
    """A thread-safe HTTP session bound to one backend origin.

    Args:
        base_url: The API root, e.g. ``https://api.example.com`` (trailing slash stripped).
        headers: Headers for every API call (auth tokens); sent only to ``base_url``'s origin.
        timeout: Default timeouts (:class:`Timeout`); defaults to connect 5 s, read 30 s,
            deadline 300 s.
        retry: Default :class:`RetryPolicy`.
        budget: A :class:`RetryBudget` to share; a fresh one when None.
        pool_maxsize: Connections kept per origin; size it to the number of threads.
        user_agent: The User-Agent; :func:`default_user_agent` when None.
        verify: Verify TLS certificates. False warns once (:class:`InsecureTLSWarning`).
        ca_certs: Path to a CA bundle.
        sleep: Sleep function used between retries (injectable for tests).
        clock: Monotonic clock used for deadlines (injectable for tests).

    Raises:
        TypeError: An argument has the wrong type.
        ValueError: ``base_url`` is not an http(s) URL, a header is malformed, or
            ``pool_maxsize`` < 1.
    """

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout | None = None,
        retry: RetryPolicy | None = None,
        budget: RetryBudget | None = None,
        pool_maxsize: int = 16,
        user_agent: str | None = None,
        verify: bool = True,
        ca_certs: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = normalize_base_url(base_url)
        self._origin = origin_of(self.base_url)
        self._headers = check_headers(headers or {}, "Session headers")
        if isinstance(pool_maxsize, bool) or not isinstance(pool_maxsize, int) or pool_maxsize < 1:
            raise ValueError(f"pool_maxsize must be an int >= 1, got {pool_maxsize!r}")
        self.timeout = Timeout.coerce(timeout)
        self.retry = retry if retry is not None else RetryPolicy()
        if not isinstance(self.retry, RetryPolicy):
            raise TypeError(f"retry must be a RetryPolicy, got {type(retry).__name__}")
        self.budget = budget if budget is not None else RetryBudget()
        self.user_agent = user_agent if user_agent is not None else default_user_agent()
        check_headers({"User-Agent": self.user_agent}, "user_agent")
        self.pool_maxsize = pool_maxsize
        self.verify = bool(verify)
        self.ca_certs = ca_certs
        self.sleep = sleep
        self.clock = clock
        self._pool = PoolHolder(pool_maxsize, self.verify, ca_certs)
        install_urllib3_redaction()
        if not self.verify:
            warnings.warn(
                f"TLS certificate verification is off for {self.base_url}: anyone on the network "
                "path can read or alter this traffic, tokens included",
                InsecureTLSWarning,
                stacklevel=2,
            )

    # -- configuration ---------------------------------------------------------------------

    @property
    def header_names(self) -> tuple[str, ...]:
        """Names (never values) of the headers sent with every API call."""
        return tuple(self._headers)

    def with_options(
        self, *, timeout: Timeout | None = None, retry: RetryPolicy | None = None
    ) -> Session:
        """Return a cheap copy with other defaults, sharing the pool, headers and retry budget.

        Args:
            timeout: New default timeouts (None keeps the current ones).
            retry: New default retry policy (None keeps the current one).

        Returns:
            The copy.
        """
        clone = object.__new__(Session)
        clone.__dict__.update(self.__dict__)
        if timeout is not None:
            clone.timeout = Timeout.coerce(timeout, base=self.timeout)
        if retry is not None:
            clone.retry = retry
        return clone

    def close(self) -> None:
        """Close pooled connections (for this session and its copies); the pool is rebuilt on
        the next request."""
        self._pool.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        names = ", ".join(self._headers)
        return f"Session({self.base_url!r}, headers=[{names}], timeout={self.timeout!r})"

    def __getstate__(self) -> dict[str, Any]:
        # Configuration only: sockets and locks cannot cross processes.
        state = self.__dict__.copy()
        state["_pool"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._pool = PoolHolder(self.pool_maxsize, self.verify, self.ca_certs)

    # -- requests --------------------------------------------------------------------------

    def resolve_url(self, url: str) -> str:
        """Turn a relative path or same-origin absolute URL into the URL to request.

        Args:
            url: ``"tasks/1/"`` (joined to ``base_url``) or an absolute http(s) URL.

        Returns:
            The absolute URL.

        Raises:
            OriginError: An absolute URL on another origin (scheme, host, port).
            ValueError: A malformed path (see :func:`join_url`).
        """
        if not is_absolute(url):
            return join_url(self.base_url, url)
        try:
            parsed = parse_server_url(url)
        except ValueError as exc:
            raise OriginError(str(exc), url=redact_url(url)) from None
        if parsed.origin != self._origin:
            raise OriginError(
                f"refusing {redact_url(url)}: it is not on the API origin "
                f"{self._origin[0]}://{self._origin[1]}:{self._origin[2]}, and auth headers are "
                "never sent elsewhere",
                url=redact_url(url),
            )
        return parsed.url

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
        json: Any = UNSET,
        body: bytes | Multipart | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout | None = None,
        retry: RetryPolicy | None = None,
        idempotent: bool | None = None,
    ) -> Response:
        """Send an API call, retrying per the policy, and return the 2xx answer.

        Args:
            method: The HTTP method.
            url: A path relative to ``base_url`` or a same-origin absolute URL.
            params: Query parameters (None dropped, booleans ``true``/``false``, lists
                comma-joined), appended to any query already in ``url``.
            json: A JSON body (``UNSET`` for none; ``None`` sends ``null``).
            body: Raw bytes or a :class:`Multipart` body instead of ``json``.
            headers: Extra headers for this call.
            timeout: Timeouts for this call (default: the session's).
            retry: Retry policy for this call (default: the session's).
            idempotent: Whether the call may be repeated safely; None decides by method.

        Returns:
            The :class:`Response` (status 2xx).

        Raises:
            OriginError: ``url`` is on another origin (before any I/O).
            HTTPError: A 3xx (redirects are not followed) or an error status, as the subclass
                for it (``ValidationError``, ``NotFoundError``, ``ServerError``, ...).
            TransportError: No usable answer (connection, timeout, deadline, outcome unknown).
            ResponseDecodeError: The body could not be decoded.
            TypeError: Bad arguments (both ``json`` and ``body``, unsupported param types).
            ValueError: A malformed path or header, an unencodable JSON body or query (a lone
                surrogate), or a URL longer than ``MAX_URL_LENGTH`` (8192) characters.
        """
        method = method.upper()
        full_url = add_params(self.resolve_url(url), params)
        check_url_length(full_url, params)
        call_headers = dict(self._headers)
        if headers:
            call_headers.update(check_headers(headers, "request headers"))
        payload: bytes | Multipart | None = body
        if not isinstance(json, Unset):
            if body is not None:
                raise TypeError("pass either json= or body=, not both")
            payload = encode_json(json)
            call_headers.setdefault("Content-Type", _JSON)
        elif isinstance(body, Multipart):
            call_headers["Content-Type"] = body.content_type
        elif body is not None and not isinstance(body, bytes):
            raise TypeError(f"body must be bytes or Multipart, got {type(body).__name__}")
        elif method in _BODY_METHODS:
            # The real client always labels write bodies as JSON, even empty ones.
            call_headers.setdefault("Content-Type", _JSON)
            payload = body if body is not None else b""
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        return self._send(
            method,
            full_url,
            payload,
            call_headers,
            timeout=Timeout.coerce(timeout, base=self.timeout) if timeout else self.timeout,
            retry=retry if retry is not None else self.retry,
            idempotent=idempotent,
        )

    def _send(
        self,
        method: str,
        url: str,
        payload: bytes | Multipart | None,
        headers: dict[str, str],
        *,
        timeout: Timeout,
        retry: RetryPolicy,
        idempotent: bool,
    ) -> Response:
        request_id = uuid.uuid4().hex
        headers["User-Agent"] = headers.get("User-Agent", self.user_agent)
        headers["X-Request-ID"] = request_id
        if isinstance(payload, Multipart):
            headers["Content-Length"] = str(payload.content_length)
        safe_url = redact_url(url)
        context: dict[str, Any] = {"method": method, "url": safe_url, "request_id": request_id}
        clock = self.clock
        started = clock()
        deadline_at = None if timeout.deadline is None else started + timeout.deadline
        pool, target = self._pool.route(url)
        attempt = 0
        while True:
            attempt += 1
            attempt_started = clock()
            remaining = remaining_time(deadline_at, clock)
            error: ClientError
            retry_after: float | None = None
            if remaining is not None and remaining <= 0:
                raise DeadlineExceededError(
                    f"the call's deadline of {timeout.deadline:g} s passed before attempt "
                    f"{attempt}",
                    **context,
                )
            data = payload.iter_body() if isinstance(payload, Multipart) else payload
            sent = False
            answer: tuple[int, str] | None = None
            try:
                # urllib3's stubs are narrower than what it accepts: bytes-like blocks are sent
                # as they are and the pool timeout is handed to Queue.get (floats are fine).
                raw = pool.urlopen(
                    method,
                    target,
                    body=cast(Any, data),
                    headers=headers,
                    retries=False,
                    redirect=False,
                    preload_content=False,
                    timeout=attempt_timeout(timeout.connect, timeout.read, remaining),
                    pool_timeout=cast(Any, remaining),
                )
                sent = True
                answer = (raw.status, raw.headers.get("Content-Type", "") or "")
                content = read_body(
                    raw, read_timeout=timeout.read, deadline_at=deadline_at, clock=clock
                )
            except Exception as exc:
                if isinstance(exc, (TypeError, ValueError)) and not isinstance(
                    exc, urllib3.exceptions.HTTPError
                ):
                    raise  # bad input (e.g. a file changed while uploading): not a transport error
                deadline_passed = deadline_at is not None and clock() >= deadline_at - 0.01
                error, retryable = map_error(
                    exc,
                    sent=sent,
                    idempotent=idempotent,
                    deadline_passed=deadline_passed,
                    context=context,
                    answer=answer,
                )
                self._log(method, safe_url, type(error).__name__, attempt_started, attempt, context)
                if not retryable:
                    raise error from exc
                cause: BaseException | None = exc
            else:
                response = Response(
                    status=raw.status,
                    headers=raw.headers,
                    content=content,
                    method=method,
                    url=safe_url,
                    request_id=request_id,
                )
                self._log(method, safe_url, str(raw.status), attempt_started, attempt, context)
                if 200 <= raw.status < 300:
                    self.budget.record_success()
                    return response
                retry_after = retry.retry_after(
                    response.headers.get("Retry-After"), now=time.time()
                )
                error = build_status_error(response, retry_after=retry_after)
                cause = None
                if raw.status < 400 or not retry.retries_status(raw.status, idempotent=idempotent):
                    raise error
            self._pause(error, cause, attempt, retry, retry_after, deadline_at, context)

    def _pause(
        self,
        error: ClientError,
        cause: BaseException | None,
        attempt: int,
        retry: RetryPolicy,
        retry_after: float | None,
        deadline_at: float | None,
        context: dict[str, Any],
    ) -> None:
        """Sleep before the next attempt, or raise ``error`` when no retry is allowed."""
        if attempt > retry.max_retries:
            raise error from cause
        delay = retry_after if retry_after is not None else retry.backoff(attempt - 1)
        if deadline_at is not None and self.clock() + delay >= deadline_at:
            # Sleeping would cross the deadline: the last real failure is the useful answer.
            raise error from cause
        if not self.budget.try_spend():
            logger.debug("retry budget empty; not retrying (request %s)", context["request_id"])
            raise error from cause
        logger.debug(
            "retrying %s %s in %.3f s (attempt %d failed: %s; request %s)",
            context["method"],
            context["url"],
            delay,
            attempt,
            type(error).__name__,
            context["request_id"],
        )
        self.sleep(delay)

    def _log(
        self,
        method: str,
        url: str,
        outcome: str,
        attempt_started: float,
        attempt: int,
        context: dict[str, Any],
    ) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %s in %.1f ms (attempt %d, request %s)",
                method,
                url,
                outcome,
                (self.clock() - attempt_started) * 1000.0,
                attempt,
                context["request_id"],
            )

    # -- downloads -------------------------------------------------------------------------

    def download(
        self,
        url: str,
        *,
        timeout: Timeout | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> StreamedResponse:
        """Open a streaming GET for a file URL, with no auth headers (any origin).

        Follows up to 5 redirects. Connection errors and retryable statuses are retried before
        the body starts. Without ``timeout``, the session's connect/read limits apply with no
        deadline (a large file may take long); pass a Timeout with ``deadline`` to bound it.

        Args:
            url: An absolute http(s) URL (a presigned storage URL, say) or an API-relative path.
            timeout: Timeouts for the download.
            headers: Extra headers (e.g. ``Range``); session headers are never sent.

        Returns:
            A :class:`StreamedResponse` (use it as a context manager).

        Raises:
            HTTPError: A non-2xx final status.
            TransportError: Connection failures or timeouts.
        """
        if is_absolute(url):
            try:
                target = parse_server_url(url).url
            except ValueError as exc:
                raise OriginError(
                    f"refusing the download URL: {exc}", url=redact_url(url)
                ) from None
        else:
            target = join_url(self.base_url, url)
        call_headers = {"User-Agent": self.user_agent, "X-Request-ID": uuid.uuid4().hex}
        if headers:
            call_headers.update(check_headers(headers, "download headers"))
        if timeout is None:
            timeout = Timeout(connect=self.timeout.connect, read=self.timeout.read, deadline=None)
        return open_download(
            self._pool.get(),
            target,
            headers=call_headers,
            timeout=Timeout.coerce(timeout, base=self.timeout),
            retry=self.retry,
            budget=self.budget,
            sleep=self.sleep,
            clock=self.clock,
        )

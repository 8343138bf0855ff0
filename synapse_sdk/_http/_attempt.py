"""The one attempt loop: every request - API calls (:func:`send`) and downloads
(:mod:`._download`) - goes from its first attempt to its answer through :func:`run`.

One place owns the mechanics: the deadline checked before each attempt, the watchdog armed around
it, the opener's ``urlopen`` (whatever the transport), the mapping of failures to SDK errors, the
retry decision, the pause (backoff or ``Retry-After``, never past the deadline, paid from the
retry budget) and the per-attempt log line. What differs between API calls and downloads is only
what is done with an answer once its head arrived: a **reader** either buffers the body
(returns :data:`Buffered`, the loop then judges the status) or takes the answer over (a
download's stream, a redirect to follow: anything but a plain tuple), which the loop returns.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import urllib3

from synapse_sdk._exceptions import ClientError, DeadlineExceededError
from synapse_sdk._http._body import (
    BodyTooLarge,
    UndecodableBody,
    body_limit,
    decode_body,
    read_body,
)
from synapse_sdk._http._multipart import Multipart, RawBody
from synapse_sdk._http._request_id import request_id
from synapse_sdk._http._response import Response, build_status_error
from synapse_sdk._http._retry import RetryPolicy
from synapse_sdk._http._timeout import Timeout
from synapse_sdk._http._transport import Opener, attempt_timeout, map_error, remaining_time
from synapse_sdk._http._urls import redact_url
from synapse_sdk._http._watchdog import WATCHDOG, DeadlineReached, Guard, arm, set_current_guard

if TYPE_CHECKING:
    from synapse_sdk._http._session import Session

__all__ = [
    "Buffered",
    "Call",
    "decode_answer",
    "finish_attempt",
    "run",
    "self_delimited",
    "send",
]

logger = logging.getLogger("synapse_sdk.http")

#: What urllib3 makes of ``retries=False`` on every call, made once: the loop retries, not urllib3
#: (a Retry is immutable: ``increment`` returns a new one).
_NO_RETRIES = urllib3.Retry(False, redirect=False)

T = TypeVar("T")


#: A reader's buffered body: ``(content, complete)``; ``complete`` is False when an error
#: answer was cut short. A plain tuple (the hot path builds one per call).
Buffered = tuple[bytes, bool]


class Call:
    """One request as the loop sees it, the same through all its attempts.

    Attributes:
        what: ``"call"`` or ``"download"`` (for the deadline message).
        deadline_at: The deadline on ``clock`` (None: no deadline).
        context: ``method``, ``url`` (redacted) and ``request_id`` for errors and logs.
    """

    __slots__ = (
        "clock",
        "context",
        "deadline_at",
        "headers",
        "idempotent",
        "max_bytes",
        "method",
        "payload",
        "retry",
        "timeout",
        "what",
    )

    def __init__(
        self,
        session: Session,
        method: str,
        url: str,
        headers: dict[str, str],
        *,
        payload: bytes | Multipart | RawBody | None = None,
        timeout: Timeout,
        retry: RetryPolicy,
        idempotent: bool,
        deadline_at: float | None,
        what: str = "call",
    ) -> None:
        self.method = method
        self.headers = headers
        self.payload = payload
        self.timeout = timeout
        self.retry = retry
        self.idempotent = idempotent
        self.deadline_at = deadline_at
        self.clock = session.clock
        self.max_bytes = session.max_response_bytes
        self.what = what
        self.context: dict[str, Any] = {
            "method": method,
            "url": redact_url(url),
            "request_id": headers["X-Request-ID"],
        }


#: What a reader returns: a buffered body, or the answer taken over (returned by :func:`run`).
Reader = Callable[[urllib3.BaseHTTPResponse, Guard | None, Call], Buffered | T]


def self_delimited(raw: urllib3.BaseHTTPResponse) -> bool:
    """Whether a body's end is marked in-band (Content-Length or chunked), so an end of stream
    caused by the watchdog's shutdown cannot pass for the end of the body."""
    return raw.length_remaining is not None or bool(getattr(raw, "chunked", False))


def finish_attempt(
    guard: Guard | None, raw: urllib3.BaseHTTPResponse | None, *, reuse: bool
) -> bool:
    """Disarm the watchdog, then hand the connection back (closed unless ``reuse`` and intact).

    The order matters: once disarmed the watchdog never touches the socket again, so only then
    may the connection go back to the pool. Returns whether the guard fired.
    """
    fired = guard is not None and WATCHDOG.disarm(guard)
    if raw is not None:
        if fired or not reuse:
            raw.close()
        raw.release_conn()
    return fired


def decode_answer(content: bytes, coding: str | None, limit: int, *, error_answer: bool) -> bytes:
    """Undo an unasked content coding: a 2xx body must decode under ``limit``; an error page is
    cut at ``limit``, or kept as it is when its coding cannot be read."""
    if not coding:
        return content
    if not error_answer:
        return decode_body(content, coding, limit)
    try:
        return decode_body(content, coding, limit, truncate=True)
    except (BodyTooLarge, UndecodableBody):
        return content


def read_api_answer(raw: urllib3.BaseHTTPResponse, guard: Guard | None, call: Call) -> Buffered:
    """The API reader: every answer is buffered (2xx up to ``max_response_bytes``)."""
    status = raw.status
    limit = body_limit(status, call.max_bytes)
    content, complete = read_body(
        raw,
        read_timeout=call.timeout.read,
        deadline_at=call.deadline_at,
        clock=call.clock,
        limit=limit,
    )
    headers = raw.headers
    # ``in`` first: a lookup of an absent name costs a KeyError inside Mapping.get.
    if "Content-Encoding" in headers and (coding := headers["Content-Encoding"]):
        content = decode_answer(content, coding, limit, error_answer=status >= 300)
    return content, complete


def send(
    session: Session,
    method: str,
    url: str,
    payload: bytes | Multipart | None,
    headers: dict[str, str],
    *,
    timeout: Timeout,
    retry: RetryPolicy,
    idempotent: bool,
) -> Response:
    """Send one API call with retries (see :meth:`Session.request`)."""
    headers["User-Agent"] = headers.get("User-Agent", session.user_agent)
    headers["X-Request-ID"] = request_id()
    if isinstance(payload, Multipart):
        headers["Content-Length"] = str(payload.content_length)
    deadline_at = None if timeout.deadline is None else session.clock() + timeout.deadline
    call = Call(
        session,
        method,
        url,
        headers,
        payload=payload,
        timeout=timeout,
        retry=retry,
        idempotent=idempotent,
        deadline_at=deadline_at,
    )
    opener, target = session._pool.route(url)
    answer = run(session, call, opener, target, read_api_answer)
    assert isinstance(answer, Response)
    return answer


def run(session: Session, call: Call, opener: Opener, target: str, read: Reader[T]) -> Response | T:
    """Attempt ``call`` until it succeeds or may not be retried.

    Returns:
        The 2xx :class:`Response` of a buffered answer, or whatever ``read`` took over.

    Raises:
        HTTPError: An error status that is not retried (or retried too often).
        TransportError: No usable answer (the mapped failure of the last attempt).
    """
    clock = call.clock
    method = call.method
    timeout = call.timeout
    retry = call.retry
    deadline_at = call.deadline_at
    context = call.context
    attempt = 0
    while True:
        attempt += 1
        attempt_started = clock()
        remaining = remaining_time(deadline_at, clock)
        error: ClientError
        retry_after: float | None = None
        if remaining is not None and remaining <= 0:
            raise DeadlineExceededError(
                f"the {call.what}'s deadline of {timeout.deadline:g} s passed before attempt "
                f"{attempt}",
                **context,
            )
        payload = call.payload
        data = payload.iter_body() if isinstance(payload, Multipart | RawBody) else payload
        sent = False
        answer: tuple[int, str] | None = None
        raw: urllib3.BaseHTTPResponse | None = None
        failure: BaseException | None = None
        guard = arm(deadline_at, clock)
        previous = set_current_guard(guard)
        try:
            # urllib3's stubs are narrower than what it accepts: bytes-like blocks are sent as
            # they are and the pool timeout is handed to Queue.get (floats are fine).
            raw = opener.urlopen(
                method,
                target,
                body=cast(Any, data),
                headers=call.headers,
                retries=_NO_RETRIES,
                redirect=False,
                preload_content=False,
                decode_content=False,
                timeout=attempt_timeout(timeout.connect, timeout.read, remaining),
                pool_timeout=cast(Any, remaining),
            )
            sent = True
            got = read(raw, guard, call)
        except BaseException as exc:
            set_current_guard(previous)
            if raw is not None:  # the status line had arrived: the error names it
                answer = (raw.status, raw.headers.get("Content-Type", "") or "")
            finish_attempt(guard, raw, reuse=False)
            if not isinstance(exc, Exception) or (
                isinstance(exc, (TypeError, ValueError))
                and not isinstance(exc, urllib3.exceptions.HTTPError)
            ):
                raise  # bad input (e.g. a file changed while uploading): not a transport error
            failure = exc
        else:
            set_current_guard(previous)
            if type(got) is not tuple:
                # Taken over by the reader (a download's stream, a redirect): it owns the
                # answer and the guard now.
                _log(session, context, str(raw.status), attempt_started, attempt)
                if 200 <= raw.status < 300:
                    session.budget.record_success()
                return cast(T, got)
            content, complete = cast(Buffered, got)
            if finish_attempt(guard, raw, reuse=complete) and not self_delimited(raw):
                failure = DeadlineReached()  # the watchdog's shutdown may have cut the body
        if failure is not None:
            deadline_passed = deadline_at is not None and clock() >= deadline_at - 0.01
            error, retryable = map_error(
                failure,
                sent=sent,
                idempotent=call.idempotent,
                deadline_passed=deadline_passed,
                context=context,
                answer=answer,
                guard=guard,
            )
            _log(session, context, type(error).__name__, attempt_started, attempt)
            if not retryable:
                raise error from failure
            cause: BaseException | None = failure
        else:
            assert raw is not None
            status = raw.status
            response = Response(
                status=status,
                headers=raw.headers,
                content=content,
                method=method,
                url=context["url"],
                request_id=context["request_id"],
            )
            _log(session, context, str(status), attempt_started, attempt)
            if 200 <= status < 300:
                session.budget.record_success()
                return response
            retry_after = retry.retry_after(response.headers.get("Retry-After"), now=time.time())
            error = build_status_error(
                response, retry_after=retry_after, secrets=session.secret_values
            )
            cause = None
            if status < 400 or not retry.retries_status(status, idempotent=call.idempotent):
                raise error
        _pause(session, call, error, cause, attempt, retry_after)


def _pause(
    session: Session,
    call: Call,
    error: ClientError,
    cause: BaseException | None,
    attempt: int,
    retry_after: float | None,
) -> None:
    """Sleep before the next attempt, or raise ``error`` when no retry is allowed."""
    retry = call.retry
    if attempt > retry.max_retries:
        raise error from cause
    delay = retry_after if retry_after is not None else retry.backoff(attempt - 1)
    if call.deadline_at is not None and call.clock() + delay >= call.deadline_at:
        # Sleeping would cross the deadline: the last real failure is the useful answer.
        raise error from cause
    context = call.context
    if not session.budget.try_spend():
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
    session.sleep(delay)


def _log(
    session: Session,
    context: dict[str, Any],
    outcome: str,
    attempt_started: float,
    attempt: int,
) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "%s %s -> %s in %.1f ms (attempt %d, request %s)",
            context["method"],
            context["url"],
            outcome,
            (session.clock() - attempt_started) * 1000.0,
            attempt,
            context["request_id"],
        )

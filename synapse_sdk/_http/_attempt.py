"""One API call from the first attempt to the answer: attempts, the watchdog, body limits,
retries and the pauses between them (:meth:`Session.request` builds the request, this sends it).
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import TYPE_CHECKING, Any, cast

import urllib3

from synapse_sdk._exceptions import ClientError, DeadlineExceededError
from synapse_sdk._http._body import (
    BodyTooLarge,
    UndecodableBody,
    body_limit,
    decode_body,
    read_body,
)
from synapse_sdk._http._multipart import Multipart
from synapse_sdk._http._response import Response, build_status_error
from synapse_sdk._http._retry import RetryPolicy
from synapse_sdk._http._timeout import Timeout
from synapse_sdk._http._transport import attempt_timeout, map_error, remaining_time
from synapse_sdk._http._urls import redact_url
from synapse_sdk._http._watchdog import WATCHDOG, DeadlineReached, Guard, arm, set_current_guard

if TYPE_CHECKING:
    from synapse_sdk._http._session import Session

__all__ = ["finish_attempt", "self_delimited", "send"]

logger = logging.getLogger("synapse_sdk.http")


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
    request_id = uuid.uuid4().hex
    headers["User-Agent"] = headers.get("User-Agent", session.user_agent)
    headers["X-Request-ID"] = request_id
    if isinstance(payload, Multipart):
        headers["Content-Length"] = str(payload.content_length)
    safe_url = redact_url(url)
    context: dict[str, Any] = {"method": method, "url": safe_url, "request_id": request_id}
    clock = session.clock
    started = clock()
    deadline_at = None if timeout.deadline is None else started + timeout.deadline
    pool, target = session._pool.route(url)
    max_bytes = session.max_response_bytes
    attempt = 0
    while True:
        attempt += 1
        attempt_started = clock()
        remaining = remaining_time(deadline_at, clock)
        error: ClientError
        retry_after: float | None = None
        if remaining is not None and remaining <= 0:
            raise DeadlineExceededError(
                f"the call's deadline of {timeout.deadline:g} s passed before attempt {attempt}",
                **context,
            )
        data = payload.iter_body() if isinstance(payload, Multipart) else payload
        sent = False
        answer: tuple[int, str] | None = None
        raw: urllib3.BaseHTTPResponse | None = None
        failure: BaseException | None = None
        guard = arm(deadline_at, clock)
        previous = set_current_guard(guard)
        try:
            # urllib3's stubs are narrower than what it accepts: bytes-like blocks are sent as
            # they are and the pool timeout is handed to Queue.get (floats are fine).
            raw = pool.urlopen(
                method,
                target,
                body=cast(Any, data),
                headers=headers,
                retries=False,
                redirect=False,
                preload_content=False,
                decode_content=False,
                timeout=attempt_timeout(timeout.connect, timeout.read, remaining),
                pool_timeout=cast(Any, remaining),
            )
            sent = True
            status = raw.status
            answer = (status, raw.headers.get("Content-Type", "") or "")
            limit = body_limit(status, max_bytes)
            content, complete = read_body(
                raw, read_timeout=timeout.read, deadline_at=deadline_at, clock=clock, limit=limit
            )
            coding = raw.headers.get("Content-Encoding")
            if coding:
                content = _decode(content, coding, limit, error_answer=status >= 300)
        except BaseException as exc:
            set_current_guard(previous)
            finish_attempt(guard, raw, reuse=False)
            if not isinstance(exc, Exception) or (
                isinstance(exc, (TypeError, ValueError))
                and not isinstance(exc, urllib3.exceptions.HTTPError)
            ):
                raise  # bad input (e.g. a file changed while uploading): not a transport error
            failure = exc
        else:
            set_current_guard(previous)
            if finish_attempt(guard, raw, reuse=complete) and not self_delimited(raw):
                failure = DeadlineReached()  # the watchdog's shutdown may have cut the body
        if failure is not None:
            deadline_passed = deadline_at is not None and clock() >= deadline_at - 0.01
            error, retryable = map_error(
                failure,
                sent=sent,
                idempotent=idempotent,
                deadline_passed=deadline_passed,
                context=context,
                answer=answer,
                guard=guard,
            )
            _log(session, method, safe_url, type(error).__name__, attempt_started, attempt, context)
            if not retryable:
                raise error from failure
            cause: BaseException | None = failure
        else:
            assert raw is not None
            response = Response(
                status=raw.status,
                headers=raw.headers,
                content=content,
                method=method,
                url=safe_url,
                request_id=request_id,
            )
            _log(session, method, safe_url, str(raw.status), attempt_started, attempt, context)
            if 200 <= raw.status < 300:
                session.budget.record_success()
                return response
            retry_after = retry.retry_after(response.headers.get("Retry-After"), now=time.time())
            error = build_status_error(response, retry_after=retry_after)
            cause = None
            if raw.status < 400 or not retry.retries_status(raw.status, idempotent=idempotent):
                raise error
        _pause(session, error, cause, attempt, retry, retry_after, deadline_at, context)


def _decode(content: bytes, coding: str, limit: int, *, error_answer: bool) -> bytes:
    if not error_answer:
        return decode_body(content, coding, limit)
    try:
        return decode_body(content, coding, limit, truncate=True)
    except (BodyTooLarge, UndecodableBody):
        return content  # an error page in a coding we cannot read: keep its bytes


def _pause(
    session: Session,
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
    if deadline_at is not None and session.clock() + delay >= deadline_at:
        # Sleeping would cross the deadline: the last real failure is the useful answer.
        raise error from cause
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
            (session.clock() - attempt_started) * 1000.0,
            attempt,
            context["request_id"],
        )

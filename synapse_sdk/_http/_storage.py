"""One PUT to object storage (a presigned URL): any origin, never an auth header, never a
redirect followed, one attempt.

A presigned URL carries its own credentials (the signature in its query), so the session's
headers (the API token, the tenant) are never sent with it, whatever its origin: only
``User-Agent``, ``X-Request-ID``, ``Content-Length`` and the caller's headers (``Content-Type``).
The URL goes through the one strict parser (:func:`~._urls.parse_server_url`) before anything is
sent. The request runs through the one attempt loop (:func:`~._attempt.run`) with retries off:
the caller owns the retry decision, because object storage answers errors in its own dialect
(an S3 ``<Error><Code>`` body), and the body must be re-read from the file for each attempt.

A 3xx answer is never followed (the file's bytes would go to a place nobody signed) and its body
is never read: the connection is closed and the 3xx raised as :class:`HTTPError`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING

import urllib3

from synapse_sdk._exceptions import OriginError
from synapse_sdk._http._attempt import Buffered, Call, read_api_answer, run
from synapse_sdk._http._encoding import check_headers
from synapse_sdk._http._multipart import RawBody
from synapse_sdk._http._response import Response
from synapse_sdk._http._retry import RetryPolicy
from synapse_sdk._http._timeout import Timeout
from synapse_sdk._http._urls import parse_server_url, redact_url
from synapse_sdk._http._watchdog import Guard

if TYPE_CHECKING:
    from synapse_sdk._http._session import Session

__all__ = ["storage_put"]

_ONE_ATTEMPT = RetryPolicy(max_retries=0)


def _read_storage_answer(
    raw: urllib3.BaseHTTPResponse, guard: Guard | None, call: Call
) -> Buffered:
    """A redirect is closed unread (the loop then raises it); anything else is buffered like an
    API answer (2xx under ``max_response_bytes``, errors up to 1 MiB)."""
    if 300 <= raw.status < 400:
        return b"", False  # not complete: the loop closes the connection instead of reusing it
    return read_api_answer(raw, guard, call)


def storage_put(
    session: Session,
    url: str,
    body: bytes | RawBody,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: Timeout,
) -> Response:
    """PUT ``body`` to the absolute storage ``url``, once, without the session's headers.

    Args:
        session: The client's session (its pools, user agent, clock and response cap).
        url: A presigned http(s) URL on any origin.
        body: The bytes, or a :class:`RawBody` streamed from disk.
        headers: Extra headers (``Content-Type``); auth headers are the caller's mistake and are
            refused.
        timeout: Connect/read limits and the deadline of this one attempt.

    Returns:
        The 2xx :class:`Response` (its ``headers`` carry the ``ETag``).

    Raises:
        OriginError: ``url`` is not a plain absolute http(s) URL (nothing is sent).
        HTTPError: A 3xx (not followed) or an error status (the subclass for it).
        TransportError: No usable answer (connection, timeout, deadline).
        ValueError: A header carries credentials, or the body's source changed size.
    """
    try:
        target = parse_server_url(url).url
    except ValueError as exc:
        raise OriginError(f"refusing the storage URL: {exc}", url=redact_url(url)) from None
    call_headers = {"User-Agent": session.user_agent, "X-Request-ID": uuid.uuid4().hex}
    if headers:
        extra = check_headers(headers, "storage headers")
        own = {name.lower() for name in session.header_names}
        secret = [name for name in extra if name.lower() in own]
        if secret:
            raise ValueError(f"storage PUTs never carry the session's auth headers: {secret}")
        call_headers.update(extra)
    length = len(body) if isinstance(body, bytes) else body.content_length
    call_headers["Content-Length"] = str(length)
    deadline_at = None if timeout.deadline is None else session.clock() + timeout.deadline
    call = Call(
        session,
        "PUT",
        target,
        call_headers,
        payload=body,
        timeout=timeout,
        retry=_ONE_ATTEMPT,
        idempotent=True,
        deadline_at=deadline_at,
    )
    opener, routed = session._pool.route_download(target)
    answer = run(session, call, opener, routed, _read_storage_answer)
    assert isinstance(answer, Response)
    return answer

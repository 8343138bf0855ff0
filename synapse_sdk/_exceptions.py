"""Every error the SDK raises for API and transport failures, grouped by meaning.

The tree (all importable from ``synapse_sdk.clients.exceptions`` and ``synapse_sdk``)::

    ClientError                         base: status_code, response, method, url, request_id
    ├── HTTPError                       the server answered with a status >= 400
    │   ├── ValidationError             400, 422 (field errors in ``response``)
    │   ├── AuthenticationError         401
    │   ├── AuthorizationError          403 (alias PermissionDeniedError)
    │   ├── NotFoundError               404
    │   │   └── DoesNotExist            ``queryset.get()`` matched nothing (no 404 received)
    │   ├── ConflictError               409
    │   ├── RateLimitError              429 (``retry_after`` in seconds, or None)
    │   └── ServerError                 5xx
    │       └── GpuUnavailableError     503 with ``{"error_type": "gpu_unavailable"}``
    ├── TransportError                  no usable HTTP answer (status_code is None)
    │   ├── ClientConnectionError       DNS, refused, reset before the request was sent
    │   │   └── OutcomeUnknownError     a write whose answer was lost: it may have been applied
    │   │                               (alias ClientResponseIncompleteError)
    │   ├── ClientTimeoutError          connect or read timeout
    │   │   └── DeadlineExceededError   the call's wall-clock deadline passed
    │   └── OriginError                 a server-supplied URL on another origin was refused
    ├── ResponseError                   the answer could not be used
    │   ├── ResponseDecodeError         truncated or malformed JSON, HTML where JSON was due
    │   │   ├── ResponseTooLargeError   the body was over ``max_response_bytes``
    │   │   └── TruncatedBodyError      the body was cut off (also a ClientConnectionError)
    │   └── ResponseValidationError     valid JSON of the wrong shape (``path`` names the field)
    ├── IntegrityError                  a checksum did not match (upload finalize, download)
    └── MultipleObjectsReturned         ``queryset.get()`` matched several (also a ValueError)

    └── JobFailedError                  ``job.wait()`` saw the job end FAILED (``job``, ``logs``)

Status codes map to classes in one table, :data:`STATUS_ERRORS`. Messages never contain tokens:
URLs are redacted before they are stored on an error.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "STATUS_ERRORS",
    "AuthenticationError",
    "AuthorizationError",
    "ClientConnectionError",
    "ClientError",
    "ClientResponseIncompleteError",
    "ClientTimeoutError",
    "ConflictError",
    "DeadlineExceededError",
    "DoesNotExist",
    "GpuUnavailableError",
    "HTTPError",
    "IntegrityError",
    "MultipleObjectsReturned",
    "JobFailedError",
    "NotFoundError",
    "OriginError",
    "OutcomeUnknownError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseDecodeError",
    "ResponseError",
    "ResponseTooLargeError",
    "ResponseValidationError",
    "ServerError",
    "TransportError",
    "TruncatedBodyError",
    "UploadStalledError",
    "ValidationError",
    "error_for_status",
]


class ClientError(Exception):
    """Base of every error the SDK raises for a failed API call.

    Attributes:
        status_code: The HTTP status, or ``None`` when no HTTP answer was received.
        response: The parsed JSON body of the answer, else its text, else ``None``.
        method: The HTTP method of the request, when known.
        url: The request URL with secrets redacted, when known.
        request_id: The SDK's id for the call (also sent as ``X-Request-ID``), when known.
        page: For a listing interrupted by this error: the 1-based page that failed, else None.
        resume_offset: The row index to resume from (``queryset[resume_offset:]``), else None.
        resume_params: The ``page``/``page_size`` params to resume a seed listing, else None.
    """

    page: int | None = None
    resume_offset: int | None = None
    resume_params: dict[str, int] | None = None

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        response: Any = None,
        method: str | None = None,
        url: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.response = response
        self.method = method
        self.url = url
        self.request_id = request_id

    @property
    def detail(self) -> Any:
        """The error body, under the name the 2026 synapse-sdk wheel uses."""
        return self.response

    def __str__(self) -> str:
        where = f" ({self.method} {self.url})" if self.method and self.url else ""
        if self.status_code is not None:
            return f"{self.status_code}: {self.message}{where}"
        return f"{self.message}{where}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only state must survive pickling (errors cross process pools).
        return (_rebuild, (type(self), self.message, self.__dict__.copy()))


def _rebuild(cls: type[ClientError], message: str, state: dict[str, Any]) -> ClientError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class HTTPError(ClientError):
    """The server answered with an error status (``status_code`` is set)."""


class ValidationError(HTTPError):
    """400/422: the server rejected the request body or parameters.

    ``response`` holds the field errors, e.g. ``{"name": ["This field is required."]}``.
    """


class AuthenticationError(HTTPError):
    """401: no valid token was sent. Check ``api_token`` / ``SYNAPSE_API_TOKEN``."""


class AuthorizationError(HTTPError):
    """403: the token is valid but may not do this."""


PermissionDeniedError = AuthorizationError


class NotFoundError(HTTPError):
    """404: the object does not exist, or belongs to another tenant."""


class ConflictError(HTTPError):
    """409: the request conflicts with the object's current state."""


class RateLimitError(HTTPError):
    """429: too many requests. ``retry_after`` is the server's wait hint in seconds, or None."""

    retry_after: float | None = None


class ServerError(HTTPError):
    """5xx: the server failed. Safe requests were retried before this was raised."""


class GpuUnavailableError(ServerError):
    """503 with ``{"error_type": "gpu_unavailable"}``: no GPU is free for the job right now."""


class TransportError(ClientError):
    """No usable HTTP answer arrived (``status_code`` is None)."""


class ClientConnectionError(TransportError):
    """The server could not be reached, or the connection broke before the request was sent."""


class OutcomeUnknownError(ClientConnectionError):
    """A write (POST/PATCH) was sent but its answer was lost: the server may have applied it.

    The SDK never resends such a write. Check the server's state (for example list the objects
    you meant to create) before trying again.
    """


ClientResponseIncompleteError = OutcomeUnknownError


class ClientTimeoutError(TransportError):
    """Connecting or reading took longer than the configured timeout."""


class DeadlineExceededError(ClientTimeoutError):
    """The call's wall-clock deadline passed (retries and slow responses included)."""


class OriginError(TransportError):
    """A server-supplied URL was refused before any request: it points at another origin (auth is
    never sent there), or it is malformed or ambiguous (user information, a backslash, control
    characters, a bad port, a scheme other than http(s))."""


class ResponseError(ClientError):
    """An answer arrived but could not be used."""


class ResponseDecodeError(ResponseError):
    """The body was not the JSON it should be (truncated, malformed, or an HTML error page)."""


class ResponseTooLargeError(ResponseDecodeError):
    """A successful answer's body was larger than the client buffers (``max_response_bytes``).

    Raised as soon as the body (or its ``Content-Length``, or what a gzip body inflates to) goes
    past the limit, 64 MiB by default; nothing more is read and the connection is closed. Raise
    the limit with ``BackendClient(..., max_response_bytes=...)`` if such answers are expected.

    Attributes:
        limit: The limit in bytes that was exceeded.
    """

    limit: int | None = None


class ResponseValidationError(ResponseError):
    """The body was JSON of the wrong shape; ``path`` names the field (``results[3].id``)."""

    path: str = ""


class TruncatedBodyError(ResponseDecodeError, ClientConnectionError):
    """The status line arrived but the body was cut off (connection closed or reset mid-body).

    Both a decode error (the JSON is incomplete: no object is ever built from it) and a
    connection error (the connection broke), so either ``except`` clause catches it. Raised for
    idempotent calls once retries are spent; a write whose answer is cut off raises
    :class:`OutcomeUnknownError` instead.
    """


class IntegrityError(ClientError):
    """A checksum did not match: the bytes the server holds differ from the local ones."""


#: One table from HTTP status to error class; statuses not listed use :func:`error_for_status`.
STATUS_ERRORS: dict[int, type[HTTPError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: AuthorizationError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitError,
}


def error_for_status(status: int, body: Any) -> type[HTTPError]:
    """Return the error class for an HTTP error ``status`` (with its parsed ``body``)."""
    cls = STATUS_ERRORS.get(status)
    if cls is not None:
        return cls
    if status >= 500:
        if status == 503 and isinstance(body, dict) and body.get("error_type") == "gpu_unavailable":
            return GpuUnavailableError
        return ServerError
    return HTTPError


class UploadStalledError(ResponseError):
    """A chunked upload stopped because the server's answers kept it from finishing.

    Raised when the offsets the server reports move backwards too often, or when the SDK has
    sent far more bytes than the file holds (a livelock: the server keeps accepting chunks and
    then forgetting them). The message names the upload, the offset reached and how to resume.

    Attributes:
        upload_id: The upload's id: continue with ``client.resume_chunked_upload(upload_id,
            path)`` once the server behaves (None if the server never created one).
        offset: The offset the upload had reached when it stopped.
    """

    upload_id: str | int | None = None
    offset: int | None = None


def _singular(family: str) -> str:
    """``tasks`` -> ``task``, ``data_units`` -> ``data unit`` (for messages)."""
    words = family.replace("_", " ")
    return words[:-1] if words.endswith("s") else words


class MultipleObjectsReturned(ClientError, ValueError):
    """``queryset.get()`` matched more than one object.

    Also a ``ValueError`` (what it was before it joined the error tree).

    Attributes:
        family: The endpoint family queried (``"tasks"``).
        filters: The query's filters, as given (``{"project": 1}``).
        count: How many objects matched, as the server counted them (None if it did not say).
    """

    def __init__(self, family: str, filters: dict[str, Any], count: int | None) -> None:
        found = "at least 2" if count is None else str(count)
        super().__init__(f"more than one {_singular(family)} matched {filters!r}: {found} found")
        self.family = family
        self.filters = dict(filters)
        self.count = count


class DoesNotExist(NotFoundError):
    """``queryset.get()`` matched nothing (a :class:`NotFoundError`, as before; no 404 was
    received, so ``status_code`` is None).

    Attributes:
        family: The endpoint family queried (``"tasks"``).
        filters: The query's filters, as given.
        count: Always 0.
    """

    count = 0

    def __init__(self, family: str, filters: dict[str, Any]) -> None:
        super().__init__(f"no {_singular(family)} matched {filters!r}")
        self.family = family
        self.filters = dict(filters)


class JobFailedError(ClientError):
    """A job that was waited for (``job.wait()``) ended in the FAILED status.

    Raised by ``wait(raise_on_failure=True)`` (the default); STOPPED is not a failure (someone
    stopped the job on purpose), so ``wait()`` returns a stopped job. ``status_code`` is None:
    every call succeeded, the job itself failed.

    Attributes:
        job: The job, refreshed, in its final status (``job.result``, ``job.meta`` may say why).
        logs: Its last console log lines (at most :attr:`MAX_LOGS`, oldest first), as the
            ``JobLog`` records ``job.logs()`` returns; empty when they could not be read.
    """

    #: How many of the last log lines are kept on the error (and shown in its message: 5).
    MAX_LOGS = 20

    job: Any = None
    logs: list[Any]

    def __init__(
        self, message: str, *, job: Any = None, logs: list[Any] | None = None, **fields: Any
    ) -> None:
        super().__init__(message, **fields)
        self.job = job
        self.logs = list(logs or [])[-self.MAX_LOGS :]

"""The Session: one pooled, retrying, deadline-bound HTTP client for a backend origin."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from synapse_sdk._exceptions import OriginError
from synapse_sdk._http import _attempt
from synapse_sdk._http._body import DEFAULT_MAX_RESPONSE_BYTES
from synapse_sdk._http._download import StreamedResponse, open_download
from synapse_sdk._http._encoding import (
    InsecureTLSWarning,
    check_headers,
    default_user_agent,
    encode_json,
)
from synapse_sdk._http._logfilter import install_urllib3_redaction
from synapse_sdk._http._multipart import Multipart
from synapse_sdk._http._options import check_option, picklable_or
from synapse_sdk._http._pools import PoolHolder
from synapse_sdk._http._request_id import request_id
from synapse_sdk._http._response import Response
from synapse_sdk._http._retry import IDEMPOTENT_METHODS, RetryBudget, RetryPolicy
from synapse_sdk._http._sentinel import UNSET, Unset
from synapse_sdk._http._timeout import Timeout
from synapse_sdk._http._transport import Transport
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

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_JSON = "application/json"


def _names_url_host(url: str, params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None) -> bool:
    """Whether the call gives its own ``url_host``: in ``params`` or in the URL's query."""
    if params is not None:
        keys = params.keys() if isinstance(params, Mapping) else (k for k, _ in params)
        if "url_host" in keys:
            return True
    query = urlsplit(url).query
    return any(name == "url_host" for name, _ in parse_qsl(query, keep_blank_values=True))


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
        clock: Monotonic clock used for deadlines (injectable for tests). The deadline itself
            is enforced in real time (the remaining time is carried over to the real clock).
        max_response_bytes: The largest 2xx API body buffered (64 MiB by default; a larger or
            endless one raises ``ResponseTooLargeError``); error answers are read up to 1 MiB.
        transport: Where requests go: None for urllib3 connection pools over sockets (sized by
            ``pool_maxsize``, checked by ``verify``/``ca_certs``), or e.g.
            :class:`~synapse_sdk._http.WSGITransport` to answer them from a WSGI app
            in-process. Retries, deadlines, body caps and errors are the same for every
            transport.
        url_host: When set, every API call (:meth:`request`; never :meth:`download`) carries
            the query parameter ``url_host=<value>`` unless the call's ``params`` or its URL
            (a ``next`` link that already names one) give their own.

    Pickling keeps the configuration, not the connections: the copy builds its own pools (or
    keeps a picklable custom transport). ``sleep`` and ``clock`` are kept when they pickle
    (``time.sleep``, ``time.monotonic``, module-level functions); a lambda or closure is replaced
    by ``time.sleep`` / ``time.monotonic`` in the copy.

    Raises:
        TypeError: An argument has the wrong type.
        ValueError: ``base_url`` is not an http(s) URL, a header is malformed, or
            ``pool_maxsize`` or ``max_response_bytes`` is out of bounds (see ``OPTIONS``).
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
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        transport: Transport | None = None,
        url_host: str | None = None,
    ) -> None:
        self.base_url = normalize_base_url(base_url)
        if url_host is not None and (not isinstance(url_host, str) or not url_host):
            raise TypeError(f"url_host must be a non-empty string or None, got {url_host!r}")
        self.url_host = url_host
        self._origin = origin_of(self.base_url)
        self._headers = check_headers(headers or {}, "Session headers")
        check_option("pool_maxsize", pool_maxsize)
        self.max_response_bytes = check_option("max_response_bytes", max_response_bytes)
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
        methods = ("route", "route_download", "close")
        if transport is not None and not all(
            callable(getattr(transport, name, None)) for name in methods
        ):
            raise TypeError(
                f"transport must be a Transport (route, route_download, close), e.g. "
                f"WSGITransport(app); got {type(transport).__name__}"
            )
        self.transport = transport
        #: What requests are opened with: the given transport, else urllib3 pools.
        self._pool: Transport = (
            transport if transport is not None else PoolHolder(pool_maxsize, self.verify, ca_certs)
        )
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
    def secret_values(self) -> tuple[str, ...]:
        """The credentials this session sends (each header value and its bare token), longest
        first: error texts and bodies an echoing server sends back are scrubbed of them."""
        found: set[str] = set()
        for value in self._headers.values():
            found.add(value)
            scheme, _, token = value.partition(" ")
            if token and scheme.lower() in ("token", "bearer"):
                found.add(token)
        return tuple(sorted((v for v in found if len(v) >= 4), key=len, reverse=True))

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
        state["sleep"] = picklable_or(self.sleep, time.sleep)
        state["clock"] = picklable_or(self.clock, time.monotonic)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("max_response_bytes", DEFAULT_MAX_RESPONSE_BYTES)
        state.setdefault("transport", None)
        state.setdefault("url_host", None)
        self.__dict__.update(state)
        transport = self.transport
        self._pool = (
            transport
            if transport is not None
            else PoolHolder(self.pool_maxsize, self.verify, self.ca_certs)
        )

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
        resolved = self.resolve_url(url)
        full_url = add_params(resolved, params)
        if self.url_host is not None and not _names_url_host(resolved, params):
            full_url = add_params(full_url, {"url_host": self.url_host})
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
        return _attempt.send(
            self, method, url, payload, headers, timeout=timeout, retry=retry, idempotent=idempotent
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
        call_headers = {"User-Agent": self.user_agent, "X-Request-ID": request_id()}
        if headers:
            call_headers.update(check_headers(headers, "download headers"))
        if timeout is None:
            timeout = Timeout(connect=self.timeout.connect, read=self.timeout.read, deadline=None)
        return open_download(
            self, target, headers=call_headers, timeout=Timeout.coerce(timeout, base=self.timeout)
        )

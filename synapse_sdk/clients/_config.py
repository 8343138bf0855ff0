"""``ClientConfig``: everything a client is built from, and the checks of its options."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping

import attrs

from synapse_sdk._http import RetryBudget, RetryPolicy, Session, Timeout, Transport
from synapse_sdk._http._body import DEFAULT_MAX_RESPONSE_BYTES
from synapse_sdk._http._options import check_option, picklable_or

__all__ = ["ClientConfig", "TimeoutLike"]

TimeoutLike = Timeout | Mapping[str, float | None] | float | None


@attrs.frozen(repr=False)
class ClientConfig:
    """Everything a client is built from (tokens included; never shown by ``repr``).

    :meth:`session` is the one place a client's :class:`Session` is built from it (by the
    constructor and when unpickling); ``with_options`` copies it with :func:`attrs.evolve`.
    """

    base_url: str
    api_token: str | None
    agent_token: str | None
    tenant: str | None
    timeout: Timeout
    retry: RetryPolicy
    page_size: int
    prefetch: int
    pool_maxsize: int
    user_agent: str
    verify: bool
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    transport: Transport | None = None
    authorization_token: str | None = None
    url_host: str | None = None
    async_workers: int | None = None  # threads of the async twins (None: pool_maxsize)

    def session(self) -> Session:
        """A new Session with these options and a fresh retry budget."""
        return Session(
            self.base_url,
            headers=self.headers(),
            timeout=self.timeout,
            retry=self.retry,
            budget=RetryBudget(),
            pool_maxsize=self.pool_maxsize,
            user_agent=self.user_agent,
            verify=self.verify,
            sleep=self.sleep,
            clock=self.clock,
            max_response_bytes=self.max_response_bytes,
            transport=self.transport,
            url_host=self.url_host,
        )

    def picklable(self) -> ClientConfig:
        """This configuration as it is pickled: ``sleep``/``clock`` that do not pickle (a
        lambda, a closure) become ``time.sleep``/``time.monotonic``.

        Raises:
            TypeError: A custom ``transport`` that does not pickle (its app holds a database
                connection, say): the copy could not reach the same backend.
        """
        if self.transport is not None and picklable_or(self.transport, None) is None:
            raise TypeError(
                f"cannot pickle a client whose transport does not pickle ({self.transport!r}); "
                "build the client again in the other process"
            )
        return attrs.evolve(
            self,
            sleep=picklable_or(self.sleep, time.sleep),
            clock=picklable_or(self.clock, time.monotonic),
        )

    def headers(self) -> dict[str, str]:
        """The auth headers (``Synapse-Access-Token``, ``Authorization``, ``SYNAPSE-Agent``,
        ``Synapse-Tenant``): present only for values that are set."""
        headers: dict[str, str] = {}
        if self.api_token:
            headers["Synapse-Access-Token"] = f"Token {self.api_token}"
        if self.authorization_token:
            headers["Authorization"] = f"Token {self.authorization_token}"
        if self.agent_token:
            headers["SYNAPSE-Agent"] = f"Token {self.agent_token}"
        if self.tenant:
            headers["Synapse-Tenant"] = f"Token {self.tenant}"
        return headers

    def __repr__(self) -> str:
        token = "'***'" if self.api_token else None
        extra = ", authorization_token='***'" if self.authorization_token else ""
        host = f", url_host={self.url_host!r}" if self.url_host else ""
        return f"ClientConfig(base_url={self.base_url!r}, api_token={token}{extra}{host})"


def _retry_policy(retries: int | RetryPolicy | None) -> RetryPolicy:
    if retries is None:
        return RetryPolicy()
    if isinstance(retries, RetryPolicy):
        return retries
    return RetryPolicy(max_retries=check_option("retries", retries))


_URL_HOST = re.compile(r"[A-Za-z0-9._:-]{1,253}")


def _url_host(value: object) -> str | None:
    """``url_host`` (``'internal'``): a host-like word, sent as a query parameter."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"url_host must be a string such as 'internal', got {type(value).__name__}")
    if not _URL_HOST.fullmatch(value):
        raise ValueError(
            f"url_host must be a host-like word (letters, digits, '.', '-', '_', ':'), "
            f"e.g. 'internal'; got {value!r}"
        )
    return value


def _token(value: object, name: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    if any(c in value for c in "\r\n\x00") or value != value.strip():
        raise ValueError(f"{name} contains whitespace or control characters")
    return value

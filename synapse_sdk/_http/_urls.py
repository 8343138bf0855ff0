"""URL building: base joining, origin checks, query encoding and redaction of secrets."""

from __future__ import annotations

import datetime
import enum
import functools
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

__all__ = [
    "MAX_URL_LENGTH",
    "Origin",
    "add_params",
    "check_url_length",
    "encode_params",
    "is_absolute",
    "join_url",
    "normalize_base_url",
    "origin_of",
    "redact_url",
]

Origin = tuple[str, str, int]

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Control characters, spaces and '#' are never valid in the paths the SDK builds; refusing them
# stops '7#x' from cutting a path and CR/LF from splitting a request line.
_BAD_URL_CHARS = re.compile(r"[\x00-\x20\x7f#\\]")
_SECRET_WORDS = (
    "token",
    "signature",
    "password",
    "passwd",
    "secret",
    "credential",
    "apikey",
    "api_key",
    "access_key",
    "session",
)
_SECRET_PREFIXES = ("x-amz-", "x-goog-")
_SECRET_EXACT = frozenset({"sig", "key", "auth", "code"})
# Routes that carry a credential in the path: ``agents/<agent token>/connect/`` (wire protocol).
_SECRET_PATHS = (re.compile(r"(^|/)(agents/)([^/?#]+)(/connect(?:/|$))"),)

#: Longest request URL the SDK sends. Common servers and proxies refuse request lines over 8 KiB
#: (nginx ``large_client_header_buffers``) with an unhelpful 414 or a reset; failing before any
#: I/O names the parameter that is too long instead.
MAX_URL_LENGTH = 8192


def is_absolute(url: str) -> bool:
    """Return whether ``url`` is an absolute http(s) URL (case-insensitive scheme)."""
    return url[:7].lower() == "http://" or url[:8].lower() == "https://"


def origin_of(url: str) -> Origin:
    """Return ``(scheme, host, port)`` of an absolute http(s) URL, default ports filled in.

    Raises:
        ValueError: The URL is not http(s) or has no host or a bad port.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"not an absolute http(s) URL: {redact_url(url)!r}")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"bad port in URL {redact_url(url)!r}") from exc
    return (scheme, parts.hostname.lower(), port if port is not None else _DEFAULT_PORTS[scheme])


def normalize_base_url(base_url: str) -> str:
    """Validate a base URL and strip its trailing slashes.

    Raises:
        TypeError: ``base_url`` is not a string.
        ValueError: It is not an absolute http(s) URL, or has a query, fragment or bad characters.
    """
    if not isinstance(base_url, str):
        raise TypeError(f"base_url must be a str, got {type(base_url).__name__}")
    if not is_absolute(base_url):
        raise ValueError(
            f"base_url must start with http:// or https://, got {redact_url(base_url)!r}"
        )
    origin_of(base_url)
    parts = urlsplit(base_url)
    if parts.query or parts.fragment or _BAD_URL_CHARS.search(base_url):
        raise ValueError(
            "base_url must be a plain URL without query, fragment, spaces or control "
            f"characters, got {redact_url(base_url)!r}"
        )
    return base_url.rstrip("/")


def join_url(base_url: str, path: str) -> str:
    """Join a relative API path to the base URL (wire-protocol §2.1).

    Args:
        base_url: The normalized base URL (no trailing slash).
        path: A relative path such as ``"tasks/1/"`` (a leading ``/`` is ignored), optionally
            with a query string.

    Returns:
        ``base_url + "/" + path`` with exactly one slash between them.

    Raises:
        TypeError: ``path`` is not a string.
        ValueError: The path has ``.``/``..`` segments, ``#``, a backslash, whitespace or
            control characters (urllib3 would resolve or cut them and reach another endpoint).
    """
    if not isinstance(path, str):
        raise TypeError(f"URL path must be a str, got {type(path).__name__}")
    if _BAD_URL_CHARS.search(path):
        raise ValueError(
            f"URL path {path!r} contains '#', a backslash, whitespace or control characters"
        )
    path_only = path.split("?", 1)[0]
    if any(segment in (".", "..") for segment in path_only.split("/")):
        raise ValueError(f"URL path {path!r} contains a '.' or '..' segment")
    return f"{base_url}/{path.lstrip('/')}"


def _param_value(key: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return _param_value(key, value.value)
    if isinstance(value, (str, int, float, uuid.UUID)):
        return str(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_param_value(key, item) for item in value]
        return ",".join(item for item in items if item is not None)
    raise TypeError(
        f"query parameter {key!r}: cannot send a {type(value).__name__}; "
        "use str, int, float, bool, a list of those, or None (dropped)"
    )


def encode_params(params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None) -> str:
    """Encode query parameters.

    ``None`` values are dropped (never sent as ``"None"``), booleans become ``true``/``false``,
    lists and tuples are comma-joined, enums send their value, dates their ISO form.

    Args:
        params: A mapping or a sequence of ``(key, value)`` pairs, or None.

    Returns:
        The encoded query string without the leading ``?`` (empty when nothing is left).

    Raises:
        TypeError: A key is not a string or a value has an unsupported type.
    """
    if not params:
        return ""
    pairs = params.items() if isinstance(params, Mapping) else params
    encoded: list[str] = []
    for key, value in pairs:
        if not isinstance(key, str):
            raise TypeError(f"query parameter names must be str, got {key!r}")
        text = _param_value(key, value)
        if text is None:
            continue
        # ',' stays readable (the backend splits list filters on it); everything else reserved
        # is percent-encoded so values cannot inject parameters.
        encoded.append(f"{_quote(key, key, safe='')}={_quote(key, text, safe=',')}")
    return "&".join(encoded)


def _quote(key: str, text: str, *, safe: str) -> str:
    try:
        return quote(text, safe=safe)
    except UnicodeEncodeError as exc:
        # Raised outside the handler: the error object would keep the whole value in a chain.
        start, end = exc.start, exc.end
    near = "" if _is_secret(key) else f" near {text[max(0, start - 20) : end + 20]!r}"
    raise ValueError(
        f"query parameter {key[:100]!r} contains a lone surrogate (an unpaired "
        "\\ud800-\\udfff code point, often from a badly decoded file name)"
        f"{near}; it cannot be encoded as UTF-8"
    )


def check_url_length(
    url: str, params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None
) -> None:
    """Refuse a request URL longer than :data:`MAX_URL_LENGTH`, naming the longest parameter.

    Args:
        url: The full request URL (query included).
        params: The parameters that went into it, to name the culprit.

    Raises:
        ValueError: The URL is too long.
    """
    if len(url) <= MAX_URL_LENGTH:
        return
    culprit = ""
    if params:
        pairs = params.items() if isinstance(params, Mapping) else params
        sizes = [(len(encode_params([(k, v)])), k, v) for k, v in pairs]
        if sizes:
            size, key, value = max(sizes, key=lambda item: item[0])
            count = ""
            if isinstance(value, (list, tuple, set, frozenset)):
                count = f" ({len(value)} values)"
            elif isinstance(value, str) and "," in value:
                count = f" ({value.count(',') + 1} comma-separated values)"
            culprit = (
                f"; parameter {key[:100]!r}{count} alone takes {size} characters: split it into "
                "batches (several requests, e.g. filter(id__in=batch) per batch) and combine the "
                "results"
            )
    raise ValueError(
        f"the request URL would be {len(url)} characters long, over the SDK's limit of "
        f"{MAX_URL_LENGTH} (servers and proxies refuse longer request lines){culprit}"
    )


def add_params(url: str, params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None) -> str:
    """Append encoded ``params`` to ``url``, after any query string it already has.

    Raises:
        TypeError: See :func:`encode_params`.
    """
    query = encode_params(params)
    if not query:
        return url
    if "?" not in url:
        return f"{url}?{query}"
    return f"{url}{'' if url.endswith(('?', '&')) else '&'}{query}"


def _is_secret(key: str) -> bool:
    name = unquote_plus(key).strip().lower()
    return (
        name in _SECRET_EXACT
        or name.endswith("key")
        or name.startswith(_SECRET_PREFIXES)
        or any(word in name for word in _SECRET_WORDS)
    )


@functools.lru_cache(maxsize=1024)
def redact_url(url: str) -> str:
    """Hide secrets in a URL before it is logged or stored on an error.

    Values of query keys that look secret (``token``, ``key``, ``signature``, ``sig``,
    ``password``, ``X-Amz-*``, ...) become ``***``, as does a password in the userinfo part and
    the token in ``agents/<token>/connect/`` paths. Everything else is kept verbatim.

    Args:
        url: Any URL or relative path.

    Returns:
        The redacted URL.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    netloc = parts.netloc
    path = parts.path
    for pattern in _SECRET_PATHS:
        path = pattern.sub(r"\1\2***\4", path)
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{hostport}" if ":" in userinfo else f"***@{hostport}"
    query = parts.query
    if query:
        items = []
        for item in query.split("&"):
            key, sep, _ = item.partition("=")
            items.append(f"{key}=***" if sep and _is_secret(key) else item)
        query = "&".join(items)
    if netloc == parts.netloc and query == parts.query and path == parts.path:
        return url
    return urlunsplit((parts.scheme, netloc, path, query, parts.fragment))

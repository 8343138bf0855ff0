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

import attrs
import urllib3

__all__ = [
    "MAX_URL_LENGTH",
    "Origin",
    "ServerURL",
    "add_params",
    "check_url_length",
    "encode_params",
    "encode_query_value",
    "is_absolute",
    "join_url",
    "normalize_base_url",
    "origin_of",
    "parse_server_url",
    "redact_text",
    "register_secret_path",
    "redact_url",
]

Origin = tuple[str, str, int]

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Control characters, spaces and '#' are never valid in the paths the SDK builds; refusing them
# stops '7#x' from cutting a path and CR/LF from splitting a request line.
_BAD_URL_CHARS = re.compile(r"[\x00-\x20\x7f#\\]")
# Paths the SDK builds most (``tasks/7/``): no dot, query or anything to refuse.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_/-]*")
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
# Routes that carry a credential in the path, registered by the endpoint declarations that
# mark them secret (``agents/{id}/connect/``): (pattern for URLs, pattern for free text).
_SECRET_PATHS: list[tuple[re.Pattern[str], re.Pattern[str]]] = []


def register_secret_path(template: str) -> None:
    """Declare a route whose ``{id}`` segment is a credential, so it is redacted everywhere.

    Called by the endpoint declarations (``Action(secret=True)``); the HTTP layer itself knows
    no route names.

    Args:
        template: The route, e.g. ``"agents/{id}/connect/"`` (exactly one ``{id}``).

    Raises:
        ValueError: The template has no ``{id}`` or more than one.
    """
    if template.count("{id}") != 1:
        raise ValueError(f"a secret route needs exactly one {{id}}: {template!r}")
    prefix, suffix = (re.escape(part) for part in template.strip("/").split("{id}"))
    end = suffix.rstrip("/") if suffix else ""
    url = re.compile(rf"(^|/)({prefix})([^/?#]+)({end}(?:/|$|(?=\?)))")
    text = re.compile(rf"(^|[/\s'\"(=:])({prefix})([^/?#\s'\"]+)({end}(?:/|\b|$))")
    if all(existing.pattern != url.pattern for existing, _ in _SECRET_PATHS):
        _SECRET_PATHS.append((url, text))
        _redact_parsed.cache_clear()


#: Longest request URL the SDK sends. Common servers and proxies refuse request lines over 8 KiB
#: (nginx ``large_client_header_buffers``) with an unhelpful 414 or a reset; failing before any
#: I/O names the parameter that is too long instead.
MAX_URL_LENGTH = 8192


def is_absolute(url: str) -> bool:
    """Return whether ``url`` is an absolute http(s) URL (case-insensitive scheme)."""
    return url[:7].lower() == "http://" or url[:8].lower() == "https://"


@attrs.frozen
class ServerURL:
    """An absolute http(s) URL split the way the connection pool will use it.

    Attributes:
        scheme: ``http`` or ``https`` (lower case).
        host: The host, lower case (an IPv6 literal keeps its brackets).
        port: The port, the scheme's default filled in.
        target: The request target: path (at least ``/``) and query.
    """

    scheme: str
    host: str
    port: int
    target: str

    @property
    def origin(self) -> Origin:
        return (self.scheme, self.host, self.port)

    @property
    def url(self) -> str:
        """The URL as it will be requested (scheme and host lower case, default port kept out)."""
        default = self.port == _DEFAULT_PORTS[self.scheme]
        return f"{self.scheme}://{self.host}{'' if default else f':{self.port}'}{self.target}"


# The authority must be a plain host[:port]: no userinfo, no backslash, nothing else. Hosts are
# ASCII names, IPv4 addresses or bracketed IPv6 literals.
_AUTHORITY = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::([0-9]{1,5}))?$")
# Anything a URL must not contain anywhere: controls, whitespace, backslash, fragment marker.
_BAD_SERVER_URL_CHARS = re.compile(r"[\x00-\x20\x7f-\x9f#\\]")


def parse_server_url(url: object) -> ServerURL:
    """Parse a server-supplied absolute URL strictly, exactly as the connection will use it.

    Every URL that comes from a server (a pagination ``next``, a chunked upload's ``url``, a file
    URL, a redirect ``Location``) goes through this one parser before any origin decision, so
    the host the SDK checks is the host it connects to. Python's ``urlsplit`` and urllib3's
    ``parse_url`` disagree on ambiguous URLs (``http://a:1\\@b:2/`` is host ``b`` for one, ``a``
    for the other), so ambiguous forms are refused instead of interpreted.

    Args:
        url: The URL.

    Returns:
        The parsed :class:`ServerURL`.

    Raises:
        ValueError: Not a string, not http(s), no host, userinfo (``user@``), a backslash,
            whitespace, control characters or ``#`` anywhere, a non-ASCII host, or a port
            outside 1..65535. The message shows the URL with its secrets redacted.
    """
    if not isinstance(url, str):
        raise ValueError(f"a URL must be a string, got {type(url).__name__}")
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in _DEFAULT_PORTS:
        raise ValueError(f"not an absolute http(s) URL: {redact_url(url)!r}")
    if _BAD_SERVER_URL_CHARS.search(url):
        raise ValueError(
            f"refusing URL {redact_url(url)!r}: it contains whitespace, control characters, a "
            "backslash or '#'"
        )
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i != -1), default=len(rest))
    authority, target = rest[:cut], rest[cut:]
    if "@" in authority:
        raise ValueError(
            f"refusing URL {redact_url(url)!r}: it carries user information ('user@host'), "
            "which clients parse inconsistently"
        )
    match = _AUTHORITY.match(authority)
    if match is None:
        raise ValueError(f"refusing URL {redact_url(url)!r}: malformed host or port")
    host, port_text = match.group(1).lower(), match.group(2)
    port = int(port_text) if port_text is not None else _DEFAULT_PORTS[scheme]
    if not 1 <= port <= 65535:
        raise ValueError(f"refusing URL {redact_url(url)!r}: port {port} is out of range")
    if not target.startswith("/"):
        target = "/" + target
    parsed = ServerURL(scheme, host, port, target)
    _agrees_with_urllib3(parsed, url)
    return parsed


def _agrees_with_urllib3(parsed: ServerURL, url: str) -> None:
    """Belt and braces: the pool is built by urllib3's own parser; it must see the same origin."""
    try:
        theirs = urllib3.util.parse_url(parsed.url)
    except urllib3.exceptions.LocationParseError:
        theirs = None
    if (
        theirs is None
        or (
            (theirs.scheme or "").lower(),
            (theirs.host or "").lower(),
            theirs.port if theirs.port is not None else _DEFAULT_PORTS[parsed.scheme],
        )
        != parsed.origin
    ):
        raise ValueError(f"refusing URL {redact_url(url)!r}: its host is ambiguous")


def origin_of(url: str) -> Origin:
    """Return ``(scheme, host, port)`` of an absolute http(s) URL, default ports filled in.

    Raises:
        ValueError: See :func:`parse_server_url`.
    """
    return parse_server_url(url).origin


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
    """Join a relative API path to the base URL (one slash between them).

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
    if _PLAIN_PATH.fullmatch(path):  # letters, digits, '_', '-' and slashes: nothing to refuse
        return f"{base_url}/{path.lstrip('/')}"
    if _BAD_URL_CHARS.search(path):
        raise ValueError(
            f"URL path {path!r} contains '#', a backslash, whitespace or control characters"
        )
    path_only = path.split("?", 1)[0]
    if any(segment in (".", "..") for segment in path_only.split("/")):
        raise ValueError(f"URL path {path!r} contains a '.' or '..' segment")
    return f"{base_url}/{path.lstrip('/')}"


def encode_query_value(value: object, key: str = "") -> str | None:
    """Encode one query value the way the backend reads it; the one query encoder of the SDK.

    ``None`` means "leave the key out"; booleans become ``true``/``false``; enums send their
    value; dates, datetimes and times their ISO form; lists, tuples and sets are comma-joined.

    Args:
        value: The value.
        key: The parameter name, for the error message (the value itself is never echoed).

    Raises:
        TypeError: Any other type.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return encode_query_value(value.value, key)
    if isinstance(value, (str, int, float, uuid.UUID)):
        return str(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [encode_query_value(item, key) for item in value]
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
        text = encode_query_value(value, key)
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


# URLs with nothing a query, userinfo or fragment could hide a secret in, and nothing
# ``urlsplit`` would rewrite or refuse: printable ASCII without ``? # @ [ ]``.
_PLAIN_URL = re.compile(r"[^\x00-\x20\x7f-\U0010ffff?#@\[\]]*")


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
    # Most URLs (every detail route) have nothing to hide: say so without parsing them.
    if _PLAIN_URL.fullmatch(url) is None:
        return _redact_parsed(url)
    for pattern, _ in _SECRET_PATHS:
        if pattern.search(url):
            return _redact_parsed(url)
    return url


@functools.lru_cache(maxsize=1024)
def _redact_parsed(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    netloc = parts.netloc
    path = parts.path
    for pattern, _ in _SECRET_PATHS:
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


# ``key=value`` pairs inside free text (a query string quoted in an error message).
_TEXT_PAIR = re.compile(r"([?&;])([^=&\s'\"<>?;]+)=([^&\s'\"<>);]*)")


def redact_text(text: str) -> str:
    """Hide secrets in free text (an error message from urllib3 or the OS, say).

    Every secret-looking ``key=value`` pair of a query (``?X-Amz-Signature=...``), the token of
    an ``agents/<token>/connect/`` path and a password in ``user:password@`` are replaced with
    ``***``, wherever they appear in the text: in full URLs, in bare request paths
    (``with url: /f?sig=...``) and in quoted fragments.

    Args:
        text: Any text.

    Returns:
        The text with secrets redacted (unchanged when there are none).
    """
    if "=" not in text and "/" not in text and "@" not in text:
        return text
    out = _TEXT_PAIR.sub(
        lambda m: f"{m.group(1)}{m.group(2)}=***" if _is_secret(m.group(2)) else m.group(0), text
    )
    for _, pattern in _SECRET_PATHS:
        out = pattern.sub(r"\1\2***\4", out)
    return _TEXT_USERINFO.sub(r"\1\2:***@", out)


_TEXT_USERINFO = re.compile(r"(https?://)([^/\s:@'\"<>]+):[^/\s@'\"<>]*@", re.IGNORECASE)

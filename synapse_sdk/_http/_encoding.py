"""Request encoding helpers: header validation, JSON bodies and the default User-Agent."""

from __future__ import annotations

import json as jsonlib
import platform
from collections.abc import Mapping
from typing import Any

import urllib3

__all__ = ["InsecureTLSWarning", "check_headers", "default_user_agent", "encode_json"]

_URLLIB3_VERSION: str = getattr(urllib3, "__version__", "unknown")


class InsecureTLSWarning(UserWarning):
    """TLS certificate verification was turned off (``verify=False``)."""


def default_user_agent() -> str:
    """Return ``synapse-sdk/<version> python/<x.y> urllib3/<version>``."""
    try:
        from importlib.metadata import PackageNotFoundError, version

        sdk = version("synapse-sdk")
    except (ImportError, PackageNotFoundError):
        sdk = "unknown"
    py = ".".join(platform.python_version_tuple()[:2])
    return f"synapse-sdk/{sdk} python/{py} urllib3/{_URLLIB3_VERSION}"


def check_headers(headers: Mapping[str, str], where: str) -> dict[str, str]:
    """Validate header names/values without ever echoing a value (values are often tokens).

    Raises:
        TypeError: A name or value is not a string.
        ValueError: A name is empty or has CR/LF/NUL/colon or non-ASCII characters, or a value
            has CR/LF/NUL or characters outside latin-1 (the value is never echoed).
    """
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError(f"{where}: header names and values must be str (header {name!r})")
        # The value is never echoed: it is usually a token.
        if any(c in name for c in "\r\n\x00:") or not name.strip():
            raise ValueError(f"{where}: invalid header name {name!r}")
        if any(c in value for c in "\r\n\x00"):
            raise ValueError(f"{where}: the value of header {name!r} contains a line break or NUL")
        # http.client encodes header values as latin-1 when sending; failing there would raise a
        # UnicodeEncodeError whose repr carries the whole value (often a token).
        if not (_encodes(name, "ascii") and _encodes(value, "latin-1")):
            raise ValueError(
                f"{where}: header {name.encode('ascii', 'replace').decode()!r} has characters "
                "that cannot be sent in an HTTP header (only ASCII/latin-1 is allowed)"
            )
        checked[name] = value
    return checked


def _encodes(text: str, encoding: str) -> bool:
    """Whether ``text`` encodes in ``encoding``; the UnicodeEncodeError (which holds the whole
    text) never escapes, so no later error can chain it."""
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def encode_json(value: Any) -> bytes:
    """Serialize a JSON body as UTF-8 (non-ASCII kept as is).

    Raises:
        ValueError: The value holds a lone surrogate or a NaN/infinite float.
        TypeError: The value is not JSON-serializable.
    """
    try:
        text = jsonlib.dumps(value, ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        raise ValueError(
            f"JSON body cannot be sent: {exc} (NaN and infinity are not JSON)"
        ) from exc
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # The error object holds the whole body (which may carry credentials): nothing of it is
        # kept, and the message names where the bad character is, never what surrounds it.
        pass
    raise ValueError(
        "JSON body contains a lone surrogate (an unpaired \\ud800-\\udfff code point, often "
        f"from a badly decoded file name) in {_surrogate_path(value)}; it cannot be encoded as "
        "UTF-8 (the value is not shown: it may be a secret)"
    )


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)


def _surrogate_path(value: Any, path: str = "$", depth: int = 0) -> str:
    """The JSON path (``$.config["secret"]``, ``$[3]``) of the first string holding a lone
    surrogate, keys included; ``the body`` if it cannot be located."""
    if depth > 100:
        return "the body"
    if isinstance(value, str):
        return path if _has_surrogate(value) else ""
    if isinstance(value, dict):
        for key, item in value.items():
            name = key if isinstance(key, str) else str(key)
            if _has_surrogate(name):
                return f"a key of {path}"
            found = _surrogate_path(item, f"{path}[{name!r}]", depth + 1)
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _surrogate_path(item, f"{path}[{index}]", depth + 1)
            if found:
                return found
    return "the body" if depth == 0 else ""

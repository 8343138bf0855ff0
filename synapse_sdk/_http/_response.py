"""Responses: the buffered :class:`Response` and building the error for a failed status."""

from __future__ import annotations

import codecs
import json as jsonlib
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import attrs

from synapse_sdk._exceptions import HTTPError, RateLimitError, ResponseDecodeError, error_for_status
from synapse_sdk._gcpause import MIN_BYTES, paused
from synapse_sdk._http._json import loads
from synapse_sdk._http._urls import redact_url

__all__ = ["MESSAGE_LIMIT", "Response", "build_status_error", "is_json_type"]

#: Error messages built from a body are cut to about this many characters.
MESSAGE_LIMIT = 500


#: Codecs never used to decode a body, whatever the server's charset says: they are not
#: charsets (``idna`` raises on any error handler but strict, ``undefined`` always raises) or
#: cost quadratic time on hostile input (``punycode``).
_REFUSED_CODECS = frozenset(
    {"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape"}
)


def _charset(content_type: str) -> str:
    """The usable codec named by Content-Type's charset, else ``utf-8``."""
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.strip().lower() == "charset" and value:
            name = value.strip().strip('"').strip()
            try:
                info = codecs.lookup(name)
            except (LookupError, ValueError, TypeError):
                return "utf-8"
            if info.name in _REFUSED_CODECS or not getattr(info, "_is_text_encoding", True):
                return "utf-8"
            return info.name
    return "utf-8"


def is_json_type(content_type: str) -> bool:
    """Return whether a Content-Type value denotes JSON (``application/json``, ``*+json``)."""
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime == "application/json" or mime.endswith("+json")


def _truncate(text: str, limit: int = MESSAGE_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


@attrs.frozen
class Response:
    """A complete (buffered) answer to an API call.

    Attributes:
        status: The HTTP status.
        headers: Response headers, looked up case-insensitively.
        content: The raw body.
        method: The request method.
        url: The request URL, secrets redacted.
        request_id: The SDK's id for the call (sent as ``X-Request-ID``).
    """

    status: int
    headers: Mapping[str, str] = attrs.field(repr=False)
    content: bytes = attrs.field(repr=False)
    method: str
    url: str
    request_id: str

    @property
    def content_type(self) -> str:
        """The Content-Type header ('' when absent)."""
        return self.headers.get("Content-Type", "") or ""

    def text(self) -> str:
        """Return the body decoded as text (the charset of Content-Type, else UTF-8).

        Returns:
            The decoded body; undecodable bytes are replaced, never raised on.
        """
        charset = _charset(self.content_type)
        if charset != "utf-8":
            try:
                return self.content.decode(charset, errors="replace")
            except Exception:  # any codec failure: fall back to UTF-8 below
                pass
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """Parse the body as JSON.

        Returns:
            The parsed JSON, or None for a 204 or an empty body.

        Raises:
            ResponseDecodeError: The content type is not JSON (an HTML error page from a proxy,
                say) or the body is truncated or malformed; the message names the status and
                content type.
        """
        if self.status == 204 or not self.content.strip():
            return None
        ctype = self.content_type
        if ctype and not is_json_type(ctype):
            raise self._decode_error(f"expected JSON but got content type {ctype!r}")
        try:
            if len(self.content) < MIN_BYTES:
                return loads(self.content)
            with paused():  # a large answer: thousands of objects, all kept (see _gcpause)
                return loads(self.content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise self._decode_error(
                f"malformed or truncated JSON ({len(self.content)} bytes, content type "
                f"{ctype or 'missing'!r}): {exc}"
            ) from exc

    def _decode_error(self, what: str) -> ResponseDecodeError:
        return ResponseDecodeError(
            f"could not decode the {self.status} response: {what}",
            status_code=self.status,
            response=_truncate(self.text(), 2000),
            method=self.method,
            url=self.url,
            request_id=self.request_id,
        )


def _parse_error_body(response: Response) -> Any:
    """The body of an error answer: parsed JSON when it is JSON, else text, else None."""
    if not response.content.strip():
        return None
    ctype = response.content_type
    if not ctype or is_json_type(ctype):
        try:
            return loads(response.content)
        except (ValueError, UnicodeDecodeError):
            pass
    return response.text()


def _message(status: int, body: Any, content_type: str) -> str:
    if isinstance(body, dict):
        for key in ("detail", "message", "error"):
            if isinstance(body.get(key), str) and body[key]:
                return _truncate(body[key])
    if isinstance(body, str):
        mime = content_type.split(";", 1)[0].strip().lower()
        if mime in ("text/html", "application/xhtml+xml"):
            return (
                f"{_reason(status)} (an HTML page, content type {content_type!r}, "
                f"{len(body)} characters, not a JSON error: often a proxy or gateway page)"
            )
        return _truncate(" ".join(body.split())) or _reason(status)
    if body is None:
        return _reason(status)
    try:
        return _truncate(jsonlib.dumps(body, ensure_ascii=False, separators=(",", ":")))
    except (RecursionError, ValueError, TypeError):
        return _reason(status)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "HTTP error"


def _scrub(value: Any, secrets: tuple[str, ...], depth: int = 0) -> Any:
    """``value`` with every occurrence of a secret replaced by ``***`` (strings, and the strings
    inside JSON lists/dicts, keys included)."""
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, "***")
        return value
    if depth > 64:
        return value
    if isinstance(value, list):
        return [_scrub(v, secrets, depth + 1) for v in value]
    if isinstance(value, dict):
        return {
            _scrub(k, secrets, depth + 1): _scrub(v, secrets, depth + 1) for k, v in value.items()
        }
    return value


def build_status_error(
    response: Response, *, retry_after: float | None = None, secrets: tuple[str, ...] = ()
) -> HTTPError:
    """Build the error for a non-2xx answer (status -> class via ``error_for_status``).

    Args:
        response: The buffered answer (status >= 300).
        retry_after: The capped ``Retry-After`` in seconds, stored on a :class:`RateLimitError`.
        secrets: Credentials the request carried: a server that echoes one back in its error
            body never gets it into the error's message or ``response`` (replaced by ``***``).

    Returns:
        The error to raise; its ``response`` is the parsed JSON body, else the text, else None.
    """
    body = _parse_error_body(response)
    if secrets:
        body = _scrub(body, secrets)
    if 300 <= response.status < 400:
        location = response.headers.get("Location")
        target = f" to {redact_url(location)}" if location else ""
        message = f"unexpected redirect{target}: API calls never follow redirects"
        cls: type[HTTPError] = HTTPError
    else:
        message = _message(response.status, body, response.content_type)
        cls = error_for_status(response.status, body)
    error = cls(
        message,
        status_code=response.status,
        response=body,
        method=response.method,
        url=response.url,
        request_id=response.request_id,
    )
    if isinstance(error, RateLimitError):
        error.retry_after = retry_after
    return error

"""One page of a listing as the server sent it: the envelope ``{count, next, previous, results}``,
the rules a ``next`` link must follow, the page parameters a caller may pass, and the resume
information put on an error that interrupts a listing.

Everything here is per page (a few checks on small values), never per row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypedDict, cast

import attrs

from synapse_sdk._exceptions import ClientError, ResponseValidationError
from synapse_sdk._http._urls import MAX_URL_LENGTH, is_absolute, redact_url

__all__ = [
    "PageEnvelope",
    "MAX_PAGE",
    "MAX_PAGE_SIZE",
    "Envelope",
    "check_envelope",
    "check_next",
    "mark_failed_page",
    "page_param",
    "parse_envelope",
    "refusal",
]


class _PageRows(TypedDict):
    results: list[dict[str, Any]]
    """This page's rows (raw JSON objects)."""


class PageEnvelope(_PageRows, total=False):
    """A first page as a seed ``list_*`` call returns it (checked by :func:`check_envelope`):
    the page-number envelope. ``results`` is always there; ``count``, ``next`` and ``previous``
    are there when the server sends them (the backend always does)."""

    count: int
    """Rows matching the query across all pages."""
    next: str | None
    """Absolute URL of the next page, or None on the last page."""
    previous: str | None
    """Absolute URL of the previous page, or None on the first page."""


#: Largest ``page`` and ``page_size`` the seed API's ``params`` may ask for (servers cap page
#: sizes far lower, typically at 1,000; the walk adapts to whatever they serve).
MAX_PAGE = 10**9
MAX_PAGE_SIZE = 100_000

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PAGE_TEXT = re.compile(r"[1-9][0-9]{0,11}")
# The ``page`` parameters of a link's query (a regex: a tenth of urlsplit + parse_qsl per page).
_PAGE_PARAM = re.compile(r"[?&]page=([^&]*)")


@attrs.define
class Envelope:
    """A parsed page envelope (the walk trims ``results`` and sets ``offset`` in place).

    Attributes:
        results: The rows (as the walk delivers them: trimmed to the rows that were asked for).
        count: The total the server reported, if any.
        next: The ``next`` link as received; checked by :func:`check_next` when the walk goes on.
        previous: The ``previous`` link, if any.
        number: The 1-based page number (in the page size the server served).
        offset: The row index of ``results[0]`` in the whole listing.
    """

    results: list[Any]
    count: int | None
    next: Any
    previous: str | None
    number: int
    offset: int = 0


def refusal(path: str, message: str) -> ResponseValidationError:
    """A :class:`ResponseValidationError` at ``path`` (``next``, ``count``, ``results`` ...)."""
    err = ResponseValidationError(message)
    err.path = path
    return err


def parse_envelope(body: Any, number: int) -> Envelope:
    """Check a list response's shape and return it as an :class:`Envelope`.

    A bare JSON list (some endpoints answer that way) is the whole listing on one page.

    Raises:
        ResponseValidationError: The body is not an envelope or a list, or ``count`` or
            ``previous`` is malformed (``path`` names the field). ``next`` is checked later, by
            :func:`check_next`, when the walk wants the following page.
    """
    if type(body) is list:
        return Envelope(body, len(body), None, None, 1)
    if type(body) is not dict or type(body.get("results")) is not list:
        got = type(body).__name__
        if type(body) is dict:
            got = f"'results' of type {type(body.get('results')).__name__}"
        err = refusal(
            "results",
            f"page {number}: a list response should be an object with a 'results' list (got {got})",
        )
        err.response = body if type(body) is not dict else None
        raise err
    count = body.get("count")
    if count is not None and (type(count) is not int or count < 0):
        raise refusal(
            "count", f"page {number}: 'count' should be a non-negative int, got {_show(count)}"
        )
    previous = body.get("previous")
    if previous is not None and (type(previous) is not str or _CONTROL.search(previous)):
        raise refusal(
            "previous",
            f"page {number}: 'previous' should be a URL string or null, got {_show(previous)}",
        )
    return Envelope(body["results"], count, body.get("next"), previous, number)


def check_envelope(body: Any, number: int = 1) -> PageEnvelope:
    """Check page ``number`` handed to the caller as raw JSON (the seed's ``list_*`` without
    ``list_all``): the same envelope rules as a walk, ``next`` included. Returns ``body``."""
    envelope = parse_envelope(body, number)
    if envelope.next is not None:
        check_next(envelope.next, number)
    return cast(PageEnvelope, body)


def check_next(link: object, number: int) -> str:
    """Check page ``number``'s ``next`` link before the walk requests it.

    The link must be an absolute http(s) URL; when it carries a ``page`` parameter (DRF's
    page-number links always do), that must be ``number + 1``: a link to the same or an earlier
    page would loop, a link further on would lose rows. Where it points (origin, userinfo,
    backslashes, control characters) is the session's URL parser's decision, when requesting it.

    Raises:
        ResponseValidationError: At path ``next``; the message names page ``number``.
    """
    if type(link) is not str:
        raise refusal(
            "next", f"page {number}: 'next' should be a URL string or null, got {_show(link)}"
        )
    if not is_absolute(link):
        raise refusal(
            "next",
            f"page {number}: 'next' should be an absolute http(s) URL, got {_show_url(link)}",
        )
    if len(link) > MAX_URL_LENGTH:
        raise refusal(
            "next",
            f"page {number}: 'next' is {len(link):,} characters long, over the SDK's URL limit of "
            f"{MAX_URL_LENGTH:,}",
        )
    pages = _PAGE_PARAM.findall(link.partition("#")[0])
    if not pages:
        return link
    if len(pages) > 1 or not _PAGE_TEXT.fullmatch(pages[0]):
        raise refusal(
            "next", f"page {number}: 'next' has a malformed page number: {_show_url(link)}"
        )
    target = int(pages[0])
    if target <= number:
        raise refusal(
            "next",
            f"page {number}: 'next' does not advance (it points at page {target}): the listing "
            "would loop",
        )
    if target > number + 1:
        raise refusal(
            "next",
            f"page {number}: 'next' skips from page {number} to page {target}: rows would be lost",
        )
    return link


def page_param(params: Mapping[str, Any], name: str, default: int, high: int) -> int:
    """The positive int ``params[name]`` (an int or a string of digits), else ``default``.

    Raises:
        TypeError: Not an int or a string (``True``, ``1.5``, a list).
        ValueError: Not a positive integer up to ``high`` (``0``, ``-1``, ``"abc"``).
    """
    value = params.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"{name} must be a positive int, got {type(value).__name__} {value!r:.40}")
    if isinstance(value, str):
        if not _PAGE_TEXT.fullmatch(value):
            raise ValueError(f"{name} must be a positive integer, got {value[:40]!r}")
        value = int(value)
    if not 1 <= value <= high:
        raise ValueError(f"{name} must be between 1 and {high:,}, got {value}")
    return value


def mark_failed_page(
    exc: ClientError, number: int, page_size: int, offset: int | None = None
) -> None:
    """Record on ``exc`` which page of a listing failed and how to resume from it.

    Sets ``page``, ``resume_offset`` and ``resume_params`` on the error and appends a resume hint
    to its message (once; an error already marked is left alone).

    Args:
        exc: The error the page request raised.
        number: The 1-based number of the page that failed, in the page size the server served.
        page_size: Rows per page the server served.
        offset: Rows delivered before the failure (default: ``(number - 1) * page_size``).
    """
    if "page" in vars(exc):
        return
    if offset is None:
        offset = (number - 1) * page_size
    vars(exc).update(
        page=number,
        resume_offset=offset,
        resume_params={"page": number, "page_size": page_size},
    )
    exc.message = (
        f"{exc.message} [listing interrupted at page {number} (page_size {page_size}); rows "
        f"before row {offset} were delivered. Resume with queryset[{offset}:] (same filters and "
        f"ordering) or list_*(params={{..., 'page': {number}, 'page_size': {page_size}}}, "
        "list_all=True)]"
    )
    exc.args = (exc.message,)


def _show(value: object) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}{'...' if len(text) > 60 else ''}"


def _show_url(url: str) -> str:
    text = repr(redact_url(url))
    return text[:200] + ("..." if len(text) > 200 else "")

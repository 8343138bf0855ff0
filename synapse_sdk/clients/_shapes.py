"""The JSON shapes the seed API's methods promise, as ``TypedDict``s (what mypy sees).

They describe what the SDK relies on and documents; the dicts are the backend's own JSON, so a
row may carry more keys than declared (read those with ``row.get(...)``/``row[...]`` on the
``dict[str, Any]`` rows).
"""

from __future__ import annotations

from typing import Any, TypedDict

__all__ = ["ExistingChecksums", "PageEnvelope"]


class PageEnvelope(TypedDict):
    """The first page of a seed ``list_*`` call: the backend's page-number envelope."""

    count: int
    """Rows matching the query across all pages."""
    next: str | None
    """Absolute URL of the next page, or None on the last page."""
    previous: str | None
    """Absolute URL of the previous page, or None on the first page."""
    results: list[dict[str, Any]]
    """This page's rows (raw JSON objects)."""


class ExistingChecksums(TypedDict):
    """What ``verify_data_files_checksums`` answers."""

    existing_checksums: list[str]
    """The asked checksums the backend already holds a data file for."""

"""The JSON shapes the seed API's methods promise, as ``TypedDict``s (what mypy sees).

They describe what the SDK relies on and documents; the dicts are the backend's own JSON, so a
row may carry more keys than declared (read those with ``row.get(...)``/``row[...]`` on the
``dict[str, Any]`` rows).
"""

from __future__ import annotations

from typing import TypedDict

from synapse_sdk._query._envelope import PageEnvelope

__all__ = ["ExistingChecksums", "PageEnvelope"]


class ExistingChecksums(TypedDict):
    """What ``verify_data_files_checksums`` answers."""

    existing_checksums: list[str]
    """The asked checksums the backend already holds a data file for."""

"""Lazy, immutable querysets over the backend's paginated lists, and typed pages."""

from synapse_sdk._query._page import Page
from synapse_sdk._query._pages import PageSource, iter_pages, parse_envelope
from synapse_sdk._query._queryset import QuerySet
from synapse_sdk._query._values import RowQuery

__all__ = ["Page", "PageSource", "QuerySet", "RowQuery", "iter_pages", "parse_envelope"]

"""The seed's ``url_conversion``: rewrite file URLs in raw rows with caller-supplied callables.

``url_conversion`` is a mapping ``{field: callable}``. Each callable receives a URL string found
under that field of a row -- the field's value if it is a string, or the ``url`` key of the file
dicts it holds (``{"image_1": {"url": ...}}`` or ``[{"url": ...}]``) -- and returns the
replacement. It does no I/O; downloading is a separate, explicit API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

__all__ = ["UrlConversion", "check_url_conversion", "convert_row", "convert_rows"]

UrlConversion = Mapping[str, Callable[[str], str]]


def check_url_conversion(conversion: object) -> UrlConversion | None:
    """Validate ``url_conversion`` before any request; ``None``/empty means no conversion."""
    if conversion is None:
        return None
    if not isinstance(conversion, Mapping):
        raise TypeError(
            "url_conversion must be a mapping {field: callable}, e.g. "
            "{'files': lambda url: url.replace(...)}; got " + type(conversion).__name__
        )
    for key, fn in conversion.items():
        if not isinstance(key, str) or not callable(fn):
            raise TypeError(f"url_conversion entry {key!r} must map a field name to a callable")
    return conversion or None


def _convert(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, dict):
        if isinstance(value.get("url"), str):
            return {**value, "url": fn(value["url"])}
        return {k: _convert(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [_convert(v, fn) for v in value]
    return value


def convert_row(row: Any, conversion: UrlConversion | None) -> Any:
    """Return ``row`` with the URLs under each converted field replaced (a new dict)."""
    if not conversion or not isinstance(row, dict):
        return row
    out = dict(row)
    for field, fn in conversion.items():
        if field in out and out[field] is not None:
            out[field] = _convert(out[field], fn)
    return out


def convert_rows(rows: Iterable[Any], conversion: UrlConversion | None) -> Iterator[Any]:
    """Lazily apply :func:`convert_row` to each row."""
    for row in rows:
        yield convert_row(row, conversion)


def convert_page(page: Any, conversion: UrlConversion | None) -> Any:
    """Apply the conversion to every row of a page envelope (or a bare list)."""
    if not conversion:
        return page
    if isinstance(page, list):
        return [convert_row(r, conversion) for r in page]
    if isinstance(page, dict) and isinstance(page.get("results"), list):
        return {**page, "results": [convert_row(r, conversion) for r in page["results"]]}
    return page

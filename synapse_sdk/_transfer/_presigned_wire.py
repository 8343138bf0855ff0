"""The presigned upload's wire: the bodies sent to ``presigned_upload/upload/`` and
``presigned_upload/confirm_upload/``, and every value of their answers checked before use.

Nothing the server says is trusted: an upload answer must name the files asked for, in order,
each with exactly one of ``presigned_url`` / ``multipart``; a ``file_key`` is a short printable
string, unique in its batch; a multipart plan's part count must be the one its ``part_size``
gives for the file's size (and at most :data:`MAX_PARTS`), so a hostile plan cannot make the
SDK allocate or connect without bound; every URL goes through the one strict parser. A bad
entry fails that file; a bad envelope (wrong count, duplicate keys) fails the batch.
"""

from __future__ import annotations

import copy
import mimetypes
import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from synapse_sdk._exceptions import OriginError, ResponseValidationError
from synapse_sdk._http import redact_url
from synapse_sdk._http._urls import parse_server_url

__all__ = [
    "MAX_PARTS",
    "Plan",
    "check_confirm_files",
    "check_expiration",
    "check_request_files",
    "guess_type",
    "match_results",
    "parse_plans",
    "sane_token",
]

#: The most parts one multipart upload may have (S3's limit).
MAX_PARTS = 10_000
#: ``expiration`` bounds (seconds) the backend accepts.
EXPIRATION_RANGE = (60, 86_400)
_TOKEN = re.compile(r"[\x21-\x7e]{1,1024}")  # printable ASCII, no space, no controls


def invalid(message: str, path: str, response: Any = None) -> ResponseValidationError:
    err = ResponseValidationError(message[:500], response=response)
    err.path = path
    return err


def sane_token(value: object, what: str, path: str) -> str:
    """A server-supplied key/id/ETag: 1-1024 printable ASCII characters (no spaces/controls)."""
    if not isinstance(value, str) or not _TOKEN.fullmatch(value):
        raise invalid(f"the server's {what} is not a sane token: {value!r}"[:300], path)
    return value


def guess_type(name: str) -> str | None:
    """The MIME type guessed from a file name (None when unknown)."""
    return mimetypes.guess_type(name)[0]


def check_expiration(value: object) -> int:
    low, high = EXPIRATION_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"expiration must be an int of seconds in {low}..{high}, got {value!r}")
    return value


def _count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} must be a non-negative int, got {value!r}")
    return value


def _records(files: object, what: str) -> list[Mapping[str, Any]]:
    if isinstance(files, str | bytes | Mapping) or not isinstance(files, Sequence):
        raise TypeError(f"{what} must be a list of dicts, got {type(files).__name__}")
    if not files:
        raise ValueError(f"{what} must not be empty")
    for i, item in enumerate(files):
        if not isinstance(item, Mapping):
            raise TypeError(f"{what}[{i}] must be a dict, got {type(item).__name__}")
    return list(files)


def check_request_files(files: object) -> list[dict[str, Any]]:
    """``[{filename, size, content_type}]`` checked and copied (the caller's dicts untouched)."""
    out = []
    for i, item in enumerate(_records(files, "files")):
        unknown = sorted(set(item) - {"filename", "size", "content_type"})
        if unknown:
            raise ValueError(f"files[{i}] has unknown keys {unknown}")
        name = item.get("filename")
        if not isinstance(name, str) or not name or "/" in name or "\x00" in name:
            raise ValueError(f"files[{i}]['filename'] must be a non-empty base name, got {name!r}")
        ctype = item.get("content_type")
        if ctype is not None and not isinstance(ctype, str):
            raise TypeError(f"files[{i}]['content_type'] must be a str or None")
        out.append(
            {
                "filename": name,
                "size": _count(item.get("size"), f"files[{i}]['size']"),
                "content_type": ctype,
            }
        )
    return out


def check_confirm_files(files: object) -> list[dict[str, Any]]:
    """``[{file_key, checksum, size, multipart?}]`` checked and deep-copied."""
    out = []
    for i, item in enumerate(_records(files, "files")):
        for key in ("file_key", "checksum"):
            if not isinstance(item.get(key), str) or not item[key]:
                raise ValueError(f"files[{i}][{key!r}] must be a non-empty string")
        _count(item.get("size"), f"files[{i}]['size']")
        multipart = item.get("multipart")
        if multipart is not None:
            if not isinstance(multipart, Mapping) or not isinstance(
                multipart.get("upload_id"), str
            ):
                raise ValueError(f"files[{i}]['multipart'] must be {{upload_id, parts}}")
            parts = multipart.get("parts")
            if (
                not isinstance(parts, Sequence)
                or isinstance(parts, str)
                or not all(
                    isinstance(p, Mapping)
                    and isinstance(p.get("etag"), str)
                    and not isinstance(p.get("part_number"), bool)
                    and isinstance(p.get("part_number"), int)
                    and p["part_number"] > 0
                    for p in parts
                )
            ):
                raise ValueError(
                    f"files[{i}]['multipart']['parts'] must be [{{part_number, etag}}, ...]"
                )
        out.append(copy.deepcopy(dict(item)))
    return out


@attrs.frozen
class Part:
    number: int
    url: str
    start: int
    size: int


@attrs.frozen
class Plan:
    """Where one file goes: a single ``url``, or multipart ``parts`` under ``upload_id``."""

    file_key: str
    url: str | None = None
    upload_id: str | None = None
    parts: tuple[Part, ...] = ()


def _url(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise invalid(f"the server's presigned_url is not a string: {value!r}"[:300], path)
    try:
        return parse_server_url(value).url
    except ValueError as exc:
        raise OriginError(f"refusing the presigned URL: {exc}", url=redact_url(value)) from None


def _plan(entry: object, name: str, size: int, at: str) -> Plan:
    if not isinstance(entry, dict):
        raise invalid(f"{at} is not an object", at)
    if entry.get("filename") != name:
        raise invalid(f"{at} is for {entry.get('filename')!r}, asked for {name!r}", at)
    key = sane_token(entry.get("file_key"), "file_key", f"{at}.file_key")
    url, multipart = entry.get("presigned_url"), entry.get("multipart")
    if (url is None) == (multipart is None):
        raise invalid(f"{at} must carry exactly one of presigned_url and multipart", at)
    if url is not None:
        return Plan(key, url=_url(url, f"{at}.presigned_url"))
    if not isinstance(multipart, dict):
        raise invalid(f"{at}.multipart is not an object", f"{at}.multipart")
    upload_id = sane_token(multipart.get("upload_id"), "upload_id", f"{at}.multipart.upload_id")
    part_size = multipart.get("part_size")
    if isinstance(part_size, bool) or not isinstance(part_size, int) or part_size <= 0:
        raise invalid(f"{at}.multipart.part_size is not a positive int", f"{at}.multipart")
    expected = max(1, -(-size // part_size))
    parts = multipart.get("parts")
    if not isinstance(parts, list) or len(parts) != expected or expected > MAX_PARTS:
        got = len(parts) if isinstance(parts, list) else type(parts).__name__
        raise invalid(
            f"{at}.multipart has {got} parts; a {size}-byte file in parts of {part_size} bytes "
            f"has {expected} (at most {MAX_PARTS})",
            f"{at}.multipart.parts",
        )
    out = []
    for i, part in enumerate(parts):
        where = f"{at}.multipart.parts[{i}]"
        if not isinstance(part, dict) or part.get("part_number") != i + 1:
            raise invalid(f"{where} is not part number {i + 1}", where)
        start = i * part_size
        out.append(
            Part(i + 1, _url(part.get("presigned_url"), where), start, min(part_size, size - start))
        )
    return Plan(key, upload_id=upload_id, parts=tuple(out))


def parse_plans(answer: object, asked: Sequence[tuple[str, int]]) -> list[Plan | Exception]:
    """One :class:`Plan` (or the error that fails that file) per ``(filename, size)`` asked.

    Raises:
        ResponseValidationError: The envelope is wrong (not ``{files: [...]}``, another count,
            duplicate ``file_key``): the whole batch fails.
    """
    files = answer.get("files") if isinstance(answer, dict) else None
    if not isinstance(files, list) or len(files) != len(asked):
        got = len(files) if isinstance(files, list) else "no"
        raise invalid(
            f"the upload answer lists {got} files for the {len(asked)} asked", "files", answer
        )
    out: list[Plan | Exception] = []
    for i, ((name, size), entry) in enumerate(zip(asked, files, strict=True)):
        try:
            out.append(_plan(entry, name, size, f"files[{i}]"))
        except (ResponseValidationError, OriginError) as exc:
            out.append(exc)
    keys = [p.file_key for p in out if isinstance(p, Plan)]
    if len(set(keys)) != len(keys):
        raise invalid("the upload answer gives two files the same file_key", "files", answer)
    return out


def match_results(answer: object, keys: Sequence[str]) -> dict[str, dict[str, Any] | str]:
    """Each confirmed ``file_key``'s result entry, or why it has none usable (a message).

    A key with no entry, or with two, is failed: never silently succeeded. Entries for keys not
    asked about are ignored (they say nothing about these files).

    Raises:
        ResponseValidationError: The answer is not ``{results: [...]}`` of objects.
    """
    results = answer.get("results") if isinstance(answer, dict) else None
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise invalid("the confirm answer has no list of results", "results", answer)
    by_key: dict[str, list[dict[str, Any]]] = {}
    for row in results:
        key = row.get("file_key")
        if isinstance(key, str):
            by_key.setdefault(key, []).append(row)
    out: dict[str, dict[str, Any] | str] = {}
    for key in keys:
        rows = by_key.get(key, [])
        if len(rows) == 1:
            out[key] = rows[0]
        elif rows:
            out[key] = f"the confirm answer has {len(rows)} results for this file"
        else:
            out[key] = "the confirm answer has no result for this file"
    return out

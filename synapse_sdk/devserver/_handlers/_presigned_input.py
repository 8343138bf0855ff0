"""Request-body validation of the presigned upload routes, with DRF-style 400 bodies.

A nested list's errors come back as DRF's ListSerializer renders them: one entry per item, ``{}``
for the valid ones (``{"files": [{}, {"size": ["A valid integer is required."]}]}``).
"""

from __future__ import annotations

from typing import Any

from .._errors import ApiError

MAX_FILES = 1000
MIN_EXPIRATION, MAX_EXPIRATION, DEFAULT_EXPIRATION = 60, 86400, 3600
MAX_NAME = 255
REQUIRED = "This field is required."
NOT_INT = "A valid integer is required."
NOT_STR = "Not a valid string."
NULL = "This field may not be null."

Errors = dict[str, Any]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _list_errors(value: Any, limit: int) -> list[str] | None:
    if value is None:
        return [NULL]
    if not isinstance(value, list):
        return [f'Expected a list of items but got type "{type(value).__name__}".']
    if not value:
        return ["This list may not be empty."]
    if len(value) > limit:
        return [f"Ensure this field has no more than {limit} elements."]
    return None


def _int_error(value: Any, low: int, high: int | None = None) -> list[str] | None:
    if value is None:
        return [NULL]
    if not _is_int(value):
        return [NOT_INT]
    if value < low:
        return [f"Ensure this value is greater than or equal to {low}."]
    if high is not None and value > high:
        return [f"Ensure this value is less than or equal to {high}."]
    return None


def _str_error(value: Any, blank: bool = False) -> list[str] | None:
    if value is None:
        return [NULL]
    if not isinstance(value, str):
        return [NOT_STR]
    if not blank and not value.strip():
        return ["This field may not be blank."]
    return None


def _object(item: Any) -> Errors | None:
    if not isinstance(item, dict):
        return {
            "non_field_errors": [f"Invalid data. Expected a dictionary, but got {_kind(item)}."]
        }
    return None


def _kind(value: Any) -> str:
    return {list: "list", str: "str", int: "int", float: "float", bool: "bool"}.get(
        type(value), type(value).__name__
    )


def _filename_error(value: Any) -> list[str] | None:
    found = _str_error(value)
    if found:
        return found
    if len(value) > MAX_NAME:
        return [f"Ensure this field has no more than {MAX_NAME} characters."]
    if "/" in value or "\\" in value or "\x00" in value or value in (".", ".."):
        return ["The file name must not contain a path."]
    return None


def _raise_items(field: str, per_item: list[Errors]) -> None:
    if any(per_item):
        raise ApiError(400, {field: per_item})


def upload_request(body: dict[str, Any], max_size: int) -> tuple[list[dict[str, Any]], int]:
    """The ``files`` and ``expiration`` of a ``presigned_upload/upload/`` body.

    Raises:
        ApiError: 400 with DRF-style field errors.
    """
    errors: Errors = {}
    files: Any = body.get("files")
    if "files" not in body:
        errors["files"] = [REQUIRED]
    elif (found := _list_errors(files, MAX_FILES)) is not None:
        errors["files"] = found
    expiration = body.get("expiration", DEFAULT_EXPIRATION)
    found = _int_error(expiration, MIN_EXPIRATION, MAX_EXPIRATION)
    if found:
        errors["expiration"] = found
    if errors:
        raise ApiError(400, errors)
    per_item: list[Errors] = []
    for item in files:
        bad = _object(item)
        if bad is None:
            bad = {}
            for name, check in (
                ("filename", _filename_error),
                ("size", lambda v: _int_error(v, 0, max_size)),
            ):
                if name not in item:
                    bad[name] = [REQUIRED]
                elif (msg := check(item[name])) is not None:
                    bad[name] = msg
            ctype = item.get("content_type")
            if ctype is not None and (msg := _str_error(ctype)) is not None:
                bad["content_type"] = msg
        per_item.append(bad)
    _raise_items("files", per_item)
    return files, int(expiration)


def _parts_error(value: Any) -> Any:
    found = _list_errors(value, 10000)
    if found is not None:
        return found
    per_part: list[Errors] = []
    for part in value:
        bad = _object(part)
        if bad is None:
            bad = {}
            if "part_number" not in part:
                bad["part_number"] = [REQUIRED]
            elif (msg := _int_error(part["part_number"], 1)) is not None:
                bad["part_number"] = msg
            if "etag" not in part:
                bad["etag"] = [REQUIRED]
            elif (msg := _str_error(part["etag"])) is not None:
                bad["etag"] = msg
        per_part.append(bad)
    return per_part if any(per_part) else None


def _multipart_error(value: Any) -> Any:
    bad = _object(value)
    if bad is not None:
        return bad
    out: Errors = {}
    if "upload_id" not in value:
        out["upload_id"] = [REQUIRED]
    elif (msg := _str_error(value["upload_id"])) is not None:
        out["upload_id"] = msg
    if "parts" not in value:
        out["parts"] = [REQUIRED]
    elif (found := _parts_error(value["parts"])) is not None:
        out["parts"] = found
    return out or None


def confirm_request(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``files`` of a ``presigned_upload/confirm_upload/`` body.

    Raises:
        ApiError: 400 with DRF-style field errors.
    """
    files: Any = body.get("files")
    if "files" not in body:
        raise ApiError(400, {"files": [REQUIRED]})
    if (found := _list_errors(files, MAX_FILES)) is not None:
        raise ApiError(400, {"files": found})
    per_item: list[Errors] = []
    for item in files:
        bad = _object(item)
        if bad is None:
            bad = {}
            for name in ("file_key", "checksum"):
                if name not in item:
                    bad[name] = [REQUIRED]
                elif (msg := _str_error(item[name])) is not None:
                    bad[name] = msg
            if "size" not in item:
                bad["size"] = [REQUIRED]
            elif (msg := _int_error(item["size"], 0)) is not None:
                bad["size"] = msg
            if item.get("multipart") is not None:
                multipart = _multipart_error(item["multipart"])
                if multipart is not None:
                    bad["multipart"] = multipart
        per_item.append(bad)
    _raise_items("files", per_item)
    return list(files)

"""The error every handler raises to answer with a JSON error body."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An HTTP error answer.

    Args:
        status: HTTP status code.
        body: JSON body (DRF style: ``{"detail": ...}`` or field errors).
        headers: extra response headers.
    """

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def not_found() -> ApiError:
    """404 ``{"detail": "Not found."}``."""
    return ApiError(404, {"detail": "Not found."})


def field_error(field: str, message: str) -> ApiError:
    """400 ``{field: [message]}``."""
    return ApiError(400, {field: [message]})


def required(field: str) -> ApiError:
    """400 ``{field: ["This field is required."]}``."""
    return field_error(field, "This field is required.")

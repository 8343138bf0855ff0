"""Input validation of the presigned routes: DRF-style 400 bodies, nothing stored."""

from __future__ import annotations

from typing import Any

import pytest

from ._helpers import Api
from .presigned_support import CONFIRM, UPLOAD, backend, clock, papi, spec

__all__ = ["backend", "clock", "papi"]  # fixtures

OK_FILE = spec("a.txt", 1, "text/plain")
MAX_SIZE = 512 * 1024 * 10000  # 10,000 parts of 512 KiB
TOO_BIG = MAX_SIZE + 1

UPLOAD_CASES: list[tuple[Any, dict[str, Any]]] = [
    ({}, {"files": ["This field is required."]}),
    ({"files": None}, {"files": ["This field may not be null."]}),
    ({"files": {}}, {"files": ['Expected a list of items but got type "dict".']}),
    ({"files": []}, {"files": ["This list may not be empty."]}),
    ({"files": [OK_FILE] * 1001}, {"files": ["Ensure this field has no more than 1000 elements."]}),
    (
        {"files": [OK_FILE], "expiration": 59},
        {"expiration": ["Ensure this value is greater than or equal to 60."]},
    ),
    (
        {"files": [OK_FILE], "expiration": 86401},
        {"expiration": ["Ensure this value is less than or equal to 86400."]},
    ),
    ({"files": [OK_FILE], "expiration": "600"}, {"expiration": ["A valid integer is required."]}),
    ({"files": [OK_FILE], "expiration": True}, {"expiration": ["A valid integer is required."]}),
    (
        {"files": [OK_FILE, "x"]},
        {
            "files": [
                {},
                {"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]},
            ]
        },
    ),
    ({"files": [{"size": 1}]}, {"files": [{"filename": ["This field is required."]}]}),
    ({"files": [spec("", 1)]}, {"files": [{"filename": ["This field may not be blank."]}]}),
    ({"files": [spec(7, 1)]}, {"files": [{"filename": ["Not a valid string."]}]}),  # type: ignore[arg-type]
    (
        {"files": [spec("a/b.txt", 1)]},
        {"files": [{"filename": ["The file name must not contain a path."]}]},
    ),
    (
        {"files": [spec("..", 1)]},
        {"files": [{"filename": ["The file name must not contain a path."]}]},
    ),
    (
        {"files": [spec("a\\b", 1)]},
        {"files": [{"filename": ["The file name must not contain a path."]}]},
    ),
    (
        {"files": [spec("x" * 256, 1)]},
        {"files": [{"filename": ["Ensure this field has no more than 255 characters."]}]},
    ),
    ({"files": [{"filename": "a"}]}, {"files": [{"size": ["This field is required."]}]}),
    (
        {"files": [spec("a", -1)]},
        {"files": [{"size": ["Ensure this value is greater than or equal to 0."]}]},
    ),
    ({"files": [spec("a", 1.5)]}, {"files": [{"size": ["A valid integer is required."]}]}),  # type: ignore[arg-type]
    ({"files": [spec("a", "1")]}, {"files": [{"size": ["A valid integer is required."]}]}),  # type: ignore[arg-type]
    (
        {"files": [spec("a", TOO_BIG)]},
        {"files": [{"size": [f"Ensure this value is less than or equal to {MAX_SIZE}."]}]},
    ),
    ({"files": [spec("a", 1, 5)]}, {"files": [{"content_type": ["Not a valid string."]}]}),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("body", "errors"), UPLOAD_CASES, ids=range(len(UPLOAD_CASES)))
def test_upload_request_validation(papi: Api, body: Any, errors: dict[str, Any]) -> None:
    r = papi.post(UPLOAD, json=body)
    assert r.status == 400, r.data
    assert r.json() == errors
    assert papi.backend.store.count("presigned_uploads", 1) == 0


def test_upload_request_non_object_and_bad_json(papi: Api) -> None:
    r = papi.post(UPLOAD, json=[OK_FILE])
    assert r.status == 400 and "non_field_errors" in r.json()
    r = papi.post(UPLOAD, body=b"{nope", headers={"Content-Type": "application/json"})
    assert r.status == 400 and r.json()["detail"].startswith("JSON parse error")


def test_request_parts_per_answer_are_bounded(papi: Api) -> None:
    # 1 MiB threshold, 512 KiB parts: 10,000 parts per file at most, 20,000 per request
    big = spec("big", 512 * 1024 * 10000)
    r = papi.post(UPLOAD, json={"files": [big, big, big]})
    assert r.status == 400 and "at most 20000" in r.json()["files"][0]
    r = papi.post(UPLOAD, json={"files": [spec("big", 512 * 1024 * 10000 + 1)]})
    assert r.status == 400 and "less than or equal to" in r.json()["files"][0]["size"][0]


GOOD = {"file_key": "k", "checksum": "0" * 40, "size": 1}
PART = {"part_number": 1, "etag": "e"}

CONFIRM_CASES: list[tuple[Any, dict[str, Any]]] = [
    ({}, {"files": ["This field is required."]}),
    ({"files": []}, {"files": ["This list may not be empty."]}),
    ({"files": "x"}, {"files": ['Expected a list of items but got type "str".']}),
    ({"files": [GOOD] * 1001}, {"files": ["Ensure this field has no more than 1000 elements."]}),
    (
        {"files": [GOOD, {"checksum": "c", "size": 1}]},
        {"files": [{}, {"file_key": ["This field is required."]}]},
    ),
    (
        {"files": [{**GOOD, "checksum": None}]},
        {"files": [{"checksum": ["This field may not be null."]}]},
    ),
    (
        {"files": [{**GOOD, "size": -2}]},
        {"files": [{"size": ["Ensure this value is greater than or equal to 0."]}]},
    ),
    (
        {"files": [{"file_key": "k", "checksum": "c"}]},
        {"files": [{"size": ["This field is required."]}]},
    ),
    (
        {"files": [{**GOOD, "multipart": []}]},
        {
            "files": [
                {
                    "multipart": {
                        "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]
                    }
                }
            ]
        },
    ),
    (
        {"files": [{**GOOD, "multipart": {"parts": [PART]}}]},
        {"files": [{"multipart": {"upload_id": ["This field is required."]}}]},
    ),
    (
        {"files": [{**GOOD, "multipart": {"upload_id": "u", "parts": []}}]},
        {"files": [{"multipart": {"parts": ["This list may not be empty."]}}]},
    ),
    (
        {
            "files": [
                {
                    **GOOD,
                    "multipart": {
                        "upload_id": "u",
                        "parts": [PART, {"part_number": 0, "etag": "e"}],
                    },
                }
            ]
        },
        {
            "files": [
                {
                    "multipart": {
                        "parts": [
                            {},
                            {"part_number": ["Ensure this value is greater than or equal to 1."]},
                        ]
                    }
                }
            ]
        },
    ),
    (
        {"files": [{**GOOD, "multipart": {"upload_id": "u", "parts": [{"part_number": 1}]}}]},
        {"files": [{"multipart": {"parts": [{"etag": ["This field is required."]}]}}]},
    ),
]


@pytest.mark.parametrize(("body", "errors"), CONFIRM_CASES, ids=range(len(CONFIRM_CASES)))
def test_confirm_validation(papi: Api, body: Any, errors: dict[str, Any]) -> None:
    before = papi.backend.store.count("data_files", 1)
    r = papi.post(CONFIRM, json=body)
    assert r.status == 400, r.data
    assert r.json() == errors
    assert papi.backend.store.count("data_files", 1) == before


def test_multipart_null_is_a_single_upload(papi: Api) -> None:
    result = papi.ok("POST", CONFIRM, json={"files": [{**GOOD, "multipart": None}]})
    assert result["failed_count"] == 1 and "No presigned upload" in result["results"][0]["error"]

"""Hostile upload answers: every server-supplied value of ``presigned_upload/upload/`` is checked
before a byte goes to storage (counts, names, keys, URL/multipart exclusivity, part plans)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hostile_server import HostileServer
from test_presigned_kit import PresignedKit, make_files

from synapse_sdk import ResponseTooLargeError, ResponseValidationError


@pytest.fixture
def kit(hostile_factory: Callable[[], HostileServer]) -> PresignedKit:
    return PresignedKit(hostile_factory(), hostile_factory(), threshold=3000, part_size=1000)


def _storage_puts(kit: PresignedKit) -> int:
    return len(kit.storage.requests("/obj/"))


def test_honest_kit_uploads_single_and_multipart(kit: PresignedKit, tmp_path: Path) -> None:
    paths = make_files(tmp_path, [10, 2500, 4500])
    report = kit.client().uploads.presigned(paths)
    assert report.ok, [f.reason for f in report]
    assert _storage_puts(kit) == 1 + 1 + 5
    assert [f.attempts for f in report] == [1, 1, 5]
    assert len(set(report.data_file_ids)) == 3


def test_wrong_file_count_fails_the_batch_and_sends_nothing(
    kit: PresignedKit, tmp_path: Path
) -> None:
    kit.on_upload = lambda a: {**a, "files": a["files"][:1]}
    report = kit.client().uploads.presigned(make_files(tmp_path, [10, 20]))
    assert not report.created
    assert all(isinstance(f.error, ResponseValidationError) for f in report)
    assert "2 asked" in str(report[0].error)
    assert _storage_puts(kit) == 0 and kit.confirms == []


def test_duplicate_file_keys_fail_the_batch(kit: PresignedKit, tmp_path: Path) -> None:
    def dup(answer: dict[str, Any]) -> dict[str, Any]:
        answer["files"][1]["file_key"] = answer["files"][0]["file_key"]
        return answer

    kit.on_upload = dup
    report = kit.client().uploads.presigned(make_files(tmp_path, [10, 20]))
    assert not report.created and "same file_key" in str(report[0].error)
    assert _storage_puts(kit) == 0


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda e: e.update(filename="other.bin"), id="other-filename"),
        pytest.param(lambda e: e.update(file_key=""), id="empty-key"),
        pytest.param(lambda e: e.update(file_key="a b"), id="space-in-key"),
        pytest.param(lambda e: e.update(file_key="x" * 2000), id="huge-key"),
        pytest.param(lambda e: e.update(file_key=7), id="int-key"),
        pytest.param(lambda e: e.update(presigned_url=None), id="neither-url-nor-multipart"),
        pytest.param(
            lambda e: e.update(multipart={"upload_id": "u", "part_size": 10, "parts": []}),
            id="both-url-and-multipart",
        ),
        pytest.param(lambda e: e.update(presigned_url=5), id="url-not-a-string"),
    ],
)
def test_a_bad_entry_fails_that_file_only(
    kit: PresignedKit, tmp_path: Path, mutate: Callable[[dict[str, Any]], None]
) -> None:
    def hostile(answer: dict[str, Any]) -> dict[str, Any]:
        mutate(answer["files"][0])
        return answer

    kit.on_upload = hostile
    report = kit.client().uploads.presigned(make_files(tmp_path, [10, 20]))
    assert not report[0].success and isinstance(report[0].error, ResponseValidationError)
    assert report[1].success
    assert _storage_puts(kit) == 1  # only the good file was sent
    assert [f["file_key"] for f in kit.confirms[0]["files"]] == [report[1].file_key]


@pytest.mark.parametrize(
    "multipart",
    [
        pytest.param({"part_size": 1000, "drop": 1}, id="one-part-missing"),
        pytest.param({"part_size": 1000, "extra": 1}, id="one-part-too-many"),
        pytest.param({"part_size": 0}, id="part-size-zero"),
        pytest.param({"part_size": True}, id="part-size-bool"),
        pytest.param({"part_size": 500}, id="part-size-lies"),
        pytest.param({"part_size": 1000, "renumber": 10**9}, id="part-number-1e9"),
        pytest.param({"part_size": 1000, "upload_id": "a\nb"}, id="upload-id-newline"),
    ],
)
def test_an_inconsistent_part_plan_fails_that_file_before_any_put(
    kit: PresignedKit, tmp_path: Path, multipart: dict[str, Any]
) -> None:
    def hostile(answer: dict[str, Any]) -> dict[str, Any]:
        plan = answer["files"][0]["multipart"]
        plan["part_size"] = multipart["part_size"]
        if "drop" in multipart:
            plan["parts"].pop()
        if "extra" in multipart:
            plan["parts"].append({**plan["parts"][-1], "part_number": len(plan["parts"]) + 1})
        if "renumber" in multipart:
            plan["parts"][1]["part_number"] = multipart["renumber"]
        if "upload_id" in multipart:
            plan["upload_id"] = multipart["upload_id"]
        return answer

    kit.on_upload = hostile
    report = kit.client().uploads.presigned(make_files(tmp_path, [4500]))
    assert isinstance(report[0].error, ResponseValidationError), report[0].error
    assert _storage_puts(kit) == 0 and kit.confirms == []


def test_an_absurd_part_count_is_refused_without_a_connection(
    kit: PresignedKit, tmp_path: Path
) -> None:
    """part_size 1 for a 20,000-byte file: 20,000 parts, consistent but over the 10,000 cap."""
    kit.part_size = 1
    report = kit.client().uploads.presigned(make_files(tmp_path, [20_000]))
    assert isinstance(report[0].error, ResponseValidationError)
    assert "at most 10000" in str(report[0].error)
    assert kit.storage.connections == 0


def test_a_huge_upload_answer_is_capped_by_max_response_bytes(
    kit: PresignedKit, tmp_path: Path
) -> None:
    kit.on_upload = lambda a: json.dumps({**a, "pad": "x" * 300_000}).encode()
    client = kit.client(max_response_bytes=100_000)
    report = client.uploads.presigned(make_files(tmp_path, [10]))
    assert isinstance(report[0].error, ResponseTooLargeError)
    assert _storage_puts(kit) == 0


def test_an_answer_that_is_not_an_object_fails_the_batch(kit: PresignedKit, tmp_path: Path) -> None:
    kit.on_upload = lambda a: [a]
    report = kit.client().uploads.presigned(make_files(tmp_path, [10, 20]))
    assert all(isinstance(f.error, ResponseValidationError) for f in report)

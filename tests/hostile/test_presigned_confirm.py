"""Hostile confirm answers: a file succeeds only with exactly one successful result for its
``file_key``, a data file id and its own checksum; a lost answer fails the batch (never resent)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hostile_server import Conn, HostileServer, Request
from test_presigned_kit import CONFIRM, PresignedKit, make_files, sha1

from synapse_sdk import (
    IntegrityError,
    OutcomeUnknownError,
    ResponseTooLargeError,
    ResponseValidationError,
    ServerError,
)


@pytest.fixture
def kit(hostile_factory: Callable[[], HostileServer]) -> PresignedKit:
    return PresignedKit(hostile_factory(), hostile_factory(), threshold=3000, part_size=1000)


def _upload(kit: PresignedKit, tmp_path: Path, sizes: list[int], **kw: Any) -> Any:
    return kit.client().uploads.presigned(make_files(tmp_path, sizes), **kw)


def test_the_confirm_carries_sha1_size_and_the_parts_etags(
    kit: PresignedKit, tmp_path: Path
) -> None:
    paths = make_files(tmp_path, [10, 4500])
    report = kit.client().uploads.presigned(paths)
    assert report.ok
    single, multi = kit.confirms[0]["files"]
    assert single == {
        "file_key": report[0].file_key,
        "checksum": sha1(paths[0].read_bytes()),
        "size": 10,
    }
    assert multi["checksum"] == sha1(paths[1].read_bytes()) == report[1].checksum
    assert multi["multipart"]["upload_id"] == f"up-{report[1].file_key}"
    assert [p["part_number"] for p in multi["multipart"]["parts"]] == [1, 2, 3, 4, 5]


def test_a_result_missing_for_a_file_fails_it(kit: PresignedKit, tmp_path: Path) -> None:
    kit.on_confirm = lambda body, a: {**a, "results": a["results"][1:]}
    report = _upload(kit, tmp_path, [10, 20])
    assert not report[0].success and "no result" in str(report[0].error)
    assert report[1].success


def test_results_naming_unknown_keys_do_not_confirm_our_files(
    kit: PresignedKit, tmp_path: Path
) -> None:
    def renamed(body: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        for row in answer["results"]:
            row["file_key"] = "someone-else-" + row["file_key"]
        return answer

    kit.on_confirm = renamed
    report = _upload(kit, tmp_path, [10, 20])
    assert not report.created
    assert all(isinstance(f.error, ResponseValidationError) for f in report)


def test_duplicate_results_for_one_key_fail_that_file(kit: PresignedKit, tmp_path: Path) -> None:
    kit.on_confirm = lambda body, a: {**a, "results": [a["results"][0], *a["results"]]}
    report = _upload(kit, tmp_path, [10, 20])
    assert not report[0].success and "2 results" in str(report[0].error)
    assert report[1].success


@pytest.mark.parametrize(
    "row",
    [
        pytest.param({"success": "true"}, id="success-as-string"),
        pytest.param({"success": 1}, id="success-as-int"),
        pytest.param({"data_file_id": None}, id="no-id"),
        pytest.param({"data_file_id": True}, id="id-bool"),
        pytest.param({"data_file_id": -3}, id="id-negative"),
        pytest.param({"data_file_id": "7"}, id="id-string"),
    ],
)
def test_a_success_without_a_usable_id_is_a_failure(
    kit: PresignedKit, tmp_path: Path, row: dict[str, Any]
) -> None:
    def hostile(body: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        answer["results"][0].update(row)
        return answer

    kit.on_confirm = hostile
    report = _upload(kit, tmp_path, [10])
    assert not report[0].success and isinstance(report[0].error, ResponseValidationError)


def test_another_checksum_in_the_result_is_an_integrity_error(
    kit: PresignedKit, tmp_path: Path
) -> None:
    def hostile(body: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        answer["results"][0]["checksum"] = "0" * 40
        return answer

    kit.on_confirm = hostile
    report = _upload(kit, tmp_path, [10])
    assert isinstance(report[0].error, IntegrityError)
    assert report[0].data_file_id is not None  # it exists: named so it can be deleted


def test_a_refused_file_reports_the_backends_error(kit: PresignedKit, tmp_path: Path) -> None:
    def hostile(body: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        answer["results"][0].update(success=False, data_file_id=None, error="quota exceeded")
        return answer

    kit.on_confirm = hostile
    report = _upload(kit, tmp_path, [10])
    assert "quota exceeded" in str(report[0].error)


def test_a_lost_confirm_answer_is_outcome_unknown_and_never_resent(
    kit: PresignedKit, tmp_path: Path
) -> None:
    def lost(conn: Conn, req: Request) -> bool:
        conn.reset()
        return False

    kit.confirm_handler = lost
    report = _upload(kit, tmp_path, [10, 20])
    assert all(isinstance(f.error, OutcomeUnknownError) for f in report)
    assert len(kit.api.requests(CONFIRM)) == 1


def test_a_500_on_confirm_fails_the_batch_once(kit: PresignedKit, tmp_path: Path) -> None:
    def boom(conn: Conn, req: Request) -> bool:
        conn.send_json({"detail": "boom"}, 500)
        return True

    kit.confirm_handler = boom
    report = _upload(kit, tmp_path, [10, 20])
    assert all(isinstance(f.error, ServerError) for f in report)
    assert len(kit.api.requests(CONFIRM)) == 1  # a POST is not replayed after a 500


def test_a_huge_confirm_answer_is_capped(kit: PresignedKit, tmp_path: Path) -> None:
    kit.on_confirm = lambda body, a: json.dumps({**a, "pad": "x" * 300_000}).encode()
    client = kit.client(max_response_bytes=100_000)
    report = client.uploads.presigned(make_files(tmp_path, [10]))
    assert isinstance(report[0].error, ResponseTooLargeError)


def test_batches_are_requested_and_confirmed_separately(kit: PresignedKit, tmp_path: Path) -> None:
    report = _upload(kit, tmp_path, [5] * 7, batch_size=3, max_workers=2)
    assert report.ok and len(report) == 7
    assert sorted(len(c["files"]) for c in kit.confirms) == [1, 3, 3]
    assert len(kit.api.requests("/data_files/presigned_upload/upload/")) == 3


def test_a_failed_batch_does_not_stop_the_next(kit: PresignedKit, tmp_path: Path) -> None:
    calls = {"n": 0}

    def second_fails(answer: dict[str, Any]) -> dict[str, Any]:
        calls["n"] += 1
        return {"files": []} if calls["n"] == 2 else answer

    kit.on_upload = second_fails
    report = _upload(kit, tmp_path, [5] * 5, batch_size=2)
    assert [f.success for f in report] == [True, True, False, False, True]

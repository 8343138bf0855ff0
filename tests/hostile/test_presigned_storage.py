"""Hostile object storage: URLs the strict parser refuses, no auth headers ever, the retry rule
(storage's ``<Code>`` verdicts are final, proxies' answers are retried with jitter), redirects
never followed, lying or missing ETags, and deadlines that bound a storage that drips."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hostile_server import AUTH_HEADERS, Conn, HostileServer, Request
from test_presigned_kit import PresignedKit, make_files, xml_error

from synapse_sdk import (
    DeadlineExceededError,
    HTTPError,
    IntegrityError,
    OriginError,
    PermissionDeniedError,
    ResponseValidationError,
    RetryPolicy,
    ServerError,
    Timeout,
)


@pytest.fixture
def kit(hostile_factory: Callable[[], HostileServer]) -> PresignedKit:
    return PresignedKit(hostile_factory(), hostile_factory(), threshold=3000, part_size=1000)


def _answer(status: int, body: bytes = b"", **headers: str) -> Callable[[Conn, Request, int], bool]:
    def handler(conn: Conn, req: Request, n: int) -> bool:
        conn.send_head(status, {"Content-Length": str(len(body)), **headers})
        conn.send(body)
        return True

    return handler


# -- URLs and headers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "http://user:pw@{host}/obj/k",
        "http://{host}:1\\@{host}/obj/k",
        "ftp://{host}/obj/k",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "http://{host}/obj/k\r\nX-Injected: 1",
        "http://{host}/obj/k\x00",
        "http://{host}/obj/ k",
        "http://{host}/obj/k#frag",
        "/obj/relative",
        "//{host}/obj/scheme-relative",
        "http://{host}:99999/obj/k",
        "",
    ],
)
def test_the_strict_parser_refuses_hostile_presigned_urls(
    kit: PresignedKit, tmp_path: Path, hostile_factory: Callable[[], HostileServer], template: str
) -> None:
    attacker = hostile_factory()
    host = f"127.0.0.1:{attacker.port}"

    def hostile(answer: dict[str, Any]) -> dict[str, Any]:
        answer["files"][0]["presigned_url"] = template.format(host=host)
        return answer

    kit.on_upload = hostile
    report = kit.client().uploads.presigned(make_files(tmp_path, [10, 20]))
    assert isinstance(report[0].error, OriginError), report[0].error
    assert report[1].success
    assert attacker.journal == [] and attacker.connections == 0


def test_multipart_part_urls_go_through_the_strict_parser(
    kit: PresignedKit, tmp_path: Path
) -> None:
    def hostile(answer: dict[str, Any]) -> dict[str, Any]:
        parts = answer["files"][0]["multipart"]["parts"]
        parts[2]["presigned_url"] = "http://evil@127.0.0.1:1/obj/x"
        return answer

    kit.on_upload = hostile
    report = kit.client().uploads.presigned(make_files(tmp_path, [4500]))
    assert isinstance(report[0].error, OriginError)
    assert kit.storage.journal == []  # refused before the first part was sent


def test_storage_puts_carry_no_auth_and_content_type_only_on_single_puts(
    kit: PresignedKit, tmp_path: Path
) -> None:
    paths = make_files(tmp_path, [10, 4500])
    paths.append(tmp_path / "notes.txt")
    paths[-1].write_text("hello")
    client = kit.client(agent_token="agent-secret", tenant="t1")
    report = client.uploads.presigned(paths)
    assert report.ok
    puts = kit.storage.requests("/obj/")
    assert len(puts) == 1 + 5 + 1
    for req in puts:
        assert req.auth_headers() == {}, req.headers
        assert not any(name in req.headers for name in AUTH_HEADERS)
        assert "token" not in " ".join(req.headers.values()).lower()
    singles = [r for r in puts if "partNumber" not in r.target]
    parts = [r for r in puts if "partNumber" in r.target]
    assert {r.header("content-type") for r in singles} == {"application/octet-stream", "text/plain"}
    assert all(r.header("content-type") is None for r in parts)
    # ...while the API calls did carry them
    assert kit.api.requests("/data_files/")[0].auth_headers()


# -- the retry rule -----------------------------------------------------------------------------


def _client(kit: PresignedKit, sleeps: list[float]) -> Any:
    return kit.client(sleep=sleeps.append, retries=RetryPolicy(backoff_initial=0.5, backoff_max=8))


@pytest.mark.parametrize(
    ("status", "body", "retried"),
    [
        pytest.param(403, xml_error("AccessDenied"), False, id="403-with-Code"),
        pytest.param(400, xml_error("EntityTooLarge"), False, id="400-with-Code"),
        pytest.param(404, xml_error("NoSuchUpload"), False, id="404-with-Code"),
        pytest.param(403, b"<html>forbidden by proxy</html>", True, id="403-proxy-page"),
        pytest.param(400, b"", True, id="400-empty"),
        pytest.param(408, xml_error("RequestTimeout"), True, id="408"),
        pytest.param(425, b"", True, id="425"),
        pytest.param(429, xml_error("SlowDown"), True, id="429"),
        pytest.param(500, xml_error("InternalError"), True, id="500"),
        pytest.param(503, xml_error("SlowDown"), True, id="503"),
    ],
)
def test_storage_errors_are_final_and_transient_answers_retried(
    kit: PresignedKit, tmp_path: Path, status: int, body: bytes, retried: bool
) -> None:
    kit.on_put = _answer(status, body, **{"Content-Type": "application/xml"})
    sleeps: list[float] = []
    report = _client(kit, sleeps).uploads.presigned(
        make_files(tmp_path, [10]), max_upload_retries=2
    )
    result = report[0]
    assert not result.success and isinstance(result.error, HTTPError)
    assert result.error.status_code == status
    expected = 3 if retried else 1
    assert result.attempts == expected
    assert len(kit.storage.requests("/obj/")) == expected
    assert len(sleeps) == expected - 1
    # full jitter: uniform(0, min(8, 0.5 * 2**n))
    assert all(0 <= s <= 0.5 * 2**i for i, s in enumerate(sleeps))
    assert kit.confirms == []
    if status == 403 and not retried:
        assert isinstance(result.error, PermissionDeniedError)
        assert "AccessDenied" in str(result.error.response)


def test_a_transient_failure_then_success_counts_its_attempts(
    kit: PresignedKit, tmp_path: Path
) -> None:
    def flaky(conn: Conn, req: Request, n: int) -> bool | None:
        if n <= 2:
            if n == 1:
                conn.reset()
                return False
            return _answer(503, xml_error("SlowDown"))(conn, req, n)
        return None

    kit.on_put = flaky
    path = make_files(tmp_path, [2000])[0]
    report = _client(kit, []).uploads.presigned([path])
    assert report.ok and report[0].attempts == 3
    assert kit.objects[report[0].file_key or ""] == path.read_bytes()


def test_max_upload_retries_zero_sends_once(kit: PresignedKit, tmp_path: Path) -> None:
    kit.on_put = _answer(503)
    report = _client(kit, []).uploads.presigned(make_files(tmp_path, [10]), max_upload_retries=0)
    assert report[0].attempts == 1 and isinstance(report[0].error, ServerError)


def test_a_failing_file_does_not_stop_the_others(kit: PresignedKit, tmp_path: Path) -> None:
    def one_bad(conn: Conn, req: Request, n: int) -> bool | None:
        if "f1.bin" in req.path:
            return _answer(403, xml_error("AccessDenied"))(conn, req, n)
        return None

    kit.on_put = one_bad
    report = kit.client().uploads.presigned(make_files(tmp_path, [10, 20, 30]), max_workers=2)
    assert [f.success for f in report] == [True, False, True]
    assert len(kit.confirms[0]["files"]) == 2


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_from_storage_is_never_followed_nor_its_body_read(
    kit: PresignedKit, tmp_path: Path, hostile_factory: Callable[[], HostileServer], status: int
) -> None:
    attacker = hostile_factory()

    def redirect(conn: Conn, req: Request, n: int) -> bool:
        conn.send_head(status, {"Location": f"{attacker.url}/steal", "Content-Length": "100000000"})
        conn.endless(chunked=False, limit=5)
        return False

    kit.on_put = redirect
    started = time.monotonic()
    report = kit.client().uploads.presigned(make_files(tmp_path, [10]))
    assert time.monotonic() - started < 2
    assert isinstance(report[0].error, HTTPError) and report[0].error.status_code == status
    assert report[0].attempts == 1
    assert attacker.journal == []


# -- ETags ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"ETag": ""}, id="empty"),
        pytest.param({"ETag": '"a b"'}, id="space"),
        pytest.param({"ETag": "x" * 5000}, id="huge"),
    ],
)
def test_a_part_without_a_sane_etag_fails_the_file_before_confirm(
    kit: PresignedKit, tmp_path: Path, headers: dict[str, str]
) -> None:
    kit.on_put = _answer(200, **headers)
    report = kit.client().uploads.presigned(make_files(tmp_path, [4500]))
    assert isinstance(report[0].error, ResponseValidationError)
    assert "ETag" in str(report[0].error)
    assert len(kit.storage.requests("/obj/")) == 1  # the first part's answer stopped the file
    assert kit.confirms == []


def test_a_lying_etag_is_caught_by_the_confirm(kit: PresignedKit, tmp_path: Path) -> None:
    def liar(conn: Conn, req: Request, n: int) -> bool | None:
        if n == 2:
            kit.parts.setdefault(req.path[len("/obj/") :], {})[2] = req.body
            return _answer(200, ETag='"0123456789abcdef0123456789abcdef"')(conn, req, n)
        return None

    kit.on_put = liar
    report = kit.client().uploads.presigned(make_files(tmp_path, [4500]))
    assert not report[0].success and report[0].data_file_id is None
    assert isinstance(report[0].error, ResponseValidationError)
    assert "did not confirm" in str(report[0].error)


# -- deadlines -----------------------------------------------------------------------------------


def test_a_storage_that_never_answers_is_bounded_by_the_put_deadline(
    kit: PresignedKit, tmp_path: Path
) -> None:
    def silent(conn: Conn, req: Request, n: int) -> bool:
        conn.wait(20)
        return False

    kit.on_put = silent
    started = time.monotonic()
    report = kit.client().uploads.presigned(
        make_files(tmp_path, [10]), put_timeout=Timeout(connect=1, read=10, deadline=1)
    )
    elapsed = time.monotonic() - started
    assert elapsed < 2.5, elapsed
    assert isinstance(report[0].error, DeadlineExceededError)
    assert report[0].attempts == 1  # a deadline is not retried


def test_a_storage_that_drips_its_answer_is_bounded_by_the_put_deadline(
    kit: PresignedKit, tmp_path: Path
) -> None:
    def drip(conn: Conn, req: Request, n: int) -> bool:
        conn.drip(b"HTTP/1.1 200 OK\r\nETag: x\r\nContent-Length: 0\r\n\r\n", 0.2)
        return False

    kit.on_put = drip
    started = time.monotonic()
    report = kit.client().uploads.presigned(
        make_files(tmp_path, [10]), put_timeout=Timeout(connect=1, read=5, deadline=1)
    )
    assert time.monotonic() - started < 2.5
    assert isinstance(report[0].error, DeadlineExceededError)


def test_a_read_timeout_is_retried(kit: PresignedKit, tmp_path: Path) -> None:
    def slow_first(conn: Conn, req: Request, n: int) -> bool | None:
        if n == 1:
            conn.wait(3)
            return False
        return None

    kit.on_put = slow_first
    report = kit.client().uploads.presigned(
        make_files(tmp_path, [10]), put_timeout=Timeout(connect=1, read=0.3, deadline=5)
    )
    assert report.ok and report[0].attempts == 2


def test_a_file_that_changes_while_it_is_sent_is_not_confirmed(
    kit: PresignedKit, tmp_path: Path
) -> None:
    path = make_files(tmp_path, [4500])[0]

    def grow(conn: Conn, req: Request, n: int) -> bool | None:
        if n == 1:
            with path.open("ab") as fh:
                fh.write(b"more")
        return None

    kit.on_put = grow
    report = kit.client().uploads.presigned([path])
    assert isinstance(report[0].error, IntegrityError)
    assert kit.confirms == []


def test_storage_put_refuses_to_carry_the_sessions_auth_headers(
    kit: PresignedKit, tmp_path: Path
) -> None:
    from synapse_sdk._http import storage_put

    session = kit.client()._session
    name = session.header_names[0]
    with pytest.raises(ValueError, match="auth headers"):
        storage_put(
            session,
            f"{kit.storage.url}/obj/k",
            b"x",
            headers={name: "v"},
            timeout=Timeout(connect=1, read=1, deadline=1),
        )
    assert kit.storage.journal == []


def test_upload_file_to_presigned_url_follows_the_same_rules(
    kit: PresignedKit, tmp_path: Path
) -> None:
    path = make_files(tmp_path, [100])[0]
    sleeps: list[float] = []
    kit.on_put = lambda conn, req, n: _answer(503)(conn, req, n) if n == 1 else None
    client = _client(kit, sleeps)
    put = client.upload_file_to_presigned_url(f"{kit.storage.url}/obj/one?sig=s", path)
    assert put["attempts"] == 2 and put["etag"] == '"x"' and len(sleeps) == 1
    assert kit.objects["one"] == path.read_bytes()
    req = kit.storage.requests("/obj/")[-1]
    assert req.auth_headers() == {} and req.header("content-type") == "application/octet-stream"
    kit.on_put = _answer(403, xml_error("AccessDenied"))
    with pytest.raises(PermissionDeniedError):
        client.upload_file_to_presigned_url(f"{kit.storage.url}/obj/two", path)

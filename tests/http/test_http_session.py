"""Session behaviour against a live server: headers, origins, downloads, threads, pickling."""

from __future__ import annotations

import io
import json
import logging
import pickle
import threading
import warnings

import pytest
from http_fault_server import Drip, FaultServer, Reply

from synapse_sdk._exceptions import ClientError, DeadlineExceededError, NotFoundError, OriginError
from synapse_sdk._http import (
    UNSET,
    InsecureTLSWarning,
    Multipart,
    RetryPolicy,
    Session,
    Timeout,
)

TOKEN = "canary-7f3a9c-token"
AUTH = {"Synapse-Access-Token": f"Token {TOKEN}", "Synapse-Tenant": "Token acme"}


def test_auth_headers_request_id_and_user_agent(server, make_session):
    session, _ = make_session(server.url, headers=AUTH, user_agent="synapse-sdk/test")
    response = session.request("GET", "/projects/1/")
    echoed = response.json()
    assert echoed["path"] == "/projects/1/"
    assert echoed["headers"]["synapse-access-token"] == f"Token {TOKEN}"
    assert echoed["headers"]["synapse-tenant"] == "Token acme"
    assert echoed["headers"]["user-agent"] == "synapse-sdk/test"
    assert echoed["headers"]["x-request-id"] == response.request_id
    assert len(response.request_id) == 32
    assert "content-type" not in echoed["headers"]


def test_default_user_agent(server, make_session):
    session, _ = make_session(server.url)
    agent = session.request("GET", "a/").json()["headers"]["user-agent"]
    assert agent.startswith("synapse-sdk/")
    assert " python/3." in agent
    assert " urllib3/2." in agent


def test_json_body_params_and_content_type(server, make_session):
    session, _ = make_session(server.url)
    echoed = session.request(
        "POST",
        "tasks/?page=2",
        params={"project": 7, "done": False, "tag": None, "ids": [1, 2]},
        json={"name": "사과 🍎"},
    ).json()
    assert echoed["path"] == "/tasks/?page=2&project=7&done=false&ids=1,2"
    assert echoed["headers"]["content-type"] == "application/json"
    assert json.loads(echoed["body"]) == {"name": "사과 🍎"}


def test_post_without_body_sends_json_content_type(server, make_session):
    session, _ = make_session(server.url)
    echoed = session.request("POST", "agents/x/connect/").json()
    assert echoed["headers"]["content-type"] == "application/json"
    assert echoed["headers"]["content-length"] == "0"


def test_json_none_sends_null(server, make_session):
    session, _ = make_session(server.url)
    assert session.request("PUT", "a/", json=None).json()["body"] == "null"
    assert session.request("PUT", "a/", json=UNSET).json()["body"] == ""


def test_lone_surrogate_rejected_before_io(server, make_session):
    session, _ = make_session(server.url)
    with pytest.raises(ValueError, match="lone surrogate"):
        session.request("POST", "tasks/", json={"name": "bad \udc80"})
    assert server.attempts == 0


def test_cross_origin_absolute_url_refused_without_io(server, make_session):
    session, _ = make_session(server.url, headers=AUTH)
    for url in (
        "http://evil.example/tasks/?page=2",
        f"https://127.0.0.1:{server.port}/tasks/",
        f"http://127.0.0.1:{server.port + 1}/tasks/",
        f"http://localhost:{server.port}/tasks/",
    ):
        with pytest.raises(OriginError):
            session.request("GET", url)
    assert server.attempts == 0


def test_same_origin_absolute_url_allowed(server, make_session):
    session, _ = make_session(server.url, headers=AUTH)
    echoed = session.request("GET", f"{server.url}/sdk/tasks/?cursor=abc").json()
    assert echoed["path"] == "/sdk/tasks/?cursor=abc"
    assert echoed["headers"]["synapse-access-token"] == f"Token {TOKEN}"


def test_download_has_no_auth_and_follows_redirect(server, make_session):
    storage = FaultServer()
    try:
        binary = {"Content-Type": "application/octet-stream"}
        storage.script(Reply(200, b"file-bytes" * 1000, binary))
        location = f"{storage.url}/bucket/f.bin?X-Amz-Signature=s"
        server.script(Reply(302, b"", {"Location": location}))
        session, _ = make_session(server.url, headers=AUTH)
        with session.download("files/1/download/") as stream:
            assert stream.status == 200
            data = b"".join(stream.iter_content(4096))
        assert data == b"file-bytes" * 1000
        assert "X-Amz-Signature=***" in stream.url
        for request in server.journal + storage.journal:
            assert "synapse-access-token" not in request.headers
            assert "synapse-tenant" not in request.headers
    finally:
        storage.close()


def test_download_retries_5xx_then_streams(server, make_session):
    server.script(Reply(503), Reply(502))
    session, sleeper = make_session(server.url)
    with session.download(f"{server.url}/f") as stream:
        body = b"".join(stream.iter_content())
    assert json.loads(body)["method"] == "GET"
    assert len(sleeper.sleeps) == 2


def test_download_error_status(server, make_session):
    server.script(Reply(404, {"detail": "gone"}))
    session, _ = make_session(server.url)
    with pytest.raises(NotFoundError):
        session.download("f/")


def test_download_deadline_during_body(server):
    server.script(Drip(0.1, b"x" * 100))
    with Session(server.url) as session:
        stream = session.download("f/", timeout=Timeout(read=1, deadline=0.5))
        with stream, pytest.raises(DeadlineExceededError):
            for _ in stream.iter_content(10):
                pass


def test_multipart_upload_roundtrip(server, make_session, tmp_path):
    from werkzeug.formparser import parse_form_data

    path = tmp_path / "model.bin"
    path.write_bytes(bytes(range(256)) * 5000)
    body = Multipart(
        fields=[("plugin", "7"), ("config", '{"a": 1}')],
        files=[("file", "모델.bin", path, None)],
    )
    server.script(Reply(503))  # the retry must resend the whole body
    session, _ = make_session(server.url)
    session.request("POST", "plugin_releases/", body=body)
    request = server.journal[-1]
    assert len(server.journal) == 2
    assert request.headers["content-type"] == body.content_type
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": body.content_type,
        "CONTENT_LENGTH": str(len(request.body)),
        "wsgi.input": io.BytesIO(request.body),
    }
    _, form, files = parse_form_data(environ)
    assert form["plugin"] == "7"
    assert form["config"] == '{"a": 1}'
    part = files["file"]
    try:
        assert part.filename == "모델.bin"
        assert part.read() == path.read_bytes()
    finally:
        part.close()


def test_threads_share_one_session(server):
    errors: list[BaseException] = []
    with (
        warnings.catch_warnings(record=True) as recorded,
        Session(server.url, pool_maxsize=8, retry=RetryPolicy(max_retries=0)) as session,
    ):
        warnings.simplefilter("always")

        def worker(n: int) -> None:
            try:
                for i in range(50):
                    key = f"{n}-{i}"
                    echoed = session.request("GET", "echo/", params={"id": key}).json()
                    assert echoed["path"] == f"/echo/?id={key}"
            except BaseException as exc:  # collected and re-raised in the main thread
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(32)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert not errors, errors[:3]
    assert server.attempts == 32 * 50
    assert not recorded, [str(w.message) for w in recorded]


def test_with_options_shares_pool_and_overrides(server, make_session):
    session, _ = make_session(server.url, headers=AUTH)
    copy = session.with_options(timeout=Timeout(read=3), retry=RetryPolicy(max_retries=0))
    assert copy.timeout.read == 3
    assert copy.retry.max_retries == 0
    assert session.retry.max_retries == 3
    assert copy._pool is session._pool
    assert copy.request("GET", "a/").json()["headers"]["synapse-access-token"]


def test_pickle_round_trip(server):
    session = Session(server.url, headers=AUTH, timeout=Timeout(read=9))
    session.request("GET", "a/")
    clone = pickle.loads(pickle.dumps(session))
    session.close()
    try:
        assert clone.base_url == server.url
        assert clone.timeout.read == 9
        assert clone.request("GET", "b/").json()["headers"]["synapse-tenant"] == "Token acme"
    finally:
        clone.close()


def test_repr_and_errors_never_show_token(server, make_session, caplog):
    caplog.set_level(logging.DEBUG, logger="synapse_sdk.http")
    server.script(Reply(500, {"detail": "boom"}))
    session, _ = make_session(server.url, headers=AUTH, retry=RetryPolicy(max_retries=0))
    assert TOKEN not in repr(session)
    assert "Synapse-Access-Token" in repr(session)
    with pytest.raises(ClientError) as info:
        session.request("GET", "a/", params={"token": TOKEN})
    assert TOKEN not in str(info.value)
    assert TOKEN not in repr(info.value)
    assert TOKEN not in (info.value.url or "")
    assert "token=***" in (info.value.url or "")
    assert caplog.records, "expected DEBUG attempt logs"
    assert all(TOKEN not in record.getMessage() for record in caplog.records)
    assert all(record.levelno < logging.WARNING for record in caplog.records)


def test_attempt_log_line(server, make_session, caplog):
    caplog.set_level(logging.DEBUG, logger="synapse_sdk.http")
    server.script(Reply(503))
    session, _ = make_session(server.url)
    response = session.request("GET", "tasks/")
    messages = [r.getMessage() for r in caplog.records]
    assert any("-> 503" in m and "attempt 1" in m and response.request_id in m for m in messages)
    assert any("-> 200" in m and "attempt 2" in m for m in messages)


def test_verify_false_warns_once(server):
    with pytest.warns(InsecureTLSWarning):
        session = Session("https://127.0.0.1:1", verify=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        session.with_options(timeout=Timeout(read=1))
    session.close()

"""The local backend's jobs routes over raw HTTP: int and UUID job ids, the console-log tail as a
real ``text/event-stream`` (events, ``Last-Event-ID``, keep-alives, end after ``complete``),
``POST logs/`` and ``serve_applications/`` validating like DRF."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator

import pytest
import urllib3

from synapse_sdk.devserver import LocalBackend

from ._helpers import Api


@pytest.fixture(params=["int", "uuid"])
def api(request: pytest.FixtureRequest, pool: urllib3.PoolManager) -> Iterator[Api]:
    with LocalBackend(
        seed="demo", job_duration=0.5, job_log_interval=0.1, job_ids=request.param, tail_ping=0.2
    ) as backend:
        yield Api(backend, pool)


def start(api: Api, **params: object) -> dict[str, object]:
    plugin = api.backend.demo["plugin"]
    answer = api.post(f"plugins/{plugin}/run/", json={"action": "train", "params": params})
    assert answer.status == 201, answer.data
    job: dict[str, object] = json.loads(answer.data)
    return job


def sse(api: Api, job_id: object, **headers: str) -> tuple[urllib3.BaseHTTPResponse, list[str]]:
    answer = api.get(f"jobs/{job_id}/tail_console_logs/", headers=headers, timeout=10)
    return answer, answer.data.decode().split("\n")


def events(lines: list[str]) -> list[tuple[str, dict[str, object]]]:
    out, current = [], ""
    for line in lines:
        if line.startswith("id: "):
            current = line[4:]
        elif line.startswith("data: "):
            out.append((current, json.loads(line[6:])))
    return out


def test_job_ids_follow_the_configuration(api: Api) -> None:
    job = start(api)
    if api.backend._jobs[0] == "uuid":
        assert isinstance(job["id"], str) and str(uuid.UUID(job["id"])) == job["id"]
        assert api.get(f"jobs/{str(job['id']).upper()}/").status == 200
        assert isinstance(api.backend.demo["job"], str)
    else:
        assert isinstance(job["id"], int)
    assert api.ok("GET", f"jobs/{job['id']}/")["id"] == job["id"]
    for bad in ("abc", "1.5", str(uuid.uuid4()), "00000000000040008000000000000000"):
        assert api.get(f"jobs/{bad}/").status == 404
        assert api.get(f"jobs/{bad}/tail_console_logs/").status == 404


def test_tail_streams_events_as_the_job_runs(api: Api) -> None:
    job = start(api)
    started = time.monotonic()
    answer, lines = sse(api, job["id"])
    assert time.monotonic() - started > 0.3  # it stayed open while the job ran
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/event-stream")
    assert "Content-Length" not in answer.headers
    got = events(lines)
    assert got[0] == ("0", {"type": "connected", "job_id": job["id"]})
    assert got[-1] == (str(len(got) - 1), {"type": "complete", "status": "SUCCEEDED"})
    logs = api.ok("GET", f"jobs/{job['id']}/console_logs/")["results"]
    inner = [json.loads(str(p["data"]).removeprefix("data: ")) for _, p in got[1:-1]]
    assert [x["message"] for x in inner] == [x["message"] for x in logs]
    assert [x["id"] for x in inner] == [x["id"] for x in logs]
    assert [i for i, _ in got[1:-1]] == [str(n) for n in range(1, len(logs) + 1)]
    assert all(p["type"] == "log" for _, p in got[1:-1])


def test_last_event_id_resumes_after_that_event(api: Api) -> None:
    job = start(api)
    _, full = sse(api, job["id"])
    _, rest = sse(api, job["id"], **{"Last-Event-ID": "2"})
    assert events(rest)[0] == ("2", {"type": "connected", "job_id": job["id"]})
    assert events(rest)[1:] == events(full)[3:]
    _, garbage = sse(api, job["id"], **{"Last-Event-ID": "x"})
    assert events(garbage) == events(full)


def test_an_idle_tail_sends_keep_alive_comments(api: Api) -> None:
    job = start(api)
    api.ok("PATCH", f"jobs/{job['id']}/", json={"status": "RUNNING"})  # by hand: never ends alone
    pool = urllib3.PoolManager()
    answer = pool.request(
        "GET",
        f"{api.backend.url}/jobs/{job['id']}/tail_console_logs/",
        headers={"Synapse-Access-Token": f"Token {api.token}"},
        preload_content=False,
        timeout=5,
    )
    seen = b""
    deadline = time.monotonic() + 5
    while b": ping" not in seen and time.monotonic() < deadline:
        seen += answer.read1(1024)
    assert b": ping\n\n" in seen
    api.ok("PATCH", f"jobs/{job['id']}/", json={"status": "SUCCEEDED"})
    rest = answer.read()  # the stream ends once the job has
    assert b'"type":"complete","status":"SUCCEEDED"' in rest
    answer.release_conn()
    pool.clear()


def test_a_tail_needs_a_token(api: Api) -> None:
    assert (
        api.with_token("").get(f"jobs/{api.backend.demo['job']}/tail_console_logs/").status == 401
    )


def test_post_logs_validates_like_drf(api: Api) -> None:
    one = api.post("logs/", json={"message": "hi"})
    assert one.status == 201 and json.loads(one.data)["level"] == "info"
    uri = "data:text/plain;base64," + base64.b64encode(b"attached").decode()
    many = api.post("logs/", json=[{"message": "a", "file": uri}, {"message": "b"}])
    rows = json.loads(many.data)
    assert many.status == 201 and [r["message"] for r in rows] == ["a", "b"]
    assert api.pool.request("GET", rows[0]["file"]).data == b"attached"
    bad = api.post("logs/", json=[{"message": "ok"}, {"level": "loud"}])
    assert bad.status == 400
    assert json.loads(bad.data) == [
        {},
        {"message": ["This field is required."], "level": ['"loud" is not a valid choice.']},
    ]
    assert json.loads(api.post("logs/", json={"message": "x", "file": "/etc/passwd"}).data) == {
        "file": ["Upload a valid file as a data URI (data:<type>;base64,...)."]
    }
    assert api.post("logs/", json=[]).status == 400


def test_serve_applications_validate_the_job(api: Api) -> None:
    job = start(api)
    created = api.post("serve_applications/", json={"job": job["id"], "data": {"a": 1}})
    assert created.status == 201, created.data
    row = json.loads(created.data)
    assert row["job"] == job["id"] and row["status"] == "PENDING"
    assert api.ok("GET", f"serve_applications/{row['id']}/") == row
    listed = api.ok("GET", "serve_applications/", params={"job": str(job["id"])})["results"]
    assert [r["id"] for r in listed] == [row["id"]]
    missing = str(uuid.uuid4()) if isinstance(job["id"], str) else 99999
    answer = api.post("serve_applications/", json={"job": missing})
    assert answer.status == 400
    assert json.loads(answer.data) == {"job": [f'Invalid pk "{missing}" - object does not exist.']}
    assert json.loads(api.post("serve_applications/", json={}).data) == {
        "job": ["This field is required."]
    }
    bad_status = api.post("serve_applications/", json={"job": job["id"], "status": "nope"})
    assert bad_status.status == 400


def test_bad_job_id_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="job_ids"):
        LocalBackend(job_ids="ulid")
    with pytest.raises(ValueError, match="job_log_interval"):
        LocalBackend(job_log_interval=0)

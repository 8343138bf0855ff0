"""Jobs through the typed and seed APIs against the local backend: int and UUID ids end to end,
the live log tail (typed events, the seed's raw lines, resuming, faults), ``wait()`` raising
``JobFailedError``, ``create_logs`` and serve applications."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk import (
    Job,
    JobFailedError,
    JobLog,
    JobLogEvent,
    JobStatus,
    NotFoundError,
    ServeApplication,
    ValidationError,
)
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend
from synapse_sdk.resources import LogLevel

BAD_JOB_IDS: list[object] = ["1", True, None, 1.0, -1, 0, "../1", "x", 2**70, "0" * 32]


@pytest.fixture(params=["int", "uuid"])
def backend(request: pytest.FixtureRequest) -> Iterator[LocalBackend]:
    with LocalBackend(
        seed="demo", job_duration=0.6, job_log_interval=0.1, job_ids=request.param, tail_ping=0.1
    ) as b:
        yield b


@pytest.fixture
def client(backend: LocalBackend) -> Iterator[BackendClient]:
    with BackendClient(backend.url, api_token=backend.api_token) as c:
        yield c


def run(client: BackendClient, backend: LocalBackend, **params: Any) -> Job:
    return client.plugins.run(backend.demo["plugin"], action="train", params=params)


def test_job_ids_are_ints_or_uuids_end_to_end(client: BackendClient, backend: LocalBackend) -> None:
    job = run(client, backend)
    if backend._jobs[0] == "uuid":
        assert isinstance(job.id, str) and str(uuid.UUID(job.id)) == job.id
        assert client.jobs.get(uuid.UUID(job.id)).id == job.id
        assert client.jobs.get(job.id.upper()).id == job.id
    else:
        assert isinstance(job.id, int)
    assert client.get_job(job.id)["id"] == job.id
    assert client.update_job(job.id, {"meta": {"k": 1}})["meta"]["k"] == 1
    assert client.jobs.update(job.id, progress_record={"progress": 5}).progress_record == {
        "progress": 5
    }
    assert client.list_job_console_logs(job.id)["count"] >= 0
    assert [j.id for j in client.jobs.filter(action="train") if j.id == job.id] == [job.id]
    with pytest.raises(NotFoundError):
        client.jobs.get(str(uuid.uuid4()) if isinstance(job.id, str) else 424242)


@pytest.mark.parametrize("bad", BAD_JOB_IDS, ids=repr)
def test_bad_job_ids_are_refused_before_any_io(
    client: BackendClient, backend: LocalBackend, bad: object
) -> None:
    backend.journal.clear()
    calls = [
        lambda: client.jobs.get(bad),  # type: ignore[arg-type]
        lambda: client.get_job(bad),  # type: ignore[arg-type]
        lambda: client.update_job(bad, {"status": "RUNNING"}),  # type: ignore[arg-type]
        lambda: client.list_job_console_logs(bad),  # type: ignore[arg-type]
        lambda: client.tail_job_console_logs(bad),  # type: ignore[arg-type]
        lambda: client.jobs.tail(bad),  # type: ignore[arg-type]
        lambda: client.create_serve_application({"job": bad}),
    ]
    for call in calls:
        with pytest.raises((TypeError, ValueError)):
            call()
    assert backend.journal.entries() == []


def test_tail_of_a_running_job_streams_until_it_completes(
    client: BackendClient, backend: LocalBackend
) -> None:
    job = run(client, backend)
    started = time.monotonic()
    seen: list[tuple[float, JobLogEvent]] = []
    for line in job.tail(timeout=10):
        seen.append((time.monotonic() - started, line))
    messages = [line.message for _, line in seen]
    assert messages[0] == "Job started" and messages[-1] == "Job finished"
    assert len(messages) >= 4 and all(m.startswith("Progress") for m in messages[1:-1])
    assert seen[-1][0] - seen[0][0] > 0.2  # lines arrived as the job advanced, not at once
    assert all(isinstance(line.level, LogLevel) and line.time is not None for _, line in seen)
    assert [line.event_id for _, line in seen] == [str(n) for n in range(1, len(seen) + 1)]
    assert client.jobs.get(job.id).status is JobStatus.SUCCEEDED
    assert [line.message for line in client.jobs.tail(job.id)] == messages  # replayed
    logs = job.logs()
    assert [log.message for log in logs] == messages
    assert [e.log_id for _, e in seen] == [log.id for log in logs]


def test_seed_tail_yields_the_raw_non_blank_lines(
    client: BackendClient, backend: LocalBackend
) -> None:
    job = run(client, backend)
    job.wait(timeout=10, poll=0.05)
    lines = list(client.tail_job_console_logs(job.id))
    assert "" not in lines
    assert lines[0] == "id: 0"
    assert json.loads(lines[1].removeprefix("data: ")) == {"type": "connected", "job_id": job.id}
    assert json.loads(lines[-1].removeprefix("data: ")) == {
        "type": "complete",
        "status": "SUCCEEDED",
    }
    logs = [json.loads(x.removeprefix("data: ")) for x in lines if '"type":"log"' in x]
    inner = [json.loads(x["data"].removeprefix("data: ")) for x in logs]
    assert [x["message"] for x in inner] == [log.message for log in job.logs()]


def test_tail_resumes_across_a_dropped_connection(
    client: BackendClient, backend: LocalBackend
) -> None:
    job = run(client, backend)
    job.wait(timeout=10, poll=0.05)
    # The first stream is cut after its head and part of the body; the tail reconnects with
    # Last-Event-ID and gets every line exactly once.
    backend.faults.add("truncate", method="GET", path="jobs/*/tail_console_logs/")
    got = [line.message for line in client.jobs.tail(job.id)]
    assert got == [log.message for log in job.logs()]
    tails = [e for e in backend.journal.entries() if e.path.endswith("tail_console_logs/")]
    assert len(tails) == 2
    assert "Last-Event-Id" not in tails[0].headers
    resumed_after = int(tails[1].headers["Last-Event-Id"])
    assert 0 <= resumed_after < len(got)  # the cut came before the end


def test_tail_waits_out_a_503_with_retry_after(backend: LocalBackend) -> None:
    sleeps: list[float] = []
    with BackendClient(backend.url, api_token=backend.api_token, sleep=sleeps.append) as c:
        job = run(c, backend)
        backend.faults.add(
            "status", method="GET", path="jobs/*/tail_console_logs/", status=503, retry_after=7
        )
        assert [line.message for line in c.jobs.tail(job.id)][-1] == "Job finished"
    assert sleeps == [7.0]


def test_tail_of_a_missing_job_raises_at_once(client: BackendClient, backend: LocalBackend) -> None:
    missing = str(uuid.uuid4()) if backend._jobs[0] == "uuid" else 424242
    backend.journal.clear()
    with pytest.raises(NotFoundError):
        list(client.jobs.tail(missing))
    assert len(backend.journal.entries()) == 1


def test_an_idle_tail_gets_keep_alives(client: BackendClient, backend: LocalBackend) -> None:
    job = run(client, backend)
    client.update_job(job.id, {"status": "RUNNING"})  # now managed by hand: it never ends alone
    lines: list[str] = []
    done = threading.Event()

    def finish() -> None:
        time.sleep(0.5)
        client.update_job(job.id, {"status": "SUCCEEDED", "console_logs": [{"message": "bye"}]})
        done.set()

    threading.Thread(target=finish, daemon=True).start()
    for line in client.tail_job_console_logs(job.id, idle_timeout=0.3, timeout=10):
        lines.append(line)
    assert done.wait(5)
    assert ": ping" in lines
    assert any('\\"message\\":\\"bye\\"' in line for line in lines)
    tails = [e for e in backend.journal.entries() if e.path.endswith("tail_console_logs/")]
    assert len(tails) == 1  # the pings kept the 0.3 s idle timeout from firing


def test_wait_raises_job_failed_with_its_last_logs(
    client: BackendClient, backend: LocalBackend
) -> None:
    failing = run(client, backend, fail=True)
    with pytest.raises(JobFailedError, match="failed") as info:
        failing.wait(timeout=10, poll=0.05)
    err = info.value
    assert err.job is failing and err.job.status is JobStatus.FAILED
    assert err.logs and all(isinstance(log, JobLog) for log in err.logs)
    assert err.logs[-1].message == "Job failed: simulated failure"
    assert "simulated failure" in str(err) and err.status_code is None
    assert failing.wait(timeout=10, raise_on_failure=False).status is JobStatus.FAILED
    # STOPPED is not a failure
    stopped = run(client, backend)
    client.update_job(stopped.id, {"status": "STOPPED"})
    assert stopped.wait(timeout=10).status is JobStatus.STOPPED


def test_job_failed_keeps_at_most_20_lines(client: BackendClient, backend: LocalBackend) -> None:
    job = run(client, backend)
    client.update_job(job.id, {"console_logs": [{"message": f"m{i}"} for i in range(30)]})
    client.update_job(job.id, {"status": "FAILED"})
    with pytest.raises(JobFailedError) as info:
        client.jobs.get(job.id).wait(timeout=5)
    assert [log.message for log in info.value.logs] == [f"m{i}" for i in range(10, 30)]


def test_create_logs(client: BackendClient, backend: LocalBackend, tmp_path: Path) -> None:
    png = tmp_path / "plot.png"
    png.write_bytes(b"\x89PNG fake")
    entry = {"message": "trained", "context": {"epoch": 1}, "file": str(png)}
    created = client.create_logs(entry)
    assert entry == {"message": "trained", "context": {"epoch": 1}, "file": str(png)}  # untouched
    assert created["level"] == "info" and created["context"] == {"epoch": 1}
    assert created["file"].startswith(backend.url)
    both = client.create_logs([{"message": "a"}, {"message": "b", "level": "warning"}])
    assert [x["level"] for x in both] == ["info", "warning"]
    typed = client.jobs.create_logs({"message": "c", "level": LogLevel.ERROR})
    assert [(x.message, x.level) for x in typed] == [("c", LogLevel.ERROR)]
    posts = [e for e in backend.journal.entries() if e.path == "logs/"]
    assert [e.method for e in posts] == ["POST"] * 3


@pytest.mark.parametrize(
    "bad",
    [
        {"level": "info"},
        {"message": 1},
        {"message": "x", "level": "loud"},
        {"message": "x", "context": []},
        {"message": "x", "file": "/no/such/file"},
        [],
        "text",
        [{"message": "x"}, None],
    ],
    ids=repr,
)
def test_create_logs_refuses_bad_input_before_io(
    client: BackendClient, backend: LocalBackend, bad: Any
) -> None:
    backend.journal.clear()
    with pytest.raises((TypeError, ValueError, FileNotFoundError)):
        client.create_logs(bad)
    assert backend.journal.entries() == []


def test_serve_applications(client: BackendClient, backend: LocalBackend) -> None:
    job = run(client, backend)
    created = client.create_serve_application({"job": job.id, "data": {"route": "/x"}})
    assert created["job"] == job.id and created["status"] == "PENDING"
    typed = client.serve_applications.create(job=job.id, status="RUNNING")
    assert isinstance(typed, ServeApplication) and typed.job_id == job.id
    assert typed.job.id == job.id
    page = client.list_serve_applications({"job": job.id})
    assert {row["id"] for row in page["results"]} == {created["id"], typed.id}
    rows = client.list_serve_applications(list_all=True)
    assert rows.count == len(list(rows)) == 3  # the demo's one too
    running = client.serve_applications.filter(status="RUNNING")
    assert {a.id for a in running} == {typed.id, backend.demo["serve_application"]}
    assert client.serve_applications.get(typed.id).status == "RUNNING"
    missing = str(uuid.uuid4()) if isinstance(job.id, str) else 424242
    with pytest.raises(ValidationError) as info:
        client.create_serve_application({"job": missing})
    assert "job" in info.value.response
    with pytest.raises(ValueError, match="job"):
        client.create_serve_application({"status": "x"})
    with pytest.raises(TypeError):
        client.serve_applications.create(job=job.id, data=[1])

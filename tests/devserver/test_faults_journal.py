"""Fault plane, journal and the control endpoint."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator

import pytest
import urllib3
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from synapse_sdk.devserver import Fault, JournalEntry, LocalBackend

from ._helpers import Api

TASK = {"project": 1, "data": [{"data_unit": 1}]}


def task_count(api: Api) -> int:
    return int(api.ok("GET", "sdk/tasks/")["count"])


def last(api: Api) -> JournalEntry:
    return api.backend.journal.entries()[-1]


def test_status_fault_handler_not_run(api: Api) -> None:
    f = api.backend.faults.add("status", method="POST", path="tasks/", status=503, retry_after="2")
    assert isinstance(f, Fault)
    r = api.post("tasks/", json=TASK)
    assert r.status == 503 and r.headers["Retry-After"] == "2"
    assert r.json() == {"detail": "Injected fault."}
    entry = last(api)
    assert entry.fault == "status" and entry.status == 503 and entry.committed is False
    assert task_count(api) == 6
    assert api.post("tasks/", json=TASK).status == 201  # times=1: used up
    assert api.backend.journal.committed("POST", "tasks/") == 1


def test_status_fault_custom_body_and_times(api: Api) -> None:
    api.backend.faults.add("status", path="projects/*", status=429, body={"x": 1}, times=2)
    assert [api.get("projects/1/").status for _ in range(3)] == [429, 429, 200]
    assert api.get("tasks/1/").status == 200
    api.backend.faults.add("status", path="projects/", status=500, times=None)
    assert all(api.get("projects/").status == 500 for _ in range(3))
    api.backend.faults.clear()
    assert api.get("projects/").status == 200


def test_method_filter_and_probability(api: Api) -> None:
    api.backend.faults.add("status", method="POST", path="*", status=503, times=None)
    assert api.get("projects/").status == 200
    api.backend.faults.clear()
    api.backend.faults.add("status", status=503, times=None, probability=0.5, seed=7)
    codes = [api.get("projects/1/").status for _ in range(40)]
    assert 5 < codes.count(503) < 35
    api.backend.faults.clear()
    api.backend.faults.add("status", status=503, times=None, probability=0.5, seed=7)
    assert [api.get("projects/1/").status for _ in range(40)] == codes  # reproducible


def test_invalid_fault_args(api: Api) -> None:
    faults = api.backend.faults
    with pytest.raises(ValueError, match="unknown fault kind"):
        faults.add("explode")
    with pytest.raises(ValueError, match="unknown parameter"):
        faults.add("latency", status=500)
    with pytest.raises(ValueError):
        faults.add("status", times=0)
    with pytest.raises(ValueError):
        faults.add("status", probability=2)
    with pytest.raises(ValueError):
        faults.add("status", status=99)


def test_latency(api: Api) -> None:
    api.backend.faults.add("latency", path="projects/1/", seconds=0.3)
    t0 = time.monotonic()
    assert api.get("projects/1/").status == 200
    assert time.monotonic() - t0 >= 0.3
    assert last(api).fault == "latency"


def test_stall_closes_without_answer(api: Api) -> None:
    api.backend.faults.add("stall", path="projects/1/", seconds=0.2)
    t0 = time.monotonic()
    with pytest.raises(ProtocolError):
        api.get("projects/1/")
    assert time.monotonic() - t0 >= 0.2
    assert last(api).status is None and last(api).fault == "stall"


def test_stall_hits_client_read_timeout(api: Api) -> None:
    api.backend.faults.add("stall", path="projects/1/", seconds=0.6)
    with pytest.raises(ReadTimeoutError):
        api.get("projects/1/", timeout=0.2)


def test_drip(api: Api) -> None:
    api.backend.faults.add("drip", path="tasks/1/", interval=0.02)
    t0 = time.monotonic()
    r = api.get("tasks/1/?fields=id")
    assert r.status == 200 and r.json() == {"id": 1}
    assert time.monotonic() - t0 >= 0.02 * (len(r.data) - 1)
    assert last(api).fault == "drip"


def test_reset_before_post_not_committed(api: Api) -> None:
    api.backend.faults.add("reset_before", method="POST", path="tasks/")
    with pytest.raises(ProtocolError) as exc:
        api.post("tasks/", json=TASK)
    assert "reset" in str(exc.value).lower()
    entry = last(api)
    assert entry.status is None and entry.committed is False and entry.fault == "reset_before"
    assert entry.body_sha256 == hashlib.sha256(json.dumps(TASK).encode()).hexdigest()
    assert task_count(api) == 6


def test_reset_after_post_committed(api: Api) -> None:
    api.backend.faults.add("reset_after", method="POST", path="tasks/")
    with pytest.raises(ProtocolError):
        api.post("tasks/", json=TASK)
    entry = last(api)
    assert entry.status is None and entry.committed is True and entry.fault == "reset_after"
    assert task_count(api) == 7
    assert api.backend.journal.committed("POST", "tasks/") == 1


def test_truncate(api: Api) -> None:
    api.backend.faults.add("truncate", path="tasks/1/")
    with pytest.raises(ProtocolError):
        api.get("tasks/1/")
    assert api.get("tasks/1/").status == 200  # the next connection is healthy


def test_malformed_json(api: Api) -> None:
    api.backend.faults.add("malformed_json", method="POST", path="tasks/")
    r = api.post("tasks/", json=TASK)
    assert r.status == 200 and r.headers["Content-Type"] == "application/json"
    with pytest.raises(ValueError):
        json.loads(r.data)
    assert task_count(api) == 6


def test_html(api: Api) -> None:
    api.backend.faults.add("html", path="projects/")
    r = api.get("projects/")
    assert r.status == 502 and r.headers["Content-Type"].startswith("text/html")
    assert b"<html>" in r.data
    api.backend.faults.add("html", path="projects/", status=504)
    assert api.get("projects/").status == 504


def test_redirect(api: Api) -> None:
    api.backend.faults.add("redirect", path="projects/1/")
    r = api.get("projects/1/?a=1")
    assert r.status == 302
    assert r.headers["Location"] == f"http://127.0.0.2:{api.backend.port}/projects/1/?a=1"
    api.backend.faults.add("redirect", path="projects/1/", location="http://example.invalid/x")
    assert api.get("projects/1/").headers["Location"] == "http://example.invalid/x"


def test_journal_contents(api: Api) -> None:
    api.backend.journal.clear()
    api.get("projects/?page_size=1", headers={"X-Request-ID": "rid-1", "Authorization": "Token z"})
    api.post("tasks/", json=TASK)
    first, second = api.backend.journal.entries()
    assert first.method == "GET" and first.path == "projects/" and first.query == "page_size=1"
    assert first.request_id == "rid-1" and first.status == 200 and first.committed is False
    assert (
        first.headers["Synapse-Access-Token"] == "***" and first.headers["Authorization"] == "***"
    )
    assert api.backend.api_token not in json.dumps(first.to_dict())
    assert first.body_size == 0 and first.fault is None and first.seq + 1 == second.seq
    assert second.committed is True and second.status == 201
    assert second.body_size == len(json.dumps(TASK))
    assert api.backend.journal.committed() == 1
    assert api.backend.journal.committed(method="GET") == 0
    assert api.backend.journal.committed(path="tasks/*/") == 0
    assert api.backend.journal.committed(path="tasks/") == 1
    api.post("tasks/", json={"project": 99, "data": []})
    assert last(api).committed is False and last(api).status == 400


def test_job_bookkeeping_is_not_a_committed_write(api: Api) -> None:
    job = api.ok("POST", "plugins/1/run/", 201, json={})
    time.sleep(0.25)
    api.backend.journal.clear()
    assert api.ok("GET", f"jobs/{job['id']}/")["status"] == "SUCCEEDED"
    assert api.backend.journal.committed() == 0


def test_control_endpoint(api: Api) -> None:
    base = "_devserver/"
    info = api.ok("GET", base, auth=False)
    assert info["url"] == api.backend.url and info["demo"]["task"] == 1
    f = api.ok(
        "POST",
        base + "faults/",
        201,
        json={"kind": "status", "path": "projects/", "status": 503, "times": 2},
        auth=False,
    )
    assert f["kind"] == "status" and f["times"] == 2
    assert api.ok("GET", base + "faults/")["faults"][0]["id"] == f["id"]
    assert api.get("projects/").status == 503
    api.ok("DELETE", base + "faults/", 204)
    assert api.get("projects/").status == 200
    f = api.ok("POST", base + "faults/", 201, json={"kind": "status", "times": None})
    api.ok("DELETE", f"{base}faults/{f['id']}/", 204)
    assert api.request("DELETE", f"{base}faults/{f['id']}/").status == 404
    assert api.post(base + "faults/", json={"kind": "nope"}).status == 400
    assert api.post(base + "faults/", json={}).status == 400
    journal = api.ok("GET", base + "journal/")
    assert all(not e["path"].startswith("_devserver") for e in journal["entries"])
    assert journal["entries"][-1]["path"] == "projects/"
    api.ok("DELETE", base + "journal/", 204)
    assert api.ok("GET", base + "journal/")["entries"] == []
    t = api.ok("POST", base + "tenants/", 201, json={"code": "acme"})
    acme = api.with_token(t["api_token"])
    assert acme.ok("GET", "projects/")["count"] == 0
    assert (
        api.get(
            "projects/", auth=False, headers={"SYNAPSE-Agent": f"Token {t['agent_token']}"}
        ).status
        == 200
    )
    assert api.post(base + "tenants/", json={"code": "acme"}).status == 400
    u = api.ok("POST", base + "users/", 201, json={"tenant": "acme", "username": "z"})
    assert api.with_token(u["token"]).get("projects/").status == 200
    a = api.ok("POST", base + "agents/", 201, json={"tenant": "acme", "name": "n"})
    assert api.post(f"agents/{a['token']}/connect/").status == 200
    assert api.post(base + "users/", json={"tenant": "missing"}).status == 400


@pytest.fixture
def no_control() -> Iterator[LocalBackend]:
    with LocalBackend(control=False) as backend:
        yield backend


def test_control_disabled(no_control: LocalBackend, pool: urllib3.PoolManager) -> None:
    api = Api(no_control, pool)
    for path in ("_devserver/", "_devserver/faults/", "_devserver/journal/"):
        r = api.get(path)
        assert r.status == 404 and r.json() == {"detail": "Not found."}
    assert api.post("_devserver/faults/", json={"kind": "status"}).status == 404
    assert api.get("projects/").status == 200
    no_control.faults.add("status", status=503)  # the Python API works regardless
    assert api.get("projects/").status == 503

"""Secrets: a canary token through successes, every error kind, retries, "outcome unknown",
redirects and refused origins, with DEBUG logging captured from the root logger (urllib3's own
request lines included) and warnings recorded. Then every log line, warning, repr, error message,
cause/context chain and formatted traceback is searched for it: 0 occurrences.
TLS verification is on by default; ``verify=False`` warns."""

from __future__ import annotations

import http.server
import json
import logging
import shutil
import ssl
import subprocess
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability_support import CANARY, make_client

from synapse_sdk import ClientConnectionError, Timeout
from synapse_sdk._http import InsecureTLSWarning
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend
from synapse_sdk.devserver._admin import create_agent

AGENT_CANARY = f"{CANARY}-agent"
TENANT_CANARY = f"{CANARY}-tenant"


def chain(exc: BaseException) -> Iterator[BaseException]:
    """An exception and everything in its __cause__ / __context__ chains."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [e for e in (current.__cause__, current.__context__) if e is not None]


class Evidence:
    """Every text a user could see or log during the run."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []
        self.errors: list[BaseException] = []

    def add(self, where: str, text: object) -> None:
        self.texts.append((where, str(text)))

    def call(self, what: str, fn: Callable[[], Any]) -> Any:
        try:
            result = fn()
        except Exception as exc:
            self.errors.append(exc)
            for link in chain(exc):
                self.add(f"{what}: str({type(link).__name__})", str(link))
                self.add(f"{what}: repr({type(link).__name__})", repr(link))
                self.add(f"{what}: args", link.args)
                self.add(
                    f"{what}: vars",
                    {k: v for k, v in vars(link).items()} if hasattr(link, "__dict__") else "",
                )
            self.add(f"{what}: traceback", "".join(traceback.format_exception(exc)))
            return exc
        self.add(f"{what}: result repr", repr(result))
        return result

    def leaks(self) -> list[str]:
        return [where for where, text in self.texts if CANARY in text]


@pytest.fixture
def canary_backend(synapse_backend: LocalBackend) -> LocalBackend:
    """A demo backend that accepts the canary as a user token and as an agent token."""
    found = synapse_backend.store.lookup_token(synapse_backend.api_token)
    assert found is not None
    _, tenant, user = found
    synapse_backend.store.add_token(CANARY, "user", tenant, user)
    create_agent(synapse_backend.store, synapse_backend.tenant, "canary agent", token=AGENT_CANARY)
    return synapse_backend


def test_canary_never_appears_in_logs_reprs_errors_or_tracebacks(
    canary_backend: LocalBackend, caplog: pytest.LogCaptureFixture
) -> None:
    backend, demo = canary_backend, canary_backend.demo
    caplog.set_level(logging.DEBUG)  # the root logger: urllib3's request lines included
    ev = Evidence()
    made: list[BackendClient] = []

    def client(**options: Any) -> BackendClient:
        options.setdefault("api_token", CANARY)
        made.append(make_client(backend, agent_token=AGENT_CANARY, **options)[0])
        return made[-1]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        c = client(page_size=2, prefetch=2)

        def fault(kind: str, **params: Any) -> None:
            # One scenario at a time: a leftover fault would preempt the next one.
            backend.faults.clear()
            backend.faults.add(kind, **params)

        # successes, typed and seed (the canary is the credential that makes them succeed)
        task = ev.call("typed get", lambda: c.tasks.get(demo["task"]))
        qs = c.tasks.filter(project=demo["project"]).order_by("-id")
        ev.add("queryset repr (lazy)", repr(qs))
        ev.call("typed list", lambda: list(qs))
        ev.add("queryset repr (evaluated)", repr(qs))
        ev.call("typed pages", lambda: [repr(p) for p in c.tasks.all().pages()])
        ev.call("seed get", lambda: c.get_task(demo["task"]))
        ev.call("seed list_all", lambda: list(c.list_tasks(list_all=True)))
        ev.call(
            "typed create",
            lambda: c.tasks.create_many([demo["data_units"][0]], project=demo["project"]),
        )
        ev.call("seed patch", lambda: c.update_job(demo["job"], {"meta": {"k": 1}}))
        ev.call("agent connect", lambda: c.health_check_agent(AGENT_CANARY))
        ev.call("typed agent connect", lambda: c.agents.health_check(AGENT_CANARY))
        for obj in (c, c._config, c._session, c.tasks, c.agents, c.uploads, task):
            ev.add(f"repr {type(obj).__name__}", repr(obj))
        # retries that end in success
        for kind, params in (
            ("status", {"status": 429, "retry_after": "1"}),
            ("reset_before", {}),
            ("reset_after", {}),
            ("truncate", {}),
        ):
            fault(kind, method="GET", path="tasks/*", **params)
            ev.call(f"retried get ({kind})", lambda: c.get_task(demo["task"]))
        backend.faults.clear()
        # every error kind
        ev.call("404", lambda: c.tasks.get(999_999))
        ev.call("400", lambda: c.create_plugin({"name": "no code"}))
        for status in (403, 409, 500, 502):
            fault("status", method="GET", path="projects/*", status=status, times=4)
            ev.call(f"{status}", lambda: c.get_project(demo["project"]))
        fault("status", method="GET", path="projects/*", status=429, retry_after="abc", times=4)
        ev.call("429", lambda: c.projects.get(demo["project"]))
        for kind, params in (("malformed_json", {}), ("html", {"status": 200})):
            fault(kind, method="GET", path="projects/*", **params)
            ev.call(kind, lambda: c.projects.get(demo["project"]))
        fault("truncate", method="GET", path="projects/*", times=4)
        ev.call("truncated", lambda: c.get_project(demo["project"]))
        fault("status", method="GET", path="projects/*", status=200, body={"id": "x"})
        ev.call("wrong shape", lambda: c.projects.get(demo["project"]))
        # outcome unknown, on the route that carries a token in its path too
        fault("reset_after", method="POST", path="tasks/")
        ev.call("outcome unknown", lambda: c.create_tasks([{"project": 1, "data_unit": 1}]))
        fault("reset_before", method="POST", path="agents/*")
        ev.call("agent outcome unknown", lambda: c.health_check_agent(AGENT_CANARY))
        fault("status", method="POST", path="agents/*", status=500)
        ev.call("agent 500", lambda: c.agents.health_check(AGENT_CANARY))
        # timeouts and deadlines
        slow = client(timeout=Timeout(connect=1, read=0.2, deadline=5), retries=1)
        fault("stall", method="*", path="agents/*", seconds=1.0, times=2)
        ev.call("agent timeout", lambda: slow.health_check_agent(AGENT_CANARY))
        fault("stall", method="GET", path="tasks/*", seconds=1.0, times=2)
        ev.call("timeout", lambda: slow.tasks.get(demo["task"]))
        fault("drip", method="GET", path="tasks/*", interval=0.05)
        ev.call("deadline", lambda: slow.with_options(timeout={"deadline": 0.3}).get_task(1))
        # redirects and server-supplied URLs on another origin carrying secrets
        fault(
            "redirect",
            method="GET",
            path="tasks/*",
            location=f"http://127.0.0.2:9/x/?token={CANARY}",
        )
        ev.call("redirect", lambda: c.get_task(demo["task"]))
        page = {
            "count": 9,
            "next": f"http://evil.invalid/sdk/tasks/?page=2&access_token={CANARY}",
            "previous": None,
            "results": [{"id": 1}, {"id": 2}],
        }
        fault("status", method="GET", path="sdk/tasks/", status=200, body=page, times=2)
        sequential = c.with_options(prefetch=0)
        ev.call("foreign next (typed)", lambda: list(sequential.tasks.all()))
        ev.call("foreign next (seed)", lambda: list(sequential.list_tasks(list_all=True)))
        backend.faults.clear()
        # bad credentials: the server refuses them, the errors must not echo them
        wrong = client(api_token=f"{CANARY}-wrong")
        ev.call("401", lambda: wrong.get_project(demo["project"]))
        tenant = BackendClient(backend.url, api_token=CANARY, tenant=TENANT_CANARY)
        made.append(tenant)
        ev.call("401 tenant", lambda: tenant.tasks.get(demo["task"]))
        ev.add("repr tenant client", repr(tenant))
        # nowhere to connect
        backend_url = backend.url
        refused = client(retries=1)
        backend.stop()
        ev.call("refused", lambda: refused.get_task(1))
        ev.call("refused agent", lambda: refused.health_check_agent(AGENT_CANARY))
        # TLS off: the warning must not carry the token either
        insecure = BackendClient("https://127.0.0.1:9", api_token=CANARY, verify=False, retries=0)
        made.append(insecure)
        ev.call("insecure refused", lambda: insecure.get_task(1))
        ev.add("backend url", backend_url)
    for item in made:
        item.close()

    for warning in caught:
        ev.add(f"warning {warning.category.__name__}", warning.message)
    for record in caplog.records:
        ev.add(f"log {record.name}", record.getMessage())
        if record.exc_info:
            ev.add(f"log {record.name} exc", logging.Formatter().formatException(record.exc_info))
    for entry in backend.journal.entries():
        ev.add("journal", json.dumps(entry.to_dict()))

    assert ev.leaks() == []
    # The run did what it claims: the canary authenticated, errors of many kinds were raised,
    # urllib3's DEBUG request lines (with the agent route) were captured, and TLS-off warned.
    kinds = {type(e).__name__ for e in ev.errors}
    assert {
        "NotFoundError",
        "ValidationError",
        "AuthorizationError",
        "ConflictError",
        "ServerError",
        "RateLimitError",
        "ResponseDecodeError",
        "TruncatedBodyError",
        "ResponseValidationError",
        "OutcomeUnknownError",
        "ClientTimeoutError",
        "DeadlineExceededError",
        "HTTPError",
        "OriginError",
        "AuthenticationError",
        "ClientConnectionError",
    } <= kinds, kinds
    assert any("agents/***/connect/" in t for w, t in ev.texts if w.startswith("log urllib3"))
    assert any(w.startswith("warning InsecureTLSWarning") for w, _ in ev.texts)
    print(
        f"\n{len(ev.texts)} texts checked ({len(caplog.records)} log records, "
        f"{len(caught)} warnings, {len(ev.errors)} errors of {len(kinds)} kinds): 0 leaks"
    )


def test_a_malformed_agent_token_is_not_echoed(canary_backend: LocalBackend) -> None:
    client, _ = make_client(canary_backend)
    try:
        with pytest.raises(ValueError) as info:
            client.health_check_agent(f"{CANARY}/../x")
    finally:
        client.close()
    assert CANARY not in str(info.value)


# -- TLS ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An HTTPS server on 127.0.0.1 with a fresh self-signed certificate."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    folder: Path = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"id": 1, "title": "over TLS"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_tls_verification_is_on_by_default(tls_server: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning when verification is on
        client = BackendClient(tls_server, api_token=CANARY, retries=3)
    try:
        with pytest.raises(ClientConnectionError) as info:
            client.get_project(1)
    finally:
        client.close()
    assert "TLS error" in str(info.value) and "CERTIFICATE_VERIFY_FAILED" in str(info.value)
    assert CANARY not in str(info.value)


def test_turning_tls_verification_off_warns_once_and_works(tls_server: str) -> None:
    with pytest.warns(InsecureTLSWarning, match="verification is off") as record:
        client = BackendClient(tls_server, api_token=CANARY, verify=False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # not once per request (urllib3 would)
            assert client.get_project(1)["title"] == "over TLS"
            assert client.projects.get(1).title == "over TLS"
    finally:
        client.close()
    assert len(record) == 1 and CANARY not in str(record[0].message)

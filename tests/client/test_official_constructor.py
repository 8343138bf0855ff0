"""The official constructor keywords ``authorization_token=`` and ``url_host=``, against the local
backend: the header and the query parameter on the wire, kept through ``with_options`` and
pickling, checked before any request, and the token never shown anywhere."""

from __future__ import annotations

import logging
import pickle
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from synapse_sdk import AuthenticationError, ClientError, NotFoundError
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend

CANARY = "canary-AUTHZ-9876543210"


def user_token_backend(backend: LocalBackend, token: str = CANARY) -> LocalBackend:
    """Register ``token`` as a user token of the demo admin (sent as ``Authorization``)."""
    found = backend.store.lookup_token(backend.api_token)
    assert found is not None
    _, tenant, user = found
    backend.store.add_token(token, "user", tenant, user)
    return backend


def queries(backend: LocalBackend) -> list[dict[str, list[str]]]:
    return [parse_qs(e.query) for e in backend.journal.entries()]


# -- authorization_token ------------------------------------------------------------------------


def test_authorization_token_alone_authenticates_as_token_header(
    synapse_backend: LocalBackend,
) -> None:
    backend = user_token_backend(synapse_backend)
    with BackendClient(backend.url, authorization_token=CANARY) as client:
        assert client.get_project(backend.demo["project"])["id"] == backend.demo["project"]
        headers = client._config.headers()
    assert headers == {"Authorization": f"Token {CANARY}"}
    entry = backend.journal.entries()[-1]
    assert {k.lower(): v for k, v in entry.headers.items()}["authorization"] == "***"


def test_authorization_token_with_tenant_sends_both(synapse_backend: LocalBackend) -> None:
    backend = user_token_backend(synapse_backend)
    client = BackendClient(backend.url, authorization_token=CANARY, tenant=backend.tenant)
    with client:
        assert client.tasks.get(backend.demo["task"]).id == backend.demo["task"]
    assert set(client._config.headers()) == {"Authorization", "Synapse-Tenant"}


def test_a_wrong_authorization_token_is_a_401(synapse_backend: LocalBackend) -> None:
    with (
        BackendClient(synapse_backend.url, authorization_token="not-a-token") as client,
        pytest.raises(AuthenticationError) as info,
    ):
        client.get_project(synapse_backend.demo["project"])
    assert "not-a-token" not in str(info.value)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (123, TypeError),
        (b"bytes", TypeError),
        ("with space ", ValueError),
        ("line\nbreak", ValueError),
        ("nul\x00", ValueError),
    ],
)
def test_a_malformed_authorization_token_is_refused_without_echoing_it(
    value: Any, error: type[Exception]
) -> None:
    with pytest.raises(error) as info:
        BackendClient("http://127.0.0.1:9", authorization_token=value)
    assert "authorization_token" in str(info.value)
    if isinstance(value, str):
        assert value.strip() not in str(info.value)


def test_authorization_token_is_kept_by_with_options_and_pickling(
    synapse_backend: LocalBackend,
) -> None:
    backend = user_token_backend(synapse_backend)
    client = BackendClient(backend.url, authorization_token=CANARY, url_host="internal")
    for copy in (client.with_options(timeout=7, retries=1), pickle.loads(pickle.dumps(client))):
        assert copy._config.authorization_token == CANARY
        assert copy._config.url_host == "internal"
        assert copy.get_project(backend.demo["project"])["id"] == backend.demo["project"]
    assert all(q.get("url_host") == ["internal"] for q in queries(backend))
    client.close()


def test_the_authorization_token_never_shows(
    synapse_backend: LocalBackend, caplog: pytest.LogCaptureFixture
) -> None:
    backend = user_token_backend(synapse_backend)
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    client = BackendClient(backend.url, authorization_token=CANARY, url_host="internal", retries=0)
    texts += [repr(client), str(client), repr(client._config), repr(client._session)]
    texts.append(repr(client.with_options(timeout=3)._config))
    errors: list[BaseException] = []
    for call in (
        lambda: client.tasks.get(999_999),  # 404
        lambda: client.create_plugin({"name": "no code"}),  # 400
        lambda: client.get_project(backend.demo["project"]),  # a 500 below
    ):
        backend.faults.clear()
        backend.faults.add("status", method="GET", path="projects/*", status=500, times=4)
        try:
            call()
        except ClientError as exc:
            errors.append(exc)
    unreachable = BackendClient("http://127.0.0.1:9", authorization_token=CANARY, retries=0)
    try:
        unreachable.get_project(1)
    except ClientError as exc:
        errors.append(exc)
    assert len(errors) == 4
    assert isinstance(errors[0], NotFoundError)
    for exc in errors:
        texts += [str(exc), repr(exc), "".join(traceback.format_exception(exc)), repr(vars(exc))]
    texts += [record.getMessage() for record in caplog.records]
    texts += [repr(entry) for entry in backend.journal.entries()]
    assert caplog.records, "DEBUG logging captured nothing: the check would be empty"
    leaks = [t for t in texts if CANARY in t]
    assert leaks == []
    client.close()
    unreachable.close()


# -- url_host -------------------------------------------------------------------------------------


def test_url_host_goes_on_every_backend_request(
    client: BackendClient, synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    internal = client.__class__(
        synapse_backend.url, api_token=synapse_backend.api_token, url_host="internal"
    )
    demo = synapse_backend.demo
    synapse_backend.journal.clear()
    internal.get_project(demo["project"])  # GET without params
    internal.get_task(demo["task"], {"expand": "data_unit"})  # GET with params
    internal.annotate_task_data(demo["task"], {"a": 1})  # PUT
    internal.set_tags_tasks({"ids": [demo["task"]], "tags": [demo["task_tags"][0]]})  # POST
    rows = list(internal.list_tasks({"page_size": 2}, list_all=True))  # next links
    assert len(rows) > 2
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 1000)
    internal.create_chunked_upload(path, chunk_size=300)  # chunk PUTs on the upload's url
    entries = synapse_backend.journal.entries()
    assert len(entries) >= 10
    for entry in entries:
        assert parse_qs(entry.query).get("url_host") == ["internal"], (entry.path, entry.query)
    pages = [e for e in entries if e.path == "sdk/tasks/" and "page=" in e.query]
    assert pages, "no next link was followed"
    internal.close()


def test_a_url_host_in_params_wins(synapse_backend: LocalBackend) -> None:
    with BackendClient(
        synapse_backend.url, api_token=synapse_backend.api_token, url_host="internal"
    ) as client:
        rows = list(client.list_tasks({"page_size": 2, "url_host": "external"}, list_all=True))
        assert len(rows) > 2
        client.get_task(synapse_backend.demo["task"], {"url_host": "other"})
    got = [q.get("url_host") for q in queries(synapse_backend)]
    assert got[:-1] == [["external"]] * (len(got) - 1)  # first page and every next link
    assert got[-1] == ["other"]


def test_no_url_host_by_default(client: BackendClient, synapse_backend: LocalBackend) -> None:
    client.get_project(synapse_backend.demo["project"])
    list(client.list_tasks({"page_size": 2}, list_all=True))
    assert all("url_host" not in q for q in queries(synapse_backend))


def test_url_host_never_goes_on_file_downloads(
    synapse_backend: LocalBackend, tmp_path: Path
) -> None:
    with BackendClient(
        synapse_backend.url, api_token=synapse_backend.api_token, url_host="internal"
    ) as client:
        unit = client.data_units.get(synapse_backend.demo["data_units"][0])
        synapse_backend.journal.clear()
        unit.download(tmp_path)
    media = [e for e in synapse_backend.journal.entries() if "media" in e.path]
    assert media, [e.path for e in synapse_backend.journal.entries()]
    assert all("url_host" not in parse_qs(e.query) for e in media)


@pytest.mark.parametrize(("value", "error"), [(1, TypeError), ("a b", ValueError)])
def test_a_malformed_url_host_is_refused(value: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="url_host"):
        BackendClient("http://127.0.0.1:9", url_host=value)

"""One strict parser for every server-supplied URL (finding 1 of the hostile-server review).

Python's ``urlsplit`` and urllib3's ``parse_url`` read ambiguous URLs differently: for
``http://127.0.0.1:OTHER\\@127.0.0.1:API/x`` the first says host ``127.0.0.1:API`` (after the
``@``), the second ends the authority at the backslash and connects to OTHER. The SDK used to
check the origin with one and connect with the other, so a pagination ``next`` of that form sent
``Synapse-Access-Token`` to another port. Now every server-supplied URL is parsed once, strictly,
ambiguous forms are refused, and the request goes to exactly the parsed host.
"""

from __future__ import annotations

import pytest
from hostile_server import HostileServer

from synapse_sdk import OriginError
from synapse_sdk._http import Session
from synapse_sdk._http._urls import parse_server_url, redact_text
from synapse_sdk.clients.backend import BackendClient


def _hostile_nexts(api: HostileServer, other: HostileServer) -> list[str]:
    a, o = api.port, other.port
    return [
        f"http://127.0.0.1:{o}\\@127.0.0.1:{a}/tasks/?page=2",
        f"http://127.0.0.1:{o}\\\\@127.0.0.1:{a}/tasks/?page=2",
        f"http://127.0.0.1:{o}%5C@127.0.0.1:{a}/tasks/?page=2",
        f"http://127.0.0.1:{o}/@127.0.0.1:{a}/tasks/?page=2",
        f"http://x@127.0.0.1:{a}/tasks/?page=2",
        f"http://127.0.0.1:{o}#@127.0.0.1:{a}/tasks/?page=2",
        f"http://127.0.0.1:{o}?@127.0.0.1:{a}/tasks/?page=2",
        f"http://127.0.0.1:{o}\t@127.0.0.1:{a}/tasks/?page=2",
        f"http://127.0.0.1:{o}/tasks/?page=2",
        f"HTTP://127.0.0.1:{o}/tasks/?page=2",
        f"http://localhost:{o}/tasks/?page=2",
        f"https://127.0.0.1:{a}/tasks/?page=2",
    ]


def _listing(api: HostileServer, next_url: str) -> None:
    api.json(
        "/",
        {"count": None, "next": next_url, "previous": None, "results": [{"id": 1}]},
    )


@pytest.mark.parametrize("api_kind", ["typed", "seed"])
def test_next_link_never_reaches_another_port(hostile_factory, api_kind):
    api, other = hostile_factory(), hostile_factory()
    other.json("/", {"count": 1, "next": None, "previous": None, "results": [{"id": 99}]})
    for next_url in _hostile_nexts(api, other):
        _listing(api, next_url)
        client = BackendClient(api.url, api_token="canary-token", tenant="t1", prefetch=0)
        with client, pytest.raises(OriginError):
            if api_kind == "typed":
                list(client.tasks.all())
            else:
                list(client.list_tasks(list_all=True))
    assert other.journal == [], [r.target for r in other.journal]
    # Every request the API server saw was a first page: no next link was followed.
    assert api.journal
    assert not [r.target for r in api.journal if "page=2" in r.target]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:1\\@127.0.0.1:2/x",
        "http://a@b/x",
        "http://a:pw@b/x",
        "http://a b/",
        "http://a/b c",
        "http://a/\r\nHost: evil",
        "http://a/x#frag",
        "http://a/\x85",
        "http://\u00e9.com/",
        "http://a:0/",
        "http://a:65536/",
        "http://a:99999/",
        "http://a:1:2/",
        "http://a:-1/",
        "http://a:+80/",
        "http:///x",
        "http://",
        "ftp://a/",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "//a/x",
        "http:/a/x",
        5,
        None,
        b"http://a/",
    ],
)
def test_parser_refuses_ambiguous_and_malformed(url):
    with pytest.raises(ValueError):
        parse_server_url(url)


@pytest.mark.parametrize(
    ("url", "origin", "target"),
    [
        ("http://a/", ("http", "a", 80), "/"),
        ("HTTPS://A.Example.COM", ("https", "a.example.com", 443), "/"),
        ("http://a:8080?x=1", ("http", "a", 8080), "/?x=1"),
        ("http://[::1]:8000/p?q", ("http", "[::1]", 8000), "/p?q"),
        ("http://127.0.0.1:5/%5C@x", ("http", "127.0.0.1", 5), "/%5C@x"),
        ("http://a/caf\u00e9", ("http", "a", 80), "/caf\u00e9"),
    ],
)
def test_parser_accepts_plain_urls(url, origin, target):
    parsed = parse_server_url(url)
    assert parsed.origin == origin
    assert parsed.target == target


def test_session_requests_the_parsed_url(hostile):
    hostile.json("/x/", {"ok": True})
    session = Session(hostile.url)
    assert session.request("GET", f"HTTP://127.0.0.1:{hostile.port}/x/?a=1").json() == {"ok": True}
    assert [r.target for r in hostile.journal] == ["/x/?a=1"]


def test_base_url_with_userinfo_refused():
    with pytest.raises(ValueError, match="user information") as info:
        Session("http://user:secret-pw@127.0.0.1:1")
    assert "secret-pw" not in str(info.value)


def test_download_url_refused_without_leaking_its_secret(hostile):
    session = Session(hostile.url)
    for url in (
        "http://127.0.0.1:99999/f?X-Amz-Signature=SECRET",
        "http://127.0.0.1:1\\@127.0.0.1:2/f?X-Amz-Signature=SECRET",
        "http://u:SECRET@127.0.0.1:2/f",
    ):
        with pytest.raises(OriginError) as info:
            session.download(url)
        err = info.value
        texts = [str(err), repr(err), str(err.url)]
        cause = err.__cause__ or err.__context__
        while cause is not None:
            texts.append(repr(cause))
            cause = cause.__cause__ or cause.__context__
        assert not any("SECRET" in text for text in texts), texts
    assert hostile.journal == []


def test_redirect_to_ambiguous_location_refused(hostile_factory):
    files, other = hostile_factory(), hostile_factory()

    def redirect(conn, req):
        location = f"http://127.0.0.1:{other.port}\\@127.0.0.1:{files.port}/real"
        conn.send_head(302, {"Location": location, "Content-Length": "0"})
        return True

    files.route("/f", redirect)
    other.json("/", {"stolen": True})
    session = Session(files.url)
    with pytest.raises(Exception, match="redirect refused") as info:
        session.download(f"{files.url}/f")
    assert type(info.value).__module__.startswith("synapse_sdk")
    assert other.journal == []


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Failed to parse: http://a:99999/f?X-Amz-Signature=S3CR3T&b=1", "S3CR3T"),
        ("Max retries exceeded with url: /f?a=1&sig=S3CR3T (Caused by X)", "S3CR3T"),
        ("GET agents/S3CR3T/connect/ failed", "S3CR3T"),
        ("'/agents/S3CR3T/connect'", "S3CR3T"),
        ("proxy http://user:S3CR3T@host:1/ refused", "S3CR3T"),
        ("x?token=S3CR3T;y", "S3CR3T"),
    ],
)
def test_redact_text(text, secret):
    out = redact_text(text)
    assert secret not in out
    assert "***" in out


def test_lone_surrogate_in_a_secret_is_never_echoed(hostile):
    secret = "AKIA-S3CR3T-\udcff-S3CR3T-TAIL"
    client = BackendClient(hostile.url, api_token="t")
    data = {
        "name": "s3",
        "category": "external",
        "provider": "amazon_s3",
        "configuration": {"bucket_name": "b", "secret_access_key": secret},
    }
    with client, pytest.raises(ValueError, match="lone surrogate") as info:
        client.create_storage(data)
    text = str(info.value)
    assert "S3CR3T" not in text and "TAIL" not in text
    assert "secret_access_key" in text  # says where, never what
    assert info.value.__cause__ is None and info.value.__context__ is None
    assert hostile.journal == []

"""URL joining, origin checks, query encoding and redaction (no sockets)."""

from __future__ import annotations

import enum
import uuid

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from synapse_sdk._http import Session, redact_url
from synapse_sdk._http._urls import add_params, encode_params, join_url, normalize_base_url


@pytest.mark.parametrize(
    ("base", "path", "expected"),
    [
        ("https://api.example.com", "tasks/1/", "https://api.example.com/tasks/1/"),
        ("https://api.example.com", "/tasks/1/", "https://api.example.com/tasks/1/"),
        ("https://api.example.com", "//tasks/", "https://api.example.com/tasks/"),
        ("https://h/api", "sdk/tasks/?page=2", "https://h/api/sdk/tasks/?page=2"),
    ],
)
def test_join_url(base, path, expected):
    assert join_url(base, path) == expected


def test_base_url_trailing_slash_stripped():
    assert normalize_base_url("https://api.example.com///") == "https://api.example.com"
    assert Session("http://127.0.0.1:8000/").base_url == "http://127.0.0.1:8000"


@pytest.mark.parametrize("base", ["api.example.com", "ftp://h", "https://", "https://h/?q=1", 5])
def test_bad_base_url(base):
    with pytest.raises((ValueError, TypeError)):
        normalize_base_url(base)


@pytest.mark.parametrize(
    "path", ["projects/../tasks/", "./x", "a/./b", "7#x", "a b", "a\r\nb", "a\\b"]
)
def test_dangerous_paths_refused(path):
    with pytest.raises(ValueError):
        join_url("https://h", path)


def test_resolve_origin_rules():
    from synapse_sdk._exceptions import OriginError

    session = Session("https://api.example.com")
    # The URL is requested in the parsed, normalized form (the form the origin was checked on).
    assert session.resolve_url("HTTPS://API.example.com:443/x/") == "https://api.example.com/x/"
    for url in (
        "http://api.example.com/x/",
        "https://api.example.com:8443/x/",
        "https://evil.com/",
    ):
        with pytest.raises(OriginError):
            session.resolve_url(url)


class Color(enum.Enum):
    RED = "red"


def test_encode_params_rules():
    uid = uuid.UUID(int=1)
    query = encode_params(
        {
            "a": None,
            "b": True,
            "c": False,
            "d": [1, 2, None],
            "e": (3,),
            "f": 7,
            "g": "x y&z",
            "h": Color.RED,
            "i": uid,
            "j": 1.5,
        }
    )
    assert query == f"b=true&c=false&d=1,2&e=3&f=7&g=x%20y%26z&h=red&i={uid}&j=1.5"


def test_encode_params_pairs_and_errors():
    assert encode_params([("a", 1), ("a", 2)]) == "a=1&a=2"
    assert encode_params(None) == ""
    with pytest.raises(TypeError, match="'bad'"):
        encode_params({"bad": object()})


def test_add_params_appends_to_existing_query():
    assert add_params("https://h/x/?page=2", {"q": "v"}) == "https://h/x/?page=2&q=v"
    assert add_params("https://h/x/", {"q": None}) == "https://h/x/"
    assert add_params("https://h/x/?", {"q": 1}) == "https://h/x/?q=1"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://h/x?token=abc&page=2", "https://h/x?token=***&page=2"),
        (
            "https://h/x?access_token=a&api_key=b&sig=c",
            "https://h/x?access_token=***&api_key=***&sig=***",
        ),
        (
            "https://s3/b/k?X-Amz-Credential=AK&X-Amz-Signature=s&x-amz-date=1&v=1",
            "https://s3/b/k?X-Amz-Credential=***&X-Amz-Signature=***&x-amz-date=***&v=1",
        ),
        ("https://u:pw@h/x", "https://u:***@h/x"),
        ("https://h/x?password=p#frag", "https://h/x?password=***#frag"),
        ("https://h/x?page=2", "https://h/x?page=2"),
        ("tasks/?Signature=z", "tasks/?Signature=***"),
    ],
)
def test_redact_url(url, expected):
    assert redact_url(url) == expected


def test_secret_routes_come_from_the_declarations():
    from synapse_sdk._endpoint import Action, Endpoint
    from synapse_sdk._http._urls import _SECRET_PATHS, redact_text
    from synapse_sdk.resources import ENDPOINTS

    declared = sum(1 for ep in ENDPOINTS.values() for a in ep.actions.values() if a.secret)
    assert declared >= 1
    assert len(_SECRET_PATHS) >= declared
    assert redact_url("https://h/agents/T0KEN/connect/") == "https://h/agents/***/connect/"
    # A new secret route is redacted as soon as it is declared, in URLs and in free text.
    assert "K3Y" in redact_url("https://h/widgets/K3Y/unlock/")
    Endpoint(
        name="widgets", path="widgets/", actions={"unlock": Action("POST", "unlock/", secret=True)}
    )
    assert redact_url("https://h/widgets/K3Y/unlock/?a=1") == "https://h/widgets/***/unlock/?a=1"
    assert "K3Y" not in redact_text("POST widgets/K3Y/unlock/ failed")


# Pieces of URLs, hostile ones included: secret routes and keys, userinfo, fragments, brackets,
# whitespace urlsplit strips, non-ASCII, control characters.
_URL_PARTS = st.sampled_from(
    [
        "http://",
        "https://",
        "h",
        "127.0.0.1:9",
        "[::1",
        "]",
        "/",
        "agents/",
        "tok",
        "/connect",
        "/connect/",
        "tasks/",
        "7",
        "?",
        "&",
        "=",
        "token",
        "sig",
        "page",
        "#",
        "@",
        "user:pw",
        ":",
        ";",
        "%2F",
        "\t",
        "\n",
        " ",
        "\x00",
        "\x7f",
        "é",
        "\u2028",
        "\uff0f",
        ".",
        "..",
    ]
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_URL_PARTS, max_size=10).map("".join))
@example("http://h/agents/tok/connect#x")
@example("http://h/agents/tok/connect/#x")
@example("agents/tok/connect\t")
@example("http://h/agents/t\tok/connect/")
@example("http://u:pw@h/agents/tok/connect/")
@example("http://[::1/agents/tok/connect/")
def test_the_quick_path_of_redact_url_redacts_as_parsing_does(url: str) -> None:
    import synapse_sdk.resources  # noqa: F401  (registers the secret agents/<token>/connect/ route)
    from synapse_sdk._http._urls import _redact_parsed

    assert redact_url(url) == _redact_parsed.__wrapped__(url)

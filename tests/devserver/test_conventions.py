"""Auth, DRF conventions, pagination, ordering, errors."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from ._helpers import Api, ids


def test_no_credentials_401(ro: Api) -> None:
    r = ro.get("projects/", auth=False)
    assert r.status == 401
    assert r.json() == {"detail": "Authentication credentials were not provided."}


def test_invalid_token_401(ro: Api) -> None:
    r = ro.with_token("nope").get("projects/")
    assert r.status == 401
    assert r.json() == {"detail": "Invalid token."}


@pytest.mark.parametrize(
    "headers",
    [
        {"synapse-access-token": "Token local-api-token"},
        {"SYNAPSE-ACCESS-TOKEN": "local-api-token"},
        {"Authorization": "Token local-api-token"},
        {"Authorization": "Token local-api-token", "Synapse-Tenant": "Token local"},
        {"SYNAPSE-Agent": "Token local-agent-token"},
        {"synapse-agent": "Token local-agent-token"},
    ],
)
def test_auth_headers(ro: Api, headers: dict[str, str]) -> None:
    r = ro.get("projects/", auth=False, headers=headers)
    assert r.status == 200, r.data


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Token local-api-token", "Synapse-Tenant": "Token other"},
        {"Authorization": "Bearer local-api-token"},
        {"SYNAPSE-Agent": "Token local-api-token"},
        {"Synapse-Access-Token": "Token local-agent-token"},
    ],
)
def test_auth_rejected(ro: Api, headers: dict[str, str]) -> None:
    assert ro.get("projects/", auth=False, headers=headers).status == 401


def test_unknown_path_404(ro: Api) -> None:
    r = ro.get("nothing/here/")
    assert r.status == 404
    assert r.json() == {"detail": "Not found."}
    assert ro.get("projects").status == 404  # trailing slash required


def test_object_404(ro: Api) -> None:
    r = ro.get("projects/999/")
    assert r.status == 404
    assert r.json() == {"detail": "Not found."}


def test_405(ro: Api) -> None:
    r = ro.request("DELETE", "projects/1/")
    assert r.status == 405
    assert r.json() == {"detail": 'Method "DELETE" not allowed.'}
    assert "GET" in r.headers["Allow"]
    assert ro.request("DELETE", "projects/1/", auth=False).status == 401


def test_json_content_type_and_request_id(ro: Api) -> None:
    r = ro.get("projects/1/", headers={"X-Request-ID": "abc-123"})
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers["X-Request-ID"] == "abc-123"
    assert "X-Request-ID" not in ro.get("projects/1/").headers


def test_invalid_json_400(api: Api) -> None:
    r = api.post("tasks/", body=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status == 400
    assert r.json()["detail"].startswith("JSON parse error - ")


def test_pagination_pages(ro: Api) -> None:
    first = ro.ok("GET", "sdk/tasks/", params={"page_size": 4, "project": 1})
    assert first["count"] == 5
    assert first["previous"] is None
    assert ids(first) == [1, 2, 3, 4]
    nxt = urlsplit(first["next"])
    assert f"{nxt.scheme}://{nxt.netloc}" == ro.backend.url
    assert parse_qs(nxt.query) == {"page_size": ["4"], "project": ["1"], "page": ["2"]}
    last = ro.ok("GET", first["next"])
    assert ids(last) == [5]
    assert last["next"] is None
    assert parse_qs(urlsplit(last["previous"]).query)["page"] == ["1"]
    r = ro.get("sdk/tasks/", params={"page_size": 4, "project": 1, "page": 3})
    assert r.status == 404
    assert r.json() == {"detail": "Invalid page."}
    assert ro.get("sdk/tasks/", params={"page": "x"}).status == 404
    assert ro.get("sdk/tasks/", params={"page": 0}).status == 404


def test_pagination_exactly_one_page_and_empty(ro: Api) -> None:
    page = ro.ok("GET", "sdk/tasks/", params={"page_size": 6})
    assert page["count"] == 6 and page["next"] is None and len(page["results"]) == 6
    empty = ro.ok("GET", "sdk/tasks/", params={"project": 999})
    assert empty == {"count": 0, "next": None, "previous": None, "results": []}
    assert ro.get("sdk/tasks/", params={"project": 999, "page": 2}).status == 404


def test_page_size_clamped(ro: Api) -> None:
    page = ro.ok("GET", "sdk/tasks/", params={"page_size": 5000})
    assert len(page["results"]) == 6
    assert ro.ok("GET", "sdk/tasks/", params={"page_size": "bad"})["count"] == 6


def test_ordering(ro: Api) -> None:
    assert ids(ro.ok("GET", "sdk/tasks/", params={"ordering": "-id"})) == [6, 5, 4, 3, 2, 1]
    assert ids(ro.ok("GET", "sdk/tasks/", params={"ordering": "created"}))[0] == 1
    titles = [
        p["title"] for p in ro.ok("GET", "projects/", params={"ordering": "title"})["results"]
    ]
    assert titles == sorted(titles)
    r = ro.get("sdk/tasks/", params={"ordering": "nope"})
    assert r.status == 400 and "ordering" in r.json()


def test_filters_repeated_and_comma(ro: Api) -> None:
    assert ids(ro.ok("GET", "sdk/tasks/?id__in=1,3")) == [1, 3]
    assert ids(ro.ok("GET", "sdk/tasks/?id__in=1&id__in=3")) == [1, 3]
    assert ro.ok("GET", "sdk/tasks/?unknown_filter=1")["count"] == 6
    r = ro.get("sdk/tasks/?id__in=x")
    assert r.status == 400 and "id__in" in r.json()


@pytest.mark.parametrize("value", ["true", "True", "1"])
def test_bool_values(ro: Api, value: str) -> None:
    assert ids(ro.ok("GET", f"sdk/tasks/?is_discarded={value}")) == [5]


@pytest.mark.parametrize("value", ["false", "False", "0"])
def test_bool_false_values(ro: Api, value: str) -> None:
    assert 5 not in ids(ro.ok("GET", f"sdk/tasks/?is_discarded={value}"))


def test_head(ro: Api) -> None:
    r = ro.request("HEAD", "projects/1/")
    assert r.status == 200 and r.data == b""

"""Malformed envelopes and hostile ``next`` links (finding 10b).

``"next": 5``, ``true``, ``{}`` or a list raised ``TypeError``/``AttributeError``; a ``next``
with CR/LF raised a bare ``ValueError`` without page or resume information. Now a malformed
``next``/``previous``/``count``/``results`` raises ``ResponseValidationError`` whose ``path`` names
the field, and a ``next`` the URL parser refuses (another origin, userinfo, a backslash, control
characters) raises ``OriginError``; both carry ``page``/``resume_offset``/``resume_params`` once
rows were delivered, and nothing is ever sent to another server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hostile_server import AUTH_HEADERS, HostileServer
from test_pagination import LISTINGS, PATH, FakeListing, bounded, make_client

from synapse_sdk import ClientError, OriginError, ResponseValidationError

KINDS = sorted(LISTINGS)


def on_page(number: int, **fields: Any) -> Callable[[FakeListing, dict[str, Any], int, int], Any]:
    """A tamper hook that sets envelope ``fields`` on page ``number`` (a callable gets the
    listing)."""

    def tamper(listing: FakeListing, body: dict[str, Any], page: int, size: int) -> Any:
        if page != number:
            return None
        if "_body" in fields:
            return fields["_body"]
        for key, value in fields.items():
            body[key] = value(listing) if callable(value) else value
        return None

    return tamper


def raised(kind: str, srv: HostileServer, prefetch: int) -> ClientError:
    with make_client(srv, prefetch=prefetch) as client, pytest.raises(ClientError) as info:
        bounded(lambda: LISTINGS[kind](client))
    return info.value


def assert_resumable(err: ClientError, page: int, size: int = 100) -> None:
    assert err.page == page, str(err)
    assert err.resume_offset == (page - 1) * size
    assert err.resume_params == {"page": page, "page_size": size}
    assert f"page {page}" in str(err)


# -- next links of the wrong type or shape --------------------------------------------------------

BAD_NEXT_VALUES: list[Any] = [5, True, {}, ["http://x/?page=2"], 1.5, False, 0]


@pytest.mark.parametrize("prefetch", [0, 4])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("page", [1, 2])
@pytest.mark.parametrize("value", BAD_NEXT_VALUES, ids=repr)
def test_next_of_the_wrong_type_is_a_typed_error(
    hostile: HostileServer, kind: str, prefetch: int, page: int, value: Any
) -> None:
    FakeListing(hostile, 350, tamper=on_page(page, next=value))
    err = raised(kind, hostile, prefetch)
    assert isinstance(err, ResponseValidationError) and err.path == "next"
    assert_resumable(err, page + 1)  # page `page` was delivered, its next link is refused


def _link(suffix: str) -> Callable[[FakeListing], str]:
    return lambda listing: f"{listing.srv.url}{suffix}"


NOT_URLS: dict[str, Any] = {
    "relative": "/sdk/tasks/?page=2",
    "relative-no-slash": "sdk/tasks/?page=2",
    "words": "not a url",
    "ftp": "ftp://127.0.0.1/sdk/tasks/?page=2",
    "scheme-relative": "//127.0.0.1:1/sdk/tasks/?page=2",
    "javascript": "javascript:alert(1)",
    "page-word": _link(f"{PATH}?page=abc"),
    "page-zero": _link(f"{PATH}?page=0"),
    "page-negative": _link(f"{PATH}?page=-1"),
    "page-twice": _link(f"{PATH}?page=2&page=3"),
    "page-huge": _link(f"{PATH}?page=99999999999999999999999"),
    "crlf-in-query": _link(f"{PATH}?page=2\r\nX-Injected: 1"),
}


@pytest.mark.parametrize("prefetch", [0, 4])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", sorted(NOT_URLS))
def test_next_that_is_not_a_usable_link_is_a_typed_error(
    hostile: HostileServer, kind: str, prefetch: int, name: str
) -> None:
    listing = FakeListing(hostile, 350, tamper=on_page(1, next=NOT_URLS[name]))
    err = raised(kind, hostile, prefetch)
    assert isinstance(err, ResponseValidationError) and err.path == "next", repr(err)
    assert_resumable(err, 2)
    assert [page for page, _ in listing.served] == [1]  # the link was never requested


URL_TRICKS: dict[str, str] = {
    "crlf-in-path": f"{PATH}\r\nX-Injected: 1?page=2",
    "nul": f"{PATH}\x00?page=2",
    "tab": f"{PATH}\t?page=2",
    "space": f"{PATH} HTTP/1.1?page=2",
    "fragment": f"{PATH}?page=2#frag",
    "too-long": f"{PATH}?page=2&pad={'a' * 9000}",
}


@pytest.mark.parametrize("prefetch", [0, 4])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", sorted(URL_TRICKS))
def test_next_with_control_characters_or_oversized_is_refused_with_resume_info(
    hostile: HostileServer, kind: str, prefetch: int, name: str
) -> None:
    listing = FakeListing(hostile, 350, tamper=on_page(1, next=_link(URL_TRICKS[name])))
    err = raised(kind, hostile, prefetch)
    # The URL parser refuses these (OriginError); an SDK-side refusal is a ResponseValidationError.
    assert isinstance(err, (OriginError, ResponseValidationError)), repr(err)
    assert getattr(err, "path", "next") == "next"
    assert_resumable(err, 2)
    assert [page for page, _ in listing.served] == [1]
    assert not [r for r in hostile.journal if "x-injected" in r.headers]


# -- another origin -------------------------------------------------------------------------------


def _other_origin_nexts(api: HostileServer, other: HostileServer) -> dict[str, str]:
    a, o = api.port, other.port
    return {
        "plain": f"http://127.0.0.1:{o}{PATH}?page=2",
        "backslash": f"http://127.0.0.1:{o}\\@127.0.0.1:{a}{PATH}?page=2",
        "userinfo-to-api": f"http://user:pw@127.0.0.1:{a}{PATH}?page=2",
        "userinfo-to-other": f"http://127.0.0.1:{a}@127.0.0.1:{o}{PATH}?page=2",
        "https-downgrade": f"https://127.0.0.1:{a}{PATH}?page=2",
        "localhost-alias": f"http://localhost:{a}{PATH}?page=2",
    }


@pytest.mark.parametrize("prefetch", [0, 4])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "name",
    [
        "plain",
        "backslash",
        "userinfo-to-api",
        "userinfo-to-other",
        "https-downgrade",
        "localhost-alias",
    ],
)
def test_next_on_another_origin_is_refused_and_never_reached(
    hostile_factory: Callable[[], HostileServer], kind: str, prefetch: int, name: str
) -> None:
    api, other = hostile_factory(), hostile_factory()
    other.json("/", {"count": 1, "next": None, "previous": None, "results": [{"id": 99}]})
    link = _other_origin_nexts(api, other)[name]
    listing = FakeListing(api, 350, tamper=on_page(1, next=link))
    err = raised(kind, api, prefetch)
    assert isinstance(err, OriginError), repr(err)
    assert_resumable(err, 2)
    assert other.journal == []
    assert not [r for r in other.journal if set(r.headers) & set(AUTH_HEADERS)]
    assert [page for page, _ in listing.served] == [1]


# -- malformed previous, count, results ----------------------------------------------------------

BAD_FIELDS: list[tuple[str, Any]] = [
    ("previous", 5),
    ("previous", {}),
    ("previous", True),
    ("previous", "http://x/\r\nX: y"),
    ("count", "10"),
    ("count", True),
    ("count", -1),
    ("count", 1.5),
    ("count", []),
    ("results", {}),
    ("results", None),
    ("results", "rows"),
    ("results", 5),
]


@pytest.mark.parametrize("prefetch", [0, 4])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("field", "value"), BAD_FIELDS, ids=repr)
def test_malformed_fields_on_a_later_page_name_the_field_and_the_page(
    hostile: HostileServer, kind: str, prefetch: int, field: str, value: Any
) -> None:
    FakeListing(hostile, 350, tamper=on_page(2, **{field: value}))
    err = raised(kind, hostile, prefetch)
    assert isinstance(err, ResponseValidationError) and err.path == field, repr(err)
    assert_resumable(err, 2)  # page 2 itself was refused: nothing of it delivered


@pytest.mark.parametrize("prefetch", [0, 4])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("body", ["oops", 5, None, True], ids=repr)
def test_a_later_page_that_is_not_an_envelope(
    hostile: HostileServer, kind: str, prefetch: int, body: Any
) -> None:
    FakeListing(hostile, 350, tamper=on_page(2, _body=body if body is not None else b"null"))
    err = raised(kind, hostile, prefetch)
    assert isinstance(err, ResponseValidationError) and err.path == "results", repr(err)
    assert_resumable(err, 2)


@pytest.mark.parametrize(("field", "value"), [*BAD_FIELDS, ("next", 5), ("next", "")], ids=repr)
def test_seed_first_page_form_checks_the_envelope(
    hostile: HostileServer, field: str, value: Any
) -> None:
    FakeListing(hostile, 350, tamper=on_page(1, **{field: value}))
    with make_client(hostile) as client, pytest.raises(ResponseValidationError) as info:
        client.list_tasks(params={"page_size": 100})
    assert info.value.path == field and "page 1" in str(info.value)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("field", "value"), BAD_FIELDS, ids=repr)
def test_malformed_first_page_is_a_typed_error_with_nothing_to_resume(
    hostile: HostileServer, kind: str, field: str, value: Any
) -> None:
    FakeListing(hostile, 350, tamper=on_page(1, **{field: value}))
    err = raised(kind, hostile, 0)
    assert isinstance(err, ResponseValidationError) and err.path == field
    assert err.page is None and "page 1" in str(err)

"""Route parity (house rule 5): every route the SDK declares is served by the local backend.

The routes come from the declarations (``synapse_sdk.resources.ENDPOINTS`` and
``synapse_sdk.uploads.CHUNKED_UPLOADS``), never from a hand-written list. Each one is sent to a
``LocalBackend(seed="demo")`` with a real demo id, through urllib3 directly (not the client, so a
client bug cannot hide a missing route). Write routes get an empty JSON body: a 400 for it is
fine. What fails is the backend's answer for an unknown route (404 ``{"detail": "Not found."}``
-- the demo ids exist, so a 404 cannot be about the object), a 405, or a 5xx.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
import urllib3

from synapse_sdk._endpoint import Action, Endpoint, IdKind
from synapse_sdk.devserver import LocalBackend
from synapse_sdk.resources import ENDPOINTS
from synapse_sdk.uploads import CHUNKED_UPLOADS

DECLARATIONS: list[Endpoint] = [*ENDPOINTS.values(), CHUNKED_UPLOADS]
ROUTE_NOT_FOUND = {"detail": "Not found."}


@attrs.frozen
class Route:
    """One declared route: the endpoint family, the method, the path template, its id kind and
    whether its id is a credential (``agents/{token}/connect/``)."""

    family: str
    method: str
    template: str
    id_kind: IdKind
    secret: bool = False

    @property
    def detail(self) -> bool:
        return "{id}" in self.template

    def __str__(self) -> str:
        return f"{self.method} {self.template}"


# A valid id of each kind that cannot occur in a path, to turn action paths back into templates.
_PLACEHOLDERS: dict[IdKind, object] = {
    "int": 987654321,
    "lookup": "route-parity-placeholder",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "int_or_uuid": 987654321,
}


def _action_of(endpoint: Endpoint, method: str, template: str) -> Action | None:
    """The detail action that produces a route, if any (to read its own id kind and flags)."""
    for name, action in endpoint.actions.items():
        if not action.detail:
            continue
        placeholder = _PLACEHOLDERS[action.id_kind or endpoint.id_kind]
        action_method, path = endpoint.action_path(name, placeholder)
        if (action_method, path.replace(str(placeholder), "{id}")) == (method, template):
            return action
    return None


def _route(endpoint: Endpoint, method: str, template: str) -> Route:
    action = _action_of(endpoint, method, template)
    kind = action.id_kind if action is not None and action.id_kind else endpoint.id_kind
    secret = action is not None and action.secret
    return Route(endpoint.name, method, template, kind, secret)


def declared_routes() -> list[Route]:
    return [
        _route(endpoint, method, template)
        for endpoint in DECLARATIONS
        for method, template in endpoint.routes()
    ]


ROUTES = declared_routes()


@attrs.define
class Probe:
    """The running backend, a connection pool, and a real id per endpoint family."""

    backend: LocalBackend
    pool: urllib3.PoolManager
    ids: dict[str, object]
    codes: dict[str, str]

    def send(self, method: str, path: str, **kwargs: Any) -> urllib3.BaseHTTPResponse:
        headers = {"Synapse-Access-Token": f"Token {self.backend.api_token}"}
        headers.update(kwargs.pop("headers", {}))
        if method != "GET" and "fields" not in kwargs:
            kwargs["json"] = {}
        return self.pool.request(
            method,
            f"{self.backend.url}/{path}",
            headers=headers,
            redirect=False,
            retries=False,
            timeout=10.0,
            **kwargs,
        )


def demo_id(backend: LocalBackend, endpoint: Endpoint) -> object | None:
    """A real object of the family, from the demo seed, found by the family's name or its
    path's last segment, plural or singular (``ground_truth_dataset_versions/`` ->
    ``demo["ground_truth_dataset_version"]``); ``None`` when the seed has none."""
    stem = endpoint.path.rstrip("/").rsplit("/", 1)[-1]
    for key in (endpoint.name, endpoint.name[:-1], stem, stem[:-1]):
        value = backend.demo.get(key)
        if value:
            return value[0] if isinstance(value, list) else value
    return None


def needs_demo_id(endpoint: Endpoint) -> bool:
    """Whether the family has a detail route keyed by an object id (not by a credential)."""
    return any(r.detail and not r.secret for r in ROUTES if r.family == endpoint.name)


def _start_chunked_upload(probe: Probe) -> str:
    """Start an upload (first byte of two) so the ``chunked_upload/{id}/`` routes have an id."""
    answer = probe.send(
        "PUT",
        CHUNKED_UPLOADS.path,
        fields={"file": ("parity.bin", b"x", "application/octet-stream")},
        headers={"Content-Range": "bytes 0-0/2"},
    )
    assert answer.status == 200, answer.data
    upload_id: str = json.loads(answer.data)["id"]
    return upload_id


def _lookup_codes(probe: Probe) -> dict[str, str]:
    """String forms of lookup ids: ``code`` for a plugin, ``code@version`` for a release."""
    code = probe.backend.demo["plugin_code"]
    release = probe.send("GET", f"plugin_releases/{probe.ids['plugin_releases']}/")
    version = json.loads(release.data)["version"]
    return {"plugins": code, "plugin_releases": f"{code}@{version}"}


@pytest.fixture(scope="module")
def probe() -> Iterator[Probe]:
    with LocalBackend(seed="demo") as backend:
        pool = urllib3.PoolManager(num_pools=1, maxsize=1)
        try:
            ids = {e.name: demo_id(backend, e) for e in ENDPOINTS.values() if needs_demo_id(e)}
            probe = Probe(backend, pool, ids, {})
            probe.ids[CHUNKED_UPLOADS.name] = _start_chunked_upload(probe)
            probe.codes.update(_lookup_codes(probe))
            yield probe
        finally:
            pool.clear()


def assert_served(route: Route, path: str, answer: urllib3.BaseHTTPResponse) -> None:
    where = f"{route.method} {path} (declared as {route.template!r} by {route.family!r})"
    try:
        body = json.loads(answer.data) if answer.data else None
    except ValueError:
        body = answer.data[:200]
    assert answer.status != 405, f"{where}: the backend serves the path but not the method"
    assert not (answer.status == 404 and body == ROUTE_NOT_FOUND), (
        f"{where}: the backend has no such route"
    )
    assert answer.status < 500, f"{where}: the backend failed with {answer.status}: {body}"


def test_every_family_has_routes_and_a_demo_id(probe: Probe) -> None:
    assert len(ROUTES) >= 40, "fewer routes than expected: is a declaration missing?"
    assert {r.family for r in ROUTES} == {e.name for e in DECLARATIONS}
    missing = sorted(name for name, pk in probe.ids.items() if pk is None)
    assert not missing, f"the demo seed has no object of these families: {missing}"


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_declared_route_is_served(probe: Probe, route: Route) -> None:
    pk = probe.backend.agent_token if route.secret else probe.ids.get(route.family, "")
    path = route.template.replace("{id}", str(pk))
    assert_served(route, path, probe.send(route.method, path))


def test_an_unknown_route_is_told_apart(probe: Probe) -> None:
    """The check above can fail: a route nobody declares answers the route-404."""
    answer = probe.send("GET", "no_such_family/1/")
    assert answer.status == 404 and json.loads(answer.data) == ROUTE_NOT_FOUND
    answer = probe.send("DELETE", f"projects/{probe.ids['projects']}/")
    assert answer.status == 405


# Routes declared with ``lookup`` ids also take a code (``demo-plugin``, ``demo-plugin@1.0.0``).
LOOKUP_ROUTES = [
    route for route in ROUTES if route.detail and route.id_kind == "lookup" and not route.secret
]


@pytest.mark.parametrize("route", LOOKUP_ROUTES)
def test_lookup_route_takes_a_code(probe: Probe, route: Route) -> None:
    path = route.template.replace("{id}", probe.codes[route.family])
    assert_served(route, path, probe.send(route.method, path))

"""Filter parity: the local backend reads exactly the filters and orderings the client declares.

The client's side comes from the declarations: ``Endpoint.filters`` (derived from the family's
filters ``TypedDict``, the single source) and ``Endpoint.ordering``. The local backend's side comes
from its list routes' ``Listing`` declarations (``api_listings()``), the very objects its handlers
filter and order with. The two never import each other (tests/meta/test_layering.py); this test
imports both.

Every deliberate difference is listed once, in ``DIFFERENCES``, with its reason. A listed
difference that no longer exists fails too, so the list cannot go stale.

A second check sends each declared filter to a running local backend in the client's encoding:
a well-typed value must be read (200), and for int, bool and datetime filters a value of the wrong
kind must be refused (400 naming the filter), so both sides agree on each filter's kind.
"""

from __future__ import annotations

import ast
import datetime as dt
import inspect
import json
import textwrap
from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import pytest
import urllib3

from synapse_sdk import resources
from synapse_sdk._endpoint import Endpoint, FilterKind
from synapse_sdk.devserver import LocalBackend
from synapse_sdk.devserver._handlers import api_listings
from synapse_sdk.resources import ENDPOINTS, ReadManager


@attrs.frozen
class Difference:
    """A deliberate difference between the client and the local backend on one list path.

    Attributes:
        reason: Why the difference is there (required).
        backend_only: Filters only the local backend reads.
        client_only: Filters only the client declares.
        backend_only_ordering: Ordering fields only the local backend accepts.
        client_only_ordering: Ordering fields only the client allows.
        unclaimed: The local backend serves this list, but no typed family declares it.
    """

    reason: str
    backend_only: frozenset[str] = frozenset()
    client_only: frozenset[str] = frozenset()
    backend_only_ordering: frozenset[str] = frozenset()
    client_only_ordering: frozenset[str] = frozenset()
    unclaimed: bool = False


# The one place where the client and the local backend may disagree on filters and orderings.
DIFFERENCES: dict[str, Difference] = {}


@attrs.frozen
class Side:
    """What one side accepts on a list path."""

    filters: frozenset[str]
    ordering: frozenset[str]


def client_side() -> dict[str, tuple[str, Side]]:
    """List path -> (family, what the client declares), for every family that can be listed."""
    return {
        e.listing_path: (e.name, Side(frozenset(e.filters), e.ordering))
        for e in ENDPOINTS.values()
        if "list" in e.ops
    }


def backend_side() -> dict[str, Side]:
    """List path -> what the local backend reads."""
    return {
        path: Side(frozenset(listing.filters), listing.ordering)
        for path, listing in api_listings().items()
    }


def _compare(
    path: str, what: str, client: frozenset[str], backend: frozenset[str], diff: Difference
) -> list[str]:
    allowed_backend = diff.backend_only if what == "filters" else diff.backend_only_ordering
    allowed_client = diff.client_only if what == "filters" else diff.client_only_ordering
    problems = []
    backend_only, client_only = backend - client, client - backend
    for name in sorted(backend_only - allowed_backend):
        problems.append(
            f"{path}: the local backend reads {what[:-1] if what == 'filters' else what} "
            f"{name!r} but the client does not declare it: declare it in the family's "
            "TypedDict if the real backend supports it, else drop it from the local backend "
            "(or list it in DIFFERENCES with a reason)"
        )
    for name in sorted(client_only - allowed_client):
        problems.append(
            f"{path}: the client declares {what[:-1] if what == 'filters' else what} {name!r} "
            "but the local backend ignores it"
        )
    for name in sorted((allowed_backend - backend_only) | (allowed_client - client_only)):
        problems.append(f"{path}: DIFFERENCES lists {what} {name!r}, which no longer differs")
    return problems


def parity_problems(
    client: Mapping[str, tuple[str, Side]],
    backend: Mapping[str, Side],
    differences: Mapping[str, Difference],
) -> list[str]:
    """Every disagreement between the two sides that ``differences`` does not explain."""
    problems: list[str] = []
    for path, diff in differences.items():
        if not diff.reason.strip():
            problems.append(f"{path}: a difference needs a reason")
        if diff.unclaimed and (path in client or path not in backend):
            problems.append(f"{path}: listed as unclaimed, but it is not a backend-only list")
        if path not in client and path not in backend:
            problems.append(f"{path}: DIFFERENCES names a list path neither side has")
    for path in sorted(set(backend) - set(client)):
        if not differences.get(path, Difference("")).unclaimed:
            problems.append(
                f"{path}: the local backend lists it, no client family declares it "
                "(declare the family, or list it as unclaimed in DIFFERENCES)"
            )
    for path, (family, side) in sorted(client.items()):
        if path not in backend:
            problems.append(f"{path}: family {family!r} lists it, the local backend does not")
            continue
        diff = differences.get(path, Difference(""))
        problems += _compare(path, "filters", side.filters, backend[path].filters, diff)
        problems += _compare(path, "ordering", side.ordering, backend[path].ordering, diff)
    return problems


def test_the_local_backend_reads_exactly_the_declared_filters_and_orderings() -> None:
    problems = parity_problems(client_side(), backend_side(), DIFFERENCES)
    assert not problems, "\n".join(["", *problems])


def test_every_family_that_lists_is_covered() -> None:
    families = {family for family, _ in client_side().values()}
    assert families == {e.name for e in ENDPOINTS.values() if "list" in e.ops}
    assert len(families) >= 14, "fewer list families than expected: is a declaration missing?"
    assert len(backend_side()) >= 15, "fewer local list routes than expected"


def test_the_check_finds_each_kind_of_drift() -> None:
    """A missing, an extra and a stale entry are each reported (the check above can fail)."""
    client = {
        "things/": ("things", Side(frozenset({"a", "b"}), frozenset({"id"}))),
        "gone/": ("gone", Side(frozenset(), frozenset({"id"}))),
    }
    backend = {
        "things/": Side(frozenset({"a", "c"}), frozenset({"id", "name"})),
        "extra/": Side(frozenset(), frozenset({"id"})),
    }
    differences = {"things/": Difference("x", client_only=frozenset({"z"}))}
    problems = "\n".join(parity_problems(client, backend, differences))
    assert "reads filter 'c'" in problems
    assert "declares filter 'b'" in problems
    assert "reads ordering 'name'" in problems
    assert "lists filters 'z', which no longer differs" in problems
    assert "extra/: the local backend lists it" in problems
    assert "gone/: family 'gone' lists it, the local backend does not" in problems
    explained = {
        "things/": Difference(
            "test",
            backend_only=frozenset({"c"}),
            client_only=frozenset({"b"}),
            backend_only_ordering=frozenset({"name"}),
        ),
        "extra/": Difference("test", unclaimed=True),
    }
    assert parity_problems({"things/": client["things/"]}, backend, explained) == []


# -- one TypedDict per family: documented keys, used by the manager's filter() -----------------


FILTERED = [e for e in ENDPOINTS.values() if e.filters_type is not None]


def test_every_listing_family_declares_its_filters_with_a_typeddict() -> None:
    missing = [e.name for e in ENDPOINTS.values() if "list" in e.ops and e.filters_type is None]
    assert not missing, f"families without a filters TypedDict: {missing}"


def _undocumented_keys(source: type) -> list[str]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(source)))
    body = tree.body[0]
    assert isinstance(body, ast.ClassDef)
    missing = []
    statements = body.body
    for i, stmt in enumerate(statements):
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            after = statements[i + 1] if i + 1 < len(statements) else None
            documented = (
                isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
                and after.value.value.strip()
            )
            if not documented:
                missing.append(stmt.target.id)
    return missing


@pytest.mark.parametrize("endpoint", FILTERED, ids=lambda e: e.name)
def test_every_filter_has_a_docstring(endpoint: Endpoint) -> None:
    assert endpoint.filters_type is not None
    missing = _undocumented_keys(endpoint.filters_type)
    assert not missing, (
        f"{endpoint.filters_type.__name__}: put a string literal under each key: {missing}"
    )


MANAGERS = [
    obj
    for obj in (getattr(resources, name) for name in resources.__all__)
    if isinstance(obj, type) and issubclass(obj, ReadManager) and "endpoint" in vars(obj)
]
# Families listed without a typed ``filter()``: ``all().filter(...)`` checks them at runtime only.
UNTYPED_FILTER = {"agents"}


def test_every_listing_manager_has_a_typed_filter() -> None:
    untyped = {
        m.endpoint.name for m in MANAGERS if "list" in m.endpoint.ops and "filter" not in vars(m)
    }
    assert untyped == UNTYPED_FILTER


@pytest.mark.parametrize(
    "manager", [m for m in MANAGERS if "filter" in vars(m)], ids=lambda m: m.__name__
)
def test_filter_is_typed_by_the_declared_typeddict(manager: type[ReadManager[Any]]) -> None:
    """``filter(**filters: Unpack[XFilters])`` names the TypedDict the runtime kinds come from."""
    method = vars(manager)["filter"]
    source = manager.endpoint.filters_type
    assert source is not None
    parameters = list(inspect.signature(method).parameters.values())[1:]
    assert [p.kind for p in parameters] == [inspect.Parameter.VAR_KEYWORD], (
        f"{manager.__name__}.filter should take only **filters: Unpack[{source.__name__}]"
    )
    assert parameters[0].annotation == f"Unpack[{source.__name__}]"


# -- both sides read each value the same way ----------------------------------------------------

GOOD: dict[FilterKind, object] = {
    "int": 1,
    "ints": [1, 2],
    "bool": True,
    "str": "x",
    "strs": ["a", "b"],
    "datetime": dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc),
    "lookup": "demo-plugin",
    "any": "x",
}
BAD: dict[FilterKind, str] = {"int": "x", "ints": "1,x", "bool": "maybe", "datetime": "yesterday"}

FILTER_CASES = [
    pytest.param(e, name, kind, id=f"{e.name}.{name}")
    for e in ENDPOINTS.values()
    if "list" in e.ops
    for name, kind in e.filters.items()
]


@attrs.define
class Probe:
    backend: LocalBackend
    pool: urllib3.PoolManager

    def get(self, path: str, query: Mapping[str, str]) -> urllib3.BaseHTTPResponse:
        return self.pool.request(
            "GET",
            f"{self.backend.url}/{path}",
            fields=dict(query),
            headers={"Synapse-Access-Token": f"Token {self.backend.api_token}"},
            retries=False,
            timeout=10.0,
        )


@pytest.fixture(scope="module")
def probe() -> Iterator[Probe]:
    with LocalBackend(seed="demo") as backend:
        pool = urllib3.PoolManager(num_pools=1, maxsize=1)
        try:
            yield Probe(backend, pool)
        finally:
            pool.clear()


@pytest.mark.parametrize(("endpoint", "name", "kind"), FILTER_CASES)
def test_the_backend_reads_the_client_encoding(
    probe: Probe, endpoint: Endpoint, name: str, kind: FilterKind
) -> None:
    choices = sorted(endpoint.choices.get(name, ()))  # enum-typed: one of the backend's values
    value = {name: (choices[0] if kind == "str" else choices[:2]) if choices else GOOD[kind]}
    endpoint.check_filters(value)  # the sample is of the declared kind
    answer = probe.get(endpoint.listing_path, endpoint.encode_filters(value))
    assert answer.status == 200, (endpoint.listing_path, name, answer.data[:300])


BAD_CASES = [case for case in FILTER_CASES if case.values[2] in BAD]


@pytest.mark.parametrize(("endpoint", "name", "kind"), BAD_CASES)
def test_the_backend_refuses_a_value_of_another_kind(
    probe: Probe, endpoint: Endpoint, name: str, kind: FilterKind
) -> None:
    answer = probe.get(endpoint.listing_path, {name: BAD[kind]})
    assert answer.status == 400, (
        f"{endpoint.listing_path}?{name}={BAD[kind]}: the client declares {kind}, the local "
        f"backend answered {answer.status}"
    )
    assert name in json.loads(answer.data)

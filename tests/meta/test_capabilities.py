"""Capabilities in the types, one registry (issue "One declaration per endpoint", items 2, 3, 8).

* every family's manager exposes exactly the operations its endpoint declares (``ops``), and a
  mismatched declaration fails when the class is created;
* no manager or resource method raises ``NotImplementedError``: an unsupported operation is
  absent (``AttributeError``), on the manager and on its resources (``save``/``delete``/...);
* ids are typed per family (``int``, or ``int | str`` where the backend takes codes);
* every navigation descriptor names a registered class, and every foreign-key field has one;
* the registry (``resources.Managers``) is the client's attributes, ``ENDPOINTS`` and the API
  reference's manager list.
"""

from __future__ import annotations

import inspect
import json
import re
import typing
import uuid
from pathlib import Path
from typing import Any

import attrs
import pytest

import synapse_sdk.resources as resources
from synapse_sdk import BackendClient
from synapse_sdk._endpoint import Endpoint
from synapse_sdk.resources import (
    ENDPOINTS,
    FAMILIES,
    BaseManager,
    BaseResource,
    DeletableResource,
    DetailManager,
    ForeignKey,
    Managers,
    ReadManager,
    Related,
    Resource,
    SavableResource,
)
from synapse_sdk.resources._manager import OP_METHODS, capabilities
from synapse_sdk.resources._relations import relations

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "reference.md"
CLASSES = list(FAMILIES.values())
IDS = [cls.endpoint.name for cls in CLASSES]
#: The public method of each operation, and whether a resource of the family carries it.
RESOURCE_METHODS = {"get": ("refresh", "fetch"), "update": ("save",), "delete": ("delete",)}


def declared(endpoint: Endpoint) -> set[str]:
    return {"update" if op == "partial_update" else op for op in endpoint.ops}


def _has_op(cls: type[BaseManager[Any]], method: str) -> bool:
    """Whether the family's endpoint declares an op served by the manager method ``method``."""
    return any(OP_METHODS[op] == method for op in cls.endpoint.ops)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_the_manager_exposes_exactly_the_declared_ops(cls: type[BaseManager[Any]]) -> None:
    assert capabilities(cls) == declared(cls.endpoint)
    for method in set(OP_METHODS.values()):
        present = callable(getattr(cls, method, None))
        assert present == _has_op(cls, method), f"{cls.__name__}.{method}: {cls.endpoint.ops}"


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_unsupported_calls_are_attribute_errors(cls: type[BaseManager[Any]]) -> None:
    """On the client's manager, a scoped copy and the raw-JSON twins (``delete_json`` ...)."""
    client = BackendClient("http://127.0.0.1:1", api_token="x")
    try:
        manager = getattr(client, cls.endpoint.name)
        raw = {"get": "fetch_json", "create": "create_json", "update": "update_json"}
        raw |= {"delete": "delete_json", "all": "list_json"}
        for method in set(OP_METHODS.values()):
            if _has_op(cls, method):
                continue
            for target in (manager, manager.scoped(x=1)):
                for name in (method, raw.get(method, method)):
                    with pytest.raises(AttributeError):
                        getattr(target, name)
    finally:
        client.close()


_CHAIN = [DeletableResource, SavableResource, Resource, BaseResource]


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_resources_carry_only_their_endpoints_ops(cls: type[BaseManager[Any]]) -> None:
    ops = declared(cls.endpoint)
    for op, methods in RESOURCE_METHODS.items():
        for method in methods:
            assert hasattr(cls.resource, method) == (op in ops), f"{cls.resource.__name__}.{method}"
    expected = (
        DeletableResource
        if "delete" in ops
        else SavableResource
        if "update" in ops
        else Resource
        if "get" in ops
        else BaseResource
    )
    strongest = next(base for base in _CHAIN if issubclass(cls.resource, base))
    assert strongest is expected, f"{cls.resource.__name__} should derive from {expected.__name__}"


def _public_functions(cls: type) -> list[tuple[str, Any]]:
    return [
        (name, member)
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") and (inspect.isfunction(member) or isinstance(member, property))
    ]


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_no_method_raises_not_implemented(cls: type[BaseManager[Any]]) -> None:
    """Every public method of every manager and resource class (bases included) is read: none
    raises ``NotImplementedError`` or asks the endpoint whether it ``require``s an op."""
    for owner in (cls, cls.resource):
        for name, member in _public_functions(owner):
            function = member.fget if isinstance(member, property) else member
            source = inspect.getsource(function)
            assert "NotImplementedError" not in source, f"{owner.__name__}.{name}"
            assert ".require(" not in source, f"{owner.__name__}.{name}"


def test_a_mismatched_declaration_fails_at_class_creation() -> None:
    with pytest.raises(TypeError, match=r"exposes \['get', 'list'\].*declares \['list'\]"):

        class WidgetManager(DetailManager[Any, int]):  # a detail manager on a list-only endpoint
            endpoint = ENDPOINTS["ground_truth_events"]

    nothing = Endpoint(name="widgets", path="widgets/", ops=frozenset())
    with pytest.raises(TypeError, match="pick the capability base"):
        type("WidgetManager", (ReadManager,), {"endpoint": nothing})


_ID_TYPES: dict[str, object] = {
    "int": int,
    "lookup": int | str,
    "int_or_uuid": int | str | uuid.UUID,  # job ids
}


def _id_type(cls: type) -> object:
    """The ``K`` a family's manager binds (``CreateManager[Task, int]`` -> ``int``)."""
    for klass in cls.__mro__:
        for base in getattr(klass, "__orig_bases__", ()):
            args = typing.get_args(base)
            if len(args) == 2:
                return args[1]
    raise AssertionError(f"{cls.__name__} binds no id type")


@pytest.mark.parametrize("cls", [c for c in CLASSES if "get" in c.endpoint.ops], ids=str)
def test_ids_are_typed_per_family(cls: type[BaseManager[Any]]) -> None:
    assert _id_type(cls) == _ID_TYPES[cls.endpoint.id_kind], cls.endpoint.name


def test_only_code_taking_families_accept_strings() -> None:
    takes_codes = {
        c.endpoint.name for c in CLASSES if "get" in c.endpoint.ops and _id_type(c) is not int
    }
    assert takes_codes == {"plugin_releases", "jobs"}  # jobs: UUID strings, not codes


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_every_foreign_key_field_is_navigable(cls: type[BaseManager[Any]]) -> None:
    resource = cls.resource
    keys = {f.name for f in attrs.fields(resource) if f.metadata.get("fk")}
    navigated = {r.attr for r in relations(resource) if isinstance(r, ForeignKey)}
    assert keys == navigated, f"{resource.__name__}: declare a ForeignKey for {keys - navigated}"
    resources = {c.resource.__name__ for c in CLASSES}
    managers = {c.__name__ for c in CLASSES}
    for relation in relations(resource):
        known = resources if isinstance(relation, ForeignKey) else managers
        assert relation.target in known, f"{resource.__name__}.{relation.name}"


def test_relations_are_declared_in_the_class_not_by_strings_in_methods() -> None:
    """No family module spells another family's name to navigate (``related("projects")``)."""
    for path in sorted((ROOT / "synapse_sdk" / "resources").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"related\(\s*[\"']", text), path.name
        assert "_related(" not in text, path.name
        assert not re.search(r"fk\(\s*\"\w+\",\s*\"", text), path.name


def test_related_descriptors_resolve_to_the_registered_manager_classes() -> None:
    found = {
        (cls.resource.__name__, r.name): r.target
        for cls in CLASSES
        for r in relations(cls.resource)
        if isinstance(r, Related)
    }
    assert found[("Project", "tasks")] == "TaskManager"
    assert found[("Plugin", "releases")] == "PluginReleaseManager"


def test_the_registry_is_the_client() -> None:
    hints = typing.get_type_hints(Managers)
    assert list(hints) == list(FAMILIES) == list(ENDPOINTS)
    assert all(hints[name] is cls and cls.endpoint.name == name for name, cls in FAMILIES.items())
    client = BackendClient("http://127.0.0.1:1", api_token="x")
    try:
        for name, cls in FAMILIES.items():
            assert type(getattr(client, name)) is cls
            assert client._ctx.manager(cls) is getattr(client, name)
        clone = client.with_options(timeout=5)
        assert all(type(getattr(clone, name)) is cls for name, cls in FAMILIES.items())
    finally:
        client.close()


def _reference_managers() -> set[str]:
    """The manager classes docs/reference.md renders from ``synapse_sdk.resources``."""
    text = REFERENCE.read_text(encoding="utf-8")
    block = text.split("## Managers", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"filters: (\[.*\])", block)
    assert match, "the managers block should select classes with a filter"
    patterns = json.loads(match.group(1))

    rules = [(re.compile(p[1:] if p.startswith("!") else p), p.startswith("!")) for p in patterns]

    def shown(name: str) -> bool:  # mkdocstrings' rule: the last matching filter decides
        keep = None
        for regex, exclude in rules:
            if regex.search(name):
                keep = not exclude
        return keep if keep is not None else {e for _, e in rules} != {False}

    return {name for name in resources.__all__ if shown(name)}


def test_the_reference_lists_exactly_the_registered_managers() -> None:
    assert _reference_managers() == {cls.__name__ for cls in CLASSES}

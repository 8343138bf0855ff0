"""Imports go one way (architecture guide, "Data flows one way" and house rule 2).

An ``ast`` scan of every module under ``synapse_sdk/``, without importing any of them:

* only ``synapse_sdk/_http/`` imports urllib3 (the transport is the one door to the network);
* ``synapse_sdk/devserver/`` imports nothing of the client, and the client never imports it;
* every other import of ``synapse_sdk`` points to the same layer or a lower one.

Imports inside ``if TYPE_CHECKING:`` are exempt from the layer rule only (annotations may name a
higher layer; nothing runs). Each violation is reported as ``path:line``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = ROOT / "synapse_sdk"

# Lowest first. A module may import its own layer and the layers below it.
LAYERS: dict[str, int] = {
    "synapse_sdk._exceptions": 0,
    "synapse_sdk._gcpause": 0,  # the collector pause: standard library only
    "synapse_sdk._http": 1,
    "synapse_sdk._async": 1,  # async twins: a thread pool over the sync API (no I/O of its own)
    "synapse_sdk._progress": 1,
    "synapse_sdk._query": 2,
    "synapse_sdk._endpoint": 2,
    "synapse_sdk._converter": 2,
    "synapse_sdk._url_conversion": 2,
    "synapse_sdk._transfer": 2,  # upload/download engine: resources and uploads both use it
    "synapse_sdk._export": 2,  # resumable exports: uses the query and transfer engines
    "synapse_sdk.resources": 3,
    "synapse_sdk.uploads": 4,
    "synapse_sdk.clients": 5,
    "synapse_sdk": 6,  # the package's __init__: the public door
    "synapse_sdk._cli": 7,  # the `synapse` command: a user of the public door
}
DEVSERVER = "synapse_sdk.devserver"
HTTP = "synapse_sdk._http"


@attrs.frozen
class Import:
    """One import found in a module: who imports what, where, and whether only for typing."""

    source: str
    target: str
    path: Path
    line: int
    type_checking: bool

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = frozenset(module_name(p) for p in PACKAGE_DIR.rglob("*.py"))


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _resolve(source: str, is_package: bool, module: str | None, level: int) -> str:
    """The absolute name of ``from <.. module> import``."""
    if level == 0:
        return module or ""
    package = source.split(".") if is_package else source.split(".")[:-1]
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _targets(node: ast.Import | ast.ImportFrom, source: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = _resolve(source, is_package, node.module, node.level)
    # ``from pkg import sub`` imports the submodule ``pkg.sub`` when there is one, else a name
    # defined in ``pkg`` (which runs ``pkg/__init__``).
    targets = {
        f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
        for alias in node.names
    }
    return sorted(targets)


def _walk(
    tree: ast.AST, source: str, path: Path, is_package: bool, type_checking: bool = False
) -> Iterator[Import]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                yield from _walk_node(child, source, path, is_package, True)
            for child in node.orelse:
                yield from _walk_node(child, source, path, is_package, type_checking)
            continue
        yield from _walk_node(node, source, path, is_package, type_checking)


def _walk_node(
    node: ast.AST, source: str, path: Path, is_package: bool, type_checking: bool
) -> Iterator[Import]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        for target in _targets(node, source, is_package):
            yield Import(source, target, path, node.lineno, type_checking)
        return
    if (
        isinstance(node, ast.Call)
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "__import__")
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
        )
    ):
        yield Import(source, node.args[0].value, path, node.lineno, type_checking)
    yield from _walk(node, source, path, is_package, type_checking)


def imports_of(path: Path, text: str) -> list[Import]:
    """Every import in the module at ``path`` whose source is ``text``."""
    tree = ast.parse(text, filename=str(path))
    return list(_walk(tree, module_name(path), path, path.name == "__init__.py"))


def scan() -> list[Import]:
    found: list[Import] = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        found.extend(imports_of(path, path.read_text(encoding="utf-8")))
    return found


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def layer_of(name: str) -> int | None:
    """The layer of module ``name``: its longest registered prefix (``None`` if unregistered)."""
    best: str | None = None
    for prefix in LAYERS:
        if _within(name, prefix) and (best is None or len(prefix) > len(best)):
            best = prefix
    return None if best is None else LAYERS[best]


def _layer_name(name: str) -> str:
    return max((p for p in LAYERS if _within(name, p)), key=len)


IMPORTS = scan()


def report(violations: list[str]) -> str:
    return "\n".join(["", *violations])


def test_the_scan_sees_the_package() -> None:
    sources = {i.source for i in IMPORTS}
    for expected in ("synapse_sdk", "synapse_sdk._http._transport", "synapse_sdk.clients.backend"):
        assert expected in sources
    assert any(i.type_checking for i in IMPORTS), "no TYPE_CHECKING import found: scan is broken"
    assert any(i.target == "urllib3" and _within(i.source, HTTP) for i in IMPORTS)
    assert any(_within(i.target, DEVSERVER) and i.source.startswith(DEVSERVER) for i in IMPORTS), (
        "relative imports inside devserver were not resolved"
    )


def test_resolving_relative_imports() -> None:
    assert _resolve("a.b.c", False, "d", 1) == "a.b.d"
    assert _resolve("a.b", True, "d", 1) == "a.b.d"
    assert _resolve("a.b.c", False, None, 2) == "a"
    assert _resolve("a.b", True, None, 2) == "a"


def test_the_scan_finds_every_kind_of_import() -> None:
    text = """
import urllib3.util
from typing import TYPE_CHECKING
from . import _pages
from .. import _endpoint
from synapse_sdk import resources, __version__
if TYPE_CHECKING:
    from synapse_sdk.clients.backend import BackendClient
else:
    from synapse_sdk.uploads import UploadManager
def lazy():
    import importlib
    return importlib.import_module("synapse_sdk.devserver")
"""
    found = imports_of(PACKAGE_DIR / "_query" / "_fake.py", text)
    seen = {(i.target, i.line, i.type_checking) for i in found}
    assert ("urllib3.util", 2, False) in seen
    assert ("synapse_sdk._query._pages", 4, False) in seen
    assert ("synapse_sdk._endpoint", 5, False) in seen
    assert ("synapse_sdk.resources", 6, False) in seen
    assert ("synapse_sdk", 6, False) in seen  # __version__ runs the package's __init__
    assert ("synapse_sdk.clients.backend", 8, True) in seen
    assert ("synapse_sdk.uploads", 10, False) in seen
    assert ("synapse_sdk.devserver", 13, False) in seen


def test_every_module_has_a_layer() -> None:
    missing = sorted(m for m in MODULES if not _within(m, DEVSERVER) and layer_of(m) is None)
    assert not missing, f"give these modules a layer in LAYERS: {missing}"


def test_only_http_imports_urllib3() -> None:
    violations = [
        f"{i.where}: {i.source} imports {i.target} (only synapse_sdk._http may)"
        for i in IMPORTS
        if _within(i.target, "urllib3") and not _within(i.source, HTTP)
    ]
    assert not violations, report(violations)


def test_devserver_imports_nothing_of_the_client() -> None:
    violations = [
        f"{i.where}: {i.source} imports {i.target} (the devserver must stand alone)"
        for i in IMPORTS
        if _within(i.source, DEVSERVER)
        and _within(i.target, "synapse_sdk")
        and not _within(i.target, DEVSERVER)
    ]
    assert not violations, report(violations)


def test_the_client_never_imports_the_devserver() -> None:
    violations = [
        f"{i.where}: {i.source} imports {i.target} (the client must not depend on the devserver)"
        for i in IMPORTS
        if not _within(i.source, DEVSERVER) and _within(i.target, DEVSERVER)
    ]
    assert not violations, report(violations)


def test_imports_only_go_downward() -> None:
    violations = []
    for i in IMPORTS:
        if i.type_checking or _within(i.source, DEVSERVER):
            continue
        if not _within(i.target, "synapse_sdk") or _within(i.target, DEVSERVER):
            continue
        source_layer, target_layer = layer_of(i.source), layer_of(i.target)
        if source_layer is None or target_layer is None:
            continue  # reported by test_every_module_has_a_layer
        if target_layer > source_layer:
            violations.append(
                f"{i.where}: {i.source} (layer {_layer_name(i.source)}) imports {i.target} "
                f"(higher layer {_layer_name(i.target)})"
            )
    assert not violations, report(violations)


@pytest.mark.parametrize(
    ("source", "target", "allowed"),
    [
        ("synapse_sdk._http._session", "synapse_sdk._exceptions", True),
        ("synapse_sdk._http._session", "synapse_sdk._query", False),
        ("synapse_sdk._query._queryset", "synapse_sdk._endpoint", True),
        ("synapse_sdk._query._queryset", "synapse_sdk.resources", False),
        ("synapse_sdk.resources.tasks", "synapse_sdk.uploads", False),
        ("synapse_sdk.uploads._files", "synapse_sdk.resources.data", True),
        ("synapse_sdk.uploads._files", "synapse_sdk.clients.backend", False),
        ("synapse_sdk.clients.backend", "synapse_sdk.uploads", True),
        ("synapse_sdk.clients.backend", "synapse_sdk", False),
    ],
)
def test_the_layer_order(source: str, target: str, allowed: bool) -> None:
    source_layer, target_layer = layer_of(source), layer_of(target)
    assert source_layer is not None and target_layer is not None
    assert (target_layer <= source_layer) is allowed

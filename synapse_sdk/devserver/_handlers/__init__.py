"""Route handlers by resource family: every module of this package is a family's handlers.

A module declares ``ROUTES`` (its routes) and, when it serves listings, ``LISTINGS`` (each list
route's filters and orderings). Modules are discovered, not listed, so a new family's handlers are
one new module here.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from .._context import Route
from .._params import Listing


def _modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name)
        if not info.name.startswith("_")
    ]


def api_routes() -> list[Route]:
    """Every API route of the local backend."""
    routes: list[Route] = []
    for module in _modules():
        routes.extend(getattr(module, "ROUTES", ()))
    return routes


def api_listings() -> dict[str, Listing]:
    """Every list route's filters and orderings, by list path (``"sdk/tasks/"``).

    ``sdk/tasks/data/`` and ``files/`` (and the assignments' twins) read their base listing.
    """
    listings: dict[str, Listing] = {}
    for module in _modules():
        listings.update(getattr(module, "LISTINGS", {}))
    return listings

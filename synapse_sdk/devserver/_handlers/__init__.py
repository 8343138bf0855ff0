"""Route handlers by resource family."""

from __future__ import annotations

from .._context import Route
from .._params import Listing
from . import data, misc, plugins, projects, tasks, uploads


def api_routes() -> list[Route]:
    """Every API route of the local backend."""
    routes: list[Route] = []
    for module in (projects, tasks, data, uploads, plugins, misc):
        routes.extend(module.ROUTES)
    return routes


def api_listings() -> dict[str, Listing]:
    """Every list route's filters and orderings, by list path (``"sdk/tasks/"``).

    ``sdk/tasks/data/`` and ``files/`` (and the assignments' twins) read their base listing.
    """
    listings: dict[str, Listing] = {}
    for module in (projects, tasks, data, plugins, misc):
        listings.update(module.LISTINGS)
    return listings

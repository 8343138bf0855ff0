"""Route handlers by resource family."""

from __future__ import annotations

from .._context import Route
from . import data, misc, plugins, projects, tasks, uploads


def api_routes() -> list[Route]:
    """Every API route of the local backend."""
    routes: list[Route] = []
    for module in (projects, tasks, data, uploads, plugins, misc):
        routes.extend(module.ROUTES)
    return routes

"""The registry of endpoint families: one typed attribute of :class:`Managers` per family.

Everything that lists the families reads this class: ``BackendClient`` derives from it (so
``client.tasks`` is a ``TaskManager`` to mypy) and builds one manager per attribute,
:data:`ENDPOINTS` (route parity, docs), the public exports' pin and the API reference's manager
list. Adding a family is a module with its endpoint, resource and manager, plus one line here.
"""

from __future__ import annotations

import typing
from typing import Any

from synapse_sdk._endpoint import Endpoint
from synapse_sdk.resources._manager import BaseManager
from synapse_sdk.resources._relations import check_targets
from synapse_sdk.resources.data import DataCollectionManager, DataUnitManager
from synapse_sdk.resources.data_files import DataFileManager
from synapse_sdk.resources.ground_truth import (
    GroundTruthDatasetManager,
    GroundTruthEventManager,
    GroundTruthManager,
    GroundTruthVersionManager,
)
from synapse_sdk.resources.integration import AgentManager, PluginManager
from synapse_sdk.resources.jobs import JobManager
from synapse_sdk.resources.ml import ModelManager, StorageManager
from synapse_sdk.resources.plugin_releases import PluginReleaseManager
from synapse_sdk.resources.projects import ProjectManager, TaskTagManager
from synapse_sdk.resources.serve_applications import ServeApplicationManager
from synapse_sdk.resources.tasks import AssignmentManager, TaskManager

__all__ = ["ENDPOINTS", "FAMILIES", "Managers"]


class Managers:
    """The typed manager of every endpoint family, by attribute (``client.tasks``).

    The attribute name is the endpoint's ``name``; ``BackendClient`` derives from this class.
    """

    projects: ProjectManager
    task_tags: TaskTagManager
    tasks: TaskManager
    assignments: AssignmentManager
    data_collections: DataCollectionManager
    data_files: DataFileManager
    data_units: DataUnitManager
    plugins: PluginManager
    plugin_releases: PluginReleaseManager
    jobs: JobManager
    serve_applications: ServeApplicationManager
    agents: AgentManager
    models: ModelManager
    storages: StorageManager
    ground_truth_datasets: GroundTruthDatasetManager
    ground_truth_versions: GroundTruthVersionManager
    ground_truth_events: GroundTruthEventManager
    ground_truths: GroundTruthManager


def _families() -> dict[str, type[BaseManager[Any]]]:
    """Attribute -> manager class, checked: each names its endpoint, each relation resolves."""
    families: dict[str, type[BaseManager[Any]]] = {}
    for name, cls in typing.get_type_hints(Managers).items():
        if not (isinstance(cls, type) and issubclass(cls, BaseManager)):
            raise TypeError(f"Managers.{name} must be a manager class, got {cls!r}")
        if cls.endpoint.name != name:
            raise TypeError(f"Managers.{name} holds {cls.__name__} of {cls.endpoint.name!r}")
        families[name] = cls
    check_targets(
        {cls.resource.__name__: cls.resource for cls in families.values()},
        {cls.__name__: cls for cls in families.values()},
    )
    return families


#: Every family's manager class, keyed by client attribute (= endpoint name), in registry order.
FAMILIES: dict[str, type[BaseManager[Any]]] = _families()

#: Every endpoint family's declaration, keyed by manager name.
ENDPOINTS: dict[str, Endpoint] = {name: cls.endpoint for name, cls in FAMILIES.items()}

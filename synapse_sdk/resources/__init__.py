"""Typed resources (attrs classes), their managers and endpoint declarations, one module per
family. :class:`Managers` is the registry of families; ``ENDPOINTS`` lists every declaration
(used by the client, docs and parity tests)."""

from synapse_sdk.resources import (
    data,
    data_files,
    ground_truth,
    integration,
    jobs,
    ml,
    plugin_releases,
    projects,
    serve_applications,
    tasks,
)
from synapse_sdk.resources._base import (
    BaseResource,
    DeletableResource,
    Record,
    Resource,
    SavableResource,
)
from synapse_sdk.resources._bulk_tasks import AnnotateReport, AnnotateResult
from synapse_sdk.resources._capabilities import (
    CreateManager,
    DetailManager,
    DetailUpdateManager,
    Manager,
    UnlistedManager,
    UpdateManager,
)
from synapse_sdk.resources._context import ClientContext
from synapse_sdk.resources._enums import (
    AssignmentReviewStatus,
    AssignmentStatus,
    DataCollectionCategory,
    FileType,
    GroundTruthCategory,
    JobStatus,
    LogLevel,
    PluginCategory,
    ProjectCategory,
    StorageCategory,
    StorageProvider,
    TaskStatus,
)
from synapse_sdk.resources._manager import BaseManager, ReadManager
from synapse_sdk.resources._registry import ENDPOINTS, FAMILIES, Managers
from synapse_sdk.resources._relations import ForeignKey, Related
from synapse_sdk.resources.data import *  # noqa: F403
from synapse_sdk.resources.data_files import *  # noqa: F403
from synapse_sdk.resources.ground_truth import *  # noqa: F403
from synapse_sdk.resources.integration import *  # noqa: F403
from synapse_sdk.resources.jobs import *  # noqa: F403
from synapse_sdk.resources.ml import *  # noqa: F403
from synapse_sdk.resources.plugin_releases import *  # noqa: F403
from synapse_sdk.resources.projects import *  # noqa: F403
from synapse_sdk.resources.serve_applications import *  # noqa: F403
from synapse_sdk.resources.tasks import *  # noqa: F403

__all__ = [
    "ENDPOINTS",
    "FAMILIES",
    "AnnotateReport",
    "AnnotateResult",
    "AssignmentReviewStatus",
    "AssignmentStatus",
    "BaseManager",
    "BaseResource",
    "ClientContext",
    "CreateManager",
    "DataCollectionCategory",
    "DeletableResource",
    "DetailManager",
    "DetailUpdateManager",
    "FileType",
    "ForeignKey",
    "GroundTruthCategory",
    "JobStatus",
    "LogLevel",
    "Manager",
    "Managers",
    "PluginCategory",
    "ProjectCategory",
    "ReadManager",
    "Record",
    "Related",
    "Resource",
    "SavableResource",
    "StorageCategory",
    "StorageProvider",
    "TaskStatus",
    "UnlistedManager",
    "UpdateManager",
]
__all__ += data.__all__
__all__ += data_files.__all__
__all__ += ground_truth.__all__
__all__ += integration.__all__
__all__ += jobs.__all__
__all__ += ml.__all__
__all__ += plugin_releases.__all__
__all__ += projects.__all__
__all__ += serve_applications.__all__
__all__ += tasks.__all__

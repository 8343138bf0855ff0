"""synapse_sdk: a typed, ORM-style Python SDK for the Synapse backend.

from synapse_sdk import BackendClient
client = BackendClient("https://api.synapse.sh", api_token="...")
for task in client.tasks.filter(project=123).order_by("-created")[:50]:
    print(task.id, task.status)
"""

__version__ = "0.1.0.dev0"

from synapse_sdk._exceptions import (
    AuthenticationError,
    AuthorizationError,
    ClientConnectionError,
    ClientError,
    ClientTimeoutError,
    ConflictError,
    DeadlineExceededError,
    HTTPError,
    IntegrityError,
    NotFoundError,
    OriginError,
    OutcomeUnknownError,
    PermissionDeniedError,
    RateLimitError,
    ResponseDecodeError,
    ResponseValidationError,
    ServerError,
    ValidationError,
)
from synapse_sdk._http import RetryPolicy, Timeout
from synapse_sdk._query import Page, QuerySet
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.resources import (
    Agent,
    Assignment,
    DataCollection,
    DataFile,
    DataUnit,
    FileSpecification,
    GroundTruthDataset,
    GroundTruthEvent,
    GroundTruthVersion,
    Job,
    JobLog,
    JobStatus,
    Model,
    Plugin,
    PluginRelease,
    Project,
    Storage,
    StorageCategory,
    StorageProvider,
    Task,
    TaskTag,
)

__all__ = [
    "Agent",
    "Assignment",
    "AuthenticationError",
    "AuthorizationError",
    "BackendClient",
    "ClientConnectionError",
    "ClientError",
    "ClientTimeoutError",
    "ConflictError",
    "DataCollection",
    "DataFile",
    "DataUnit",
    "DeadlineExceededError",
    "FileSpecification",
    "GroundTruthDataset",
    "GroundTruthEvent",
    "GroundTruthVersion",
    "HTTPError",
    "IntegrityError",
    "Job",
    "JobLog",
    "JobStatus",
    "Model",
    "NotFoundError",
    "OriginError",
    "OutcomeUnknownError",
    "Page",
    "PermissionDeniedError",
    "Plugin",
    "PluginRelease",
    "Project",
    "QuerySet",
    "RateLimitError",
    "ResponseDecodeError",
    "ResponseValidationError",
    "RetryPolicy",
    "ServerError",
    "Storage",
    "StorageCategory",
    "StorageProvider",
    "Task",
    "TaskTag",
    "Timeout",
    "ValidationError",
    "__version__",
]

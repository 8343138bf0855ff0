"""The public door (house rule 1): ``synapse_sdk.__all__`` is pinned, importable and documented.

Changing the public API means changing ``OTHER`` here (and the CHANGELOG) on purpose; the
resource class of every endpoint family comes from the registry (``resources.Managers``).
"""

from __future__ import annotations

import importlib
import inspect

import pytest

import synapse_sdk
import synapse_sdk.clients.exceptions
from synapse_sdk.resources import FAMILIES

#: The resource class of every endpoint family, from the registry (``resources.Managers``).
FAMILY_RESOURCES = [family.resource.__name__ for family in FAMILIES.values()]

#: Every other public name (exceptions, querysets, records, enums ...).
OTHER = [
    "AnnotateReport",
    "AnnotateResult",
    "AssignmentReviewStatus",
    "AssignmentStatus",
    "AuthenticationError",
    "AuthorizationError",
    "BackendClient",
    "ChunkedUpload",
    "ClientConnectionError",
    "ClientError",
    "ClientTimeoutError",
    "ConflictError",
    "DataCollectionCategory",
    "DeadlineExceededError",
    "DoesNotExist",
    "ExportMismatchError",
    "ExportResult",
    "FileResult",
    "FileSpecification",
    "FileType",
    "GroundTruthCategory",
    "HTTPError",
    "ImportItem",
    "ImportPlan",
    "ImportReport",
    "ImportShard",
    "InsecureTLSWarning",
    "IntegrityError",
    "ItemResult",
    "JobFailedError",
    "JobLog",
    "JobLogEvent",
    "JobStatus",
    "LogLevel",
    "MultipleObjectsReturned",
    "NotFoundError",
    "OriginError",
    "OutcomeUnknownError",
    "Page",
    "Partition",
    "PartitionBoundsError",
    "PartitionWarning",
    "PermissionDeniedError",
    "PluginCategory",
    "PresignedFile",
    "PresignedReport",
    "ProjectCategory",
    "QuerySet",
    "RateLimitError",
    "ResponseDecodeError",
    "ResponseTooLargeError",
    "ResponseValidationError",
    "RetryPolicy",
    "RowQuery",
    "ServerError",
    "ShardReport",
    "StorageCategory",
    "StorageProvider",
    "TaskStatus",
    "Timeout",
    "TruncatedBodyError",
    "UploadReport",
    "UploadStalledError",
    "ValidationError",
    "WSGITransport",
    "__version__",
]

EXPECTED = sorted({*OTHER, *FAMILY_RESOURCES})

PUBLIC = [name for name in EXPECTED if name != "__version__"]


def test_all_is_pinned() -> None:
    assert synapse_sdk.__all__ == EXPECTED


def test_all_is_sorted_without_duplicates() -> None:
    assert synapse_sdk.__all__ == sorted(set(synapse_sdk.__all__))


@pytest.mark.parametrize("name", EXPECTED)
def test_every_name_is_importable(name: str) -> None:
    assert hasattr(synapse_sdk, name), f"synapse_sdk.__all__ lists {name!r} but it is missing"
    namespace: dict[str, object] = {}
    exec(f"from synapse_sdk import {name}", namespace)
    assert namespace[name] is getattr(synapse_sdk, name)


def test_star_import_gives_exactly_all() -> None:
    namespace: dict[str, object] = {}
    exec("from synapse_sdk import *", namespace)
    assert sorted(k for k in namespace if k != "__builtins__") == sorted(EXPECTED)


def test_no_public_name_is_left_out_of_all() -> None:
    stray = sorted(
        name
        for name, value in vars(synapse_sdk).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and name not in synapse_sdk.__all__
    )
    assert not stray, f"public names missing from __all__ (prefix with _ or export): {stray}"


def test_version_is_a_string() -> None:
    assert isinstance(synapse_sdk.__version__, str) and synapse_sdk.__version__


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_has_a_docstring(name: str) -> None:
    obj = getattr(synapse_sdk, name)
    assert inspect.isclass(obj) or inspect.isfunction(obj), f"{name} is {type(obj).__name__}"
    # Own docstring only: a class must not pass on the strength of its base class's docstring.
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__
    assert isinstance(doc, str) and doc.strip(), f"synapse_sdk.{name} has no docstring"


def test_the_seed_exceptions_path() -> None:
    module = synapse_sdk.clients.exceptions
    assert module.__all__, "synapse_sdk.clients.exceptions.__all__ is empty"
    for name in module.__all__:
        assert hasattr(module, name), f"clients.exceptions.__all__ lists missing {name!r}"
    assert issubclass(module.NotFoundError, module.ClientError)
    # The seed path and the public door hand out the very same classes.
    for name in module.__all__:
        if name in synapse_sdk.__all__:
            assert getattr(module, name) is getattr(synapse_sdk, name), name
    # Every error the SDK exports is importable from the seed path as well.
    errors = {
        name
        for name in synapse_sdk.__all__
        if inspect.isclass(getattr(synapse_sdk, name))
        and issubclass(getattr(synapse_sdk, name), synapse_sdk.ClientError)
    }
    assert errors - set(module.__all__) == set()


def test_the_seed_client_path() -> None:
    backend = importlib.import_module("synapse_sdk.clients.backend")
    assert backend.BackendClient is synapse_sdk.BackendClient
    from synapse_sdk.clients.backend import BackendClient

    client = BackendClient("http://127.0.0.1:1", api_token="x")  # no I/O at construction
    try:
        assert client.base_url == "http://127.0.0.1:1"
    finally:
        client.close()


def test_every_enum_the_resources_use_is_exported() -> None:
    from synapse_sdk.resources import _enums

    missing = [name for name in _enums.__all__ if name not in synapse_sdk.__all__]
    assert not missing, f"enums of resource fields missing from synapse_sdk: {missing}"
    for name in _enums.__all__:
        assert getattr(synapse_sdk, name) is getattr(_enums, name)


def test_get_errors_are_on_both_doors() -> None:
    for name in ("DoesNotExist", "MultipleObjectsReturned"):
        assert name in synapse_sdk.clients.exceptions.__all__
        assert getattr(synapse_sdk.clients.exceptions, name) is getattr(synapse_sdk, name)

"""Serve applications (``serve_applications/``): a job's deployment serving a plugin's API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict

import attrs

from synapse_sdk._endpoint import Endpoint, check_id
from synapse_sdk._query import QuerySet
from synapse_sdk.resources._base import Resource, fk
from synapse_sdk.resources._capabilities import CreateManager
from synapse_sdk.resources._relations import ForeignKey
from synapse_sdk.resources.jobs import JobId

if TYPE_CHECKING:
    from typing_extensions import NotRequired, Required, Unpack

    from synapse_sdk.resources.jobs import Job  # noqa: F401 - ForeignKey["Job"]

__all__ = [
    "SERVE_APPLICATIONS",
    "ServeApplication",
    "ServeApplicationCreateRequest",
    "ServeApplicationFilters",
    "ServeApplicationManager",
]


@attrs.define(kw_only=True, eq=False, repr=False)
class ServeApplication(Resource):
    """A serve application: the deployment a serving job runs."""

    id: int
    job_id: int | str | None = fk("job")
    status: str | None = None
    data: dict[str, Any] | None = None
    created: dt.datetime | None = None

    job = ForeignKey["Job"]("job_id")
    """The job that serves it (loaded on first use)."""


class ServeApplicationFilters(TypedDict, total=False):
    """Filters of ``client.serve_applications.filter()``."""

    job: int | str
    """Applications of this job (an int or a UUID string)."""
    status: str
    """Applications in this status."""


class ServeApplicationCreateRequest(TypedDict, total=False):
    """The body of ``POST serve_applications/``."""

    job: Required[JobId]
    """The serving job (required): an int or a UUID."""
    status: NotRequired[str]
    """The application's status."""
    data: NotRequired[dict[str, Any]]
    """Free JSON: the application's configuration."""


SERVE_APPLICATIONS = Endpoint(
    name="serve_applications",
    path="serve_applications/",
    ops=frozenset({"get", "list", "create"}),
    filters=ServeApplicationFilters,
)


def check_create_request(data: object) -> dict[str, Any]:
    """A copy of a create request, checked before any I/O: ``job`` an int or a UUID
    (required), ``status`` a string, ``data`` an object; other keys are sent as given."""
    if not isinstance(data, Mapping):
        raise TypeError(f"data must be a mapping, got {type(data).__name__}")
    body = dict(data)
    if body.get("job") is None:
        raise ValueError("a serve application needs its 'job' (an int or a UUID)")
    body["job"] = _job_value(body["job"])
    if body.get("status") is not None and not isinstance(body["status"], str):
        raise TypeError(f"status must be a string, got {type(body['status']).__name__}")
    if body.get("data") is not None and not isinstance(body["data"], Mapping):
        raise TypeError(f"data['data'] must be an object, got {type(body['data']).__name__}")
    return body


def _job_value(job: object) -> int | str:
    segment = check_id(job, "int_or_uuid", what="job")
    return job if isinstance(job, int) else segment


class ServeApplicationManager(CreateManager[ServeApplication, int]):
    """``client.serve_applications``: listing, ``get`` and ``create(job=..., status=...,
    data=...)``."""

    endpoint = SERVE_APPLICATIONS
    resource = ServeApplication

    def filter(self, **filters: Unpack[ServeApplicationFilters]) -> QuerySet[ServeApplication]:
        """Serve applications matching ``filters`` (lazy)."""
        return self._filter(filters)

    def _create_body(self, data: dict[str, Any]) -> Any:
        return check_create_request(data)

"""Helpers of the reliability suite: clients with an injected sleep and clock, journal queries and
the route templates every request must match."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from synapse_sdk import RetryPolicy
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import JournalEntry, LocalBackend
from synapse_sdk.resources import ENDPOINTS

BAD_IDS: list[Any] = ["1", True, None, -1, "..", "a/b", "7#x", "\x00"]

IdCall = Callable[[BackendClient, Any], Any]

#: Every method that takes an integer id, on both surfaces.
INT_ID_METHODS: dict[str, IdCall] = {
    "projects.get": lambda c, pk: c.projects.get(pk),
    "task_tags.get": lambda c, pk: c.task_tags.get(pk),
    "tasks.get": lambda c, pk: c.tasks.get(pk),
    "tasks.ref": lambda c, pk: c.tasks.ref(pk),
    "assignments.get": lambda c, pk: c.assignments.get(pk),
    "data_collections.get": lambda c, pk: c.data_collections.get(pk),
    "data_files.get": lambda c, pk: c.data_files.get(pk),
    "data_units.get": lambda c, pk: c.data_units.get(pk),
    "plugins.get": lambda c, pk: c.plugins.get(pk),
    "plugins.update": lambda c, pk: c.plugins.update(pk, code="x", name="x"),
    "jobs.get": lambda c, pk: c.jobs.get(pk),
    "jobs.update": lambda c, pk: c.jobs.update(pk, meta={}),
    "models.get": lambda c, pk: c.models.get(pk),
    "storages.get": lambda c, pk: c.storages.get(pk),
    "ground_truth_datasets.get": lambda c, pk: c.ground_truth_datasets.get(pk),
    "ground_truth_versions.get": lambda c, pk: c.ground_truth_versions.get(pk),
    "get_project": lambda c, pk: c.get_project(pk),
    "get_task": lambda c, pk: c.get_task(pk),
    "annotate_task_data": lambda c, pk: c.annotate_task_data(pk, {}),
    "get_data_collection": lambda c, pk: c.get_data_collection(pk),
    "get_assignment": lambda c, pk: c.get_assignment(pk),
    "get_plugin": lambda c, pk: c.get_plugin(pk),
    "update_plugin": lambda c, pk: c.update_plugin(pk, {"code": "x", "name": "x"}),
    "get_job": lambda c, pk: c.get_job(pk),
    "update_job": lambda c, pk: c.update_job(pk, {}),
    "list_job_console_logs": lambda c, pk: c.list_job_console_logs(pk),
    "get_storage": lambda c, pk: c.get_storage(pk),
    "get_model": lambda c, pk: c.get_model(pk),
    "get_ground_truth_version": lambda c, pk: c.get_ground_truth_version(pk),
}

#: Methods whose id may also be a code (``"my-plugin"``, ``"code@1.0"``, an agent token): a
#: digit string such as ``"1"`` is a well-formed code there, so it is not in their bad list.
LOOKUP_METHODS: dict[str, IdCall] = {
    "plugins.run": lambda c, ref: c.plugins.run(ref),
    "plugin_releases.get": lambda c, ref: c.plugin_releases.get(ref),
    "agents.health_check": lambda c, token: c.agents.health_check(token),
    "run_plugin": lambda c, ref: c.run_plugin(ref, {}),
    "get_plugin_release": lambda c, ref: c.get_plugin_release(ref),
    "health_check_agent": lambda c, token: c.health_check_agent(token),
}


#: A token-shaped secret that must never show up in any log, repr, message or traceback.
CANARY = "canary-SECRET-1234567890"


class SleepRecorder:
    """An injected ``sleep`` that records durations and advances a fake clock instantly.

    The clock is the real monotonic clock plus everything "slept", so socket timeouts and
    deadlines keep working in real time while retry pauses cost nothing.
    """

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.offset = 0.0

    def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.offset += seconds

    def clock(self) -> float:
        return time.monotonic() + self.offset


def make_client(
    backend: LocalBackend,
    *,
    retries: int | RetryPolicy = 3,
    api_token: str | None = None,
    base_url: str | None = None,
    **options: Any,
) -> tuple[BackendClient, SleepRecorder]:
    """A client of ``backend`` whose retry pauses are recorded instead of slept.

    The default retry policy is the SDK's own (3 retries, 0.5 s full-jitter backoff, Retry-After
    capped at 60 s); only time is faked.
    """
    client = BackendClient(
        base_url or backend.url,
        api_token=api_token or backend.api_token,
        retries=retries,
        **options,
    )
    recorder = SleepRecorder()
    # BackendClient has no sleep=/clock= options yet; the session it shares with every manager
    # takes them (Session(sleep=, clock=)), so set them there.
    client._session.sleep = recorder
    client._session.clock = recorder.clock
    return client, recorder


def entries(
    backend: LocalBackend, method: str | None = None, path: str | None = None
) -> list[JournalEntry]:
    """Journal entries, optionally only those with ``method`` and a path starting with ``path``."""
    return [
        e
        for e in backend.journal.entries()
        if (method is None or e.method == method) and (path is None or e.path.startswith(path))
    ]


def committed(backend: LocalBackend, method: str, path: str) -> int:
    """Committed writes with ``method`` on exactly ``path``."""
    return sum(1 for e in entries(backend, method) if e.path == path and e.committed)


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{id\}", template)
    return re.compile("[^/]+".join(re.escape(p) for p in parts) + r"\Z")


#: Every (method, path template) the endpoint declarations can produce, as regexes.
ROUTES: list[tuple[str, re.Pattern[str]]] = [
    (method, _template_regex(template))
    for endpoint in ENDPOINTS.values()
    for method, template in endpoint.routes()
]


def outside_routes(journal: list[JournalEntry]) -> list[str]:
    """The requests in ``journal`` that match no declared route template."""
    return [
        f"{e.method} {e.path}"
        for e in journal
        if not any(m == e.method and rx.match(e.path) for m, rx in ROUTES)
    ]

"""Pickling without a client: every SDK error round-trips with its attributes; a queryset keeps
its query (not its results); a manager becomes a ``PendingManager`` that says how to bind it.
No sockets."""

from __future__ import annotations

import pickle
import sys
from typing import Any

import pytest

from synapse_sdk import _exceptions
from synapse_sdk._converter import plan_for
from synapse_sdk._query import QuerySet
from synapse_sdk._query._prefetch import split_related
from synapse_sdk._query._queryset import MultipleObjectsReturned
from synapse_sdk.resources import Task, _context
from synapse_sdk.resources._context import PendingManager, env_context
from synapse_sdk.resources.tasks import TASKS, TaskManager

ERRORS = [
    getattr(_exceptions, name)
    for name in _exceptions.__all__
    if isinstance(getattr(_exceptions, name), type)
    and issubclass(getattr(_exceptions, name), BaseException)
]
#: Errors built from the query that failed, not from a message (tested on their own below).
QUERY_ERRORS = (_exceptions.MultipleObjectsReturned, _exceptions.DoesNotExist)
MESSAGE_ERRORS = [cls for cls in ERRORS if cls not in QUERY_ERRORS]
ATTRIBUTES = (
    "message",
    "status_code",
    "response",
    "method",
    "url",
    "request_id",
    "page",
    "resume_offset",
    "resume_params",
    "retry_after",
    "limit",
    "path",
    "upload_id",
    "offset",
    "__notes__",
    "args",
)


@pytest.mark.parametrize("cls", MESSAGE_ERRORS, ids=lambda cls: cls.__name__)
def test_every_error_round_trips_with_its_attributes(cls: type[Any]) -> None:
    err = cls(
        "it failed",
        status_code=429,
        response={"detail": ["slow down"]},
        method="GET",
        url="https://api.example/tasks/?token=***",
        request_id="req-1",
    )
    err.page, err.resume_offset, err.resume_params = 3, 200, {"page": 3, "page_size": 100}
    err.retry_after, err.limit, err.path = 1.5, 1024, "results[2].id"
    err.upload_id, err.offset = "up-1", 4096
    if sys.version_info >= (3, 11):  # notes are 3.11+
        err.add_note("while listing tasks")
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is cls and isinstance(clone, _exceptions.ClientError)
    for name in ATTRIBUTES:
        assert getattr(clone, name, None) == getattr(err, name, None), name
    assert str(clone) == str(err) and repr(clone) == repr(err)
    defaults = pickle.loads(pickle.dumps(cls("plain")))
    assert defaults.status_code is None and defaults.page is None and str(defaults) == "plain"


def test_the_list_covers_the_tree_and_the_queryset_errors_pickle() -> None:
    assert len(ERRORS) >= 25 and _exceptions.ClientError in ERRORS
    several = MultipleObjectsReturned("tasks", {"project": 1}, 3)
    none = _exceptions.DoesNotExist("tasks", {"project": 1})
    for err in (several, none):
        clone = pickle.loads(pickle.dumps(err))
        assert type(clone) is type(err) and str(clone) == str(err)
        assert (clone.family, clone.filters, clone.count) == (err.family, err.filters, err.count)


class Rows:
    """A picklable in-memory source of task rows."""

    endpoint = TASKS
    resource = Task
    default_page_size = 10
    default_prefetch = 0

    def fetch_page(self, params: Any, url: str | None = None) -> Any:
        rows = [{"id": i, "project": 1} for i in (1, 2, 3)]
        return {"count": 3, "next": None, "previous": None, "results": rows}

    def check_url(self, url: str) -> None:
        raise AssertionError(url)

    def build(self, row: dict[str, Any]) -> Task:
        task: Task = plan_for(Task).build(row)
        return task

    def build_page(self, rows: list[Any]) -> list[Task]:
        return [self.build(row) for row in rows]


def test_a_queryset_pickles_its_query_not_its_results() -> None:
    qs = (
        QuerySet(Rows())
        .filter(project=1, status="pending")
        .order_by("-id")
        .only("status")
        .expand("data_unit")
        .options(page_size=5, prefetch=2)[1:3]
    )
    assert [t.id for t in qs] == [2, 3] and qs._cache is not None
    clone = pickle.loads(pickle.dumps(qs))
    assert clone._related == ()
    assert clone._cache is None and clone._count is None
    assert (
        clone.params()
        == qs.params()
        == {
            "project": "1",
            "status": "pending",
            "ordering": "-id",
            "fields": "id,status",
            "expand": "data_unit",
        }
    )
    assert (clone._start, clone._stop, clone._page_size, clone._prefetch) == (1, 3, 5, 2)
    assert repr(clone) == repr(qs.all())
    related = pickle.loads(pickle.dumps(QuerySet(Rows()).prefetch_related("project")))
    assert related._related == ("project",)


def test_prefetch_related_splits_expandable_relations_from_the_others() -> None:
    source = Rows()
    assert split_related(source, ["data_unit", "project"]) == (["data_unit"], ["project"])
    qs = QuerySet(source).prefetch_related("data_unit", "project", "project")
    assert qs.params()["expand"] == "data_unit" and qs._related == ("project",)
    with pytest.raises(ValueError, match="no foreign key 'meta'"):
        QuerySet(source).prefetch_related("meta")


def test_a_pending_manager_describes_itself_and_pickles() -> None:
    pending = PendingManager(TaskManager, {"project": 1}, "https://api.example")
    assert pending.endpoint is TASKS and pending.resource is Task
    assert repr(pending) == "<unbound TaskManager of https://api.example>"
    clone = pickle.loads(pickle.dumps(pending))
    assert (clone.manager_cls, clone.scope, clone.base_url) == (
        TaskManager,
        {"project": 1},
        "https://api.example",
    )
    with pytest.raises(AttributeError):
        clone.__wrapped__  # noqa: B018 - dunder lookups never bind


def test_env_context_errors_say_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in _context._ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr(_context, "_ENV_CONTEXTS", {})
    with pytest.raises(RuntimeError, match=r"SYNAPSE_BASE_URL is not set; call client\.bind"):
        env_context("https://api.example", "Task")
    monkeypatch.setenv("SYNAPSE_BASE_URL", "https://other.example")
    with pytest.raises(RuntimeError, match=r"another backend \(https://other\.example\)"):
        env_context("https://api.example", "Task")
    monkeypatch.setenv("SYNAPSE_BASE_URL", "ftp://api.example")
    with pytest.raises(RuntimeError, match=r"the environment is not usable .*http"):
        env_context(None, "Task")  # no pickled URL: any environment backend is accepted
    monkeypatch.setenv("SYNAPSE_BASE_URL", "https://api.example/")
    monkeypatch.setenv("SYNAPSE_API_TOKEN", "t0ken")
    ctx = env_context("https://api.example", "Task")
    assert env_context(None, "Project") is ctx and ctx.base_url == "https://api.example"
    ctx.session.close()

"""Mistakes the public API's types must catch, checked by tests/meta/test_typing.py.

Every line marked ``# E: <fragment>`` must make ``mypy --strict`` report an error on that line
whose message contains the fragment, and no other line may have an error. Never collected by
pytest, never run.
"""

from __future__ import annotations

from synapse_sdk import BackendClient, Project, Task


def misspelt_names(c: BackendClient) -> None:
    c.tasks.filter(projet=1)  # E: Unexpected keyword argument "projet" for "filter"
    _ = c.tasks.get(1).titel  # E: "Task" has no attribute "titel"
    _ = c.tasks.filter(project=1)[0].title  # E: "Task" has no attribute "title"
    c.projects.get(1).tasks.filter(projetc=1)  # E: Unexpected keyword argument "projetc"
    c.projects.filter(project=1)  # E: Unexpected keyword argument "project"
    c.assignments.filter(task_id=1)  # E: Unexpected keyword argument "task_id"
    c.data_units.filter(collection=1)  # E: Unexpected keyword argument "collection"
    c.jobs.filter(plugin_id=1)  # E: Unexpected keyword argument "plugin_id"
    c.ground_truth_events.filter(version=1)  # E: Unexpected keyword argument "version"
    c.ground_truth_datasets.filter(projet=1)  # E: Unexpected keyword argument "projet"
    c.ground_truth_events.filter(ground_truth_datset=1)  # E: keyword argument "ground_truth_datset"
    c.assignments.filter(serach="cat")  # E: Unexpected keyword argument "serach"
    c.plugin_releases.filter(plugn=1)  # E: Unexpected keyword argument "plugn"
    c.taks.get(1)  # E: "BackendClient" has no attribute "taks"
    BackendClient("http://127.0.0.1:1", api_tokn="x")  # E: Unexpected keyword argument "api_tokn"


def invented_filters(c: BackendClient) -> None:
    """Filters only the local backend had; the real backend does not document them."""
    c.ground_truth_events.filter(pgh_label="insert")  # E: Unexpected keyword argument "pgh_label"
    c.data_collections.filter(is_archived=True)  # E: Unexpected keyword argument "is_archived"
    c.models.filter(category="x")  # E: Unexpected keyword argument "category"
    c.projects.filter(created__gte="2024-01-01")  # E: Unexpected keyword argument "created__gte"


def wrong_value_types(c: BackendClient) -> None:
    c.ground_truth_events.filter(ground_truth_dataset="1")  # E: "ground_truth_dataset" to "filter"
    c.projects.filter(data_collection="1")  # E: "data_collection" to "filter" of "ProjectManager"
    c.plugin_releases.filter(plugin=1.5)  # E: "plugin" to "filter" of "PluginReleaseManager"
    c.tasks.filter(project="1")  # E: "project" to "filter" of "TaskManager" has incompatible
    c.tasks.filter(is_discarded="no")  # E: "is_discarded" to "filter" of "TaskManager"
    c.models.filter(is_released=1.5)  # E: "is_released" to "filter" of "ModelManager"
    c.tasks.get(1.5)  # E: to "get" of "DetailManager" has incompatible type "float"
    c.plugins.get(1).run(action=1)  # E: "action" to "run" of "Plugin" has incompatible type
    c.jobs.get(1).wait(timeout="10")  # E: "timeout" to "wait" of "Job" has incompatible type
    qs = c.tasks.filter(project=1)
    qs["a"]  # E: No overload variant of "__getitem__" of "QuerySet"
    qs.order_by(1)  # E: to "order_by" of "QuerySet" has incompatible type "int"


def wrong_result_types(c: BackendClient) -> None:
    qs = c.tasks.filter(project=1)
    _ = qs.first().id  # E: Item "None" of "Task | None" has no attribute "id"
    _ = c.tasks.get(1).project.title  # E: Item "None" of "Project | None" has no attribute
    project: Project = c.tasks.get(1).project  # E: (expression has type "Project | None"
    task: Task = qs[:1]  # E: (expression has type "QuerySet[Task]", variable has type "Task")
    count: str = qs.count()  # E: (expression has type "int", variable has type "str")
    title: int = c.projects.get(1).title  # E: (expression has type "str", variable has type "int")
    c.tasks.get(1).status = 5  # E: variable has type "TaskStatus | None")
    print(project, task, count, title)


def missing_operations(c: BackendClient) -> None:
    c.assignments.create(task=1)  # E: "AssignmentManager" has no attribute "create"
    c.projects.delete(1)  # E: "ProjectManager" has no attribute "delete"
    c.jobs.filter(plugin=1).delete()  # E: "QuerySet[Job]" has no attribute "delete"
    c.ground_truth_events.all().update()  # E: "QuerySet[GroundTruthEvent]" has no attribute


def unsupported_operations(c: BackendClient) -> None:
    """Operations the endpoints do not have: absent from the types, not a runtime error."""
    c.models.delete(1)  # E: "ModelManager" has no attribute "delete"
    c.tasks.update(1, status="x")  # E: "TaskManager" has no attribute "update"
    c.agents.get(1)  # E: "AgentManager" has no attribute "get"
    c.ground_truth_events.get(1)  # E: "GroundTruthEventManager" has no attribute "get"
    c.data_files.all()  # E: "DataFileManager" has no attribute "all"
    c.data_files.filter()  # E: "DataFileManager" has no attribute "filter"
    c.storages.update(1, name="x")  # E: "StorageManager" has no attribute "update"
    c.jobs.create(action="x")  # E: "JobManager" has no attribute "create"
    c.tasks.get(1).save()  # E: "Task" has no attribute "save"
    c.projects.get(1).save()  # E: "Project" has no attribute "save"
    c.plugins.get(1).delete()  # E: "Plugin" has no attribute "delete"
    c.ground_truth_events.all()[0].refresh()  # E: "GroundTruthEvent" has no attribute "refresh"


def ids_of_the_wrong_kind(c: BackendClient) -> None:
    """Only families whose backend takes codes (or UUIDs: jobs) accept strings."""
    c.tasks.get("1")  # E: Argument 1 to "get" of "DetailManager" has incompatible type "str"
    c.projects.ref("demo")  # E: Argument 1 to "ref" of "DetailManager" has incompatible type
    c.plugins.get("demo-plugin")  # E: Argument 1 to "get" of "DetailManager" has incompatible
    c.jobs.update(1.5, status="x")  # E: Argument 1 to "update" of "DetailUpdateManager" has
    c.data_files.get("1")  # E: Argument 1 to "get" of "UnlistedManager" has incompatible type


def navigation_is_typed(c: BackendClient) -> None:
    print(c.tasks.get(1).project.tasks)  # E: Item "None" of "Project | None" has no attribute
    c.projects.get(1).tasks.update(1)  # E: "TaskManager" has no attribute "update"
    c.plugins.get(1).releases.delete(1)  # E: "PluginReleaseManager" has no attribute "delete"
    c.tasks.scoped(project=1).update(1)  # E: "TaskManager" has no attribute "update"
    c.tasks.related(int)  # E: Value of type variable "M" of "related" of "BaseManager" cannot be


# -- rel: relation cache, prefetch_related, client.bind --
def prefetch_takes_names(c: BackendClient) -> None:
    c.tasks.all().prefetch_related(1)  # E: Argument 1 to "prefetch_related" of "QuerySet" has
    c.bind(c.tasks.get(1)).update()  # E: "Task" has no attribute "update"


# -- misc: bulk writes, ground truths, the official constructor --


def misc_mistakes(c: BackendClient) -> None:
    c.tasks.annotate_many([(1, {})], schema="dm_v9")  # E: Argument "schema" to "annotate_many"
    c.tasks.annotate_many([(1, {})], action="publish")  # E: Argument "action" to "annotate_many"
    c.ground_truths.filter(ground_truth_datset=1)  # E: Unexpected keyword argument
    c.ground_truths.filter(task="1")  # E: Argument "task" to "filter" of "GroundTruthManager"
    c.ground_truths.get(1)  # E: "GroundTruthManager" has no attribute "get"
    c.upload_data_collection(1, [], batch_size="10")  # E: Argument "batch_size" to


# -- presigned: bulk upload through presigned URLs --


def presigned_strategy_is_a_literal(c: BackendClient) -> None:
    c.upload_files_bulk(["a"], strategy="fast")  # E: Argument "strategy" to "upload_files_bulk"
    c.uploads.presigned("a.bin", max_workers="4")  # E: Argument "max_workers" to "presigned" of


# -- writes: enum-typed fields, idempotent uploads --
def writes_enums_uploads(c: BackendClient) -> None:
    print(c.tasks.get(1).status.is_known)  # E: Item "None" of "TaskStatus | None" has no attribute
    col = c.data_collections.get(1)
    col.upload(["a.png"], existing_units="skip")  # E: Argument "existing_units" to "upload"


# -- qs: chained filters keep the family's typed filters --


def chained_filters_are_typed(c: BackendClient) -> None:
    c.tasks.filter(project=1).filter(statuss="x")  # E: Unexpected keyword argument "statuss"
    c.tasks.all().filter(project="1")  # E: Argument "project" to "filter" of "QuerySet" has
    c.tasks.order_by("id").filter(projet=1)  # E: Unexpected keyword argument "projet" for "filter"
    c.projects.filter(is_archived=True).filter(project=1)  # E: Unexpected keyword argument
    c.agents.all().filter(state="x")  # E: Unexpected keyword argument "state" for "filter"
    c.tasks.filter(project=1).filter(1)  # E: Too many positional arguments for "filter"
    c.data_files.count()  # E: "DataFileManager" has no attribute "count"
    c.data_files.values("id")  # E: "DataFileManager" has no attribute "values"
    n: str = c.tasks.count()  # E: (expression has type "int", variable has type "str")
    flat: int = c.tasks.values_list("id", flat=True)  # E: (expression has type "RowQuery[Any]"
    print(n, flat)


# -- jobs: job ids, the log tail, create_logs, serve applications --


def jobs_mistakes(c: BackendClient) -> None:
    c.jobs.get(1.5)  # E: Argument 1 to "get" of "DetailManager" has incompatible type "float"
    c.jobs.tail(7, idle_timeout="60")  # E: Argument "idle_timeout" to "tail" of "JobManager" has
    c.jobs.get(1).wait(raise_on_failure="no")  # E: Argument "raise_on_failure" to "wait" of "Job"
    c.serve_applications.filter(jobs=1)  # E: Unexpected keyword argument "jobs" for "filter"
    c.serve_applications.update(1)  # E: "ServeApplicationManager" has no attribute "update"
    c.tail_job_console_logs(1.5)  # E: Argument 1 to "tail_job_console_logs" of


# -- seed API: precise returns --
def seed_return_mistakes(c: BackendClient) -> None:
    c.list_tasks()["result"]  # E: TypedDict "PageEnvelope" has no key "result"
    c.list_tasks(list_all=True)["results"]  # E: Value of type "ListAllRows" is not indexable
    c.list_tasks(list_all="yes")  # E: No overload variant of "list_tasks"


# -- export: project.export / tasks queryset export --
def export_is_typed(c: BackendClient) -> None:
    c.projects.all().export("out")  # E: Invalid self argument "QuerySet[Project]" to attribute
    c.projects.get(1).export("out", max_workers="4")  # E: Argument "max_workers" to "export" of
    c.projects.get(1).export("out", colour=1)  # E: Unexpected keyword argument "colour" for


# -- async: twins in the client's thread pool --
async def async_twin_mistakes(c: BackendClient) -> None:
    await c.tasks.aget("1")  # E: Argument 1 has incompatible type "str"; expected "int | None"
    await c.tasks.filter(project=1).acount(1)  # E: Too many arguments
    await c.aget_task("1")  # E: Argument 1 has incompatible type "str"; expected "int"
    await c.jobs.get(1).await_completion(timeout="5")  # E: Argument "timeout" has incompatible
    c.tasks.aupdate(1)  # E: "TaskManager" has no attribute "aupdate"
    BackendClient("http://x", async_workers="8")  # E: Argument "async_workers" to "BackendClient"
    c.tasks.aget(1)  # E: Value of type "Coroutine[Any, Any, Task]" must be used


# -- partitions: partitions, Dask helpers, sharded imports --
def partition_mistakes(c: BackendClient) -> None:
    c.tasks.all().partitions(plan="pages")  # E: Argument "plan" to "partitions"
    c.tasks.all().partitions(credentials="inline")  # E: Argument "credentials" to "partitions"
    c.uploads.plan(["a.png"], collection="x")  # E: Argument "collection" to "plan" of

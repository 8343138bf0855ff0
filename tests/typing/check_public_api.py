"""Static pins of the public API's types, checked by ``mypy --strict`` (tests/meta/test_typing.py).

This file is never collected by pytest (no ``test_`` prefix) and never sends a request: the
client points at a closed port and every call sits in a function that is type-checked, not run.
``assert_type`` fails type checking when an inferred type drifts (a manager losing its type
parameter, a navigation property widening to ``Any`` ...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from typing_extensions import assert_type

from synapse_sdk import (
    Agent,
    Assignment,
    BackendClient,
    DataCollection,
    DataFile,
    DataUnit,
    GroundTruthDataset,
    GroundTruthEvent,
    GroundTruthVersion,
    Job,
    JobLog,
    JobStatus,
    Model,
    Page,
    Plugin,
    PluginRelease,
    Project,
    QuerySet,
    Storage,
    Task,
    TaskTag,
)
from synapse_sdk._query import RowQuery
from synapse_sdk.clients.backend import ExistingChecksums, ListAllRows, PageEnvelope
from synapse_sdk.resources import (
    AgentManager,
    AssignmentStatus,
    DataFileManager,
    DataUnitManager,
    GroundTruthCategory,
    GroundTruthEventManager,
    GroundTruthVersionManager,
    JobManager,
    PluginReleaseManager,
    ProjectCategory,
    ProjectManager,
    TaskManager,
    TaskStatus,
    TaskTagManager,
)


def make_client() -> BackendClient:
    return BackendClient("http://127.0.0.1:1", api_token="x")


def client_surface() -> None:
    with make_client() as client:
        assert_type(client, BackendClient)
        assert_type(client.with_options(timeout=5, retries=0), BackendClient)
        assert_type(client.base_url, str)
        # The seed's flat methods return raw JSON.
        assert_type(client.get_project(1), dict[str, Any])
        assert_type(client.list_tasks(params={"project": 1}, list_all=True), ListAllRows)


def tasks(client: BackendClient) -> None:
    assert_type(client.tasks, TaskManager)
    assert_type(client.tasks.get(1), Task)
    assert_type(client.tasks.get(1, expand=("data_unit",)), Task)
    assert_type(client.tasks.ref(1), Task)
    assert_type(client.tasks.create(project=1, data_unit=1), Task)
    assert_type(client.tasks.create_many([1, 2], project=1), list[Task])

    qs = client.tasks.filter(project=1)
    assert_type(qs, QuerySet[Task])
    assert_type(qs.first(), Task | None)
    assert_type(qs.get(), Task)
    assert_type(qs[:5], QuerySet[Task])
    assert_type(qs[0], Task)
    assert_type(qs.count(), int)
    assert_type(qs.exists(), bool)
    assert_type(len(qs), int)
    assert_type(list(qs), list[Task])
    assert_type(qs.iterator(), Iterator[Task])
    for task in qs:
        assert_type(task, Task)
    for streamed in qs.iterator():
        assert_type(streamed, Task)

    # Refining keeps the element type.
    assert_type(client.tasks.all(), QuerySet[Task])
    assert_type(qs.all(), QuerySet[Task])
    assert_type(qs.filter(status="completed"), QuerySet[Task])
    assert_type(qs.order_by("-created"), QuerySet[Task])
    assert_type(qs.only("status"), QuerySet[Task])
    assert_type(qs.fields("status"), QuerySet[Task])
    assert_type(qs.expand("data_unit"), QuerySet[Task])
    assert_type(qs.options(page_size=50, prefetch=0), QuerySet[Task])
    assert_type(qs.params(), dict[str, str])

    # Filters are typed by the family's TypedDict.
    assert_type(
        client.tasks.filter(
            project=1,
            status=TaskStatus.COMPLETED,
            tags=[1, 2],
            created__gte=dt.datetime(2024, 1, 1),
            is_discarded=False,
        ),
        QuerySet[Task],
    )

    task = client.tasks.get(1)
    assert_type(task.id, int)
    assert_type(task.project_id, int | None)
    assert_type(task.status, TaskStatus | None)
    assert_type(task.tags, list[int])
    assert_type(task.created, dt.datetime | None)
    assert_type(task.project, Project | None)

    assert_type(task.data_unit, DataUnit | None)
    assert_type(task.annotate({"x": 1}, action="submit"), Task)
    assert_type(task.is_loaded, bool)
    assert_type(task.changes(), dict[str, Any])
    assert_type(task.to_dict(), dict[str, Any])
    assert_type(task.extra, dict[str, Any])


def pages(client: BackendClient) -> None:
    qs = client.tasks.filter(project=1)
    page = qs.preview(5)
    assert_type(page, Page[Task])
    assert_type(page.items, list[Task])
    assert_type(page.count, int | None)
    assert_type(page.number, int)
    assert_type(page.next, str | None)
    assert_type(page[0], Task)
    for item in page:
        assert_type(item, Task)
    assert_type(qs.pages(), Iterator[Page[Task]])
    for each in client.jobs.filter(status=JobStatus.RUNNING).pages():
        assert_type(each, Page[Job])
        assert_type(each.items, list[Job])


def projects(client: BackendClient) -> None:
    project = client.projects.get(1)
    assert_type(project, Project)
    assert_type(project.title, str)
    assert_type(client.projects.filter(is_archived=False), QuerySet[Project])
    assert_type(client.projects.filter(title="x").first(), Project | None)
    assert_type(project.data_collection, DataCollection | None)
    assert_type(project.tasks, TaskManager)
    assert_type(project.tasks.filter(), QuerySet[Task])
    assert_type(project.tasks.filter(status="completed")[0], Task)
    assert_type(project.task_tags, TaskTagManager)
    assert_type(project.task_tags.filter(name="x").first(), TaskTag | None)
    assert_type(client.task_tags.get(1), TaskTag)


def assignments(client: BackendClient) -> None:
    assert_type(client.assignments.get(1), Assignment)
    qs = client.assignments.filter(project=1, tasks=[1, 2])
    assert_type(qs, QuerySet[Assignment])
    assert_type(qs.first(), Assignment | None)
    assert_type(qs[:3], QuerySet[Assignment])
    for assignment in qs:
        assert_type(assignment, Assignment)
        assert_type(assignment.task, Task | None)
        assert_type(assignment.user, int | None)


def data(client: BackendClient) -> None:
    collection = client.data_collections.get(1)
    assert_type(collection, DataCollection)
    assert_type(collection.data_units, DataUnitManager)
    assert_type(collection.data_units.all(), QuerySet[DataUnit])
    assert_type(client.data_units.get(1), DataUnit)
    qs = client.data_units.filter(data_collection=1, id__in=[1, 2])
    assert_type(qs, QuerySet[DataUnit])
    assert_type(qs.first(), DataUnit | None)
    assert_type(qs[0].data_collection, DataCollection | None)
    assert_type(client.data_units.create_many([{"data_collection": 1}]), list[DataUnit])
    assert_type(client.data_files.verify_checksums(["abc"]), set[str])


def plugins_and_jobs(client: BackendClient) -> None:
    plugin = client.plugins.get(1)
    assert_type(plugin, Plugin)
    assert_type(client.plugins.filter(code="demo-plugin").first(), Plugin | None)
    assert_type(plugin.releases, PluginReleaseManager)
    assert_type(plugin.releases.all(), QuerySet[PluginRelease])
    assert_type(client.plugin_releases.get("demo-plugin@1.0.0"), PluginRelease)
    assert_type(client.plugin_releases.filter(plugin=1)[0].plugin, Plugin | None)

    job = client.plugins.get(1).run(action="x")
    assert_type(job, Job)
    assert_type(client.plugins.run(1, action="x"), Job)
    assert_type(client.plugins.run("demo-plugin", action="x"), Job)
    assert_type(job.wait(), Job)
    assert_type(client.tasks.get(1).refresh(), Task)
    assert_type(client.tasks.get(1).fetch(), Task)
    assert_type(client.plugins.get(1).save(), Plugin)
    assert_type(job.wait(30.0, poll=0.1, on_update=lambda j: None), Job)
    assert_type(job.is_finished, bool)
    assert_type(job.status, JobStatus | None)
    assert_type(job.logs(), list[JobLog])
    assert_type(job.logs()[0].message, str)

    assert_type(client.jobs.get(1), Job)
    assert_type(client.jobs.update(1, status="stopped"), Job)
    qs = client.jobs.filter(plugin=1, status=JobStatus.SUCCEEDED)
    assert_type(qs, QuerySet[Job])
    assert_type(qs.first(), Job | None)
    for each in qs:
        assert_type(each, Job)


def ml(client: BackendClient) -> None:
    assert_type(client.models.get(1), Model)
    assert_type(client.models.filter(project=1, is_released=True), QuerySet[Model])
    assert_type(client.models.filter(project=1)[0], Model)
    assert_type(client.storages.get(1), Storage)
    assert_type(client.storages.filter(is_default=True).first(), Storage | None)
    assert_type(client.storages.default(), Storage | None)

    dataset = client.ground_truth_datasets.get(1)
    assert_type(dataset, GroundTruthDataset)
    assert_type(dataset.versions, GroundTruthVersionManager)
    assert_type(client.ground_truth_datasets.filter(project=1), QuerySet[GroundTruthDataset])
    version = client.ground_truth_versions.get(1)
    assert_type(version, GroundTruthVersion)
    assert_type(version.events, QuerySet[GroundTruthEvent])

    events = client.ground_truth_events.filter(ground_truth_dataset_versions=[1], classes="car")
    assert_type(events, QuerySet[GroundTruthEvent])
    assert_type(events.first(), GroundTruthEvent | None)
    assert_type(events[:10], QuerySet[GroundTruthEvent])
    for event in events:
        assert_type(event, GroundTruthEvent)
        assert_type(event.classes, list[str])


def filters_from_the_typeddicts(client: BackendClient) -> None:
    """Filters the backend supports that the client used to refuse, and the plugin lookup."""
    assert_type(
        client.ground_truth_events.filter(
            ground_truth_dataset=1, categories=[GroundTruthCategory.TRAIN, "test"]
        ),
        QuerySet[GroundTruthEvent],
    )
    assert_type(
        client.assignments.filter(id=1, search="cat", status_label=AssignmentStatus.COMPLETED),
        QuerySet[Assignment],
    )
    assert_type(
        client.projects.filter(data_collection=1, category=ProjectCategory.IMAGE),
        QuerySet[Project],
    )
    assert_type(client.plugin_releases.filter(plugin="demo-plugin"), QuerySet[PluginRelease])
    assert_type(client.plugin_releases.filter(plugin=1), QuerySet[PluginRelease])
    assert_type(client.plugin_releases.filter(), QuerySet[PluginRelease])


def registry_and_navigation(client: BackendClient) -> None:
    """Managers come from the registry; related()/scoped() and every relation are precise."""
    assert_type(client.jobs, JobManager)
    assert_type(client.agents, AgentManager)
    assert_type(client.data_files, DataFileManager)
    assert_type(client.ground_truth_events, GroundTruthEventManager)
    assert_type(client.tasks.scoped(project=1), TaskManager)
    assert_type(client.tasks.related(ProjectManager), ProjectManager)
    assert_type(client.tasks.related(ProjectManager).get(1), Project)
    assert_type(client.projects.get(1).tasks.scoped(is_discarded=False), TaskManager)
    assert_type(client.agents.all(), QuerySet[Agent])
    assert_type(client.agents.health_check("token"), Any)

    assert_type(client.task_tags.get(1).project, Project | None)
    job = client.jobs.get(1)
    assert_type(job.plugin, Plugin | None)
    assert_type(job.plugin_release, PluginRelease | None)
    assert_type(job.save(), Job)
    assert_type(client.models.get(1).project, Project | None)
    assert_type(client.ground_truth_datasets.get(1).project, Project | None)
    version = client.ground_truth_versions.get(1)
    assert_type(version.ground_truth_dataset, GroundTruthDataset | None)
    event = client.ground_truth_events.filter(ground_truth_dataset=1)[0]
    assert_type(event.ground_truth_dataset, GroundTruthDataset | None)
    assert_type(event.ground_truth_dataset_version, GroundTruthVersion | None)
    assert_type(event.data_unit, DataUnit | None)


def one_door_per_endpoint(client: BackendClient) -> None:
    """Models, data files and plugin releases are written through their managers."""
    assert_type(client.models.create(name="m", file="weights.bin", chunk_size=1 << 20), Model)
    assert_type(client.uploads.create_model("m", file="weights.bin"), Model)
    assert_type(client.models.create_json({"name": "m"}, file="weights.bin"), Any)
    assert_type(client.data_files.upload("a.jpg"), DataFile)
    assert_type(client.data_files.create(chunked_upload="u"), DataFile)
    assert_type(client.data_files.get(1), DataFile)
    assert_type(client.uploads.data_file("a.jpg"), DataFile)
    assert_type(client.plugin_releases.create(plugin="p", version="1", file=b"zip"), PluginRelease)
    assert_type(client.uploads.create_plugin_release("p", "1"), PluginRelease)
    assert_type(client.plugin_releases.ref("p@1"), PluginRelease)


def official_reads(client: BackendClient) -> None:
    """The official client's reads: raw JSON on the client, typed twins on the managers."""
    assert_type(client.list_tasks_data({"project": 1}, list_all=True), ListAllRows)
    assert_type(client.list_data_units(page_size=10, timeout=5), PageEnvelope)
    assert_type(client.verify_data_files_checksums(["abc"]), ExistingChecksums)
    assert_type(client.get_chunked_upload(1), dict[str, Any])
    assert_type(client.get_default_storage(), dict[str, Any] | None)
    assert_type(client.exists("list_tasks", {"project": 1}), bool)
    assert_type(client.reset_connection(), None)
    assert_type(client.tasks.iter_data(project=1), Iterator[dict[str, Any]])
    assert_type(client.tasks.iter_files(ids=[1, 2]), Iterator[dict[str, Any]])
    assert_type(client.projects.get(1).tasks.iter_data(), Iterator[dict[str, Any]])
    assert_type(client.assignments.iter_data(tasks=[1]), Iterator[dict[str, Any]])
    assert_type(client.assignments.iter_files(project=1), Iterator[dict[str, Any]])
    assert_type(
        client.ground_truth_events.iter_data(ground_truth_dataset_versions=[1]),
        Iterator[dict[str, Any]],
    )
    assert_type(client.ground_truth_events.iter_files(classes="car"), Iterator[dict[str, Any]])
    assert_type(client.data_files.verify_checksums_json(["abc"]), dict[str, list[str]])
    assert_type(client.storages.default_json(), dict[str, Any] | None)
    assert_type(client.tasks.list_route_json("list_data"), PageEnvelope)
    assert_type(client.tasks.iter_route_json("list_files"), Iterator[dict[str, Any]])
    assert_type(client.list_plugin_releases("demo-plugin"), list[dict[str, Any]])
    assert_type(
        client.get_plugin_release_by_lookup("demo-plugin@1.0.0", expand=None), dict[str, Any]
    )


def official_call_forms(client: BackendClient, rows: ListAllRows) -> None:
    """The official client's call forms: ``list_*(list_all=True)`` carries its count."""
    assert_type(rows.count, int)
    assert_type(len(rows), int)
    assert_type(next(rows), dict[str, Any])
    assert_type(iter(rows), ListAllRows)
    assert_type(client.annotate_task_data(1, {}, schema="any"), dict[str, Any])
    assert_type(client.create_chunked_upload("f", read_timeout=60), dict[str, Any])
    assert_type(
        client.create_data_file("f", use_chunked_upload=None, read_timeout=60.0), dict[str, Any]
    )
    assert_type(client.upload_data_file({"files": {}}, 1, read_timeout=60), dict[str, Any])
    assert_type(client.create_model({"name": "m"}, file="model.pkl"), dict[str, Any])
    assert_type(client.create_plugin_release({"plugin": "p"}, file="p.zip"), dict[str, Any])


# -- rel: relation cache, prefetch_related, client.bind --
def relations_and_binding(client: BackendClient, task: Task, tasks: list[Task]) -> None:
    """``client.bind`` returns what it is given; ``prefetch_related`` keeps the row type."""
    assert_type(client.bind(task), Task)
    assert_type(client.bind(tasks), list[Task])
    assert_type(client.bind(client.tasks.all()), QuerySet[Task])
    assert_type(client.tasks.filter(project=1).prefetch_related("project"), QuerySet[Task])
    assert_type(client.assignments.all().prefetch_related("task").first(), Assignment | None)
    assert_type(task.project, Project | None)


# -- misc: bulk writes, ground truths, the official constructor --


def misc_official_surface(client: BackendClient, task: Task) -> None:
    """annotate_task_data_batch / annotate_many / tag_many, upload_data_collection, ground
    truths and the constructor's authorization_token / url_host."""
    from synapse_sdk import AnnotateReport, AnnotateResult, GroundTruth
    from synapse_sdk.clients._seed_annotation import AnnotateOutcome
    from synapse_sdk.clients._seed_bulk import CollectionItemOutcome

    batch = client.annotate_task_data_batch([(1, {}), {"task_id": 2, "data": {}}], max_workers=2)
    assert_type(batch, dict[int, AnnotateOutcome])
    assert_type(batch[1]["success"], bool)
    assert_type(batch[1]["error"], str | None)
    assert_type(batch[1]["response"], dict[str, Any] | None)
    report = client.tasks.annotate_many([(task, {}), (2, {})], schema="any", progress=True)
    assert_type(report, AnnotateReport[Task])
    assert_type(report[0], AnnotateResult[Task])
    assert_type(report[0].task, Task | None)
    assert_type(report[0].error, Exception | None)
    assert_type(report.failed, list[AnnotateResult[Task]])
    assert_type(client.tasks.iter_annotate(iter([(1, {})])), Iterator[AnnotateResult[Task]])
    assert_type(client.tasks.tag_many([task, 2], [1], remove=True), list[Any])
    outcomes = client.upload_data_collection(1, [{"files": {"image_1": "a.png"}}], project_id=2)
    assert_type(outcomes, list[CollectionItemOutcome])
    assert_type(outcomes[0]["data_unit"], dict[str, Any] | None)
    assert_type(client.list_ground_truths({"ground_truth_dataset": 1}, page_size=50), PageEnvelope)
    assert_type(client.ground_truths.filter(category="train", task=1), QuerySet[GroundTruth])
    assert_type(client.ground_truths.filter(categories=["train"]).first(), GroundTruth | None)
    assert_type(client.ground_truth_versions.get(1).ground_truths, QuerySet[GroundTruth])
    assert_type(
        BackendClient("http://x", authorization_token="t", url_host="internal"), BackendClient
    )


# -- presigned: bulk upload through presigned URLs --


def presigned_uploads(client: BackendClient) -> None:
    """The typed twin returns a typed report; the seed forms return dicts."""
    from synapse_sdk import PresignedFile, PresignedReport
    from synapse_sdk.uploads import BulkUploadFile, BulkUploadResult

    report = client.uploads.presigned(["a.bin"], max_workers=4, batch_size=50, progress=True)
    assert_type(report, PresignedReport)
    assert_type(report[0], PresignedFile)
    assert_type(report.files, list[PresignedFile])
    assert_type(report.data_file_ids, list[int])
    assert_type(report[0].data_file_id, int | None)
    assert_type(report[0].error, BaseException | None)
    assert_type(client.data_files.upload_presigned(["a.bin"]), PresignedReport)
    result = client.upload_files_bulk(["a.bin"], strategy="presigned")
    assert_type(result, BulkUploadResult)
    assert_type(result["results"][0], BulkUploadFile)
    assert_type(result["created_count"], int)
    assert_type(client.request_presigned_upload([{"filename": "a", "size": 1}]), dict[str, Any])
    assert_type(client.confirm_presigned_upload([]), dict[str, Any])
    assert_type(client.upload_file_to_presigned_url("http://s/x", "a.bin"), dict[str, Any])


# -- writes: enum-typed fields, get() errors, idempotent uploads --
def writes_enums_errors_uploads(client: BackendClient) -> None:
    """Choice fields read as their enum; get()'s errors carry their query; reuse is reported."""
    from synapse_sdk import (
        AssignmentReviewStatus,
        AssignmentStatus,
        DataCollectionCategory,
        DoesNotExist,
        FileType,
        GroundTruthCategory,
        ItemResult,
        LogLevel,
        MultipleObjectsReturned,
        PluginCategory,
        ProjectCategory,
        StorageCategory,
        StorageProvider,
    )
    from synapse_sdk._transfer import ItemStatus

    task = client.tasks.get(1)
    assert_type(task.status, TaskStatus | None)
    if task.status is not None:
        assert_type(task.status.is_known, bool)
        assert_type(task.status.value, str)
    assignment = client.assignments.get(1)
    assert_type(assignment.status_label, AssignmentStatus | None)
    assert_type(assignment.status_review, AssignmentReviewStatus | None)
    assert_type(client.jobs.get(1).status, JobStatus | None)
    assert_type(client.plugins.get(1).category, PluginCategory | None)
    assert_type(client.projects.get(1).category, ProjectCategory | None)
    collection = client.data_collections.get(1)
    assert_type(collection.category, DataCollectionCategory | None)
    assert_type(collection.file_specifications[0].file_type, FileType | None)
    storage = client.storages.get(1)
    assert_type(storage.category, StorageCategory | None)
    assert_type(storage.provider, StorageProvider | None)
    assert_type(client.jobs.get(1).logs()[0].level, LogLevel | None)
    assert_type(next(iter(client.ground_truth_events.all())).category, GroundTruthCategory | None)
    try:
        client.tasks.filter(project=1).get()
    except MultipleObjectsReturned as err:
        assert_type(err.count, int | None)
        assert_type(err.filters, dict[str, Any])
    except DoesNotExist as gone:
        assert_type(gone.filters, dict[str, Any])
    report = collection.upload(["a.png"], existing_units="create")
    assert_type(report.reused, list[ItemResult[DataUnit]])
    assert_type(report[0].status, ItemStatus)
    assert_type(report[0].data_unit_id, int | None)


# -- qs: Django querysets and managers --


def django_querysets(client: BackendClient) -> None:
    assert_type(client.tasks.count(), int)
    assert_type(client.tasks.exists(), bool)
    assert_type(client.tasks.first(), Task | None)
    assert_type(client.projects.last(), Project | None)
    assert_type(list(client.projects), list[Project])
    assert_type(client.tasks[0], Task)
    assert_type(client.tasks[:5], QuerySet[Task])
    assert_type(client.tasks.iterator(), Iterator[Task])
    assert_type(client.tasks.order_by("-id"), QuerySet[Task])
    assert_type(client.tasks.filter(project=1).filter(status="pending"), QuerySet[Task])
    assert_type(client.tasks.order_by("id").filter(id__in=[1, 2]), QuerySet[Task])
    assert_type(client.agents.all().filter(status="connected"), QuerySet[Agent])
    assert_type(client.tasks.filter(project=1).last(), Task | None)
    assert_type(client.tasks.values("id"), RowQuery[dict[str, Any]])
    assert_type(client.tasks.values("id").first(), dict[str, Any] | None)
    assert_type(client.tasks.values_list("id", "status"), RowQuery[tuple[Any, ...]])
    assert_type(client.tasks.filter(project=1).values_list("id", flat=True), RowQuery[Any])
    assert_type(client.tasks.values("id")[0], dict[str, Any])
    assert_type(client.tasks.in_bulk([1, 2]), dict[int, Task])
    assert_type(client.jobs.filter(status="RUNNING").in_bulk(), dict[int, Job])
    assert_type(client.tasks.to_pandas(columns=["id", "project_id"]), Any)
    assert_type(client.tasks.get(project=1, status="pending"), Task)
    assert_type(client.projects.get(pk=1), Project)


# -- jobs: job ids, the log tail, create_logs, serve applications --


def jobs_tail_logs_and_serve_applications(client: BackendClient, job: Job) -> None:
    """Job ids are ints or UUIDs; the tail yields typed events; wait() raises on failure."""
    import uuid

    from synapse_sdk import JobFailedError, JobLog, JobLogEvent, ServeApplication

    uuid_str = "3f2b8c1e-0000-4000-8000-000000000001"
    assert_type(client.jobs.get(uuid_str), Job)
    assert_type(client.jobs.get(uuid.UUID(uuid_str)), Job)
    assert_type(client.jobs.get(7), Job)
    assert_type(job.id, int | str)
    assert_type(next(job.tail()), JobLogEvent)
    assert_type(next(client.jobs.tail(uuid_str, idle_timeout=30.0, timeout=None)), JobLogEvent)
    assert_type(next(job.tail()).message, str)
    assert_type(next(job.tail()).time, dt.datetime | None)
    assert_type(job.wait(raise_on_failure=False), Job)
    assert_type(JobFailedError("x").logs, list[Any])
    assert_type(client.jobs.create_logs({"message": "m"}), list[JobLog])
    assert_type(next(client.tail_job_console_logs(uuid_str)), str)
    assert_type(client.create_logs([{"message": "m", "level": "info"}]), Any)
    assert_type(client.create_serve_application({"job": uuid_str}), dict[str, Any])
    assert_type(client.list_serve_applications(list_all=True), ListAllRows)
    assert_type(client.serve_applications.get(1), ServeApplication)
    assert_type(
        client.serve_applications.filter(job=uuid_str, status="RUNNING").first(),
        ServeApplication | None,
    )
    assert_type(client.serve_applications.get(1).job_id, int | str | None)


# -- seed API: precise returns, list_all overloads --
def seed_returns(client: BackendClient) -> None:
    """Seed methods return the documented shapes; ``list_all`` picks page or iterator."""
    assert_type(client.list_tasks(), PageEnvelope)
    assert_type(client.list_tasks({"project": 1}), PageEnvelope)
    assert_type(client.list_tasks({"project": 1}, list_all=True), ListAllRows)
    assert_type(client.list_tasks({"project": 1}, None, True), PageEnvelope | ListAllRows)
    flag: bool = bool(client)
    assert_type(client.list_assignments(list_all=flag), PageEnvelope | ListAllRows)
    assert_type(client.list_data_units(list_all=True, page_size=50), ListAllRows)
    assert_type(client.list_ground_truths(list_all=True), ListAllRows)
    assert_type(client.list_serve_applications(list_all=True), ListAllRows)
    assert_type(client.list_tasks_files({"project": 1}), PageEnvelope)
    assert_type(client.list_tasks()["results"], list[dict[str, Any]])
    assert_type(client.list_tasks().get("count"), int | None)
    assert_type(client.get_task(1), dict[str, Any])
    assert_type(client.get_job("3f2b8c1e-0000-4000-8000-000000000000"), dict[str, Any])
    assert_type(client.list_jobs(), PageEnvelope)
    assert_type(client.create_data_units([]), list[dict[str, Any]] | dict[str, Any])
    assert_type(client.get_default_storage(), dict[str, Any] | None)

    assert_type(client.annotate_task_data(1, {}, schema="any"), dict[str, Any])
    assert_type(client.create_chunked_upload("f", read_timeout=60), dict[str, Any])
    assert_type(
        client.create_data_file("f", use_chunked_upload=None, read_timeout=60.0), dict[str, Any]
    )
    assert_type(client.upload_data_file({"files": {}}, 1, read_timeout=60), dict[str, Any])
    assert_type(client.create_model({"name": "m"}, file="model.pkl"), dict[str, Any])
    assert_type(client.create_plugin_release({"plugin": "p"}, file="p.zip"), dict[str, Any])


# -- export: project.export / tasks queryset export --
def export_is_typed(client: BackendClient) -> None:
    from synapse_sdk._export import ExportResult

    project = client.projects.get(1)
    assert_type(project.export("out"), ExportResult)
    assert_type(client.tasks.filter(project=1).export("out", include=["tasks"]), ExportResult)
    assert_type(project.export("out").counts, dict[str, int])
    assert_type(project.export("out").ok, bool)


# -- async: twins in the client's thread pool (docs/async.md) --
async def async_twins_are_typed(client: BackendClient) -> None:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from synapse_sdk._http import Timeout
    from synapse_sdk.resources._job_tail import JobLogEvent
    from synapse_sdk.uploads import ChunkedUpload

    assert_type(await client.tasks.aget(1), Task)
    assert_type(await client.jobs.aget("3f2b8c1e-0000-4000-8000-000000000000"), Job)
    assert_type(await client.tasks.aget(project=1), Task)
    assert_type(await client.tasks.acreate(project=1, data_unit=1), Task)
    assert_type(await client.plugins.aupdate(1, name="p"), Plugin)
    assert_type(await client.data_files.aget(1), DataFile)
    assert_type(await client.projects.afetch_json(1, timeout=Timeout(read=5)), Any)
    qs = client.tasks.filter(project=1)
    assert_type(await qs.acount(), int)
    assert_type(await qs.aexists(), bool)
    assert_type(await qs.afirst(), Task | None)
    assert_type(await qs.alast(), Task | None)
    assert_type(await qs.aget(), Task)
    assert_type(await qs.alist(), list[Task])
    assert_type(await qs.ain_bulk([1, 2]), dict[int, Task])
    assert_type(await qs.apreview(5), Page[Task])
    assert_type(qs.aiterator(), AsyncIterator[Task])
    assert_type(await client.tasks.acount(), int)
    assert_type(await client.projects.afirst(), Project | None)
    assert_type(client.tasks.aiterator(), AsyncIterator[Task])
    async for task in qs.aiterator():
        assert_type(task, Task)
    t = await client.tasks.aget(1)
    assert_type(await t.aannotate({}, action="submit"), Task)
    assert_type(await t.afetch(), Task)
    assert_type(await t.arefresh(), Task)
    plugin = await client.plugins.aget(1)
    assert_type(await plugin.asave(), Plugin)
    job = await client.jobs.aget(1)
    assert_type(await job, Job)
    assert_type(await job.await_completion(timeout=5, raise_on_failure=False), Job)
    assert_type(await job.alogs(), list[JobLog])
    assert_type(job.atail(timeout=5), AsyncIterator[JobLogEvent])
    assert_type(client.jobs.atail(1), AsyncIterator[JobLogEvent])
    assert_type(await client.uploads.achunked("f.bin"), ChunkedUpload)
    assert_type(await client.uploads.adata_file("f.bin"), DataFile)
    unit = await client.data_units.aget(1)
    assert_type(await unit.adownload("out"), dict[str, Path])
    assert_type(await client.aget_task(1), dict[str, Any])
    assert_type(await client.alist_tasks({"project": 1}), PageEnvelope)
    assert_type(await client.aget_default_storage(), dict[str, Any] | None)
    assert_type(await client.acreate_data_units([]), list[dict[str, Any]] | dict[str, Any])
    assert_type(await client.aexists("get_task", 1), bool)
    assert_type(client.atail_job_console_logs(1), AsyncIterator[str])
    async with BackendClient("http://x", async_workers=8) as c:
        assert_type(c, BackendClient)
    await client.aclose()


# -- speed: lazy rows --
def validate_is_typed(client: BackendClient) -> None:
    task = client.tasks.get(1)
    assert_type(task.validate(), Task)
    assert_type(client.projects.get(1).validate(), Project)


# -- partitions: partitions, Dask helpers, sharded imports --
def partitions_are_typed(client: BackendClient) -> None:
    from synapse_sdk import ImportPlan, ImportReport, Partition, ShardReport
    from synapse_sdk.resources import Task

    parts = client.tasks.filter(project=1).partitions(size=1000, plan="scan")
    assert_type(parts, list[Partition[Task]])
    assert_type(parts[0].fetch(), list[Task])
    assert_type(list(parts[0]), list[Task])
    assert_type(parts[0].bind(client), Partition[Task])
    assert_type(parts[0].after, int | None)
    plan = client.uploads.plan(["a.png"], collection=1, shard_size=10)
    assert_type(plan, ImportPlan)
    assert_type(plan.shards[0].run(client), ShardReport)
    assert_type(plan.merge([]), ImportReport)
    assert_type(plan.merge([]).counts(), dict[str, int])

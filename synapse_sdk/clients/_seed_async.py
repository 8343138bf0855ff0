"""The async twins of the seed API's flat methods: ``await client.aget_task(1)``,
``await client.alist_tasks({"project": 1})`` ... one line each, derived by
:func:`~synapse_sdk._async.asyncify` from the sync method (same arguments, same JSON; see
docs/async.md). ``tests/asyncio/test_async_seed.py`` checks every flat method has its twin.

A ``list_*`` twin returns one page (the envelope): ``list_all=True`` is the sync API's lazy
iterator, whose rows an ``await`` collects into a list in the pool (typed as the first overload,
so type checkers only accept the page form). ``tail_job_console_logs`` has an ``async for`` twin.
Twins of writes are marked ``write=True`` (a cancelled one reports ``OutcomeUnknownError``).
"""

from __future__ import annotations

from synapse_sdk._async import asyncify, asyncify_iter
from synapse_sdk.clients._seed_annotation import AnnotationMethods
from synapse_sdk.clients._seed_bulk import BulkMethods
from synapse_sdk.clients._seed_data import DataMethods
from synapse_sdk.clients._seed_integration import IntegrationMethods
from synapse_sdk.clients._seed_ml import MLMethods

__all__ = ["AsyncSeedMethods", "SEED_TWINS"]


class AsyncSeedMethods:
    """``a<name>`` for every flat method ``<name>`` of the seed API."""

    # -- AnnotationMethods --
    aget_project = asyncify(AnnotationMethods.get_project)
    aget_task = asyncify(AnnotationMethods.get_task)
    aannotate_task_data = asyncify(AnnotationMethods.annotate_task_data, write=True)
    aannotate_task_data_batch = asyncify(AnnotationMethods.annotate_task_data_batch, write=True)
    alist_tasks = asyncify(AnnotationMethods.list_tasks)
    acreate_tasks = asyncify(AnnotationMethods.create_tasks, write=True)
    aset_tags_tasks = asyncify(AnnotationMethods.set_tags_tasks, write=True)
    aget_assignment = asyncify(AnnotationMethods.get_assignment)
    alist_assignments = asyncify(AnnotationMethods.list_assignments)
    aset_tags_assignments = asyncify(AnnotationMethods.set_tags_assignments, write=True)
    alist_tasks_data = asyncify(AnnotationMethods.list_tasks_data)
    alist_tasks_files = asyncify(AnnotationMethods.list_tasks_files)
    alist_assignments_data = asyncify(AnnotationMethods.list_assignments_data)
    alist_assignments_files = asyncify(AnnotationMethods.list_assignments_files)
    alist_task_tags = asyncify(AnnotationMethods.list_task_tags)
    aget_task_tag = asyncify(AnnotationMethods.get_task_tag)
    # -- BulkMethods --
    aupload_data_collection = asyncify(BulkMethods.upload_data_collection, write=True)
    # -- DataMethods --
    acreate_chunked_upload = asyncify(DataMethods.create_chunked_upload, write=True)
    aresume_chunked_upload = asyncify(DataMethods.resume_chunked_upload, write=True)
    alist_data_collection = asyncify(DataMethods.list_data_collection)
    alist_data_collections = asyncify(DataMethods.list_data_collections)
    aget_data_collection = asyncify(DataMethods.get_data_collection)
    acreate_data_file = asyncify(DataMethods.create_data_file, write=True)
    aupload_data_file = asyncify(DataMethods.upload_data_file, write=True)
    acreate_data_units = asyncify(DataMethods.create_data_units, write=True)
    aupload_files_bulk = asyncify(DataMethods.upload_files_bulk, write=True)
    arequest_presigned_upload = asyncify(DataMethods.request_presigned_upload, write=True)
    aconfirm_presigned_upload = asyncify(DataMethods.confirm_presigned_upload, write=True)
    aupload_file_to_presigned_url = asyncify(DataMethods.upload_file_to_presigned_url, write=True)
    alist_data_units = asyncify(DataMethods.list_data_units)
    aget_data_unit = asyncify(DataMethods.get_data_unit)
    averify_data_files_checksums = asyncify(DataMethods.verify_data_files_checksums)
    aget_chunked_upload = asyncify(DataMethods.get_chunked_upload)
    # -- IntegrationMethods --
    ahealth_check_agent = asyncify(IntegrationMethods.health_check_agent)
    aget_plugin = asyncify(IntegrationMethods.get_plugin)
    acreate_plugin = asyncify(IntegrationMethods.create_plugin, write=True)
    aupdate_plugin = asyncify(IntegrationMethods.update_plugin, write=True)
    arun_plugin = asyncify(IntegrationMethods.run_plugin, write=True)
    acreate_plugin_release = asyncify(IntegrationMethods.create_plugin_release, write=True)
    aget_plugin_release = asyncify(IntegrationMethods.get_plugin_release)
    alist_jobs = asyncify(IntegrationMethods.list_jobs)
    aget_job = asyncify(IntegrationMethods.get_job)
    aupdate_job = asyncify(IntegrationMethods.update_job, write=True)
    alist_job_console_logs = asyncify(IntegrationMethods.list_job_console_logs)
    atail_job_console_logs = asyncify_iter(IntegrationMethods.tail_job_console_logs, batch=1)
    acreate_logs = asyncify(IntegrationMethods.create_logs, write=True)
    alist_serve_applications = asyncify(IntegrationMethods.list_serve_applications)
    acreate_serve_application = asyncify(IntegrationMethods.create_serve_application, write=True)
    alist_storages = asyncify(IntegrationMethods.list_storages)
    aget_storage = asyncify(IntegrationMethods.get_storage)
    acreate_storage = asyncify(IntegrationMethods.create_storage, write=True)
    alist_plugin_releases = asyncify(IntegrationMethods.list_plugin_releases)
    aget_plugin_release_by_lookup = asyncify(IntegrationMethods.get_plugin_release_by_lookup)
    alist_agents = asyncify(IntegrationMethods.list_agents)
    aget_default_storage = asyncify(IntegrationMethods.get_default_storage)
    # -- MLMethods --
    alist_models = asyncify(MLMethods.list_models)
    aget_model = asyncify(MLMethods.get_model)
    acreate_model = asyncify(MLMethods.create_model, write=True)
    alist_ground_truth_events = asyncify(MLMethods.list_ground_truth_events)
    alist_ground_truths = asyncify(MLMethods.list_ground_truths)
    aget_ground_truth_version = asyncify(MLMethods.get_ground_truth_version)
    alist_ground_truth_versions = asyncify(MLMethods.list_ground_truth_versions)
    alist_ground_truth_events_data = asyncify(MLMethods.list_ground_truth_events_data)
    alist_ground_truth_events_files = asyncify(MLMethods.list_ground_truth_events_files)


#: The seed methods that have a twin (``a`` + name).
SEED_TWINS = frozenset(name[1:] for name in vars(AsyncSeedMethods) if name.startswith("a"))

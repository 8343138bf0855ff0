"""The async twins give what the sync API gives, against the local backend over HTTP."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest
from async_harness import run

from synapse_sdk import Job, Task
from synapse_sdk._async import AsyncPool, asyncify, asyncify_iter, asyncify_self
from synapse_sdk.clients._seed_annotation import AnnotationMethods
from synapse_sdk.clients._seed_async import SEED_TWINS, AsyncSeedMethods
from synapse_sdk.clients._seed_bulk import BulkMethods
from synapse_sdk.clients._seed_data import DataMethods
from synapse_sdk.clients._seed_integration import IntegrationMethods
from synapse_sdk.clients._seed_ml import MLMethods
from synapse_sdk.clients.backend import BackendClient

SEED_GROUPS = (AnnotationMethods, BulkMethods, DataMethods, IntegrationMethods, MLMethods)


def test_every_seed_method_has_a_twin_of_the_same_signature() -> None:
    methods = {
        name
        for group in SEED_GROUPS
        for name, value in vars(group).items()
        if not name.startswith("_") and callable(value)
    }
    assert len(methods) >= 64
    assert methods == SEED_TWINS
    for name in methods:
        twin = vars(AsyncSeedMethods)[f"a{name}"]
        assert isinstance(twin, asyncify | asyncify_iter)
        assert getattr(BackendClient, twin.name) is getattr(BackendClient, name)  # aliases too


def test_twins_are_coroutine_functions_calling_the_sync_method_by_name(
    client: BackendClient,
) -> None:
    assert inspect.iscoroutinefunction(client.tasks.aget)
    assert inspect.iscoroutinefunction(client.aget_task)
    assert isinstance(type(client.tasks).aget, asyncify)
    assert isinstance(Job.asave, asyncify_self)


def test_typed_twins_equal_the_sync_results(client: BackendClient, demo: dict[str, Any]) -> None:
    project = demo["project"]
    qs = client.tasks.filter(project=project).order_by("id")

    async def main() -> None:
        assert await client.tasks.aget(demo["task"]) == client.tasks.get(demo["task"])
        assert (await client.tasks.aget(demo["task"])).to_dict() == client.tasks.get(
            demo["task"]
        ).to_dict()
        assert await qs.acount() == qs.count() == 5
        assert await qs.aexists() is qs.exists() is True
        assert await client.tasks.filter(id__in=[999]).aexists() is False
        assert await qs.afirst() == qs.first()
        assert await qs.alast() == qs.last()
        assert await qs.alist() == list(qs)
        assert await qs.ain_bulk([1, 2]) == qs.in_bulk([1, 2])
        assert (await qs.apreview(2)).items == qs.preview(2).items
        assert await qs.filter(id=1).aget() == qs.filter(id=1).get()
        assert [t async for t in qs.options(page_size=2).aiterator()] == list(qs)
        assert await client.tasks.acount() == client.tasks.count()
        assert await client.tasks.afirst() == client.tasks.first()
        assert [t async for t in client.tasks.aiterator()] == list(client.tasks.iterator())
        assert await client.projects.afetch_json(project) == client.projects.fetch_json(project)

    run(main())


def test_writes_and_resources(client: BackendClient, demo: dict[str, Any]) -> None:
    async def main() -> None:
        task = await client.tasks.acreate(project=demo["project"], data_unit=demo["data_units"][0])
        assert isinstance(task, Task)
        assert client.tasks.get(task.id) == task
        annotated = await task.aannotate({"annotations": [{"class": "dog"}]})
        assert annotated is task
        assert client.tasks.get(task.id).data == task.data == {"annotations": [{"class": "dog"}]}
        stub = client.tasks.ref(task.id)
        assert (await stub.afetch()) is stub and stub.is_loaded
        assert (await stub.arefresh()).to_dict() == client.tasks.get(task.id).to_dict()
        plugin = client.plugins.get(demo["plugin"])
        plugin.name = "renamed async"
        assert (await plugin.asave()) is plugin
        assert client.plugins.get(plugin.id).name == "renamed async"

    run(main())


def test_seed_twins_equal_the_sync_results(client: BackendClient, demo: dict[str, Any]) -> None:
    async def main() -> None:
        assert await client.aget_task(demo["task"]) == client.get_task(demo["task"])
        assert await client.aget_project(demo["project"]) == client.get_project(demo["project"])
        page = await client.alist_tasks({"project": demo["project"]})
        assert page == client.list_tasks({"project": demo["project"]})
        rows = await client.alist_tasks({"project": demo["project"]}, list_all=True)  # type: ignore[call-overload]
        assert rows == list(client.list_tasks({"project": demo["project"]}, list_all=True))
        assert (
            await client.alist_projects() == client.list_projects()
            if hasattr(client, "alist_projects")
            else True
        )
        assert await client.aexists("get_task", 999) is client.exists("get_task", 999) is False
        assert await client.aget_job(demo["job"]) == client.get_job(demo["job"])

    run(main())


def test_jobs_are_awaitable_and_tail_async(client: BackendClient, demo: dict[str, Any]) -> None:
    async def main() -> None:
        job = client.plugins.run(demo["plugin"], action="train", params={})
        done = await job
        assert isinstance(done, Job) and done is job and done.is_finished
        again = await job.await_completion(timeout=10, raise_on_failure=False)
        assert again.status == client.jobs.get(job.id).wait(timeout=10).status
        lines = [event async for event in job.atail(timeout=10)]
        assert [e.message for e in lines] == [e.message for e in job.tail(timeout=10)]
        assert lines
        assert [log.message for log in await job.alogs()] == [log.message for log in job.logs()]

    run(main())


def test_twin_arguments_are_checked_like_the_sync_ones(client: BackendClient) -> None:
    async def main() -> None:
        with pytest.raises(TypeError):
            await client.tasks.aget("x")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            client.tasks.all().aiterator(progress="yes")  # type: ignore[arg-type]

    run(main())


def test_pool_is_lazy_bounded_shared_and_closed_with_the_client(synapse_backend: Any) -> None:
    c = BackendClient(synapse_backend.url, api_token=synapse_backend.api_token, pool_maxsize=5)
    pool = c._ctx.async_pool
    assert pool.workers == 5 and "idle" in repr(pool)
    assert c.with_options(timeout=5)._ctx.async_pool is pool
    assert BackendClient(synapse_backend.url, async_workers=3)._ctx.async_pool.workers == 3

    async def main() -> None:
        async with c:
            await asyncio.gather(*(c.tasks.aget(1) for _ in range(12)))
            assert pool.started and pool.workers == 5
        assert not pool.started  # aclose() shut it down
        assert (await c.tasks.aget(1)).id == 1  # usable again: a new pool, as it reconnects
        c.close()
        assert not pool.started

    run(main())


@pytest.mark.parametrize("bad", [0, 1025, -1])
def test_async_workers_out_of_range(bad: int) -> None:
    with pytest.raises(ValueError, match="async_workers"):
        BackendClient("http://127.0.0.1:1", async_workers=bad)
    with pytest.raises(ValueError, match="async_workers"):
        AsyncPool(bad)


@pytest.mark.parametrize("bad", ["4", 2.0, True])
def test_async_workers_wrong_type(bad: object) -> None:
    with pytest.raises(TypeError, match="async_workers"):
        BackendClient("http://127.0.0.1:1", async_workers=bad)  # type: ignore[arg-type]

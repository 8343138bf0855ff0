"""Quickstart: a real workflow through the typed API.

Runs against the backend named by SYNAPSE_BASE_URL / SYNAPSE_API_TOKEN when both are set;
otherwise it starts the embedded local backend (synapse_sdk.devserver) with demo data.

    python examples/quickstart.py
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from synapse_sdk import BackendClient, JobStatus


@contextlib.contextmanager
def backend_client() -> Iterator[BackendClient]:
    """A client for the configured backend, or for an embedded local one."""
    if os.environ.get("SYNAPSE_BASE_URL") and os.environ.get("SYNAPSE_API_TOKEN"):
        with BackendClient() as client:
            print(f"Using the backend at {client.base_url}")
            yield client
        return
    from synapse_sdk.devserver import LocalBackend

    with LocalBackend(seed="demo", job_duration=0.5) as backend:
        print(f"Started the local backend at {backend.url}")
        with BackendClient(backend.url, api_token=backend.api_token) as client:
            yield client


def main() -> int:
    with backend_client() as client, tempfile.TemporaryDirectory() as tmp:
        # 1. Data: upload local files as data units of a collection.
        collection = client.data_collections.all().first()
        if collection is None:
            print("No data collection on this backend; create one first.")
            return 1
        spec = next(s for s in collection.file_specifications if s.is_required)
        suffix = spec.extensions[0] if spec.extensions else ".bin"
        items = []
        for i in range(3):
            path = Path(tmp) / f"sample_{i}{suffix}"
            path.write_bytes(os.urandom(2048))
            items.append(
                client.uploads.data_unit_item(
                    {"files": {spec.name: path}, "meta": {"source": "quickstart", "index": i}},
                    collection.id,
                )
            )
        units = client.data_units.create_many(items)
        print(f"Uploaded {len(units)} data units into collection {collection.name!r}")

        # 2. Tasks: one per new data unit, in a project of that collection.
        project = client.projects.all().first()
        assert project is not None
        new_tasks = project.tasks.create_many([u.id for u in units])
        print(f"Created tasks {[t.id for t in new_tasks]} in project {project.title!r}")

        # 3. Lazy, typed listing: nothing is sent until the queryset is evaluated.
        pending = client.tasks.filter(project=project.id, status="pending").order_by("-id")
        print(repr(pending))
        print(f"{pending.count()} pending tasks; newest three: {[t.id for t in pending[:3]]}")

        # 4. Annotate and tag.
        task = new_tasks[0]
        task.annotate({"annotations": [{"class": "cat", "bbox": [10, 10, 100, 100]}]})
        tag = project.task_tags.all().first()
        if tag is not None:
            task.set_tags([tag.id])
        print(f"Task {task.id} is {task.refresh().status} with tags {task.tags}")

        # 5. Run a plugin and wait for its job.
        plugin = client.plugins.all().first()
        if plugin is not None:
            job = plugin.run(action="train", params={"epochs": 1})
            job.wait(timeout=120, raise_on_failure=False)
            print(f"Job {job.id} finished {job.status}; log: {[x.message for x in job.logs()]}")
            if job.status is not JobStatus.SUCCEEDED:
                return 1

        # 6. Models and storages.
        model = client.models.all().first()
        if model is not None:
            print(f"Model {model.name!r}: {model.file}")
        for storage in client.storages.all():
            print(f"Storage {storage.name!r}: {storage.provider} ({storage.category})")
    print("Quickstart finished.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

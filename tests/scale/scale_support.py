"""Helpers of the scale tests: a local backend whose demo project has many tasks."""

from __future__ import annotations

import json
from typing import Any

import urllib3

from synapse_sdk.devserver import LocalBackend


def fill_tasks(backend: LocalBackend, n: int) -> int:
    """Give the demo project ``n`` more tasks (``POST tasks/`` in batches of 1,000); its id."""
    project = int(backend.demo["project"])
    units = list(backend.demo["data_units"])
    headers = {**backend.headers(), "Content-Type": "application/json"}
    pool = urllib3.connection_from_url(backend.url, maxsize=1)
    try:
        while n > 0:
            batch = min(1000, n)
            body: dict[str, Any] = {
                "project": project,
                "data": [{"data_unit": units[i % len(units)]} for i in range(batch)],
            }
            response = pool.request("POST", "/tasks/", body=json.dumps(body), headers=headers)
            assert response.status == 201, response.data[:200]
            n -= batch
    finally:
        pool.close()
    return project

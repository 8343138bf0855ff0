"""Request ids: random version-4 UUIDs in hex, not repeated by ``random.seed`` or a fork."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import uuid

import pytest

from synapse_sdk._http._request_id import request_id


def test_ids_are_version_4_uuids_in_hex() -> None:
    ids = [request_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for rid in ids:
        parsed = uuid.UUID(rid)
        assert parsed.hex == rid and parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_seeding_the_random_module_does_not_repeat_ids() -> None:
    random.seed(7)
    first = request_id()
    random.seed(7)
    assert request_id() != first


CHILD = """
import os
from synapse_sdk._http._request_id import request_id
read, write = os.pipe()
pid = os.fork()
if pid == 0:
    os.write(write, request_id().encode())
    os._exit(0)
os.close(write)
child = os.read(read, 64).decode()
os.waitpid(pid, 0)
print(child, request_id())
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX-only")
def test_a_forked_child_draws_other_ids() -> None:
    # In a fresh single-threaded interpreter (forking pytest's threaded process warns on 3.12+).
    done = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60, check=True
    )
    child, parent = done.stdout.split()
    assert len(child) == len(parent) == 32 and child != parent

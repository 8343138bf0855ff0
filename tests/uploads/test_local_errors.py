"""A file that cannot be uploaded fails with a clear error before any request (journal empty)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.devserver import LocalBackend

CALLS: dict[str, Callable[[BackendClient, Any, dict[str, Any]], Any]] = {
    "create_chunked_upload": lambda c, p, d: c.create_chunked_upload(p),
    "create_data_file": lambda c, p, d: c.create_data_file(p),
    "create_data_file chunked": lambda c, p, d: c.create_data_file(p, use_chunked_upload=True),
    "upload_data_file": lambda c, p, d: c.upload_data_file(
        {"files": {"image_1": p}}, d["data_collection"]
    ),
    "create_model": lambda c, p, d: c.create_model({"name": "m", "file": p}),
    "create_plugin_release": lambda c, p, d: c.create_plugin_release(
        {"plugin": d["plugin_code"], "version": "9.9.9", "file": p}
    ),
    "uploads.chunked": lambda c, p, d: c.uploads.chunked(p),
    "uploads.data_file": lambda c, p, d: c.uploads.data_file(p),
    "uploads.create_model": lambda c, p, d: c.uploads.create_model("m", file=p),
    "resume_chunked_upload": lambda c, p, d: c.resume_chunked_upload(
        "1b4e28ba-2fa1-11d2-883f-0016d3cca427", p
    ),
}


def bad_paths(tmp_path: Path) -> dict[str, tuple[Any, type[BaseException], str]]:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    return {
        "missing": (tmp_path / "nope.bin", FileNotFoundError, "no such file"),
        "directory": (tmp_path, IsADirectoryError, "directory"),
        "fifo": (fifo, OSError, "not a regular file"),
        "empty path": ("", ValueError, "non-empty"),
        "nul byte": ("a\x00b", ValueError, "NUL"),
        "not a path": (42, TypeError, "str or Path"),
    }


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_unusable_files_fail_before_any_request(
    client: BackendClient,
    synapse_backend: LocalBackend,
    demo: dict[str, Any],
    tmp_path: Path,
    call: Callable[[BackendClient, Any, dict[str, Any]], Any],
) -> None:
    synapse_backend.journal.clear()
    for name, (path, error, text) in bad_paths(tmp_path).items():
        with pytest.raises(error, match=text):
            call(client, path, demo)
        assert synapse_backend.journal.entries() == [], name


CHILD = """
import json, sys
from synapse_sdk.clients.backend import BackendClient
url, token, path, collection, code = sys.argv[1:6]
out = {}
with BackendClient(url, api_token=token) as c:
    calls = {
        "create_chunked_upload": lambda: c.create_chunked_upload(path),
        "create_data_file": lambda: c.create_data_file(path),
        "upload_data_file": lambda: c.upload_data_file(
            {"files": {"image_1": path}}, int(collection)),
        "create_model": lambda: c.create_model({"name": "m", "file": path}),
        "create_plugin_release": lambda: c.create_plugin_release(
            {"plugin": code, "version": "9.9.9", "file": path}),
    }
    for name, call in calls.items():
        try:
            call()
            out[name] = "no error"
        except Exception as exc:
            out[name] = [type(exc).__name__, str(exc)]
print(json.dumps(out))
"""


def _without_file_capabilities() -> list[str] | None:
    """A command prefix under which root cannot read a mode-000 file (None if impossible)."""
    if os.geteuid() != 0:
        return []
    capsh = shutil.which("capsh")
    if capsh is None:
        return None
    return [capsh, "--drop=cap_dac_override,cap_dac_read_search", "--"]


def test_unreadable_file_fails_before_any_request(
    synapse_backend: LocalBackend, demo: dict[str, Any], tmp_path: Path
) -> None:
    prefix = _without_file_capabilities()
    if prefix is None:
        pytest.skip("running as root without capsh: every file is readable")
    path = tmp_path / "secret.png"
    path.write_bytes(b"\x89PNG" + bytes(100))
    path.chmod(0)
    args = [
        synapse_backend.url,
        synapse_backend.api_token,
        str(path),
        str(demo["data_collection"]),
        demo["plugin_code"],
    ]
    command = [*prefix, "-c", _shell(CHILD, args)] if prefix else [sys.executable, "-c", CHILD]
    synapse_backend.journal.clear()
    done = subprocess.run(
        command if prefix else [*command, *args], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    for name, outcome in results.items():
        assert outcome[0] == "PermissionError", (name, outcome)
        assert "not readable" in outcome[1] and str(path) in outcome[1]
    assert synapse_backend.journal.entries() == []


def _shell(code: str, args: list[str]) -> str:
    import shlex

    return " ".join(shlex.quote(a) for a in [sys.executable, "-c", code, *args])

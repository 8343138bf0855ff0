"""Running the ``synapse`` command in-process (``main(argv)``) with an isolated environment."""

from __future__ import annotations

import io
from typing import Any

import attrs
import pytest

from synapse_sdk._cli import main


@attrs.frozen
class Run:
    code: int
    out: str
    err: str


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    """``synapse ARGV`` in this process: exit status, stdout, stderr."""
    capsys.readouterr()
    out = io.StringIO()
    code = main(list(argv), out=out)
    captured = capsys.readouterr()
    return Run(code, out.getvalue() + captured.out, captured.err)


def isolate(monkeypatch: pytest.MonkeyPatch, tmp: Any, backend: Any | None = None) -> None:
    """No SYNAPSE_* variable and no user configuration file; ``backend``'s URL and token set."""
    import os

    for key in list(os.environ):
        if key.startswith("SYNAPSE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp / "xdg"))
    if backend is not None:
        monkeypatch.setenv("SYNAPSE_BASE_URL", backend.url)
        monkeypatch.setenv("SYNAPSE_API_TOKEN", backend.api_token)

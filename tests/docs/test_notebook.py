"""docs/notebooks/quickstart.ipynb runs end to end in a real Jupyter kernel.

The kernel is this interpreter (a kernelspec written to a temporary directory, so no installed
kernel and no network is involved), with the repository first on its path. Any cell error fails
the test, and so does anything written to stderr (a warning, a traceback printed by a library).
The notebook is stored without outputs, so reviews see code, not noise.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "docs" / "notebooks" / "quickstart.ipynb"
KERNEL = "synapse-sdk-test"
CELL_TIMEOUT = 60  # seconds per cell; the whole notebook takes a few seconds


def _kernelspec(directory: Path) -> Path:
    """A kernelspec that launches ipykernel with this interpreter and this checkout first."""
    spec = directory / "kernels" / KERNEL
    spec.mkdir(parents=True)
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    kernel = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "synapse_sdk tests",
        "language": "python",
        "env": {"PYTHONPATH": path},
    }
    (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
    return directory


def test_the_notebook_is_stored_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code, "the notebook has no code cells"
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
    assert "LocalBackend" in code[0].source and ".start()" in code[0].source
    assert "backend.stop()" in code[-1].source


def test_the_notebook_runs_in_a_real_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Jupyter looks for kernelspecs on JUPYTER_PATH first: ours is found without installing
    # anything. The client owns its kernel manager, so it shuts the kernel down and closes
    # every channel when it is done.
    monkeypatch.setenv("JUPYTER_PATH", str(_kernelspec(tmp_path)))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT,
        startup_timeout=CELL_TIMEOUT,
        allow_errors=False,  # the first failing cell raises CellExecutionError
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()

    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    stderr = [
        "".join(output.get("text", ""))
        for cell in code
        for output in cell.outputs
        if output.get("name") == "stderr"
    ]
    assert not stderr, f"the notebook wrote to stderr: {stderr}"
    html = [
        output["data"]["text/html"]
        for cell in code
        for output in cell.outputs
        if "text/html" in output.get("data", {})
    ]
    # The notebook display at work: the query description, the preview table, the cards and
    # the DataFrame all reached the front end as HTML.
    assert any("not evaluated" in h and ".preview(20)" in h for h in html)
    assert any("synapse-card" in h and "<b>Task</b>" in h for h in html)
    assert any("synapse-table" in h and "rows of" in h for h in html)
    assert any("dataframe" in h for h in html)
    assert any("<b>Job</b>" in h and "SUCCEEDED" in h for h in html)

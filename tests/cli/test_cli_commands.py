"""The commands added with the export work: ``projects list``, ``jobs list``, ``download``,
``export``, ``upload --skip-refused``, and one-line messages (never a traceback) for expected
errors. Run in-process through ``main(argv)`` against a local backend on a loopback port."""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cli_support import isolate, run

from synapse_sdk._cli._parser import parser
from synapse_sdk.clients.backend import BackendClient


@pytest.fixture
def env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, synapse_backend: Any
) -> pytest.MonkeyPatch:
    isolate(monkeypatch, tmp_path, synapse_backend)
    return monkeypatch


def test_projects_list(capsys: pytest.CaptureFixture[str], env: Any) -> None:
    table = run(capsys, "projects", "list")
    assert table.code == 0, table.err
    lines = table.out.splitlines()
    assert lines[0].split() == ["ID", "TITLE", "CATEGORY", "TASKS", "ARCHIVED"]
    assert [line.split()[0] for line in lines[1:]] == ["1", "2"]
    live = json.loads(run(capsys, "projects", "list", "--no-archived", "--json").out)
    assert [p["id"] for p in live] == [1]
    archived = json.loads(run(capsys, "projects", "list", "--archived", "--json").out)
    assert [p["id"] for p in archived] == [2]
    found = json.loads(run(capsys, "projects", "list", "--search", "archived", "--json").out)
    assert [p["id"] for p in found] == [2]
    assert len(json.loads(run(capsys, "projects", "list", "--limit", "1", "--json").out)) == 1


def test_jobs_list(
    capsys: pytest.CaptureFixture[str], env: Any, client: BackendClient, demo: dict[str, Any]
) -> None:
    job = client.plugins.get(demo["plugin"]).run(action="train")
    table = run(capsys, "jobs", "list")
    assert table.code == 0, table.err
    assert table.out.splitlines()[0].split() == ["ID", "STATUS", "ACTION", "PLUGIN", "CREATED"]
    assert str(job.id) in {line.split()[0] for line in table.out.splitlines()[1:]}
    rows = json.loads(run(capsys, "jobs", "list", "--action", "train", "--json").out)
    assert job.id in [r["id"] for r in rows] and {r["action"] for r in rows} == {"train"}
    none = json.loads(run(capsys, "jobs", "list", "--action", "nothing-like-it", "--json").out)
    assert none == []


def test_download_a_data_unit_and_a_data_file(
    capsys: pytest.CaptureFixture[str], env: Any, client: BackendClient, tmp_path: Path
) -> None:
    unit = client.data_units.get(1)
    result = run(capsys, "download", "--data-unit", "1", str(tmp_path / "u"))
    assert result.code == 0, result.err
    paths = dict(line.split("\t") for line in result.out.splitlines())
    assert set(paths) == set(unit.files)
    for spec, path in paths.items():
        assert hashlib.md5(Path(path).read_bytes()).hexdigest() == unit.files[spec].checksum
    again = run(capsys, "download", "--data-unit", "1", str(tmp_path / "u"))
    assert again.code == 1 and "overwrite" in again.err and "Traceback" not in again.err
    assert run(capsys, "download", "--data-unit", "1", str(tmp_path / "u"), "--overwrite").code == 0
    only = run(capsys, "download", "--data-unit", "1", str(tmp_path / "o"), "--spec", "meta_1")
    assert only.code == 0 and only.out.startswith("meta_1\t")
    bad = run(capsys, "download", "--data-unit", "1", str(tmp_path / "o"), "--spec", "nope")
    assert bad.code == 2 and "no file 'nope'" in bad.err

    file_result = run(capsys, "download", "--data-file", "1", str(tmp_path / "f"))
    assert file_result.code == 0, file_result.err
    data_file = client.data_files.get(1)
    got = Path(file_result.out.strip())
    assert got.parent == tmp_path / "f"
    assert hashlib.md5(got.read_bytes()).hexdigest() == data_file.checksum

    for flag in ("--data-unit", "--data-file"):
        missing = run(capsys, "download", flag, "999999", str(tmp_path / "m"))
        assert missing.code == 1 and "999999 does not exist" in missing.err
        assert "Traceback" not in missing.err
    both = run(capsys, "download", "--data-unit", "1", "--data-file", "1", str(tmp_path))
    assert both.code == 2 and "not allowed with" in both.err


def test_export_command(
    capsys: pytest.CaptureFixture[str], env: Any, synapse_backend: Any, tmp_path: Path
) -> None:
    dest = tmp_path / "out"
    result = run(capsys, "export", "1", str(dest))
    assert result.code == 0, result.err
    assert result.out.startswith(f"exported project 1 to {dest}: 5 tasks, 5 annotations")
    assert (dest / "manifest.json").exists()
    again = run(capsys, "export", "1", str(dest), "--json")
    assert again.code == 0 and json.loads(again.out)["counts"]["tasks"] == 5

    other = run(capsys, "export", "2", str(dest))
    assert other.code == 2 and "holds another export" in other.err
    assert "Traceback" not in other.err
    missing = run(capsys, "export", "424242", str(tmp_path / "m"))
    assert missing.code == 1 and "project 424242 does not exist" in missing.err
    assert not (tmp_path / "m").exists()
    bad = run(capsys, "export", "1", str(tmp_path / "b"), "--include", "tasks,bogus")
    assert bad.code == 2 and "comma-separated list" in bad.err

    only = run(capsys, "export", "1", str(tmp_path / "t"), "--include", "tasks", "--progress")
    assert only.code == 0 and "export" in only.err  # the bar (or plain line) on stderr
    assert not (tmp_path / "t" / "files").exists()

    synapse_backend.faults.add("status", method="GET", path="media/*meta_1.json", times=None,
                               status=404)  # fmt: skip
    failed = run(capsys, "export", "1", str(tmp_path / "e"))
    assert failed.code == 1
    assert "1 file(s) failed" in failed.err and "errors.jsonl" in failed.err


def test_upload_skip_refused(
    capsys: pytest.CaptureFixture[str], env: Any, synapse_backend: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.png").write_bytes(b"\x89PNG fake " + bytes(range(50)))
    (folder / "notes.txt").write_text("not an image")
    synapse_backend.journal.clear()
    refused = run(capsys, "upload", str(folder), "--collection", "1")
    assert refused.code == 2 and "refused: notes.txt" in refused.err
    assert "--skip-refused" in refused.err
    assert synapse_backend.journal.committed() == 0
    result = run(capsys, "upload", str(folder), "--collection", "1", "--skip-refused")
    assert result.code == 0, result.err
    assert "skipped" in result.err and "notes.txt" in result.err
    assert len(result.out.splitlines()) == 1 and "a.png" in result.out
    (folder / "a.png").unlink()
    nothing = run(capsys, "upload", str(folder), "--collection", "1", "--skip-refused")
    assert nothing.code == 2 and "no file left" in nothing.err


def test_api_errors_are_one_line(capsys: pytest.CaptureFixture[str], env: Any) -> None:
    env.setenv("SYNAPSE_API_TOKEN", "wrong")
    for argv in (("projects", "list"), ("jobs", "list"), ("export", "1", "/nonexistent/x")):
        result = run(capsys, *argv)
        assert result.code == 1
        assert result.err.count("\n") == 1 and "AuthenticationError" in result.err
        assert "Traceback" not in result.err


def _every_parser(p: argparse.ArgumentParser, name: str = "synapse") -> list[tuple[str, Any]]:
    found = [(name, p)]
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub, child in action.choices.items():
                found += _every_parser(child, f"{name} {sub}")
    return found


def test_every_command_and_option_has_help(capsys: pytest.CaptureFixture[str], env: Any) -> None:
    top = parser()
    parsers = _every_parser(top)
    names = {name for name, _ in parsers}
    for expected in ("synapse projects list", "synapse jobs list", "synapse download",
                     "synapse export", "synapse upload", "synapse tasks list"):  # fmt: skip
        assert expected in names
    for name, p in parsers:
        if name == "synapse devserver":
            continue  # its help is the devserver's own
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                assert all(a.help for a in action._choices_actions), name
            else:
                assert action.help, f"{name}: {action.option_strings or action.dest} has no help"
        argv = name.split()[1:]
        result = run(capsys, *argv, "--help")
        assert result.code == 0 and "usage: synapse" in result.out

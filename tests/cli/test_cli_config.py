"""Where the command line's settings come from: global options before the command, profiles of
the INI configuration file, and the precedence flag > environment > profile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_support import isolate, run

from synapse_sdk import __version__

CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens there


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    isolate(monkeypatch, tmp_path)
    return monkeypatch


def write_config(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_version(capsys: pytest.CaptureFixture[str], env: pytest.MonkeyPatch) -> None:
    result = run(capsys, "--version")
    assert result.code == 0 and result.out.strip() == f"synapse {__version__}"


def test_global_options_before_the_command(
    capsys: pytest.CaptureFixture[str], env: pytest.MonkeyPatch, synapse_backend: Any
) -> None:
    url, token = synapse_backend.url, synapse_backend.api_token
    before = run(capsys, "--base-url", url, "--token", token, "tasks", "list", "--project", "1",
                 "--json")  # fmt: skip
    assert before.code == 0, before.err
    after = run(capsys, "tasks", "list", "--project", "1", "--json", "--base-url", url,
                "--token", token)  # fmt: skip
    assert json.loads(before.out) == json.loads(after.out) and json.loads(before.out)
    # Given on both sides, the one after the command wins.
    both = run(capsys, "--base-url", CLOSED, "projects", "list", "--base-url", url, "--token",
               token)  # fmt: skip
    assert both.code == 0, both.err


def test_a_default_profile_is_used_without_flags_or_variables(
    capsys: pytest.CaptureFixture[str], env: pytest.MonkeyPatch, tmp_path: Path,
    synapse_backend: Any,
) -> None:  # fmt: skip
    write_config(
        tmp_path / "xdg" / "synapse" / "config.ini",
        f"[default]\nbase_url = {synapse_backend.url}\napi_token = {synapse_backend.api_token}\n",
    )
    result = run(capsys, "projects", "list", "--json")
    assert result.code == 0, result.err
    assert [p["id"] for p in json.loads(result.out)] == [1, 2]


def test_profile_precedence_flag_env_profile(
    capsys: pytest.CaptureFixture[str], env: pytest.MonkeyPatch, tmp_path: Path,
    synapse_backend: Any,
) -> None:  # fmt: skip
    url, token = synapse_backend.url, synapse_backend.api_token
    config = write_config(
        tmp_path / "synapse.ini",
        f"[default]\nbase_url = {CLOSED}\n\n[staging]\nbase_url = {url}\napi_token = {token}\n"
        f"\n[broken]\nbase_url = {url}\napi_token = wrong-token\n",
    )
    env.setenv("SYNAPSE_CONFIG", str(config))
    assert run(capsys, "--profile", "staging", "projects", "list").code == 0
    env.setenv("SYNAPSE_PROFILE", "staging")
    assert run(capsys, "projects", "list").code == 0
    # The flag wins over the variable.
    assert run(capsys, "--profile", "default", "projects", "list").code == 1
    # The environment wins over the profile ...
    env.setenv("SYNAPSE_PROFILE", "broken")
    assert run(capsys, "projects", "list").code == 1  # wrong token from the profile
    env.setenv("SYNAPSE_API_TOKEN", token)
    assert run(capsys, "projects", "list").code == 0
    # ... and a flag wins over the environment.
    env.setenv("SYNAPSE_BASE_URL", CLOSED)
    assert run(capsys, "projects", "list").code == 1
    assert run(capsys, "--base-url", url, "projects", "list").code == 0


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        ("[default]\nbase_url = http://x\n", ("--profile", "nope"),
         "no profile 'nope' (profiles: default)"),
        ("[default]\nbase_url = http://x\ncolour = red\n", (), "unknown keys colour"),
        ("not an ini file\n", (), "cannot read the configuration file"),
    ],
)  # fmt: skip
def test_bad_profiles_are_usage_errors(
    capsys: pytest.CaptureFixture[str], env: pytest.MonkeyPatch, tmp_path: Path,
    text: str, args: tuple[str, ...], message: str,
) -> None:  # fmt: skip
    config = write_config(tmp_path / "c.ini", text)
    result = run(capsys, "--config", str(config), *args, "projects", "list")
    assert result.code == 2 and message in result.err, result.err
    assert "Traceback" not in result.err


def test_a_named_profile_without_a_file_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], env: pytest.MonkeyPatch
) -> None:
    result = run(capsys, "--profile", "prod", "projects", "list")
    assert result.code == 2 and "no configuration file" in result.err


def test_a_readable_token_file_warns(
    capsys: pytest.CaptureFixture[str], env: pytest.MonkeyPatch, tmp_path: Path,
    synapse_backend: Any,
) -> None:  # fmt: skip
    config = write_config(
        tmp_path / "c.ini",
        f"[default]\nbase_url = {synapse_backend.url}\napi_token = {synapse_backend.api_token}\n",
        mode=0o644,
    )
    result = run(capsys, "--config", str(config), "projects", "list")
    assert result.code == 0 and "other users can read it" in result.err
    assert synapse_backend.api_token not in result.err


def test_missing_configuration_names_every_way(
    capsys: pytest.CaptureFixture[str], env: pytest.MonkeyPatch
) -> None:
    result = run(capsys, "projects", "list")
    assert result.code == 2
    assert "SYNAPSE_BASE_URL" in result.err and "--base-url" in result.err
    assert "--profile" in result.err


def test_the_console_entry_point_in_a_process(tmp_path: Path, synapse_backend: Any) -> None:
    """What ``[project.scripts] synapse`` runs, in a real process, with a profile."""
    config = write_config(
        tmp_path / "c.ini",
        f"[lab]\nbase_url = {synapse_backend.url}\napi_token = {synapse_backend.api_token}\n",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNAPSE_")}
    env.update(SYNAPSE_CONFIG=str(config), SYNAPSE_PROFILE="lab")
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert 'synapse = "synapse_sdk._cli:main"' in pyproject
    script = "import sys; from synapse_sdk._cli import main; sys.exit(main())"
    result = subprocess.run(
        [sys.executable, "-c", script, "export", "1", str(tmp_path / "out"), "--json"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["counts"]["tasks"] == 5
    missing = subprocess.run(
        [sys.executable, "-c", script, "export", "999", str(tmp_path / "none")],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert missing.returncode == 1
    expected = "synapse: error: project 999 does not exist (or this token cannot see it)"
    assert missing.stderr.strip() == expected

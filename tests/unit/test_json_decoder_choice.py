"""Choosing the response JSON decoder: ``select()`` in-process, ``SYNAPSE_SDK_JSON_DECODER`` at
import in a fresh interpreter (with msgspec installed, hidden, or shadowed by a too-old one).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from synapse_sdk._http import _json

ROOT = Path(__file__).resolve().parents[2]


def test_select_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _json.select("json") == ("json", None)
    assert _json.select(" JSON ") == ("json", None)
    for setting in (None, "", "  ", "msgspec", "MsgSpec"):
        name, fast = _json.select(setting)
        assert name == "msgspec" and fast is not None and fast(b"[1]") == [1]
    for bad in ("bogus", "orjson", "stdlib", "json,msgspec", "0"):
        with pytest.raises(ValueError, match="must be 'json', 'msgspec' or empty") as info:
            _json.select(bad)
        assert repr(bad) in str(info.value) and "SYNAPSE_SDK_JSON_DECODER" in str(info.value)
    monkeypatch.setitem(sys.modules, "msgspec", None)  # makes `import msgspec` raise ImportError
    assert _json.select(None) == ("json", None)
    assert _json.select("") == ("json", None)
    with pytest.raises(ImportError, match=r"pip install 'synapse-sdk\[fast\]'"):
        _json.select("msgspec")


FAKES = {
    "missing": "raise ImportError('No module named msgspec (hidden by the test)')\n",
    "old": "__version__ = '0.16.0'\n",
}


@pytest.fixture
def hide_msgspec(tmp_path: Path) -> Callable[[str], Path]:
    """A directory whose ``msgspec.py`` shadows the real one (missing, or too old)."""

    def make(kind: str) -> Path:
        folder = tmp_path / kind
        folder.mkdir()
        (folder / "msgspec.py").write_text(FAKES[kind])
        return folder

    return make


def run_import(setting: str | None, shadow: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Import the SDK in a fresh interpreter with ``SYNAPSE_SDK_JSON_DECODER=setting``; print
    the decoder, and what it makes of a BOM body and a big integer."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("SYNAPSE_SDK_JSON_DECODER", "PYTHONPATH")
    }
    env["PYTHONPATH"] = os.pathsep.join([*([str(shadow)] if shadow else []), str(ROOT)])
    if setting is not None:
        env["SYNAPSE_SDK_JSON_DECODER"] = setting
    code = textwrap.dedent(
        """
        import synapse_sdk
        from synapse_sdk._http import _json
        body = b'\\xef\\xbb\\xbf[18446744073709551616]'
        print(_json.DECODER, _json._fast is None, _json.loads(body))
        import sys
        print("msgspec imported:", "msgspec" in sys.modules)
        """
    )
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("setting", "printed"),
    [
        (None, "msgspec False"),
        ("", "msgspec False"),
        ("msgspec", "msgspec False"),
        ("json", "json True"),
        ("Json", "json True"),
    ],
)
def test_variable_picks_the_decoder(setting: str | None, printed: str) -> None:
    result = run_import(setting)
    assert result.returncode == 0, result.stderr
    imported = printed.startswith("msgspec")  # SYNAPSE_SDK_JSON_DECODER=json never imports it
    assert result.stdout.splitlines() == [
        f"{printed} [18446744073709551616]",
        f"msgspec imported: {imported}",
    ]


def test_variable_with_a_bogus_value_fails_the_import_clearly() -> None:
    result = run_import("bogus")
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last == (
        "ValueError: SYNAPSE_SDK_JSON_DECODER must be 'json', 'msgspec' or empty (unset), "
        "got 'bogus'"
    )


@pytest.mark.parametrize(
    ("kind", "reason"), [("missing", "not installed"), ("old", "older than 0.18")]
)
def test_variable_msgspec_without_usable_msgspec_names_the_extra(
    hide_msgspec: Callable[[str], Path], kind: str, reason: str
) -> None:
    shadow = hide_msgspec(kind)
    for setting in (None, "", "json"):  # without the variable's demand: the stdlib, quietly
        fallback = run_import(setting, shadow)
        assert fallback.returncode == 0, fallback.stderr
        assert fallback.stdout.splitlines()[0] == "json True [18446744073709551616]"
    result = run_import("msgspec", shadow)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: SYNAPSE_SDK_JSON_DECODER=msgspec but ")
    assert reason in last and "pip install 'synapse-sdk[fast]'" in last

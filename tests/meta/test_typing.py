"""The public API's static types (house rule 10): ``mypy --strict`` over ``tests/typing/``.

* ``check_public_api.py`` pins inferred types with ``assert_type`` and must check cleanly;
* ``check_errors.py`` holds mistakes mypy must catch: each line marked ``# E: <fragment>`` must
  get an error containing the fragment, and no unmarked line may get one.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TYPING_DIR = ROOT / "tests" / "typing"
PUBLIC_API = TYPING_DIR / "check_public_api.py"
ERRORS = TYPING_DIR / "check_errors.py"

_MESSAGE = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+): (?P<severity>error|note): (?P<text>.*)$")
_MARKER = re.compile(r"^#\s*E:\s*(?P<fragment>.+?)\s*$")


def run_mypy(path: Path) -> tuple[int, str]:
    """Run ``python -m mypy --strict <path>`` from the repository root (the project's config)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--no-pretty",
            "--no-color-output",
            str(path.relative_to(ROOT)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def errors_by_location(output: str) -> dict[tuple[str, int], list[str]]:
    """``{(path, line): [error text, ...]}`` from mypy's output (notes are left out)."""
    errors: dict[tuple[str, int], list[str]] = {}
    for raw in output.splitlines():
        match = _MESSAGE.match(raw)
        if match and match["severity"] == "error":
            key = (Path(match["path"]).as_posix(), int(match["line"]))
            errors.setdefault(key, []).append(match["text"])
    return errors


def expected_errors(path: Path) -> dict[int, str]:
    """``{line: fragment}`` for each ``# E: <fragment>`` comment (comments only, not strings)."""
    expected: dict[int, str] = {}
    text = path.read_text(encoding="utf-8")
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            match = _MARKER.match(token.string)
            if match:
                expected[token.start[0]] = match["fragment"]
    return expected


def test_public_api_types_check_cleanly() -> None:
    code, output = run_mypy(PUBLIC_API)
    assert code == 0, f"mypy --strict {PUBLIC_API.relative_to(ROOT)} failed:\n{output}"
    assert "error:" not in output, output


def test_mistakes_are_type_errors() -> None:
    expected = expected_errors(ERRORS)
    assert len(expected) >= 20, "check_errors.py lost its '# E:' markers"
    code, output = run_mypy(ERRORS)
    assert code == 1, f"mypy should report the marked errors (exit 1), got {code}:\n{output}"
    assert errors_by_location(output), f"no mypy error could be parsed from:\n{output}"

    errors = errors_by_location(output)
    this_file = ERRORS.relative_to(ROOT).as_posix()
    problems: list[str] = []
    for (path, line), texts in sorted(errors.items()):
        if path != this_file:
            problems.append(f"{path}:{line}: unexpected error outside the file: {texts}")
        elif line not in expected:
            problems.append(f"{path}:{line}: unexpected error: {texts}")
        elif not all(expected[line] in text for text in texts):
            problems.append(f"{path}:{line}: expected {expected[line]!r}, got {texts}")
    for line, fragment in sorted(expected.items()):
        if (this_file, line) not in errors:
            problems.append(f"{this_file}:{line}: expected an error containing {fragment!r}")
    assert not problems, "\n".join(["", *problems, "", "mypy said:", output])


def test_the_output_parser() -> None:
    output = (
        'tests/typing/check_errors.py:14: error: Unexpected keyword argument "x"  [call-arg]\n'
        "tests/typing/check_errors.py:14: note: defined here\n"
        "synapse_sdk/_x.py:3: error: boom  [misc]\n"
    )
    assert errors_by_location(output) == {
        ("tests/typing/check_errors.py", 14): ['Unexpected keyword argument "x"  [call-arg]'],
        ("synapse_sdk/_x.py", 3): ["boom  [misc]"],
    }


def test_the_marker_parser_reads_comments_only() -> None:
    markers = expected_errors(ERRORS)
    docstring_lines = range(1, 7)
    assert not any(line in docstring_lines for line in markers), "docstring read as a marker"
    for line, fragment in markers.items():
        assert fragment and not fragment.startswith("#"), (line, fragment)

"""CI lints before it tests: `.ci/run` calls `make lint` ahead of `make test`, and that
target runs both checkers, so a finding fails CI before any test time is spent."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _commands(script: str) -> list[str]:
    return [line.strip() for line in script.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def _recipe(makefile: str, target: str) -> list[str]:
    """The recipe lines (tab-indented) under `target:`."""
    match = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", makefile, flags=re.MULTILINE)
    assert match, f"no `{target}` target in the Makefile"
    return [line.strip() for line in match.group(1).splitlines()]


def test_ci_runs_lint_before_the_tests():
    commands = _commands((ROOT / ".ci" / "run").read_text(encoding="utf-8"))
    assert "make lint" in commands
    assert "make test" in commands
    assert commands.index("make lint") < commands.index("make test")


def test_the_lint_target_runs_ruff_and_mypy():
    recipe = _recipe((ROOT / "Makefile").read_text(encoding="utf-8"), "lint")
    assert "$(BIN)/ruff check ." in recipe
    assert "$(BIN)/mypy" in recipe


def test_the_checkers_are_installed_with_the_tests_and_mypy_checks_the_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    test_extra = {re.split(r"[<>=\[ ]", requirement)[0] for requirement
                  in project["project"]["optional-dependencies"]["test"]}
    assert {"ruff", "mypy"} <= test_extra
    assert project["tool"]["mypy"]["files"] == ["inspect_api"]
    assert project["tool"]["ruff"]["lint"]["mccabe"]["max-complexity"] == 15

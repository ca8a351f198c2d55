"""The README is what a newcomer reads first: it must list every setting and the two
commands, and CI must run the README's test command."""

from pathlib import Path

from inspect_api.config import SETTINGS

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_documented():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip().strip("`") for line in readme.splitlines()
            if line.startswith("| `")}
    missing = [s.env for s in SETTINGS if s.env not in rows]
    assert not missing, f"settings missing from the README table: {missing}"


def test_two_commands_and_ci():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci

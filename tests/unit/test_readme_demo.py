"""The README's table of demo users is what a newcomer logs in with: it must list every
account `flask seed demo` makes, with its role."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_every_demo_user_is_in_the_readme_with_its_role():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {}
    for line in readme.splitlines():
        cells = [cell.strip() for cell in line.split("|")[1:-1]]
        if len(cells) >= 3 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = cells[1]
    seeded = {user["username"]: user["role"]
              for name in ("demo.yaml", "showcase.yaml")
              for user in yaml.safe_load((ROOT / "seed" / name).read_text(encoding="utf-8"))["users"]}
    assert len(seeded) == 8
    wrong = {name: (role, rows.get(name)) for name, role in seeded.items() if rows.get(name) != role}
    assert not wrong, f"demo users missing from the README or with another role: {wrong}"

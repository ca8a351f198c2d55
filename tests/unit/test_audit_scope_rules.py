"""Every kind of entity the code records an audit event about has a rule for its scope.

Without one, `scope_of` answers None and the events fall to root admins only: not a
leak, but a commune admin would silently stop seeing their own unit's history. A new
`record("...", "<new type>", ...)` call must come with a rule in audit/scope.py."""

from __future__ import annotations

import ast
from pathlib import Path

from inspect_api.audit.scope import RESOLVERS

PACKAGE = Path(__file__).resolve().parents[2] / "inspect_api"


def _recorded_entity_types() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "record"):
                continue
            assert len(node.args) >= 2, f"{path}:{node.lineno}: record() without an entity type"
            entity_type = node.args[1]
            assert isinstance(entity_type, ast.Constant) and isinstance(entity_type.value, str), (
                f"{path}:{node.lineno}: give record() the entity type as a literal")
            found.setdefault(entity_type.value, []).append(f"{path.name}:{node.lineno}")
    return found


def test_every_recorded_entity_type_has_a_scope_rule():
    recorded = _recorded_entity_types()
    assert {"visit", "finding", "evidence", "user", "desk", "list"} <= set(recorded)
    missing = {kind: where for kind, where in recorded.items() if kind not in RESOLVERS}
    assert not missing, f"no scope rule in inspect_api/audit/scope.py for: {missing}"

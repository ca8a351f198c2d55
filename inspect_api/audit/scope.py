"""Which org unit an audit event is about: its scope, derived in one place from the entity.

`record()` calls `scope_of()` so that no caller has to say where its entity belongs. The
lookups go through the tables by name (`db.metadata.tables`) rather than the feature
models: every feature imports the audit service, and the audit package importing them
back would tie the packages both ways. The migration that filled the scope of older
events (migrations/versions/0006_audit_scope.py) follows the same rules; keep the two
in step.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Table, select

from ..db import db

# Entity types whose events a reviewer reads (in their subtree): the visits they review
# and what hangs off them, and the lists built from them. Accounts, reference data,
# checklists and plans are an admin's business.
REVIEWER_ENTITY_TYPES = ("visit", "finding", "evidence", "list", "correction", "notice")


def _table(name: str) -> Table:
    return db.metadata.tables[name]


def _as_int(value: Any) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _as_uuid(value: Any) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def _column_of(table_name: str, column: str, parse: Callable[[Any], Any]):
    """A resolver reading `column` of the row whose id is the entity id."""

    def resolve(entity_id: Any, snapshot: dict[str, Any]) -> int | None:
        key = parse(entity_id)
        if key is None:
            return None
        table = _table(table_name)
        return db.session.scalar(select(table.c[column]).where(table.c.id == key))

    return resolve


def _unit_of_visit(visit_id: Any) -> int | None:
    key = _as_uuid(visit_id)
    if key is None:
        return None
    visits, desks = _table("visits"), _table("desks")
    return db.session.scalar(
        select(desks.c.org_unit_id).select_from(visits.join(desks, desks.c.id == visits.c.desk_id))
        .where(visits.c.id == key)
    )


def _via_visit(table_name: str):
    """Findings and evidence belong where their visit does. A deleted row (evidence
    removed in the same transaction) is found through the visit its snapshot names."""

    def resolve(entity_id: Any, snapshot: dict[str, Any]) -> int | None:
        key = _as_uuid(entity_id)
        table = _table(table_name)
        visit_id = None
        if key is not None:
            visit_id = db.session.scalar(select(table.c.visit_id).where(table.c.id == key))
        if visit_id is None:
            visit_id = snapshot.get("visit_id")
        return _unit_of_visit(visit_id) if visit_id is not None else None

    return resolve


def _unit_of_team(entity_id: Any, snapshot: dict[str, Any]) -> int | None:
    key = _as_int(entity_id)
    if key is None:
        return None
    teams, plans = _table("teams"), _table("inspection_plans")
    return db.session.scalar(
        select(plans.c.org_unit_id).select_from(teams.join(plans, plans.c.id == teams.c.plan_id))
        .where(teams.c.id == key)
    )


def _the_unit_itself(entity_id: Any, snapshot: dict[str, Any]) -> int | None:
    key = _as_int(entity_id)
    if key is None:
        return None
    units = _table("org_units")
    return db.session.scalar(select(units.c.id).where(units.c.id == key))


RESOLVERS: dict[str, Callable[[Any, dict[str, Any]], int | None]] = {
    "visit": lambda entity_id, snapshot: _unit_of_visit(entity_id),
    "finding": _via_visit("findings"),
    "evidence": _via_visit("evidence"),
    "user": _column_of("users", "org_unit_id", _as_int),
    "org_unit": _the_unit_itself,
    "desk": _column_of("desks", "org_unit_id", _as_int),
    "staff": _column_of("staff", "org_unit_id", _as_int),
    "checklist": _column_of("checklist_templates", "org_unit_id", _as_int),
    "plan": _column_of("inspection_plans", "org_unit_id", _as_int),
    "team": _unit_of_team,
    "list": _column_of("frozen_lists", "org_unit_id", _as_int),
    # The unit responsible for the fix.
    "correction": _column_of("corrections", "org_unit_id", _as_int),
    # The unit a conclusion notice was sent to.
    "notice": _column_of("conclusion_notices", "org_unit_id", _as_int),
    # A synthetic national dataset is recorded against its root unit.
    "dataset": _the_unit_itself,
}


def scope_of(entity_type: str, entity_id: Any, before: Any = None, after: Any = None) -> int | None:
    """The org unit an event about this entity belongs to, as the entity stands now (after
    the change); None when it belongs to no unit (then only root admins read it)."""
    resolve = RESOLVERS.get(entity_type)
    if resolve is None or entity_id is None:
        return None
    snapshot = after if isinstance(after, dict) else before if isinstance(before, dict) else {}
    return resolve(entity_id, snapshot)

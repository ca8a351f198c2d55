"""audit scope: the org unit each event is about, in the hash; failed logins scrubbed

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 09:00:00

Adds `audit_events.scope_unit_id` and fills it for the events already written, from the
entities as they stand now (the same rules as inspect_api/audit/scope.py). Failed-login
events lose the text typed as the username (people type passwords there). Both change
hashed content, so the chain is recomputed from the first event:

- the old chain is checked first, and the result is written into the new chain as a
  last `rechain` event (old head hash, event count, where the old chain broke if it did):
  tampering from before the migration stays on record instead of being laundered;
- nothing outside the database held the old hashes (there were no anchors), so
  recomputing them loses no evidence that anyone could have checked.

The ALTER TABLE comes first: on PostgreSQL it locks the table until this transaction
commits, so an old-release process still serving cannot append an event in between.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64
BATCH = 1000

_events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer()),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor_id", sa.Integer()),
    sa.column("actor_username", sa.String()),
    sa.column("action", sa.String()),
    sa.column("entity_type", sa.String()),
    sa.column("entity_id", sa.String()),
    sa.column("before", sa.JSON()),
    sa.column("after", sa.JSON()),
    sa.column("request_id", sa.String()),
    sa.column("remote_addr", sa.String()),
    sa.column("scope_unit_id", sa.Integer()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)
_CONTENT = ("actor_id", "actor_username", "action", "entity_type", "entity_id", "before",
            "after", "request_id", "remote_addr")


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _hash(prev_hash: str, row: dict, with_scope: bool) -> str:
    """The app's content hash (inspect_api/audit/service.py); `with_scope` False is the
    form before this revision."""
    content = {"at": _utc(row["at"]).isoformat(), **{key: row[key] for key in _CONTENT}}
    if with_scope and row.get("scope_unit_id") is not None:
        content["scope_unit_id"] = row["scope_unit_id"]
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def _batches(bind, with_scope: bool):
    columns = [c for c in _events.c if with_scope or c.name != "scope_unit_id"]
    last_id = 0
    while True:
        rows = [dict(r._mapping) for r in bind.execute(
            sa.select(*columns).where(_events.c.id > last_id).order_by(_events.c.id).limit(BATCH))]
        if not rows:
            return
        yield rows
        last_id = rows[-1]["id"]


# --- scopes, resolved a batch at a time ---------------------------------------------------

def _ints(values) -> list[int]:
    out = []
    for value in values:
        try:
            number = int(str(value))
        except (TypeError, ValueError):
            continue
        if 0 < number < 2**63:
            out.append(number)
    return out


def _uuids(values) -> list[uuid.UUID]:
    out = []
    for value in values:
        try:
            out.append(uuid.UUID(str(value)))
        except (TypeError, ValueError, AttributeError):
            continue
    return out


def _map(bind, query) -> dict[str, int]:
    return {str(key): unit for key, unit in bind.execute(query) if unit is not None}


def _simple(bind, table: str, column: str, ids) -> dict[str, int]:
    t = sa.table(table, sa.column("id", sa.Integer()), sa.column(column, sa.Integer()))
    ids = _ints(ids)
    return _map(bind, sa.select(t.c.id, t.c[column]).where(t.c.id.in_(ids))) if ids else {}


def _visit_units(bind, visit_ids) -> dict[str, int]:
    visits = sa.table("visits", sa.column("id", sa.Uuid()), sa.column("desk_id", sa.Integer()))
    desks = sa.table("desks", sa.column("id", sa.Integer()), sa.column("org_unit_id", sa.Integer()))
    ids = _uuids(visit_ids)
    if not ids:
        return {}
    return _map(bind, sa.select(visits.c.id, desks.c.org_unit_id)
                .select_from(visits.join(desks, desks.c.id == visits.c.desk_id))
                .where(visits.c.id.in_(ids)))


def _visit_of(bind, table: str, ids) -> dict[str, str]:
    t = sa.table(table, sa.column("id", sa.Uuid()), sa.column("visit_id", sa.Uuid()))
    ids = _uuids(ids)
    if not ids:
        return {}
    return {str(key): str(visit) for key, visit in bind.execute(
        sa.select(t.c.id, t.c.visit_id).where(t.c.id.in_(ids)))}


def _scopes(bind, rows: list[dict]) -> None:
    """Set row["scope_unit_id"] for every row of one batch."""
    wanted: dict[str, set] = {}
    for row in rows:
        if row["entity_id"] is not None:
            wanted.setdefault(row["entity_type"], set()).add(row["entity_id"])

    visit_of: dict[tuple[str, str], str] = {}
    for entity_type, table in (("finding", "findings"), ("evidence", "evidence")):
        for key, visit in _visit_of(bind, table, wanted.get(entity_type, ())).items():
            visit_of[(entity_type, key)] = visit
    for row in rows:
        if row["entity_type"] == "evidence" and ("evidence", row["entity_id"]) not in visit_of:
            snapshot = row["after"] if isinstance(row["after"], dict) else row["before"]
            if isinstance(snapshot, dict) and snapshot.get("visit_id"):
                visit_of[("evidence", row["entity_id"])] = str(snapshot["visit_id"])
    visit_units = _visit_units(bind, set(wanted.get("visit", ())) | set(visit_of.values()))

    teams = sa.table("teams", sa.column("id", sa.Integer()), sa.column("plan_id", sa.Integer()))
    plans = sa.table("inspection_plans", sa.column("id", sa.Integer()), sa.column("org_unit_id", sa.Integer()))
    team_ids = _ints(wanted.get("team", ()))
    units = {
        "user": _simple(bind, "users", "org_unit_id", wanted.get("user", ())),
        "org_unit": _simple(bind, "org_units", "id", wanted.get("org_unit", ())),
        "dataset": _simple(bind, "org_units", "id", wanted.get("dataset", ())),
        "desk": _simple(bind, "desks", "org_unit_id", wanted.get("desk", ())),
        "staff": _simple(bind, "staff", "org_unit_id", wanted.get("staff", ())),
        "checklist": _simple(bind, "checklist_templates", "org_unit_id", wanted.get("checklist", ())),
        "plan": _simple(bind, "inspection_plans", "org_unit_id", wanted.get("plan", ())),
        "list": _simple(bind, "frozen_lists", "org_unit_id", wanted.get("list", ())),
        "team": _map(bind, sa.select(teams.c.id, plans.c.org_unit_id)
                     .select_from(teams.join(plans, plans.c.id == teams.c.plan_id))
                     .where(teams.c.id.in_(team_ids))) if team_ids else {},
        "visit": visit_units,
    }
    for row in rows:
        entity_type, entity_id = row["entity_type"], row["entity_id"]
        scope = None
        if entity_id is not None:
            if entity_type in ("finding", "evidence"):
                visit = visit_of.get((entity_type, entity_id))
                scope = visit_units.get(visit) if visit else None
            elif entity_type == "visit":
                parsed = _uuids([entity_id])
                scope = visit_units.get(str(parsed[0])) if parsed else None
            elif entity_type in units:
                parsed = _ints([entity_id])
                scope = units[entity_type].get(str(parsed[0])) if parsed else None
        row["scope_unit_id"] = scope


# --- the two directions ------------------------------------------------------------------

def _write(bind, rows: list[dict], keys: tuple[str, ...]) -> None:
    if rows:
        bind.execute(
            _events.update().where(_events.c.id == sa.bindparam("b_id"))
            .values(**{key: sa.bindparam(f"b_{key}", type_=_events.c[key].type) for key in keys}),
            [{f"b_{key}": row[key] for key in ("id", *keys)} for row in rows],
        )


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope_unit_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_events_scope_unit_id'), ['scope_unit_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_audit_events_scope_unit_id_org_units'), 'org_units',
                                    ['scope_unit_id'], ['id'])

    bind = op.get_bind()
    old_prev, new_prev = GENESIS_HASH, GENESIS_HASH
    count, scrubbed, broken = 0, 0, None
    for rows in _batches(bind, with_scope=False):
        for row in rows:
            if broken is None:
                if row["prev_hash"] != old_prev:
                    broken = (row["id"], "prev_hash does not match the previous event")
                elif _hash(old_prev, row, with_scope=False) != row["hash"]:
                    broken = (row["id"], "content does not match its hash")
            old_prev = row["hash"]
        _scopes(bind, rows)
        scrub = []
        for row in rows:
            if row["action"] == "login_failed" and (row["actor_username"] or row["after"]):
                row["actor_username"], row["after"] = None, None
                scrub.append(row)
            row["prev_hash"] = new_prev
            row["hash"] = new_prev = _hash(new_prev, row, with_scope=True)
            count += 1
        _write(bind, scrub, ("actor_username", "after"))
        _write(bind, rows, ("scope_unit_id", "prev_hash", "hash"))
        scrubbed += len(scrub)

    if count:
        note = {"at": dt.datetime.now(dt.UTC), "actor_id": None,
                "actor_username": "migration 0006", "action": "rechain", "entity_type": "audit_trail",
                "entity_id": None, "before": None, "request_id": None, "remote_addr": None,
                "scope_unit_id": None, "prev_hash": new_prev,
                "after": {"events": count, "old_head_hash": old_prev,
                          "old_chain_intact": broken is None,
                          "old_chain_broken_at": broken[0] if broken else None,
                          "old_chain_reason": broken[1] if broken else None,
                          "failed_logins_scrubbed": scrubbed}}
        # The stored JSON form, so the hash matches what the app reads back.
        note["after"] = json.loads(json.dumps(note["after"], ensure_ascii=False))
        note["hash"] = _hash(new_prev, note, with_scope=True)
        bind.execute(_events.insert().values(**{k: v for k, v in note.items()}))


def downgrade():
    """Back to hashes without the scope. Refuses if the chain is broken (recomputing
    would hide it); the scrubbed usernames do not come back. Checks the whole chain
    before changing anything, since SQLite runs this without a transaction around it."""
    bind = op.get_bind()
    prev = GENESIS_HASH
    for rows in _batches(bind, with_scope=True):
        for row in rows:
            if row["prev_hash"] != prev or _hash(prev, row, with_scope=True) != row["hash"]:
                raise RuntimeError(f"audit chain broken at event {row['id']}; refusing to recompute "
                                   f"it (that would hide the break). Investigate first.")
            prev = row["hash"]
    prev = GENESIS_HASH
    for rows in _batches(bind, with_scope=True):
        for row in rows:
            row["prev_hash"] = prev
            row["hash"] = prev = _hash(prev, row, with_scope=False)
        _write(bind, rows, ("prev_hash", "hash"))

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_events_scope_unit_id_org_units'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_audit_events_scope_unit_id'))
        batch_op.drop_column('scope_unit_id')

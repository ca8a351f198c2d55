"""Revision 0006 on a trail written by the release before it: every event gets the scope
the app would give it, failed logins lose the typed text, the chain is recomputed and
verifies, and what the old chain looked like (intact, or where it broke) stays on record
in the new one. The downgrade refuses to recompute a broken chain.

The "release before" is played by downgrading a database the app filled, and by events
hashed here with the old rules, written independently of the migration's own code."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from inspect_api.app import create_app
from inspect_api.audit.service import verify_chain
from inspect_api.db import db
from tests.conftest import DEMO_PASSWORD, new_id
from tests.conftest import test_settings as settings_for_tests  # not collected as a test
from tests.unit.test_migrations import MIGRATIONS, scratch_database_url  # noqa: F401 (a fixture)

TYPED = "MatKhau-Go-Nham-Vao-O-Ten"


def _revision_before_0006() -> str:
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_revision("0006").down_revision


def _old_hash(prev_hash: str, row: dict) -> str:
    """The content hash as the release before 0006 computed it (its audit/service.py)."""
    at = row["at"]
    at = at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)
    content = {"at": at.isoformat(), **{k: row[k] for k in (
        "actor_id", "actor_username", "action", "entity_type", "entity_id", "before", "after",
        "request_id", "remote_addr")}}
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def _rows() -> list[dict]:
    rows = []
    for stored in db.session.execute(text("SELECT * FROM audit_events ORDER BY id")).mappings():
        row = dict(stored)
        for key in ("before", "after"):
            if isinstance(row[key], str):  # SQLite hands JSON back as text here
                row[key] = json.loads(row[key])
        if isinstance(row["at"], str):
            row["at"] = dt.datetime.fromisoformat(row["at"])
        rows.append(row)
    db.session.rollback()
    return rows


def _old_chain_break(rows: list[dict]) -> int | None:
    prev = "0" * 64
    for row in rows:
        if row["prev_hash"] != prev or _old_hash(prev, row) != row["hash"]:
            return row["id"]
        prev = row["hash"]
    return None


def _append_old_event(**values) -> None:
    """An event as the old release wrote it: chained with the old hash, no scope column."""
    head = _rows()[-1]
    row = {"at": dt.datetime.now(dt.UTC), "actor_id": None, "actor_username": None,
           "entity_id": None, "before": None, "after": None, "request_id": None,
           "remote_addr": "203.0.113.9", **values}
    row["prev_hash"] = head["hash"]
    row["hash"] = _old_hash(head["hash"], row)
    stored = {**row, "before": json.dumps(row["before"]), "after": json.dumps(row["after"], ensure_ascii=False)}
    if db.engine.dialect.name == "sqlite":
        stored["at"] = row["at"].replace(tzinfo=None)
    db.session.execute(text(
        "INSERT INTO audit_events (at, actor_id, actor_username, action, entity_type, entity_id, "
        "before, after, request_id, remote_addr, prev_hash, hash) VALUES (:at, :actor_id, "
        ":actor_username, :action, :entity_type, :entity_id, :before, :after, :request_id, "
        ":remote_addr, :prev_hash, :hash)"), stored)
    db.session.commit()


@pytest.fixture
def filled(scratch_database_url):  # noqa: F811 (the imported fixture)
    """A scratch database at the head, filled by the app: the demo seed, a visit of team 2
    with its findings, a failed login."""
    from inspect_api.seed import load_demo

    scratch = create_app(settings_for_tests(SQLALCHEMY_DATABASE_URI=scratch_database_url), environ={})
    with scratch.app_context():
        upgrade()
        load_demo(echo=lambda message: None)
        db.session.remove()
    # Requests run in app contexts of their own, as they do when served: inside this
    # fixture's context they would share one session (and, on SQLite, its write lock).
    client = scratch.test_client()
    try:
        token = client.post("/api/v1/auth/login", json={"username": "inspector2", "password": DEMO_PASSWORD})
        headers = {"Authorization": f"Bearer {token.get_json()['access_token']}"}
        team = client.get("/api/v1/auth/me", headers=headers).get_json()["teams"][0]
        visit = client.put(f"/api/v1/visits/{new_id()}", headers=headers, json={
            "desk_id": team["desk_ids"][0], "checklist_id": team["checklist_id"], "team_id": team["id"],
            "started_at": "2026-11-20T01:15:00+00:00"})
        assert visit.status_code == 201, visit.get_json()
        assert client.post("/api/v1/auth/login", json={"username": "leader1", "password": "sai"}).status_code == 401
        with scratch.app_context():
            yield scratch
            db.session.remove()
    finally:
        with scratch.app_context():
            db.session.remove()
            db.engine.dispose()


def test_upgrade_scopes_scrubs_and_rechains_an_old_trail(filled):
    scopes = {row["id"]: row["scope_unit_id"] for row in _rows()}
    assert sum(1 for s in scopes.values() if s is not None) > 10
    users = dict(db.session.execute(text("SELECT username, id FROM users")).all())
    unit_of_user = dict(db.session.execute(text("SELECT id, org_unit_id FROM users")).all())
    db.session.rollback()

    downgrade(revision=_revision_before_0006())
    db.engine.dispose()
    old = _rows()
    assert "scope_unit_id" not in old[0]
    assert _old_chain_break(old) is None, "the downgrade must leave a chain the old release verifies"
    # What the old release wrote for failed logins: the typed text.
    _append_old_event(action="login_failed", entity_type="user", actor_username=TYPED,
                      after={"username": TYPED})
    _append_old_event(action="login_failed", entity_type="user", entity_id=str(users["inspector1"]),
                      actor_username="inspector1", after={"username": "inspector1"})
    before_upgrade, old_head = len(_rows()), _rows()[-1]["hash"]

    upgrade()
    db.engine.dispose()
    report = verify_chain()
    db.session.rollback()
    rows = _rows()
    assert report.intact and report.checked == len(rows) == before_upgrade + 1

    for row in rows[:len(scopes)]:
        assert row["scope_unit_id"] == scopes[row["id"]], (row["entity_type"], row["action"])
    unknown, known, note = rows[-3:]
    assert unknown["scope_unit_id"] is None and unknown["actor_username"] is None and unknown["after"] is None
    assert known["scope_unit_id"] == unit_of_user[users["inspector1"]] and known["after"] is None
    assert TYPED not in json.dumps(rows, default=str)

    assert note["action"] == "rechain" and note["scope_unit_id"] is None
    assert note["after"]["old_chain_intact"] is True and note["after"]["old_chain_broken_at"] is None
    assert note["after"]["events"] == before_upgrade
    assert note["after"]["failed_logins_scrubbed"] == 2
    assert note["after"]["old_head_hash"] == old_head


def test_a_broken_old_chain_stays_on_record_and_a_broken_chain_is_not_downgraded(filled, capfd):
    downgrade(revision=_revision_before_0006())
    db.engine.dispose()
    old = _rows()
    victim = old[len(old) // 2]["id"]
    db.session.execute(text("UPDATE audit_events SET remote_addr = '198.51.100.1' WHERE id = :id"), {"id": victim})
    db.session.commit()
    assert _old_chain_break(_rows()) == victim

    upgrade()
    db.engine.dispose()
    report = verify_chain()
    db.session.rollback()
    note = _rows()[-1]
    assert report.intact  # the new chain is whole...
    assert note["action"] == "rechain"  # ...and says the old one was not
    assert note["after"]["old_chain_intact"] is False and note["after"]["old_chain_broken_at"] == victim

    db.session.execute(text("UPDATE audit_events SET remote_addr = '198.51.100.2' WHERE id = :id"), {"id": victim})
    db.session.commit()
    with pytest.raises(SystemExit):  # Flask-Migrate turns the migration's RuntimeError into exit 1
        downgrade(revision=_revision_before_0006())
    assert f"audit chain broken at event {victim}" in capfd.readouterr().err
    db.session.rollback()
    db.engine.dispose()
    rows = _rows()
    assert "scope_unit_id" in rows[0], "a refused downgrade changes nothing"

"""The audit trail: every create, update, submit and login is recorded, readable by admins
and reviewers, and a hash chain that shows any edited or deleted row."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update

from inspect_api.audit.models import AuditEvent
from inspect_api.db import db
from tests.api.visit_support import passing_answer as _answer
from tests.conftest import DEMO_PASSWORD, new_id



def _audit(client, headers, **filters):
    query = "&".join(f"{key}={value}" for key, value in {"per_page": 200, **filters}.items())
    response = client.get(f"/api/v1/audit?{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _submitted_visit(client, demo, headers, *, edit: bool = False) -> str:
    """inspector1 creates (and, with `edit`, updates), syncs and submits a visit; returns its id."""
    team = demo.team_of["inspector1"]
    visit_id = new_id()
    body = {"desk_id": demo.desk_of("inspector1"), "checklist_id": demo.checklist_id,
            "team_id": team, "started_at": "2026-11-20T01:15:00+00:00"}
    created = client.put(f"/api/v1/visits/{visit_id}", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    if edit:
        updated = client.put(f"/api/v1/visits/{visit_id}", json={**body, "notes": "Đã kiểm tra", "version": 1},
                             headers=headers)
        assert updated.status_code == 200, updated.get_json()
    findings = [_answer(demo, code) for code in demo.criteria]
    synced = client.put(f"/api/v1/visits/{visit_id}/findings", json={"findings": findings}, headers=headers)
    assert synced.status_code == 200, synced.get_json()
    submitted = client.post(f"/api/v1/visits/{visit_id}/submit", headers=headers)
    assert submitted.status_code == 200, submitted.get_json()
    return visit_id


def test_actions_are_recorded_and_filterable(client, demo, login):
    admin = login("admin")
    me = client.get("/api/v1/auth/me", headers=admin).get_json()

    logins = _audit(client, admin, entity_type="user", entity_id=me["id"], action="login")
    assert logins["meta"]["total"] == 1
    assert logins["items"][0]["actor_username"] == "admin"

    failed = client.post("/api/v1/auth/login", json={"username": "admin", "password": "sai-mat-khau"})
    assert failed.status_code == 401
    failures = _audit(client, admin, action="login_failed")["items"]
    # The account is named by its id; nothing typed is kept.
    assert len(failures) == 1 and failures[0]["entity_id"] == str(me["id"])
    assert failures[0]["actor_username"] is None and failures[0]["after"] is None
    assert failures[0]["scope_unit_id"] == demo.units["TQ"]
    assert "sai-mat-khau" not in str(failures[0])

    # Admin creates and updates a desk; both are recorded with before/after and the
    # request id the client sent.
    desk = client.post("/api/v1/desks", headers={**admin, "X-Request-ID": "req-create-desk-1"}, json={
        "org_unit_id": demo.units["TQ-MYLAM"], "code": "TQ-MYLAM-MC2", "name": "Điểm tiếp nhận số 2",
        "level": "commune", "opens_at": "07:30", "closes_at": "17:00"})
    assert desk.status_code == 201, desk.get_json()
    desk_id = desk.get_json()["id"]
    patched = client.patch(f"/api/v1/desks/{desk_id}", headers={**admin, "X-Request-ID": "req-patch-desk-1"},
                           json={"name": "Điểm tiếp nhận thôn Mỹ Lâm"})
    assert patched.status_code == 200, patched.get_json()
    assert patched.headers["X-Request-ID"] == "req-patch-desk-1"

    desk_events = _audit(client, admin, entity_type="desk", entity_id=desk_id)
    assert [e["action"] for e in desk_events["items"]] == ["update", "create"]  # newest first
    update_event, create_event = desk_events["items"]
    assert update_event["id"] > create_event["id"]
    assert create_event["request_id"] == "req-create-desk-1"
    assert update_event["request_id"] == "req-patch-desk-1"
    assert create_event["before"] is None and create_event["after"]["code"] == "TQ-MYLAM-MC2"
    assert update_event["before"]["name"] == "Điểm tiếp nhận số 2"
    assert update_event["after"]["name"] == "Điểm tiếp nhận thôn Mỹ Lâm"
    assert update_event["actor_id"] == me["id"] and update_event["actor_username"] == "admin"
    assert update_event["prev_hash"] == create_event["hash"]  # nothing happened in between

    # An inspector's visit: create, update, sync, submit, each recorded against the visit.
    inspector = login("inspector1")
    visit_id = _submitted_visit(client, demo, inspector, edit=True)
    visit_events = _audit(client, admin, entity_type="visit", entity_id=visit_id)["items"]
    assert [e["action"] for e in visit_events] == ["submit", "sync_findings", "update", "create"]
    assert {e["actor_username"] for e in visit_events} == {"inspector1"}
    assert visit_events[0]["after"]["status"] == "submitted"
    assert visit_events[0]["before"]["status"] == "draft"

    submits = _audit(client, admin, action="submit")
    assert submits["meta"]["total"] == 1 and submits["items"][0]["entity_id"] == visit_id

    # Newest first over the whole trail, and actor_id filters.
    everything = _audit(client, admin)
    ids = [e["id"] for e in everything["items"]]
    assert ids == sorted(ids, reverse=True)
    by_admin = _audit(client, admin, actor_id=me["id"])["items"]
    assert by_admin and {e["actor_username"] for e in by_admin} == {"admin"}
    assert _audit(client, admin, entity_type="desk", entity_id="999999")["meta"]["total"] == 0


def test_reviewers_read_the_trail_inspectors_and_leaders_do_not(client, demo, login):
    visit_id = _submitted_visit(client, demo, login("inspector1"))
    reviewer = client.get("/api/v1/audit", headers=login("reviewer1"))
    assert reviewer.status_code == 200 and reviewer.get_json()["meta"]["total"] > 0
    assert {e["entity_id"] for e in reviewer.get_json()["items"]} == {visit_id}
    for username in ("inspector1", "leader1"):
        response = client.get("/api/v1/audit", headers=login(username))
        assert response.status_code == 403, username
        assert response.content_type == "application/problem+json"
        assert client.get("/api/v1/audit/verify", headers=login(username)).status_code == 403
    assert client.get("/api/v1/audit").status_code == 401
    # Append-only: there is no way to change or remove an event over the API.
    event_id = reviewer.get_json()["items"][0]["id"]
    assert client.delete("/api/v1/audit", headers=login("admin")).status_code == 405
    assert client.delete(f"/api/v1/audit/{event_id}", headers=login("admin")).status_code in {404, 405}


def _verify(client, headers) -> dict:
    response = client.get("/api/v1/audit/verify", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _event_ids(app) -> list[int]:
    with app.app_context():
        ids = list(db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))
        db.session.remove()
    return ids


def test_a_tampered_row_is_detected(app, client, runner, demo, login):
    admin = login("admin")
    _submitted_visit(client, demo, login("inspector1"))
    intact = _verify(client, admin)
    ids = _event_ids(app)
    assert intact == {"intact": True, "checked": len(ids), "broken_at": None, "reason": None,
                      "anchored_event_id": None, "anchored_at": None, "anchors_checked": 0}
    cli = runner.invoke(args=["audit", "verify"])
    assert cli.exit_code == 0, cli.output
    assert f"intact: {len(ids)} events" in cli.output

    victim = ids[len(ids) // 2]
    with app.app_context():
        with db.engine.begin() as conn:
            changed = conn.execute(update(AuditEvent.__table__).where(AuditEvent.id == victim)
                                   .values(after={"status": "approved", "note": "sửa lén"}))
            assert changed.rowcount == 1
        db.session.remove()

    report = _verify(client, admin)
    assert report["intact"] is False and report["broken_at"] == victim
    assert report["checked"] == ids.index(victim)
    assert "hash" in report["reason"]
    cli = runner.invoke(args=["audit", "verify"])
    assert cli.exit_code == 1
    assert f"BROKEN at event {victim}" in cli.output


def test_a_deleted_row_is_detected(app, client, runner, demo, login):
    admin = login("admin")
    ids = _event_ids(app)
    assert len(ids) > 3
    victim, following = ids[len(ids) // 2], ids[len(ids) // 2 + 1]
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(delete(AuditEvent.__table__).where(AuditEvent.id == victim))
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == len(ids) - 1
        db.session.remove()

    report = _verify(client, admin)
    assert report["intact"] is False
    assert report["broken_at"] == following
    assert "prev_hash" in report["reason"]
    cli = runner.invoke(args=["audit", "verify"])
    assert cli.exit_code == 1 and f"BROKEN at event {following}" in cli.output


def test_failed_logins_of_unknown_names_are_chained_too(app, client, demo, login):
    admin = login("admin")
    assert _verify(client, admin)["intact"] is True
    response = client.post("/api/v1/auth/login", json={"username": "khong-ton-tai", "password": DEMO_PASSWORD})
    assert response.status_code == 401
    failures = _audit(client, admin, action="login_failed")["items"]
    assert len(failures) == 1
    assert failures[0]["actor_username"] is None and failures[0]["entity_id"] is None
    assert "khong-ton-tai" not in str(failures[0]) and failures[0]["scope_unit_id"] is None
    assert failures[0]["request_id"] == response.headers["X-Request-ID"]
    report = _verify(client, admin)
    assert report["intact"] is True and report["checked"] == len(_event_ids(app))

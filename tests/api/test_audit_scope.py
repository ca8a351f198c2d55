"""Who reads which audit events: each caller only events about their org subtree, and
only the roles that may (admins everything in it, reviewers what they review); failed
logins keep no typed text. Over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select, text, update

from inspect_api.audit.models import AuditEvent
from inspect_api.audit.scope import REVIEWER_ENTITY_TYPES, scope_of
from inspect_api.db import db
from inspect_api.org.models import OrgUnit
from tests.api.review_support import Flow
from tests.api.visit_support import PROBLEM, passing_answer
from tests.conftest import new_id
from tests.photos import phone_photo

COMMUNE = "TQ-HAGIANG1"
PASSWORD = "mat-khau-cua-xa-Ha-Giang-1"
# What people type by mistake: a password in the username box.
TYPED_NAME = "MatKhau-Bi-Go-Nham-2026"
TYPED_PASSWORD = "mat-khau-sai-123456"


def _ok(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_json()


def _problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == PROBLEM
    return response.get_json()


def _events(client, headers, **filters) -> list[dict]:
    page = _ok(client.get("/api/v1/audit", query_string={"per_page": 200, **filters}, headers=headers))
    assert page["meta"]["more"] is False
    return page["items"]


def _subtree(app, code) -> set[int]:
    with app.app_context():
        root = db.session.scalar(select(OrgUnit).where(OrgUnit.code == code))
        ids = set(db.session.scalars(select(OrgUnit.id).where(OrgUnit.path.startswith(root.path))))
        db.session.remove()
    return ids


def _all_rows(app) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        db.session.expunge_all()
        db.session.remove()
    return rows


def _commune_user(client, admin, demo, username, role) -> dict:
    _ok(client.post("/api/v1/users", headers=admin, json={
        "username": username, "full_name": "Vũ Thị Hồng Nhung", "role": role,
        "org_unit_id": demo.units[COMMUNE], "password": PASSWORD}), 201)
    token = _ok(client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD}))
    return {"Authorization": f"Bearer {token['access_token']}"}


def _visit(client, demo, headers, desk_id, *, submit: bool) -> tuple[str, list[str]]:
    me = _ok(client.get("/api/v1/auth/me", headers=headers))
    team = me["teams"][0]
    assert desk_id in team["desk_ids"]
    visit_id = new_id()
    _ok(client.put(f"/api/v1/visits/{visit_id}", headers=headers, json={
        "desk_id": desk_id, "checklist_id": team["checklist_id"], "team_id": team["id"],
        "started_at": "2026-11-20T01:15:00+00:00"}), 201)
    findings = [passing_answer(demo, code) for code in demo.criteria]
    _ok(client.put(f"/api/v1/visits/{visit_id}/findings", json={"findings": findings}, headers=headers))
    if submit:
        _ok(client.post(f"/api/v1/visits/{visit_id}/submit", headers=headers))
    return visit_id, [f["id"] for f in findings]


@pytest.fixture
def trail(app, client, demo, login):
    """Events in and out of the commune Hà Giang 1, of every kind a commune could see.

    Returns what the tests need: headers per caller and the ids of what was made."""
    admin = login("admin")
    commune_desk = next(d for d, unit in demo.desk_unit.items() if unit == demo.units[COMMUNE])
    other_desk = demo.desk_of("inspector1")
    assert demo.desk_unit[other_desk] not in _subtree(app, COMMUNE)

    made = {"commune_desk": commune_desk}
    made["reviewer"] = _commune_user(client, admin, demo, "reviewer.hagiang1", "reviewer")
    made["admin"] = _commune_user(client, admin, demo, "admin.hagiang1", "admin")
    made["leader"] = _commune_user(client, admin, demo, "leader.hagiang1", "leader")

    # Reference data in and out of the commune (admin-only events).
    made["desk_in"] = _ok(client.post("/api/v1/desks", headers=admin, json={
        "org_unit_id": demo.units[COMMUNE], "code": "TQ-HAGIANG1-MC2", "name": "Điểm tiếp nhận số 2",
        "level": "commune"}), 201)["id"]
    made["desk_out"] = _ok(client.post("/api/v1/desks", headers=admin, json={
        "org_unit_id": demo.units["TQ-MYLAM"], "code": "TQ-MYLAM-MC2", "name": "Điểm tiếp nhận số 2",
        "level": "commune"}), 201)["id"]

    # A visit at the commune's desk (team 2) with a photo added and removed, and one
    # elsewhere (team 1).
    inspector2 = login("inspector2")
    made["visit_in"], findings = _visit(client, demo, inspector2, commune_desk, submit=False)
    photo = phone_photo(64, 48)
    made["evidence_in"] = new_id()
    _ok(client.put(f"/api/v1/visits/{made['visit_in']}/evidence/{made['evidence_in']}",
                   query_string={"finding_id": findings[0]}, data=photo,
                   headers={**inspector2, "Content-Type": "image/jpeg",
                            "X-Content-SHA256": hashlib.sha256(photo).hexdigest()}), 201)
    assert client.delete(f"/api/v1/visits/{made['visit_in']}/evidence/{made['evidence_in']}",
                         headers=inspector2).status_code == 204
    _ok(client.post(f"/api/v1/visits/{made['visit_in']}/submit", headers=inspector2))
    made["visit_out"], _ = _visit(client, demo, login("inspector1"), other_desk, submit=True)

    # Failed logins: a commune account, a province account, and a name nobody has.
    for username in ("admin.hagiang1", "inspector1", TYPED_NAME):
        _problem(client.post("/api/v1/auth/login", json={"username": username, "password": TYPED_PASSWORD}), 401)
    made["province_admin"] = admin
    return made


def test_every_event_has_the_scope_of_its_entity(app, demo, trail):
    desk_units = {trail["desk_in"]: demo.units[COMMUNE], trail["desk_out"]: demo.units["TQ-MYLAM"]}
    commune_unit = demo.units[COMMUNE]
    other_unit = demo.desk_unit[demo.desk_of("inspector1")]
    expected_visit_unit = {trail["visit_in"]: commune_unit, trail["visit_out"]: other_unit}
    rows = _all_rows(app)
    with app.app_context():
        user_units = {str(uid): unit for uid, unit in db.session.execute(text("SELECT id, org_unit_id FROM users"))}
        db.session.remove()
    seen = set()
    for row in rows:
        seen.add(row.entity_type)
        if row.entity_type == "visit":
            assert row.scope_unit_id == expected_visit_unit.get(row.entity_id), row.action
        elif row.entity_type == "evidence":
            # The upload and the delete (its row already gone) both belong to the visit.
            assert row.entity_id == trail["evidence_in"] and row.scope_unit_id == commune_unit
        elif row.entity_type == "desk" and int(row.entity_id) in desk_units:
            assert row.scope_unit_id == desk_units[int(row.entity_id)]
        elif row.entity_type == "user" and row.entity_id is not None:
            assert row.scope_unit_id == user_units[row.entity_id]
        elif row.entity_type == "org_unit":
            assert row.scope_unit_id == int(row.entity_id)
        elif row.entity_id is None:
            assert row.action == "login_failed" and row.scope_unit_id is None
        else:
            assert row.scope_unit_id is not None, (row.entity_type, row.action)
    assert {"visit", "evidence", "desk", "user", "org_unit", "staff", "plan", "team", "checklist"} <= seen


def test_a_commune_reviewer_reads_only_what_they_review_in_their_commune(app, client, trail):
    events = _events(client, trail["reviewer"])
    assert events, "the commune's visit must be visible"
    subtree = _subtree(app, COMMUNE)
    assert {e["scope_unit_id"] for e in events} <= subtree
    assert {e["entity_type"] for e in events} <= set(REVIEWER_ENTITY_TYPES)
    visits = {e["entity_id"] for e in events if e["entity_type"] == "visit"}
    assert visits == {trail["visit_in"]}
    assert {e["action"] for e in events if e["entity_type"] == "visit"} == {"create", "sync_findings", "submit"}
    assert {e["action"] for e in events if e["entity_type"] == "evidence"} == {"upload", "delete"}
    # No accounts, no desks, no failed logins, no other commune's visit, even asked by name.
    assert _events(client, trail["reviewer"], entity_type="visit", entity_id=trail["visit_out"]) == []
    assert _events(client, trail["reviewer"], entity_type="user") == []
    assert _events(client, trail["reviewer"], entity_type="desk", entity_id=trail["desk_in"]) == []
    assert _events(client, trail["reviewer"], action="login_failed") == []


def test_a_commune_admin_reads_everything_about_their_commune_and_nothing_else(app, client, demo, trail):
    events = _events(client, trail["admin"])
    subtree = _subtree(app, COMMUNE)
    assert events and {e["scope_unit_id"] for e in events} <= subtree
    kinds = {(e["entity_type"], e["entity_id"]) for e in events}
    assert ("desk", str(trail["desk_in"])) in kinds and ("desk", str(trail["desk_out"])) not in kinds
    assert ("visit", trail["visit_in"]) in kinds and ("visit", trail["visit_out"]) not in kinds
    assert ("org_unit", str(demo.units[COMMUNE])) in kinds and ("org_unit", str(demo.units["TQ"])) not in kinds
    # Their own account's failed login is theirs to see; the province's and the unknown
    # name's are not.
    failures = _events(client, trail["admin"], action="login_failed")
    mine = str(_ok(client.get("/api/v1/auth/me", headers=trail["admin"]))["id"])
    assert [f["entity_id"] for f in failures] == [mine]
    assert _events(client, trail["admin"], actor_id=demo.users["admin"], entity_type="desk",
                   entity_id=trail["desk_out"]) == []


def test_the_province_admin_reads_the_whole_trail(app, client, trail):
    events = _events(client, trail["province_admin"])
    assert len(events) == len(_all_rows(app))
    failures = _events(client, trail["province_admin"], action="login_failed")
    assert len(failures) == 3 and sum(1 for f in failures if f["scope_unit_id"] is None) == 1


def test_leaders_and_inspectors_get_403_and_only_root_admins_verify(client, login, trail):
    for headers in (trail["leader"], login("leader1"), login("inspector1"), login("inspector2")):
        _problem(client.get("/api/v1/audit", headers=headers), 403)
        _problem(client.get("/api/v1/audit/verify", headers=headers), 403)
    _problem(client.get("/api/v1/audit/verify", headers=trail["reviewer"]), 403)
    # A commune admin does not verify the whole installation's chain.
    _problem(client.get("/api/v1/audit/verify", headers=trail["admin"]), 403)
    assert _ok(client.get("/api/v1/audit/verify", headers=trail["province_admin"]))["intact"] is True


def test_failed_logins_keep_no_typed_text(app, client, trail):
    rows = [r for r in _all_rows(app) if r.action == "login_failed"]
    assert len(rows) == 3
    for row in rows:
        stored = json.dumps([row.actor_username, row.before, row.after, row.entity_id], ensure_ascii=False)
        assert TYPED_NAME.lower() not in stored.lower() and TYPED_PASSWORD not in stored
        assert row.actor_username is None and row.actor_id is None
    # Straight from the table too, every column as text.
    with app.app_context():
        raw = " ".join(str(v) for row in db.session.execute(text("SELECT * FROM audit_events")) for v in row)
        db.session.remove()
    assert TYPED_NAME.lower() not in raw.lower() and TYPED_PASSWORD not in raw
    unknown = next(r for r in rows if r.entity_id is None)
    assert set(unknown.after) == {"username_tag"} and len(unknown.after["username_tag"]) == 4


def test_attempts_on_one_unknown_name_share_a_tag(client, demo, login):
    for name in ("Nguoi.La", " nguoi.la ", "nguoi.khac"):
        _problem(client.post("/api/v1/auth/login", json={"username": name, "password": TYPED_PASSWORD}), 401)
    tags = [e["after"]["username_tag"] for e in _events(client, login("admin"), action="login_failed")][::-1]
    assert tags[0] == tags[1]  # the same name as login reads it (trimmed, lower case)
    assert tags[2] != tags[0]


def test_the_scope_is_fixed_when_written_and_cannot_be_edited(app, client, demo, trail, runner):
    admin = trail["province_admin"]
    # The desk moves to another commune: what was recorded about it stays with Hà Giang 1.
    _ok(client.patch(f"/api/v1/desks/{trail['desk_in']}", headers=admin,
                     json={"org_unit_id": demo.units["TQ-MYLAM"]}))
    in_commune = _events(client, trail["admin"], entity_type="desk", entity_id=trail["desk_in"])
    assert [e["action"] for e in in_commune] == ["create"]
    everywhere = _events(client, admin, entity_type="desk", entity_id=trail["desk_in"])
    assert [(e["action"], e["scope_unit_id"]) for e in everywhere] == [
        ("update", demo.units["TQ-MYLAM"]), ("create", demo.units[COMMUNE])]

    # Moving an event into another subtree by editing the column breaks the chain there.
    victim = everywhere[1]["id"]
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(update(AuditEvent.__table__).where(AuditEvent.id == victim)
                         .values(scope_unit_id=demo.units["TQ-MYLAM"]))
        db.session.remove()
    report = _ok(client.get("/api/v1/audit/verify", headers=admin))
    assert report["intact"] is False and report["broken_at"] == victim
    assert runner.invoke(args=["audit", "verify"]).exit_code == 1


def test_reviews_explanations_and_lists_reach_the_commune_reviewer(app, client, demo, login):
    from tests.api.review_support import Flow

    flow = Flow(client, demo, login)
    reviewer = _commune_user(client, login("admin"), demo, "reviewer.hagiang1", "reviewer")
    staff = flow.staff(COMMUNE, 0)
    inside = flow.approved(COMMUNE, "2026-11-10", {"CON-02": ("fail", staff), "PUB-07": "fail"},
                           photos=("PUB-07",))
    outside = flow.approved("TQ-MINHXUAN", "2026-11-11", {"PUB-07": "fail"}, photos=("PUB-07",))
    flow.explanation(inside.findings["CON-02"], "request")
    lists = {}
    for unit in (COMMUNE, "TQ"):
        response = client.post("/api/v1/reports/lists", headers=login("leader1"), json={
            "kind": "criticism", "from": "2026-10-01", "to": "2026-12-31", "org_unit_id": demo.units[unit],
            "signer_name": "Phạm Thị Hòa", "document_number": f"12{len(lists)}/TTr-SNV", "document_date": "2026-12-31"})
        lists[unit] = _ok(response, 201)["id"]

    seen = {(e["entity_type"], e["entity_id"], e["action"]) for e in _events(client, reviewer)}
    assert ("visit", inside.id, "approve") in seen
    assert ("finding", inside.findings["CON-02"], "explanation_request") in seen
    assert ("evidence", inside.evidence["PUB-07"], "upload") in seen
    assert ("list", str(lists[COMMUNE]), "freeze") in seen
    # By type and id: a list and a correction may share a number.
    assert not {s for s in seen if s[:2] in {("visit", outside.id), ("list", str(lists["TQ"])),
                                             ("evidence", outside.evidence["PUB-07"])}}
    # The corrections approval made: the commune's, not the other unit's.
    assert {s[0] for s in seen if s[2] == "create" and s[0] == "correction"} == {"correction"}
    assert len([s for s in seen if s[0] == "correction"]) == 2  # CON-02 and PUB-07 of the commune
    # The province reviewer sees both.
    province = {(e["entity_type"], e["entity_id"]) for e in _events(client, login("reviewer1"))}
    assert {("visit", outside.id), ("list", str(lists["TQ"])), ("visit", inside.id)} <= province


def test_writes_that_name_the_unit_record_the_one_derived_from_the_entity(app, client, demo, login):
    """A visit's create, update, findings batch, photo, submit and review name the unit of
    the visit's desk themselves (no statement under the change clock's lock); it must be
    the unit scope_of derives from the entity, as every other event's is."""
    flow = Flow(client, demo, login)
    unit = "TQ-MINHXUAN"
    reviewed = flow.visit(unit, "2026-11-20", photos=("SEAT-01",))
    flow.review(reviewed.id)
    edited = flow.visit(unit, "2026-11-21", submit=False)
    headers = flow.login(flow.inspector_for(edited.desk_id))
    current = flow.client.get(f"/api/v1/visits/{edited.id}", headers=headers).get_json()
    body = {name: current[name] for name in ("desk_id", "checklist_id", "team_id", "started_at", "staff_on_duty")}
    assert flow.client.put(f"/api/v1/visits/{edited.id}", headers=headers, json={
        **body, "notes": "Bổ sung ghi chú", "version": current["version"]}).status_code == 200

    ids = {reviewed.id, edited.id, *reviewed.evidence.values()}
    rows = [row for row in _all_rows(app) if row.entity_id in ids]
    assert {(row.entity_type, row.action) for row in rows} >= {
        ("visit", "create"), ("visit", "update"), ("visit", "sync_findings"), ("evidence", "upload"),
        ("visit", "submit"), ("visit", "approve")}
    with app.app_context():
        for row in rows:
            derived = scope_of(row.entity_type, row.entity_id, row.before, row.after)
            assert derived == flow.demo.units[unit] and row.scope_unit_id == derived, (row.entity_type, row.action)
        db.session.remove()

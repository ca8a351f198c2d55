"""Object-level authorisation over HTTP: who may see and change which visits and which
reference data. What a caller may not know exists answers 404, what they may see but not
do answers 403, and no token at all answers 401."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select

from inspect_api.db import db
from inspect_api.org.models import Desk, OrgUnit, Staff
from inspect_api.visits.models import Finding, Visit
from tests.api.visit_support import PROBLEM, RECORDED_AT
from tests.api.visit_support import create_visit as _create
from tests.api.visit_support import my_team as _team
from tests.api.visit_support import visit_body as _visit_body
from tests.conftest import new_id

COMMUNE_PASSWORD = "mat-khau-cua-xa-Ha-Giang-1"


def _visit_ids(client, headers, **params) -> set[str]:
    response = client.get("/api/v1/visits", query_string={"per_page": 200, **params}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return {v["id"] for v in response.get_json()["items"]}


def _problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    assert response.get_json()["status"] == status
    return response.get_json()


def _count(app, model) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(model))
        db.session.remove()
    return count


def _set_status(app, visit_id: str, status: str) -> None:
    with app.app_context():
        db.session.get(Visit, uuid.UUID(visit_id)).status = status
        db.session.commit()
        db.session.remove()


@pytest.fixture
def team1_visit(client, demo, login):
    """A draft visit of inspector1's team, with one finding; (id, the body it was made with)."""
    headers = login("inspector1")
    team = _team(client, headers)
    body = _visit_body(team, staff_on_duty=demo.staff_by_desk[team["desk_ids"][0]][:1])
    visit_id = _create(client, headers, body)
    finding = {"id": new_id(), "criterion_id": demo.criteria["SEAT-02"], "result": "pass",
               "recorded_at": RECORDED_AT}
    synced = client.put(f"/api/v1/visits/{visit_id}/findings", json={"findings": [finding]}, headers=headers)
    assert synced.status_code == 200, synced.get_json()
    return visit_id, body


# --- inspectors: their own team's visits only -----------------------------------------

def test_another_team_cannot_see_or_touch_a_visit(client, demo, login, app, team1_visit):
    visit_id, body = team1_visit
    owner, intruder = login("inspector1"), login("inspector2")
    before = client.get(f"/api/v1/visits/{visit_id}", headers=owner).get_json()
    findings_before = _count(app, Finding)

    _problem(client.get(f"/api/v1/visits/{visit_id}", headers=intruder), 404)
    for edit in ({**body, "notes": "sửa trộm", "version": 1}, body):
        _problem(client.put(f"/api/v1/visits/{visit_id}", json=edit, headers=intruder), 404)
    _problem(client.put(f"/api/v1/visits/{visit_id}", json={**body, "notes": "sửa trộm"},
                        headers={**intruder, "If-Match": '"v1"'}), 404)
    # Even a body naming inspector2's own team and desk does not reach the visit.
    own = _visit_body(_team(client, intruder), notes="chiếm", version=1)
    _problem(client.put(f"/api/v1/visits/{visit_id}", json=own, headers=intruder), 404)
    finding = {"id": new_id(), "criterion_id": demo.criteria["SEAT-01"], "value": 3,
               "recorded_at": RECORDED_AT}
    _problem(client.put(f"/api/v1/visits/{visit_id}/findings", json={"findings": [finding]},
                        headers=intruder), 404)
    _problem(client.post(f"/api/v1/visits/{visit_id}/submit", headers=intruder), 404)

    assert client.get(f"/api/v1/visits/{visit_id}", headers=owner).get_json() == before
    assert _count(app, Finding) == findings_before
    assert visit_id not in _visit_ids(client, intruder)
    assert visit_id in _visit_ids(client, owner)


def test_a_404_for_a_hidden_visit_is_the_same_as_for_no_visit(client, demo, login, team1_visit):
    visit_id, _ = team1_visit
    intruder = login("inspector2")
    hidden = _problem(client.get(f"/api/v1/visits/{visit_id}", headers=intruder), 404)
    absent = _problem(client.get(f"/api/v1/visits/{new_id()}", headers=intruder), 404)
    assert (hidden["title"], hidden["detail"], hidden["type"]) == (absent["title"], absent["detail"], absent["type"])


def test_inspectors_create_visits_only_for_their_team_and_desks(client, demo, login, app):
    headers = login("inspector1")
    team1 = _team(client, headers)
    team2 = _team(client, login("inspector2"))

    visit_id = new_id()
    other_team = client.put(f"/api/v1/visits/{visit_id}",
                            json=_visit_body(team1, team2["desk_ids"][0], team_id=team2["id"]),
                            headers=headers)
    assert "team_id" in _problem(other_team, 422)["errors"]["json"]

    other_desk = client.put(f"/api/v1/visits/{visit_id}", json=_visit_body(team1, team2["desk_ids"][0]),
                            headers=headers)
    assert "desk_id" in _problem(other_desk, 422)["errors"]["json"]

    assert _count(app, Visit) == 0
    _problem(client.get(f"/api/v1/visits/{visit_id}", headers=login("admin")), 404)


# --- reviewers, leaders, admins ---------------------------------------------------------

def test_who_sees_a_draft_and_an_approved_visit(client, demo, login, app, team1_visit):
    visit_id, _ = team1_visit
    for username in ("reviewer1", "admin"):
        headers = login(username)
        seen = client.get(f"/api/v1/visits/{visit_id}", headers=headers)
        assert seen.status_code == 200, (username, seen.get_json())
        assert len(seen.get_json()["findings"]) == 1
        assert visit_id in _visit_ids(client, headers)

    leader = login("leader1")
    _problem(client.get(f"/api/v1/visits/{visit_id}", headers=leader), 404)
    assert visit_id not in _visit_ids(client, leader)

    _set_status(app, visit_id, "submitted")
    _problem(client.get(f"/api/v1/visits/{visit_id}", headers=leader), 404)
    assert visit_id not in _visit_ids(client, leader)

    _set_status(app, visit_id, "approved")
    assert client.get(f"/api/v1/visits/{visit_id}", headers=leader).status_code == 200
    assert _visit_ids(client, leader) == {visit_id}
    assert _visit_ids(client, leader, status="approved") == {visit_id}


@pytest.mark.parametrize("username", ["reviewer1", "leader1", "admin"])
def test_only_inspectors_write_visits(client, demo, login, app, team1_visit, username):
    visit_id, body = team1_visit
    headers = login(username)
    owner = login("inspector1")
    before = client.get(f"/api/v1/visits/{visit_id}", headers=owner).get_json()

    _problem(client.put(f"/api/v1/visits/{visit_id}", json={**body, "notes": "sửa", "version": 1},
                        headers=headers), 403)
    _problem(client.put(f"/api/v1/visits/{new_id()}", json=body, headers=headers), 403)
    finding = {"id": new_id(), "criterion_id": demo.criteria["SEAT-01"], "value": 1,
               "recorded_at": RECORDED_AT}
    _problem(client.put(f"/api/v1/visits/{visit_id}/findings", json={"findings": [finding]},
                        headers=headers), 403)
    _problem(client.post(f"/api/v1/visits/{visit_id}/submit", headers=headers), 403)

    assert client.get(f"/api/v1/visits/{visit_id}", headers=owner).get_json() == before
    assert _count(app, Visit) == 1


# --- a user scoped to one commune ------------------------------------------------------

@pytest.fixture
def commune_reviewer(client, demo, login):
    created = client.post("/api/v1/users", headers=login("admin"), json={
        "username": "reviewer.hagiang1", "full_name": "Vũ Thị Hồng Nhung", "role": "reviewer",
        "org_unit_id": demo.units["TQ-HAGIANG1"], "password": COMMUNE_PASSWORD})
    assert created.status_code == 201, created.get_json()
    return login("reviewer.hagiang1", COMMUNE_PASSWORD)


def _subtree(app, code) -> set[int]:
    with app.app_context():
        root = db.session.scalar(select(OrgUnit).where(OrgUnit.code == code))
        ids = set(db.session.scalars(select(OrgUnit.id).where(OrgUnit.path.startswith(root.path))))
        db.session.remove()
    return ids


def _all(client, headers, path) -> list[dict]:
    response = client.get(path, query_string={"per_page": 200}, headers=headers)
    assert response.status_code == 200, response.get_json()
    page = response.get_json()
    assert page["meta"]["more"] is False
    return page["items"]


def test_a_commune_user_sees_only_their_commune(client, demo, login, app, commune_reviewer):
    headers = commune_reviewer
    subtree = _subtree(app, "TQ-HAGIANG1")
    assert demo.units["TQ"] not in subtree and len(subtree) < len(demo.units)

    units = _all(client, headers, "/api/v1/org-units")
    assert {u["id"] for u in units} == subtree

    desks = _all(client, headers, "/api/v1/desks")
    local_desks = {d for d, unit in demo.desk_unit.items() if unit in subtree}
    assert local_desks and {d["id"] for d in desks} == local_desks

    staff = _all(client, headers, "/api/v1/staff")
    with app.app_context():
        expected_staff = set(db.session.scalars(select(Staff.id).where(Staff.org_unit_id.in_(subtree))))
        db.session.remove()
    assert expected_staff and {s["id"] for s in staff} == expected_staff

    local_desk = next(iter(local_desks))
    other_desk = demo.desk_of("inspector1")
    assert other_desk not in local_desks
    assert client.get(f"/api/v1/desks/{local_desk}", headers=headers).status_code == 200
    _problem(client.get(f"/api/v1/desks/{other_desk}", headers=headers), 404)
    _problem(client.get(f"/api/v1/org-units/{demo.units['TQ']}", headers=headers), 404)
    other_staff = demo.staff_by_desk[other_desk][0]
    _problem(client.get(f"/api/v1/staff/{other_staff}", headers=headers), 404)

    inspector1, inspector2 = login("inspector1"), login("inspector2")
    team2 = _team(client, inspector2)
    assert local_desk in team2["desk_ids"]
    local_visit = _create(client, inspector2, _visit_body(team2, local_desk))
    elsewhere = _create(client, inspector1, _visit_body(_team(client, inspector1)))

    assert _visit_ids(client, headers) == {local_visit}
    assert client.get(f"/api/v1/visits/{local_visit}", headers=headers).status_code == 200
    _problem(client.get(f"/api/v1/visits/{elsewhere}", headers=headers), 404)
    assert _visit_ids(client, headers, desk_id=other_desk) == set()


# --- reference data is written by admins only ------------------------------------------

def _reference_writes(demo) -> list[tuple[str, dict, type]]:
    desk_id = demo.desk_of("inspector1")
    return [
        ("/api/v1/org-units", {"code": "TQ-MOI", "name": "Xã Mới", "kind": "commune",
                               "parent_id": demo.units["TQ"]}, OrgUnit),
        ("/api/v1/desks", {"org_unit_id": demo.units["TQ-SNV"], "code": "TQ-SNV-MC",
                           "name": "Bộ phận Một cửa Sở Nội vụ", "level": "province"}, Desk),
        ("/api/v1/staff", {"org_unit_id": demo.desk_unit[desk_id], "desk_id": desk_id,
                           "employee_code": "TQ-MOI-001", "full_name": "Nguyễn Văn Mới"}, Staff),
        ("/api/v1/checklists", {"code": "KHAC-2026", "title": "Bộ tiêu chí khác",
                                "org_unit_id": demo.units["TQ"],
                                "criteria": [{"code": "OTH-01", "category": "facilities",
                                              "text": "Tiêu chí khác", "answer_type": "yes_no",
                                              "subject": "unit", "photo": "none",
                                              "severity": "minor", "weight": 1}]}, None),
        ("/api/v1/plans", {"org_unit_id": demo.units["TQ"], "title": "Kế hoạch khác",
                           "decision_number": "99/QĐ-SNV", "starts_on": "2027-01-01",
                           "ends_on": "2027-03-31", "checklist_id": demo.checklist_id}, None),
    ]


@pytest.mark.parametrize("username", ["inspector1", "reviewer1", "leader1"])
def test_reference_data_writes_are_for_admins(client, demo, login, app, username):
    from inspect_api.checklists.models import ChecklistTemplate
    from inspect_api.plans.models import InspectionPlan

    headers = login(username)
    counted = (OrgUnit, Desk, Staff, ChecklistTemplate, InspectionPlan)
    before = {model: _count(app, model) for model in counted}
    for path, body, _ in _reference_writes(demo):
        _problem(client.post(path, json=body, headers=headers), 403)
    _problem(client.post(f"/api/v1/checklists/{demo.checklist_id}/publish", headers=headers), 403)
    _problem(client.patch(f"/api/v1/desks/{demo.desk_of('inspector1')}", json={"name": "Đổi tên"},
                          headers=headers), 403)
    _problem(client.post("/api/v1/users", json={"username": "ke.gian", "full_name": "Kẻ Gian",
                                                "role": "admin", "org_unit_id": demo.units["TQ"],
                                                "password": "mat-khau-rat-dai-123"}, headers=headers), 403)
    assert {model: _count(app, model) for model in counted} == before


def test_the_same_writes_succeed_for_an_admin(client, demo, login):
    """So the 403s above come from the role, not from a bad body."""
    headers = login("admin")
    for path, body, _ in _reference_writes(demo):
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 201, (path, response.get_json())


# --- no token --------------------------------------------------------------------------

# Public on purpose: logging in, and the API's own documentation.
PUBLIC_ENDPOINTS = {"auth.login", "api-docs.openapi_json", "api-docs.openapi_swagger_ui", "docs_assets"}


def _protected_routes(app) -> list[tuple[str, str]]:
    """(method, path) of every /api/v1 route but the public ones, with sample ids."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        path = re.sub(r"<uuid:\w+>", lambda _: new_id(), rule.rule)
        path = re.sub(r"<int:\w+>", "1", path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, path))
    return routes


def test_every_endpoint_but_login_needs_a_token(client, demo, app):
    routes = _protected_routes(app)
    assert len(routes) >= 30 and all("<" not in path for _, path in routes)
    for method, path in routes:
        response = client.open(path, method=method)
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.mimetype == PROBLEM, (method, path)
        assert response.get_json()["status"] == 401
        bad_token = client.open(path, method=method, headers={"Authorization": "Bearer not.a.token"})
        assert bad_token.status_code == 401, (method, path, bad_token.status_code)
        assert bad_token.mimetype == PROBLEM

    # With a body, too: the token is checked before the body is read.
    response = client.put(f"/api/v1/visits/{new_id()}", json={"desk_id": 1})
    assert response.status_code == 401 and response.mimetype == PROBLEM
    assert client.post("/api/v1/auth/login", json={"username": "admin", "password": "sai"}).status_code == 401

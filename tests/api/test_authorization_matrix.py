"""The authorization matrix: every operation of the OpenAPI document, called by every
kind of caller, answers what that caller may get.

Callers: the province's admin, reviewer and leader; the inspector whose team owns the
visits ("owner") and the other team's inspector ("stranger"); an admin, a reviewer and
a leader of one commune (Hà Giang 1), outside which every object here lies; and the unit
officers of the inspected commune ("officer", Tân Trào) and of Hà Giang 1 ("c_officer"). Bodies are
chosen so that an allowed caller mostly gets a refusal on the merits (409, 422) or a
no-op, never a change that would alter the next caller's answer; what must change
something (log out, freeze, delete a photo, publish) runs with the allowed callers last.

403: the role may never do this. 404: the object is outside the caller's view (the same
answer as an object that does not exist). A new operation without a row here fails the
test, so nobody adds an endpoint without deciding who may call it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.review_support import Q4, Flow, _PHOTO
from tests.conftest import DEMO_PASSWORD, new_id

API = "/api/v1"
# Denied callers first, the allowed ones last (see the module docstring).
CALLERS = ("c_officer", "stranger", "c_leader", "c_reviewer", "c_admin", "officer", "leader", "reviewer", "owner",
           "admin")
PROVINCE = ("admin", "reviewer", "leader", "owner", "stranger")
# Who sees what lies in Tân Trào: the province, and Tân Trào's own officer.
TANTRAO = (*PROVINCE, "officer")
COMMUNE = ("c_admin", "c_reviewer", "c_leader")
ADMINS = ("admin", "c_admin")
REVIEWERS = ("admin", "reviewer", "c_admin", "c_reviewer")
READERS = ("admin", "reviewer", "leader", "c_admin", "c_reviewer", "c_leader")


def expect(default: int, **statuses: int) -> dict[str, int]:
    table = {caller: default for caller in CALLERS}
    for callers, status in statuses.items():
        for caller in callers.split("__"):
            table[caller] = status
    return table


def only(allowed: tuple[str, ...], status: int, otherwise: int = 403, **more: int) -> dict[str, int]:
    table = {caller: (status if caller in allowed else otherwise) for caller in CALLERS}
    for callers, value in more.items():
        for caller in callers.split("__"):
            table[caller] = value
    return table


@dataclass
class World:
    flow: Flow
    headers: dict[str, dict]
    ids: dict[str, Any]

    def fresh_tokens(self, caller: str) -> dict:
        username, password = self.ids["accounts"][caller]
        response = self.flow.client.post(f"{API}/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.get_json()
        return response.get_json()


@pytest.fixture
def world(client, demo, login) -> World:
    flow = Flow(client, demo, login)
    admin = login("admin")
    unit = "TQ-TANTRAO"
    desk = flow.desk(unit)
    owner = flow.inspector_for(desk)
    stranger = "inspector2" if owner == "inspector1" else "inspector1"
    staff_id = flow.staff(unit)

    approved = flow.visit(unit, "2026-11-10", {"CON-01": ("fail", staff_id)}, photos=("CON-01",))
    flow.review(approved.id)
    flow.explanation(approved.findings["CON-01"], "request")
    submitted = flow.visit(unit, "2026-11-11")
    draft = flow.visit(unit, "2026-11-12", {"CON-01": ("fail", staff_id)}, photos=("CON-01",), submit=False)
    draft_body = client.get(f"{API}/visits/{draft.id}", headers=login(owner)).get_json()
    draft_finding = next(f for f in draft_body["findings"] if f["id"] == draft.findings["CON-01"])

    frozen = client.post(f"{API}/reports/lists", headers=login("leader1"), json={
        "kind": "criticism", "from": Q4["from"], "to": Q4["to"],
        "signer_name": "Phạm Thị Hòa", "document_number": "01/TTr-SNV",
        "document_date": "2027-01-05"})
    assert frozen.status_code == 201, frozen.get_json()
    checklist = client.get(f"{API}/checklists/{demo.checklist_id}", headers=admin).get_json()
    criteria = [{key: c[key] for key in ("code", "category", "text", "answer_type", "subject", "photo",
                                         "severity", "weight", "pass_rule", "legal_basis")}
                for c in checklist["criteria"]]
    draft_checklist = client.post(f"{API}/checklists", headers=admin, json={
        "code": "TQ-NHAP", "title": "Bộ tiêu chí dự thảo", "org_unit_id": demo.units["TQ"],
        "criteria": criteria[:3]})
    assert draft_checklist.status_code == 201, draft_checklist.get_json()

    accounts = {"admin": ("admin", DEMO_PASSWORD), "reviewer": ("reviewer1", DEMO_PASSWORD),
                "leader": ("leader1", DEMO_PASSWORD), "owner": (owner, DEMO_PASSWORD),
                "stranger": (stranger, DEMO_PASSWORD)}
    for caller, role, at in (("c_admin", "admin", "TQ-HAGIANG1"), ("c_reviewer", "reviewer", "TQ-HAGIANG1"),
                             ("c_leader", "leader", "TQ-HAGIANG1"), ("c_officer", "unit_officer", "TQ-HAGIANG1"),
                             ("officer", "unit_officer", unit)):
        username = f"{role}.{at.lower()}"
        password = DEMO_PASSWORD + "-" + username
        made = client.post(f"{API}/users", headers=admin, json={
            "username": username, "full_name": f"Người dùng {username}", "role": role,
            "org_unit_id": demo.units[at], "password": password})
        assert made.status_code == 201, made.get_json()
        accounts[caller] = (username, password)
    headers = {}
    for caller, (username, password) in accounts.items():
        headers[caller] = login(username, password)

    # The approved visit's CON-01 failure is a correction, with a photo the officer sent.
    correction = client.get(f"{API}/corrections", headers=admin).get_json()["items"][0]
    photo_id = new_id()
    photo = client.put(f"{API}/corrections/{correction['id']}/photos/{photo_id}", data=_PHOTO,
                       headers={**headers["officer"], "Content-Type": "image/jpeg"})
    assert photo.status_code == 201, photo.get_json()

    plan = client.get(f"{API}/plans", headers=admin).get_json()["items"][0]
    notice = client.post(f"{API}/plans/{plan['id']}/notices", headers=login("reviewer1"), json={
        "org_unit_id": demo.units[unit], "document_number": "01/TB-SNV", "document_date": "2026-12-05",
        "signer_name": "Phạm Thị Hòa"})
    assert notice.status_code == 201, notice.get_json()

    desk_body = client.get(f"{API}/desks/{desk}", headers=admin).get_json()
    staff_body = client.get(f"{API}/staff/{staff_id}", headers=admin).get_json()
    unit_body = client.get(f"{API}/org-units/{demo.units[unit]}", headers=admin).get_json()
    team_id = demo.team_of[owner]
    owner_user = client.get(f"{API}/users/{demo.users[owner]}", headers=admin).get_json()
    ids = {
        "accounts": accounts, "unit": demo.units[unit], "unit_body": unit_body, "desk": desk,
        "desk_body": desk_body, "staff": staff_id, "staff_body": staff_body,
        "owner_id": demo.users[owner], "owner_name": owner_user["full_name"],
        "reviewer_id": demo.users["reviewer1"], "province": demo.units["TQ"],
        "checklist": demo.checklist_id, "draft_checklist": draft_checklist.get_json(),
        "criteria": criteria, "plan": plan, "team": team_id,
        "team_name": client.get(f"{API}/teams/{team_id}", headers=admin).get_json()["name"],
        "approved": approved, "submitted": submitted, "draft": draft,
        "draft_body": draft_body, "draft_finding": draft_finding, "frozen": frozen.get_json()["id"],
        "correction": correction["id"], "correction_photo": photo_id, "notice": notice.get_json()["id"],
    }
    return World(flow, headers, ids)


@dataclass
class Op:
    method: str
    path: str  # the OpenAPI path, as documented
    request: Callable[[World], dict]  # url and request kwargs
    expected: dict[str, int]
    token: str = "access"  # "refresh" or "fresh" (a new session per call)


def _visit_put(w: World) -> dict:
    body = {key: w.ids["draft_body"][key] for key in ("desk_id", "checklist_id", "team_id", "started_at",
                                                       "ended_at", "notes", "location", "staff_on_duty")}
    return {"url": f"{API}/visits/{w.ids['draft'].id}", "json": body}


def _findings_put(w: World) -> dict:
    finding = w.ids["draft_finding"]
    item = {"id": finding["id"], "criterion_id": finding["criterion_id"], "result": finding["result"],
            "staff_id": finding["staff_id"], "note": finding["note"], "recorded_at": finding["recorded_at"]}
    return {"url": f"{API}/visits/{w.ids['draft'].id}/findings", "json": {"findings": [item]}}


def _photo_put(w: World) -> dict:
    draft = w.ids["draft"]
    return {"url": f"{API}/visits/{draft.id}/evidence/{draft.evidence['CON-01']}"
                   f"?finding_id={draft.findings['CON-01']}",
            "data": _PHOTO, "headers": {"Content-Type": "image/jpeg",
                                        "X-Content-SHA256": hashlib.sha256(_PHOTO).hexdigest()}}


def _evidence(w: World, tail: str = "") -> dict:
    return {"url": f"{API}/evidence/{w.ids['approved'].evidence['CON-01']}{tail}"}


def _correction(w: World, tail: str = "") -> dict:
    return {"url": f"{API}/corrections/{w.ids['correction']}{tail}"}


def _correction_photo(w: World, tail: str = "") -> dict:
    return _correction(w, f"/photos/{w.ids['correction_photo']}{tail}")


def _notices(w: World, tail: str = "") -> str:
    return f"{API}/plans/{w.ids['plan']['id']}/notices{tail}"


PERIOD = f"from={Q4['from']}&to={Q4['to']}"
TQ_SEES_VISIT = only(("admin", "reviewer", "leader", "owner", "officer"), 200, 404)
# A correction: the province, the inspectors who re-check its desk, and its unit's officer.
SEES_CORRECTION = only(("admin", "reviewer", "leader", "owner", "officer"), 200, 404)
OPS = [
    Op("POST", "/api/v1/auth/login", lambda w: {"url": f"{API}/auth/login", "json": {}}, expect(200), token="login"),
    Op("POST", "/api/v1/auth/refresh", lambda w: {"url": f"{API}/auth/refresh"}, expect(200), token="refresh"),
    Op("GET", "/api/v1/auth/me", lambda w: {"url": f"{API}/auth/me"}, expect(200)),
    Op("POST", "/api/v1/auth/password", lambda w: {"url": f"{API}/auth/password", "json": {
        "current_password": "khong-phai-mat-khau", "new_password": "mat-khau-moi-rat-dai"}}, expect(422)),
    Op("GET", "/api/v1/users", lambda w: {"url": f"{API}/users"}, only(ADMINS, 200)),
    Op("POST", "/api/v1/users", lambda w: {"url": f"{API}/users", "json": {
        "username": "admin", "full_name": "Trùng tên", "role": "inspector", "org_unit_id": w.ids["province"],
        "password": "mat-khau-rat-dai-123"}}, only(ADMINS, 409, c_admin=422)),
    Op("GET", "/api/v1/users/{user_id}", lambda w: {"url": f"{API}/users/{w.ids['owner_id']}"},
       only(ADMINS, 200, c_admin=404)),
    Op("PATCH", "/api/v1/users/{user_id}", lambda w: {"url": f"{API}/users/{w.ids['owner_id']}",
                                                       "json": {"full_name": w.ids["owner_name"]}},
       only(ADMINS, 200, c_admin=404)),
    Op("GET", "/api/v1/org-units", lambda w: {"url": f"{API}/org-units"}, expect(200)),
    Op("POST", "/api/v1/org-units", lambda w: {"url": f"{API}/org-units", "json": {
        "code": "TQ", "name": "Trùng mã", "kind": "commune", "parent_id": w.ids["province"]}},
       only(ADMINS, 409, c_admin=422)),
    Op("GET", "/api/v1/org-units/{unit_id}", lambda w: {"url": f"{API}/org-units/{w.ids['unit']}"},
       only(TANTRAO, 200, 404)),
    Op("PATCH", "/api/v1/org-units/{unit_id}", lambda w: {"url": f"{API}/org-units/{w.ids['unit']}",
                                                           "json": {"name": w.ids["unit_body"]["name"]}},
       only(ADMINS, 200, c_admin=404)),
    Op("GET", "/api/v1/desks", lambda w: {"url": f"{API}/desks"}, expect(200)),
    Op("POST", "/api/v1/desks", lambda w: {"url": f"{API}/desks", "json": {
        "org_unit_id": w.ids["unit"], "code": w.ids["desk_body"]["code"], "name": "Trùng mã",
        "level": "commune"}}, only(ADMINS, 409, c_admin=422)),
    Op("GET", "/api/v1/desks/{desk_id}", lambda w: {"url": f"{API}/desks/{w.ids['desk']}"},
       only(TANTRAO, 200, 404)),
    Op("PATCH", "/api/v1/desks/{desk_id}", lambda w: {"url": f"{API}/desks/{w.ids['desk']}",
                                                       "json": {"name": w.ids["desk_body"]["name"]}},
       only(ADMINS, 200, c_admin=404)),
    Op("GET", "/api/v1/staff", lambda w: {"url": f"{API}/staff"}, expect(200)),
    Op("POST", "/api/v1/staff", lambda w: {"url": f"{API}/staff", "json": {
        "org_unit_id": w.ids["unit"], "employee_code": w.ids["staff_body"]["employee_code"],
        "full_name": "Trùng mã"}}, only(ADMINS, 409, c_admin=422)),
    Op("GET", "/api/v1/staff/{staff_id}", lambda w: {"url": f"{API}/staff/{w.ids['staff']}"},
       only(TANTRAO, 200, 404)),
    Op("PATCH", "/api/v1/staff/{staff_id}", lambda w: {"url": f"{API}/staff/{w.ids['staff']}",
                                                        "json": {"full_name": w.ids["staff_body"]["full_name"]}},
       only(ADMINS, 200, c_admin=404)),
    Op("GET", "/api/v1/checklists", lambda w: {"url": f"{API}/checklists"}, expect(200)),
    Op("POST", "/api/v1/checklists", lambda w: {"url": f"{API}/checklists", "json": {
        "code": "TRUNG", "title": "Mã tiêu chí trùng", "org_unit_id": w.ids["province"],
        "criteria": [w.ids["criteria"][0], w.ids["criteria"][0]]}}, only(ADMINS, 422)),
    Op("GET", "/api/v1/checklists/{checklist_id}", lambda w: {"url": f"{API}/checklists/{w.ids['checklist']}"},
       expect(200)),
    # A province's draft: read by admins (a commune admin too: it may come down to them),
    # changed only by the province's.
    Op("GET", "/api/v1/checklists/{checklist_id}",
       lambda w: {"url": f"{API}/checklists/{w.ids['draft_checklist']['id']}"}, only(ADMINS, 200, 404)),
    Op("PATCH", "/api/v1/checklists/{checklist_id}", lambda w: {
        "url": f"{API}/checklists/{w.ids['draft_checklist']['id']}",
        "json": {"title": w.ids["draft_checklist"]["title"]}}, only(("admin",), 200)),
    Op("PATCH", "/api/v1/checklists/{checklist_id}", lambda w: {
        "url": f"{API}/checklists/{w.ids['checklist']}", "json": {"title": "Sửa bản đã ban hành"}},
       only(("admin",), 409)),
    Op("POST", "/api/v1/checklists/{checklist_id}/publish",
       lambda w: {"url": f"{API}/checklists/{w.ids['checklist']}/publish"}, only(("admin",), 409)),
    Op("GET", "/api/v1/plans", lambda w: {"url": f"{API}/plans"}, expect(200)),
    Op("POST", "/api/v1/plans", lambda w: {"url": f"{API}/plans", "json": {
        "org_unit_id": w.ids["province"], "title": "Trùng số", "decision_number": w.ids["plan"]["decision_number"],
        "starts_on": "2027-01-01", "ends_on": "2027-03-31", "checklist_id": w.ids["checklist"]}},
       only(ADMINS, 409, c_admin=422)),
    Op("GET", "/api/v1/plans/{plan_id}", lambda w: {"url": f"{API}/plans/{w.ids['plan']['id']}"}, expect(200)),
    Op("PATCH", "/api/v1/plans/{plan_id}", lambda w: {"url": f"{API}/plans/{w.ids['plan']['id']}",
                                                       "json": {"title": w.ids["plan"]["title"]}},
       only(("admin",), 200)),
    Op("GET", "/api/v1/plans/{plan_id}/teams", lambda w: {"url": f"{API}/plans/{w.ids['plan']['id']}/teams"},
       expect(200)),
    Op("POST", "/api/v1/plans/{plan_id}/teams", lambda w: {"url": f"{API}/plans/{w.ids['plan']['id']}/teams",
                                                            "json": {"name": "Đoàn sai",
                                                                     "member_ids": [w.ids["reviewer_id"]],
                                                                     "desk_ids": []}},
       only(("admin",), 422)),
    Op("GET", "/api/v1/teams/{team_id}", lambda w: {"url": f"{API}/teams/{w.ids['team']}"}, expect(200)),
    Op("PATCH", "/api/v1/teams/{team_id}", lambda w: {"url": f"{API}/teams/{w.ids['team']}",
                                                       "json": {"name": w.ids["team_name"]}},
       only(("admin",), 200)),
    Op("GET", "/api/v1/visits", lambda w: {"url": f"{API}/visits"}, expect(200)),
    Op("GET", "/api/v1/visits/{visit_id}", lambda w: {"url": f"{API}/visits/{w.ids['approved'].id}"},
       TQ_SEES_VISIT),
    Op("GET", "/api/v1/visits/{visit_id}", lambda w: {"url": f"{API}/visits/{w.ids['draft'].id}"},
       only(("admin", "reviewer", "owner"), 200, 404)),
    Op("GET", "/api/v1/visits/{visit_id}/minutes.pdf",
       lambda w: {"url": f"{API}/visits/{w.ids['approved'].id}/minutes.pdf"}, TQ_SEES_VISIT),
    Op("GET", "/api/v1/visits/{visit_id}/minutes.pdf",
       lambda w: {"url": f"{API}/visits/{w.ids['draft'].id}/minutes.pdf"},
       only(("admin", "reviewer", "owner"), 409, 404)),
    Op("PUT", "/api/v1/visits/{visit_id}", _visit_put, only(("owner",), 200, stranger=404)),
    Op("PUT", "/api/v1/visits/{visit_id}/findings", _findings_put, only(("owner",), 200, stranger=404)),
    Op("POST", "/api/v1/visits/{visit_id}/submit",
       lambda w: {"url": f"{API}/visits/{w.ids['submitted'].id}/submit"}, only(("owner",), 409, stranger=404)),
    Op("PUT", "/api/v1/visits/{visit_id}/evidence/{evidence_id}", _photo_put, only(("owner",), 200, stranger=404)),
    Op("GET", "/api/v1/evidence/{evidence_id}", _evidence, TQ_SEES_VISIT),
    Op("GET", "/api/v1/evidence/{evidence_id}/content", lambda w: _evidence(w, "/content"), TQ_SEES_VISIT),
    Op("GET", "/api/v1/evidence/{evidence_id}/thumbnail", lambda w: _evidence(w, "/thumbnail"), TQ_SEES_VISIT),
    Op("DELETE", "/api/v1/visits/{visit_id}/evidence/{evidence_id}", lambda w: {
        "url": f"{API}/visits/{w.ids['draft'].id}/evidence/{w.ids['draft'].evidence['CON-01']}"},
       only(("owner",), 204, stranger=404)),
    Op("GET", "/api/v1/review/queue", lambda w: {"url": f"{API}/review/queue"}, only(REVIEWERS, 200)),
    Op("POST", "/api/v1/visits/{visit_id}/review", lambda w: {
        "url": f"{API}/visits/{w.ids['submitted'].id}/review", "json": {"decision": "return"}},
       only(REVIEWERS, 422, c_admin=404, c_reviewer=404)),
    Op("GET", "/api/v1/findings/{finding_id}/explanation", lambda w: {
        "url": f"{API}/findings/{w.ids['approved'].findings['CON-01']}/explanation"}, TQ_SEES_VISIT),
    Op("POST", "/api/v1/findings/{finding_id}/explanation", lambda w: {
        "url": f"{API}/findings/{w.ids['approved'].findings['CON-01']}/explanation", "json": {"action": "request"}},
       only(REVIEWERS, 409, c_admin=404, c_reviewer=404)),
    Op("GET", "/api/v1/reports/scores", lambda w: {"url": f"{API}/reports/scores?{PERIOD}"}, only(READERS, 200)),
    Op("GET", "/api/v1/reports/scores", lambda w: {"url": f"{API}/reports/scores?{PERIOD}&org_unit_id={w.ids['unit']}"},
       only(READERS, 200, c_admin=404, c_reviewer=404, c_leader=404)),
    Op("GET", "/api/v1/reports/scores/export", lambda w: {"url": f"{API}/reports/scores/export?{PERIOD}"},
       only(READERS, 200)),
    Op("GET", "/api/v1/reports/scores/export", lambda w: {
        "url": f"{API}/reports/scores/export?{PERIOD}&org_unit_id={w.ids['unit']}"},
       only(READERS, 200, c_admin=404, c_reviewer=404, c_leader=404)),
    Op("GET", "/api/v1/reports/lists", lambda w: {"url": f"{API}/reports/lists?kind=criticism&{PERIOD}"},
       only(READERS, 200)),
    Op("GET", "/api/v1/reports/lists", lambda w: {
        "url": f"{API}/reports/lists?kind=commendation&{PERIOD}&org_unit_id={w.ids['unit']}"},
       only(READERS, 200, c_admin=404, c_reviewer=404, c_leader=404)),
    Op("GET", "/api/v1/reports/lists/frozen", lambda w: {"url": f"{API}/reports/lists/frozen"}, only(READERS, 200)),
    Op("GET", "/api/v1/reports/lists/{list_id}", lambda w: {"url": f"{API}/reports/lists/{w.ids['frozen']}"},
       only(READERS, 200, c_admin=404, c_reviewer=404, c_leader=404)),
    Op("GET", "/api/v1/reports/lists/{list_id}/export",
       lambda w: {"url": f"{API}/reports/lists/{w.ids['frozen']}/export"},
       only(READERS, 200, c_admin=404, c_reviewer=404, c_leader=404)),
    Op("GET", "/api/v1/reports/lists/{list_id}/export",
       lambda w: {"url": f"{API}/reports/lists/{w.ids['frozen']}/export?format=docx"},
       only(READERS, 200, c_admin=404, c_reviewer=404, c_leader=404)),
    Op("POST", "/api/v1/reports/lists", lambda w: {"url": f"{API}/reports/lists", "json": {
        "kind": "commendation", "from": Q4["from"], "to": Q4["to"], "org_unit_id": w.ids["unit"],
        "signer_name": "Phạm Thị Hòa", "document_number": "02/TTr-SNV", "document_date": "2027-01-06"}},
       only(("admin", "leader", "c_admin", "c_leader"), 201, c_admin=404, c_leader=404)),
    Op("GET", "/api/v1/corrections", lambda w: {"url": f"{API}/corrections"}, expect(200)),
    Op("GET", "/api/v1/corrections/sync", lambda w: {"url": f"{API}/corrections/sync"}, expect(200)),
    Op("GET", "/api/v1/corrections/{correction_id}", _correction, SEES_CORRECTION),
    Op("GET", "/api/v1/corrections/{correction_id}/photos/{photo_id}/content",
       lambda w: _correction_photo(w, "/content"), SEES_CORRECTION),
    Op("GET", "/api/v1/corrections/{correction_id}/photos/{photo_id}/thumbnail",
       lambda w: _correction_photo(w, "/thumbnail"), SEES_CORRECTION),
    # The photo again (a retry): the same record, for whoever may add photos here.
    Op("PUT", "/api/v1/corrections/{correction_id}/photos/{photo_id}", lambda w: {
        **_correction_photo(w), "data": _PHOTO, "headers": {"Content-Type": "image/jpeg"}},
       only(("officer", "owner"), 200, c_officer=404, stranger=404)),
    # A photo never sent: 422 for the unit that reports.
    Op("POST", "/api/v1/corrections/{correction_id}/reports", lambda w: {
        **_correction(w, "/reports"), "json": {"id": "6f1c1a52-8a43-4c4e-9d0e-4f1f0c1d2e3f", "note": "Đã sửa",
                                               "photo_ids": ["0b8f5d0c-55a4-4d5e-8f0a-1c2d3e4f5a6b"]}},
       only(("officer",), 422, c_officer=404)),
    # Accepting a report that was never sent: 409 for the reviewers who see it.
    Op("POST", "/api/v1/corrections/{correction_id}/verification", lambda w: {
        **_correction(w, "/verification"), "json": {"id": "1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a", "outcome": "accept"}},
       only(REVIEWERS, 409, c_admin=404, c_reviewer=404)),
    # Conclusion notices: the Tân Trào notice, issued by the province; its officer reads it.
    Op("GET", "/api/v1/plans/{plan_id}/notices", lambda w: {"url": _notices(w)},
       only((*READERS, "officer", "c_officer"), 200)),
    Op("GET", "/api/v1/plans/{plan_id}/notices/draft", lambda w: {
        "url": _notices(w, f"/draft?org_unit_id={w.ids['unit']}&format=docx")},
       only(READERS, 200, c_admin=404, c_reviewer=404, c_leader=404)),
    Op("GET", "/api/v1/plans/{plan_id}/notices/{notice_id}", lambda w: {"url": _notices(w, f"/{w.ids['notice']}")},
       only((*READERS, "officer", "c_officer"), 200, c_admin=404, c_reviewer=404, c_leader=404, c_officer=404)),
    Op("GET", "/api/v1/plans/{plan_id}/notices/{notice_id}/export", lambda w: {
        "url": _notices(w, f"/{w.ids['notice']}/export?format=docx")},
       only((*READERS, "officer", "c_officer"), 200, c_admin=404, c_reviewer=404, c_leader=404, c_officer=404)),
    # The unit has its notice already: 409 for those who may issue it.
    Op("POST", "/api/v1/plans/{plan_id}/notices", lambda w: {"url": _notices(w), "json": {
        "org_unit_id": w.ids["unit"], "document_number": "02/TB-SNV", "document_date": "2026-12-06",
        "signer_name": "Phạm Thị Hòa"}}, only(READERS, 409, c_admin=404, c_reviewer=404, c_leader=404)),
    Op("GET", "/api/v1/audit", lambda w: {"url": f"{API}/audit"}, only(REVIEWERS, 200)),
    Op("GET", "/api/v1/audit/verify", lambda w: {"url": f"{API}/audit/verify"}, only(("admin",), 200)),
    # Last: what changes state for good.
    Op("POST", "/api/v1/checklists/{checklist_id}/publish",
       lambda w: {"url": f"{API}/checklists/{w.ids['draft_checklist']['id']}/publish"}, only(("admin",), 200)),
    Op("POST", "/api/v1/auth/logout", lambda w: {"url": f"{API}/auth/logout"}, expect(204), token="fresh"),
]


def _documented_operations(client) -> set[tuple[str, str]]:
    document = client.get(f"{API}/openapi.json").get_json()
    return {(method.upper(), path) for path, item in document["paths"].items()
            for method in item if method in {"get", "put", "post", "patch", "delete"}}


def test_every_documented_operation_is_in_the_matrix(client):
    assert _documented_operations(client) == {(op.method, op.path) for op in OPS}


def test_every_caller_gets_what_the_matrix_says(client, world):
    wrong = []
    for op in OPS:
        for caller in CALLERS:
            request = op.request(world)
            url = request.pop("url")
            headers = dict(request.pop("headers", {}))
            if op.token == "login":
                username, password = world.ids["accounts"][caller]
                request["json"] = {"username": username, "password": password}
            elif op.token == "refresh":
                headers["Authorization"] = "Bearer " + world.fresh_tokens(caller)["refresh_token"]
            elif op.token == "fresh":
                headers["Authorization"] = "Bearer " + world.fresh_tokens(caller)["access_token"]
            else:
                headers.update(world.headers[caller])
            response = client.open(url, method=op.method, headers=headers, **request)
            if response.status_code != op.expected[caller]:
                wrong.append(f"{op.method} {url} as {caller}: {response.status_code} "
                             f"(expected {op.expected[caller]}) {response.get_data(as_text=True)[:160]}")
            elif response.status_code >= 400:
                assert response.mimetype == "application/problem+json", (op.method, url, caller)
    assert not wrong, "\n".join(wrong)

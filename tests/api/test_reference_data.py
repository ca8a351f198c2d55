"""Reference data for the tablet: pagination, delta sync, and the admin writes for org
units, desks, staff, checklists, plans and teams."""

from __future__ import annotations

import pytest

from tests.conftest import DEMO_PASSWORD

API = "/api/v1"


def _ok(response, status=200):
    assert response.status_code == status, (response.status_code, response.get_json())
    return response.get_json()


def _problem(response, status):
    assert response.status_code == status, (response.status_code, response.get_json())
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def _field_errors(body) -> dict:
    return body["errors"]["json"]


@pytest.fixture
def admin(login, demo):
    return login("admin")


@pytest.fixture
def desk_ids(client, admin) -> dict[str, int]:
    items = _ok(client.get(f"{API}/desks?per_page=200", headers=admin))["items"]
    return {d["code"]: d["id"] for d in items}


# --- pagination and delta sync -------------------------------------------------------

def test_page_size_above_the_cap_is_refused(client, demo, login):
    headers = login("inspector1")
    for path in ("/org-units", "/desks", "/staff", "/checklists", "/plans", "/visits"):
        body = _problem(client.get(f"{API}{path}?per_page=201", headers=headers), 422)
        assert "per_page" in str(body["errors"]), path
    _problem(client.get(f"{API}/staff?per_page=0", headers=headers), 422)
    assert _ok(client.get(f"{API}/staff?per_page=200", headers=headers))["meta"]["per_page"] == 200


def test_pages_follow_the_cursor_to_the_end(client, demo, login):
    headers = login("inspector1")
    first = _ok(client.get(f"{API}/staff?per_page=5&active=true", headers=headers))
    assert len(first["items"]) == 5 and first["removed"] == []
    assert first["meta"]["more"] is True and first["meta"]["reset"] is False

    seen = [item["id"] for item in first["items"]]
    page, pages_read = first, 1
    while page["meta"]["more"]:
        page = _ok(client.get(f"{API}/staff", query_string={
            "per_page": 5, "active": "true", "cursor": page["meta"]["cursor"]}, headers=headers))
        pages_read += 1
        seen.extend(item["id"] for item in page["items"])
    assert pages_read == 10
    assert len(page["items"]) == 1 and page["meta"]["more"] is False
    assert len(seen) == len(set(seen)) == 46

    # The last cursor is where the tablet's copy stands: nothing new since.
    again = _ok(client.get(f"{API}/staff", query_string={"active": "true", "cursor": page["meta"]["cursor"]},
                           headers=headers))
    assert again["items"] == [] and again["removed"] == [] and again["meta"]["more"] is False


def test_the_cursor_returns_only_what_changed(client, demo, login, admin):
    headers = login("inspector1")
    full = _ok(client.get(f"{API}/desks?per_page=200", headers=headers))
    assert len(full["items"]) == 11 and full["meta"]["more"] is False
    cursors = {"/desks": full["meta"]["cursor"]}
    for path in ("/org-units", "/staff", "/checklists"):
        cursors[path] = _ok(client.get(f"{API}{path}?per_page=200", headers=headers))["meta"]["cursor"]
    nothing = _ok(client.get(f"{API}/desks", query_string={"cursor": cursors["/desks"]}, headers=headers))
    assert nothing["items"] == [] and nothing["removed"] == []

    desk = full["items"][3]
    _ok(client.patch(f"{API}/desks/{desk['id']}", json={"address": "Số 1 đường Tân Trào"}, headers=admin))

    delta = _ok(client.get(f"{API}/desks", query_string={"cursor": cursors["/desks"]}, headers=headers))
    assert [d["id"] for d in delta["items"]] == [desk["id"]]
    assert delta["items"][0]["address"] == "Số 1 đường Tân Trào"
    # Other collections did not change.
    for path in ("/org-units", "/staff", "/checklists"):
        other = _ok(client.get(f"{API}{path}", query_string={"cursor": cursors[path]}, headers=headers))
        assert other["items"] == [] and other["removed"] == [], path
    # The next sync starts from the delta's own cursor and sees nothing new.
    again = _ok(client.get(f"{API}/desks", query_string={"cursor": delta["meta"]["cursor"]}, headers=headers))
    assert again["items"] == []
    # A cursor of another collection, or a made-up one, is refused naming the field.
    for bad in (cursors["/staff"], "not-a-cursor", cursors["/desks"][:-2] + "xx"):
        body = _problem(client.get(f"{API}/desks", query_string={"cursor": bad}, headers=headers), 422)
        assert "cursor" in body["errors"]["query"]


# --- org units -----------------------------------------------------------------------

def _new_unit(client, headers, code, parent_id, kind="department", status=201):
    response = client.post(f"{API}/org-units", headers=headers, json={
        "code": code, "name": f"Đơn vị {code}", "kind": kind, "parent_id": parent_id,
        "valid_from": "2025-07-01"})
    if status == 201:
        return _ok(response, 201)
    return _problem(response, status)


def test_admin_creates_org_units_in_scope(client, demo, admin, login):
    tq = _ok(client.get(f"{API}/org-units/{demo.units['TQ']}", headers=admin))
    unit = _new_unit(client, admin, "TQ-SVHTTDL", demo.units["TQ"])
    assert unit["parent_id"] == demo.units["TQ"]
    assert unit["path"] == f"{tq['path']}{unit['id']}/"
    assert _ok(client.get(f"{API}/org-units/{unit['id']}", headers=login("inspector1")))["code"] == "TQ-SVHTTDL"

    dup = _new_unit(client, admin, "TQ-SVHTTDL", demo.units["TQ"], status=409)
    assert "code" in _field_errors(dup)
    missing = _new_unit(client, admin, "TQ-X1", 999_999, status=422)
    assert "parent_id" in _field_errors(missing)
    bad_dates = client.post(f"{API}/org-units", headers=admin, json={
        "code": "TQ-X2", "name": "X", "kind": "ward", "parent_id": demo.units["TQ"],
        "valid_from": "2025-07-01", "valid_to": "2025-01-01"})
    assert "valid_to" in _field_errors(_problem(bad_dates, 422))
    bad_kind = client.post(f"{API}/org-units", headers=admin, json={
        "code": "TQ-X3", "name": "X", "kind": "hamlet", "parent_id": demo.units["TQ"]})
    assert "kind" in _field_errors(_problem(bad_kind, 422))
    _problem(client.post(f"{API}/org-units", headers=login("reviewer1"), json={
        "code": "TQ-X4", "name": "X", "kind": "ward", "parent_id": demo.units["TQ"]}), 403)

    # An admin of one ward may add units under it, but nowhere else.
    _ok(client.post(f"{API}/users", headers=admin, json={
        "username": "admin.mylam", "full_name": "Vũ Văn Hải", "role": "admin",
        "org_unit_id": demo.units["TQ-MYLAM"], "password": DEMO_PASSWORD}), 201)
    ward_admin = login("admin.mylam")
    _new_unit(client, ward_admin, "TQ-MYLAM-T1", demo.units["TQ-MYLAM"], kind="commune")
    outside = _new_unit(client, ward_admin, "TQ-X5", demo.units["TQ-SNV"], status=422)
    assert "parent_id" in _field_errors(outside)
    root = client.post(f"{API}/org-units", headers=ward_admin,
                       json={"code": "TQ-X6", "name": "X", "kind": "province"})
    assert "parent_id" in _field_errors(_problem(root, 422))
    _problem(client.get(f"{API}/org-units/{demo.units['TQ-SNV']}", headers=ward_admin), 404)
    codes = {u["code"] for u in _ok(client.get(f"{API}/org-units?per_page=200", headers=ward_admin))["items"]}
    assert codes == {"TQ-MYLAM", "TQ-MYLAM-T1"}


def test_moving_a_unit_moves_its_subtree(client, demo, admin):
    a = _new_unit(client, admin, "TQ-A", demo.units["TQ"])
    b = _new_unit(client, admin, "TQ-A-B", a["id"])
    c = _new_unit(client, admin, "TQ-A-B-C", b["id"], kind="ward")
    snv = _ok(client.get(f"{API}/org-units/{demo.units['TQ-SNV']}", headers=admin))

    moved = _ok(client.patch(f"{API}/org-units/{a['id']}", json={"parent_id": snv["id"]}, headers=admin))
    assert moved["parent_id"] == snv["id"]
    assert moved["path"] == f"{snv['path']}{a['id']}/"
    assert _ok(client.get(f"{API}/org-units/{b['id']}", headers=admin))["path"] == f"{moved['path']}{b['id']}/"
    assert (_ok(client.get(f"{API}/org-units/{c['id']}", headers=admin))["path"]
            == f"{moved['path']}{b['id']}/{c['id']}/")
    below_snv = _ok(client.get(f"{API}/org-units?parent_id={snv['id']}", headers=admin))["items"]
    assert [u["id"] for u in below_snv] == [a["id"]]

    into_itself = client.patch(f"{API}/org-units/{a['id']}", json={"parent_id": c["id"]}, headers=admin)
    assert "parent_id" in _field_errors(_problem(into_itself, 422))
    assert _ok(client.get(f"{API}/org-units/{c['id']}", headers=admin))["path"].startswith(moved["path"])
    taken = client.patch(f"{API}/org-units/{c['id']}", json={"code": "TQ-SNV"}, headers=admin)
    _problem(taken, 409)


# --- desks and staff -----------------------------------------------------------------

def test_admin_creates_and_changes_desks(client, demo, admin, login, desk_ids):
    body = {"org_unit_id": demo.units["TQ-MYLAM"], "code": "TQ-MYLAM-MC2",
            "name": "Điểm tiếp nhận số 2 xã Mỹ Lâm", "level": "commune"}
    backwards = client.post(f"{API}/desks", headers=admin,
                            json={**body, "opens_at": "17:00", "closes_at": "07:30"})
    assert "closes_at" in _field_errors(_problem(backwards, 422))

    desk = _ok(client.post(f"{API}/desks", headers=admin, json=body), 201)
    assert (desk["opens_at"], desk["closes_at"], desk["active"]) == ("07:30:00", "17:00:00", True)
    assert "code" in _field_errors(_problem(client.post(f"{API}/desks", headers=admin, json=body), 409))
    _problem(client.post(f"{API}/desks", headers=admin, json={**body, "code": "X", "org_unit_id": 999_999}), 422)
    _problem(client.post(f"{API}/desks", headers=admin, json={**body, "level": "district"}), 422)
    _problem(client.post(f"{API}/desks", headers=login("inspector1"), json={**body, "code": "Y"}), 403)

    early_close = client.patch(f"{API}/desks/{desk['id']}", json={"closes_at": "07:00"}, headers=admin)
    assert "closes_at" in _field_errors(_problem(early_close, 422))
    retired = _ok(client.patch(f"{API}/desks/{desk['id']}", json={"active": False, "opens_at": "08:00"},
                               headers=admin))
    assert retired["active"] is False and retired["opens_at"] == "08:00:00"
    active = _ok(client.get(f"{API}/desks?active=true&per_page=200", headers=admin))["items"]
    assert desk["id"] not in {d["id"] for d in active} and len(active) == 11
    taken = client.patch(f"{API}/desks/{desk['id']}", json={"code": "TQ-MINHXUAN-MC"}, headers=admin)
    _problem(taken, 409)


def test_admin_creates_staff_including_seconded_staff(client, demo, admin, desk_ids):
    existing = _ok(client.get(f"{API}/staff?per_page=1", headers=admin))["items"][0]
    body = {"org_unit_id": demo.units["TQ-MYLAM"], "desk_id": desk_ids["TQ-MYLAM-MC"],
            "employee_code": "TQ-NV-9001", "full_name": "Ma Thị Lan", "position": "Công chức Văn phòng - Thống kê"}
    staff = _ok(client.post(f"{API}/staff", headers=admin, json=body), 201)
    assert staff["category"] == "cong_chuc" and staff["active"] is True

    dup = client.post(f"{API}/staff", headers=admin, json={**body, "employee_code": existing["employee_code"]})
    assert "employee_code" in _field_errors(_problem(dup, 409))

    # A department's officer seconded to the provincial centre's counter: the desk
    # belongs to another unit than the person, which is allowed.
    seconded = _ok(client.post(f"{API}/staff", headers=admin, json={
        "org_unit_id": demo.units["TQ-STP"], "desk_id": desk_ids["TQ-TTPVHCC-MC"],
        "employee_code": "TQ-STP-0042", "full_name": "Nông Văn Quý", "category": "vien_chuc"}), 201)
    assert seconded["org_unit_id"] == demo.units["TQ-STP"]
    assert seconded["desk_id"] == desk_ids["TQ-TTPVHCC-MC"]
    at_centre = _ok(client.get(f"{API}/staff?desk_id={desk_ids['TQ-TTPVHCC-MC']}&per_page=200",
                               headers=admin))["items"]
    assert seconded["id"] in {s["id"] for s in at_centre}

    no_desk = client.post(f"{API}/staff", headers=admin, json={**body, "employee_code": "Z1", "desk_id": 999_999})
    assert "desk_id" in _field_errors(_problem(no_desk, 422))
    bad_category = client.post(f"{API}/staff", headers=admin, json={**body, "employee_code": "Z2",
                                                                     "category": "tam_thoi"})
    assert "category" in _field_errors(_problem(bad_category, 422))
    left = _ok(client.patch(f"{API}/staff/{staff['id']}", json={"active": False}, headers=admin))
    assert left["active"] is False
    assert _problem(client.patch(f"{API}/staff/{staff['id']}", headers=admin,
                                 json={"employee_code": existing["employee_code"]}), 409)


# --- checklists ----------------------------------------------------------------------

CRITERIA = [
    {"code": "SEAT-01", "category": "facilities", "text": "Số người dân phải đứng chờ",
     "answer_type": "count", "subject": "unit", "photo": "required", "severity": "major",
     "weight": 2, "pass_rule": "value == 0"},
    {"code": "CON-01", "category": "conduct", "text": "Công chức đeo thẻ công chức?",
     "answer_type": "yes_no", "subject": "staff", "photo": "optional", "severity": "minor",
     "weight": 1},
    {"code": "DIS-01", "category": "punctuality", "text": "Giờ có mặt tại quầy",
     "answer_type": "time", "subject": "staff", "photo": "none", "severity": "major",
     "weight": 1.5, "pass_rule": "value <= desk.opens_at"},
]


def test_checklist_drafts_versions_and_publishing(client, demo, admin, login):
    inspector = login("inspector1")
    draft = _ok(client.post(f"{API}/checklists", headers=admin, json={
        "code": "MOTCUA-2026", "title": "Kiểm tra Bộ phận Một cửa (sửa đổi)",
        "org_unit_id": demo.units["TQ"], "criteria": CRITERIA}), 201)
    assert (draft["version"], draft["status"], draft["published_at"]) == (2, "draft", None)
    assert [c["position"] for c in draft["criteria"]] == [1, 2, 3]
    assert draft["criteria_count"] == 3

    # Drafts are for admins only.
    listed = _ok(client.get(f"{API}/checklists?code=MOTCUA-2026", headers=inspector))["items"]
    assert [c["version"] for c in listed] == [1]
    _problem(client.get(f"{API}/checklists/{draft['id']}", headers=inspector), 404)
    assert [c["version"] for c in _ok(client.get(f"{API}/checklists?code=MOTCUA-2026",
                                                 headers=admin))["items"]] == [1, 2]
    assert [c["id"] for c in _ok(client.get(f"{API}/checklists?status=draft", headers=admin))["items"]] == [draft["id"]]
    _problem(client.patch(f"{API}/checklists/{draft['id']}", json={"title": "x"}, headers=inspector), 403)

    # A draft cannot be pinned by a plan.
    plan = client.post(f"{API}/plans", headers=admin, json={
        "org_unit_id": demo.units["TQ"], "title": "Kế hoạch thử", "decision_number": "01/KH-THU",
        "starts_on": "2026-01-01", "ends_on": "2026-03-31", "checklist_id": draft["id"]})
    assert "checklist_id" in _field_errors(_problem(plan, 422))

    edited = _ok(client.patch(f"{API}/checklists/{draft['id']}", headers=admin, json={
        "title": "Kiểm tra Bộ phận Một cửa năm 2026 (bản 2)", "criteria": list(reversed(CRITERIA))}))
    assert edited["title"].endswith("(bản 2)") and edited["version"] == 2
    assert [c["code"] for c in edited["criteria"]] == ["DIS-01", "CON-01", "SEAT-01"]
    assert [c["position"] for c in edited["criteria"]] == [1, 2, 3]

    published = _ok(client.post(f"{API}/checklists/{draft['id']}/publish", headers=admin))
    assert published["status"] == "published" and published["published_at"]
    frozen = client.patch(f"{API}/checklists/{draft['id']}", json={"title": "sửa sau ban hành"}, headers=admin)
    body = _problem(frozen, 409)
    assert body["current"]["title"].endswith("(bản 2)")
    _problem(client.post(f"{API}/checklists/{draft['id']}/publish", headers=admin), 409)
    seen = _ok(client.get(f"{API}/checklists/{draft['id']}", headers=inspector))
    assert seen["title"].endswith("(bản 2)")
    assert [c["code"] for c in seen["criteria"]] == ["DIS-01", "CON-01", "SEAT-01"]
    # Version 1 is untouched.
    v1 = _ok(client.get(f"{API}/checklists/{demo.checklist_id}", headers=inspector))
    assert v1["version"] == 1 and len(v1["criteria"]) == 38


def test_bad_criteria_are_named_by_index(client, demo, admin):
    bad = [CRITERIA[0], {**CRITERIA[0], "code": "SEAT-02", "pass_rule": "value ~ 0"},
           {**CRITERIA[1], "pass_rule": "value == 1"}, {**CRITERIA[2], "pass_rule": "value >= 90"},
           {**CRITERIA[0], "code": "SEAT-03", "pass_rule": None}, CRITERIA[0]]
    response = client.post(f"{API}/checklists", headers=admin, json={
        "code": "MOTCUA-2026", "title": "Sai", "org_unit_id": demo.units["TQ"], "criteria": bad})
    errors = _field_errors(_problem(response, 422))["criteria"]
    assert set(errors) == {"0", "1", "2", "3", "4", "5"}
    assert all("pass_rule" in errors[i] for i in ("1", "2", "3", "4"))
    assert "code" in errors["0"] and "code" in errors["5"]  # SEAT-01 twice: both named
    assert "pass_rule" not in errors["0"] and "pass_rule" not in errors["5"]
    # Nothing was written: the next draft is still version 2.
    created = _ok(client.post(f"{API}/checklists", headers=admin, json={
        "code": "MOTCUA-2026", "title": "Đúng", "org_unit_id": demo.units["TQ"], "criteria": CRITERIA}), 201)
    assert created["version"] == 2
    shape = client.post(f"{API}/checklists", headers=admin, json={
        "code": "NEW", "title": "x", "org_unit_id": demo.units["TQ"],
        "criteria": [{**CRITERIA[1], "answer_type": "multiple_choice"}]})
    assert "answer_type" in str(_field_errors(_problem(shape, 422))["criteria"])


# --- plans and teams -----------------------------------------------------------------

def test_plans_and_teams(client, demo, admin, login, desk_ids):
    plan = _ok(client.post(f"{API}/plans", headers=admin, json={
        "org_unit_id": demo.units["TQ-MINHXUAN"], "title": "Kiểm tra đột xuất phường Minh Xuân",
        "decision_number": "77/QĐ-UBND", "starts_on": "2026-11-01", "ends_on": "2026-11-30",
        "checklist_id": demo.checklist_id}), 201)
    assert plan["teams"] == []
    _problem(client.post(f"{API}/plans", headers=admin, json={
        "org_unit_id": demo.units["TQ"], "title": "Trùng số", "decision_number": "77/QĐ-UBND",
        "starts_on": "2026-11-01", "ends_on": "2026-11-30", "checklist_id": demo.checklist_id}), 409)
    backwards = client.post(f"{API}/plans", headers=admin, json={
        "org_unit_id": demo.units["TQ"], "title": "Ngược", "decision_number": "78/QĐ-UBND",
        "starts_on": "2026-11-30", "ends_on": "2026-11-01", "checklist_id": demo.checklist_id})
    assert "ends_on" in _field_errors(_problem(backwards, 422))

    url = f"{API}/plans/{plan['id']}/teams"
    inspector1, inspector2 = demo.users["inspector1"], demo.users["inspector2"]
    minhxuan_desk = desk_ids["TQ-MINHXUAN-MC"]

    not_member = client.post(url, headers=admin, json={
        "name": "Đoàn 3", "member_ids": [inspector1], "leader_id": inspector2, "desk_ids": [minhxuan_desk]})
    assert "leader_id" in _field_errors(_problem(not_member, 422))
    reviewer = client.post(url, headers=admin, json={
        "name": "Đoàn 3", "member_ids": [inspector1, demo.users["reviewer1"]], "leader_id": inspector1,
        "desk_ids": [minhxuan_desk]})
    assert "member_ids" in _field_errors(_problem(reviewer, 422))
    far_desk = client.post(url, headers=admin, json={
        "name": "Đoàn 3", "member_ids": [inspector1], "leader_id": inspector1,
        "desk_ids": [minhxuan_desk, desk_ids["TQ-DONGVAN-MC"]]})
    assert "desk_ids" in _field_errors(_problem(far_desk, 422))
    assert _ok(client.get(url, headers=admin)) == []  # nothing of the refused teams was kept

    team = _ok(client.post(url, headers=admin, json={
        "name": "Đoàn 3", "member_ids": [inspector1, inspector2], "leader_id": inspector2,
        "desk_ids": [minhxuan_desk]}), 201)
    assert team["plan_id"] == plan["id"] and sorted(team["member_ids"]) == sorted([inspector1, inspector2])
    assert team["desk_ids"] == [minhxuan_desk]
    _problem(client.post(url, headers=login("inspector1"), json={
        "name": "Đoàn 4", "member_ids": [inspector1], "desk_ids": []}), 403)

    teams = _ok(client.get(url, headers=login("inspector1")))
    assert [(t["id"], t["leader_id"]) for t in teams] == [(team["id"], inspector2)]
    assert [t["id"] for t in _ok(client.get(f"{API}/plans/{plan['id']}", headers=admin))["teams"]] == [team["id"]]
    me = _ok(client.get(f"{API}/auth/me", headers=login("inspector1")))
    mine = {t["id"]: t for t in me["teams"]}
    assert team["id"] in mine and mine[team["id"]]["is_leader"] is False
    assert mine[team["id"]]["desk_ids"] == [minhxuan_desk]

    # Changing a team keeps the same rules.
    dropped_leader = client.patch(f"{API}/teams/{team['id']}", json={"member_ids": [inspector1]}, headers=admin)
    assert "leader_id" in _field_errors(_problem(dropped_leader, 422))
    unchanged = _ok(client.get(f"{API}/teams/{team['id']}", headers=admin))
    assert sorted(unchanged["member_ids"]) == sorted([inspector1, inspector2])
    renamed = _ok(client.patch(f"{API}/teams/{team['id']}", headers=admin,
                               json={"name": "Đoàn kiểm tra số 3", "member_ids": [inspector1],
                                     "leader_id": inspector1}))
    assert (renamed["name"], renamed["member_ids"], renamed["leader_id"]) == ("Đoàn kiểm tra số 3", [inspector1],
                                                                             inspector1)
    assert _ok(client.get(f"{API}/teams/{team['id']}", headers=admin))["member_ids"] == [inspector1]
    _problem(client.get(f"{API}/plans/999999/teams", headers=admin), 404)


def test_a_checklist_code_belongs_to_one_unit(client, demo, admin, login):
    """An inspected commune must not publish an easier version of the province's checklist:
    plans and visits pinned to that code would take it."""
    checklist = _ok(client.get(f"{API}/checklists/{demo.checklist_id}", headers=admin))
    criteria = [{key: c[key] for key in ("code", "category", "text", "answer_type", "subject", "photo",
                                         "severity", "weight", "pass_rule")} for c in checklist["criteria"]]
    created = client.post(f"{API}/users", headers=admin, json={
        "username": "admin.hagiang1", "full_name": "Quản trị xã Hà Giang 1", "role": "admin",
        "org_unit_id": demo.units["TQ-HAGIANG1"], "password": DEMO_PASSWORD + "-xa"})
    assert created.status_code == 201, created.get_json()
    commune_admin = login("admin.hagiang1", DEMO_PASSWORD + "-xa")
    body = {"code": checklist["code"], "title": "Bản dễ hơn", "org_unit_id": demo.units["TQ-HAGIANG1"],
            "criteria": criteria[:2]}
    refused = _problem(client.post(f"{API}/checklists", json=body, headers=commune_admin), 409)
    assert "code" in refused["errors"]["json"]
    # The province itself makes the next version of its own code.
    own = _ok(client.post(f"{API}/checklists", json={**body, "org_unit_id": demo.units["TQ"]}, headers=admin), 201)
    assert own["version"] == checklist["version"] + 1

"""The offline-first sync contract of visits and findings, over HTTP as inspector1.

A tablet creates visits and findings under its own UUIDs and replays them until the
server has acknowledged them, so every write here is checked for three things: the
status code, what the response says, and what the database holds afterwards.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from inspect_api.db import db
from inspect_api.visits.models import Finding, Visit
from tests.api.visit_support import PROBLEM, RECORDED_AT
from tests.api.visit_support import create_visit as _create
from tests.api.visit_support import my_team as _team
from tests.api.visit_support import visit_body as _visit_body
from tests.conftest import new_id


# --- helpers ---------------------------------------------------------------------------


def _get(client, headers, visit_id) -> dict:
    response = client.get(f"/api/v1/visits/{visit_id}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _sync(client, headers, visit_id, findings):
    return client.put(f"/api/v1/visits/{visit_id}/findings", json={"findings": findings},
                      headers=headers)


def _finding(demo, code, **fields) -> dict:
    item = {"id": new_id(), "criterion_id": demo.criteria[code], "recorded_at": RECORDED_AT}
    item.update(fields)
    return item


def _passing_answer(demo, code) -> dict:
    """An answer that passes, of the criterion's own answer type."""
    answer_type, _ = demo.criteria_meta[code]
    if answer_type in ("yes_no", "text"):
        return _finding(demo, code, result="pass")
    if answer_type == "count":
        return _finding(demo, code, value=0)
    if answer_type == "percent":
        return _finding(demo, code, value=100)
    return _finding(demo, code, value="17:05" if code == "DIS-04" else "07:20")


def _finding_rows(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Finding))
        db.session.remove()
    return count


def _stored_visit(app, visit_id) -> dict:
    """The visit's row as the database holds it (not as the API renders it)."""
    import uuid

    with app.app_context():
        visit = db.session.get(Visit, uuid.UUID(visit_id))
        row = None if visit is None else {
            "status": visit.status, "version": visit.version, "plan_id": visit.plan_id,
            "created_by_id": visit.created_by_id, "submitted_at": visit.submitted_at,
            "submitted_by_id": visit.submitted_by_id, "notes": visit.notes,
            "staff_on_duty": visit.staff_on_duty_ids,
        }
        db.session.remove()
    return row


def _audit(client, demo, login, visit_id) -> list[dict]:
    response = client.get("/api/v1/audit", query_string={"entity_type": "visit", "entity_id": visit_id},
                          headers=login("admin"))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def _other_team_desk(demo, username="inspector2") -> int:
    return demo.team_desks[demo.team_of[username]][0]


def _assert_problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


# --- visits: create, replay, update ----------------------------------------------------

def test_create_then_exact_replay_changes_nothing(client, demo, login):
    headers = login("inspector1")
    team = _team(client, headers)
    visit_id = new_id()
    body = _visit_body(team, location={"lat": 21.82, "lon": 105.21})
    created = client.put(f"/api/v1/visits/{visit_id}", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["version"] == 1 and created.get_json()["status"] == "draft"
    assert created.headers["ETag"] == '"v1"'

    replay = client.put(f"/api/v1/visits/{visit_id}", json=body, headers=headers)
    assert replay.status_code == 200, replay.get_json()
    assert replay.get_json() == created.get_json()

    events = _audit(client, demo, login, visit_id)
    assert [e["action"] for e in events] == ["create"]


def test_update_needs_the_current_version(client, demo, login):
    headers = login("inspector1")
    team = _team(client, headers)
    body = _visit_body(team)
    visit_id = _create(client, headers, body)

    updated = client.put(f"/api/v1/visits/{visit_id}", json={**body, "notes": "Lần 2", "version": 1},
                         headers=headers)
    assert updated.status_code == 200, updated.get_data(as_text=True)
    assert updated.get_json()["version"] == 2 and updated.get_json()["notes"] == "Lần 2"
    assert updated.headers["ETag"] == '"v2"'

    stale = client.put(f"/api/v1/visits/{visit_id}", json={**body, "notes": "Lần 3", "version": 1},
                       headers=headers)
    problem = _assert_problem(stale, 409)
    assert problem["current"] == _get(client, headers, visit_id)
    assert problem["current"]["notes"] == "Lần 2" and problem["current"]["version"] == 2

    by_header = client.put(f"/api/v1/visits/{visit_id}", json={**body, "notes": "Lần 3"},
                           headers={**headers, "If-Match": '"v2"'})
    assert by_header.status_code == 200, by_header.get_data(as_text=True)
    assert by_header.get_json()["version"] == 3 and by_header.get_json()["notes"] == "Lần 3"

    stale_header = client.put(f"/api/v1/visits/{visit_id}", json={**body, "notes": "Lần 4"},
                              headers={**headers, "If-Match": '"v2"'})
    _assert_problem(stale_header, 409)

    unconditional = client.put(f"/api/v1/visits/{visit_id}", json={**body, "notes": "Lần 4"},
                               headers=headers)
    problem = _assert_problem(unconditional, 428)
    assert problem["current"]["version"] == 3

    # The tablet never saw the answer to its first update and sends it again, still
    # based on version 1: the content is already there, so nothing happens.
    replayed = client.put(f"/api/v1/visits/{visit_id}", json={**body, "notes": "Lần 3", "version": 1},
                          headers=headers)
    assert replayed.status_code == 200, replayed.get_data(as_text=True)
    assert replayed.get_json()["version"] == 3

    stored = _get(client, headers, visit_id)
    assert stored["notes"] == "Lần 3" and stored["version"] == 3
    assert [e["action"] for e in _audit(client, demo, login, visit_id)] == ["update", "update", "create"]


@pytest.mark.parametrize("field, value", [
    ("status", "approved"),
    ("submitted_at", "2026-11-20T02:00:00+00:00"),
    ("submitted_by_id", 1),
    ("created_by_id", 1),
    ("plan_id", 1),
    ("created_at", "2026-11-20T02:00:00+00:00"),
    ("updated_at", "2026-11-20T02:00:00+00:00"),
    ("id", "00000000-0000-0000-0000-000000000000"),
    ("findings", []),
])
def test_fields_the_client_may_not_set_are_refused(client, demo, login, app, field, value):
    headers = login("inspector1")
    team = _team(client, headers)
    body = _visit_body(team)

    # On create: refused, and no visit exists afterwards.
    fresh_id = new_id()
    refused = client.put(f"/api/v1/visits/{fresh_id}", json={**body, field: value}, headers=headers)
    problem = _assert_problem(refused, 422)
    assert field in problem["errors"]["json"]
    assert _stored_visit(app, fresh_id) is None

    # On update: refused, and the stored visit is untouched.
    visit_id = _create(client, headers, body)
    before = _stored_visit(app, visit_id)
    refused = client.put(f"/api/v1/visits/{visit_id}",
                         json={**body, "notes": "đổi", "version": 1, field: value}, headers=headers)
    problem = _assert_problem(refused, 422)
    assert field in problem["errors"]["json"]
    after = _stored_visit(app, visit_id)
    assert after == before
    assert after["status"] == "draft" and after["submitted_at"] is None
    assert after["created_by_id"] == demo.users["inspector1"]


def test_staff_on_duty_is_stored_and_checked(client, demo, login, app):
    headers = login("inspector1")
    team = _team(client, headers)
    desk_id = team["desk_ids"][0]
    own_staff = demo.staff_by_desk[desk_id][:2]
    foreign = demo.staff_by_desk[_other_team_desk(demo)][0]

    fresh_id = new_id()
    refused = client.put(f"/api/v1/visits/{fresh_id}",
                         json=_visit_body(team, staff_on_duty=[own_staff[0], foreign]), headers=headers)
    problem = _assert_problem(refused, 422)
    assert list(problem["errors"]["json"]["staff_on_duty"]) == ["1"]
    assert _stored_visit(app, fresh_id) is None

    body = _visit_body(team, staff_on_duty=own_staff)
    visit_id = _create(client, headers, body)
    assert _get(client, headers, visit_id)["staff_on_duty"] == sorted(own_staff)
    assert sorted(_stored_visit(app, visit_id)["staff_on_duty"]) == sorted(own_staff)

    # Replaying with the list in another order is still a replay.
    replay = client.put(f"/api/v1/visits/{visit_id}",
                        json={**body, "staff_on_duty": list(reversed(own_staff))}, headers=headers)
    assert replay.status_code == 200 and replay.get_json()["version"] == 1

    refused = client.put(f"/api/v1/visits/{visit_id}",
                         json={**body, "staff_on_duty": [foreign], "version": 1}, headers=headers)
    problem = _assert_problem(refused, 422)
    assert list(problem["errors"]["json"]["staff_on_duty"]) == ["0"]
    assert sorted(_stored_visit(app, visit_id)["staff_on_duty"]) == sorted(own_staff)

    narrowed = client.put(f"/api/v1/visits/{visit_id}",
                          json={**body, "staff_on_duty": own_staff[:1], "version": 1}, headers=headers)
    assert narrowed.status_code == 200, narrowed.get_data(as_text=True)
    assert _get(client, headers, visit_id)["staff_on_duty"] == own_staff[:1]


# --- findings: replay, all-or-nothing --------------------------------------------------

def test_replaying_a_batch_three_times_leaves_one_row_per_finding(client, demo, login, app):
    headers = login("inspector1")
    team = _team(client, headers)
    visit_id = _create(client, headers, _visit_body(team))
    codes = ["SEAT-01", "SEAT-02", "PUB-03", "DIS-01", "CON-01"]
    batch = [_passing_answer(demo, code) for code in codes]

    changed = []
    for _ in range(3):
        synced = _sync(client, headers, visit_id, batch)
        assert synced.status_code == 200, synced.get_json()
        assert [f["id"] for f in synced.get_json()["findings"]] == [item["id"] for item in batch]
        changed.append(synced.get_json()["changed"])
    assert changed == [len(batch), 0, 0]

    detail = _get(client, headers, visit_id)
    assert sorted(f["id"] for f in detail["findings"]) == sorted(item["id"] for item in batch)
    assert _finding_rows(app) == len(batch)
    assert [e["action"] for e in _audit(client, demo, login, visit_id)] == ["sync_findings", "create"]

    # A changed answer in the same batch is an update of the same row, not a new one.
    batch[0]["value"] = 3
    synced = _sync(client, headers, visit_id, batch)
    assert synced.status_code == 200 and synced.get_json()["changed"] == 1
    assert _finding_rows(app) == len(batch)
    stored = {f["id"]: f for f in _get(client, headers, visit_id)["findings"]}
    assert stored[batch[0]["id"]]["value"] == 3 and stored[batch[0]["id"]]["result"] == "fail"


@pytest.fixture
def foreign_criterion_id(client, demo, login):
    """A criterion of another published checklist (not the visit's)."""
    admin = login("admin")
    created = client.post("/api/v1/checklists", headers=admin, json={
        "code": "KHAC-2026", "title": "Bộ tiêu chí khác", "org_unit_id": demo.units["TQ"],
        "criteria": [{"code": "OTH-01", "category": "facilities", "text": "Tiêu chí khác",
                      "answer_type": "yes_no", "subject": "unit", "photo": "none",
                      "severity": "minor", "weight": 1}]})
    assert created.status_code == 201, created.get_json()
    published = client.post(f"/api/v1/checklists/{created.get_json()['id']}/publish", headers=admin)
    assert published.status_code == 200, published.get_json()
    return published.get_json()["criteria"][0]["id"]


def _bad_items(demo, desk_id, foreign_desk_id, foreign_criterion_id, first_id, used_elsewhere_id):
    """(bad item, the field its error must name), each to go at index 1 of a batch."""
    own_staff = demo.staff_by_desk[desk_id][0]
    foreign_staff = demo.staff_by_desk[foreign_desk_id][0]
    return {
        "criterion of another checklist": (
            {"id": new_id(), "criterion_id": foreign_criterion_id, "result": "pass",
             "recorded_at": RECORDED_AT}, "criterion_id"),
        "criterion that does not exist": (
            {"id": new_id(), "criterion_id": 999_999, "result": "pass", "recorded_at": RECORDED_AT},
            "criterion_id"),
        "staff of another unit": (
            _finding(demo, "CON-01", result="fail", staff_id=foreign_staff), "staff_id"),
        "count as a string": (_finding(demo, "DOS-02", value="3"), "value"),
        "negative count": (_finding(demo, "DOS-02", value=-1), "value"),
        "count as a boolean": (_finding(demo, "DOS-02", value=True), "value"),
        "count as a float": (_finding(demo, "DOS-02", value=1.5), "value"),
        "percent above 100": (_finding(demo, "DOS-01", value=100.5), "value"),
        "percent as a string": (_finding(demo, "DOS-01", value="95"), "value"),
        "time without leading zero": (_finding(demo, "DIS-01", value="7:45", staff_id=own_staff), "value"),
        "time out of range": (_finding(demo, "DIS-01", value="24:10", staff_id=own_staff), "value"),
        "time as a number": (_finding(demo, "DIS-01", value=745, staff_id=own_staff), "value"),
        "value on a yes/no criterion": (_finding(demo, "SEAT-02", value=1), "value"),
        "neither result nor value": (_finding(demo, "SEAT-02"), "result"),
        "staff fail without staff_id": (_finding(demo, "CON-01", result="fail"), "staff_id"),
        "staff_id on a unit criterion": (
            _finding(demo, "SEAT-02", result="pass", staff_id=own_staff), "staff_id"),
        "finding id repeated in the batch": (
            {**_finding(demo, "FAC-01", result="pass"), "id": first_id}, "id"),
        "finding id of another visit": (
            {**_finding(demo, "FAC-01", result="pass"), "id": used_elsewhere_id}, "id"),
        "second finding for a unit criterion": (_finding(demo, "SEAT-01", value=1), "criterion_id"),
    }


BAD_CASES = ["criterion of another checklist", "criterion that does not exist",
             "staff of another unit", "count as a string", "negative count", "count as a boolean",
             "count as a float", "percent above 100", "percent as a string",
             "time without leading zero", "time out of range", "time as a number",
             "value on a yes/no criterion", "neither result nor value",
             "staff fail without staff_id", "staff_id on a unit criterion",
             "finding id repeated in the batch", "finding id of another visit",
             "second finding for a unit criterion"]


@pytest.mark.parametrize("case", BAD_CASES)
def test_a_bad_item_refuses_the_whole_batch(client, demo, login, app, foreign_criterion_id, case):
    headers = login("inspector1")
    team = _team(client, headers)
    desk_id = team["desk_ids"][0]
    visit_id = _create(client, headers, _visit_body(team))
    other_visit_id = _create(client, headers, _visit_body(team, started_at="2026-11-21T01:15:00+00:00"))
    used_elsewhere = _finding(demo, "FAC-01", result="pass")
    assert _sync(client, headers, other_visit_id, [used_elsewhere]).status_code == 200
    # What the visit already holds: SEAT-01 answered once.
    seat = _finding(demo, "SEAT-01", value=0)
    assert _sync(client, headers, visit_id, [seat]).status_code == 200
    rows_before = _finding_rows(app)
    detail_before = _get(client, headers, visit_id)

    good = _finding(demo, "PUB-01", value=0)
    bad, field = _bad_items(demo, desk_id, _other_team_desk(demo), foreign_criterion_id,
                            seat["id"], used_elsewhere["id"])[case]
    # A valid update of a stored row, the bad item, a valid new row: none may be written.
    refused = _sync(client, headers, visit_id, [{**seat, "note": "sửa ghi chú"}, bad, good])
    problem = _assert_problem(refused, 422)
    errors = problem["errors"]["json"]["findings"]
    assert list(errors) == ["1"], errors
    assert field in errors["1"], errors

    assert _finding_rows(app) == rows_before
    detail_after = _get(client, headers, visit_id)
    assert detail_after["findings"] == detail_before["findings"]
    assert detail_after["updated_at"] == detail_before["updated_at"]


def test_errors_name_every_bad_item(client, demo, login, app):
    headers = login("inspector1")
    team = _team(client, headers)
    visit_id = _create(client, headers, _visit_body(team))
    batch = [_finding(demo, "SEAT-01", value="nhiều"), _finding(demo, "SEAT-02", result="pass"),
             _finding(demo, "CON-01", result="fail"), _finding(demo, "DOS-01", value=120)]
    problem = _assert_problem(_sync(client, headers, visit_id, batch), 422)
    errors = problem["errors"]["json"]["findings"]
    assert set(errors) == {"0", "2", "3"}
    assert "value" in errors["0"] and "staff_id" in errors["2"] and "value" in errors["3"]
    assert _finding_rows(app) == 0


def test_a_staff_criterion_takes_one_finding_per_staff_member(client, demo, login, app):
    headers = login("inspector1")
    team = _team(client, headers)
    desk_id = team["desk_ids"][0]
    first, second = demo.staff_by_desk[desk_id][:2]
    visit_id = _create(client, headers, _visit_body(team))
    batch = [_finding(demo, "CON-01", result="fail", staff_id=first, note="Không hướng dẫn"),
             _finding(demo, "CON-01", result="fail", staff_id=second)]
    synced = _sync(client, headers, visit_id, batch)
    assert synced.status_code == 200, synced.get_json()
    assert _finding_rows(app) == 2

    twice = _finding(demo, "CON-01", result="pass", staff_id=first)
    problem = _assert_problem(_sync(client, headers, visit_id, [twice]), 422)
    assert "criterion_id" in problem["errors"]["json"]["findings"]["0"]
    assert _finding_rows(app) == 2


# --- findings: results derived from values ---------------------------------------------

def test_results_are_derived_from_values_unless_given(client, demo, login):
    headers = login("inspector1")
    team = _team(client, headers)
    desk_id = team["desk_ids"][0]
    desk = client.get(f"/api/v1/desks/{desk_id}", headers=headers).get_json()
    assert desk["opens_at"].startswith("07:30")
    staff_id = demo.staff_by_desk[desk_id][0]
    visit_id = _create(client, headers, _visit_body(team))

    seat = _finding(demo, "SEAT-01", value=0)
    late = _finding(demo, "DIS-01", value="07:45", staff_id=staff_id)
    early = _finding(demo, "DIS-01", value="07:20", staff_id=demo.staff_by_desk[desk_id][1])
    dossiers = _finding(demo, "DOS-01", value=85)
    overridden = _finding(demo, "DOS-02", value=4, result="pass", note="Quá hạn do lỗi hệ thống tỉnh")

    def results():
        return {f["id"]: (f["value"], f["result"]) for f in _get(client, headers, visit_id)["findings"]}

    synced = _sync(client, headers, visit_id, [seat, late, early, dossiers, overridden])
    assert synced.status_code == 200, synced.get_json()
    assert {f["id"]: f["result"] for f in synced.get_json()["findings"]} == {
        seat["id"]: "pass", late["id"]: "fail", early["id"]: "pass",
        dossiers["id"]: "fail", overridden["id"]: "pass"}
    assert results() == {seat["id"]: (0, "pass"), late["id"]: ("07:45", "fail"),
                         early["id"]: ("07:20", "pass"), dossiers["id"]: (85, "fail"),
                         overridden["id"]: (4, "pass")}

    seat["value"] = 2
    dossiers["value"] = 95
    synced = _sync(client, headers, visit_id, [seat, dossiers])
    assert synced.status_code == 200 and synced.get_json()["changed"] == 2
    stored = results()
    assert stored[seat["id"]] == (2, "fail") and stored[dossiers["id"]] == (95, "pass")

    # The inspector overrides a derived result: theirs is what is stored.
    seat["result"] = "pass"
    assert _sync(client, headers, visit_id, [seat]).status_code == 200
    assert results()[seat["id"]] == (2, "pass")


# --- size caps and request errors ------------------------------------------------------

def test_a_batch_above_the_cap_is_refused_whole(client, demo, login, app):
    headers = login("inspector1")
    team = _team(client, headers)
    visit_id = _create(client, headers, _visit_body(team))
    assert app.config["SYNC_MAX_FINDINGS"] == 500
    batch = [_finding(demo, "SEAT-02", result="pass") for _ in range(501)]
    _assert_problem(_sync(client, headers, visit_id, batch), 413)
    assert _finding_rows(app) == 0

    at_cap = _sync(client, headers, visit_id, [_finding(demo, "SEAT-02", result="pass")])
    assert at_cap.status_code == 200


def test_a_body_above_the_size_cap_is_413(client, demo, login, app):
    headers = login("inspector1")
    team = _team(client, headers)
    assert app.config["MAX_REQUEST_BYTES"] == 2 * 1024 * 1024
    visit_id = new_id()
    body = _visit_body(team, notes="x" * (2 * 1024 * 1024 + 10))
    _assert_problem(client.put(f"/api/v1/visits/{visit_id}", json=body, headers=headers), 413)
    assert _stored_visit(app, visit_id) is None


def test_request_errors_are_problem_json(client, demo, login):
    headers = login("inspector1")
    visit_id = new_id()

    malformed = client.put(f"/api/v1/visits/{visit_id}", data='{"desk_id": 1,',
                           content_type="application/json", headers=headers)
    _assert_problem(malformed, 400)

    not_json = client.put(f"/api/v1/visits/{visit_id}", data=json.dumps({"desk_id": 1}),
                          content_type="text/plain", headers=headers)
    _assert_problem(not_json, 415)

    _assert_problem(client.get("/api/v1/no-such-thing", headers=headers), 404)
    _assert_problem(client.get("/api/v1/visits/not-a-uuid", headers=headers), 404)

    wrong_method = client.delete("/api/v1/visits", headers=headers)
    _assert_problem(wrong_method, 405)
    assert "GET" in wrong_method.headers["Allow"]


# --- submit ----------------------------------------------------------------------------

def test_submit_lists_what_is_missing_then_locks_the_visit(client, demo, login, app):
    headers = login("inspector1")
    team = _team(client, headers)
    body = _visit_body(team)
    visit_id = _create(client, headers, body)
    codes = list(demo.criteria)
    answered = codes[: len(codes) // 2]
    assert _sync(client, headers, visit_id, [_passing_answer(demo, c) for c in answered]).status_code == 200

    refused = client.post(f"/api/v1/visits/{visit_id}/submit", headers=headers)
    problem = _assert_problem(refused, 422)
    assert sorted(m["code"] for m in problem["missing"]) == sorted(set(codes) - set(answered))
    assert all(m["criterion_id"] == demo.criteria[m["code"]] and m["text"] for m in problem["missing"])
    assert _stored_visit(app, visit_id)["status"] == "draft"

    rest = [_passing_answer(demo, c) for c in codes[len(answered):]]
    assert _sync(client, headers, visit_id, rest).status_code == 200
    submitted = client.post(f"/api/v1/visits/{visit_id}/submit", headers=headers)
    assert submitted.status_code == 200, submitted.get_json()
    visit = submitted.get_json()
    assert visit["status"] == "submitted" and visit["submitted_by_id"] == demo.users["inspector1"]
    assert visit["submitted_at"] is not None
    rows = _finding_rows(app)

    edit = client.put(f"/api/v1/visits/{visit_id}",
                      json={**body, "notes": "sửa sau khi nộp", "version": visit["version"]},
                      headers=headers)
    assert _assert_problem(edit, 409)["current"]["status"] == "submitted"
    edit_by_header = client.put(f"/api/v1/visits/{visit_id}", json={**body, "notes": "sửa"},
                                headers={**headers, "If-Match": f'"v{visit["version"]}"'})
    _assert_problem(edit_by_header, 409)
    late = _sync(client, headers, visit_id, [_finding(demo, "SEAT-01", value=5)])
    _assert_problem(late, 409)
    _assert_problem(client.post(f"/api/v1/visits/{visit_id}/submit", headers=headers), 409)

    after = _get(client, headers, visit_id)
    assert after["status"] == "submitted" and after["version"] == visit["version"]
    assert after["notes"] == body["notes"]
    assert _finding_rows(app) == rows


# --- listing ---------------------------------------------------------------------------

def _list(client, headers, **params) -> dict:
    response = client.get("/api/v1/visits", query_string=params, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _ids(page) -> set[str]:
    return {v["id"] for v in page["items"]}


def test_list_filters(client, demo, login, app):
    inspector1, inspector2, admin = login("inspector1"), login("inspector2"), login("admin")
    team1, team2 = _team(client, inspector1), _team(client, inspector2)
    desk_a, desk_b = team1["desk_ids"][:2]
    # 2026-11-19T18:30Z is 01:30 on 20 November in Vietnam; 16:59Z is still the 19th there.
    late_evening = _create(client, inspector1, _visit_body(team1, desk_a, started_at="2026-11-19T18:30:00Z"))
    day_before = _create(client, inspector1, _visit_body(team1, desk_b, started_at="2026-11-19T16:59:00Z"))
    other_team = _create(client, inspector2, _visit_body(team2, started_at="2026-11-22T02:00:00Z"))
    with app.app_context():
        import uuid

        db.session.get(Visit, uuid.UUID(day_before)).status = "approved"
        db.session.commit()
        db.session.remove()

    assert _ids(_list(client, inspector1)) == {late_evening, day_before}
    assert _ids(_list(client, inspector1, status="draft")) == {late_evening}
    assert _ids(_list(client, inspector1, status="approved")) == {day_before}
    assert _ids(_list(client, inspector1, desk_id=desk_b)) == {day_before}
    assert _ids(_list(client, admin, team_id=team1["id"])) == {late_evening, day_before}
    assert _ids(_list(client, admin, team_id=team2["id"])) == {other_team}
    plan_id = _get(client, inspector1, late_evening)["plan_id"]
    assert _ids(_list(client, admin, plan_id=plan_id)) == {late_evening, day_before, other_team}
    assert _ids(_list(client, admin, plan_id=plan_id + 1000)) == set()
    assert _ids(_list(client, admin, date_from="2026-11-20", date_to="2026-11-20")) == {late_evening}
    assert _ids(_list(client, admin, date_to="2026-11-19")) == {day_before}
    assert _ids(_list(client, admin, date_from="2026-11-20")) == {late_evening, other_team}
    assert _ids(_list(client, admin, date_from="2026-11-21", date_to="2026-11-23")) == {other_team}
    assert _ids(_list(client, admin, desk_id=desk_a, date_from="2026-11-20")) == {late_evening}

    bad = client.get("/api/v1/visits", query_string={"status": "deleted"}, headers=admin)
    assert "status" in _assert_problem(bad, 422)["errors"]["query"]
    too_big = client.get("/api/v1/visits", query_string={"per_page": 201}, headers=admin)
    _assert_problem(too_big, 422)


def test_list_pagination_and_delta(client, demo, login):
    headers = login("inspector1")
    team = _team(client, headers)
    created = [_create(client, headers, _visit_body(team, started_at=f"2026-11-2{i}T02:00:00Z"))
               for i in range(3)]

    first = _list(client, headers, per_page=2)
    assert len(first["items"]) == 2 and first["meta"]["more"] is True
    second = _list(client, headers, per_page=2, cursor=first["meta"]["cursor"])
    assert second["meta"]["more"] is False and len(second["items"]) == 1
    assert _ids(first) | _ids(second) == set(created)

    since = second["meta"]["cursor"]
    assert _ids(_list(client, headers, cursor=since)) == set()
    body = _visit_body(team, started_at="2026-11-21T02:00:00Z", notes="đã sửa", version=1)
    assert client.put(f"/api/v1/visits/{created[1]}", json=body, headers=headers).status_code == 200
    delta = _list(client, headers, cursor=since)
    assert _ids(delta) == {created[1]} and delta["removed"] == []

    since = delta["meta"]["cursor"]
    synced = _sync(client, headers, created[2], [_finding(demo, "SEAT-02", result="pass")])
    assert synced.status_code == 200
    assert _ids(_list(client, headers, cursor=since)) == {created[2]}


def test_a_findings_batch_sent_again_is_accepted_after_the_named_official_moved(client, demo, login):
    inspector, admin = login("inspector1"), login("admin")
    team = _team(client, inspector)
    desk = team["desk_ids"][0]
    person = demo.staff_by_desk[desk][0]
    visit_id = _create(client, inspector, _visit_body(team, desk, staff_on_duty=[person]))
    batch = {"findings": [{"id": new_id(), "criterion_id": demo.criteria["CON-01"], "result": "fail",
                           "staff_id": person, "recorded_at": RECORDED_AT}]}
    first = client.put(f"/api/v1/visits/{visit_id}/findings", json=batch, headers=inspector)
    assert first.status_code == 200, first.get_json()
    elsewhere = next(unit for unit in demo.units.values() if unit != demo.desk_unit[desk])
    moved = client.patch(f"/api/v1/staff/{person}", headers=admin, json={"org_unit_id": elsewhere, "desk_id": None})
    assert moved.status_code == 200, moved.get_json()

    # The tablet never got the first answer: it sends the very same batch again.
    again = client.put(f"/api/v1/visits/{visit_id}/findings", json=batch, headers=inspector)
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["changed"] == 0
    # A correction of that answer keeps naming them, as it was true on the visit day; the
    # visit's staff on duty likewise.
    batch["findings"][0]["note"] = "Bổ sung: đã nhắc nhở tại chỗ"
    corrected = client.put(f"/api/v1/visits/{visit_id}/findings", json=batch, headers=inspector)
    assert corrected.status_code == 200 and corrected.get_json()["changed"] == 1, corrected.get_json()
    edited = client.put(f"/api/v1/visits/{visit_id}", headers=inspector, json=_visit_body(
        team, desk, staff_on_duty=[person], notes="Đã sửa sau khi cán bộ chuyển công tác", version=1))
    assert edited.status_code == 200, edited.get_json()
    # Naming someone else who does not serve there is still refused.
    stranger = next(s for d, people in demo.staff_by_desk.items() if d != desk for s in people
                    if demo.desk_unit[d] != demo.desk_unit[desk])
    batch["findings"][0]["staff_id"] = stranger
    refused = client.put(f"/api/v1/visits/{visit_id}/findings", json=batch, headers=inspector)
    assert refused.status_code == 422 and "staff_id" in refused.get_json()["errors"]["json"]["findings"]["0"]

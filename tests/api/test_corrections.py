"""Corrections over HTTP: made when a visit is approved, reported by the unit with
photos, accepted by a reviewer or re-checked from the tablet, counted on the criticism
list when missed (issue 11)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import select

from inspect_api.corrections.models import Correction
from inspect_api.db import db, utcnow
from inspect_api.timezone import VIETNAM_TZ
from tests.api.review_support import _PHOTO, Flow
from tests.conftest import new_id

API = "/api/v1"
UNIT = "TQ-TANTRAO"
OTHER_UNIT = "TQ-HAGIANG1"
DAYS = {"critical": 7, "major": 15, "minor": 30}


@pytest.fixture
def flow(client, demo, login):
    return Flow(client, demo, login)


def today() -> dt.date:
    return utcnow().astimezone(VIETNAM_TZ).date()


def corrections(client, headers, **params) -> list[dict]:
    r = client.get(f"{API}/corrections", headers=headers, query_string={"per_page": 200, **params})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["items"]


def by_code(items: list[dict]) -> dict[str, dict]:
    found = {c["criterion_code"]: c for c in items}
    assert len(found) == len(items), items
    return found


def upload(client, headers, correction_id: int, photo_id: str | None = None, expect: int = 201,
           body: bytes = _PHOTO) -> str:
    photo_id = photo_id or new_id()
    r = client.put(f"{API}/corrections/{correction_id}/photos/{photo_id}", data=body,
                   headers={**headers, "Content-Type": "application/octet-stream",
                            "X-Content-SHA256": hashlib.sha256(body).hexdigest()})
    assert r.status_code == expect, r.get_json()
    return photo_id


def officer(flow, unit: str = UNIT) -> dict:
    return flow.create_user(f"canbo.{unit.lower()}", "unit_officer", unit)


def approved_with_failures(flow, unit: str = UNIT, day: str = "2026-11-10"):
    staff_id = flow.staff(unit)
    return flow.approved(unit, day, {"SEAT-02": "fail", "SEAT-01": "fail", "FAC-01": "fail",
                                     "CON-01": ("fail", staff_id)})


def shift_deadlines(app, ids: list[int], days: int) -> None:
    """Time passes: move the corrections' approval, deadline and reports `days` into the
    past (as if all of it had happened then)."""
    with app.app_context():
        for correction in db.session.scalars(select(Correction).where(Correction.id.in_(ids))):
            correction.approved_on -= dt.timedelta(days=days)
            correction.deadline -= dt.timedelta(days=days)
            for report in correction.reports:
                report.reported_at -= dt.timedelta(days=days)
        db.session.commit()
        db.session.remove()


def test_approving_makes_a_correction_per_failure_due_by_severity(flow, client, login):
    made = approved_with_failures(flow)
    staff_id = flow.staff(UNIT)
    found = by_code(corrections(client, login("reviewer1")))
    assert set(found) == {"SEAT-02", "SEAT-01", "FAC-01", "CON-01"}
    for code, severity in (("SEAT-02", "critical"), ("SEAT-01", "major"), ("FAC-01", "minor"), ("CON-01", "major")):
        item = found[code]
        assert item["severity"] == severity and item["status"] == "open" and item["overdue"] is False
        assert item["approved_on"] == today().isoformat()
        assert item["deadline"] == (today() + dt.timedelta(days=DAYS[severity])).isoformat()
        assert item["finding_id"] == made.findings[code] and item["visit_id"] == made.id
        assert item["org_unit_id"] == flow.demo.units[UNIT] and item["desk_id"] == made.desk_id
    assert found["CON-01"]["staff_id"] == staff_id and found["SEAT-02"]["staff_id"] is None
    assert found["SEAT-02"]["criterion_text"]
    # A returned visit makes none.
    returned = flow.visit("TQ-MYLAM", "2026-11-11", {"SEAT-02": "fail"})
    flow.review(returned.id, "return", comment="Bổ sung")
    assert not [c for c in corrections(client, login("reviewer1")) if c["visit_id"] == returned.id]
    # Every creation is audited, scoped to the unit.
    events = client.get(f"{API}/audit", headers=login("reviewer1"),
                        query_string={"entity_type": "correction", "action": "create", "per_page": 200}).get_json()
    assert len(events["items"]) == 4


def test_deadlines_follow_the_settings_and_the_reviewers_severity(demo):
    from tests.api.review_support import flow_with_settings

    with flow_with_settings(demo, CORRECTION_DAYS_MAJOR=3, CORRECTION_DAYS_CRITICAL=1) as flow:
        made = flow.visit(UNIT, "2026-11-10", {"SEAT-01": "fail", "FAC-01": "fail"})
        flow.review(made.id, findings=[{"finding_id": made.findings["FAC-01"], "severity": "critical"}])
        found = by_code(corrections(flow.client, flow.login("reviewer1")))
        assert found["SEAT-01"]["deadline"] == (today() + dt.timedelta(days=3)).isoformat()
        assert found["FAC-01"]["severity"] == "critical"
        assert found["FAC-01"]["deadline"] == (today() + dt.timedelta(days=1)).isoformat()


def _amend(client, login, visit_id: str, expect: int = 200, **body) -> dict:
    version = client.get(f"{API}/visits/{visit_id}", headers=login("reviewer1")).get_json()["version"]
    r = client.post(f"{API}/visits/{visit_id}/review", headers=login("reviewer1"),
                    json={"decision": "approve", "version": version, **body})
    assert r.status_code == expect, r.get_json()
    return r.get_json()


def test_a_void_in_a_later_review_withdraws_and_an_unvoid_reopens(flow, client, login):
    made = approved_with_failures(flow)
    seat = made.findings["SEAT-01"]
    # Without the approved version a second decision is still refused (two reviewers racing).
    r = client.post(f"{API}/visits/{made.id}/review", headers=login("reviewer1"), json={"decision": "approve"})
    assert r.status_code == 409
    _amend(client, login, made.id, findings=[
        {"finding_id": seat, "void": True, "void_reason": "Đơn vị chứng minh đã có ghế chờ"},
        {"finding_id": made.findings["FAC-01"], "severity": "major"}])
    found = by_code(corrections(client, login("reviewer1")))
    assert found["SEAT-01"]["status"] == "withdrawn" and found["SEAT-01"]["withdrawn_reason"] == "voided"
    assert found["FAC-01"]["severity"] == "major" and found["FAC-01"]["status"] == "open"
    assert found["SEAT-02"]["status"] == "open"
    # A later round that does not name the voided finding keeps it voided (notes carry forward).
    _amend(client, login, made.id, comment="Bổ sung nhận xét")
    found = by_code(corrections(client, login("reviewer1")))
    assert found["SEAT-01"]["status"] == "withdrawn" and found["FAC-01"]["severity"] == "major"
    # The withdrawn one has left the unit's open list, and reopens when un-voided.
    _amend(client, login, made.id, findings=[{"finding_id": seat, "void": False, "comment": "Xem lại: chưa có"}])
    found = by_code(corrections(client, login("reviewer1")))
    assert found["SEAT-01"]["status"] == "open" and found["SEAT-01"]["withdrawn_reason"] is None
    assert len(found) == 4
    actions = [e["action"] for e in client.get(
        f"{API}/audit", headers=login("reviewer1"),
        query_string={"entity_type": "correction", "entity_id": str(found["SEAT-01"]["id"])}).get_json()["items"]]
    assert sorted(actions) == ["create", "reopen", "withdraw"]


def test_re_approving_after_a_return_makes_no_duplicates(flow, client, login):
    made = approved_with_failures(flow)
    before = by_code(corrections(client, login("reviewer1")))
    version = client.get(f"{API}/visits/{made.id}", headers=login("reviewer1")).get_json()["version"]
    r = client.post(f"{API}/visits/{made.id}/review", headers=login("reviewer1"),
                    json={"decision": "return", "comment": "Bổ sung ảnh", "version": version})
    assert r.status_code == 200 and r.get_json()["status"] == "returned"
    inspector = login(flow.inspector_for(made.desk_id))
    # The inspector corrects FAC-01 to a pass, then resubmits.
    finding = next(f for f in client.get(f"{API}/visits/{made.id}", headers=inspector).get_json()["findings"]
                   if f["id"] == made.findings["FAC-01"])
    r = client.put(f"{API}/visits/{made.id}/findings", headers=inspector, json={"findings": [{
        "id": finding["id"], "criterion_id": finding["criterion_id"], "result": "pass",
        "recorded_at": finding["recorded_at"]}]})
    assert r.status_code == 200, r.get_json()
    assert client.post(f"{API}/visits/{made.id}/submit", headers=inspector).status_code == 200
    flow.review(made.id)
    after = by_code(corrections(client, login("reviewer1")))
    assert set(after) == set(before)
    assert {code: c["id"] for code, c in after.items()} == {code: c["id"] for code, c in before.items()}
    assert after["FAC-01"]["status"] == "withdrawn" and after["FAC-01"]["withdrawn_reason"] == "not_failing"
    assert after["SEAT-01"]["status"] == "open"


def test_the_unit_reports_with_a_photo_and_the_reviewer_accepts(flow, client, login):
    approved_with_failures(flow)
    approved_with_failures(flow, OTHER_UNIT)
    unit = officer(flow)
    mine = by_code(corrections(client, unit))
    assert {c["org_unit_id"] for c in mine.values()} == {flow.demo.units[UNIT]}
    seat = mine["SEAT-02"]
    photo = upload(client, unit, seat["id"])
    assert upload(client, unit, seat["id"], photo, expect=200) == photo  # a retry: the same record
    report_id = new_id()
    body = {"id": report_id, "note": "Đã bố trí 12 ghế chờ", "photo_ids": [photo], "version": seat["version"]}
    r = client.post(f"{API}/corrections/{seat['id']}/reports", headers=unit, json=body)
    assert r.status_code == 200, r.get_json()
    reported = r.get_json()
    assert reported["status"] == "reported" and reported["version"] == seat["version"] + 1
    assert [p["id"] for p in reported["reports"][0]["photos"]] == [photo]
    # Sent again (the network dropped the answer): still one report.
    again = client.post(f"{API}/corrections/{seat['id']}/reports", headers=unit, json=body)
    assert again.status_code == 200 and len(again.get_json()["reports"]) == 1
    # The photo can be read by the unit and the reviewer, through its own URL.
    content = client.get(reported["reports"][0]["photos"][0]["content_url"], headers=login("reviewer1"))
    assert content.status_code == 200 and content.data == _PHOTO
    # Only a unit officer reports; a reviewer accepts.
    assert client.post(f"{API}/corrections/{seat['id']}/reports", headers=login("reviewer1"),
                       json={**body, "id": new_id()}).status_code == 403
    r = client.post(f"{API}/corrections/{seat['id']}/verification", headers=login("reviewer1"),
                    json={"id": new_id(), "outcome": "accept", "note": "Ảnh cho thấy đã khắc phục"})
    assert r.status_code == 200, r.get_json()
    verified = r.get_json()
    assert verified["status"] == "verified"
    assert verified["verifications"][0]["method"] == "review"
    assert verified["verifications"][0]["status_after"] == "verified"
    # A closed correction takes no more photos or reports.
    upload(client, unit, seat["id"], expect=409)
    # Asking for a re-check sends a report back to open with the reviewer's note.
    other = mine["SEAT-01"]
    photo = upload(client, unit, other["id"])
    assert client.post(f"{API}/corrections/{other['id']}/reports", headers=unit, json={
        "id": new_id(), "note": "Đã sửa", "photo_ids": [photo]}).status_code == 200
    r = client.post(f"{API}/corrections/{other['id']}/verification", headers=login("reviewer1"),
                    json={"id": new_id(), "outcome": "recheck"})
    assert r.status_code == 422 and "note" in r.get_json()["errors"]["json"]
    r = client.post(f"{API}/corrections/{other['id']}/verification", headers=login("reviewer1"),
                    json={"id": new_id(), "outcome": "recheck", "note": "Ảnh mờ, cần kiểm tra tại chỗ"})
    assert r.status_code == 200 and r.get_json()["status"] == "open"


def test_another_units_officer_gets_404(flow, client, login):
    approved_with_failures(flow)
    stranger = officer(flow, OTHER_UNIT)
    correction = corrections(client, login("reviewer1"))[0]
    assert corrections(client, stranger) == []
    assert client.get(f"{API}/corrections/{correction['id']}", headers=stranger).status_code == 404
    r = client.post(f"{API}/corrections/{correction['id']}/reports", headers=stranger,
                    json={"id": new_id(), "note": "x", "photo_ids": [new_id()]})
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
    upload(client, stranger, correction["id"], expect=404)
    # Nor does a unit officer see the visits of their unit that are not approved.
    draft = flow.visit(UNIT, "2026-11-12", submit=False)
    assert client.get(f"{API}/visits/{draft.id}", headers=officer(flow)).status_code == 404


def _pull(client, headers, cursor=None) -> dict:
    r = client.get(f"{API}/corrections/sync", headers=headers,
                   query_string={"cursor": cursor} if cursor else {})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_the_inspectors_tablet_receives_open_ones_and_closes_them(flow, client, login):
    made = approved_with_failures(flow)
    inspector_name = flow.inspector_for(made.desk_id)
    stranger_name = "inspector2" if inspector_name == "inspector1" else "inspector1"
    inspector = login(inspector_name)
    first = _pull(client, inspector)
    assert {c["criterion_code"] for c in first["items"]} == {"SEAT-02", "SEAT-01", "FAC-01", "CON-01"}
    assert _pull(client, login(stranger_name))["items"] == []
    seat = next(c for c in first["items"] if c["criterion_code"] == "SEAT-02")

    # The next visit re-checks: not fixed, with a photo; the tablet retries twice.
    photo = upload(client, inspector, seat["id"])
    check_id = new_id()
    body = {"id": check_id, "outcome": "not_fixed", "note": "Vẫn chưa có ghế", "photo_ids": [photo]}
    answers = [client.post(f"{API}/corrections/{seat['id']}/verification", headers=inspector, json=body)
               for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200], [a.get_json() for a in answers]
    detail = client.get(f"{API}/corrections/{seat['id']}", headers=login("reviewer1")).get_json()
    assert detail["status"] == "not_fixed"
    assert [v["id"] for v in detail["verifications"]] == [check_id]
    assert detail["verifications"][0]["method"] == "recheck"
    assert [p["id"] for p in detail["verifications"][0]["photos"]] == [photo]
    # A re-check needs a photo.
    r = client.post(f"{API}/corrections/{seat['id']}/verification", headers=inspector,
                    json={"id": new_id(), "outcome": "fixed"})
    assert r.status_code == 422 and "photo_ids" in r.get_json()["errors"]["json"]

    # Still owed: the next pull brings it changed, not removed.
    second = _pull(client, inspector, first["meta"]["cursor"])
    assert [(c["id"], c["status"]) for c in second["items"]] == [(seat["id"], "not_fixed")]
    assert second["removed"] == []
    # Found fixed at a later visit: closed, and the tablet drops it.
    fixed = upload(client, inspector, seat["id"])
    r = client.post(f"{API}/corrections/{seat['id']}/verification", headers=inspector,
                    json={"id": new_id(), "outcome": "fixed", "photo_ids": [fixed], "visit_id": made.id})
    assert r.status_code == 200 and r.get_json()["status"] == "verified", r.get_json()
    third = _pull(client, inspector, second["meta"]["cursor"])
    assert third["items"] == [] and third["removed"] == [seat["id"]]


def test_a_stale_version_is_409_with_the_current_copy(flow, client, login):
    approved_with_failures(flow)
    unit = officer(flow)
    seat = by_code(corrections(client, unit))["SEAT-02"]
    photo = upload(client, unit, seat["id"])
    r = client.post(f"{API}/corrections/{seat['id']}/reports", headers=unit,
                    json={"id": new_id(), "note": "Đã sửa", "photo_ids": [photo], "version": seat["version"] + 5})
    assert r.status_code == 409 and r.mimetype == "application/problem+json"
    assert r.get_json()["current"]["version"] == seat["version"]
    assert r.get_json()["current"]["status"] == "open"
    # A reviewer accepting what was never reported: 409 too.
    r = client.post(f"{API}/corrections/{seat['id']}/verification", headers=login("reviewer1"),
                    json={"id": new_id(), "outcome": "accept"})
    assert r.status_code == 409 and r.get_json()["current"]["status"] == "open"


def test_bad_input_is_422_in_vietnamese(flow, client, login):
    approved_with_failures(flow)
    unit = officer(flow)
    seat = by_code(corrections(client, unit))["SEAT-02"]
    url = f"{API}/corrections/{seat['id']}/reports"
    cases = [
        ({"note": "x", "photo_ids": [new_id()]}, "id"),
        ({"id": "khong-phai-uuid", "note": "x", "photo_ids": [new_id()]}, "id"),
        ({"id": new_id(), "note": "", "photo_ids": [new_id()]}, "note"),
        ({"id": new_id(), "note": "x", "photo_ids": []}, "photo_ids"),
        ({"id": new_id(), "note": "x", "photo_ids": [new_id()]}, "photo_ids"),  # never uploaded
        ({"id": new_id(), "note": "x", "photo_ids": [new_id()], "status": "verified"}, "status"),
    ]
    for body, field in cases:
        r = client.post(url, headers=unit, json=body)
        assert r.status_code == 422, (body, r.get_json())
        problem = r.get_json()
        assert r.mimetype == "application/problem+json" and field in problem["errors"]["json"], problem
        assert any(ch in problem["detail"] + str(problem["errors"]) for ch in "ảạắệịọụữđ"), problem
    r = client.get(f"{API}/corrections", headers=unit, query_string={"status": "xong"})
    assert r.status_code == 422 and "status" in r.get_json()["errors"]["query"]
    r = client.post(f"{API}/corrections/{seat['id']}/verification", headers=login("reviewer1"),
                    json={"id": new_id(), "outcome": "xong"})
    assert r.status_code == 422 and "outcome" in r.get_json()["errors"]["json"]
    # Not a photo.
    r = client.put(f"{API}/corrections/{seat['id']}/photos/{new_id()}", data=b"not an image at all",
                   headers={**unit, "Content-Type": "image/jpeg"})
    assert r.status_code == 422 and r.mimetype == "application/problem+json"


def test_filters_and_overdue_first(app, flow, client, login):
    approved_with_failures(flow)
    reviewer = login("reviewer1")
    found = by_code(corrections(client, reviewer))
    shift_deadlines(app, [found["FAC-01"]["id"]], 40)  # due 30 days after approval: now 10 days late
    items = corrections(client, reviewer)
    assert items[0]["criterion_code"] == "FAC-01" and items[0]["overdue"] is True
    assert [c["deadline"] for c in items[1:]] == sorted(c["deadline"] for c in items[1:])
    assert [c["criterion_code"] for c in corrections(client, reviewer, overdue="true")] == ["FAC-01"]
    assert len(corrections(client, reviewer, overdue="false")) == 3
    assert {c["criterion_code"] for c in corrections(
        client, reviewer, due_before=(today() + dt.timedelta(days=7)).isoformat())} == {"FAC-01", "SEAT-02"}
    assert corrections(client, reviewer, org_unit_id=flow.demo.units[OTHER_UNIT]) == []
    # Keyset pages walk the same order without repeats.
    seen, cursor = [], None
    while True:
        r = client.get(f"{API}/corrections", headers=reviewer,
                       query_string={"per_page": 1, **({"cursor": cursor} if cursor else {})}).get_json()
        seen += [c["id"] for c in r["items"]]
        if not r["meta"]["more"]:
            break
        cursor = r["meta"]["cursor"]
    assert seen == [c["id"] for c in items]


def test_missed_corrections_land_on_the_criticism_list(app, flow, client, login):
    approved_with_failures(flow)
    approved_with_failures(flow, OTHER_UNIT)
    unit = officer(flow)
    mine = by_code(corrections(client, unit))
    # The unit reports FAC-01 in time; SEAT-01 is never reported; both deadlines pass.
    photo = upload(client, unit, mine["FAC-01"]["id"])
    assert client.post(f"{API}/corrections/{mine['FAC-01']['id']}/reports", headers=unit, json={
        "id": new_id(), "note": "Đã sửa", "photo_ids": [photo]}).status_code == 200
    shift_deadlines(app, [mine["SEAT-01"]["id"], mine["FAC-01"]["id"]], 40)
    seat = client.get(f"{API}/corrections/{mine['SEAT-01']['id']}", headers=unit).get_json()
    assert seat["overdue"] is True
    period = {"from": (today() - dt.timedelta(days=60)).isoformat(), "to": today().isoformat()}
    listing = client.get(f"{API}/reports/lists", headers=login("leader1"),
                         query_string={"kind": "criticism", **period}).get_json()
    entry = next(e for e in listing["entries"]
                 if e["entry_type"] == "unit" and e["org_unit_id"] == flow.demo.units[UNIT])
    reason = next(r for r in entry["reasons"] if r.startswith("Không thực hiện yêu cầu khắc phục"))
    assert f"yêu cầu khắc phục số {mine['SEAT-01']['id']}" in reason
    assert f"số {mine['FAC-01']['id']})" not in reason  # reported before its deadline
    assert "chưa báo cáo khắc phục đúng hạn" in reason
    assert listing["rules"]["LIST_UNIT_CORRECTIONS_MISSED"] == 1
    # Found not fixed when re-checked counts too, in the period of the re-check.
    inspector = login(flow.inspector_for(flow.desk(OTHER_UNIT)))
    theirs = by_code(corrections(client, login("reviewer1"), org_unit_id=flow.demo.units[OTHER_UNIT]))["SEAT-02"]
    photo = upload(client, inspector, theirs["id"])
    assert client.post(f"{API}/corrections/{theirs['id']}/verification", headers=inspector, json={
        "id": new_id(), "outcome": "not_fixed", "photo_ids": [photo]}).status_code == 200
    listing = client.get(f"{API}/reports/lists", headers=login("leader1"),
                         query_string={"kind": "criticism", **period}).get_json()
    entry = next(e for e in listing["entries"]
                 if e["entry_type"] == "unit" and e["org_unit_id"] == flow.demo.units[OTHER_UNIT])
    assert any(f"kiểm tra lại ngày {today():%d/%m/%Y} chưa khắc phục (yêu cầu khắc phục số {theirs['id']})" in r
               for r in entry["reasons"]), entry["reasons"]

"""The criticism and commendation lists over HTTP, rule by rule at the threshold and just
past it (shared/domain/LISTS.md), with what each entry carries to explain itself, and
freezing a list under a document number.

Scores are worked out from the weights in seed/checklist-v1.yaml (total 68)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
import yaml
from flask import url_for
from sqlalchemy import update

from inspect_api.reports.schemas import evidence_urls
from inspect_api.text import person_order
from tests.api.review_support import Flow, flow_with_settings, weight

Q3 = {"from": "2026-07-01", "to": "2026-09-30"}
# Unit criteria that can fail without a photo, none critical, neither DOS-01 nor DOS-03.
UNIT_FAILS = ("PUB-07", "CON-09", "DOS-02", "DOS-04", "DIG-01", "DIG-02", "DIG-04")
# Passing criteria to mark not applicable, to tune a visit's applicable weight.
NA_28 = ("CON-02", "CON-03", "CON-04", "DIS-05", "SEAT-02", "SEAT-01", "FAC-05", "PUB-01",
         "PUB-04", "PUB-05", "PUB-06", "DOS-05")


@pytest.fixture
def flow(client, demo, login):
    return Flow(client, demo, login)


def answers(fail=(), na=()):
    return {**{code: "na" for code in na}, **{code: "fail" for code in fail}}


def staff_name(flow, staff_id):
    r = flow.client.get(f"/api/v1/staff/{staff_id}", headers=flow.login("admin"))
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_tuning_sets():
    assert weight(*UNIT_FAILS) == 12 and weight(*NA_28) == 28
    assert not set(UNIT_FAILS) & set(NA_28)


# --- staff: phê bình -------------------------------------------------------------------

def test_staff_criticism_at_and_past_each_threshold(flow):
    s = [flow.staff("TQ-MINHXUAN", i) for i in range(5)]
    first = flow.approved("TQ-MINHXUAN", "2026-11-10", {"CON-01": ("fail", s[0]), "DIS-04": ("fail", s[1])},
                          on_duty=s[:3])
    flow.approved("TQ-MINHXUAN", "2026-11-11", {"DIS-04": ("fail", s[2])}, on_duty=[s[2]])
    flow.approved("TQ-MINHXUAN", "2026-11-12", {"DIS-04": ("fail", s[2])}, on_duty=[s[2]])
    # Not approved (submitted, returned), or voided: never counted.
    flow.visit("TQ-MINHXUAN", "2026-11-13", {"CON-01": ("fail", s[3])}, on_duty=[s[3]])
    returned = flow.visit("TQ-MINHXUAN", "2026-11-14", {"CON-08": ("fail", s[3])}, on_duty=[s[3]])
    flow.review(returned.id, "return", comment="Bổ sung")
    voided = flow.visit("TQ-MINHXUAN", "2026-11-15", {"CON-01": ("fail", s[4]), "CON-05": ("fail", s[4])},
                        on_duty=[s[4]])
    flow.review(voided.id, findings=[
        {"finding_id": voided.findings["CON-01"], "void": True, "void_reason": "Ghi nhầm"},
        {"finding_id": voided.findings["CON-05"], "void": True, "void_reason": "Ghi nhầm"}])

    listing = flow.listing("criticism")
    assert listing["kind"] == "criticism" and listing["period"] == "quý IV/2026"
    assert listing["rules"]["LIST_STAFF_CRITICISM_MAJOR"] == 1 and listing["rules"]["LIST_STAFF_CRITICISM_MINOR"] == 2
    staff = {e["staff_id"]: e for e in listing["entries"] if e["entry_type"] == "staff"}
    assert set(staff) == {s[0], s[2]}                  # 1 major; 2 minor. Not: 1 minor, unapproved, voided.
    assert listing["staff_count"] == 2

    one_major = staff[s[0]]
    person = staff_name(flow, s[0])
    assert one_major["form_code"] == "phe_binh" and one_major["form_name"] == "Phê bình"
    assert "80/2025/QH15" in one_major["form_legal_basis"]
    assert one_major["name"] == person["full_name"] and one_major["position_title"] == person["position"]
    assert one_major["org_name"] == "Phường Minh Xuân" and one_major["commune"] == "Phường Minh Xuân"
    assert (one_major["critical"], one_major["major"], one_major["minor"]) == (0, 1, 0)
    assert one_major["explanation_status"] is None and one_major["pending_explanation"] is False
    assert one_major["reasons"] == [
        "Không đạt: CON-01 (chính) ngày 10/11/2026 tại Trung tâm Phục vụ hành chính công phường Minh Xuân"]
    assert one_major["visit_dates"] == ["2026-11-10"]
    [finding] = one_major["findings"]
    assert finding["finding_id"] == first.findings["CON-01"] and finding["visit_id"] == first.id
    assert finding["visit_date"] == "2026-11-10" and finding["criterion_code"] == "CON-01"
    assert finding["severity"] == "major" and finding["criterion_text"].startswith("Công chức có thái độ")
    assert finding["inspector"] == "Lê Văn Thành" and finding["evidence"] == [] and finding["evidence_urls"] == []

    two_minor = staff[s[2]]
    assert (two_minor["form_code"], two_minor["minor"], two_minor["major"]) == ("phe_binh", 2, 0)
    assert two_minor["visit_dates"] == ["2026-11-11", "2026-11-12"] and len(two_minor["findings"]) == 2


def test_staff_criticism_thresholds_are_settings(demo):
    with flow_with_settings(demo, LIST_STAFF_CRITICISM_MAJOR=2, LIST_STAFF_CRITICISM_MINOR=3) as flow:
        s = [flow.staff("TQ-MINHXUAN", i) for i in range(3)]
        flow.approved("TQ-MINHXUAN", "2026-11-10", {"CON-01": ("fail", s[0]), "DIS-04": ("fail", s[1])}, on_duty=s)
        flow.approved("TQ-MINHXUAN", "2026-11-11", {"CON-08": ("fail", s[0]), "DIS-04": ("fail", s[1])}, on_duty=s)
        flow.approved("TQ-MINHXUAN", "2026-11-12", {"DIS-04": ("fail", s[2])}, on_duty=s)
        flow.approved("TQ-MINHXUAN", "2026-11-13", {"DIS-04": ("fail", s[2])}, on_duty=s)
        listing = flow.listing("criticism")
        assert listing["rules"]["LIST_STAFF_CRITICISM_MAJOR"] == 2
        staff = {e["staff_id"] for e in listing["entries"] if e["entry_type"] == "staff"}
        assert staff == {s[0]}   # 2 major: listed; 2 minor (s1, s2) under 3: not


# --- staff: discipline and the explanation ---------------------------------------------------

def _expire(app, finding_id):
    from inspect_api.db import db
    from inspect_api.reviews.models import Explanation

    with app.app_context():
        db.session.execute(update(Explanation).where(Explanation.finding_id == uuid.UUID(finding_id))
                           .values(deadline=dt.date.today() - dt.timedelta(days=2)))  # noqa: DTZ011 - past anywhere
        db.session.commit()
        db.session.remove()


def test_discipline_is_never_proposed_while_the_explanation_is_pending(app, flow):
    s = [flow.staff("TQ-MINHXUAN", i) for i in range(5)]
    # Critical failures with the photo behind them (CON-02, DIS-05, CON-04: photo optional).
    made = flow.visit("TQ-MINHXUAN", "2026-11-10", {
        "CON-02": ("fail", s[0]), "DIS-05": ("fail", s[1]), "CON-01": ("fail", s[2]), "CON-03": {
            "result": "fail", "staff_id": s[3]}}, on_duty=s, photos=("CON-02", "DIS-05", "CON-01"))
    second = flow.visit("TQ-MINHXUAN", "2026-11-11", {"CON-04": ("fail", s[1])}, on_duty=s, photos=("CON-04",))
    # The reviewer raises s2's CON-01 to critical and lowers s3's CON-03 to major.
    flow.review(made.id, findings=[{"finding_id": made.findings["CON-01"], "severity": "critical"},
                                   {"finding_id": made.findings["CON-03"], "severity": "major"}])
    flow.review(second.id)

    def entry(staff_id):
        found = flow.staff_entry("criticism", staff_id)
        assert found is not None, staff_id
        return found

    first = entry(s[0])
    assert first["form_code"] == "phe_binh" and first["pending_explanation"] is True
    assert first["explanation_status"] == "not_requested"
    assert "Chờ giải trình" in first["note"] and "chưa đủ điều kiện đề nghị xem xét xử lý kỷ luật" in first["note"]
    assert first["critical"] == 1
    assert first["reasons"][0].startswith("Vi phạm nghiêm trọng: CON-02 (nghiêm trọng) ngày 10/11/2026")
    assert first["findings"][0]["evidence"] == [made.evidence["CON-02"]]
    raised = entry(s[2])
    assert (raised["form_code"], raised["pending_explanation"], raised["critical"]) == ("phe_binh", True, 1)
    lowered = entry(s[3])
    assert (lowered["form_code"], lowered["pending_explanation"], lowered["explanation_status"]) == \
        ("phe_binh", False, None)
    assert (lowered["critical"], lowered["major"]) == (0, 1)

    con02 = made.findings["CON-02"]
    flow.explanation(con02, "request")
    first = entry(s[0])
    assert (first["form_code"], first["pending_explanation"], first["explanation_status"]) == \
        ("phe_binh", True, "requested")
    assert first["note"].startswith("Chờ giải trình")
    flow.explanation(con02, "receive", content="Cán bộ thừa nhận, xin rút kinh nghiệm")
    first = entry(s[0])
    assert (first["form_code"], first["pending_explanation"], first["explanation_status"]) == \
        ("ky_luat_khien_trach", False, "received")
    assert first["note"] is None and "172/2025/NĐ-CP" in first["form_legal_basis"]
    assert "kỷ luật" in first["form_name"]

    # Two critical failures: one explanation settled is not enough.
    flow.explanation(made.findings["DIS-05"], "request")
    flow.explanation(second.findings["CON-04"], "request")
    flow.explanation(made.findings["DIS-05"], "receive", content="Đã giải trình")
    both = entry(s[1])
    assert (both["form_code"], both["pending_explanation"], both["explanation_status"]) == \
        ("phe_binh", True, "requested")
    assert both["critical"] == 2 and both["visit_dates"] == ["2026-11-10", "2026-11-11"]
    _expire(app, second.findings["CON-04"])
    flow.explanation(second.findings["CON-04"], "lapse")
    both = entry(s[1])
    assert (both["form_code"], both["pending_explanation"], both["explanation_status"]) == \
        ("ky_luat_khien_trach", False, "lapsed")

    # A critical failure with no photo behind it: criticised, never proposed for discipline.
    bare = flow.approved("TQ-MYLAM", "2026-11-12", {"CON-02": ("fail", flow.staff("TQ-MYLAM", 0))})
    unproven = flow.staff_entry("criticism", flow.staff("TQ-MYLAM", 0))
    assert (unproven["form_code"], unproven["pending_explanation"], unproven["critical"]) == ("phe_binh", False, 1)
    assert "chưa có ảnh minh chứng (CON-02)" in unproven["note"]
    flow.explanation(bare.findings["CON-02"], "request")
    flow.explanation(bare.findings["CON-02"], "receive", content="Đã giải trình")
    unproven = flow.staff_entry("criticism", flow.staff("TQ-MYLAM", 0))
    assert unproven["form_code"] == "phe_binh" and "chưa đủ căn cứ đề nghị xem xét xử lý kỷ luật" in unproven["note"]

    # Heavier forms first among officials.
    staff_forms = [e["form_code"] for e in flow.listing("criticism")["entries"] if e["entry_type"] == "staff"]
    assert staff_forms == sorted(staff_forms, key=lambda f: f != "ky_luat_khien_trach")


def test_a_major_failure_within_12_months_of_a_signed_phe_binh_is_a_repeat(flow, client, login):
    a = flow.staff("TQ-MINHXUAN", 0)
    b = flow.staff("TQ-MYLAM", 0)
    # Criticised for October 2025, signed 21/11/2025; and for June 2025, signed 19/11/2025.
    flow.approved("TQ-MINHXUAN", "2025-10-10", {"CON-01": ("fail", a)})
    flow.approved("TQ-MYLAM", "2025-06-10", {"CON-01": ("fail", b)})
    for period, signed, number, law in ((("2025-10-01", "2025-10-31"), "2025-11-21", "88/TTr-SNV", "80/2025/QH15"),
                                        (("2025-06-01", "2025-06-30"), "2025-11-19", "87/TTr-SNV", "2008")):
        r = client.post("/api/v1/reports/lists", headers=login("leader1"), json={
            "kind": "criticism", "from": period[0], "to": period[1],
            "signer_name": "Phạm Thị Hòa", "document_number": number,
            "document_date": signed})
        assert r.status_code == 201, r.get_json()
        assert [e["form_code"] for e in r.get_json()["entries"]] == ["phe_binh"]
        # The form rests on the law in force at the end of the period (the reform: 1/7/2025).
        assert law in r.get_json()["entries"][0]["form_legal_basis"]

    # A new major failure on 20/11/2026: 12 months less a day after a's phê bình, a day
    # more than 12 months after b's.
    new_a = flow.approved("TQ-MINHXUAN", "2026-11-20", {"CON-01": ("fail", a)})
    flow.approved("TQ-MYLAM", "2026-11-20", {"CON-01": ("fail", b)})
    repeat = flow.staff_entry("criticism", a)
    assert any("tái phạm" in reason.lower() and "21/11/2025" in reason for reason in repeat["reasons"]), repeat
    assert repeat["pending_explanation"] is True and repeat["explanation_status"] == "not_requested"
    assert repeat["form_code"] == "phe_binh"
    old = flow.staff_entry("criticism", b)
    assert not any("tái phạm" in reason.lower() for reason in old["reasons"]), old
    assert (old["form_code"], old["pending_explanation"], old["explanation_status"]) == ("phe_binh", False, None)

    # Explained: proposed for discipline.
    flow.explanation(new_a.findings["CON-01"], "request")
    flow.explanation(new_a.findings["CON-01"], "receive", content="Đã giải trình")
    assert flow.staff_entry("criticism", a)["form_code"] == "ky_luat_khien_trach"


def test_a_failure_before_the_phe_binh_was_signed_is_not_a_repeat(flow, client, login):
    a = flow.staff("TQ-MINHXUAN", 0)
    flow.approved("TQ-MINHXUAN", "2026-10-10", {"CON-01": ("fail", a)})
    r = client.post("/api/v1/reports/lists", headers=login("leader1"), json={
        "kind": "criticism", "from": "2026-10-01", "to": "2026-10-31",
        "signer_name": "Phạm Thị Hòa", "document_number": "90/TTr-SNV",
        "document_date": "2026-11-15"})
    assert r.status_code == 201, r.get_json()
    flow.approved("TQ-MINHXUAN", "2026-11-10", {"CON-08": ("fail", a)})
    entry = flow.staff_entry("criticism", a)
    assert not any("tái phạm" in reason.lower() for reason in entry["reasons"])
    flow.approved("TQ-MINHXUAN", "2026-11-20", {"CON-05": ("fail", a)})
    entry = flow.staff_entry("criticism", a)
    [repeat] = [reason for reason in entry["reasons"] if "tái phạm" in reason.lower()]
    assert "CON-05" in repeat and "CON-08" not in repeat and "CON-01" not in repeat


# --- units: phê bình người đứng đầu -------------------------------------------------------

def test_a_critical_unit_failure_criticises_the_head_with_its_photo(flow):
    made = flow.approved("TQ-MINHXUAN", "2026-11-10", {"SEAT-02": "fail"})
    assert made.evidence["SEAT-02"]
    voided = flow.visit("TQ-MYLAM", "2026-11-10", {"SEAT-02": "fail"})
    flow.review(voided.id, findings=[{"finding_id": voided.findings["SEAT-02"], "void": True,
                                      "void_reason": "Ghế đang được sửa, có ghế thay thế"}])
    flow.visit("TQ-TANTRAO", "2026-11-10", {"SEAT-02": "fail"})  # submitted only

    listing = flow.listing("criticism")
    units = {e["org_unit_id"]: e for e in listing["entries"] if e["entry_type"] == "unit"}
    assert set(units) == {flow.demo.units["TQ-MINHXUAN"]} and listing["unit_count"] == 1
    entry = units[flow.demo.units["TQ-MINHXUAN"]]
    assert entry["form_code"] == "phe_binh_nguoi_dung_dau" and entry["form_name"] == "Phê bình người đứng đầu"
    assert entry["name"] == "Phường Minh Xuân" and entry["head_name"] == "Trần Quang Huy"
    assert entry["critical"] == 1 and entry["score"] == round(100 * 65 / 68, 2)
    assert entry["reasons"] == ["Vi phạm nghiêm trọng: SEAT-02 (nghiêm trọng) ngày 10/11/2026 tại "
                                "Trung tâm Phục vụ hành chính công phường Minh Xuân"]
    assert entry["visit_dates"] == ["2026-11-10"]
    [finding] = entry["findings"]
    assert (finding["finding_id"], finding["visit_id"], finding["criterion_code"]) == \
        (made.findings["SEAT-02"], made.id, "SEAT-02")
    assert finding["evidence"] == [made.evidence["SEAT-02"]]
    assert finding["evidence_urls"] == [f"/api/v1/evidence/{made.evidence['SEAT-02']}/content"]
    photo = flow.client.get(finding["evidence_urls"][0], headers=flow.login("leader1"))
    assert photo.status_code in (200, 302)
    # Units come before officials.
    types = [e["entry_type"] for e in listing["entries"]]
    assert types == sorted(types, key=lambda t: t != "unit")


def test_mean_score_under_70_criticises_the_head_at_70_it_does_not(flow):
    # 12 failing out of 40 applicable: exactly 70 %.
    flow.approved("TQ-MINHXUAN", "2026-11-10", answers(UNIT_FAILS, NA_28))
    # 13 failing out of 43 applicable: 69.77 %.
    low = flow.approved("TQ-MYLAM", "2026-11-10",
                        answers(UNIT_FAILS + ("DIS-04",), tuple(c for c in NA_28 if c not in ("PUB-06", "DOS-05"))))
    assert flow.unit_score("TQ-MINHXUAN")["mean_score"] == 70.0
    assert flow.unit_score("TQ-MYLAM")["mean_score"] == round(100 * 30 / 43, 2) == 69.77
    assert flow.unit_entry("criticism", "TQ-MINHXUAN") is None
    entry = flow.unit_entry("criticism", "TQ-MYLAM")
    assert entry["form_code"] == "phe_binh_nguoi_dung_dau" and entry["score"] == 69.77
    assert entry["reasons"] == ["Điểm trung bình 69,8 %, dưới mức 70,0 %"]
    # The failures behind the score are there to read.
    assert {f["criterion_code"] for f in entry["findings"]} == set(UNIT_FAILS + ("DIS-04",))
    assert {f["visit_id"] for f in entry["findings"]} == {low.id} and entry["visit_dates"] == ["2026-11-10"]


@pytest.mark.parametrize("code, bad, good, label", [
    ("DOS-01", 89, 90, "Tỷ lệ hồ sơ giải quyết đúng hạn (DOS-01) thấp nhất 89,0 %, dưới 90,0 %"),
    ("DOS-03", 99, 100, "Tỷ lệ hồ sơ quá hạn có văn bản xin lỗi (DOS-03) thấp nhất 99,0 %, dưới 100,0 %"),
])
def test_dossier_rates_below_the_threshold_criticise_the_head(flow, code, bad, good, label):
    low = flow.approved("TQ-MINHXUAN", "2026-11-10", {code: bad})
    flow.approved("TQ-MYLAM", "2026-11-10", {code: good})
    assert flow.unit_entry("criticism", "TQ-MYLAM") is None
    entry = flow.unit_entry("criticism", "TQ-MINHXUAN")
    assert entry["form_code"] == "phe_binh_nguoi_dung_dau" and entry["reasons"] == [label]
    [finding] = entry["findings"]
    assert finding["finding_id"] == low.findings[code] and finding["visit_date"] == "2026-11-10"
    if code in low.evidence:
        assert finding["evidence"] == [low.evidence[code]]


def freeze(flow, kind, date_from, date_to, number, signed):
    r = flow.client.post("/api/v1/reports/lists", headers=flow.login("leader1"), json={
        "kind": kind, "from": date_from, "to": date_to,
        "signer_name": "Phạm Thị Hòa", "document_number": number, "document_date": signed})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_two_periods_in_a_row_propose_a_review_of_the_head(flow):
    flow.approved("TQ-MINHXUAN", "2026-08-10", {"SEAT-02": "fail"})   # Q3
    flow.approved("TQ-MINHXUAN", "2026-11-10", {"SEAT-02": "fail"})   # Q4
    flow.approved("TQ-MYLAM", "2026-05-10", {"SEAT-02": "fail"})      # Q2: not the period before
    flow.approved("TQ-MYLAM", "2026-11-10", {"SEAT-02": "fail"})
    flow.approved("TQ-TANTRAO", "2026-08-10", {"SEAT-02": "fail"})    # Q3 only
    flow.approved("TQ-TANTRAO", "2026-11-10")
    # Q3 only computed, never signed: never cited, the head is criticised as a first time.
    first = flow.unit_entry("criticism", "TQ-MINHXUAN")
    assert first["form_code"] == "phe_binh_nguoi_dung_dau" and first["note"] is None
    assert "Hai kỳ liên tiếp thuộc diện phê bình người đứng đầu" not in first["reasons"]
    # Q2 signed: not the period before Q4.
    freeze(flow, "criticism", "2026-04-01", "2026-06-30", "5/TTr-SNV", "2026-07-06")
    assert flow.unit_entry("criticism", "TQ-MYLAM")["form_code"] == "phe_binh_nguoi_dung_dau"
    freeze(flow, "criticism", "2026-07-01", "2026-09-30", "12/TTr-SNV", "2026-10-05")
    repeated = flow.unit_entry("criticism", "TQ-MINHXUAN")
    assert repeated["form_code"] == "kiem_diem_nguoi_dung_dau"
    assert repeated["form_name"] == "Đề nghị kiểm điểm trách nhiệm người đứng đầu"
    assert "Hai kỳ liên tiếp thuộc diện phê bình người đứng đầu" in repeated["reasons"]
    assert repeated["note"] == ("Kỳ trước đã đề nghị phê bình người đứng đầu: danh sách kỳ quý III/2026 "
                                "kèm theo văn bản số 12/TTr-SNV ngày 05/10/2026")
    assert flow.unit_entry("criticism", "TQ-MYLAM")["form_code"] == "phe_binh_nguoi_dung_dau"
    assert flow.unit_entry("criticism", "TQ-TANTRAO") is None
    units = [e["form_code"] for e in flow.listing("criticism")["entries"] if e["entry_type"] == "unit"]
    assert units == ["kiem_diem_nguoi_dung_dau", "phe_binh_nguoi_dung_dau"]


def test_the_period_before_a_month_is_the_whole_previous_month(flow):
    # 00:30 on 1 October in Việt Nam.
    flow.approved("TQ-MINHXUAN", "2026-09-30", {"SEAT-02": "fail"}, at="17:30:00")
    flow.approved("TQ-MINHXUAN", "2026-11-10", {"SEAT-02": "fail"})
    november = {"from": "2026-11-01", "to": "2026-11-30"}
    assert flow.unit_entry("criticism", "TQ-MINHXUAN", **november)["form_code"] == "phe_binh_nguoi_dung_dau"
    # Signed for September (the visit is not in it) and for the quarter: not the month before.
    assert freeze(flow, "criticism", "2026-09-01", "2026-09-30", "20/TTr-SNV", "2026-10-02")["entries"] == []
    freeze(flow, "criticism", "2026-07-01", "2026-12-31", "21/TTr-SNV", "2027-01-02")
    assert flow.unit_entry("criticism", "TQ-MINHXUAN", **november)["form_code"] == "phe_binh_nguoi_dung_dau"
    october = freeze(flow, "criticism", "2026-10-01", "2026-10-31", "22/TTr-SNV", "2026-11-03")
    assert [e["org_unit_id"] for e in october["entries"]] == [flow.demo.units["TQ-MINHXUAN"]]
    entry = flow.unit_entry("criticism", "TQ-MINHXUAN", **november)
    assert entry["form_code"] == "kiem_diem_nguoi_dung_dau"
    assert "danh sách kỳ tháng 10/2026 kèm theo văn bản số 22/TTr-SNV ngày 03/11/2026" in entry["note"]


# --- units: biểu dương ------------------------------------------------------------------

def test_unit_commendation_at_and_past_each_threshold(flow):
    for day in ("2026-11-10", "2026-11-20"):
        flow.approved("TQ-MINHXUAN", day)                                            # 2 x 100
        flow.approved("TQ-TANTRAO", day, answers(("PUB-07", "DIG-04"), NA_28))        # 2 x 95.0
        flow.approved("TQ-SONDUONG", day, answers(("PUB-07", "DIG-04"), NA_28 + ("DIG-05",)))  # 2 x 94.87
    flow.approved("TQ-MYLAM", "2026-11-10")                                           # 1 visit
    flow.approved("TQ-HAMYEN", "2026-11-10")
    flow.approved("TQ-HAMYEN", "2026-11-20", {"DIS-04": "fail"})                      # DIS-*: 98.5 but out
    flow.approved("TQ-HAGIANG1", "2026-11-10")
    flow.approved("TQ-HAGIANG1", "2026-11-20", {"CON-09": "fail"})                    # a major: 98.5 but out
    assert flow.unit_score("TQ-TANTRAO")["mean_score"] == 95.0
    assert flow.unit_score("TQ-SONDUONG")["mean_score"] == round(100 * 37 / 39, 2)
    assert flow.unit_score("TQ-HAMYEN")["mean_score"] >= 95 and flow.unit_score("TQ-HAGIANG1")["mean_score"] >= 95

    listing = flow.listing("commendation")
    units = {e["org_unit_id"]: e for e in listing["entries"] if e["entry_type"] == "unit"}
    assert set(units) == {flow.demo.units["TQ-MINHXUAN"], flow.demo.units["TQ-TANTRAO"]}
    entry = units[flow.demo.units["TQ-MINHXUAN"]]
    assert entry["form_code"] == "bieu_duong" and entry["form_name"] == "Biểu dương"
    assert entry["score"] == 100.0 and entry["name"] == "Phường Minh Xuân"
    assert entry["reasons"][0].startswith("2 buổi kiểm tra đã duyệt")
    assert "100,0 %" in entry["reasons"][0]
    assert "10/11/2026" in entry["reasons"][0] and "20/11/2026" in entry["reasons"][0]


def test_an_open_failure_keeps_a_unit_off_the_commendation_list(flow):
    for day in ("2026-11-10", "2026-11-20"):
        flow.approved("TQ-MINHXUAN", day)
        flow.approved("TQ-MYLAM", day)
    flow.visit("TQ-MINHXUAN", "2026-11-25", {"PUB-07": "fail"})   # submitted, not yet decided
    flow.visit("TQ-MYLAM", "2026-11-25")                          # submitted, nothing failing
    assert flow.unit_entry("commendation", "TQ-MINHXUAN") is None
    assert flow.unit_entry("commendation", "TQ-MYLAM")["form_code"] == "bieu_duong"


def test_two_periods_of_commendation_propose_a_giay_khen(flow):
    for day in ("2026-08-10", "2026-08-20", "2026-11-10", "2026-11-20"):
        flow.approved("TQ-MINHXUAN", day)
    for day in ("2026-08-10", "2026-11-10", "2026-11-20"):   # one visit in Q3: not commended then
        flow.approved("TQ-MYLAM", day)
    # Q3 commended as computed but never signed: stays at biểu dương, nothing cited.
    unsigned = flow.unit_entry("commendation", "TQ-MINHXUAN")
    assert unsigned["form_code"] == "bieu_duong" and unsigned["note"] is None
    assert unsigned["award_authority"] is None and "Được biểu dương hai kỳ liên tiếp" not in unsigned["reasons"]
    q3 = freeze(flow, "commendation", "2026-07-01", "2026-09-30", "30/TTr-SNV", "2026-10-07")
    assert {e["form_code"] for e in q3["entries"]} == {"bieu_duong"}
    entry = flow.unit_entry("commendation", "TQ-MINHXUAN")
    assert entry["form_code"] == "giay_khen" and entry["form_name"] == "Đề nghị tặng Giấy khen"
    assert "Được biểu dương hai kỳ liên tiếp" in entry["reasons"]
    assert entry["note"] == ("Kỳ trước đã được biểu dương: danh sách kỳ quý III/2026 kèm theo văn bản "
                             "số 30/TTr-SNV ngày 07/10/2026")
    # A ward's chairman awards its Giấy khen (Luật TĐKT 2022 Đ80.3).
    assert entry["award_authority"] == "Chủ tịch UBND phường Minh Xuân"
    assert "Đ80" in entry["form_legal_basis"]
    assert flow.unit_entry("commendation", "TQ-MYLAM")["form_code"] == "bieu_duong"
    units = [e["form_code"] for e in flow.listing("commendation")["entries"] if e["entry_type"] == "unit"]
    assert units == ["giay_khen", "bieu_duong"]
    # The officials on duty in all of them too.
    on_duty = flow.demo.staff_by_desk[flow.desk("TQ-MINHXUAN")][0]
    official = flow.staff_entry("commendation", on_duty)
    assert official["form_code"] == "giay_khen" and official["award_authority"] == "Chủ tịch UBND phường Minh Xuân"
    assert "30/TTr-SNV" in official["note"]
    # The frozen copy keeps who awards it.
    q4 = freeze(flow, "commendation", "2026-10-01", "2026-12-31", "45/TTr-SNV", "2027-01-08")
    assert q4["entries"] == flow.listing("commendation")["entries"]
    kept = next(e for e in q4["entries"] if e["org_unit_id"] == flow.demo.units["TQ-MINHXUAN"])
    assert kept["award_authority"] == "Chủ tịch UBND phường Minh Xuân"


def test_a_departments_head_awards_the_giay_khen_of_its_own(flow):
    """At the provincial centre: its own staff are the provincial office's (Văn phòng UBND
    tỉnh, headed by its Chánh Văn phòng), a Sở's staff sent there are the Sở's."""
    centre = flow.demo.staff_by_desk[flow.desk("TQ-TTPVHCC")]
    own, justice = centre[1], centre[2]
    for day in ("2026-08-10", "2026-08-20", "2026-11-10", "2026-11-20"):
        flow.approved("TQ-TTPVHCC", day, on_duty=[own, justice])
    freeze(flow, "commendation", "2026-07-01", "2026-09-30", "30/TTr-SNV", "2026-10-07")
    assert flow.unit_entry("commendation", "TQ-TTPVHCC")["award_authority"] == "Chánh Văn phòng UBND tỉnh"
    assert staff_name(flow, justice)["org_unit_id"] == flow.demo.units["TQ-STP"]
    assert flow.staff_entry("commendation", justice)["award_authority"] == "Giám đốc Sở Tư pháp"
    assert flow.staff_entry("commendation", own)["award_authority"] == "Chánh Văn phòng UBND tỉnh"


def test_a_criticised_unit_and_its_leaders_are_not_commended(flow):
    """The provincial centre fails a critical criterion in both visits: on the criticism
    list, so neither it nor its deputy director is commended; its other staff are, with a
    note saying so."""
    centre = flow.demo.staff_by_desk[flow.desk("TQ-TTPVHCC")]
    deputy, own, justice = centre[:3]
    assert staff_name(flow, deputy)["position"].startswith("Phó Giám đốc")
    for day in ("2026-11-10", "2026-11-20"):
        flow.approved("TQ-TTPVHCC", day, {"SEAT-02": "fail"}, on_duty=[deputy, own, justice])
        flow.approved("TQ-MYLAM", day, on_duty=flow.demo.staff_by_desk[flow.desk("TQ-MYLAM")][:1])
    assert flow.unit_entry("criticism", "TQ-TTPVHCC")["form_code"] == "phe_binh_nguoi_dung_dau"
    listing = flow.listing("commendation")
    units = {e["org_unit_id"] for e in listing["entries"] if e["entry_type"] == "unit"}
    assert flow.demo.units["TQ-TTPVHCC"] not in units and flow.demo.units["TQ-MYLAM"] in units
    staff = {e["staff_id"]: e for e in listing["entries"] if e["entry_type"] == "staff"}
    assert deputy not in staff
    note = ("Trung tâm Phục vụ hành chính công tỉnh thuộc danh sách đề nghị phê bình người đứng đầu "
            "cùng kỳ; cá nhân không giữ chức vụ lãnh đạo đơn vị")
    assert staff[own]["note"] == note and staff[own]["form_code"] == "bieu_duong"
    assert staff[justice]["note"] == note      # sent by a Sở, working at the centre's desk
    clean = flow.demo.staff_by_desk[flow.desk("TQ-MYLAM")][0]
    assert staff[clean]["note"] is None


def test_every_entry_carries_the_legal_basis_of_its_form(flow):
    forms = yaml.safe_load((Path(__file__).resolve().parents[2] / "seed" / "forms.yaml").read_text())["forms"]
    in_force = {f["code"]: f["legal_basis"] for f in forms if "valid_to" not in f}
    s = [flow.staff("TQ-MINHXUAN", i) for i in range(3)]
    flow.approved("TQ-MINHXUAN", "2026-11-10", {"SEAT-02": "fail", "CON-01": ("fail", s[1])}, on_duty=s)
    for day in ("2026-11-10", "2026-11-20"):
        flow.approved("TQ-MYLAM", day)
    seen = set()
    for kind in ("criticism", "commendation"):
        frozen = freeze(flow, kind, "2026-10-01", "2026-12-31", f"{kind}/TTr-SNV", "2026-12-30")
        assert frozen["entries"]
        for entry in flow.listing(kind)["entries"] + frozen["entries"]:
            assert entry["form_legal_basis"] == in_force[entry["form_code"]], entry
            seen.add(entry["form_code"])
    assert seen == {"phe_binh", "phe_binh_nguoi_dung_dau", "bieu_duong"}


# --- staff: biểu dương ------------------------------------------------------------------

def test_staff_commendation_and_its_exclusions(flow):
    s = [flow.staff("TQ-MINHXUAN", i) for i in range(5)]
    m = [flow.staff("TQ-MYLAM", i) for i in range(2)]
    # s2 has a pending explanation (a Q3 failure, outside the period).
    old = flow.approved("TQ-MINHXUAN", "2026-08-05", {"CON-02": ("fail", s[2])}, on_duty=[s[2]])
    flow.explanation(old.findings["CON-02"], "request")
    flow.approved("TQ-MINHXUAN", "2026-11-10", on_duty=[s[0], s[1], s[2], s[4]])
    second = flow.visit("TQ-MINHXUAN", "2026-11-11", {"CON-01": ("fail", s[4])},
                        on_duty=[s[0], s[1], s[2], s[3], s[4]])
    flow.review(second.id, findings=[{"finding_id": second.findings["CON-01"], "void": True,
                                      "void_reason": "Nhầm người"}])
    # s1 has an open failure: a submitted visit of the period, not yet approved.
    flow.visit("TQ-MINHXUAN", "2026-11-12", {"CON-08": ("fail", s[1])}, on_duty=[s[1]])
    # m0 failed in an approved visit; m1 did not.
    flow.approved("TQ-MYLAM", "2026-11-10", {"DIS-04": ("fail", m[0])}, on_duty=m)
    flow.approved("TQ-MYLAM", "2026-11-11", on_duty=m)

    listing = flow.listing("commendation")
    staff = {e["staff_id"]: e for e in listing["entries"] if e["entry_type"] == "staff"}
    # s0: 2 visits, clean. s4: 2 visits, its only failure voided. m1: 2 visits, clean.
    # Not: s1 (open failure), s2 (pending explanation), s3 (one visit), m0 (a failure).
    assert set(staff) == {s[0], s[4], m[1]}
    entry = staff[s[0]]
    assert entry["form_code"] == "bieu_duong" and entry["name"] == staff_name(flow, s[0])["full_name"]
    assert entry["reasons"][0].startswith("Trực tại Bộ phận Một cửa trong 2 buổi kiểm tra đã duyệt")
    assert "10/11/2026" in entry["reasons"][0] and "11/11/2026" in entry["reasons"][0]
    assert entry["pending_explanation"] is False and entry["findings"] == []
    assert listing["staff_count"] == 3

    # Once s2's explanation is received it no longer keeps them off.
    flow.explanation(old.findings["CON-02"], "receive", content="Đã giải trình")
    assert flow.staff_entry("commendation", s[2])["form_code"] == "bieu_duong"


# --- freezing -------------------------------------------------------------------------

def test_a_frozen_list_does_not_change_when_later_reviews_do(app, flow, client, login):
    s0 = flow.staff("TQ-MINHXUAN", 0)
    made = flow.approved("TQ-MINHXUAN", "2026-11-10", {"CON-02": ("fail", s0), "SEAT-02": "fail"},
                         photos=("CON-02",))
    computed = flow.listing("criticism")
    leader = login("leader1")
    body = {"kind": "criticism", "from": "2026-10-01", "to": "2026-12-31",
            "signer_name": "Phạm Thị Hòa", "document_number": "125/TTr-SNV", "document_date": "2026-12-20"}

    assert client.post("/api/v1/reports/lists", headers=login("reviewer1"), json=body).status_code == 403
    r = client.post("/api/v1/reports/lists", headers=leader, json={**body, "document_number": ""})
    assert r.status_code == 422 and "document_number" in r.get_json()["errors"]["json"]
    r = client.post("/api/v1/reports/lists", headers=leader, json={**body, "kind": "praise"})
    assert r.status_code == 422
    r = client.post("/api/v1/reports/lists", headers=leader, json=body)
    assert r.status_code == 201, r.get_json()
    frozen = r.get_json()
    assert frozen["document_number"] == "125/TTr-SNV" and frozen["document_date"] == "2026-12-20"
    assert frozen["title"] == ("Tập thể, cá nhân đề nghị phê bình, xem xét xử lý kỷ luật qua kiểm tra "
                               "Bộ phận Một cửa quý IV/2026")
    assert (frozen["unit_count"], frozen["staff_count"]) == (1, 1)
    assert frozen["created_by_id"] == flow.demo.users["leader1"]
    assert frozen["entries"] == computed["entries"]   # copied as they were
    staff_entry = next(e for e in frozen["entries"] if e["entry_type"] == "staff")
    assert staff_entry["pending_explanation"] is True and staff_entry["explanation_status"] == "not_requested"

    # Later: the explanation is received, and a new visit adds a unit and an official.
    flow.explanation(made.findings["CON-02"], "request")
    flow.explanation(made.findings["CON-02"], "receive", content="Đã giải trình")
    s1 = flow.staff("TQ-MYLAM", 0)
    flow.approved("TQ-MYLAM", "2026-11-15", {"SEAT-02": "fail", "CON-01": ("fail", s1)})
    # And a new visit's finding voided: the list now computed differs...
    later = flow.visit("TQ-MINHXUAN", "2026-11-16", {"CON-08": ("fail", s0)})
    flow.review(later.id, findings=[{"finding_id": later.findings["CON-08"], "void": True, "void_reason": "Nhầm"}])
    now = flow.listing("criticism")
    assert now["entries"] != frozen["entries"] and (now["unit_count"], now["staff_count"]) == (2, 2)
    staff_names = [e["name"] for e in now["entries"] if e["entry_type"] == "staff"
                   and e["form_code"] == now["entries"][-1]["form_code"]]
    assert staff_names == sorted(staff_names, key=person_order)  # by given name (LISTS.md)
    assert flow.staff_entry("criticism", s0)["form_code"] == "ky_luat_khien_trach"

    # ...the frozen one does not.
    for user in ("leader1", "reviewer1", "admin"):
        again = client.get(f"/api/v1/reports/lists/{frozen['id']}", headers=login(user))
        assert again.status_code == 200 and again.get_json() == frozen, user
    listed = client.get("/api/v1/reports/lists/frozen", headers=leader).get_json()
    assert [i["id"] for i in listed["items"]] == [frozen["id"]] and listed["meta"]["total"] == 1
    assert listed["items"][0]["document_number"] == "125/TTr-SNV" and "entries" not in listed["items"][0]
    assert client.get("/api/v1/reports/lists/frozen?kind=commendation", headers=leader).get_json()["items"] == []
    assert client.get("/api/v1/reports/lists/999999", headers=leader).status_code == 404

    # A ward reviewer does not see a province list; an inspector reads no reports.
    ward = flow.create_user("reviewer.minhxuan", "reviewer", "TQ-MINHXUAN")
    assert client.get(f"/api/v1/reports/lists/{frozen['id']}", headers=ward).status_code == 404
    assert client.get("/api/v1/reports/lists/frozen", headers=ward).get_json()["items"] == []
    inspector = login("inspector1")
    for url in (f"/api/v1/reports/lists/{frozen['id']}", "/api/v1/reports/lists/frozen",
                "/api/v1/reports/lists?kind=criticism&from=2026-10-01&to=2026-12-31"):
        assert client.get(url, headers=inspector).status_code == 403, url
    assert client.post("/api/v1/reports/lists", headers=inspector, json=body).status_code == 403

    audit = client.get("/api/v1/audit", headers=login("admin"), query_string={
        "entity_type": "list", "action": "freeze"}).get_json()["items"]
    assert len(audit) == 1 and audit[0]["after"]["document_number"] == "125/TTr-SNV"


def test_freezing_records_the_signer_and_recipients_of_the_to_trinh(flow, client, login):
    leader = login("leader1")
    body = {"kind": "commendation", "from": "2026-10-01", "to": "2026-12-31",
            "document_number": "126/TTr-SNV", "document_date": "2026-12-21"}

    # Without a signer there is nothing to sign.
    r = client.post("/api/v1/reports/lists", headers=leader, json=body)
    assert r.status_code == 422 and "signer_name" in r.get_json()["errors"]["json"]
    for bad in ({"signer_name": ""}, {"signer_name": "x" * 201},
                {"signer_name": "A", "signer_title": "1\n2\n3\n4"},
                {"signer_name": "A", "recipients": []}, {"signer_name": "A", "recipients": [""]},
                {"signer_name": "A", "recipients": "UBND tỉnh"}, {"signer_name": "A", "attachment_signed": "maybe"}):
        r = client.post("/api/v1/reports/lists", headers=leader, json={**body, **bad})
        assert r.status_code == 422, bad
        assert r.headers["Content-Type"] == "application/problem+json"
    assert client.get("/api/v1/reports/lists/frozen", headers=leader).get_json()["items"] == []

    # Defaults: the province's People's Committee decides; only the units named are told.
    r = client.post("/api/v1/reports/lists", headers=leader, json={**body, "signer_name": " Phạm Thị Hòa "})
    assert r.status_code == 201, r.get_json()
    frozen = r.get_json()
    assert frozen["signer_name"] == "Phạm Thị Hòa"
    assert frozen["signer_title"] == "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"
    assert frozen["addressee"] == "Ủy ban nhân dân tỉnh Tuyên Quang"
    assert frozen["recipients"] == ["Như trên;", "Giám đốc Sở (để b/c);",
                                    "Các cơ quan, đơn vị có tên trong danh sách;"]
    assert frozen["attachment_signed"] is False

    # What the leader gives is kept as given.
    given = {"signer_name": "Lê Văn Bình", "signer_title": "GIÁM ĐỐC", "addressee": "Chủ tịch UBND tỉnh",
             "recipients": ["Như trên;", "UBND xã Tân Trào;"], "attachment_signed": True}
    r = client.post("/api/v1/reports/lists", headers=leader,
                    json={**body, **given, "document_number": "127/TTr-SNV"})
    assert r.status_code == 201
    assert {k: r.get_json()[k] for k in given} == given
    again = client.get(f"/api/v1/reports/lists/{r.get_json()['id']}", headers=leader).get_json()
    assert {k: again[k] for k in given} == given
    audit = client.get("/api/v1/audit", headers=login("admin"), query_string={
        "entity_type": "list", "action": "freeze"}).get_json()["items"]
    assert {a["after"]["signer_name"] for a in audit} == {"Phạm Thị Hòa", "Lê Văn Bình"}


def test_list_arguments(flow, client, login):
    leader = login("leader1")
    r = client.get("/api/v1/reports/lists", headers=leader, query_string={"kind": "praise", **Q3})
    assert r.status_code == 422 and "kind" in r.get_json()["errors"]["query"]
    r = client.get("/api/v1/reports/lists", headers=leader, query_string={"kind": "criticism", "from": "2026-07-01"})
    assert r.status_code == 422
    r = client.get("/api/v1/reports/lists", headers=leader, query_string={
        "kind": "criticism", **Q3, "org_unit_id": 999999})
    assert r.status_code == 404
    empty = flow.listing("commendation", **Q3)
    assert empty["entries"] == [] and (empty["unit_count"], empty["staff_count"]) == (0, 0)
    assert empty["period"] == "quý III/2026"


def test_the_findings_of_an_entry_dump_as_a_nested_schema_dumps_them(app):
    """DumpedList writes each item out without a nested dump per item: the same output
    as List(Nested(FindingRefSchema)), for a computed finding (a date, photos), one a
    frozen list kept (ISO date string, no photos) and one frozen before a field existed
    (left out, not null)."""
    import marshmallow as ma

    from inspect_api.fields import DumpedList
    from inspect_api.reports.schemas import FindingRefSchema

    computed = {"finding_id": str(uuid.uuid4()), "visit_id": str(uuid.uuid4()), "staff_id": 7, "org_unit_id": 3,
                "visit_date": dt.date(2026, 11, 10), "desk": "Bộ phận Một cửa", "criterion_code": "CON-01",
                "criterion_text": "Đeo thẻ công chức", "subject": "staff", "severity": "major", "result": "fail",
                "note": None, "value": 12.5, "inspector": "Nguyễn Văn An",
                "evidence": [str(uuid.uuid4()), str(uuid.uuid4())]}
    frozen = {**computed, "visit_date": "2026-11-10", "evidence": [], "note": "Không đeo thẻ"}
    older = {key: value for key, value in frozen.items() if key not in ("inspector", "criterion_text")}

    class Fast(ma.Schema):
        findings = DumpedList(FindingRefSchema, allow_none=True)

    class Nested(ma.Schema):
        findings = ma.fields.List(ma.fields.Nested(FindingRefSchema), allow_none=True)

    with app.test_request_context():
        for findings in ([computed, frozen, older], [], None):
            fast, nested = Fast().dump({"findings": findings}), Nested().dump({"findings": findings})
            assert fast == nested
            assert [list(row) for row in fast["findings"] or []] == [list(row) for row in nested["findings"] or []]
        assert computed["evidence"][1] in Fast().dump({"findings": [computed]})["findings"][0]["evidence_urls"][1]


def test_photo_addresses_are_what_url_for_writes(app):
    """evidence_urls puts the ids into one url_for answer per request: the same text as
    url_for for each, behind a path prefix (SCRIPT_NAME) too."""
    ids = [str(uuid.uuid4()) for _ in range(3)]
    for base_url in ("http://localhost/", "https://so-noi-vu.example/giamsat/"):
        with app.test_request_context(base_url=base_url):
            expected = [url_for("evidence.evidence_content", evidence_id=i) for i in ids]
            assert evidence_urls(ids) == expected
            assert evidence_urls(ids[:1]) == expected[:1] and evidence_urls([]) == []
    assert expected[0].startswith("/giamsat/api/v1/evidence/")


def test_computed_findings_are_written_as_the_nested_schema_writes_them(app):
    """A computed Entry's findings (FailingFinding records) are written key by key
    (reports/schemas.py _written_ref, which the entries' writer calls): the same output,
    keys and value types, as FindingRefSchema's own dump of the record, with or without
    a note, an inspector or photos. A frozen list's findings (dicts) go through
    DumpedList."""
    from inspect_api.reports.list_rules import FailingFinding
    from inspect_api.reports.schemas import EntrySchema, FindingRefSchema, _written_ref, evidence_url_parts

    def ref(**changes):
        values = {"finding_id": str(uuid.uuid4()), "visit_id": str(uuid.uuid4()), "staff_id": None,
                  "org_unit_id": 3, "visit_date": dt.date(2026, 1, 5), "desk": "Bộ phận Một cửa xã Mỹ Lâm",
                  "criterion_code": "SEAT-02", "criterion_text": "Đủ ghế ngồi chờ", "subject": "unit",
                  "severity": "critical", "note": None, "value": None, "inspector": None, "evidence": ()}
        return FailingFinding(**{**values, **changes})

    refs = [ref(), ref(note="Thiếu 3 ghế", inspector="Lê Thị Hoa", staff_id=7, value=87.5),
            ref(evidence=(str(uuid.uuid4()), str(uuid.uuid4())), visit_date=dt.date(2026, 12, 31)),
            ref(note="")]

    field = EntrySchema().fields["findings"]
    for base_url in ("http://localhost/", "https://so-noi-vu.example/giamsat/"):
        with app.test_request_context(base_url=base_url):
            written = [_written_ref(one, evidence_url_parts()) for one in refs]
            nested = [FindingRefSchema().dump(one) for one in refs]
            assert written == nested
            assert field._serialize(refs, "findings", {"findings": refs}) == nested  # DumpedList's way
            for mine, theirs in zip(written, nested, strict=True):
                assert {key: type(value) for key, value in mine.items()} == \
                    {key: type(value) for key, value in theirs.items()}
            assert written[2]["evidence_urls"] == [
                url_for("evidence.evidence_content", evidence_id=photo) for photo in refs[2].evidence]


def test_computed_entries_are_written_as_the_nested_schema_writes_them(app):
    """A computed list's Entries are written key by key (reports/schemas.py
    _written_entry, the writer DumpedList calls for Entries): the same output, keys and
    value types, as EntrySchema's own dump, for a unit and an official, with values
    missing or present (a score as a float or a Decimal, an award authority, a note, a
    pending explanation, findings with photos); rows that are not Entries (a frozen
    list's) go through DumpedList."""
    from decimal import Decimal

    from inspect_api.reports.lists import Entry
    from inspect_api.reports.models import ProposedForm
    from inspect_api.reports.schemas import ComputedListSchema, EntrySchema

    from inspect_api.reports.list_rules import FailingFinding

    finding = FailingFinding(
        finding_id=str(uuid.uuid4()), visit_id=str(uuid.uuid4()), staff_id=7, org_unit_id=3,
        visit_date=dt.date(2026, 11, 10), desk="Bộ phận Một cửa", criterion_code="CON-01",
        criterion_text="Đeo thẻ công chức", subject="staff", severity="major", note=None, value=None,
        inspector="Nguyễn Văn An", evidence=(str(uuid.uuid4()),))
    criticism = ProposedForm(code="phe_binh", name="Phê bình", legal_basis="Luật Cán bộ, công chức")
    award = ProposedForm(code="giay_khen", name="Giấy khen", legal_basis=None)
    entries = [
        Entry(entry_type="unit", name="Xã Mỹ Lâm", form=criticism, org_unit_id=3, head_name=None, score=62.5,
              critical=1, reasons=["Điểm trung bình 62,5 %"],
              findings=[finding, finding._replace(finding_id=str(uuid.uuid4()), staff_id=None)]),
        Entry(entry_type="staff", name="Ma Thị Hằng", form=criticism, staff_id=7, org_unit_id=3,
              position_title="Công chức Tư pháp - Hộ tịch", org_name="Xã Tân Trào", commune="Xã Tân Trào",
              major=2, minor=1, explanation_status="requested", pending_explanation=True,
              note="Chờ giải trình", reasons=["Không đạt: CON-01", "Tái phạm"], findings=[finding]),
        Entry(entry_type="unit", name="Phường Hà Giang 1", form=award, org_unit_id=4, score=Decimal("98.50"),
              award_authority="Chủ tịch UBND phường Hà Giang 1"),
        Entry(entry_type="staff", name="Lê Văn Bình", form=award, staff_id=9, org_unit_id=None, org_name=None),
    ]
    field = ComputedListSchema().fields["entries"]
    with app.test_request_context():
        written = field._serialize(entries, "entries", None)
        nested = [EntrySchema().dump(entry) for entry in entries]
        assert written == nested
        for mine, theirs in zip(written, nested, strict=True):
            assert {key: type(value) for key, value in mine.items()} == \
                {key: type(value) for key, value in theirs.items()}
        rows = [{name: getattr(entries[1], name) for name in EntrySchema().fields}]  # not an Entry: DumpedList's
        assert field._serialize(rows, "entries", None) == [EntrySchema().dump(rows[0])]
        assert field._serialize(None, "entries", None) is None


def test_computed_and_frozen_entries_dump_as_nested_schemas_dump_them(app, flow, client, login):
    """The entries of a computed list (Entry records) and of a frozen one (rows) through
    DumpedList and through List(Nested(EntrySchema)): the same."""
    import marshmallow as ma
    from sqlalchemy import select

    from inspect_api.db import db
    from inspect_api.reports.list_rules import ListSettings
    from inspect_api.reports.lists import compute_list
    from inspect_api.reports.models import FrozenList
    from inspect_api.reports.schemas import EntrySchema
    from inspect_api.reports.scores import Scope
    from inspect_api.org.models import OrgUnit

    s = [flow.staff("TQ-MINHXUAN", i) for i in range(2)]
    flow.approved("TQ-MINHXUAN", "2026-11-10", {"CON-01": ("fail", s[0]), "SEAT-02": "fail"}, on_duty=s,
                  photos=("CON-01",))
    flow.approved("TQ-MYLAM", "2026-11-11")
    flow.approved("TQ-MYLAM", "2026-11-12")
    r = client.post("/api/v1/reports/lists", headers=login("leader1"), json={
        **{"from": "2026-10-01", "to": "2026-12-31"}, "kind": "criticism", "document_number": "12/TTr-SNV",
        "document_date": "2027-01-05", "signer_name": "Nguyễn Văn An"})
    assert r.status_code == 201, r.get_json()

    class Nested(ma.Schema):
        entries = ma.fields.List(ma.fields.Nested(EntrySchema))

    from inspect_api.reports.schemas import ComputedListSchema, FrozenListDetailSchema

    with app.test_request_context():
        unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == "TQ"))
        settings = ListSettings.from_config(app.config)
        for kind in ("criticism", "commendation"):
            entries = compute_list(kind, Scope(dt.date(2026, 10, 1), dt.date(2026, 12, 31), unit), settings)
            assert entries
            fast = ComputedListSchema(only=("entries",)).dump({"entries": entries})
            assert fast == Nested().dump({"entries": entries})
            assert any(f["evidence_urls"] for e in fast["entries"] for f in e["findings"]) or kind == "commendation"
        frozen = db.session.scalar(select(FrozenList))
        assert frozen is not None and frozen.entries
        fast = FrozenListDetailSchema(only=("entries",)).dump(frozen)
        assert fast == Nested().dump(frozen)
        db.session.remove()


def test_the_database_gives_the_vietnam_day_and_the_text_of_an_id(app, flow):
    """db.vietnam_day and db.uuid_text, which the lists read instead of converting in
    Python, on this backend: a visit started at 17:30 UTC is on the next Vietnam day."""
    from sqlalchemy import select

    from inspect_api.db import db, uuid_text, vietnam_day
    from inspect_api.timezone import VIETNAM_TZ
    from inspect_api.visits.models import Visit

    late = flow.visit("TQ-MYLAM", "2026-11-10", at="17:30:00")
    early = flow.visit("TQ-MYLAM", "2026-11-10", at="16:59:00")
    with app.app_context():
        rows = db.session.execute(select(Visit.id, Visit.started_at, uuid_text(Visit.id), vietnam_day(Visit.started_at))
                                  .where(Visit.id.in_([uuid.UUID(late.id), uuid.UUID(early.id)]))).all()
        db.session.remove()
    days = {str(visit_id): day for visit_id, _, _, day in rows}
    assert days == {late.id: dt.date(2026, 11, 11), early.id: dt.date(2026, 11, 10)}
    for visit_id, started_at, text, day in rows:
        assert text == str(visit_id) and day == started_at.astimezone(VIETNAM_TZ).date()

"""The list rules of inspect_api/reports/list_rules.py without a database: each rule at its
threshold (just met) and one step short of it (just missed), with the settings' defaults
(shared/domain/LISTS.md). tests/api/test_lists.py covers the same rules over HTTP."""

from __future__ import annotations

import ast
import datetime as dt
import inspect
from dataclasses import replace
from itertools import count

import pytest

from inspect_api.reports import list_rules as rules, lists
from inspect_api.reports.list_rules import (
    FailingFinding, Form, ListSettings, UnitFacts, UnitScore,
)

SETTINGS = ListSettings(staff_criticism_major=1, staff_criticism_minor=2, repeat_months=12,
                        unit_min_score=70.0, unit_dos01_min=90.0, unit_dos03_min=100.0,
                        commend_min_visits=2, commend_min_score=95.0)
DAY = dt.date(2026, 11, 10)
_ids = count(1)


def finding(code="CON-01", severity="major", *, subject="staff", staff_id=7, unit_id=1, day=DAY,
            value=None, evidence=()) -> FailingFinding:
    return FailingFinding(
        finding_id=f"f{next(_ids)}", visit_id="v1", staff_id=staff_id if subject == "staff" else None,
        org_unit_id=unit_id, visit_date=day, desk="Bộ phận Một cửa xã A", criterion_code=code,
        criterion_text="…", subject=subject, severity=severity, note=None, value=value,
        inspector="Lê Văn Thành", evidence=tuple(evidence))


def unit(failures=(), score=None, lowest=None, unit_id=1) -> UnitFacts:
    return UnitFacts(unit_id, score, tuple(failures), lowest or {})


def score(mean, visits=2, critical=0, major=0, minor=0, unit_id=1) -> UnitScore:
    return UnitScore(unit_id, visits, mean, critical, major, minor)


# --- settings and data -----------------------------------------------------------------

def test_settings_read_and_show_the_config_names():
    config = {"LIST_STAFF_CRITICISM_MAJOR": 1, "LIST_STAFF_CRITICISM_MINOR": 2, "LIST_REPEAT_MONTHS": 12,
              "LIST_UNIT_MIN_SCORE": 70.0, "LIST_UNIT_DOS01_MIN": 90.0, "LIST_UNIT_DOS03_MIN": 100.0,
              "LIST_COMMEND_MIN_VISITS": 2, "LIST_COMMEND_MIN_SCORE": 95.0, "LIST_UNIT_CORRECTIONS_MISSED": 1,
              "OTHER": "x"}
    settings = ListSettings.from_config(config)
    assert settings == SETTINGS
    assert settings.as_settings() == {k: v for k, v in config.items() if k != "OTHER"}
    assert list(settings.as_settings()) == list(config)[:9]


def test_the_list_modules_know_nothing_of_http():
    for module in (rules, lists):
        tree = ast.parse(inspect.getsource(module))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not {name for name in imported if name.split(".")[0] in ("flask", "werkzeug", "flask_smorest")}


def test_chunked_splits_ids_for_in_queries():
    ids = list(range(10_001))
    chunks = list(lists.chunked(ids))
    assert [len(c) for c in chunks] == [5000, 5000, 1] and [i for c in chunks for i in c] == ids
    assert list(lists.chunked([])) == []


def test_finding_as_dict_is_the_stored_shape():
    f = finding(evidence=("e1",), value=88.5)
    stored = f.as_dict()
    assert stored["result"] == "fail" and stored["evidence"] == ["e1"] and stored["value"] == 88.5
    assert stored["visit_date"] == DAY and stored["finding_id"] == f.finding_id


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert rules.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert rules.add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)
    assert rules.add_months(dt.date(2026, 3, 15), -12) == dt.date(2025, 3, 15)


# --- unit → phê bình người đứng đầu ----------------------------------------------------

def test_a_critical_failure_of_the_unit_itself_criticises_its_head():
    seat = finding("SEAT-02", "critical", subject="unit")
    ground = rules.critical_unit_failure(unit([seat]), SETTINGS)
    assert ground is not None and ground.findings == (seat,)
    assert ground.reason == "Vi phạm nghiêm trọng: SEAT-02 (nghiêm trọng) ngày 10/11/2026 tại Bộ phận Một cửa xã A"
    # An official's critical failure, or a major one of the unit: not this rule.
    assert rules.critical_unit_failure(unit([finding("CON-02", "critical")]), SETTINGS) is None
    assert rules.critical_unit_failure(unit([finding("SEAT-01", "major", subject="unit")]), SETTINGS) is None


def test_mean_score_under_70_criticises_the_head_at_70_it_does_not():
    failures = [finding("PUB-07", subject="unit"), finding("CON-01")]
    ground = rules.low_mean_score(unit(failures, score(69.9)), SETTINGS)
    assert ground is not None and ground.reason == "Điểm trung bình 69,9 %, dưới mức 70,0 %"
    assert ground.findings == tuple(failures)          # what brought the score down
    assert rules.low_mean_score(unit(failures, score(70.0)), SETTINGS) is None
    assert rules.low_mean_score(unit(failures, score(None)), SETTINGS) is None
    assert rules.low_mean_score(unit(failures, None), SETTINGS) is None


@pytest.mark.parametrize("rate", rules.DOSSIER_RATES, ids=lambda r: r.code)
def test_a_dossier_rate_under_its_threshold_criticises_the_head(rate):
    threshold = rate.threshold(SETTINGS)
    behind = finding(rate.code, subject="unit", value=threshold - 0.1)
    ground = rules.low_dossier_rate(rate, unit([behind], lowest={rate.code: threshold - 0.1}), SETTINGS)
    assert ground is not None and ground.findings == (behind,)
    assert ground.reason.startswith(f"{rate.label} ({rate.code}) thấp nhất")
    assert rules.low_dossier_rate(rate, unit(lowest={rate.code: threshold}), SETTINGS) is None
    # Failing without the figure: below the threshold by the inspector's judgement.
    blank = finding(rate.code, subject="unit", value=None)
    ground = rules.low_dossier_rate(rate, unit([blank]), SETTINGS)
    assert ground is not None and ground.reason == f"{rate.label} ({rate.code}) không đạt mức {rules.pct(threshold)}"
    # The other rate's failure or figure is not this rule's.
    other = next(r for r in rules.DOSSIER_RATES if r is not rate)
    assert rules.low_dossier_rate(rate, unit([finding(other.code, subject="unit")], lowest={other.code: 0}),
                                  SETTINGS) is None


def test_the_dossier_thresholds_are_settings():
    dos01 = rules.DOSSIER_RATES[0]
    stricter = replace(SETTINGS, unit_dos01_min=95.0)
    assert rules.low_dossier_rate(dos01, unit(lowest={"DOS-01": 94.9}), SETTINGS) is None
    assert rules.low_dossier_rate(dos01, unit(lowest={"DOS-01": 94.9}), stricter) is not None


def test_unit_criticism_gives_every_ground_in_order():
    seat = finding("SEAT-02", "critical", subject="unit")
    dos = finding("DOS-01", subject="unit", value=80.0)
    facts = rules.unit_facts([seat, dos], {1: score(60.0), 2: score(80.0, unit_id=2)}, {1: {"DOS-01": 80.0}})
    assert [f.unit_id for f in facts] == [1, 2]
    criticised = rules.unit_criticism(facts, SETTINGS)
    assert list(criticised) == [1]
    reasons = [g.reason for g in criticised[1]]
    assert reasons[0].startswith("Vi phạm nghiêm trọng") and reasons[1].startswith("Điểm trung bình")
    assert reasons[2].startswith("Tỷ lệ hồ sơ giải quyết đúng hạn (DOS-01)") and len(reasons) == 3


SIGNED_Q3 = rules.SignedList("12/TTr-SNV", dt.date(2026, 10, 5), "quý III/2026")


def test_two_periods_in_a_row_propose_a_review_of_the_head():
    grounds = [rules.Ground("Điểm trung bình 60,0 %, dưới mức 70,0 %")]
    # The previous period not on a signed list (computed only, or not criticised): phê bình.
    first = rules.head_criticism_proposal(grounds, None)
    assert first.form_code == Form.HEAD_CRITICISM and first.note is None
    again = rules.head_criticism_proposal(grounds, SIGNED_Q3)
    assert again.form_code == Form.HEAD_REVIEW
    assert again.reasons[-1] == "Hai kỳ liên tiếp thuộc diện phê bình người đứng đầu"
    # The note cites the signed list: its number and date.
    assert again.note == ("Kỳ trước đã đề nghị phê bình người đứng đầu: danh sách kỳ quý III/2026 "
                          "kèm theo văn bản số 12/TTr-SNV ngày 05/10/2026")


# --- unit → biểu dương -----------------------------------------------------------------

def test_unit_praise_at_and_past_each_threshold():
    assert rules.unit_earns_praise(score(95.0, visits=2), SETTINGS)
    assert not rules.unit_earns_praise(score(95.0, visits=1), SETTINGS)
    assert not rules.unit_earns_praise(score(94.99, visits=2), SETTINGS)
    assert not rules.unit_earns_praise(score(None, visits=2), SETTINGS)
    assert not rules.unit_earns_praise(score(100.0, major=1), SETTINGS)
    assert not rules.unit_earns_praise(score(100.0, critical=1), SETTINGS)
    assert rules.unit_earns_praise(score(100.0, minor=1), SETTINGS)


def test_unit_commendation_leaves_out_the_excluded_and_says_why():
    scores = {1: score(96.0), 2: score(96.0, unit_id=2)}
    days = {1: [dt.date(2026, 11, 3), dt.date(2026, 11, 20)]}
    chosen = rules.unit_commendation(scores, days, {2}, SETTINGS)
    assert chosen == {1: "2 buổi kiểm tra đã duyệt (ngày 03/11/2026, 20/11/2026), điểm trung bình 96,0 %, "
                         "không có vi phạm chính hoặc nghiêm trọng"}


def test_a_working_hours_breach_bars_the_unit():
    assert rules.working_hours_breach([finding("DIS-04", "minor", unit_id=3), finding("CON-01", unit_id=4)]) == {3}


def test_praise_two_periods_in_a_row_proposes_a_giay_khen():
    assert rules.praise_proposal(["r"], None) == rules.Proposal(Form.PRAISE, ("r",))
    cited = "Kỳ trước đã được biểu dương: " + SIGNED_Q3.cite()
    assert rules.praise_proposal(["r"], SIGNED_Q3) == rules.Proposal(
        Form.AWARD, ("r", "Được biểu dương hai kỳ liên tiếp"), note=cited)
    assert "12/TTr-SNV ngày 05/10/2026" in cited
    # A note of the entry's own (its unit criticised) goes with it, either way.
    assert rules.praise_proposal(["r"], None, "n") == rules.Proposal(Form.PRAISE, ("r",), note="n")
    assert rules.praise_proposal(["r"], SIGNED_Q3, "n").note == cited + "; n"


# --- awards: who awards them ------------------------------------------------------------

PROVINCE = rules.OrgLevel("Tỉnh Tuyên Quang", "province")


def test_a_communes_chairman_awards_its_giay_khen():
    chain = [rules.OrgLevel("Xã Tân Trào", "commune", "Chủ tịch UBND xã"), PROVINCE]
    assert rules.award_authority(Form.AWARD, chain) == "Chủ tịch UBND xã Tân Trào"
    ward = [rules.OrgLevel("Phường Minh Xuân", "ward"), PROVINCE]
    assert rules.award_authority(Form.AWARD, ward) == "Chủ tịch UBND phường Minh Xuân"
    zone = [rules.OrgLevel("Đặc khu Cô Tô", "special_zone"), PROVINCE]
    assert rules.award_authority(Form.AWARD, zone) == "Chủ tịch UBND đặc khu Cô Tô"


def test_a_departments_head_awards_its_own_giay_khen():
    sở = [rules.OrgLevel("Sở Tư pháp", "department"), PROVINCE]
    assert rules.award_authority(Form.AWARD, sở) == "Giám đốc Sở Tư pháp"
    # A centre under the provincial office: the office's head, the nearest department.
    centre = [rules.OrgLevel("Trung tâm Phục vụ hành chính công tỉnh", "service_center"),
              rules.OrgLevel("Văn phòng UBND tỉnh", "department"), PROVINCE]
    assert rules.award_authority(Form.AWARD, centre) == "Chánh Văn phòng UBND tỉnh"
    titled = [rules.OrgLevel("Ban Dân tộc", "department", "Trưởng Ban Dân tộc"), PROVINCE]
    assert rules.award_authority(Form.AWARD, titled) == "Trưởng Ban Dân tộc"
    assert rules.department_head("Thanh tra tỉnh") == "Thủ trưởng Thanh tra tỉnh"


def test_bang_khen_names_the_province_chairman_unchecked_and_other_forms_nobody():
    chain = [rules.OrgLevel("Xã Tân Trào", "commune"), PROVINCE]
    assert rules.award_authority(Form.PROVINCE_AWARD, chain) == "Chủ tịch UBND tỉnh Tuyên Quang (chưa đối chiếu)"
    assert rules.award_authority(Form.PRAISE, chain) is None
    assert rules.award_authority(Form.HEAD_CRITICISM, chain) is None
    # No commune, department or province above: nobody named rather than a guess.
    assert rules.award_authority(Form.AWARD, [rules.OrgLevel("Huyện Sơn Dương", "district")]) is None


# --- staff → phê bình ------------------------------------------------------------------

def test_staff_criticism_at_and_under_each_threshold():
    counts = {"critical": 0, "major": 0, "minor": 0}
    assert rules.meets_staff_criticism({**counts, "major": 1}, SETTINGS)
    assert rules.meets_staff_criticism({**counts, "minor": 2}, SETTINGS)
    assert rules.meets_staff_criticism({**counts, "critical": 1}, SETTINGS)
    assert not rules.meets_staff_criticism({**counts, "minor": 1}, SETTINGS)
    assert not rules.meets_staff_criticism(counts, SETTINGS)
    stricter = replace(SETTINGS, staff_criticism_major=2)
    assert not rules.meets_staff_criticism({**counts, "major": 1}, stricter)


def test_one_minor_failure_lists_nobody_two_do():
    one = [finding("DIS-04", "minor")]
    assert rules.staff_criticism(one, {}, {}, SETTINGS) == {}
    two = one + [finding("DIS-04", "minor", day=DAY + dt.timedelta(days=1))]
    listed = rules.staff_criticism(two, {}, {}, SETTINGS)[7]
    assert listed.counts == {"critical": 0, "major": 0, "minor": 2} and not listed.discipline
    assert listed.reasons == ("Không đạt: " + rules.describe_all(two),)
    assert rules.staff_criticism_proposal(listed) == rules.Proposal(Form.STAFF_CRITICISM, listed.reasons)


def test_a_unit_failure_is_nobodys_staff_criticism():
    assert rules.staff_criticism([finding("PUB-07", subject="unit")], {}, {}, SETTINGS) == {}


# --- staff → discipline: photo, repeat, explanation --------------------------------------

def test_a_critical_failure_needs_its_photo_to_ground_discipline():
    unproven = rules.criticise_staff([finding("CON-02", "critical")], (), {}, SETTINGS)
    assert unproven is not None and not unproven.discipline and unproven.explanation_status is None
    proposal = rules.staff_criticism_proposal(unproven)
    assert proposal.form_code == Form.STAFF_CRITICISM and not proposal.pending_explanation
    assert proposal.note == ("Vi phạm nghiêm trọng chưa có ảnh minh chứng (CON-02): "
                             "chưa đủ căn cứ đề nghị xem xét xử lý kỷ luật")
    proven = rules.criticise_staff([finding("CON-02", "critical", evidence=("e1",))], (), {}, SETTINGS)
    assert proven is not None and proven.discipline and proven.unproven == ()


def test_discipline_waits_for_every_explanation():
    a, b = finding("CON-02", "critical", evidence=("e1",)), finding("DIS-05", "critical", evidence=("e2",))

    def proposal(statuses):
        criticism = rules.criticise_staff([a, b], (), statuses, SETTINGS)
        assert criticism is not None
        return criticism, rules.staff_criticism_proposal(criticism)

    settled, form = proposal({a.finding_id: "received", b.finding_id: "lapsed"})
    assert settled.settled and settled.explanation_status == "lapsed"
    assert form.form_code == Form.STAFF_DISCIPLINE and not form.pending_explanation and form.note is None
    settled, form = proposal({a.finding_id: "received", b.finding_id: "received"})
    assert settled.explanation_status == "received" and form.form_code == Form.STAFF_DISCIPLINE
    # One explanation still asked for: phê bình, marked as waiting.
    waiting, form = proposal({a.finding_id: "received", b.finding_id: "requested"})
    assert not waiting.settled and waiting.explanation_status == "requested"
    assert form.form_code == Form.STAFF_CRITICISM and form.pending_explanation
    assert form.note == "Chờ giải trình: chưa đủ điều kiện đề nghị xem xét xử lý kỷ luật"
    # One never asked for.
    unasked, form = proposal({a.finding_id: "received"})
    assert unasked.explanation_status == "not_requested" and form.pending_explanation
    assert form.note.startswith("Chờ giải trình (chưa yêu cầu cán bộ giải trình)")


def test_explanation_state():
    assert rules.explanation_state([]) == (False, None)
    assert rules.explanation_state(["received"]) == (True, "received")
    assert rules.explanation_state(["received", "lapsed"]) == (True, "lapsed")
    assert rules.explanation_state(["requested", None]) == (False, "requested")
    assert rules.explanation_state([None, "received"]) == (False, "not_requested")


def test_a_major_failure_repeats_a_phe_binh_up_to_12_months_after_it():
    signed = dt.date(2025, 11, 10)
    assert rules.repeated_after([signed], dt.date(2026, 11, 10), 12) == signed      # 12 months: a repeat
    assert rules.repeated_after([signed], dt.date(2026, 11, 11), 12) is None        # a day later: not
    assert rules.repeated_after([signed], signed, 12) is None                       # not before it was signed
    assert rules.repeated_after([dt.date(2026, 3, 1), signed], dt.date(2026, 6, 1), 12) == dt.date(2026, 3, 1)


def test_a_repeat_grounds_discipline_and_says_which_phe_binh_it_repeats():
    signed = dt.date(2026, 1, 5)
    major, minor = finding("CON-01", "major"), finding("DIS-04", "minor")
    criticism = rules.criticise_staff([major, minor], [signed], {}, SETTINGS)
    assert criticism is not None and criticism.discipline and criticism.explanation_status == "not_requested"
    assert criticism.reasons == (
        f"Tái phạm trong 12 tháng sau khi bị phê bình (văn bản ngày 05/01/2026): {rules.describe(major)}",
        f"Không đạt: {rules.describe(minor)}")
    # A minor failure never repeats; with the phê bình 13 months back nothing does.
    assert rules.repeats([minor], [signed], 12) == {}
    assert rules.repeats([major], [dt.date(2025, 10, 9)], 12) == {}


def test_a_repeat_lists_an_official_the_counts_alone_would_not():
    lenient = replace(SETTINGS, staff_criticism_major=5)
    major = finding("CON-01", "major")
    assert rules.criticise_staff([major], [], {}, lenient) is None
    assert rules.criticise_staff([major], [dt.date(2026, 1, 5)], {}, lenient) is not None


# --- staff → biểu dương ----------------------------------------------------------------

def test_staff_commendation_needs_two_approved_visits_on_duty():
    duty = {7: [dt.date(2026, 11, 3), dt.date(2026, 11, 20)], 8: [dt.date(2026, 11, 3)],
            9: [dt.date(2026, 11, 21)]}
    assert list(rules.staff_commendation(duty, set(), SETTINGS)) == [7]
    assert rules.staff_commendation(duty, {7}, SETTINGS) == {}
    assert rules.staff_praise_reason(duty[7]) == ("Trực tại Bộ phận Một cửa trong 2 buổi kiểm tra đã duyệt "
                                                  "(ngày 03/11/2026, 20/11/2026), không có vi phạm")


@pytest.mark.parametrize("settings", [SETTINGS, replace(SETTINGS, staff_criticism_major=1, staff_criticism_minor=1)])
def test_only_an_official_with_a_counted_failure_is_ever_criticised(settings):
    """The commendation list leaves out every official with a counted failure and does
    not run the criticism rules (lists.Period.commended_staff): it relies on this."""
    failures = [finding(code, severity, staff_id=staff_id, day=day,
                        evidence=("e1",) if severity == "critical" else ())
                for staff_id in (7, 8, 9) for code, severity in (("CON-01", "major"), ("CON-02", "minor"),
                                                                 ("CON-03", "critical"))
                for day in (DAY, DAY + dt.timedelta(days=3))][::2]
    failures += [finding("DOS-01", "critical", subject="unit")]  # no official
    # Prior phê bình and explanations of officials with no failure in the period.
    prior = {7: [dt.date(2026, 3, 1)], 50: [dt.date(2026, 5, 1)], 51: [dt.date(2026, 10, 1)]}
    explanations = {f.finding_id: "requested" for f in failures[:3]} | {"f-elsewhere": "received"}
    criticised = rules.staff_criticism(failures, prior, explanations, settings)
    assert criticised  # the case is not empty
    assert set(criticised) <= {f.staff_id for f in failures if f.staff_id is not None}


def test_unique_keeps_the_first_of_each_finding():
    a, b = finding(), finding()
    assert rules.unique([a, b, a]) == [a, b]



# --- staff of a unit on the criticism list ---------------------------------------------------

def member(staff_id, position, *, name="Nguyễn Văn A", unit_id=1, desk_unit_id=1):
    return rules.StaffMember(staff_id, name, position, unit_id, desk_unit_id)


CRITICISED = {1: rules.CriticisedUnit(1, "Xã Tân Trào", "Hà Văn Thắng")}


@pytest.mark.parametrize("position", [
    "Giám đốc Trung tâm Phục vụ hành chính công xã (Phó Chủ tịch UBND xã kiêm nhiệm)",
    "Phó Giám đốc Trung tâm Phục vụ hành chính công xã", "phó  giám đốc", "Chủ tịch UBND xã",
    "Phó Chủ tịch UBND xã", "Trưởng phòng Văn hóa - Xã hội", "Phó Trưởng phòng", "Chánh Văn phòng",
])
def test_the_head_and_deputies_of_a_criticised_unit_are_not_commended(position):
    barred, notes = rules.staff_of_criticised_units([member(5, position)], CRITICISED)
    assert barred == {5} and notes == {}


@pytest.mark.parametrize("position", [
    "Công chức Tư pháp - Hộ tịch", "Viên chức tiếp nhận hồ sơ", "Nhân viên hỗ trợ tiếp nhận hồ sơ (hợp đồng)",
    "Công chức Văn phòng - Thống kê (phụ trách Phó Giám đốc vắng)", None,
])
def test_other_staff_of_a_criticised_unit_may_be_with_a_note(position):
    barred, notes = rules.staff_of_criticised_units([member(5, position)], CRITICISED)
    assert barred == set()
    assert notes == {5: "Xã Tân Trào thuộc danh sách đề nghị phê bình người đứng đầu cùng kỳ; "
                        "cá nhân không giữ chức vụ lãnh đạo đơn vị"}


def test_the_head_by_name_and_staff_elsewhere():
    # The unit's head named in the org data, whatever their recorded title.
    head = member(5, "Công chức", name=" hà văn thắng ")
    # Employed elsewhere (a Sở) but at the criticised unit's desk: staff there, not its leader.
    seconded = member(6, "Phó Giám đốc Sở Tư pháp", unit_id=2, desk_unit_id=1)
    # Neither employed by nor working at a criticised unit: untouched.
    elsewhere = member(7, "Phó Giám đốc Trung tâm", unit_id=3, desk_unit_id=3)
    barred, notes = rules.staff_of_criticised_units([head, seconded, elsewhere], CRITICISED)
    assert barred == {5} and set(notes) == {6}
    # Nothing criticised: nothing barred, no notes.
    assert rules.staff_of_criticised_units([head, seconded], {}) == (set(), {})

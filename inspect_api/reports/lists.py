"""The criticism and commendation lists, by the rules of shared/domain/LISTS.md.

Only approved visits count; voided findings never count; thresholds are settings; the
forms come from the `proposed_forms` table by date. Each entry carries its reasons in
plain Vietnamese and the findings (with visits, dates and photos) behind it. The system
proposes; the leader decides.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..checklists.models import Criterion
from ..db import db
from ..text import vietnamese_order
from ..errors import Invalid
from ..evidence.models import Evidence
from ..org.models import Desk, OrgUnit, Staff
from ..reviews.models import Explanation
from ..visits.models import Finding, Visit, visit_staff
from ..visits.service import VIETNAM_TZ
from .models import FrozenList, FrozenListEntry, ProposedForm
from .scores import Scope, approved_visits, effective_findings, unit_scores

SEVERITY_VI = {"critical": "nghiêm trọng", "major": "chính", "minor": "nhỏ"}


@dataclass
class Entry:
    entry_type: str  # "unit" or "staff"
    name: str
    form: ProposedForm
    org_unit_id: int | None = None
    staff_id: int | None = None
    position_title: str | None = None
    org_name: str | None = None
    commune: str | None = None
    head_name: str | None = None
    score: float | None = None
    critical: int = 0
    major: int = 0
    minor: int = 0
    reasons: list[str] = field(default_factory=list)
    explanation_status: str | None = None
    pending_explanation: bool = False
    note: str | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def form_code(self) -> str:
        return self.form.code

    @property
    def form_name(self) -> str:
        return self.form.name

    @property
    def form_legal_basis(self) -> str:
        return self.form.legal_basis

    @property
    def visit_dates(self) -> list[dt.date]:
        return sorted({f["visit_date"] for f in self.findings})


# --- small helpers -------------------------------------------------------------------

def period_label(date_from: dt.date, date_to: dt.date) -> str:
    """'quý IV/2026', 'tháng 11/2026', 'năm 2026', or the two dates."""
    last_day = (date_to + dt.timedelta(days=1)).day == 1
    if date_from.day == 1 and last_day and date_from.year == date_to.year:
        months = date_to.month - date_from.month + 1
        if months == 12:
            return f"năm {date_from.year}"
        if months == 3 and date_from.month in (1, 4, 7, 10):
            return f"quý {('I', 'II', 'III', 'IV')[date_from.month // 3]}/{date_from.year}"
        if months == 1:
            return f"tháng {date_from.month}/{date_from.year}"
    return f"từ {date_from:%d/%m/%Y} đến {date_to:%d/%m/%Y}"


def proposed_form(code: str, on: dt.date) -> ProposedForm:
    """The form in force on a date; remembered for the request (a national list asks
    for the same few forms thousands of times)."""
    cache = g.setdefault("proposed_forms", {})
    if (code, on) not in cache:
        cache[(code, on)] = _load_form(code, on)
    return cache[(code, on)]


def _load_form(code: str, on: dt.date) -> ProposedForm:
    form = db.session.scalar(
        select(ProposedForm).where(ProposedForm.code == code, ProposedForm.valid_from <= on,
                                   or_(ProposedForm.valid_to.is_(None), ProposedForm.valid_to >= on))
        .order_by(ProposedForm.valid_from.desc()))
    if form is None:
        raise Invalid(f"Chưa có hình thức '{code}' áp dụng ngày {on:%d/%m/%Y} trong danh mục hình thức đề nghị.")
    return form


def _settings() -> dict[str, Any]:
    keys = ("LIST_STAFF_CRITICISM_MAJOR", "LIST_STAFF_CRITICISM_MINOR", "LIST_REPEAT_MONTHS",
            "LIST_UNIT_MIN_SCORE", "LIST_UNIT_DOS01_MIN", "LIST_UNIT_DOS03_MIN",
            "LIST_COMMEND_MIN_VISITS", "LIST_COMMEND_MIN_SCORE")
    return {key: current_app.config[key] for key in keys}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",") + " %"


# --- what the rules read -------------------------------------------------------------

def failing_findings(scope: Scope) -> list[dict[str, Any]]:
    """Every counting failure in scope, with what a leader needs to see behind an entry."""
    found = effective_findings(scope)
    rows = db.session.execute(
        select(found.c.finding_id, found.c.visit_id, found.c.staff_id, found.c.org_unit_id,
               found.c.criterion_code, found.c.subject, found.c.severity, found.c.started_at,
               found.c.value_number, Criterion.text.label("criterion_text"), Finding.note,
               Desk.name.label("desk"), User.full_name.label("inspector"))
        .join(Criterion, Criterion.id == found.c.criterion_id)
        .join(Finding, Finding.id == found.c.finding_id)
        .join(Desk, Desk.id == found.c.desk_id)
        .join(User, User.id == Finding.recorded_by_id)
        .where(found.c.result == "fail")
        .order_by(found.c.started_at, found.c.criterion_code)
    ).mappings().all()
    evidence = defaultdict(list)
    ids = [row["finding_id"] for row in rows]
    for start in range(0, len(ids), 5000):
        for finding_id, evidence_id in db.session.execute(
                select(Evidence.finding_id, Evidence.id).where(Evidence.finding_id.in_(ids[start:start + 5000]))
                .order_by(Evidence.uploaded_at)):
            evidence[finding_id].append(str(evidence_id))
    return [{
        "finding_id": str(row["finding_id"]), "visit_id": str(row["visit_id"]),
        "staff_id": row["staff_id"], "org_unit_id": row["org_unit_id"],
        "visit_date": row["started_at"].astimezone(VIETNAM_TZ).date(),
        "desk": row["desk"], "criterion_code": row["criterion_code"],
        "criterion_text": row["criterion_text"], "subject": row["subject"],
        "severity": row["severity"], "result": "fail", "note": row["note"],
        "value": None if row["value_number"] is None else float(row["value_number"]),
        "inspector": row["inspector"], "evidence": evidence.get(row["finding_id"], []),
    } for row in rows]


def _lowest_values(scope: Scope, code: str) -> dict[int, float]:
    found = effective_findings(scope)
    rows = db.session.execute(
        select(found.c.org_unit_id, func.min(found.c.value_number))
        .where(found.c.criterion_code == code, found.c.value_number.is_not(None))
        .group_by(found.c.org_unit_id))
    return {unit_id: float(value) for unit_id, value in rows}


def _visit_day(started_at: dt.datetime) -> dt.date:
    return started_at.astimezone(VIETNAM_TZ).date()


def _duty_dates(scope: Scope) -> dict[int, list[dt.date]]:
    """The days of the approved visits each official was on duty in (one per visit)."""
    visits = approved_visits(scope)
    duty: dict[int, list[dt.date]] = defaultdict(list)
    for staff_id, started_at in db.session.execute(
            select(visit_staff.c.staff_id, visits.c.started_at)
            .join(visits, visits.c.visit_id == visit_staff.c.visit_id)
            .order_by(visits.c.started_at)):
        duty[staff_id].append(_visit_day(started_at))
    return duty


def _unit_visit_dates(scope: Scope) -> dict[int, list[dt.date]]:
    visits = approved_visits(scope)
    dates: dict[int, list[dt.date]] = defaultdict(list)
    for unit_id, started_at in db.session.execute(
            select(visits.c.org_unit_id, visits.c.started_at).order_by(visits.c.started_at)):
        dates[unit_id].append(_visit_day(started_at))
    return dates


def _dates(days: list[dt.date]) -> str:
    return ", ".join(f"{day:%d/%m/%Y}" for day in days)


def _open_failures(scope: Scope) -> tuple[set[int], set[int]]:
    """(officials, units) with a failure in a visit of the period not yet approved: an
    open finding keeps them off a commendation list until it is settled."""
    rows = db.session.execute(
        select(Finding.staff_id, Desk.org_unit_id).join(Visit, Visit.id == Finding.visit_id)
        .join(Desk, Desk.id == Visit.desk_id).join(OrgUnit, OrgUnit.id == Desk.org_unit_id)
        .where(Finding.result == "fail",
               Visit.status.in_(("submitted", "returned")),
               Visit.started_at >= scope.start, Visit.started_at < scope.end,
               OrgUnit.path.startswith(scope.org_unit.path)).distinct()).all()
    return {staff_id for staff_id, _ in rows if staff_id is not None}, {unit_id for _, unit_id in rows}


def _explanations(finding_ids: list[str]) -> dict[str, Explanation]:
    import uuid

    result = {}
    ids = [uuid.UUID(i) for i in finding_ids]
    for start in range(0, len(ids), 5000):
        for row in db.session.scalars(select(Explanation).where(Explanation.finding_id.in_(ids[start:start + 5000]))):
            result[str(row.finding_id)] = row
    return result


def _pending_explanation_staff(scope: Scope) -> set[int]:
    rows = db.session.scalars(
        select(Explanation.staff_id).join(Staff, Staff.id == Explanation.staff_id)
        .join(OrgUnit, OrgUnit.id == Staff.org_unit_id)
        .where(Explanation.status == "requested", OrgUnit.path.startswith(scope.org_unit.path)))
    return set(rows)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months later (the month's last day if shorter)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _prior_criticism(staff_ids: set[int], scope: Scope, months: int) -> dict[int, list[dt.date]]:
    """The dates of the signed phê bình of each official that a failure of the period
    can repeat: signed at most `months` before the period starts, and before it ends."""
    if not staff_ids:
        return {}
    result: dict[int, list[dt.date]] = defaultdict(list)
    ids = sorted(staff_ids)
    for start in range(0, len(ids), 5000):
        for staff_id, signed in db.session.execute(
                select(FrozenListEntry.staff_id, FrozenList.document_date)
                .join(FrozenList, FrozenList.id == FrozenListEntry.list_id)
                .where(FrozenListEntry.staff_id.in_(ids[start:start + 5000]),
                       FrozenListEntry.form_code == "phe_binh",
                       FrozenList.document_date >= add_months(scope.date_from, -months),
                       FrozenList.document_date <= scope.date_to).distinct()):
            result[staff_id].append(signed)
    return {staff_id: sorted(dates) for staff_id, dates in result.items()}


def _repeated_after(signed: list[dt.date], day: dt.date, months: int) -> dt.date | None:
    """The latest phê bình signed before `day` and at most `months` months before it:
    a failure on `day` repeats it (tái phạm)."""
    earlier = [d for d in signed if d < day <= add_months(d, months)]
    return earlier[-1] if earlier else None


def _describe(finding: dict[str, Any]) -> str:
    return (f"{finding['criterion_code']} ({SEVERITY_VI[finding['severity']]}) ngày "
            f"{finding['visit_date']:%d/%m/%Y} tại {finding['desk']}")


# --- the rules -----------------------------------------------------------------------

def _unit_criticism(scope: Scope, failures, scores, rules) -> dict[int, tuple[list[str], list[dict]]]:
    """Units whose head is to be criticised: reasons and the findings behind them."""
    dos01 = _lowest_values(scope, "DOS-01")
    dos03 = _lowest_values(scope, "DOS-03")
    by_unit: dict[int, tuple[list[str], list[dict]]] = {}
    critical_unit = defaultdict(list)
    for finding in failures:
        if finding["subject"] == "unit" and finding["severity"] == "critical":
            critical_unit[finding["org_unit_id"]].append(finding)
    by_unit_failures: dict[int, list[dict]] = defaultdict(list)
    for finding in failures:
        by_unit_failures[finding["org_unit_id"]].append(finding)
    flagged = {f["org_unit_id"] for f in failures if f["criterion_code"] in ("DOS-01", "DOS-03")}
    for unit_id in set(critical_unit) | set(scores) | set(dos01) | set(dos03) | flagged:
        reasons, evidence_findings = [], []
        if critical_unit.get(unit_id):
            found = critical_unit[unit_id]
            reasons.append("Vi phạm nghiêm trọng: " + "; ".join(_describe(f) for f in found))
            evidence_findings += found
        score = scores.get(unit_id, {}).get("mean_score")
        if score is not None and score < rules["LIST_UNIT_MIN_SCORE"]:
            reasons.append(f"Điểm trung bình {_pct(score)}, dưới mức {_pct(rules['LIST_UNIT_MIN_SCORE'])}")
            # The failures that brought the score down, so the entry explains itself.
            evidence_findings += by_unit_failures.get(unit_id, [])
        for code, lowest, setting, label in (
                ("DOS-01", dos01, "LIST_UNIT_DOS01_MIN", "Tỷ lệ hồ sơ giải quyết đúng hạn"),
                ("DOS-03", dos03, "LIST_UNIT_DOS03_MIN", "Tỷ lệ hồ sơ quá hạn có Phiếu xin lỗi")):
            behind = [f for f in by_unit_failures.get(unit_id, []) if f["criterion_code"] == code]
            if unit_id in lowest and lowest[unit_id] < rules[setting]:
                reasons.append(f"{label} ({code}) thấp nhất {_pct(lowest[unit_id])}, dưới {_pct(rules[setting])}")
                evidence_findings += behind
            elif any(f["value"] is None for f in behind):
                # Recorded as failing without the figure: below the threshold by the
                # inspector's own judgement.
                reasons.append(f"{label} ({code}) không đạt mức {_pct(rules[setting])}")
                evidence_findings += behind
        if reasons:
            by_unit[unit_id] = (reasons, evidence_findings)
    return by_unit


def _unit_commendation(scope: Scope, failures, scores, rules, criticised: set[int]) -> dict[int, list[str]]:
    """Units to commend; not those with a working-hours breach (DIS-*), a failure still
    open in a visit not yet approved, or on the criticism list."""
    dis_units = {f["org_unit_id"] for f in failures if f["criterion_code"].startswith("DIS-")}
    open_units = _open_failures(scope)[1]
    dates = _unit_visit_dates(scope)
    chosen = {}
    for unit_id, row in scores.items():
        score = row["mean_score"]
        if (row["visits"] >= rules["LIST_COMMEND_MIN_VISITS"] and score is not None
                and score >= rules["LIST_COMMEND_MIN_SCORE"] and row["critical"] == 0 and row["major"] == 0
                and unit_id not in dis_units and unit_id not in criticised and unit_id not in open_units):
            chosen[unit_id] = [f"{row['visits']} buổi kiểm tra đã duyệt (ngày {_dates(dates[unit_id])}), "
                               f"điểm trung bình {_pct(score)}, không có vi phạm chính hoặc nghiêm trọng"]
    return chosen


def _staff_criticism(failures, rules, explanations, prior) -> dict[int, dict[str, Any]]:
    by_staff = defaultdict(list)
    for finding in failures:
        if finding["staff_id"] is not None:
            by_staff[finding["staff_id"]].append(finding)
    result = {}
    for staff_id, found in by_staff.items():
        counts = {level: sum(1 for f in found if f["severity"] == level) for level in SEVERITY_VI}
        critical = [f for f in found if f["severity"] == "critical"]
        # A major failure within LIST_REPEAT_MONTHS after a signed phê bình (tái phạm).
        repeated_after = defaultdict(list)
        for f in found:
            signed = (_repeated_after(prior[staff_id], f["visit_date"], rules["LIST_REPEAT_MONTHS"])
                      if f["severity"] == "major" and staff_id in prior else None)
            if signed is not None:
                repeated_after[signed].append(f)
        repeats = [f for group in repeated_after.values() for f in group]
        reasons = []
        if critical:
            reasons.append("Vi phạm nghiêm trọng: " + "; ".join(_describe(f) for f in critical))
        for signed, group in sorted(repeated_after.items()):
            reasons.append(f"Tái phạm trong {rules['LIST_REPEAT_MONTHS']} tháng sau khi bị phê bình "
                           f"(văn bản ngày {signed:%d/%m/%Y}): " + "; ".join(_describe(f) for f in group))
        others = [f for f in found if f not in critical and f not in repeats]
        if others:
            reasons.append("Không đạt: " + "; ".join(_describe(f) for f in others))
        # A critical finding grounds a discipline proposal only with a photo behind it
        # (LISTS.md); without one it still puts the official on the list for phê bình.
        unproven = [f for f in critical if not f["evidence"]]
        discipline = [f for f in critical if f["evidence"]] + repeats
        criticism = (bool(critical) or counts["major"] >= rules["LIST_STAFF_CRITICISM_MAJOR"]
                     or counts["minor"] >= rules["LIST_STAFF_CRITICISM_MINOR"])
        if not discipline and not criticism:
            continue
        statuses = [explanations[f["finding_id"]].status if f["finding_id"] in explanations else None
                    for f in discipline]
        settled = bool(discipline) and all(s in ("received", "lapsed") for s in statuses)
        if not discipline:
            status = None
        elif settled:
            status = "lapsed" if "lapsed" in statuses else "received"
        else:
            status = "requested" if "requested" in statuses else "not_requested"
        result[staff_id] = {"findings": found, "counts": counts, "reasons": reasons,
                            "discipline": bool(discipline), "settled": settled,
                            "explanation_status": status, "unproven": unproven}
    return result


def compute_list(kind: str, scope: Scope) -> list[Entry]:
    """The list as the rules make it today, units first, then officials; heavier forms
    first within each, then names in Vietnamese order."""
    if kind not in ("criticism", "commendation"):
        raise Invalid("Loại danh sách là criticism hoặc commendation.",
                      errors={"query": {"kind": ["criticism | commendation"]}})
    rules = _settings()
    on = scope.date_to
    failures = failing_findings(scope)
    scores = {row["id"]: row for row in unit_scores(scope)}
    units = {u.id: u for u in db.session.scalars(select(OrgUnit).where(
        OrgUnit.path.startswith(scope.org_unit.path)))}
    criticised_units = _unit_criticism(scope, failures, scores, rules)
    staff_failures = {f["finding_id"] for f in failures if f["staff_id"] is not None}
    explanations = _explanations(sorted(staff_failures))
    staff_ids = {f["staff_id"] for f in failures if f["staff_id"] is not None}
    prior = _prior_criticism(staff_ids, scope, rules["LIST_REPEAT_MONTHS"])
    criticised_staff = _staff_criticism(failures, rules, explanations, prior)
    entries: list[Entry] = []

    if kind == "criticism":
        previous = _unit_criticism(scope.previous(), failing_findings(scope.previous()),
                                   {row["id"]: row for row in unit_scores(scope.previous())}, rules)
        for unit_id, (reasons, found) in criticised_units.items():
            unit = units[unit_id]
            repeated = unit_id in previous
            if repeated:
                reasons = reasons + ["Hai kỳ liên tiếp thuộc diện phê bình người đứng đầu"]
            entries.append(_unit_entry(unit, scores.get(unit_id), reasons, found,
                                       proposed_form("kiem_diem_nguoi_dung_dau" if repeated else "phe_binh_nguoi_dung_dau", on)))
        staff_rows = _staff_rows(set(criticised_staff))
        for staff_id, info in criticised_staff.items():
            staff = staff_rows[staff_id]
            notes = []
            if info["discipline"] and info["settled"]:
                form, pending = proposed_form("ky_luat_khien_trach", on), False
            else:
                form, pending = proposed_form("phe_binh", on), info["discipline"]
                if pending:
                    notes.append("Chờ giải trình: chưa đủ điều kiện đề nghị xem xét xử lý kỷ luật"
                                 if info["explanation_status"] == "requested" else
                                 "Chờ giải trình (chưa yêu cầu cán bộ giải trình): chưa đủ điều kiện đề nghị "
                                 "xem xét xử lý kỷ luật")
            if info["unproven"]:
                notes.append("Vi phạm nghiêm trọng chưa có ảnh minh chứng ("
                             + ", ".join(f["criterion_code"] for f in info["unproven"])
                             + "): chưa đủ căn cứ đề nghị xem xét xử lý kỷ luật")
            note = "; ".join(notes) or None
            entries.append(_staff_entry(staff, info["reasons"], info["findings"], form, info["counts"],
                                        info["explanation_status"], pending, note))
    else:
        criticised = set(criticised_units)
        previous_scope = scope.previous()
        previous_scores = {row["id"]: row for row in unit_scores(previous_scope)}
        previous_failures = failing_findings(previous_scope)
        previous_units = _unit_commendation(
            previous_scope, previous_failures, previous_scores, rules,
            set(_unit_criticism(previous_scope, previous_failures, previous_scores, rules)))
        for unit_id, reasons in _unit_commendation(scope, failures, scores, rules, criticised).items():
            award = unit_id in previous_units
            if award:
                reasons = reasons + ["Được biểu dương hai kỳ liên tiếp"]
            entries.append(_unit_entry(units[unit_id], scores[unit_id], reasons, [],
                                       proposed_form("giay_khen" if award else "bieu_duong", on)))
        commended = _commended_staff(scope, failures, rules, set(criticised_staff))
        previous_commended = _commended_staff(previous_scope, previous_failures, rules, set())
        staff_rows = _staff_rows(set(commended))
        for staff_id, days in commended.items():
            award = staff_id in previous_commended
            reasons = [f"Trực tại Bộ phận Một cửa trong {len(days)} buổi kiểm tra đã duyệt "
                       f"(ngày {_dates(days)}), không có vi phạm"]
            if award:
                reasons.append("Được biểu dương hai kỳ liên tiếp")
            entries.append(_staff_entry(staff_rows[staff_id], reasons, [],
                                        proposed_form("giay_khen" if award else "bieu_duong", on),
                                        {level: 0 for level in SEVERITY_VI}, None, False, None))

    entries.sort(key=lambda e: (e.entry_type != "unit", -e.form.rank, vietnamese_order(e.name)))
    return entries


def _commended_staff(scope: Scope, failures, rules, criticised: set[int]) -> dict[int, list[dt.date]]:
    """Officials to commend, with the days of the visits they were on duty in."""
    duty = _duty_dates(scope)
    failed = {f["staff_id"] for f in failures if f["staff_id"] is not None}
    excluded = failed | criticised | _open_failures(scope)[0] | _pending_explanation_staff(scope)
    return {staff_id: days for staff_id, days in duty.items()
            if len(days) >= rules["LIST_COMMEND_MIN_VISITS"] and staff_id not in excluded}


def _staff_rows(ids: set[int]) -> dict[int, Staff]:
    rows = {}
    id_list = sorted(ids)
    for start in range(0, len(id_list), 5000):
        for staff in db.session.scalars(
                select(Staff).where(Staff.id.in_(id_list[start:start + 5000]))
                .options(selectinload(Staff.org_unit), selectinload(Staff.desk).selectinload(Desk.org_unit))):
            rows[staff.id] = staff
    return rows


def _unit_entry(unit: OrgUnit, score_row, reasons, findings, form) -> Entry:
    score_row = score_row or {}
    return Entry(
        entry_type="unit", name=unit.name, form=form, org_unit_id=unit.id, head_name=unit.head_name,
        commune=unit.name, org_name=unit.name, score=score_row.get("mean_score"),
        critical=score_row.get("critical", 0), major=score_row.get("major", 0),
        minor=score_row.get("minor", 0), reasons=reasons, findings=_unique(findings))


def _staff_entry(staff: Staff, reasons, findings, form, counts, explanation_status, pending, note) -> Entry:
    desk_unit = staff.desk.org_unit if staff.desk is not None else staff.org_unit
    return Entry(
        entry_type="staff", name=staff.full_name, form=form, staff_id=staff.id,
        org_unit_id=staff.org_unit_id, position_title=staff.position, org_name=staff.org_unit.name,
        commune=desk_unit.name, critical=counts["critical"], major=counts["major"],
        minor=counts["minor"], reasons=reasons, explanation_status=explanation_status,
        pending_explanation=pending, note=note, findings=_unique(findings))


def _unique(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, result = set(), []
    for finding in findings:
        if finding["finding_id"] not in seen:
            seen.add(finding["finding_id"])
            result.append(finding)
    return result


__all__ = ["Entry", "compute_list", "period_label", "proposed_form"]

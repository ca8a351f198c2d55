"""The Thông báo kết quả kiểm tra (conclusion notice) of one inspected unit for one round
(inspection plan) as content, whatever the format: the PDF (templates/notice.html) and
the .docx (notice_docx.py) both print what `notice_view()` makes of a `NoticeContent`, so
they cannot disagree.

What the notice says (shared/domain/LISTS.md, "After the round"): what was inspected and
when (the unit's desks visited in the plan, approved visits only), what was done well
(the checklist sections all of whose checked criteria passed), each shortcoming (by
criterion: what was seen at which desk on which day, the officials concerned, the
severity the reviewer left, the criterion's legal basis printed as stored, so its own
"(chưa đối chiếu)" stays), the corrections required with their deadlines, and the day
by which the unit reports what it fixed.

The reporting deadline is the latest deadline of the corrections still owed: each
correction is due on its own day (by severity), and a single report covering all of
them can only be asked for once the last is due. A unit with nothing left to fix is
asked for no report.

`notice_content()` reads the database once, at issue (or for a draft); the content is
then stored as JSON (`as_json`) and printed from that copy (`from_json`), so a later
review never changes an issued notice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..checklists.models import SEVERITIES
from ..corrections.models import ACTIVE_STATUSES, Correction
from ..db import db
from ..org.models import Desk, OrgUnit, Staff
from ..plans.models import InspectionPlan
from ..reports.service import province_of
from ..reviews.models import FindingReview, Review
from ..timezone import VIETNAM_TZ
from ..visits.models import Finding, Visit
from .minutes import SECTION_NAMES, SEVERITY_NAMES, finding_value
from .proposal import long_date
from .render import vn_date, vn_number

ARCHIVE = "Lưu: VT."
DIRECTOR = "Giám đốc Sở (để b/c);"
TITLE = "THÔNG BÁO"
# Milder last: the order a unit reads its shortcomings in.
SEVERITY_ORDER = {name: rank for rank, name in enumerate(reversed(SEVERITIES))}


class NoApprovedVisit(Exception):
    """The unit has no approved visit in the plan: there is nothing to conclude yet."""


@dataclass(frozen=True)
class VisitedDesk:
    name: str
    address: str
    days: list[str]  # ISO dates of its approved visits in the plan, in order
    teams: list[str]


@dataclass(frozen=True)
class Observation:
    """One failing finding: where and when, and what the inspector recorded."""

    desk: str
    day: str  # ISO date
    seen: str
    official: str  # "" for a unit-level criterion


@dataclass(frozen=True)
class Shortcoming:
    """A criterion failed in the unit's approved visits of the plan."""

    code: str
    text: str
    section: str
    severity: str  # the gravest the reviewers left on its findings
    legal_basis: str
    officials: list[str]  # each official once, "Name (position)"
    observations: list[Observation]


@dataclass(frozen=True)
class RequiredCorrection:
    correction_id: int
    code: str
    text: str
    desk: str
    official: str
    severity: str
    deadline: str  # ISO date
    status: str


@dataclass(frozen=True)
class NoticeContent:
    plan_id: int
    plan_title: str
    decision_number: str
    org_unit_id: int
    unit_name: str
    supervising_body: str
    issuing_body: str
    issuer_short: str  # "Sở Nội vụ", as the body names the issuer
    place: str
    first_day: str  # ISO dates of the first and last approved visit
    last_day: str
    visits: int
    desks: list[VisitedDesk]
    checked_criteria: int
    passed_sections: list[str]  # "Cơ sở vật chất, trang thiết bị (5/5 tiêu chí)"
    shortcomings: list[Shortcoming]
    corrections: list[RequiredCorrection]
    report_by: str | None  # ISO date, None when nothing is owed
    recipients: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NoticeContent:
        return cls(**{
            **data,
            "desks": [VisitedDesk(**d) for d in data["desks"]],
            "shortcomings": [Shortcoming(**{**s, "observations": [Observation(**o) for o in s["observations"]]})
                             for s in data["shortcomings"]],
            "corrections": [RequiredCorrection(**c) for c in data["corrections"]],
        })


def issuer_of(unit: OrgUnit) -> dict[str, str]:
    """The header's two lines and the body's name for the issuer: a province's plan is
    carried out by its Sở Nội vụ under the People's Committee (as the minutes and lists
    say); a lower unit's plan by that unit."""
    province = province_of(unit).name
    place = province.removeprefix("Tỉnh ").removeprefix("Thành phố ")
    if unit.parent_id is None:
        return {"supervising_body": f"ỦY BAN NHÂN DÂN {unit.name.upper()}", "issuing_body": "SỞ NỘI VỤ",
                "issuer_short": "Sở Nội vụ", "place": place}
    parent = db.session.get_one(OrgUnit, unit.parent_id)
    return {"supervising_body": parent.name.upper(), "issuing_body": unit.name.upper(),
            "issuer_short": unit.name, "place": place}


def _vietnam_day(instant: dt.datetime) -> dt.date:
    return instant.astimezone(VIETNAM_TZ).date()


def _official(staff: Staff | None) -> str:
    if staff is None:
        return ""
    return f"{staff.full_name} ({staff.position})" if staff.position else staff.full_name


def approved_visits(plan: InspectionPlan, unit: OrgUnit) -> list[Visit]:
    """The plan's approved visits at the unit's own desks, first first."""
    return list(db.session.scalars(
        select(Visit).join(Desk, Desk.id == Visit.desk_id)
        .where(Visit.plan_id == plan.id, Visit.status == "approved", Desk.org_unit_id == unit.id)
        .order_by(Visit.started_at, Visit.id)
        .options(selectinload(Visit.findings).selectinload(Finding.criterion),
                 selectinload(Visit.findings).selectinload(Finding.staff),
                 selectinload(Visit.desk), selectinload(Visit.team))))


def _latest_notes(visit_ids: list) -> dict:
    """The approving (latest) review's note on each finding: voided, or a new severity."""
    latest = {visit_id: review_id for visit_id, review_id in db.session.execute(
        select(Review.visit_id, Review.id).where(Review.visit_id.in_(visit_ids)).order_by(Review.id))}
    if not latest:
        return {}
    return {note.finding_id: note for note in db.session.scalars(
        select(FindingReview).where(FindingReview.review_id.in_(list(latest.values()))))}


def notice_content(plan: InspectionPlan, unit: OrgUnit) -> NoticeContent:
    """What the notice to `unit` for `plan` says now. NoApprovedVisit when there is none."""
    visits = approved_visits(plan, unit)
    if not visits:
        raise NoApprovedVisit(unit.id)
    notes = _latest_notes([v.id for v in visits])

    desks: dict[int, dict[str, Any]] = {}
    # Per section: the criteria checked (pass or fail) and those that failed.
    checked: dict[str, set[str]] = defaultdict(set)
    failed_in: dict[str, set[str]] = defaultdict(set)
    failing: dict[str, list[tuple[Visit, Finding, str]]] = defaultdict(list)
    for visit in visits:
        entry = desks.setdefault(visit.desk_id, {"name": visit.desk.name, "address": visit.desk.address or "",
                                                 "days": [], "teams": []})
        day = _vietnam_day(visit.started_at).isoformat()
        if day not in entry["days"]:
            entry["days"].append(day)
        if visit.team.name not in entry["teams"]:
            entry["teams"].append(visit.team.name)
        for finding in visit.findings:
            note = notes.get(finding.id)
            if (note is not None and note.voided) or finding.result not in ("pass", "fail"):
                continue
            criterion = finding.criterion
            checked[criterion.category].add(criterion.code)
            if finding.result == "fail":
                failed_in[criterion.category].add(criterion.code)
                severity = (note.severity if note is not None and note.severity else criterion.severity)
                failing[criterion.code].append((visit, finding, severity))

    passed_sections = [
        f"{SECTION_NAMES.get(category, category)} ({vn_number(len(codes))}/{vn_number(len(codes))} tiêu chí)"
        for category, codes in sorted(checked.items(), key=lambda item: _section_rank(item[0]))
        if not failed_in.get(category)]
    shortcomings = [_shortcoming(code, rows) for code, rows in failing.items()]
    shortcomings.sort(key=lambda s: (SEVERITY_ORDER.get(s.severity, 9), s.code))

    corrections = [
        RequiredCorrection(
            correction_id=c.id, code=c.criterion_code, text=c.criterion_text,
            desk=desks[c.desk_id]["name"] if c.desk_id in desks else "",
            official=_official(db.session.get(Staff, c.staff_id) if c.staff_id else None),
            severity=c.severity, deadline=c.deadline.isoformat(), status=c.status)
        for c in db.session.scalars(
            select(Correction).where(Correction.visit_id.in_([v.id for v in visits]),
                                     Correction.status != "withdrawn")
            .order_by(Correction.deadline, Correction.criterion_code, Correction.id))]
    owed = [c.deadline for c in corrections if c.status in ACTIVE_STATUSES]
    days = sorted({_vietnam_day(v.started_at) for v in visits})
    issuer = issuer_of(plan.org_unit)
    return NoticeContent(
        plan_id=plan.id, plan_title=plan.title, decision_number=plan.decision_number,
        org_unit_id=unit.id, unit_name=unit.name, **issuer,
        first_day=days[0].isoformat(), last_day=days[-1].isoformat(), visits=len(visits),
        desks=[VisitedDesk(**d) for d in desks.values()],
        checked_criteria=len({code for codes in checked.values() for code in codes}),
        passed_sections=passed_sections, shortcomings=shortcomings, corrections=corrections,
        report_by=max(owed) if owed else None,
        recipients=[f"{unit.name};", DIRECTOR, ARCHIVE])


def _section_rank(category: str) -> int:
    names = list(SECTION_NAMES)
    return names.index(category) if category in names else len(names)


def _shortcoming(code: str, rows: list[tuple[Visit, Finding, str]]) -> Shortcoming:
    criterion = rows[0][1].criterion
    officials: list[str] = []
    observations = []
    for visit, finding, _ in rows:
        official = _official(finding.staff)
        if official and official not in officials:
            officials.append(official)
        value = finding_value(finding)
        # The note as the inspector wrote it, without its full stop: the sentence goes on.
        note = (finding.note or "").strip().rstrip(".").strip()
        if note and value:
            seen = f"{note} (giá trị ghi nhận: {value})"
        else:
            seen = note or (f"giá trị ghi nhận: {value}" if value else "không đạt")
        observations.append(Observation(desk=visit.desk.name, day=_vietnam_day(visit.started_at).isoformat(),
                                         seen=seen, official=official))
    severity = min((severity for _, _, severity in rows), key=lambda s: SEVERITY_ORDER.get(s, 9))
    return Shortcoming(code=code, text=criterion.text, section=SECTION_NAMES.get(criterion.category, ""),
                       severity=severity, legal_basis=criterion.legal_basis or "", officials=officials,
                       observations=observations)


# --- what is printed -------------------------------------------------------------------

@dataclass(frozen=True)
class NoticeView:
    """Display strings for the templates and the .docx: the header, the title, the body's
    paragraphs and the corrections table, Nơi nhận and the signature."""

    draft: bool
    supervising_body: str
    issuing_body: str
    number_line: str
    place_date: str
    title: str
    subject: str
    opening: str
    inspected: list[str]
    strengths: list[str]
    shortcomings: list[dict[str, Any]]
    corrections_lead: str
    corrections: list[dict[str, str]]
    report_line: str
    closing: str
    recipients: list[str]
    signer_title: list[str]
    signer_name: str


def _dates(days: list[str]) -> str:
    return ", ".join(vn_date(dt.date.fromisoformat(day)) for day in days)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def notice_view(content: NoticeContent, *, document_number: str | None, document_date: dt.date | None,
                signer_name: str, signer_title: str) -> NoticeView:
    """The notice as printed; without a number and date it is the draft (DỰ THẢO)."""
    c = content
    first, last = dt.date.fromisoformat(c.first_day), dt.date.fromisoformat(c.last_day)
    when = (f"ngày {vn_date(first)}" if first == last
            else f"từ ngày {vn_date(first)} đến ngày {vn_date(last)}")
    issuer = c.issuer_short
    opening = (f"Thực hiện Quyết định số {c.decision_number} về việc {_lower_first(c.plan_title)}, "
               f"{when}, đoàn kiểm tra đã kiểm tra việc thực hiện cơ chế một cửa, một cửa liên thông tại "
               f"{c.unit_name} ({vn_number(c.visits)} buổi kiểm tra đã được duyệt). "
               f"{issuer} thông báo kết quả kiểm tra như sau:")
    inspected = [f"- {d.name}{f' ({d.address})' if d.address else ''}: kiểm tra ngày {_dates(d.days)}"
                 f" ({', '.join(d.teams)})." for d in c.desks]
    inspected.append(f"- Nội dung kiểm tra: {vn_number(c.checked_criteria)} tiêu chí của bộ tiêu chí "
                     f"kiểm tra hoạt động Bộ phận Một cửa.")
    strengths = ([f"- {section}: đạt toàn bộ các tiêu chí được kiểm tra." for section in c.passed_sections]
                 or ["- Không có nhóm nội dung nào đạt toàn bộ các tiêu chí được kiểm tra."])
    shortcomings = []
    for index, s in enumerate(c.shortcomings, 1):
        seen = "; ".join(f"{o.desk}, ngày {vn_date(dt.date.fromisoformat(o.day))}: {o.seen}"
                         + (f" ({o.official})" if o.official and len(s.officials) > 1 else "")
                         for o in s.observations)
        shortcomings.append({
            "heading": f"{index}. {s.code}: {s.text}",
            "seen": f"Ghi nhận: {seen}.",
            "officials": f"Công chức liên quan: {', '.join(s.officials)}." if s.officials else "",
            "severity": f"Mức độ: {SEVERITY_NAMES.get(s.severity, s.severity)}.",
            "legal_basis": f"Căn cứ: {s.legal_basis}." if s.legal_basis else "Căn cứ: chưa ghi nhận.",
        })
    corrections = [{"number": str(i), "content": f"{r.code}: {r.text}", "desk": r.desk, "official": r.official,
                    "severity": SEVERITY_NAMES.get(r.severity, r.severity),
                    "deadline": vn_date(dt.date.fromisoformat(r.deadline))}
                   for i, r in enumerate(c.corrections, 1)]
    if c.corrections:
        corrections_lead = (f"Đề nghị {c.unit_name} chỉ đạo khắc phục ngay các tồn tại, hạn chế nêu trên, "
                            f"hoàn thành trong thời hạn sau:")
    else:
        corrections_lead = "Không có nội dung phải khắc phục."
    if c.report_by:
        report_line = (f"{c.unit_name} báo cáo kết quả khắc phục (kèm ảnh chụp kết quả) về {issuer} trước ngày "
                       f"{vn_date(dt.date.fromisoformat(c.report_by))}; việc khắc phục được kiểm tra lại "
                       f"trong lần kiểm tra tiếp theo.")
    else:
        report_line = f"{c.unit_name} tiếp tục duy trì kết quả đạt được."
    title_lines = [part.strip().upper() for part in signer_title.split("\n") if part.strip()]
    return NoticeView(
        draft=document_number is None,
        supervising_body=c.supervising_body, issuing_body=c.issuing_body,
        number_line=f"Số: {document_number}" if document_number else "Số: ……/TB-……",
        place_date=f"{c.place}, {long_date(document_date)}" if document_date
        else f"{c.place}, ngày …… tháng …… năm ……",
        title=TITLE, subject=f"Kết quả kiểm tra hoạt động Bộ phận Một cửa tại {c.unit_name}",
        opening=opening, inspected=inspected, strengths=strengths, shortcomings=shortcomings,
        corrections_lead=corrections_lead, corrections=corrections, report_line=report_line,
        closing=f"{issuer} thông báo để {c.unit_name} biết, thực hiện./.",
        recipients=list(c.recipients), signer_title=title_lines, signer_name=signer_name)

"""The rules of the criticism and commendation lists (shared/domain/LISTS.md), one small
function per rule, over typed records and nothing else: no database, no Flask.

`lists.py` loads the records for a period and assembles the entries; every decision on
who is listed, with what reason and under which form, is made here. A rule that changes
(issue 9) changes in its one function; a threshold is a setting (`ListSettings`); a
criterion code or a form code is data in the tables below.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache, partial
from typing import Any, NamedTuple

# --- data: settings, criterion codes, form codes ---------------------------------------


@dataclass(frozen=True)
class ListSettings:
    """The thresholds of the rules; each field is the setting `LIST_<FIELD>` of config.py."""

    staff_criticism_major: int
    staff_criticism_minor: int
    repeat_months: int
    unit_min_score: float
    unit_dos01_min: float
    unit_dos03_min: float
    commend_min_visits: int
    commend_min_score: float
    # Last, with a default: lists frozen before it existed keep their settings as stored.
    unit_corrections_missed: int = 1

    @staticmethod
    def setting_name(field_name: str) -> str:
        return f"LIST_{field_name.upper()}"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ListSettings:
        return cls(**{f.name: config[cls.setting_name(f.name)] for f in fields(cls)})

    def as_settings(self) -> dict[str, Any]:
        """The settings by their config names, as a list shows and freezes them."""
        return {self.setting_name(f.name): getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class DossierRate:
    """A percent criterion whose lowest value in the period criticises a unit's head."""

    code: str
    label: str
    threshold: Callable[[ListSettings], float]


DOSSIER_RATES: tuple[DossierRate, ...] = (
    DossierRate("DOS-01", "Tỷ lệ hồ sơ giải quyết đúng hạn", lambda s: s.unit_dos01_min),
    DossierRate("DOS-03", "Tỷ lệ hồ sơ quá hạn có văn bản xin lỗi", lambda s: s.unit_dos03_min),
)
# Criteria of working hours (CV 2114/UBND 2017): a breach bars commendation.
WORKING_HOURS_PREFIX = "DIS-"


class Form:
    """Codes of the `proposed_forms` table (seed/forms.yaml) the rules propose."""

    STAFF_CRITICISM = "phe_binh"
    STAFF_DISCIPLINE = "ky_luat_khien_trach"
    HEAD_CRITICISM = "phe_binh_nguoi_dung_dau"
    HEAD_REVIEW = "kiem_diem_nguoi_dung_dau"
    PRAISE = "bieu_duong"
    AWARD = "giay_khen"
    # No rule proposes a Bằng khen yet; its authority is known (award_authority).
    PROVINCE_AWARD = "bang_khen"


# What a signed list of the previous period must show for "two periods in a row".
HEAD_CRITICISM_FORMS = (Form.HEAD_CRITICISM, Form.HEAD_REVIEW)
PRAISE_FORMS = (Form.PRAISE, Form.AWARD)
# Forms that name who awards them (award_authority).
AWARD_FORMS = (Form.AWARD, Form.PROVINCE_AWARD)
# Kinds of org unit whose chairman (Chủ tịch UBND cấp xã) awards a Giấy khen (Luật TĐKT
# 2022 Đ80.3); a department's head does for its own (Đ80.1).
COMMUNE_KINDS = ("commune", "ward", "special_zone")
# Position titles of a unit's leaders, deputies being "Phó " + one of them.
LEADER_TITLES = ("giám đốc", "chủ tịch", "trưởng", "chánh", "thủ trưởng")


SEVERITY_VI = {"critical": "nghiêm trọng", "major": "chính", "minor": "nhỏ"}
# Explanation statuses that settle discipline grounds: explained, or the deadline passed.
SETTLED_EXPLANATIONS = ("received", "lapsed")


# --- records -----------------------------------------------------------------------


class FailingFinding(NamedTuple):
    """A counting failure (approved visit, not voided, severity as reviewed), with what a
    leader needs to see behind an entry. A named tuple, immutable as a frozen dataclass
    would be but made five times faster: a national year reads 59,000 of them."""

    finding_id: str
    visit_id: str
    staff_id: int | None
    org_unit_id: int
    visit_date: dt.date
    desk: str
    criterion_code: str
    criterion_text: str
    subject: str  # "unit" or "staff"
    severity: str
    note: str | None
    value: float | None
    inspector: str | None
    evidence: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The shape an entry carries and a frozen list stores."""
        return {
            "finding_id": self.finding_id, "visit_id": self.visit_id, "staff_id": self.staff_id,
            "org_unit_id": self.org_unit_id, "visit_date": self.visit_date, "desk": self.desk,
            "criterion_code": self.criterion_code, "criterion_text": self.criterion_text,
            "subject": self.subject, "severity": self.severity, "result": "fail", "note": self.note,
            "value": self.value, "inspector": self.inspector, "evidence": list(self.evidence),
        }


@dataclass(frozen=True)
class UnitScore:
    """A unit's approved visits, mean score and failures by severity in the period."""

    unit_id: int
    visits: int
    mean_score: float | None
    critical: int = 0
    major: int = 0
    minor: int = 0


@dataclass(frozen=True)
class Ground:
    """One reason an entry is on a list, and the findings that show it."""

    reason: str
    findings: tuple[FailingFinding, ...] = ()


@dataclass(frozen=True)
class MissedCorrection:
    """A required correction (yêu cầu khắc phục) the unit missed in the period: not
    reported by its deadline ("late"), or found not fixed when re-checked ("not_fixed")."""

    correction_id: int
    org_unit_id: int
    criterion_code: str
    desk: str
    deadline: dt.date
    missed: str  # "late" or "not_fixed"
    on: dt.date  # the deadline missed, or the day of the re-check


@dataclass(frozen=True)
class UnitFacts:
    """What the unit rules read about one unit in one period."""

    unit_id: int
    score: UnitScore | None
    failures: tuple[FailingFinding, ...]
    lowest: Mapping[str, float]  # lowest recorded value per dossier-rate code
    missed: tuple[MissedCorrection, ...] = ()


@dataclass(frozen=True)
class StaffCriticism:
    """An official on the criticism list and what decides the form."""

    findings: tuple[FailingFinding, ...]
    counts: Mapping[str, int]
    reasons: tuple[str, ...]
    discipline: bool  # grounds for discipline exist (a proven critical failure or a repeat)
    settled: bool  # ... and every explanation behind them is settled
    explanation_status: str | None
    unproven: tuple[FailingFinding, ...]  # critical failures without a photo


@dataclass(frozen=True)
class Proposal:
    """The form proposed for an entry, with the explanation flag and note it carries."""

    form_code: str
    reasons: tuple[str, ...]
    pending_explanation: bool = False
    note: str | None = None


@dataclass(frozen=True)
class SignedList:
    """A frozen (signed) list of the previous period an entry was on: the only fact a
    "two periods in a row" proposal may cite."""

    document_number: str
    document_date: dt.date
    period: str  # "quý III/2026"

    def cite(self) -> str:
        return (f"danh sách kỳ {self.period} kèm theo văn bản số {self.document_number} "
                f"ngày {self.document_date:%d/%m/%Y}")


@dataclass(frozen=True)
class OrgLevel:
    """One org unit of the chain an award's authority is read from."""

    name: str
    kind: str
    head_title: str | None = None


@dataclass(frozen=True)
class StaffMember:
    """An official as the rule on criticised units reads them."""

    staff_id: int
    name: str
    position: str | None
    org_unit_id: int  # the unit that employs them
    desk_unit_id: int | None  # the unit whose desk they work at


@dataclass(frozen=True)
class CriticisedUnit:
    unit_id: int
    name: str
    head_name: str | None


# --- wording -----------------------------------------------------------------------


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",") + " %"


@lru_cache(maxsize=4096)
def day_text(day: dt.date) -> str:
    """dd/mm/yyyy, formatted once per day: a national list writes the same few hundred
    days tens of thousands of times, and strftime is the dearest part of a reason."""
    return f"{day:%d/%m/%Y}"


def dates(days: Iterable[dt.date]) -> str:
    return ", ".join(day_text(day) for day in days)


def describe(finding: FailingFinding) -> str:
    return (f"{finding.criterion_code} ({SEVERITY_VI[finding.severity]}) ngày "
            f"{day_text(finding.visit_date)} tại {finding.desk}")


def describe_all(findings: Iterable[FailingFinding]) -> str:
    return "; ".join(describe(f) for f in findings)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months later (the month's last day if shorter)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


# --- grouping ------------------------------------------------------------------------


def by_unit(failures: Iterable[FailingFinding]) -> dict[int, list[FailingFinding]]:
    grouped: dict[int, list[FailingFinding]] = defaultdict(list)
    for finding in failures:
        grouped[finding.org_unit_id].append(finding)
    return grouped


def by_staff(failures: Iterable[FailingFinding]) -> dict[int, list[FailingFinding]]:
    grouped: dict[int, list[FailingFinding]] = defaultdict(list)
    for finding in failures:
        if finding.staff_id is not None:
            grouped[finding.staff_id].append(finding)
    return grouped


def unique(findings: Iterable[FailingFinding]) -> list[FailingFinding]:
    """Each finding once, in first-seen order."""
    seen: set[str] = set()
    result = []
    for finding in findings:
        if finding.finding_id not in seen:
            seen.add(finding.finding_id)
            result.append(finding)
    return result


# --- unit → phê bình người đứng đầu ----------------------------------------------------


def critical_unit_failure(unit: UnitFacts, settings: ListSettings) -> Ground | None:
    """Any critical failure of the unit itself (e.g. SEAT-02)."""
    critical = tuple(f for f in unit.failures if f.subject == "unit" and f.severity == "critical")
    if not critical:
        return None
    return Ground("Vi phạm nghiêm trọng: " + describe_all(critical), critical)


def low_mean_score(unit: UnitFacts, settings: ListSettings) -> Ground | None:
    """A mean score under LIST_UNIT_MIN_SCORE; the failures that brought it down go with it,
    so the entry explains itself."""
    score = unit.score.mean_score if unit.score is not None else None
    if score is None or score >= settings.unit_min_score:
        return None
    return Ground(f"Điểm trung bình {pct(score)}, dưới mức {pct(settings.unit_min_score)}",
                  unit.failures)


def low_dossier_rate(rate: DossierRate, unit: UnitFacts, settings: ListSettings) -> Ground | None:
    """The lowest value recorded for the rate under its threshold; or a failure of it
    recorded without the figure (below the threshold by the inspector's own judgement)."""
    threshold = rate.threshold(settings)
    behind = tuple(f for f in unit.failures if f.criterion_code == rate.code)
    lowest = unit.lowest.get(rate.code)
    if lowest is not None and lowest < threshold:
        return Ground(f"{rate.label} ({rate.code}) thấp nhất {pct(lowest)}, dưới {pct(threshold)}", behind)
    if any(f.value is None for f in behind):
        return Ground(f"{rate.label} ({rate.code}) không đạt mức {pct(threshold)}", behind)
    return None


def describe_missed(missed: MissedCorrection) -> str:
    if missed.missed == "late":
        return (f"{missed.criterion_code} tại {missed.desk} chưa báo cáo khắc phục đúng hạn "
                f"{missed.deadline:%d/%m/%Y} (yêu cầu khắc phục số {missed.correction_id})")
    return (f"{missed.criterion_code} tại {missed.desk} kiểm tra lại ngày {missed.on:%d/%m/%Y} chưa khắc phục "
            f"(yêu cầu khắc phục số {missed.correction_id})")


def missed_corrections(unit: UnitFacts, settings: ListSettings) -> Ground | None:
    """At least LIST_UNIT_CORRECTIONS_MISSED required corrections not reported by their
    deadline, or found not fixed when re-checked; each one is cited."""
    if not unit.missed or len(unit.missed) < settings.unit_corrections_missed:
        return None
    return Ground(f"Không thực hiện yêu cầu khắc phục ({len(unit.missed)}): "
                  + "; ".join(describe_missed(m) for m in unit.missed))


# In the order their reasons are shown.
UNIT_CRITICISM_RULES: tuple[Callable[[UnitFacts, ListSettings], Ground | None], ...] = (
    critical_unit_failure, low_mean_score, *(partial(low_dossier_rate, rate) for rate in DOSSIER_RATES),
    missed_corrections)


def unit_facts(failures: Sequence[FailingFinding], scores: Mapping[int, UnitScore],
               lowest: Mapping[int, Mapping[str, float]],
               missed: Iterable[MissedCorrection] = ()) -> list[UnitFacts]:
    """One record per unit that any unit rule could list: scored, failing, with a
    dossier rate recorded, or with a correction missed."""
    failing = by_unit(failures)
    missed_by_unit: dict[int, list[MissedCorrection]] = defaultdict(list)
    for item in missed:
        missed_by_unit[item.org_unit_id].append(item)
    unit_ids = set(failing) | set(scores) | set(lowest) | set(missed_by_unit)
    return [UnitFacts(unit_id, scores.get(unit_id), tuple(failing.get(unit_id, ())), lowest.get(unit_id, {}),
                      tuple(missed_by_unit.get(unit_id, ())))
            for unit_id in sorted(unit_ids)]


def unit_criticism(units: Iterable[UnitFacts], settings: ListSettings) -> dict[int, list[Ground]]:
    """Units whose head is to be criticised, with the grounds of each."""
    criticised = {}
    for unit in units:
        grounds = [ground for rule in UNIT_CRITICISM_RULES if (ground := rule(unit, settings)) is not None]
        if grounds:
            criticised[unit.unit_id] = grounds
    return criticised


def head_criticism_proposal(grounds: Sequence[Ground], criticised_before: SignedList | None) -> Proposal:
    """Two periods in a row → đề nghị kiểm điểm trách nhiệm người đứng đầu, only when the
    previous period's criticism is on a signed list (a computed one is never cited)."""
    reasons = tuple(g.reason for g in grounds)
    if criticised_before is not None:
        return Proposal(Form.HEAD_REVIEW, reasons + ("Hai kỳ liên tiếp thuộc diện phê bình người đứng đầu",),
                        note="Kỳ trước đã đề nghị phê bình người đứng đầu: " + criticised_before.cite())
    return Proposal(Form.HEAD_CRITICISM, reasons)


# --- unit → biểu dương ---------------------------------------------------------------


def working_hours_breach(failures: Iterable[FailingFinding]) -> set[int]:
    """Units with a working-hours failure (DIS-*) in the period."""
    return {f.org_unit_id for f in failures if f.criterion_code.startswith(WORKING_HOURS_PREFIX)}


def unit_earns_praise(score: UnitScore, settings: ListSettings) -> bool:
    """At least LIST_COMMEND_MIN_VISITS approved visits, a mean score of at least
    LIST_COMMEND_MIN_SCORE, no major or critical failure."""
    return (score.visits >= settings.commend_min_visits and score.mean_score is not None
            and score.mean_score >= settings.commend_min_score
            and score.critical == 0 and score.major == 0)


def unit_commendation(scores: Mapping[int, UnitScore], visit_days: Mapping[int, Sequence[dt.date]],
                      excluded: set[int], settings: ListSettings) -> dict[int, str]:
    """Units to commend with the reason; not the `excluded` (a working-hours breach, a
    failure still open, on the criticism list)."""
    return {
        unit_id: (f"{score.visits} buổi kiểm tra đã duyệt (ngày {dates(visit_days.get(unit_id, ()))}), "
                  f"điểm trung bình {pct(score.mean_score)}, không có vi phạm chính hoặc nghiêm trọng")
        for unit_id, score in scores.items()
        if unit_id not in excluded and unit_earns_praise(score, settings)}


def praise_proposal(reasons: Sequence[str], praised_before: SignedList | None,
                    note: str | None = None) -> Proposal:
    """Biểu dương two periods in a row → đề nghị khen thưởng (giấy khen), only when the
    previous period's biểu dương is on a signed list; otherwise it stays biểu dương."""
    if praised_before is not None:
        cited = "Kỳ trước đã được biểu dương: " + praised_before.cite()
        return Proposal(Form.AWARD, tuple(reasons) + ("Được biểu dương hai kỳ liên tiếp",),
                        note="; ".join(n for n in (cited, note) if n))
    return Proposal(Form.PRAISE, tuple(reasons), note=note)


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def award_authority(form_code: str, chain: Sequence[OrgLevel]) -> str | None:
    """Who awards the form, from the unit (or the official's employer) up its parents:
    Giấy khen by the Chủ tịch UBND of the commune (Luật TĐKT 2022 Đ80.3) or by the head
    of the department (Đ80.1), whichever comes first; Bằng khen by the Chủ tịch UBND
    tỉnh (chưa đối chiếu). None for a form that is not an award, or no such unit."""
    if form_code == Form.AWARD:
        for level in chain:
            if level.kind in COMMUNE_KINDS:
                return f"Chủ tịch UBND {_lower_first(level.name)}"
            if level.kind == "department":
                return level.head_title or department_head(level.name)
    if form_code == Form.PROVINCE_AWARD:
        for level in chain:
            if level.kind == "province":
                return f"Chủ tịch UBND {_lower_first(level.name)} (chưa đối chiếu)"
    return None


def department_head(name: str) -> str:
    """The title of a department's head when the data does not give it."""
    if name.startswith("Sở "):
        return f"Giám đốc {name}"
    if name.startswith("Văn phòng"):
        return f"Chánh {name}"
    return f"Thủ trưởng {name}"


# --- staff → phê bình, đề nghị xem xét xử lý kỷ luật --------------------------------------


def severity_counts(found: Iterable[FailingFinding]) -> dict[str, int]:
    counts = dict.fromkeys(SEVERITY_VI, 0)
    for finding in found:  # one pass: a national list counts ~60,000 failures
        if finding.severity in counts:
            counts[finding.severity] += 1
    return counts


def repeated_after(signed: Sequence[dt.date], day: dt.date, months: int) -> dt.date | None:
    """The latest phê bình signed before `day` and at most `months` months before it:
    a failure on `day` repeats it (tái phạm)."""
    earlier = [d for d in sorted(signed) if d < day <= add_months(d, months)]
    return earlier[-1] if earlier else None


def repeats(found: Iterable[FailingFinding], signed: Sequence[dt.date],
            months: int) -> dict[dt.date, list[FailingFinding]]:
    """Major failures within `months` after a signed phê bình, by the date it was signed."""
    grouped: dict[dt.date, list[FailingFinding]] = defaultdict(list)
    for finding in found:
        if finding.severity != "major":
            continue
        after = repeated_after(signed, finding.visit_date, months)
        if after is not None:
            grouped[after].append(finding)
    return dict(sorted(grouped.items()))


def meets_staff_criticism(counts: Mapping[str, int], settings: ListSettings) -> bool:
    """Phê bình: any critical failure, or LIST_STAFF_CRITICISM_MAJOR major, or
    LIST_STAFF_CRITICISM_MINOR minor failures in the period."""
    return (counts["critical"] > 0 or counts["major"] >= settings.staff_criticism_major
            or counts["minor"] >= settings.staff_criticism_minor)


def discipline_grounds(critical: Sequence[FailingFinding],
                       repeated: Mapping[dt.date, Sequence[FailingFinding]]) -> list[FailingFinding]:
    """Đề nghị xem xét xử lý kỷ luật: a critical failure with a photo behind it, or a
    repeat. A critical failure without a photo still puts the official on the list for
    phê bình, never for discipline."""
    return [f for f in critical if f.evidence] + [f for group in repeated.values() for f in group]


def staff_reasons(found: Sequence[FailingFinding], critical: Sequence[FailingFinding],
                  repeated: Mapping[dt.date, Sequence[FailingFinding]], months: int) -> tuple[str, ...]:
    """Critical failures, then repeats by the phê bình they repeat, then the rest."""
    repeated_ids = {f.finding_id for group in repeated.values() for f in group}
    others = [f for f in found if f.severity != "critical" and f.finding_id not in repeated_ids]
    reasons = []
    if critical:
        reasons.append("Vi phạm nghiêm trọng: " + describe_all(critical))
    for signed, group in repeated.items():
        reasons.append(f"Tái phạm trong {months} tháng sau khi bị phê bình "
                       f"(văn bản ngày {signed:%d/%m/%Y}): " + describe_all(group))
    if others:
        reasons.append("Không đạt: " + describe_all(others))
    return tuple(reasons)


def explanation_state(statuses: Sequence[str | None]) -> tuple[bool, str | None]:
    """(settled, status) of the explanations behind discipline grounds: settled when every
    one is received or lapsed; an unsettled one shows "requested" if any was asked for."""
    if not statuses:
        return False, None
    if all(s in SETTLED_EXPLANATIONS for s in statuses):
        return True, "lapsed" if "lapsed" in statuses else "received"
    return False, "requested" if "requested" in statuses else "not_requested"


def criticise_staff(found: Sequence[FailingFinding], signed: Sequence[dt.date],
                    explanations: Mapping[str, str], settings: ListSettings) -> StaffCriticism | None:
    """One official's failures of the period → their criticism, or None if not listed."""
    critical = [f for f in found if f.severity == "critical"]
    repeated = repeats(found, signed, settings.repeat_months)
    discipline = discipline_grounds(critical, repeated)
    counts = severity_counts(found)
    if not discipline and not meets_staff_criticism(counts, settings):
        return None
    settled, status = explanation_state([explanations.get(f.finding_id) for f in discipline])
    return StaffCriticism(
        findings=tuple(found), counts=counts,
        reasons=staff_reasons(found, critical, repeated, settings.repeat_months),
        discipline=bool(discipline), settled=settled, explanation_status=status,
        unproven=tuple(f for f in critical if not f.evidence))


def staff_criticism(failures: Iterable[FailingFinding], prior: Mapping[int, Sequence[dt.date]],
                    explanations: Mapping[str, str], settings: ListSettings) -> dict[int, StaffCriticism]:
    """Officials on the criticism list. `prior`: the dates of each official's signed phê
    bình that the period can repeat; `explanations`: status by finding id."""
    result = {}
    for staff_id, found in by_staff(failures).items():
        criticism = criticise_staff(found, prior.get(staff_id, ()), explanations, settings)
        if criticism is not None:
            result[staff_id] = criticism
    return result


def staff_criticism_proposal(criticism: StaffCriticism) -> Proposal:
    """Discipline only once every explanation is settled; until then phê bình, marked as
    waiting for the explanation, never silently proposed."""
    notes = []
    if criticism.discipline and criticism.settled:
        form, pending = Form.STAFF_DISCIPLINE, False
    else:
        form, pending = Form.STAFF_CRITICISM, criticism.discipline
    if pending and criticism.explanation_status == "requested":
        notes.append("Chờ giải trình: chưa đủ điều kiện đề nghị xem xét xử lý kỷ luật")
    elif pending:
        notes.append("Chờ giải trình (chưa yêu cầu cán bộ giải trình): chưa đủ điều kiện đề nghị "
                     "xem xét xử lý kỷ luật")
    if criticism.unproven:
        notes.append("Vi phạm nghiêm trọng chưa có ảnh minh chứng ("
                     + ", ".join(f.criterion_code for f in criticism.unproven)
                     + "): chưa đủ căn cứ đề nghị xem xét xử lý kỷ luật")
    return Proposal(form, criticism.reasons, pending, "; ".join(notes) or None)


# --- staff → biểu dương --------------------------------------------------------------


def staff_commendation(duty: Mapping[int, Sequence[dt.date]], excluded: set[int],
                       settings: ListSettings) -> dict[int, Sequence[dt.date]]:
    """Officials on duty in at least LIST_COMMEND_MIN_VISITS approved visits, with the
    days; not the `excluded` (a failure, open or counted, a criticism, an explanation
    pending)."""
    return {staff_id: days for staff_id, days in duty.items()
            if len(days) >= settings.commend_min_visits and staff_id not in excluded}


def is_leader(member: StaffMember, unit: CriticisedUnit) -> bool:
    """The unit's head or a deputy: named as its head, or employed by it under a leader's
    title ("Giám đốc …", "Phó Giám đốc …", "Chủ tịch …", "Phó Trưởng …": the title with
    "Phó " taken off starts with one of LEADER_TITLES)."""
    if unit.head_name and member.name.strip().casefold() == unit.head_name.strip().casefold():
        return True
    title = (member.position or "").strip().casefold()
    title = title.removeprefix("phó ").lstrip()
    return member.org_unit_id == unit.unit_id and title.startswith(LEADER_TITLES)


def staff_of_criticised_units(members: Iterable[StaffMember], criticised: Mapping[int, CriticisedUnit]
                              ) -> tuple[set[int], dict[int, str]]:
    """(officials barred, notes by official) for the staff of units on the criticism list
    of the period: their head and deputy heads are not commended; their other staff may
    be, with a note saying so. Staff of a unit: employed by it or at its desk."""
    barred: set[int] = set()
    notes: dict[int, str] = {}
    for member in members:
        units = [criticised[u] for u in dict.fromkeys((member.org_unit_id, member.desk_unit_id))
                 if u is not None and u in criticised]
        if any(is_leader(member, unit) for unit in units):
            barred.add(member.staff_id)
        elif units:
            notes[member.staff_id] = "; ".join(
                f"{unit.name} thuộc danh sách đề nghị phê bình người đứng đầu cùng kỳ; "
                "cá nhân không giữ chức vụ lãnh đạo đơn vị" for unit in units)
    return barred, notes


def staff_praise_reason(days: Sequence[dt.date]) -> str:
    return (f"Trực tại Bộ phận Một cửa trong {len(days)} buổi kiểm tra đã duyệt "
            f"(ngày {dates(days)}), không có vi phạm")

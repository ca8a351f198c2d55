"""The criticism and commendation lists: what the rules read, loaded for a period, and the
entries assembled from what the rules of `list_rules.py` decide.

Only approved visits count (read from the kept scores, which name each one's deciding
review: reports/kept_scores.py); voided findings never count; thresholds are settings passed
in by the caller; the forms come from the `proposed_forms` table by date. Each entry
carries its reasons in plain Vietnamese and the findings (with visits, dates and photos)
behind it. The system proposes; the leader decides.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy import Select, func, or_, select, text
from sqlalchemy.orm import aliased, selectinload

from ..auth.models import User
from ..checklists.models import Criterion
from ..corrections.models import Correction, CorrectionVerification
from ..db import ReadAhead, among, db, plain_rows, utcnow, uuid_text, vietnam_day
from ..errors import Invalid
from ..evidence.models import Evidence
from ..org.models import Desk, OrgUnit, Staff
from ..reviews.models import Explanation
from ..text import person_order, vietnamese_order
from ..visits.models import Finding, Visit, visit_staff
from ..timezone import VIETNAM_TZ
from . import list_rules as rules
from .list_cache import kept_or_computed
from .list_rules import (
    DOSSIER_RATES, SEVERITY_VI, FailingFinding, Form, Ground, ListSettings, Proposal,
    UnitScore,
)
from .models import FrozenList, FrozenListEntry, ProposedForm, VisitFailure, VisitValue
from .scores import Scope, in_kept_scope, kept_approved_visits, rank_key, unit_totals

T = TypeVar("T")
# Ids per `IN (...)`: under SQLite's limit of bound parameters and PostgreSQL's 65,535.
IN_CHUNK = 5000


@dataclass
class Entry:
    entry_type: str  # "unit" or "staff"
    name: str
    form: FormRow
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
    award_authority: str | None = None  # who awards the form: "Chủ tịch UBND xã Tân Trào"
    # The records themselves, each once (a national criticism list carries 24,000); a
    # frozen list stores each as FailingFinding.as_dict().
    findings: Sequence[FailingFinding] = ()

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
        return sorted({f.visit_date for f in self.findings})


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


def chunked(ids: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """`ids` in slices small enough for one `IN (...)`."""
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


@dataclass(frozen=True)
class FormRow:
    """What an entry shows of its form: values, not the ProposedForm row, so a kept list
    (list_cache.py) outlives the session that read it."""

    code: str
    name: str
    legal_basis: str
    rank: int


class FormCatalogue:
    """The forms in force on one date, each read once (a national list asks for the same
    few forms thousands of times)."""

    def __init__(self, on: dt.date):
        self.on = on
        self._forms: dict[str, FormRow] = {}

    def __getitem__(self, code: str) -> FormRow:
        if code not in self._forms:
            form = proposed_form(code, self.on)
            self._forms[code] = FormRow(form.code, form.name, form.legal_basis, form.rank)
        return self._forms[code]


def proposed_form(code: str, on: dt.date) -> ProposedForm:
    """The form in force on a date."""
    form = db.session.scalar(
        select(ProposedForm).where(ProposedForm.code == code, ProposedForm.valid_from <= on,
                                   or_(ProposedForm.valid_to.is_(None), ProposedForm.valid_to >= on))
        .order_by(ProposedForm.valid_from.desc()))
    if form is None:
        raise Invalid(f"Chưa có hình thức '{code}' áp dụng ngày {on:%d/%m/%Y} trong danh mục hình thức đề nghị.")
    return form


def _visit_day(started_at: dt.datetime) -> dt.date:
    return started_at.astimezone(VIETNAM_TZ).date()


# --- what the rules read -------------------------------------------------------------

def _failing_findings_statement(scope: Scope) -> Select:
    """Every counting failure in scope, read from the kept failures
    (reports/kept_scores.py), not picked out of every finding: ids as text (they are
    only shown), the criterion, desk and inspector by id."""
    return (
        in_kept_scope(select(uuid_text(VisitFailure.finding_id), uuid_text(VisitFailure.visit_id),
                             VisitFailure.staff_id, Desk.org_unit_id, VisitFailure.criterion_id, VisitFailure.severity,
                             vietnam_day(VisitFailure.started_at), VisitFailure.value_number, VisitFailure.note,
                             VisitFailure.desk_id, VisitFailure.recorded_by_id), VisitFailure, scope)
        .join(Criterion, Criterion.id == VisitFailure.criterion_id)
        # The finding id last: an official failing the same criterion twice in a visit
        # is listed in the same order every time the list is computed.
        .order_by(VisitFailure.started_at, Criterion.code, VisitFailure.finding_id)
    )


def failing_findings(scope: Scope, reads: ReadAhead) -> list[FailingFinding]:
    """Every counting failure in scope, with what a leader needs to see behind an entry.
    Tens of thousands of rows nationally (`reads`: "failures", and "evidence" for the
    criticism list, of _reads_ahead); the few criteria, desks and inspectors they name
    are read once each."""
    rows = reads.rows("failures")
    criteria = {row[0]: tuple(row[1:]) for row in db.session.execute(
        select(Criterion.id, Criterion.code, Criterion.text, Criterion.subject)
        .where(Criterion.id.in_({row[4] for row in rows})))} if rows else {}
    # Every desk of the subtree (a few thousand nationally) costs less than picking the
    # visited ones out of the period's visits.
    desks = dict(db.session.execute(
        select(Desk.id, Desk.name).join(OrgUnit, OrgUnit.id == Desk.org_unit_id)
        .where(OrgUnit.path.startswith(scope.org_unit.path))).all())
    inspectors = dict(db.session.execute(
        select(User.id, User.full_name).where(User.id.in_({row[10] for row in rows}))).all()) if rows else {}
    # Only the criticism list shows its findings' photos (see _reads_ahead).
    evidence = _evidence_ids(reads.rows("evidence")) if reads.has("evidence") else {}
    failures = []
    for finding_id, visit_id, staff_id, unit_id, criterion_id, severity, day, value, note, desk_id, inspector \
            in rows:
        code, wording, subject = criteria[criterion_id]
        failures.append(FailingFinding(  # positional, in the record's field order: 59,000 of them
            finding_id, visit_id, staff_id, unit_id, day, desks[desk_id], code, wording, subject, severity, note,
            None if value is None else float(value), inspectors[inspector], evidence.get(finding_id, ())))
    return failures


def _evidence_ids_statement(scope: Scope) -> Select:
    """The photos of each kept failure in scope, oldest first. Joined in SQL, not asked
    for by id: a national year has tens of thousands of failures, and an `IN` of 5,000
    ids costs more to send than to answer. The ids as text, as they are only shown:
    a UUID object made and turned back into text costs more than the row."""
    return (in_kept_scope(select(uuid_text(Evidence.finding_id), uuid_text(Evidence.id))
                          .join(VisitFailure, VisitFailure.finding_id == Evidence.finding_id), VisitFailure, scope)
            .order_by(Evidence.uploaded_at))


def _evidence_ids(rows: Iterable[Any]) -> dict[str, tuple[str, ...]]:
    """Photo ids by finding id, as text, from the rows of _evidence_ids_statement."""
    evidence: dict[str, list[str]] = defaultdict(list)
    for finding_id, evidence_id in rows:
        evidence[finding_id].append(evidence_id)
    return {finding_id: tuple(ids) for finding_id, ids in evidence.items()}


def _unit_scores(scope: Scope) -> dict[int, UnitScore]:
    """Each unit's score, in the units' ranking (score_tables' order): units of the same
    name and form are listed in it."""
    names = dict(db.session.execute(
        select(OrgUnit.id, OrgUnit.name).where(OrgUnit.path.startswith(scope.org_unit.path))).all())
    totals = unit_totals(scope)
    ranked = sorted(totals, key=lambda unit_id: rank_key(totals[unit_id]["mean_score"], names[unit_id], unit_id))
    return {unit_id: UnitScore(unit_id=unit_id, visits=totals[unit_id]["visits"],
                               mean_score=totals[unit_id]["mean_score"], critical=totals[unit_id]["critical"],
                               major=totals[unit_id]["major"], minor=totals[unit_id]["minor"])
            for unit_id in ranked}


def _lowest_rates(scope: Scope) -> dict[int, dict[str, float]]:
    """The lowest value recorded for each dossier rate, per unit: the lowest of the
    approved visits' kept lowest figures (reports/kept_scores.py). The rates' criteria
    are named by id, so the planner knows how few rows they are (by code through a join,
    it guessed a tenth and chose nested loops)."""
    codes = dict(db.session.execute(
        select(Criterion.id, Criterion.code).where(Criterion.code.in_([rate.code for rate in DOSSIER_RATES]))).all())
    lowest: dict[int, dict[str, float]] = defaultdict(dict)
    for unit_id, criterion_id, value in plain_rows(
            in_kept_scope(select(Desk.org_unit_id, VisitValue.criterion_id, func.min(VisitValue.lowest)),
                          VisitValue, scope)
            .where(VisitValue.criterion_id.in_(codes))
            .group_by(Desk.org_unit_id, VisitValue.criterion_id)):
        code = codes[criterion_id]
        lowest[unit_id][code] = min(float(value), lowest[unit_id].get(code, float(value)))
    return lowest


def _visit_days_statement(scope: Scope) -> Select:
    """The day of each approved visit, with its unit, in visit order."""
    visits = kept_approved_visits(scope)
    return (select(visits.c.org_unit_id, vietnam_day(visits.c.started_at))
            .order_by(visits.c.started_at, visits.c.visit_id))


def _duty_days_statement(scope: Scope) -> Select:
    """The day of each approved visit an official was on duty in, in visit order (each
    official first met in that order, too); one row per official and visit, no visit
    ids to read."""
    visits = kept_approved_visits(scope)
    return (select(visit_staff.c.staff_id, vietnam_day(visits.c.started_at))
            .join(visit_staff, visit_staff.c.visit_id == visits.c.visit_id)
            .order_by(visits.c.started_at, visits.c.visit_id, visit_staff.c.staff_id))


def _days_by(rows: Iterable[Any]) -> dict[int, list[dt.date]]:
    """The days of (unit or official, day) rows, by unit or official, in the rows' order."""
    days: dict[int, list[dt.date]] = defaultdict(list)
    for key, day in rows:
        days[key].append(day)
    return days


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


def _explanation_statuses_statement(scope: Scope) -> Select:
    """The status of the explanation asked for each failing finding of the approved
    visits in scope (joined in SQL, as _evidence_ids_statement)."""
    visits = kept_approved_visits(scope)
    return (select(Explanation.finding_id, Explanation.status)
            .join(Finding, Finding.id == Explanation.finding_id)
            .join(visits, visits.c.visit_id == Finding.visit_id)
            .where(Finding.result == "fail"))


def _pending_explanation_staff(scope: Scope) -> set[int]:
    rows = db.session.scalars(
        select(Explanation.staff_id).join(Staff, Staff.id == Explanation.staff_id)
        .join(OrgUnit, OrgUnit.id == Staff.org_unit_id)
        .where(Explanation.status == "requested", OrgUnit.path.startswith(scope.org_unit.path)))
    return set(rows)


def _prior_criticism(staff_ids: set[int], scope: Scope, months: int) -> dict[int, list[dt.date]]:
    """The dates of the signed phê bình of each official that a failure of the period
    can repeat: signed at most `months` before the period starts, and before it ends."""
    result: dict[int, list[dt.date]] = defaultdict(list)
    for chunk in chunked(sorted(staff_ids)):
        for staff_id, signed in db.session.execute(
                select(FrozenListEntry.staff_id, FrozenList.document_date)
                .join(FrozenList, FrozenList.id == FrozenListEntry.list_id)
                .where(among(FrozenListEntry.staff_id, chunk),
                       FrozenListEntry.form_code == Form.STAFF_CRITICISM,
                       FrozenList.document_date >= rules.add_months(scope.date_from, -months),
                       FrozenList.document_date <= scope.date_to).distinct()):
            if staff_id is not None:  # never NULL under the IN filter; says so to mypy
                result[staff_id].append(signed)
    return {staff_id: sorted(dates) for staff_id, dates in result.items()}


def _signed_before(kind: str, scope: Scope, forms: Sequence[str]) -> dict[tuple[str, int], rules.SignedList]:
    """The entries of the frozen lists of `kind` for the period before `scope`'s, under
    one of `forms`, by (entry type, unit or official id): the latest signed list that
    names each. A period only computed, never frozen, gives nothing."""
    previous = scope.previous()
    rows = db.session.execute(
        select(FrozenListEntry.entry_type, FrozenListEntry.org_unit_id, FrozenListEntry.staff_id,
               FrozenList.document_number, FrozenList.document_date)
        .join(FrozenList, FrozenList.id == FrozenListEntry.list_id)
        .where(FrozenList.kind == kind, FrozenList.period_from == previous.date_from,
               FrozenList.period_to == previous.date_to, FrozenListEntry.form_code.in_(forms))
        .order_by(FrozenList.document_date, FrozenList.id))
    label = period_label(previous.date_from, previous.date_to)
    signed = {}
    for entry_type, unit_id, staff_id, number, date in rows:
        key_id = unit_id if entry_type == "unit" else staff_id
        if key_id is not None:  # a unit or official deleted since keeps its copy, not a key
            signed[(entry_type, key_id)] = rules.SignedList(number, date, label)  # later lists win
    return signed


class AwardAuthorities:
    """Who awards a form to a unit or an official's employer, reading each unit's chain of
    parents once."""

    def __init__(self) -> None:
        self._units: dict[int, OrgUnit] = {}

    def __call__(self, form_code: str, unit_id: int) -> str | None:
        if form_code not in rules.AWARD_FORMS:  # nothing to read
            return None
        return rules.award_authority(form_code, self._chain(unit_id))

    def _chain(self, unit_id: int) -> list[rules.OrgLevel]:
        unit = self._unit(unit_id)
        ids = [int(i) for i in unit.path.strip("/").split("/") if i] or [unit_id]
        missing = [i for i in ids if i not in self._units]
        if missing:
            self._units.update({u.id: u for u in db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(missing)))})
        return [rules.OrgLevel(u.name, u.kind, u.head_title)
                for u in (self._units[i] for i in reversed(ids) if i in self._units)]

    def _unit(self, unit_id: int) -> OrgUnit:
        if unit_id not in self._units:
            self._units[unit_id] = db.session.get_one(OrgUnit, unit_id)
        return self._units[unit_id]


def _missed_corrections(scope: Scope) -> list[rules.MissedCorrection]:
    """Corrections of the scope's units missed in the period: due in it (and already
    past) with no report on or before the deadline, or found not fixed by a re-check
    made in it. Withdrawn ones never count; only a past deadline can have been missed."""
    units = select(OrgUnit.id).where(OrgUnit.path.startswith(scope.org_unit.path))
    yesterday = utcnow().astimezone(VIETNAM_TZ).date() - dt.timedelta(days=1)
    missed = []
    due = db.session.execute(
        select(Correction, Desk.name).join(Desk, Desk.id == Correction.desk_id)
        .where(Correction.org_unit_id.in_(units), Correction.status != "withdrawn",
               Correction.deadline >= scope.date_from, Correction.deadline <= min(scope.date_to, yesterday))
        .options(selectinload(Correction.reports)).order_by(Correction.deadline, Correction.id))
    for correction, desk in due:
        if not any(_visit_day(r.reported_at) <= correction.deadline for r in correction.reports):
            missed.append(rules.MissedCorrection(correction.id, correction.org_unit_id, correction.criterion_code,
                                                 desk, correction.deadline, "late", correction.deadline))
    rechecked = db.session.execute(
        select(Correction, Desk.name, CorrectionVerification.verified_at)
        .join(Desk, Desk.id == Correction.desk_id)
        .join(CorrectionVerification, CorrectionVerification.correction_id == Correction.id)
        .where(Correction.org_unit_id.in_(units), Correction.status != "withdrawn",
               CorrectionVerification.outcome == "not_fixed",
               CorrectionVerification.verified_at >= scope.start, CorrectionVerification.verified_at < scope.end)
        .order_by(CorrectionVerification.verified_at, Correction.id))
    for correction, desk, verified_at in rechecked:
        missed.append(rules.MissedCorrection(correction.id, correction.org_unit_id, correction.criterion_code,
                                             desk, correction.deadline, "not_fixed", _visit_day(verified_at)))
    return missed


@dataclass(frozen=True)
class StaffRow:
    """What an entry shows of an official: read as plain columns, not as Staff objects
    with their units and desks (a national list names thousands)."""

    id: int
    full_name: str
    position: str | None
    org_unit_id: int
    org_name: str
    desk_unit_id: int | None  # the unit whose desk they work at, if any
    desk_unit_name: str | None

    @property
    def commune(self) -> str:
        """The unit whose desk they work at, else their employer."""
        return self.desk_unit_name if self.desk_unit_name is not None else self.org_name


def _staff_rows(ids: set[int]) -> dict[int, StaffRow]:
    employer, desk_unit = aliased(OrgUnit), aliased(OrgUnit)
    rows = {}
    for chunk in chunked(sorted(ids)):
        for row in plain_rows(
                select(Staff.id, Staff.full_name, Staff.position, Staff.org_unit_id,
                       employer.name, Desk.org_unit_id, desk_unit.name)
                .join(employer, employer.id == Staff.org_unit_id)
                .outerjoin(Desk, Desk.id == Staff.desk_id)
                .outerjoin(desk_unit, desk_unit.id == Desk.org_unit_id)
                .where(among(Staff.id, chunk))):
            rows[row[0]] = StaffRow(*row)
    return rows


def _reads_ahead(kind: str, scope: Scope) -> dict[str, Select]:
    """The statements of a list that need nothing read before them, in the order the
    list asks for their rows: the failures first, the longest (the request's connection
    reads the unit scores and dossier rates meanwhile). The commendation list reads the
    failures only to exclude who failed, and shows none: not their photos."""
    statements = {"failures": _failing_findings_statement(scope)}
    if kind == "criticism":
        statements["evidence"] = _evidence_ids_statement(scope)
        statements["explanations"] = _explanation_statuses_statement(scope)
    else:
        statements["visit_days"] = _visit_days_statement(scope)
        statements["duty_days"] = _duty_days_statement(scope)
    return statements


@dataclass
class Period:
    """One period as the list rules read it under one set of thresholds: failures, unit
    scores and dossier rates loaded at once; what only the commendation list needs, and
    each rule's verdict (the commendation list asks for the units' criticism, which it
    excludes), on first use, once. `reads`: the statements of _reads_ahead."""

    scope: Scope
    settings: ListSettings
    reads: ReadAhead
    failures: list[FailingFinding]
    scores: dict[int, UnitScore]
    lowest: dict[int, dict[str, float]]
    missed: list[rules.MissedCorrection] = field(default_factory=list)

    @classmethod
    def load(cls, scope: Scope, settings: ListSettings, reads: ReadAhead) -> Period:
        # What `reads` does not hold first, while it reads the failures.
        scores, lowest, missed = _unit_scores(scope), _lowest_rates(scope), _missed_corrections(scope)
        return cls(scope, settings, reads, failing_findings(scope, reads), scores, lowest, missed)

    @cached_property
    def open_failures(self) -> tuple[set[int], set[int]]:
        return _open_failures(self.scope)

    @cached_property
    def unit_criticism(self) -> dict[int, list[Ground]]:
        return rules.unit_criticism(rules.unit_facts(self.failures, self.scores, self.lowest, self.missed),
                                    self.settings)

    @cached_property
    def staff_criticism(self) -> dict[int, rules.StaffCriticism]:
        explanations = {str(finding_id): status for finding_id, status in self.reads.rows("explanations")}
        prior = _prior_criticism({f.staff_id for f in self.failures if f.staff_id is not None},
                                 self.scope, self.settings.repeat_months)
        return rules.staff_criticism(self.failures, prior, explanations, self.settings)

    def commended_units(self) -> dict[int, str]:
        """Units to commend: not those with a working-hours breach, a failure still open,
        or on the criticism list of the period."""
        excluded = (rules.working_hours_breach(self.failures) | self.open_failures[1]
                    | set(self.unit_criticism))
        return rules.unit_commendation(self.scores, _days_by(self.reads.rows("visit_days")), excluded, self.settings)

    def commended_staff(self) -> dict[int, Sequence[dt.date]]:
        """Officials to commend: not those with a failure (counted or open), or with an
        explanation pending. An official on the criticism list is always among the
        failed (only their counted failures put them there), so the criticism rules
        need not run for this list: a national year's take a tenth of a second."""
        failed = {f.staff_id for f in self.failures if f.staff_id is not None}
        excluded = failed | self.open_failures[0] | _pending_explanation_staff(self.scope)
        return rules.staff_commendation(_days_by(self.reads.rows("duty_days")), excluded, self.settings)


# --- the lists -----------------------------------------------------------------------

def compute_list(kind: str, scope: Scope, settings: ListSettings) -> list[Entry]:
    """The list as the rules make it today, units first, then officials; heavier forms
    first within each, then units by name and officials by given name, in Vietnamese order.
    Computed once for each state of the data and kept (list_cache.py)."""
    if kind not in ("criticism", "commendation"):
        raise Invalid("Loại danh sách là criticism hoặc commendation.",
                      errors={"query": {"kind": ["criticism | commendation"]}})
    return kept_or_computed((kind, scope.org_unit.id, scope.date_from, scope.date_to), settings.as_settings(),
                            lambda: _computed_list(kind, scope, settings))


def _computed_list(kind: str, scope: Scope, settings: ListSettings) -> list[Entry]:
    build = _criticism_entries if kind == "criticism" else _commendation_entries
    with ReadAhead(_reads_ahead(kind, scope), setup=ROOM_TO_SORT) as reads:
        entries = build(Period.load(scope, settings, reads), FormCatalogue(scope.date_to))
    entries.sort(key=lambda e: (e.entry_type != "unit", -e.form.rank,
                                person_order(e.name) if e.entry_type == "staff" else vietnamese_order(e.name)))
    return entries


# Lets PostgreSQL sort a national year's failures (~59,000 rows, ~9 MB) in memory rather
# than on disk, as its default work_mem (4 MB) made it: for the reading transaction only
# (SET LOCAL), so one request's allowance never becomes every connection's.
ROOM_TO_SORT = (text("SET LOCAL work_mem = '32MB'"),)


def _criticism_entries(period: Period, forms: FormCatalogue) -> list[Entry]:
    units = _units(period.scope)
    previous = _signed_before("criticism", period.scope, rules.HEAD_CRITICISM_FORMS)
    entries = []
    for unit_id, grounds in period.unit_criticism.items():
        proposal = rules.head_criticism_proposal(grounds, previous.get(("unit", unit_id)))
        findings = [f for ground in grounds for f in ground.findings]
        entries.append(_unit_entry(units[unit_id], period.scores.get(unit_id), proposal, findings, forms))
    criticised = period.staff_criticism
    staff_rows = _staff_rows(set(criticised))
    for staff_id, criticism in criticised.items():
        entries.append(_staff_entry(staff_rows[staff_id], rules.staff_criticism_proposal(criticism),
                                    criticism.findings, criticism.counts, criticism.explanation_status, forms))
    return entries


def _commendation_entries(period: Period, forms: FormCatalogue) -> list[Entry]:
    units = _units(period.scope)
    previous = _signed_before("commendation", period.scope, rules.PRAISE_FORMS)
    authorities = AwardAuthorities()
    entries = []
    for unit_id, reason in period.commended_units().items():
        proposal = rules.praise_proposal([reason], previous.get(("unit", unit_id)))
        entry = _unit_entry(units[unit_id], period.scores[unit_id], proposal, [], forms)
        entry.award_authority = authorities(proposal.form_code, unit_id)
        entries.append(entry)
    commended = period.commended_staff()
    staff_rows = _staff_rows(set(commended))
    criticised = {unit_id: rules.CriticisedUnit(unit_id, units[unit_id].name, units[unit_id].head_name)
                  for unit_id in period.unit_criticism}
    barred, notes = rules.staff_of_criticised_units(
        [rules.StaffMember(s.id, s.full_name, s.position, s.org_unit_id, s.desk_unit_id)
         for s in staff_rows.values()],
        criticised)
    no_failures = {level: 0 for level in SEVERITY_VI}
    for staff_id, days in commended.items():
        if staff_id in barred:
            continue
        proposal = rules.praise_proposal([rules.staff_praise_reason(days)], previous.get(("staff", staff_id)),
                                         notes.get(staff_id))
        entry = _staff_entry(staff_rows[staff_id], proposal, (), no_failures, None, forms)
        entry.award_authority = authorities(proposal.form_code, staff_rows[staff_id].org_unit_id)
        entries.append(entry)
    return entries


@dataclass(frozen=True)
class UnitRow:
    """What an entry shows of a unit: plain columns, not OrgUnit objects (a national list
    reads a few thousand)."""

    id: int
    name: str
    head_name: str | None


def _units(scope: Scope) -> dict[int, UnitRow]:
    return {row[0]: UnitRow(*row) for row in db.session.execute(
        select(OrgUnit.id, OrgUnit.name, OrgUnit.head_name).where(OrgUnit.path.startswith(scope.org_unit.path)))}


def _unit_entry(unit: UnitRow, score: UnitScore | None, proposal: Proposal,
                findings: Sequence[FailingFinding], forms: FormCatalogue) -> Entry:
    return Entry(
        entry_type="unit", name=unit.name, form=forms[proposal.form_code], org_unit_id=unit.id,
        head_name=unit.head_name, commune=unit.name, org_name=unit.name,
        score=score.mean_score if score else None, critical=score.critical if score else 0,
        major=score.major if score else 0, minor=score.minor if score else 0,
        reasons=list(proposal.reasons), note=proposal.note,
        findings=rules.unique(findings))


def _staff_entry(staff: StaffRow, proposal: Proposal, findings: Sequence[FailingFinding],
                 counts: Mapping[str, int], explanation_status: str | None, forms: FormCatalogue) -> Entry:
    return Entry(
        entry_type="staff", name=staff.full_name, form=forms[proposal.form_code], staff_id=staff.id,
        org_unit_id=staff.org_unit_id, position_title=staff.position, org_name=staff.org_name,
        commune=staff.commune, critical=counts["critical"], major=counts["major"],
        minor=counts["minor"], reasons=list(proposal.reasons), explanation_status=explanation_status,
        pending_explanation=proposal.pending_explanation, note=proposal.note,
        findings=rules.unique(findings))


__all__ = ["Entry", "ListSettings", "compute_list", "period_label", "proposed_form"]

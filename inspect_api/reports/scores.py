"""Scores, computed in SQL over approved visits.

Per visit: the weighted share of applicable criteria passed. A criterion is applicable
when at least one of its (non-voided) findings is pass or fail; it passes when none of
them fails (a staff criterion answered for three officials fails if one of them failed).
Voids and severity changes come from the visit's latest review, i.e. the approving one.
Per desk and per org unit: the mean visit score, the number of approved visits, the
failures by (effective) severity, and the rank.

The per-visit computation from findings (`visit_scores`) is the reference. Reports add up
the rows it leaves in `visit_scores` when a review decides (kept_scores.py), so a national
year reads 40,000 stored rows instead of 1.5 million findings; `flask scores verify`
checks the two agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from collections.abc import Sequence

from sqlalchemy import Float, Select, Subquery, and_, case, cast, func, or_, select

from ..auth.models import User
from ..checklists.models import Criterion
from ..db import db, plain_rows
from ..text import vietnamese_order
from ..org.models import Desk, OrgUnit
from ..reviews.models import FindingReview, Review
from ..visits.models import Finding, Visit
from ..timezone import VIETNAM_TZ
from .models import VisitScore


@dataclass(frozen=True)
class Scope:
    """Approved visits started in [date_from, date_to] (Vietnam days) at desks of the
    subtree of `org_unit`."""

    date_from: dt.date
    date_to: dt.date
    org_unit: OrgUnit

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.date_from, dt.time.min, VIETNAM_TZ)

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time.min, VIETNAM_TZ)

    def previous(self) -> Scope:
        return Scope(*previous_period(self.date_from, self.date_to), self.org_unit)


def previous_period(date_from: dt.date, date_to: dt.date) -> tuple[dt.date, dt.date]:
    """The period just before [date_from, date_to]: the same number of calendar months
    when the period is whole months (November -> October, Q1 -> Q4 of the year before),
    else the same number of days. The lists' "two periods in a row" and the console's
    trend both use it."""
    to = date_from - dt.timedelta(days=1)
    if date_from.day == 1 and (date_to + dt.timedelta(days=1)).day == 1:
        months = (date_to.year - date_from.year) * 12 + date_to.month - date_from.month + 1
        index = date_from.year * 12 + date_from.month - 1 - months
        return dt.date(index // 12, index % 12 + 1, 1), to
    return to - (date_to - date_from), to


def _in_scope(scope: Scope):
    """The conditions that put an approved visit in `scope` (Visit, Desk and OrgUnit joined)."""
    return (Visit.status == "approved", Visit.started_at >= scope.start, Visit.started_at < scope.end,
            OrgUnit.path.startswith(scope.org_unit.path))


def approved_visits(scope: Scope):
    """Ids and desks of the approved visits in scope, with their latest review."""
    latest = (select(Review.visit_id, func.max(Review.id).label("review_id"))
              .group_by(Review.visit_id).subquery())
    return (
        select(Visit.id.label("visit_id"), Visit.desk_id, Desk.org_unit_id,
               Visit.started_at, latest.c.review_id)
        .join(Desk, Desk.id == Visit.desk_id)
        .join(OrgUnit, OrgUnit.id == Desk.org_unit_id)
        .join(latest, latest.c.visit_id == Visit.id)
        .where(*_in_scope(scope))
        .subquery("approved")
    )


def approved_visits_anywhere(visit_ids: Sequence[Any] | None = None):
    """approved_visits without a period or subtree: every approved visit (or those of
    `visit_ids`) with its latest review; what the kept scores are computed from."""
    latest = select(Review.visit_id, func.max(Review.id).label("review_id")).group_by(Review.visit_id)
    visits = (select(Visit.id.label("visit_id"), Visit.desk_id, Desk.org_unit_id, Visit.started_at)
              .join(Desk, Desk.id == Visit.desk_id).where(Visit.status == "approved"))
    if visit_ids is not None:
        latest = latest.where(Review.visit_id.in_(visit_ids))
        visits = visits.where(Visit.id.in_(visit_ids))
    latest_sub = latest.subquery()
    return (visits.add_columns(latest_sub.c.review_id)
            .join(latest_sub, latest_sub.c.visit_id == Visit.id).subquery("approved"))


def in_kept_scope(query: Select, kept: Any, scope: Scope) -> Select:
    """`query` over a kept table (VisitScore, VisitFailure or VisitValue) narrowed to the
    rows of `scope`, with the row's desk and that desk's unit joined (Desk.org_unit_id is
    the unit a report counts it under). Rows are kept for approved visits only
    (kept_scores.py), with their visit's desk and start: no visit is read."""
    return (query.join(Desk, Desk.id == kept.desk_id).join(OrgUnit, OrgUnit.id == Desk.org_unit_id)
            .where(kept.started_at >= scope.start, kept.started_at < scope.end,
                   OrgUnit.path.startswith(scope.org_unit.path)))


def kept_approved_visits(scope: Scope):
    """approved_visits read from the kept scores: the same columns, the deciding review
    as stored instead of looked up among all reviews."""
    return (
        in_kept_scope(select(VisitScore.visit_id, VisitScore.desk_id, Desk.org_unit_id, VisitScore.started_at,
                             VisitScore.review_id), VisitScore, scope)
        .subquery("approved")
    )


def effective_findings(scope: Scope | None = None, *, visits: Subquery | None = None):
    """Every counting finding of the approved visits (of `scope`, or the `visits` given
    with approved_visits' columns): voids removed, severity as the reviewer left it."""
    if visits is None:
        if scope is None:
            raise TypeError("effective_findings needs a scope or visits")
        visits = approved_visits(scope)
    return (
        select(Finding.id.label("finding_id"), Finding.visit_id, Finding.criterion_id,
               Finding.staff_id, Finding.result, Finding.value_number, Finding.note, Finding.recorded_by_id,
               visits.c.desk_id, visits.c.org_unit_id, visits.c.started_at, visits.c.review_id,
               Criterion.code.label("criterion_code"), Criterion.subject, Criterion.weight,
               func.coalesce(FindingReview.severity, Criterion.severity).label("severity"))
        .join(visits, visits.c.visit_id == Finding.visit_id)
        .join(Criterion, Criterion.id == Finding.criterion_id)
        .outerjoin(FindingReview, and_(FindingReview.review_id == visits.c.review_id,
                                       FindingReview.finding_id == Finding.id))
        .where(or_(FindingReview.voided.is_(None), FindingReview.voided.is_(False)))
        .subquery("effective")
    )


def visit_scores(scope: Scope | None = None, *, visits: Subquery | None = None):
    """One row per approved visit with a counting finding (of `scope`, or of `visits`):
    score (0-100, NULL if nothing applicable), the applicable and passed weights, the
    failure counts by severity and the number of counting findings. The reference."""
    found = effective_findings(scope, visits=visits)
    per_criterion = (
        select(found.c.visit_id, found.c.desk_id, found.c.org_unit_id, found.c.criterion_id,
               func.max(cast(found.c.weight, Float)).label("weight"),
               func.max(case((found.c.result == "fail", 1), else_=0)).label("failed"),
               func.max(case((found.c.result == "pass", 1), else_=0)).label("passed"))
        .group_by(found.c.visit_id, found.c.desk_id, found.c.org_unit_id, found.c.criterion_id)
        .subquery("per_criterion")
    )
    applicable = case((or_(per_criterion.c.failed == 1, per_criterion.c.passed == 1),
                       per_criterion.c.weight), else_=0.0)
    passed = case((and_(per_criterion.c.failed == 0, per_criterion.c.passed == 1),
                   per_criterion.c.weight), else_=0.0)
    scores = (
        select(per_criterion.c.visit_id, per_criterion.c.desk_id, per_criterion.c.org_unit_id,
               (100.0 * func.sum(passed) / func.nullif(func.sum(applicable), 0)).label("score"),
               func.sum(applicable).label("applicable_weight"), func.sum(passed).label("passed_weight"))
        .group_by(per_criterion.c.visit_id, per_criterion.c.desk_id, per_criterion.c.org_unit_id)
        .subquery("scores")
    )
    fails = (
        select(found.c.visit_id,
               *[func.sum(case((and_(found.c.result == "fail", found.c.severity == level), 1),
                               else_=0)).label(level) for level in ("critical", "major", "minor")],
               func.count().label("findings"))
        .group_by(found.c.visit_id)
        .subquery("fails")
    )
    return (
        select(scores.c.visit_id, scores.c.desk_id, scores.c.org_unit_id, scores.c.score,
               scores.c.applicable_weight, scores.c.passed_weight,
               fails.c.critical, fails.c.major, fails.c.minor, fails.c.findings)
        .join(fails, fails.c.visit_id == scores.c.visit_id)
        .subquery("visit_scores")
    )


def kept_visit_scores(scope: Scope):
    """visit_scores' rows for `scope`, read from the kept scores (visits without a
    counting finding left out, as the reference leaves them out)."""
    return (
        in_kept_scope(select(VisitScore.visit_id, VisitScore.desk_id, Desk.org_unit_id, VisitScore.score,
                             VisitScore.critical, VisitScore.major, VisitScore.minor), VisitScore, scope)
        .where(VisitScore.findings > 0)
        .subquery("visit_scores")
    )


def desk_aggregates(scope: Scope, *, from_findings: bool = False) -> list[dict[str, Any]]:
    """Per desk, in SQL: approved visits, the sum and count of visit scores, failures by
    severity; from the kept scores, or computed from the findings (the reference).
    Units are summed from these rows."""
    per_visit = visit_scores(scope) if from_findings else kept_visit_scores(scope)
    rows = plain_rows(
        select(per_visit.c.desk_id, per_visit.c.org_unit_id,
               func.count(per_visit.c.visit_id).label("visits"),
               func.count(per_visit.c.score).label("scored"),
               func.sum(per_visit.c.score).label("score_sum"),
               func.sum(per_visit.c.critical).label("critical"),
               func.sum(per_visit.c.major).label("major"),
               func.sum(per_visit.c.minor).label("minor"))
        .group_by(per_visit.c.desk_id, per_visit.c.org_unit_id)
    )
    return [dict(row._mapping) for row in rows]


def rank_key(mean_score: float | None, name: str, row_id: int) -> tuple[Any, ...]:
    """Highest mean score first, no score last, then by name in Vietnamese order, then
    by id: two communes of one name in different provinces, with the same score, came
    in whatever order the database's grouping gave them, which changes with its plan."""
    return (mean_score is None, -(mean_score or 0), vietnamese_order(name), row_id)


def _rank(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Competition ranking by mean score, highest first; no score ranks last."""
    rows.sort(key=lambda r: rank_key(r["mean_score"], r["name"], r["id"]))
    previous, rank = object(), 0
    for position, row in enumerate(rows, start=1):
        if row["mean_score"] != previous:
            rank, previous = position, row["mean_score"]
        row["rank"] = rank
    return rows


def _summed(parts: list[dict[str, Any]]) -> dict[str, Any]:
    scored = sum(int(p["scored"] or 0) for p in parts)
    score_sum = sum(float(p["score_sum"] or 0) for p in parts)
    return {
        "visits": sum(int(p["visits"]) for p in parts),
        "mean_score": round(score_sum / scored, 2) if scored else None,
        **{level: sum(int(p[level] or 0) for p in parts) for level in ("critical", "major", "minor")},
    }


def score_tables(scope: Scope) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(units, desks), each ranked."""
    aggregates = desk_aggregates(scope)
    desk_ids = [row["desk_id"] for row in aggregates]
    unit_ids = {row["org_unit_id"] for row in aggregates}
    desks = {d.id: d for d in db.session.scalars(select(Desk).where(Desk.id.in_(desk_ids)))} if desk_ids else {}
    units = {u.id: u for u in db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(unit_ids)))} if unit_ids else {}
    desk_rows = []
    for row in aggregates:
        desk, unit = desks[row["desk_id"]], units[row["org_unit_id"]]
        desk_rows.append({"id": desk.id, "code": desk.code, "name": desk.name, "org_unit_id": unit.id,
                          "unit_name": unit.name, "head_name": unit.head_name, **_summed([row])})
    unit_rows = [{"id": unit_id, "code": units[unit_id].code, "name": units[unit_id].name,
                  "head_name": units[unit_id].head_name, **totals}
                 for unit_id, totals in _unit_totals(aggregates).items()]
    return _rank(unit_rows), _rank(desk_rows)


def _unit_totals(aggregates: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    by_unit: dict[int, list[dict[str, Any]]] = {}
    for row in aggregates:
        by_unit.setdefault(row["org_unit_id"], []).append(row)
    return {unit_id: _summed(parts) for unit_id, parts in by_unit.items()}


def unit_totals(scope: Scope) -> dict[int, dict[str, Any]]:
    """Each unit's visits, mean score and failures, by unit id: the units' table of
    score_tables, summed the same way, without names or ranks (what the lists read)."""
    return _unit_totals(desk_aggregates(scope))


def desk_scores(scope: Scope) -> list[dict[str, Any]]:
    return score_tables(scope)[1]


def resolve_scope(actor: User, date_from: dt.date, date_to: dt.date, org_unit_id: int | None) -> Scope:
    from ..scoping import unit_in_subtree
    from ..errors import Invalid, NotFound

    if date_to < date_from:
        raise Invalid("Ngày kết thúc phải sau ngày bắt đầu.", errors={"query": {"to": ["Trước 'from'."]}})
    unit = actor.org_unit if org_unit_id is None else db.session.get(OrgUnit, org_unit_id)
    if unit is None or not unit_in_subtree(unit, actor):
        raise NotFound("Không tìm thấy đơn vị trong phạm vi của bạn.")
    return Scope(date_from, date_to, unit)




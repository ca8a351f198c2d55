"""Scores kept per approved visit (the `visit_scores` table), so reports add up stored
rows instead of recomputing every visit from its findings on every request; and beside
them the visit's counting failures (`visit_failures`) and lowest figure per criterion
(`visit_values`), which the lists read.

An approved visit's score changes only when a review decides it again, so it is written
then: a session hook notes each visit that gets a new review round (reviews build on
reports' inputs, so reviews.service cannot call this package), and before the deciding
transaction commits `keep_score` leaves one row (with its failures and figures) if the visit is
approved, none if it was returned. Each row is the reference computation
(scores.visit_scores and scores.effective_findings, from the findings and the deciding
review's notes) for that one visit, so stored and computed agree by construction;
`verify` checks they still do, `recompute_all` rebuilds them all (`flask scores verify`
/ `flask scores recompute`).
"""

from __future__ import annotations

import math
import uuid
from decimal import Decimal
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, Integer, cast, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from ..db import db, listen_once
from ..reviews.models import Review
from .models import VisitFailure, VisitScore, VisitValue
from .scores import approved_visits_anywhere, effective_findings, visit_scores

FLOAT_FIELDS = ("score", "applicable_weight", "passed_weight")
COUNT_FIELDS = ("critical", "major", "minor", "findings")
FIELDS = (*FLOAT_FIELDS, *COUNT_FIELDS)
# Where and when the visit was, copied into each kept row: a report selects a period's
# rows by these without joining 40,000 visits (and an approved visit keeps them).
PLACE_FIELDS = ("desk_id", "started_at")
SCORE_FIELDS = ("review_id", *PLACE_FIELDS, *FIELDS)
VALUE_FIELDS = ("review_id", *PLACE_FIELDS, "lowest")
FAILURE_FIELDS = ("visit_id", "review_id", *PLACE_FIELDS, "criterion_id", "staff_id", "severity", "value_number",
                  "note", "recorded_by_id")


def reference_rows(visit_ids: Sequence[Any] | None = None):
    """The rows the table should hold, computed from the findings: one per approved
    visit with a review (of `visit_ids`, or all), zeros where nothing counts."""
    visits = approved_visits_anywhere(visit_ids)
    computed = visit_scores(visits=visits)
    return (
        select(visits.c.visit_id, visits.c.review_id, *[visits.c[name] for name in PLACE_FIELDS], computed.c.score,
               *[func.coalesce(computed.c[name], cast(literal(0), Float)).label(name)
                 for name in ("applicable_weight", "passed_weight")],
               *[func.coalesce(cast(computed.c[name], Integer), 0).label(name) for name in COUNT_FIELDS])
        .outerjoin(computed, computed.c.visit_id == visits.c.visit_id)
    )


def reference_failures(visit_ids: Sequence[Any] | None = None):
    """The failures the table should hold, computed from the findings: every counting
    failure (not voided, severity as the deciding review left it) of every approved
    visit with a review (of `visit_ids`, or all)."""
    found = effective_findings(visits=approved_visits_anywhere(visit_ids))
    return select(found.c.finding_id, *[found.c[name] for name in FAILURE_FIELDS]).where(found.c.result == "fail")


def reference_values(visit_ids: Sequence[Any] | None = None):
    """The lowest figures the table should hold: per approved visit with a review (of
    `visit_ids`, or all) and criterion, the lowest value of its counting findings."""
    found = effective_findings(visits=approved_visits_anywhere(visit_ids))
    place = [found.c[name] for name in PLACE_FIELDS]
    return (select(found.c.visit_id, found.c.criterion_id, found.c.review_id, *place,
                   func.min(found.c.value_number).label("lowest"))
            .where(found.c.value_number.is_not(None))
            .group_by(found.c.visit_id, found.c.criterion_id, found.c.review_id, *place))


def _insert_from(rows) -> None:
    db.session.execute(insert(VisitScore).from_select(["visit_id", *SCORE_FIELDS], rows))


def keep_score(session: Session, visit_id: uuid.UUID) -> None:
    """Bring the visit's kept score, failures and figures in line with its status and latest
    review, in the session's transaction (the reference gives nothing for a visit not
    approved)."""
    session.execute(delete(VisitScore).where(VisitScore.visit_id == visit_id))
    session.execute(insert(VisitScore).from_select(["visit_id", *SCORE_FIELDS], reference_rows([visit_id])))
    session.execute(delete(VisitFailure).where(VisitFailure.visit_id == visit_id))
    session.execute(insert(VisitFailure).from_select(["finding_id", *FAILURE_FIELDS],
                                                     reference_failures([visit_id])))
    session.execute(delete(VisitValue).where(VisitValue.visit_id == visit_id))
    session.execute(insert(VisitValue).from_select(["visit_id", "criterion_id", *VALUE_FIELDS],
                                                   reference_values([visit_id])))


_DECIDED = "kept_scores_decided"


def _note_new_reviews(session: Session, flush_context: Any, instances: Any) -> None:
    """before_flush: a new review round decides its visit's score."""
    for obj in session.new:
        if isinstance(obj, Review):
            session.info.setdefault(_DECIDED, set()).add(obj.visit_id)


def _keep_decided_scores(session: Session) -> None:
    """before_commit: the kept scores of the visits decided in this transaction."""
    session.flush()
    for visit_id in sorted(session.info.pop(_DECIDED, ()), key=str):
        keep_score(session, visit_id)


def _forget_decided(session: Session) -> None:
    session.info.pop(_DECIDED, None)


def hook_kept_scores() -> None:
    """Listen on db.session's factory (once, however many apps the process makes)."""
    listen_once(db.session, "before_flush", _note_new_reviews)
    listen_once(db.session, "before_commit", _keep_decided_scores)
    listen_once(db.session, "after_rollback", _forget_decided)


def rebuild_all() -> int:
    """Rebuild every kept score, failure and figure from the findings, in the caller's
    transaction (bulk loads that write approved visits directly call it); how many
    scores. Its writes take the change clock (db.claim_clock_on_dml): the lists kept
    under its old value are not served again."""
    db.session.execute(delete(VisitScore))
    _insert_from(reference_rows())
    db.session.execute(delete(VisitFailure))
    db.session.execute(insert(VisitFailure).from_select(["finding_id", *FAILURE_FIELDS], reference_failures()))
    db.session.execute(delete(VisitValue))
    db.session.execute(insert(VisitValue).from_select(["visit_id", "criterion_id", *VALUE_FIELDS],
                                                      reference_values()))
    return db.session.scalar(select(func.count()).select_from(VisitScore)) or 0


def recompute_all() -> int:
    """rebuild_all in a transaction of its own."""
    count = rebuild_all()
    db.session.commit()
    return count


@dataclass(frozen=True)
class Difference:
    visit_id: uuid.UUID
    field: str  # a column, or "row" when one side has no row
    stored: Any
    computed: Any

    def __str__(self) -> str:
        return f"visit {self.visit_id}: {self.field} stored {self.stored!r}, computed {self.computed!r}"


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float, Decimal)) and isinstance(b, (int, float, Decimal)):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return bool(a == b)


def verify() -> list[Difference]:
    """Every difference between the kept scores, failures and lowest figures and the
    from-findings computation, for every approved visit (and any row kept for a visit
    that is not approved, or for a failure or figure that no longer counts)."""
    columns = SCORE_FIELDS
    computed = {row.visit_id: row for row in db.session.execute(reference_rows())}
    stored = {row.visit_id: row for row in db.session.execute(
        select(VisitScore.visit_id, *[VisitScore.__table__.c[name] for name in columns]))}
    differences = _compare(stored, computed, columns, lambda visit_id, _: (visit_id, ""))
    computed = {row.finding_id: row for row in db.session.execute(reference_failures())}
    stored = {row.finding_id: row for row in db.session.execute(
        select(VisitFailure.finding_id, *[VisitFailure.__table__.c[name] for name in FAILURE_FIELDS]))}
    differences += _compare(stored, computed, FAILURE_FIELDS,
                            lambda finding_id, row: (row.visit_id, f"failure {finding_id} "))
    computed = {(row.visit_id, row.criterion_id): row for row in db.session.execute(reference_values())}
    stored = {(row.visit_id, row.criterion_id): row for row in db.session.execute(
        select(VisitValue.visit_id, VisitValue.criterion_id, *[VisitValue.__table__.c[name] for name in VALUE_FIELDS]))}
    differences += _compare(stored, computed, VALUE_FIELDS,
                            lambda key, _: (key[0], f"lowest value of criterion {key[1]} "))
    return differences


def _compare(stored: dict[Any, Any], computed: dict[Any, Any], columns: Sequence[str],
             where: Any) -> list[Difference]:
    """The differences between stored and computed rows by key; `where(key, row)` gives
    the visit a difference is reported under and the prefix of its field."""
    differences = []
    for key in sorted(computed.keys() | stored.keys(), key=str):
        ours, reference = stored.get(key), computed.get(key)
        visit_id, prefix = where(key, ours if ours is not None else reference)
        if ours is None or reference is None:
            differences.append(Difference(visit_id, prefix + "row", "present" if ours else "missing",
                                          "present" if reference else "missing"))
            continue
        for name in columns:
            if not _same(getattr(ours, name), getattr(reference, name)):
                differences.append(Difference(visit_id, prefix + name, getattr(ours, name),
                                              getattr(reference, name)))
    return differences

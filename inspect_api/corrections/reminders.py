"""Reminders of corrections a unit still owes: the box the console shows after signing in,
and the daily e-mail digest (`flask corrections remind`).

What is owed is a correction waiting for the unit's report (open, or found not fixed):
one already reported waits for the reviewer, not the unit. Overdue: its deadline has
passed (Vietnam time). Due this week: due today or in the next six days.

A digest is claimed before it is sent by inserting a CorrectionDigestSend row per
recipient and day and committing it; the unique (recipient, day) makes the database
decide between two runs that race, so no one gets the same day's digest twice. A send
that fails gives its claims back, so the next run tries again.

Knows nothing of HTTP or SMTP: the CLI renders and sends what `plan_digests` returns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError

from ..auth.models import User
from ..db import db, utcnow
from ..org.models import Desk, OrgUnit
from .models import Correction, CorrectionDigestSend, vietnam_today
from .service import REVIEWER_ROLES, UNIT_ROLE, visible_corrections

OWED_STATUSES = ("open", "not_fixed")
WEEK = dt.timedelta(days=6)


@dataclass(frozen=True)
class Reminder:
    """Counts for the box on the console's corrections page."""

    overdue: int
    due_this_week: int
    awaiting_check: int  # reported, for a reviewer to accept or send back

    @property
    def any(self) -> bool:
        return bool(self.overdue or self.due_this_week or self.awaiting_check)


def reminder(actor: User, today: dt.date | None = None) -> Reminder:
    """What the actor should look at: their unit's (a unit officer) or their subtree's
    (a reviewer) owed corrections overdue and due this week; for reviewers, the reports
    waiting for them."""
    today = today or vietnam_today()
    ids = visible_corrections(actor).with_only_columns(Correction.id).scalar_subquery()
    base = select(func.count()).select_from(Correction).where(Correction.id.in_(ids))
    owed = base.where(Correction.status.in_(OWED_STATUSES))
    overdue = db.session.scalar(owed.where(Correction.deadline < today)) or 0
    due = db.session.scalar(owed.where(and_(Correction.deadline >= today, Correction.deadline <= today + WEEK))) or 0
    waiting = 0
    if actor.role in REVIEWER_ROLES:
        waiting = db.session.scalar(base.where(Correction.status == "reported")) or 0
    return Reminder(overdue, due, waiting)


# --- the daily digest ----------------------------------------------------------------

@dataclass
class DigestItem:
    code: str
    text: str
    desk: str
    unit: str
    deadline: dt.date
    days_late: int


@dataclass
class Digest:
    """One e-mail: to whom, about what (a unit's corrections, or a reviewer's subtree)."""

    kind: str  # "unit" or "reviewer"
    recipients: list[str]
    addressee: str  # the unit's name, or the reviewer's
    org_unit_id: int | None
    overdue: list[DigestItem] = field(default_factory=list)
    due_this_week: list[DigestItem] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.overdue) + len(self.due_this_week)


def _items(actor: User, today: dt.date) -> tuple[list[DigestItem], list[DigestItem]]:
    query = (visible_corrections(actor)
             .where(Correction.status.in_(OWED_STATUSES), Correction.deadline <= today + WEEK)
             .join(OrgUnit, OrgUnit.id == Correction.org_unit_id)
             .add_columns(Desk.name, OrgUnit.name)
             .order_by(Correction.deadline, Correction.id))
    overdue: list[DigestItem] = []
    due: list[DigestItem] = []
    for correction, desk_name, unit_name in db.session.execute(query):
        item = DigestItem(correction.criterion_code, correction.criterion_text, desk_name, unit_name,
                          correction.deadline, (today - correction.deadline).days)
        (overdue if correction.deadline < today else due).append(item)
    return overdue, due


def _recipients(role: str) -> Iterable[User]:
    return db.session.scalars(select(User).where(User.role == role, User.active.is_(True),
                                                 User.email.is_not(None), User.email != "")
                              .order_by(User.org_unit_id, User.id))


def plan_digests(today: dt.date) -> list[Digest]:
    """Every digest due today: one per unit with unit officers that have an e-mail (to
    all of them), one per reviewer with an e-mail (their subtree); none with nothing to
    say. Claims nothing: see `claim`."""
    digests: list[Digest] = []
    by_unit: dict[int, list[User]] = {}
    for officer in _recipients(UNIT_ROLE):
        by_unit.setdefault(officer.org_unit_id, []).append(officer)
    for officers in by_unit.values():
        overdue, due = _items(officers[0], today)
        digests.append(Digest("unit", _unique(o.email for o in officers), officers[0].org_unit.name,
                              officers[0].org_unit_id, overdue, due))
    for reviewer in _recipients("reviewer"):
        overdue, due = _items(reviewer, today)
        digests.append(Digest("reviewer", _unique([reviewer.email]), reviewer.full_name, None, overdue, due))
    return [digest for digest in digests if digest.count]


def _unique(emails: Iterable[str | None]) -> list[str]:
    seen: list[str] = []
    for email in emails:
        if email and email.lower() not in (s.lower() for s in seen):
            seen.append(email)
    return seen


def claim(digest: Digest, today: dt.date) -> list[CorrectionDigestSend]:
    """Record that `digest` goes out today to each of its recipients, one committed row
    each; a recipient someone else already claimed today (another run, even one racing
    this one) is left out. Returns the claims made: send to exactly those."""
    claims = []
    for recipient in digest.recipients:
        row = CorrectionDigestSend(recipient=recipient.lower(), day=today, kind=digest.kind,
                                   org_unit_id=digest.org_unit_id, corrections=digest.count,
                                   claimed_at=utcnow())
        db.session.add(row)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            continue
        claims.append(row)
    return claims


def mark_sent(claims: list[CorrectionDigestSend]) -> None:
    now = utcnow()
    for row in claims:
        row.sent_at = now
    db.session.commit()


def release(claims: list[CorrectionDigestSend]) -> None:
    """The send failed: give the claims back so the next run tries again."""
    db.session.rollback()
    for row in claims:
        db.session.execute(CorrectionDigestSend.__table__.delete().where(CorrectionDigestSend.id == row.id))
    db.session.commit()

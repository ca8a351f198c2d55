"""What the console's corrections pages list: the corrections an actor sees in one view
(tab), a page at a time, each with the desk, unit, visit and the failure's photos beside
it. Plain values for the templates; no HTTP here."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import Select, and_, func, select

from ..auth.models import User
from ..db import db
from ..evidence.models import Evidence
from ..org.models import Desk, OrgUnit
from ..visits.models import Visit
from .models import CLOSED_STATUSES, Correction, vietnam_today
from .reminders import OWED_STATUSES, WEEK
from .service import get_correction, list_corrections

# Each view, by what it holds. owed: not finished (waiting for the unit's report or for
# a reviewer); overdue / week: owed by the unit, deadline passed / within 7 days.
VIEWS = ("owed", "overdue", "week", "reported", "closed", "all")


@dataclass
class Row:
    """A correction with what the page shows beside it."""

    correction: Correction
    desk: Desk
    unit: OrgUnit
    visit: Visit
    evidence: list[Evidence]


@dataclass
class Listing:
    rows: list[Row]
    total: int
    page: int
    pages: int


def _in_view(query: Select, view: str, today: dt.date) -> Select:
    owed = Correction.status.in_(OWED_STATUSES)
    if view == "owed":
        return query.where(Correction.status.not_in(CLOSED_STATUSES))
    if view == "overdue":
        return query.where(owed, Correction.deadline < today)
    if view == "week":
        return query.where(owed, and_(Correction.deadline >= today, Correction.deadline <= today + WEEK))
    if view == "reported":
        return query.where(Correction.status == "reported")
    if view == "closed":
        return query.where(Correction.status.in_(CLOSED_STATUSES))
    return query


def correction_page(actor: User, view: str, page: int, per_page: int) -> Listing:
    """One page of the actor's corrections in `view`, overdue first, then by deadline."""
    query, order = list_corrections(actor, {})
    query = _in_view(query, view, vietnam_today())
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    ordered = query.order_by(*[column.desc() if descending else column for column, descending in order])
    items = list(db.session.scalars(ordered.limit(per_page).offset((page - 1) * per_page)))
    return Listing(rows(items), total, page, pages)


def correction_row(actor: User, correction_id: int) -> Row:
    """One correction the actor sees (404 otherwise), with its desk, unit, visit, photos."""
    return rows([get_correction(actor, correction_id)])[0]


def rows(items: list[Correction]) -> list[Row]:
    if not items:
        return []
    desks = {d.id: d for d in db.session.scalars(select(Desk).where(Desk.id.in_({c.desk_id for c in items})))}
    units = {u.id: u for u in db.session.scalars(
        select(OrgUnit).where(OrgUnit.id.in_({c.org_unit_id for c in items})))}
    visits = {v.id: v for v in db.session.scalars(select(Visit).where(Visit.id.in_({c.visit_id for c in items})))}
    photos: dict[uuid.UUID, list[Evidence]] = {}
    for evidence in db.session.scalars(select(Evidence).where(Evidence.finding_id.in_({c.finding_id for c in items}))
                                       .order_by(Evidence.uploaded_at)):
        photos.setdefault(evidence.finding_id, []).append(evidence)
    return [Row(c, desks[c.desk_id], units[c.org_unit_id], visits[c.visit_id], photos.get(c.finding_id, []))
            for c in items]

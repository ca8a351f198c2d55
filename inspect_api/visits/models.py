"""Visits (one team at one desk against one pinned checklist) and their findings."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import (
    CheckConstraint, Column, Float, ForeignKey, Index, Integer, Numeric, String, Table, Text, Uuid, select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from ..auth.models import User
from ..checklists.models import ChecklistTemplate, Criterion
from ..db import Base, Synced, Timestamped, UTCDateTime
from ..org.models import Desk, Staff
from ..plans.models import InspectionPlan, Team

VISIT_STATUSES = ("draft", "submitted", "returned", "approved")
EDITABLE_STATUSES = ("draft", "returned")
RESULTS = ("pass", "fail", "na")

visit_staff = Table(
    "visit_staff",
    Base.metadata,
    Column("visit_id", ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True),
    Column("staff_id", ForeignKey("staff.id"), primary_key=True, index=True),
)


class Visit(Synced, Timestamped, Base):
    """Identified by the tablet's UUID so an offline-created visit syncs without
    duplicates. `version` is the optimistic-concurrency counter of the visit's own fields."""

    __tablename__ = "visits"
    __table_args__ = (CheckConstraint(f"status IN {VISIT_STATUSES!r}", name="status"),
                      Index("ix_visits_sync", "sync_seq", "id"))
    sync_type = "visit"
    # Who sees a visit follows its desk (reviewers, leaders: the desk's subtree).
    sync_scope = ("parent", "desk_id", "Desk")

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plans.id"), index=True)
    desk_id: Mapped[int] = mapped_column(ForeignKey("desks.id"), index=True)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"))
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    notes: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    team: Mapped[Team] = relationship()
    plan: Mapped[InspectionPlan] = relationship()
    desk: Mapped[Desk] = relationship()
    checklist: Mapped[ChecklistTemplate] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    staff_on_duty: Mapped[list[Staff]] = relationship(secondary=visit_staff, order_by="Staff.id")
    findings: Mapped[list[Finding]] = relationship(
        back_populates="visit", order_by="Finding.recorded_at, Finding.id"
    )
    # Reviews live in a package built on this one: named by string, so typed Any here.
    reviews: Mapped[list[Any]] = relationship("Review", order_by="Review.round", viewonly=True)

    @property
    def last_review(self):
        return self.reviews[-1] if self.reviews else None

    @property
    def staff_on_duty_ids(self) -> list[int]:
        return [staff.id for staff in self.staff_on_duty]

    @property
    def location(self) -> dict[str, float] | None:
        return visit_location(self.latitude, self.longitude)

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE_STATUSES


def visit_location(latitude: float | None, longitude: float | None) -> dict[str, float] | None:
    """Where the team said it was, as a visit shows it (both or nothing)."""
    if latitude is None or longitude is None:
        return None
    return {"lat": latitude, "lon": longitude}


def answer_value(value_text: str | None, value_number: Decimal | None) -> int | float | str | None:
    """A finding's answer as shown: its text, else its number (an integer when whole)."""
    if value_text is not None:
        return value_text
    if value_number is None:
        return None
    return int(value_number) if value_number == value_number.to_integral_value() else float(value_number)


class Finding(Timestamped, Base):
    """The answer to one criterion in a visit, identified by the tablet's UUID.

    `value_number` holds count and percent answers, `value_text` time ("HH:MM") and text
    answers; `result` is what counts (given by the inspector, or derived from the value).
    """

    __tablename__ = "findings"
    __table_args__ = (CheckConstraint(f"result IN {RESULTS!r}", name="result"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    visit_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("visits.id", ondelete="CASCADE"), index=True
    )
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    result: Mapped[str] = mapped_column(String(10))
    value_number: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    value_text: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # What a finding shows of its criterion, read with the finding (undefer it where
    # findings are shown) instead of loading a whole Criterion per finding.
    criterion_code: Mapped[str] = column_property(
        select(Criterion.code).where(Criterion.id == criterion_id).scalar_subquery(), deferred=True)

    @property
    def value(self) -> int | float | str | None:
        return answer_value(self.value_text, self.value_number)

    visit: Mapped[Visit] = relationship(back_populates="findings")
    # Photos live in the evidence package; named by string (so typed Any here) to keep
    # the import one-way.
    evidence: Mapped[list[Any]] = relationship("Evidence", order_by="Evidence.uploaded_at", viewonly=True)
    criterion: Mapped[Criterion] = relationship()
    staff: Mapped[Staff | None] = relationship()


@dataclass(slots=True)
class FindingRow:
    """A finding read to be shown, not changed (GET of a visit's detail): its columns
    that FindingSchema shows, its criterion's code and its photos, as a Finding shows
    them, without the ORM's per-object bookkeeping. Nothing writes through it."""

    id: uuid.UUID
    visit_id: uuid.UUID
    criterion_id: int
    staff_id: int | None
    result: str
    value_number: Decimal | None
    value_text: str | None
    note: str | None
    recorded_at: dt.datetime
    recorded_by_id: int
    updated_at: dt.datetime
    criterion_code: str
    evidence: list[Any] = field(default_factory=list)

    @property
    def value(self) -> int | float | str | None:
        return answer_value(self.value_text, self.value_number)


class DeskPlace(NamedTuple):
    """Where a visit's desk is, as its detail keeps it: its photos' flags are judged
    against it."""

    latitude: Decimal | None
    longitude: Decimal | None


@dataclass(slots=True)
class VisitDetail:
    """A visit as its detail shows it, read to be shown, not changed (GET): the visit's
    columns that it shows (in this order, the statement reads them so), its staff on
    duty by id, where its desk is, its findings as FindingRows and its reviews (with
    their notes), without the ORM's per-object bookkeeping. Nothing writes through it."""

    id: uuid.UUID
    team_id: int
    plan_id: int
    desk_id: int
    checklist_id: int
    status: str
    version: int
    started_at: dt.datetime
    ended_at: dt.datetime | None
    notes: str | None
    latitude: float | None
    longitude: float | None
    created_by_id: int
    submitted_at: dt.datetime | None
    submitted_by_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    desk: DeskPlace
    staff_on_duty_ids: list[int]
    findings: list[FindingRow] = field(default_factory=list)
    reviews: list[Any] = field(default_factory=list)

    @property
    def location(self) -> dict[str, float] | None:
        return visit_location(self.latitude, self.longitude)

    @property
    def last_review(self):
        return self.reviews[-1] if self.reviews else None

"""Proposed forms (data, with their legal document) and frozen lists."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON, Boolean, CheckConstraint, Date, Float, ForeignKey, Index, Integer, Numeric, String, Text,
    UniqueConstraint, false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime

LIST_KINDS = ("criticism", "commendation")
ENTRY_TYPES = ("unit", "staff")


class ProposedForm(Base):
    """A form a list may propose (phê bình, đề nghị xem xét xử lý kỷ luật, biểu dương,
    giấy khen, ...), with the document it rests on and when that document applies: the
    decrees changed on 1 July 2025, so a form is looked up by date, never hard-coded."""

    __tablename__ = "proposed_forms"
    __table_args__ = (
        UniqueConstraint("code", "valid_from"),
        CheckConstraint(f"list_kind IN {LIST_KINDS!r}", name="list_kind"),
        CheckConstraint("subject IN ('unit', 'staff', 'any')", name="subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    list_kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(10))
    rank: Mapped[int] = mapped_column(Integer, default=0)  # mildest first
    name: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)


class FrozenList(Base):
    """A list a leader fixed under a document number: its entries are copies, so later
    reviews never change what was signed."""

    __tablename__ = "frozen_lists"
    __table_args__ = (CheckConstraint(f"kind IN {LIST_KINDS!r}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    period_from: Mapped[dt.date] = mapped_column(Date)
    period_to: Mapped[dt.date] = mapped_column(Date)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    document_number: Mapped[str] = mapped_column(String(60))
    document_date: Mapped[dt.date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(Text)
    # The Tờ trình this list is attached to: who signs it, to whom it goes. NULL on lists
    # frozen before these were recorded (signed by hand).
    signer_name: Mapped[str | None] = mapped_column(String(200))
    signer_title: Mapped[str | None] = mapped_column(String(200))  # lines split by "\n"
    addressee: Mapped[str | None] = mapped_column(String(300))
    recipients: Mapped[list[str] | None] = mapped_column(JSON)
    # A province that signs attachments too shows the signature block on the list.
    attachment_signed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    unit_count: Mapped[int] = mapped_column(Integer, default=0)
    staff_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    entries: Mapped[list[FrozenListEntry]] = relationship(
        order_by="FrozenListEntry.position", cascade="all, delete-orphan")


class FrozenListEntry(Base):
    """One line of a frozen list, as it stood when frozen."""

    __tablename__ = "frozen_list_entries"
    __table_args__ = (
        UniqueConstraint("list_id", "position"),
        CheckConstraint(f"entry_type IN {ENTRY_TYPES!r}", name="entry_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("frozen_lists.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    entry_type: Mapped[str] = mapped_column(String(10))
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    position_title: Mapped[str | None] = mapped_column(String(200))
    org_name: Mapped[str | None] = mapped_column(String(200))
    commune: Mapped[str | None] = mapped_column(String(200))
    head_name: Mapped[str | None] = mapped_column(String(200))
    form_code: Mapped[str] = mapped_column(String(40))
    form_name: Mapped[str] = mapped_column(String(200))
    form_legal_basis: Mapped[str | None] = mapped_column(Text)
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    critical: Mapped[int] = mapped_column(Integer, default=0)
    major: Mapped[int] = mapped_column(Integer, default=0)
    minor: Mapped[int] = mapped_column(Integer, default=0)
    reasons: Mapped[list[str]] = mapped_column(JSON)
    explanation_status: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    award_authority: Mapped[str | None] = mapped_column(String(300))
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)

    @property
    def pending_explanation(self) -> bool:
        return self.explanation_status in ("requested", "not_requested")

    @property
    def visit_dates(self) -> list[dt.date]:
        return sorted({dt.date.fromisoformat(f["visit_date"]) for f in self.findings})


class VisitScore(Base):
    """An approved visit's score as its deciding review left it, kept so reports add up
    stored rows instead of reading every finding (reports/kept_scores.py writes it; the
    from-findings computation in reports/scores.py stays the reference it is checked
    against). One row per approved visit that has a review; none for other visits.

    `findings` counts the findings that count (not voided): a visit with none has no
    score and, as in the reference, is not counted among the scored visits."""

    __tablename__ = "visit_scores"

    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    # Where and when the visit was (fixed once it is approved), copied so that a report
    # picks its period's rows from this table alone, without joining every visit.
    desk_id: Mapped[int] = mapped_column(ForeignKey("desks.id"))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    score: Mapped[float | None] = mapped_column(Float)
    applicable_weight: Mapped[float] = mapped_column(Float)
    passed_weight: Mapped[float] = mapped_column(Float)
    critical: Mapped[int] = mapped_column(Integer)
    major: Mapped[int] = mapped_column(Integer)
    minor: Mapped[int] = mapped_column(Integer)
    findings: Mapped[int] = mapped_column(Integer)


class VisitFailure(Base):
    """A counting failure of an approved visit (not voided by its deciding review), with
    the severity that review left, kept beside its visit's score: the lists read these
    rows instead of picking tens of thousands of failures out of every finding of the
    period. Written and checked with the kept scores (reports/kept_scores.py); the
    finding's own fields are copied because an approved visit can no longer be edited,
    and a review that reopens it rewrites or removes them."""

    __tablename__ = "visit_failures"

    finding_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), primary_key=True)
    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    desk_id: Mapped[int] = mapped_column(ForeignKey("desks.id"))  # the visit's, as in VisitScore
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    severity: Mapped[str] = mapped_column(String(10))
    value_number: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class VisitValue(Base):
    """The lowest figure an approved visit recorded for a criterion (a rate, a count),
    among its counting findings: the lists' dossier rates read these rows instead of
    every finding with a figure. Kept and checked with the kept scores
    (reports/kept_scores.py)."""

    __tablename__ = "visit_values"
    # A list reads one or two criteria over a period, with each row's desk and figure
    # (in the index on PostgreSQL: migration 0016).
    __table_args__ = (Index("ix_visit_values_criterion_id_started_at", "criterion_id", "started_at",
                            postgresql_include=["desk_id", "lowest"]),)

    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id"), primary_key=True, index=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    desk_id: Mapped[int] = mapped_column(ForeignKey("desks.id"))  # the visit's, as in VisitScore
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    lowest: Mapped[Decimal] = mapped_column(Numeric(12, 2))

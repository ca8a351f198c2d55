"""Corrections (khắc phục): each failing finding of an approved visit becomes a required
fix with a deadline, followed until it is verified. The unit's reports and the checks
(a reviewer accepting a report, an inspector re-checking at the next visit) are rows of
their own, never written over, so the history of a correction stays readable.

Overdue is derived from the deadline and today's date, never stored: a stored flag would
be wrong the morning after it was written.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    BigInteger, CheckConstraint, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..checklists.models import SEVERITIES
from ..db import Base, Synced, Timestamped, UTCDateTime, utcnow
from ..timezone import VIETNAM_TZ

STATUSES = ("open", "reported", "verified", "not_fixed", "withdrawn")
# The unit still owes a fix: a not-fixed correction can be reported and re-checked again.
ACTIVE_STATUSES = ("open", "reported", "not_fixed")
CLOSED_STATUSES = ("verified", "withdrawn")
# Why a correction was withdrawn: its finding was voided in a review (a later review that
# un-voids it reopens it), or the finding no longer fails once the visit was re-approved.
WITHDRAWN_VOIDED = "voided"
WITHDRAWN_NOT_FAILING = "not_failing"
WITHDRAWN_REASONS = (WITHDRAWN_VOIDED, WITHDRAWN_NOT_FAILING)
# How a correction was checked, and what the check found.
METHODS = ("review", "recheck")
OUTCOMES = ("accept", "recheck", "fixed", "not_fixed")
REVIEW_OUTCOMES = ("accept", "recheck")
RECHECK_OUTCOMES = ("fixed", "not_fixed")


def vietnam_today() -> dt.date:
    return utcnow().astimezone(VIETNAM_TZ).date()


class Correction(Synced, Timestamped, Base):
    """One required fix, from one failing finding (unique). What must be fixed is copied
    from the finding and its criterion when the visit is approved, so the notice and the
    unit read what was decided even if the checklist changes later."""

    __tablename__ = "corrections"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES!r}", name="status"),
        CheckConstraint(f"severity IN {SEVERITIES!r}", name="severity"),
        CheckConstraint(f"withdrawn_reason IS NULL OR withdrawn_reason IN {WITHDRAWN_REASONS!r}",
                        name="withdrawn_reason"),
        Index("ix_corrections_sync", "sync_seq", "id"),
    )
    sync_type = "correction"
    # Who sees a correction follows its desk, like the visit it came from.
    sync_scope = ("parent", "desk_id", "Desk")

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), unique=True)
    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    desk_id: Mapped[int] = mapped_column(ForeignKey("desks.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id"))
    criterion_code: Mapped[str] = mapped_column(String(20))
    criterion_text: Mapped[str] = mapped_column(Text)
    finding_note: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(10))
    approved_on: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    withdrawn_reason: Mapped[str | None] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    reports: Mapped[list[CorrectionReport]] = relationship(
        back_populates="correction", order_by="CorrectionReport.reported_at")
    verifications: Mapped[list[CorrectionVerification]] = relationship(
        back_populates="correction", order_by="CorrectionVerification.verified_at")

    @property
    def overdue(self) -> bool:
        return self.status not in CLOSED_STATUSES and self.deadline < vietnam_today()


class CorrectionReport(Base):
    """The unit says what it did, with photos of the result. Identified by the client's
    UUID, so sending the same report again records it once."""

    __tablename__ = "correction_reports"
    # A report changes what a tablet must show for its correction: renumber it for sync.
    sync_bumps = "correction"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    correction_id: Mapped[int] = mapped_column(ForeignKey("corrections.id", ondelete="CASCADE"), index=True)
    note: Mapped[str] = mapped_column(Text)
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    correction: Mapped[Correction] = relationship(back_populates="reports")
    photos: Mapped[list[CorrectionPhoto]] = relationship(
        foreign_keys="CorrectionPhoto.report_id", order_by="CorrectionPhoto.uploaded_at", viewonly=True)


class CorrectionVerification(Base):
    """A check of a correction: a reviewer accepting the unit's report on its evidence
    (or asking for a re-check), or an inspector re-checking it at the desk (fixed or not).
    Identified by the client's UUID: a tablet retrying it records one check."""

    __tablename__ = "correction_verifications"
    __table_args__ = (
        CheckConstraint(f"method IN {METHODS!r}", name="method"),
        CheckConstraint(f"outcome IN {OUTCOMES!r}", name="outcome"),
    )
    sync_bumps = "correction"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    correction_id: Mapped[int] = mapped_column(ForeignKey("corrections.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(10))
    outcome: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    # The visit during which the inspector re-checked, when they say.
    visit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"), index=True)
    status_after: Mapped[str] = mapped_column(String(12))
    verified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    correction: Mapped[Correction] = relationship(back_populates="verifications")
    photos: Mapped[list[CorrectionPhoto]] = relationship(
        foreign_keys="CorrectionPhoto.verification_id", order_by="CorrectionPhoto.uploaded_at", viewonly=True)


class CorrectionPhoto(Base):
    """A photo for a correction, stored like a finding's (same checks: SHA-256, size, a
    whole image of its type, a thumbnail) under the client's UUID, then attached to the
    report or the check that cites it."""

    __tablename__ = "correction_photos"
    __table_args__ = (
        CheckConstraint("report_id IS NULL OR verification_id IS NULL", name="one_owner"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    correction_id: Mapped[int] = mapped_column(ForeignKey("corrections.id", ondelete="CASCADE"), index=True)
    report_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("correction_reports.id"), index=True)
    verification_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("correction_verifications.id"), index=True)
    object_key: Mapped[str] = mapped_column(String(300), unique=True)
    thumbnail_key: Mapped[str] = mapped_column(String(300), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(50))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    gps_lat: Mapped[float | None] = mapped_column(Float)
    gps_lon: Mapped[float | None] = mapped_column(Float)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    @property
    def gps(self) -> dict[str, float] | None:
        if self.gps_lat is None or self.gps_lon is None:
            return None
        return {"lat": self.gps_lat, "lon": self.gps_lon}


DIGEST_KINDS = ("unit", "reviewer")


class CorrectionDigestSend(Base):
    """One daily reminder digest, claimed before it is sent. The unique (recipient, day)
    is the lock: of two runs that race, one insert fails and that run skips the recipient,
    so nobody gets the same day's digest twice. `sent_at` stays empty if sending failed
    after the claim (the row is then removed, so the next run tries again)."""

    __tablename__ = "correction_digest_sends"
    __table_args__ = (
        UniqueConstraint("recipient", "day"),
        CheckConstraint(f"kind IN {DIGEST_KINDS!r}", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    day: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))
    corrections: Mapped[int] = mapped_column(Integer)
    claimed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

"""Review rounds by the Department of Home Affairs, the reviewer's per-finding notes and
adjustments (kept beside the inspector's original, never over it), and the named
official's explanation (giải trình)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..checklists.models import SEVERITIES
from ..db import Base, Timestamped, UTCDateTime

DECISIONS = ("approve", "return")
EXPLANATION_STATUSES = ("requested", "received", "lapsed")


class Review(Base):
    """One decision on one submission of a visit. Rounds are numbered from 1 and never
    edited, so the history of returns and resubmissions stays readable."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("visit_id", "round"),
        CheckConstraint(f"decision IN {DECISIONS!r}", name="decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(10))
    comment: Mapped[str | None] = mapped_column(Text)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    visit_version: Mapped[int] = mapped_column(Integer)

    reviewer: Mapped[User] = relationship()
    finding_notes: Mapped[list[FindingReview]] = relationship(
        back_populates="review", order_by="FindingReview.id")


class FindingReview(Base):
    """The reviewer's note on one finding in one round: a comment, a changed severity, or
    a void with its reason. The finding itself is never changed."""

    __tablename__ = "finding_reviews"
    __table_args__ = (
        UniqueConstraint("review_id", "finding_id"),
        CheckConstraint(f"severity IS NULL OR severity IN {SEVERITIES!r}", name="severity"),
        CheckConstraint("NOT voided OR void_reason IS NOT NULL", name="void_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    finding_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    comment: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str | None] = mapped_column(String(10))
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    void_reason: Mapped[str | None] = mapped_column(Text)

    review: Mapped[Review] = relationship(back_populates="finding_notes")


class Explanation(Timestamped, Base):
    """The official's right to explain: requested (with a deadline), then received, or
    lapsed once the deadline passed. One per failing staff finding."""

    __tablename__ = "explanations"
    __table_args__ = (CheckConstraint(f"status IN {EXPLANATION_STATUSES!r}", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("findings.id", ondelete="CASCADE"), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    deadline: Mapped[dt.date] = mapped_column(Date)
    received_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    content: Mapped[str | None] = mapped_column(Text)
    lapsed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

"""Conclusion notices (Thông báo kết quả kiểm tra): what Sở Nội vụ tells an inspected unit
after a round (đợt kiểm tra), issued under a document number.

The content is a JSON copy of what the notice said when it was issued, like a frozen
list's entries: a later review that voids a finding or changes its severity never
changes a notice the unit has received."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime


class ConclusionNotice(Base):
    __tablename__ = "conclusion_notices"
    __table_args__ = (
        # A document number is the issuing body's: the same number twice is a clerk's slip.
        UniqueConstraint("issuer_unit_id", "document_number"),
        # One notice per unit and round: the unit reports against one set of deadlines.
        UniqueConstraint("plan_id", "org_unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plans.id"), index=True)
    # The inspected unit, to which the notice goes.
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    # The plan's unit when issued: whose number series the document number belongs to.
    issuer_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    document_number: Mapped[str] = mapped_column(String(60))
    document_date: Mapped[dt.date] = mapped_column(Date)
    signer_name: Mapped[str] = mapped_column(String(200))
    signer_title: Mapped[str] = mapped_column(String(200))  # lines split by "\n"
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

"""Checklist templates (versioned, immutable once published) and their criteria."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, Synced, Timestamped, UTCDateTime
from ..errors import ImmutableTemplate
from ..org.models import OrgUnit

TEMPLATE_STATUSES = ("draft", "published")
ANSWER_TYPES = ("yes_no", "count", "percent", "time", "text")
SUBJECTS = ("unit", "staff")
PHOTO_RULES = ("required", "optional", "none")
SEVERITIES = ("minor", "major", "critical")
CATEGORIES = ("facilities", "posting", "conduct", "punctuality", "dossier", "digital")


class ChecklistTemplate(Synced, Timestamped, Base):
    """One version of a checklist. Visits pin a version; a published one never changes,
    so a finding always means what the inspector saw when answering it."""

    __tablename__ = "checklist_templates"
    __table_args__ = (
        UniqueConstraint("code", "version"),
        CheckConstraint(f"status IN {TEMPLATE_STATUSES!r}", name="status"),
        Index("ix_checklist_templates_sync", "sync_seq", "id"),
    )
    sync_type = "checklist"
    sync_scope = ("unit", "org_unit_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True, active_history=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    org_unit: Mapped[OrgUnit] = relationship()
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="template", order_by="Criterion.position",
        cascade="all, delete-orphan",
    )

    def applies_to(self, unit: OrgUnit) -> bool:
        """Published by `unit` itself or by one of its ancestors: a desk's visits and a
        unit's plans may use it."""
        return unit.path.startswith(self.org_unit.path)


class Criterion(Base):
    """One question of a template. `pass_rule` turns a value answer into pass/fail,
    e.g. "value == 0", "value >= 90", "value <= desk.opens_at"."""

    __tablename__ = "criteria"
    __table_args__ = (
        UniqueConstraint("template_id", "code"),
        CheckConstraint(f"answer_type IN {ANSWER_TYPES!r}", name="answer_type"),
        CheckConstraint(f"subject IN {SUBJECTS!r}", name="subject"),
        CheckConstraint(f"photo IN {PHOTO_RULES!r}", name="photo"),
        CheckConstraint(f"severity IN {SEVERITIES!r}", name="severity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    answer_type: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(10))
    photo: Mapped[str] = mapped_column(String(10))
    severity: Mapped[str] = mapped_column(String(10))
    weight: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    pass_rule: Mapped[str | None] = mapped_column(String(100))

    template: Mapped[ChecklistTemplate] = relationship(back_populates="criteria")


def published_templates_are_immutable(session, flush_context, instances):
    """The last line of defence behind the service's check: no code path may change a
    published template or its criteria."""
    for obj in list(session.dirty) + list(session.deleted):
        if (isinstance(obj, Criterion) and session.is_modified(obj)) or (
            isinstance(obj, Criterion) and obj in session.deleted
        ):
            template = obj.template
            if template is not None and inspect(template).attrs.status.history.unchanged == ["published"]:
                raise ImmutableTemplate(f"Tiêu chí {obj.code} thuộc bộ tiêu chí đã ban hành; không thể sửa "
                                        f"hoặc xóa.")
        if isinstance(obj, ChecklistTemplate) and session.is_modified(obj):
            status = inspect(obj).attrs.status.history
            was = (status.deleted or status.unchanged or [None])[0]
            if was == "published":
                raise ImmutableTemplate(f"Bộ tiêu chí {obj.code} phiên bản {obj.version} đã ban hành; "
                                        f"không thể sửa.")


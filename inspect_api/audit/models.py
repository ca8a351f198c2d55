"""The append-only, hash-chained audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime


class AuditEvent(Base):
    """One recorded action. `hash` = SHA-256 over the previous event's hash and this
    event's content, so editing or deleting any row breaks every hash after it.

    `scope_unit_id` is the org unit the event is about (a visit: its desk's unit; a
    user: their unit; ...), fixed when the event is written: who may read the event is
    whoever's subtree holds that unit. None: about no unit (a failed login for an unknown
    name), readable only by admins of a root unit. It is part of the hash.
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_username: Mapped[str | None] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[Any | None] = mapped_column(JSON)
    after: Mapped[Any | None] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(64))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    scope_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

"""User accounts and revoked sessions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, Timestamped, UTCDateTime
from ..org.models import OrgUnit

# unit_officer: the inspected unit's leader, or an officer it names; sees and reports on
# its own unit's corrections (and reads its approved visits), nothing else.
ROLES = ("inspector", "reviewer", "leader", "admin", "unit_officer")


class User(Timestamped, Base):
    """An account. What it may see is the subtree of `org_unit`.

    `token_version` goes up whenever the account is disabled, its role or its password
    changes; tokens carry the version they were issued under, so all older tokens fail at
    once.
    """

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    token_version: Mapped[int] = mapped_column(Integer, default=1)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Where the daily corrections digest goes (unit officers, reviewers); none, no digest.
    email: Mapped[str | None] = mapped_column(String(254))

    org_unit: Mapped[OrgUnit] = relationship()


class RevokedSession(Base):
    """A login session (the `sid` claim shared by its access and refresh tokens) that
    was logged out. Kept until the refresh token would have expired anyway."""

    __tablename__ = "revoked_sessions"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    revoked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)

"""The organisation tree, its one-stop desks and the staff who work at them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Numeric, String, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, Synced, Timestamped

ORG_UNIT_KINDS = (
    "province", "department", "district", "commune", "ward", "special_zone",
    "service_center",
)
DESK_LEVELS = ("province", "commune")
STAFF_CATEGORIES = ("can_bo", "cong_chuc", "vien_chuc", "hop_dong")
# Office hours most provinces set for their desks (mornings from 7:30, close at 17:00).
DEFAULT_OPENS_AT = dt.time(7, 30)
DEFAULT_CLOSES_AT = dt.time(17, 0)


class OrgUnit(Synced, Timestamped, Base):
    """A node of the administrative tree (any depth).

    `path` is the chain of ids from the root, e.g. "/1/7/12/", so that "this unit's
    subtree" is one indexed prefix match on every backend. `valid_from/valid_to` and
    `successor_id` keep units abolished or merged by the 2025 reform reportable.
    """

    __tablename__ = "org_units"
    __table_args__ = (
        CheckConstraint(f"kind IN {ORG_UNIT_KINDS!r}", name="kind"),
        Index("ix_org_units_sync", "sync_seq", "id"),
    )
    sync_type = "org_unit"
    sync_scope = ("path",)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    admin_code: Mapped[str | None] = mapped_column(String(10))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    # active_history: the flush hook needs the old path to follow a move (inspect_api.sync).
    path: Mapped[str] = mapped_column(String(400), index=True, default="", active_history=True)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))
    head_name: Mapped[str | None] = mapped_column(String(200))
    head_title: Mapped[str | None] = mapped_column(String(200))

    parent: Mapped[OrgUnit | None] = relationship(
        remote_side=[id], foreign_keys=[parent_id]
    )

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2


class Desk(Synced, Timestamped, Base):
    """A one-stop desk (Bộ phận Một cửa) of an org unit.

    `latitude`/`longitude` (WGS 84, both or neither) place it on the map, so a photo's
    GPS can be checked against where the desk is (evidence/flags.py)."""

    __tablename__ = "desks"
    __table_args__ = (CheckConstraint(f"level IN {DESK_LEVELS!r}", name="level"),
                      CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude"),
                      CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude"),
                      CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="location_pair"),
                      Index("ix_desks_sync", "sync_seq", "id"))
    sync_type = "desk"
    sync_scope = ("unit", "org_unit_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True, active_history=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    level: Mapped[str] = mapped_column(String(20))
    opens_at: Mapped[dt.time] = mapped_column(Time, default=DEFAULT_OPENS_AT)
    closes_at: Mapped[dt.time] = mapped_column(Time, default=DEFAULT_CLOSES_AT)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Six decimals: about 0.1 m, finer than any phone's GPS.
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))

    org_unit: Mapped[OrgUnit] = relationship()

    @property
    def location(self) -> dict[str, float] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return {"lat": float(self.latitude), "lon": float(self.longitude)}


class Staff(Synced, Timestamped, Base):
    """A civil servant working at a desk: the subject of staff-level findings.

    Not a user account. `employee_code` is the province's own code, the natural key that
    imports from the provinces' Excel staff lists match on.
    """

    __tablename__ = "staff"
    __table_args__ = (
        CheckConstraint(f"category IN {STAFF_CATEGORIES!r}", name="category"),
        Index("ix_staff_sync", "sync_seq", "id"),
    )
    sync_type = "staff"
    sync_scope = ("unit", "org_unit_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True, active_history=True)
    desk_id: Mapped[int | None] = mapped_column(ForeignKey("desks.id"), index=True)
    employee_code: Mapped[str] = mapped_column(String(40), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20), default="cong_chuc")
    phone: Mapped[str | None] = mapped_column(String(30))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    org_unit: Mapped[OrgUnit] = relationship()
    desk: Mapped[Desk | None] = relationship()

    def serves(self, desk: Desk) -> bool:
        """Works at this desk, or belongs to the unit the desk serves."""
        return self.desk_id == desk.id or self.org_unit_id == desk.org_unit_id

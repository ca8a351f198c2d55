"""Inspection plans (đợt kiểm tra) and their teams (đoàn kiểm tra)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Date, ForeignKey, Index, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..checklists.models import ChecklistTemplate
from ..db import Base, Synced, Timestamped
from ..org.models import Desk, OrgUnit

team_members = Table(
    "team_members",
    Base.metadata,
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True, index=True),
)

team_desks = Table(
    "team_desks",
    Base.metadata,
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("desk_id", ForeignKey("desks.id"), primary_key=True, index=True),
)


class InspectionPlan(Synced, Timestamped, Base):
    """A plan decided by a body (its decision number) for a period over an org subtree."""

    __tablename__ = "inspection_plans"
    __table_args__ = (Index("ix_inspection_plans_sync", "sync_seq", "id"),)
    sync_type = "plan"
    sync_scope = ("unit", "org_unit_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True, active_history=True)
    title: Mapped[str] = mapped_column(String(300))
    decision_number: Mapped[str] = mapped_column(String(60), unique=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"))

    org_unit: Mapped[OrgUnit] = relationship()
    checklist: Mapped[ChecklistTemplate] = relationship()
    teams: Mapped[list[Team]] = relationship(back_populates="plan", order_by="Team.id")


class Team(Timestamped, Base):
    """An inspection team: a leader, members (users) and the desks it is assigned."""

    __tablename__ = "teams"
    # Teams reach the tablet inside their plan: a changed team is a changed plan.
    sync_bumps = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plans.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    plan: Mapped[InspectionPlan] = relationship(back_populates="teams")
    leader: Mapped[User | None] = relationship(foreign_keys=[leader_id])
    members: Mapped[list[User]] = relationship(secondary=team_members, order_by="User.id")
    desks: Mapped[list[Desk]] = relationship(secondary=team_desks, order_by="Desk.id")

    @property
    def member_ids(self) -> list[int]:
        return [member.id for member in self.members]

    @property
    def desk_ids(self) -> list[int]:
        return [desk.id for desk in self.desks]

"""Inspection plans and teams (admin writes; everyone in scope reads)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, literal, or_, select
from sqlalchemy.orm import selectinload

from ..audit.service import Origin, record, snapshot
from ..scoping import unit_in_subtree
from ..auth.models import User
from ..checklists.models import ChecklistTemplate
from ..db import db, utcnow
from ..errors import Forbidden, NotFound
from ..org.models import Desk, OrgUnit
from ..services import apply_changes, flush_or_conflict, invalid_field
from ..sync import Cursor, Feed, FeedPage, pull
from .models import InspectionPlan, Team, team_members


def _related_units(actor: User):
    """Plans made above the actor apply to them; plans below are theirs to see."""
    path = actor.org_unit.path
    return select(OrgUnit.id).where(or_(literal(path).startswith(OrgUnit.path),
                                        OrgUnit.path.startswith(path)))


def plan_scope(actor: User) -> Select:
    return select(InspectionPlan).where(InspectionPlan.org_unit_id.in_(_related_units(actor)))


PLAN_FEED = Feed("plans", InspectionPlan, plan_scope, sees_ancestors=True, options=lambda: (
    selectinload(InspectionPlan.teams).selectinload(Team.members),
    selectinload(InspectionPlan.teams).selectinload(Team.desks)))


def pull_plans(actor: User, filters: dict[str, Any], cursor: Cursor | None, per_page: int) -> FeedPage:
    """Plans (with their teams) changed since `cursor` (filter: active_on)."""
    conditions = []
    if filters.get("active_on"):
        day = filters["active_on"]
        conditions += [InspectionPlan.starts_on <= day, InspectionPlan.ends_on >= day]
    return pull(PLAN_FEED, actor, conditions, filters, cursor, per_page)


def get_plan(actor: User, plan_id: int) -> InspectionPlan:
    plan = db.session.scalar(plan_scope(actor).where(InspectionPlan.id == plan_id))
    if plan is None:
        raise NotFound("Không tìm thấy kế hoạch kiểm tra.")
    return plan


def _check_plan(actor: User | None, data: dict[str, Any], plan: InspectionPlan | None = None) -> None:
    if "org_unit_id" in data:
        unit = db.session.get(OrgUnit, data["org_unit_id"])
        if unit is None or (actor is not None and not unit_in_subtree(unit, actor)):
            raise invalid_field("org_unit_id", "Đơn vị không tồn tại hoặc ngoài phạm vi quản lý.")
    starts = data.get("starts_on", plan.starts_on if plan else None)
    ends = data.get("ends_on", plan.ends_on if plan else None)
    if starts and ends and ends < starts:
        raise invalid_field("ends_on", "Ngày kết thúc phải sau ngày bắt đầu.")
    if "checklist_id" in data or "org_unit_id" in data:
        template = db.session.get(ChecklistTemplate, data.get("checklist_id", plan.checklist_id if plan else None))
        unit = db.session.get(OrgUnit, data.get("org_unit_id", plan.org_unit_id if plan else None))
        if template is None or template.status != "published" or unit is None or not template.applies_to(unit):
            raise invalid_field("checklist_id", "Bộ tiêu chí không tồn tại, chưa ban hành hoặc không "
                                                "do đơn vị của kế hoạch (hoặc cấp trên) ban hành.")


def plan_snapshot(plan: InspectionPlan) -> dict[str, Any]:
    return snapshot(plan, "id", "org_unit_id", "title", "decision_number", "starts_on", "ends_on",
                    "checklist_id", "updated_at")


def create_plan(actor: User | None, data: dict[str, Any], *, origin: Origin | None = None) -> InspectionPlan:
    _check_plan(actor, data)
    plan = InspectionPlan(**data)
    db.session.add(plan)
    flush_or_conflict("decision_number", "Số quyết định đã được dùng cho kế hoạch khác.")
    record("create", "plan", plan.id, actor=actor, after=plan_snapshot(plan),
           actor_username=None if actor else "cli", origin=origin)
    db.session.commit()
    return plan


def update_plan(actor: User, plan: InspectionPlan, data: dict[str, Any], *,
                origin: Origin | None = None) -> InspectionPlan:
    _require_manageable(actor, plan)
    _check_plan(actor, data, plan)
    before = plan_snapshot(plan)
    if apply_changes(plan, data):
        flush_or_conflict("decision_number", "Số quyết định đã được dùng cho kế hoạch khác.")
        record("update", "plan", plan.id, actor=actor, before=before, after=plan_snapshot(plan), origin=origin)
    db.session.commit()
    return plan


# --- teams ---------------------------------------------------------------------------

def team_snapshot(team: Team) -> dict[str, Any]:
    return snapshot(team, "id", "plan_id", "name", "leader_id", "member_ids", "desk_ids", "updated_at")


def _members(actor: User | None, ids: list[int]) -> list[User]:
    users = db.session.scalars(select(User).where(User.id.in_(ids))).all()
    found = {u.id: u for u in users}
    bad = [i for i in ids if i not in found or found[i].role != "inspector"
           or (actor is not None and not unit_in_subtree(found[i].org_unit, actor))]
    if bad:
        raise invalid_field("member_ids", f"Không phải kiểm tra viên trong phạm vi: {bad}.")
    return [found[i] for i in dict.fromkeys(ids)]


def _desks(plan: InspectionPlan, ids: list[int]) -> list[Desk]:
    desks = db.session.scalars(select(Desk).where(Desk.id.in_(ids))).all()
    found = {d.id: d for d in desks}
    bad = [i for i in ids if i not in found or not found[i].org_unit.path.startswith(plan.org_unit.path)]
    if bad:
        raise invalid_field("desk_ids", f"Bộ phận Một cửa không thuộc phạm vi kế hoạch: {bad}.")
    return [found[i] for i in dict.fromkeys(ids)]


def _apply_team(actor: User | None, team: Team, data: dict[str, Any]) -> None:
    if "name" in data:
        team.name = data["name"]
    if "member_ids" in data:
        team.members = _members(actor, data["member_ids"])
    if "desk_ids" in data:
        team.desks = _desks(team.plan, data["desk_ids"])
    if "leader_id" in data:
        team.leader_id = data["leader_id"]
    if team.leader_id is not None and team.leader_id not in {m.id for m in team.members}:
        raise invalid_field("leader_id", "Trưởng đoàn phải là thành viên của đoàn.")


def _require_manageable(actor: User | None, plan: InspectionPlan) -> None:
    if actor is not None and not unit_in_subtree(plan.org_unit, actor):
        raise Forbidden("Kế hoạch của cấp trên: bạn không quản lý đoàn của kế hoạch này.")


def create_team(actor: User | None, plan: InspectionPlan, data: dict[str, Any], *,
                origin: Origin | None = None) -> Team:
    _require_manageable(actor, plan)
    team = Team(plan=plan, name=data["name"])
    with db.session.no_autoflush:
        _apply_team(actor, team, data)
    db.session.add(team)
    db.session.flush()
    record("create", "team", team.id, actor=actor, after=team_snapshot(team),
           actor_username=None if actor else "cli", origin=origin)
    db.session.commit()
    return team


def get_team(actor: User, team_id: int) -> Team:
    team = db.session.get(Team, team_id)
    if team is None:
        raise NotFound("Không tìm thấy đoàn kiểm tra.")
    get_plan(actor, team.plan_id)  # 404 outside the actor's scope
    return team


def update_team(actor: User, team: Team, data: dict[str, Any], *, origin: Origin | None = None) -> Team:
    _require_manageable(actor, team.plan)
    before = team_snapshot(team)
    _apply_team(actor, team, data)
    after = team_snapshot(team)
    if after != before:
        team.updated_at = utcnow()
        record("update", "team", team.id, actor=actor, before=before, after=team_snapshot(team), origin=origin)
    db.session.commit()
    return team


def teams_in_scope(actor: User) -> list[Team]:
    """The teams of every plan the actor sees (plans of a higher unit included, which the
    actor may read but not change), newest plan first."""
    return list(db.session.scalars(
        select(Team).join(Team.plan).where(InspectionPlan.id.in_(plan_scope(actor).with_only_columns(
            InspectionPlan.id))).options(selectinload(Team.members), selectinload(Team.plan))
        .order_by(InspectionPlan.starts_on.desc(), InspectionPlan.id, Team.name, Team.id)))


def can_manage_team(actor: User, team: Team) -> bool:
    return unit_in_subtree(team.plan.org_unit, actor)


def add_team_member(actor: User, team: Team, user_id: int, *, origin: Origin | None = None) -> Team:
    """Add an inspector of the actor's subtree to the team (update_team's rules)."""
    _require_manageable(actor, team.plan)
    if user_id in team.member_ids:
        raise invalid_field("member_ids", "Người này đã là thành viên của đoàn.")
    return update_team(actor, team, {"member_ids": [*team.member_ids, user_id]}, origin=origin)


def remove_team_member(actor: User, team: Team, user_id: int, *, origin: Origin | None = None) -> Team:
    """Take a member off the team; the leader must first be replaced, and a team keeps at
    least one member (as the API's schema requires)."""
    _require_manageable(actor, team.plan)
    if user_id not in team.member_ids:
        raise invalid_field("member_ids", "Người này không phải thành viên của đoàn.")
    if len(team.members) == 1:
        raise invalid_field("member_ids", "Đoàn phải còn ít nhất một thành viên.")
    return update_team(actor, team, {"member_ids": [m for m in team.member_ids if m != user_id]}, origin=origin)


def teams_of(user: User) -> list[dict[str, Any]]:
    """The teams a user belongs to, with what the tablet needs to sync."""
    teams = db.session.scalars(
        select(Team).join(team_members).where(team_members.c.user_id == user.id).order_by(Team.id)
    ).all()
    return [{"id": t.id, "name": t.name, "plan_id": t.plan_id, "plan": t.plan,
             "is_leader": t.leader_id == user.id, "desk_ids": [d.id for d in t.desks]}
            for t in teams]

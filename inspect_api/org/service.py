"""Org units, desks and staff: scoped reads and admin writes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import selectinload

from ..audit.service import Origin, record, snapshot
from ..scoping import Actor, in_subtree, unit_in_subtree
from ..db import db
from ..errors import NotFound
from ..services import apply_changes, flush_or_conflict, invalid_field
from ..timezone import VIETNAM_TZ
from ..sync import Cursor, Feed, FeedPage, lock_before_move, pull
from .models import DEFAULT_CLOSES_AT, DEFAULT_OPENS_AT, Desk, OrgUnit, Staff


def unit_snapshot(unit: OrgUnit) -> dict[str, Any]:
    return snapshot(unit, "id", "code", "name", "kind", "admin_code", "parent_id", "path", "valid_from",
                    "valid_to", "successor_id", "head_name", "head_title", "updated_at")


def desk_snapshot(desk: Desk) -> dict[str, Any]:
    return snapshot(desk, "id", "org_unit_id", "code", "name", "address", "level", "opens_at",
                    "closes_at", "active", "location", "updated_at")


def staff_snapshot(staff: Staff) -> dict[str, Any]:
    return snapshot(staff, "id", "org_unit_id", "desk_id", "employee_code", "full_name", "position",
                    "category", "phone", "active", "updated_at")


def _unit_in_scope(actor: Actor | None, unit_id: int | None, field: str) -> OrgUnit:
    unit = db.session.get(OrgUnit, unit_id) if unit_id is not None else None
    if unit is None or (actor is not None and not unit_in_subtree(unit, actor)):
        raise invalid_field(field, "Đơn vị không tồn tại hoặc ngoài phạm vi quản lý.")
    return unit


# --- org units -----------------------------------------------------------------------

def org_unit_scope(actor: Actor) -> Select:
    return select(OrgUnit).where(OrgUnit.path.startswith(actor.org_unit.path))


ORG_UNIT_FEED = Feed("org_units", OrgUnit, org_unit_scope)


def pull_org_units(actor: Actor, filters: dict[str, Any], cursor: Cursor | None, per_page: int) -> FeedPage:
    """Units in the actor's subtree changed since `cursor` (filters: kind, parent_id, valid_on)."""
    conditions = []
    if filters.get("kind"):
        conditions.append(OrgUnit.kind == filters["kind"])
    if filters.get("parent_id") is not None:
        conditions.append(OrgUnit.parent_id == filters["parent_id"])
    if filters.get("valid_on"):
        day: dt.date = filters["valid_on"]
        conditions += [or_(OrgUnit.valid_from.is_(None), OrgUnit.valid_from <= day),
                       or_(OrgUnit.valid_to.is_(None), OrgUnit.valid_to >= day)]
    return pull(ORG_UNIT_FEED, actor, conditions, filters, cursor, per_page)


def current_units(actor: Actor, on: dt.date | None = None) -> list[OrgUnit]:
    """The units of the actor's subtree in force on `on` (default today), in tree order:
    what an administrator may pick as an account's, desk's or staff member's unit."""
    day = on or dt.datetime.now(VIETNAM_TZ).date()
    return list(db.session.scalars(org_unit_scope(actor).where(
        or_(OrgUnit.valid_to.is_(None), OrgUnit.valid_to >= day)).order_by(OrgUnit.path)))


def get_org_unit(actor: Actor, unit_id: int) -> OrgUnit:
    unit = db.session.get(OrgUnit, unit_id)
    if unit is None or not unit_in_subtree(unit, actor):
        raise NotFound("Không tìm thấy đơn vị.")
    return unit


def _check_dates(data: dict[str, Any], unit: OrgUnit | None = None) -> None:
    start = data.get("valid_from", unit.valid_from if unit else None)
    end = data.get("valid_to", unit.valid_to if unit else None)
    if start and end and end < start:
        raise invalid_field("valid_to", "Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực.")


def create_org_unit(actor: Actor | None, data: dict[str, Any], *, origin: Origin | None = None) -> OrgUnit:
    """Add a unit under a parent in the actor's subtree (actor None: a root, from the CLI)."""
    parent = None
    if actor is not None or data.get("parent_id") is not None:
        parent = _unit_in_scope(actor, data.get("parent_id"), "parent_id")
    if data.get("successor_id") is not None:
        _unit_in_scope(actor, data["successor_id"], "successor_id")
    _check_dates(data)
    unit = OrgUnit(**{k: v for k, v in data.items() if k != "path"})
    unit.path = ""
    db.session.add(unit)
    flush_or_conflict("code", "Mã đơn vị đã tồn tại.")
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    record("create", "org_unit", unit.id, actor=actor, after=unit_snapshot(unit),
           actor_username=None if actor else "cli", origin=origin)
    db.session.commit()
    return unit


def update_org_unit(actor: Actor, unit: OrgUnit, data: dict[str, Any], *, origin: Origin | None = None) -> OrgUnit:
    """Change a unit; moving it under another parent moves its whole subtree."""
    before = unit_snapshot(unit)
    if "parent_id" in data and data["parent_id"] != unit.parent_id:
        new_parent = _unit_in_scope(actor, data["parent_id"], "parent_id")
        if new_parent.path.startswith(unit.path):
            raise invalid_field("parent_id", "Không thể chuyển đơn vị vào chính cây con của nó.")
        old_prefix, new_prefix = unit.path, f"{new_parent.path}{unit.id}/"
        lock_before_move(OrgUnit, select(OrgUnit.id).where(OrgUnit.path.startswith(old_prefix)))
        for descendant in db.session.scalars(
            select(OrgUnit).where(OrgUnit.path.startswith(old_prefix))
        ):
            descendant.path = new_prefix + descendant.path.removeprefix(old_prefix)
    if data.get("successor_id") is not None:
        _unit_in_scope(actor, data["successor_id"], "successor_id")
        if data["successor_id"] == unit.id:
            raise invalid_field("successor_id", "Đơn vị không thể kế thừa chính nó.")
    _check_dates(data, unit)
    if apply_changes(unit, data):
        flush_or_conflict("code", "Mã đơn vị đã tồn tại.")
        record("update", "org_unit", unit.id, actor=actor, before=before,
               after=unit_snapshot(unit), origin=origin)
    db.session.commit()
    return unit


# --- desks ---------------------------------------------------------------------------

def desk_scope(actor: Actor) -> Select:
    return select(Desk).where(in_subtree(Desk.org_unit_id, actor))


DESK_FEED = Feed("desks", Desk, desk_scope)


def _active(model, filters: dict[str, Any]) -> ColumnElement[bool]:
    """Open desks and serving staff unless `active=false` asks for the others: what is
    closed or has left reaches the tablet as a tombstone."""
    return model.active.is_(filters.get("active", True))


def pull_desks(actor: Actor, filters: dict[str, Any], cursor: Cursor | None, per_page: int) -> FeedPage:
    """Desks in the actor's subtree changed since `cursor` (filters: org_unit_id, active)."""
    conditions = [_active(Desk, filters)]
    if filters.get("org_unit_id") is not None:
        conditions.append(Desk.org_unit_id == filters["org_unit_id"])
    return pull(DESK_FEED, actor, conditions, {"active": True, **filters}, cursor, per_page)


def get_desk(actor: Actor, desk_id: int) -> Desk:
    desk = db.session.get(Desk, desk_id)
    if desk is None or not unit_in_subtree(desk.org_unit, actor):
        raise NotFound("Không tìm thấy Bộ phận Một cửa.")
    return desk


def list_desks(actor: Actor, *, org_unit_id: int | None = None, active: bool | None = None) -> list[Desk]:
    """The desks of the actor's subtree (one unit's when given), by unit, then name."""
    query = desk_scope(actor).join(Desk.org_unit)
    if org_unit_id is not None:
        query = query.where(Desk.org_unit_id == org_unit_id)
    if active is not None:
        query = query.where(Desk.active.is_(active))
    return list(db.session.scalars(query.options(selectinload(Desk.org_unit)).order_by(OrgUnit.path, Desk.name)))


def _desk_defaults(data: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in data.items()
              if k != "location" and not (k in {"opens_at", "closes_at"} and v is None)}
    if "location" in data:  # {"lat", "lon"} or None (clears both)
        location = data["location"] or {}
        values["latitude"] = _coordinate(location.get("lat"))
        values["longitude"] = _coordinate(location.get("lon"))
    return values


def _coordinate(value: float | None) -> Decimal | None:
    """Six decimals (about 0.1 m), as the column keeps them: a replay then compares equal."""
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.000001"))


def create_desk(actor: Actor | None, data: dict[str, Any], *, origin: Origin | None = None) -> Desk:
    _unit_in_scope(actor, data["org_unit_id"], "org_unit_id")
    _check_hours(data.get("opens_at") or DEFAULT_OPENS_AT, data.get("closes_at") or DEFAULT_CLOSES_AT)
    desk = Desk(**_desk_defaults(data))
    db.session.add(desk)
    flush_or_conflict("code", "Mã Bộ phận Một cửa đã tồn tại.")
    record("create", "desk", desk.id, actor=actor, after=desk_snapshot(desk),
           actor_username=None if actor else "cli", origin=origin)
    db.session.commit()
    return desk


def _check_hours(opens_at: dt.time | None, closes_at: dt.time | None) -> None:
    if opens_at and closes_at and closes_at <= opens_at:
        raise invalid_field("closes_at", "Giờ đóng cửa phải sau giờ mở cửa.")


def update_desk(actor: Actor, desk: Desk, data: dict[str, Any], *, origin: Origin | None = None) -> Desk:
    before = desk_snapshot(desk)
    if "org_unit_id" in data:
        _unit_in_scope(actor, data["org_unit_id"], "org_unit_id")
        if data["org_unit_id"] != desk.org_unit_id:
            lock_before_move(Desk, select(Desk.id).where(Desk.id == desk.id))
    _check_hours(data.get("opens_at") or desk.opens_at, data.get("closes_at") or desk.closes_at)
    if apply_changes(desk, _desk_defaults(data)):
        flush_or_conflict("code", "Mã Bộ phận Một cửa đã tồn tại.")
        record("update", "desk", desk.id, actor=actor, before=before, after=desk_snapshot(desk), origin=origin)
    db.session.commit()
    return desk


# --- staff ---------------------------------------------------------------------------

def staff_scope(actor: Actor) -> Select:
    return select(Staff).where(in_subtree(Staff.org_unit_id, actor))


STAFF_FEED = Feed("staff", Staff, staff_scope)


def pull_staff(actor: Actor, filters: dict[str, Any], cursor: Cursor | None, per_page: int) -> FeedPage:
    """Staff in the actor's subtree changed since `cursor` (filters: org_unit_id, desk_id, active)."""
    conditions = [_active(Staff, filters)]
    for key in ("org_unit_id", "desk_id"):
        if filters.get(key) is not None:
            conditions.append(getattr(Staff, key) == filters[key])
    return pull(STAFF_FEED, actor, conditions, {"active": True, **filters}, cursor, per_page)


def get_staff(actor: Actor, staff_id: int) -> Staff:
    staff = db.session.get(Staff, staff_id)
    if staff is None or not unit_in_subtree(staff.org_unit, actor):
        raise NotFound("Không tìm thấy cán bộ, công chức.")
    return staff


def list_staff(actor: Actor, *, desk_id: int | None = None, org_unit_id: int | None = None,
               active: bool | None = True, page: int = 1, per_page: int = 50) -> tuple[list[Staff], int]:
    """One page of the staff of the actor's subtree (serving ones by default), by desk,
    then name, and how many match in all."""
    query = staff_scope(actor)
    if desk_id is not None:
        query = query.where(Staff.desk_id == desk_id)
    if org_unit_id is not None:
        query = query.where(Staff.org_unit_id == org_unit_id)
    if active is not None:
        query = query.where(Staff.active.is_(active))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    staff = db.session.scalars(query.outerjoin(Staff.desk).order_by(Desk.name, Staff.full_name, Staff.id)
                               .options(selectinload(Staff.desk), selectinload(Staff.org_unit))
                               .offset((page - 1) * per_page).limit(per_page))
    return list(staff), total


def _check_staff_desk(actor: Actor | None, desk_id: int | None) -> None:
    """A desk in scope. It may belong to another unit than the person's: departments
    second staff to the provincial service centre's counters."""
    if desk_id is None:
        return
    desk = db.session.get(Desk, desk_id)
    if desk is None or (actor is not None and not unit_in_subtree(desk.org_unit, actor)):
        raise invalid_field("desk_id", "Bộ phận Một cửa không tồn tại hoặc ngoài phạm vi quản lý.")


def create_staff(actor: Actor | None, data: dict[str, Any], *, origin: Origin | None = None) -> Staff:
    _unit_in_scope(actor, data["org_unit_id"], "org_unit_id")
    _check_staff_desk(actor, data.get("desk_id"))
    staff = Staff(**data)
    db.session.add(staff)
    flush_or_conflict("employee_code", "Mã cán bộ đã tồn tại.")
    record("create", "staff", staff.id, actor=actor, after=staff_snapshot(staff),
           actor_username=None if actor else "cli", origin=origin)
    db.session.commit()
    return staff


def update_staff(actor: Actor, staff: Staff, data: dict[str, Any], *, origin: Origin | None = None) -> Staff:
    before = staff_snapshot(staff)
    if "org_unit_id" in data:
        _unit_in_scope(actor, data["org_unit_id"], "org_unit_id")
    if "desk_id" in data:
        _check_staff_desk(actor, data["desk_id"])
    if apply_changes(staff, data):
        flush_or_conflict("employee_code", "Mã cán bộ đã tồn tại.")
        record("update", "staff", staff.id, actor=actor, before=before,
               after=staff_snapshot(staff), origin=origin)
    db.session.commit()
    return staff


def mark_staff_left(actor: Actor, staff: Staff, left_on: dt.date, *, origin: Origin | None = None) -> Staff:
    """Record that a staff member left on `left_on` (not in the future): they stop being
    offered to the tablets (which get a tombstone), and the audit event keeps the date."""
    if left_on > dt.datetime.now(VIETNAM_TZ).date():
        raise invalid_field("left_on", "Ngày nghỉ không được sau hôm nay.")
    if not staff.active:
        raise invalid_field("left_on", "Cán bộ này đã được ghi nhận nghỉ.")
    before = staff_snapshot(staff)
    staff.active = False
    db.session.flush()
    record("update", "staff", staff.id, actor=actor, before=before,
           after={**staff_snapshot(staff), "left_on": left_on.isoformat()}, origin=origin)
    db.session.commit()
    return staff

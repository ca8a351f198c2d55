"""Checklist templates: scoped reads, drafts, publishing; a published one never changes."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Select, func, literal, or_, select
from sqlalchemy.orm import selectinload

from ..audit.service import Origin, record, snapshot
from ..scoping import unit_in_subtree
from ..auth.models import User
from ..db import db, utcnow
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..org.models import OrgUnit
from .models import ChecklistTemplate, Criterion
from ..sync import Cursor, Feed, FeedPage, pull
from .rules import check_rule_for


def _visible_units(actor: User):
    """Units whose templates apply to the actor: their ancestors, themselves, their subtree."""
    actor_path = actor.org_unit.path
    return select(OrgUnit.id).where(or_(
        literal(actor_path).startswith(OrgUnit.path),
        OrgUnit.path.startswith(actor_path),
    ))


def checklist_scope(actor: User) -> Select:
    """Templates that apply to the actor's unit or lie below it; drafts for admins only."""
    query = select(ChecklistTemplate).where(ChecklistTemplate.org_unit_id.in_(_visible_units(actor)))
    if actor.role != "admin":
        query = query.where(ChecklistTemplate.status == "published")
    return query


CHECKLIST_FEED = Feed("checklists", ChecklistTemplate, checklist_scope, sees_ancestors=True,
                      options=lambda: (selectinload(ChecklistTemplate.criteria),))


def pull_checklists(actor: User, filters: dict[str, Any], cursor: Cursor | None, per_page: int) -> FeedPage:
    """Checklist versions changed since `cursor` (filters: status for admins, code)."""
    conditions = []
    if filters.get("status") and actor.role == "admin":
        conditions.append(ChecklistTemplate.status == filters["status"])
    if filters.get("code"):
        conditions.append(ChecklistTemplate.code == filters["code"])
    return pull(CHECKLIST_FEED, actor, conditions, filters, cursor, per_page)


def get_checklist(actor: User, template_id: int) -> ChecklistTemplate:
    template = db.session.scalar(
        checklist_scope(actor).where(ChecklistTemplate.id == template_id)
        .options(selectinload(ChecklistTemplate.criteria))
    )
    if template is None:
        raise NotFound("Không tìm thấy bộ tiêu chí.")
    return template


def _require_owner(actor: User | None, template: ChecklistTemplate) -> None:
    """A template is edited and published only by admins of its unit or above: a commune
    admin reads the province's template but cannot change it."""
    if actor is not None and not unit_in_subtree(template.org_unit, actor):
        raise Forbidden("Bộ tiêu chí của cấp trên: bạn không được sửa hoặc ban hành.")


def _criteria_rows(criteria: list[dict[str, Any]]) -> list[Criterion]:
    errors: dict[str, Any] = {}
    duplicates = {code for code, n in Counter(c["code"] for c in criteria).items() if n > 1}
    for index, item in enumerate(criteria):
        problems: dict[str, list[str]] = {}
        if item["code"] in duplicates:
            problems["code"] = ["Mã tiêu chí bị trùng trong bộ tiêu chí."]
        rule_error = check_rule_for(item["answer_type"], item.get("pass_rule"))
        if rule_error:
            problems["pass_rule"] = [rule_error]
        if item["answer_type"] in {"count", "percent", "time"} and not item.get("pass_rule"):
            problems["pass_rule"] = ["Tiêu chí kiểu số hoặc giờ cần quy tắc đạt."]
        if problems:
            errors[str(index)] = problems
    if errors:
        raise Invalid("Có tiêu chí không hợp lệ.", errors={"json": {"criteria": errors}})
    return [Criterion(position=index + 1, **item) for index, item in enumerate(criteria)]


def create_checklist(actor: User | None, data: dict[str, Any], *, origin: Origin | None = None) -> ChecklistTemplate:
    """A new draft: the next version of its code."""
    unit = db.session.get(OrgUnit, data["org_unit_id"])
    if unit is None or (actor is not None and not unit_in_subtree(unit, actor)):
        raise Invalid("Đơn vị không tồn tại hoặc ngoài phạm vi quản lý.",
                      errors={"json": {"org_unit_id": ["Không tìm thấy đơn vị."]}})
    criteria = _criteria_rows(data["criteria"])
    owners = set(db.session.scalars(
        select(ChecklistTemplate.org_unit_id).where(ChecklistTemplate.code == data["code"])))
    if owners - {data["org_unit_id"]}:
        # A code is one unit's: a new version by someone else would be picked up by every
        # plan pinned to that code (an inspected commune could publish easier criteria).
        raise Conflict("Mã bộ tiêu chí này do đơn vị khác ban hành; hãy dùng mã khác.",
                       errors={"json": {"code": ["Đã thuộc đơn vị khác."]}})
    latest = db.session.scalar(
        select(func.max(ChecklistTemplate.version)).where(ChecklistTemplate.code == data["code"])
    ) or 0
    template = ChecklistTemplate(code=data["code"], version=latest + 1, title=data["title"],
                                 org_unit_id=data["org_unit_id"], status="draft", criteria=criteria)
    db.session.add(template)
    db.session.flush()
    record("create", "checklist", template.id, actor=actor,
           after=checklist_snapshot(template), actor_username=None if actor else "cli", origin=origin)
    db.session.commit()
    return template


def checklist_snapshot(template: ChecklistTemplate) -> dict[str, Any]:
    criteria = [snapshot(c, "id", "position", "code", "category", "text", "text_en", "legal_basis",
                         "answer_type", "subject", "photo", "severity", "weight", "pass_rule")
                for c in template.criteria]
    return snapshot(template, "id", "code", "version", "title", "org_unit_id", "status", "published_at",
                    "updated_at", criteria_count=len(criteria), criteria=criteria)


def _require_draft(template: ChecklistTemplate) -> None:
    if template.status != "draft":
        raise Conflict("Bộ tiêu chí đã ban hành không thể sửa; hãy tạo phiên bản mới.",
                       current=template)


def update_checklist(actor: User, template: ChecklistTemplate, data: dict[str, Any], *,
                     origin: Origin | None = None) -> ChecklistTemplate:
    _require_owner(actor, template)
    _require_draft(template)
    before = checklist_snapshot(template)
    if "title" in data:
        template.title = data["title"]
    if "criteria" in data:
        criteria = _criteria_rows(data["criteria"])
        # Delete the old rows first: the unit of work would insert the new ones before
        # deleting the orphans, and a kept code would then hit uq (template_id, code).
        template.criteria.clear()
        db.session.flush()
        template.criteria = criteria
    template.updated_at = utcnow()
    db.session.flush()
    record("update", "checklist", template.id, actor=actor, before=before,
           after=checklist_snapshot(template), origin=origin)
    db.session.commit()
    return template


def publish_checklist(actor: User | None, template: ChecklistTemplate, *,
                      origin: Origin | None = None) -> ChecklistTemplate:
    _require_owner(actor, template)
    _require_draft(template)
    template.status = "published"
    template.published_at = utcnow()
    record("publish", "checklist", template.id, actor=actor,
           after={"status": "published", "published_at": template.published_at},
           actor_username=None if actor else "cli", origin=origin)
    db.session.commit()
    return template

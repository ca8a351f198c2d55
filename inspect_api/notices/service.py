"""Conclusion notices: drafted from the approved visits of a plan at one unit, issued
under a document number with their content copied, read by the issuing side and by the
unit they were sent to.

- Reviewers, leaders and admins draft and issue for a unit of their subtree, on a plan
  made at their own unit or below it: the notice speaks for the plan's issuing body
  (a commune's reviewer does not write in the name of the province's Sở Nội vụ).
- The content is frozen at issue (documents.notice_content): later reviews change nothing.
- A unit officer reads the notices sent to their own unit; nobody else sees one outside
  their subtree (404, as elsewhere).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from ..audit.service import Origin, record
from ..auth.models import User
from ..db import db, utcnow
from ..documents.notice_content import NoApprovedVisit, NoticeContent, notice_content
from ..errors import Conflict, Forbidden, NotFound
from ..org.models import Desk, OrgUnit
from ..plans.models import InspectionPlan
from ..plans.service import get_plan, plan_scope
from ..reports.service import DEFAULT_SIGNER_TITLE
from ..scoping import in_subtree, unit_in_subtree
from ..text import vietnamese_order
from ..services import flush_or_conflict, invalid_field
from ..visits.models import Visit
from .models import ConclusionNotice

ISSUER_ROLES = ("reviewer", "leader", "admin")
UNIT_ROLE = "unit_officer"
NOTICE_ORDER = [(ConclusionNotice.document_date, True), (ConclusionNotice.id, True)]


def _target(actor: User, plan_id: int, org_unit_id: int) -> tuple[InspectionPlan, OrgUnit]:
    """The plan and the unit a notice is about, as the actor may draft or issue it."""
    plan = get_plan(actor, plan_id)
    unit = db.session.get(OrgUnit, org_unit_id)
    if unit is None or not unit_in_subtree(unit, actor):
        raise NotFound("Không tìm thấy đơn vị trong phạm vi của bạn.")
    if not unit_in_subtree(plan.org_unit, actor):
        raise Forbidden("Thông báo kết quả kiểm tra do cơ quan ban hành kế hoạch kiểm tra (hoặc cấp trên) "
                        "gửi; đơn vị của bạn không ban hành kế hoạch này.")
    if not unit.path.startswith(plan.org_unit.path):
        raise invalid_field("org_unit_id", "Đơn vị không thuộc phạm vi của kế hoạch kiểm tra.")
    return plan, unit


def _content(plan: InspectionPlan, unit: OrgUnit) -> NoticeContent:
    try:
        return notice_content(plan, unit)
    except NoApprovedVisit:
        raise Conflict(f"{unit.name} chưa có buổi kiểm tra nào được duyệt trong đợt kiểm tra này nên "
                       f"chưa có kết quả để thông báo.") from None


def draft_content(actor: User, plan_id: int, org_unit_id: int) -> NoticeContent:
    """What the notice would say if issued now (the draft, DỰ THẢO)."""
    return _content(*_target(actor, plan_id, org_unit_id))


def issue_notice(actor: User, plan_id: int, data: dict[str, Any], *, origin: Origin | None = None) -> ConclusionNotice:
    """Issue the notice under its number: its content is copied as it stands now."""
    plan, unit = _target(actor, plan_id, data["org_unit_id"])
    number = data["document_number"].strip()
    if not number:
        raise invalid_field("document_number", "Cần ghi số, ký hiệu văn bản.")
    signer_name = data["signer_name"].strip()
    if not signer_name:
        raise invalid_field("signer_name", "Cần ghi họ tên người ký.")
    signer_title = (data.get("signer_title") or "").strip() or DEFAULT_SIGNER_TITLE
    sent = db.session.scalar(select(ConclusionNotice).where(
        ConclusionNotice.plan_id == plan.id, ConclusionNotice.org_unit_id == unit.id))
    if sent is not None:
        raise Conflict(f"Đã có Thông báo số {sent.document_number} gửi {unit.name} trong đợt kiểm tra này.",
                       errors={"json": {"org_unit_id": ["Đã có thông báo."]}})
    taken = db.session.scalar(select(ConclusionNotice.id).where(
        ConclusionNotice.issuer_unit_id == plan.org_unit_id, ConclusionNotice.document_number == number))
    if taken is not None:
        raise Conflict(f"Số văn bản {number} đã được dùng cho một thông báo khác.",
                       errors={"json": {"document_number": ["Số văn bản đã được dùng."]}})
    content = _content(plan, unit)
    notice = ConclusionNotice(
        plan_id=plan.id, org_unit_id=unit.id, issuer_unit_id=plan.org_unit_id, document_number=number,
        document_date=data["document_date"], signer_name=signer_name, signer_title=signer_title,
        content=content.as_json(), created_by_id=actor.id, created_at=utcnow())
    db.session.add(notice)
    # Two clerks issuing at once: the constraint decides, and the loser gets a 409.
    flush_or_conflict("document_number", "Số văn bản hoặc đơn vị đã có thông báo.",
                      "Số văn bản đã được dùng, hoặc đơn vị đã có thông báo trong đợt kiểm tra này.")
    record("issue", "notice", notice.id, actor=actor, after={
        "plan_id": plan.id, "org_unit_id": unit.id, "document_number": number,
        "document_date": notice.document_date, "signer_name": signer_name, "signer_title": signer_title,
        "report_by": content.report_by,
        "corrections": [c.correction_id for c in content.corrections],
        "shortcomings": [s.code for s in content.shortcomings]}, origin=origin)
    db.session.commit()
    return notice


def _visible(actor: User) -> ColumnElement[bool]:
    if actor.role == UNIT_ROLE:
        return ConclusionNotice.org_unit_id == actor.org_unit_id
    return in_subtree(ConclusionNotice.org_unit_id, actor)


def notices(actor: User, plan_id: int, filters: dict[str, Any]) -> Select:
    """The plan's notices the actor may read (page them in NOTICE_ORDER)."""
    plan = get_plan(actor, plan_id)
    query = select(ConclusionNotice).where(ConclusionNotice.plan_id == plan.id, _visible(actor))
    if filters.get("org_unit_id"):
        query = query.where(ConclusionNotice.org_unit_id == filters["org_unit_id"])
    return query


def get_notice(actor: User, plan_id: int, notice_id: int) -> ConclusionNotice:
    notice = db.session.scalar(select(ConclusionNotice).where(
        ConclusionNotice.id == notice_id, ConclusionNotice.plan_id == plan_id, _visible(actor)))
    if notice is None:
        raise NotFound("Không tìm thấy thông báo kết quả kiểm tra.")
    return notice


# --- what the console shows ----------------------------------------------------------------

@dataclass(frozen=True)
class InspectedUnit:
    """A unit of a plan with approved visits, and the notice it was sent (None: not yet)."""

    unit: OrgUnit
    approved_visits: int
    notice: ConclusionNotice | None


def plans_in_view(actor: User) -> list[InspectionPlan]:
    """The plans whose notices the actor may read, newest first."""
    return list(db.session.scalars(plan_scope(actor).order_by(InspectionPlan.starts_on.desc(),
                                                              InspectionPlan.id.desc())))


def may_issue(actor: User, plan: InspectionPlan) -> bool:
    """Whether the actor drafts and issues for this plan (made at their unit or below)."""
    return actor.role in ISSUER_ROLES and unit_in_subtree(plan.org_unit, actor)


def inspected_units(actor: User, plan_id: int) -> tuple[InspectionPlan, list[InspectedUnit]]:
    """The plan and its units in the actor's subtree that have approved visits, by name."""
    plan = get_plan(actor, plan_id)
    counts = db.session.execute(
        select(Desk.org_unit_id, func.count(Visit.id)).join(Desk, Desk.id == Visit.desk_id)
        .where(Visit.plan_id == plan.id, Visit.status == "approved", in_subtree(Desk.org_unit_id, actor))
        .group_by(Desk.org_unit_id)).all()
    units = {unit.id: unit for unit in db.session.scalars(
        select(OrgUnit).where(OrgUnit.id.in_([unit_id for unit_id, _ in counts])))}
    sent = {notice.org_unit_id: notice for notice in db.session.scalars(notices(actor, plan.id, {}))}
    rows = [InspectedUnit(units[unit_id], count, sent.get(unit_id)) for unit_id, count in counts
            if units[unit_id].path.startswith(plan.org_unit.path)]
    return plan, sorted(rows, key=lambda row: vietnamese_order(row.unit.name))


def unit_notices(actor: User) -> list[tuple[ConclusionNotice, InspectionPlan]]:
    """Every notice the actor may read, with its plan, newest document first (a unit
    officer: those sent to their own unit)."""
    return [(notice, plan) for notice, plan in db.session.execute(
        select(ConclusionNotice, InspectionPlan).join(InspectionPlan, InspectionPlan.id == ConclusionNotice.plan_id)
        .where(_visible(actor), InspectionPlan.id.in_(plan_scope(actor).with_only_columns(InspectionPlan.id)))
        .order_by(ConclusionNotice.document_date.desc(), ConclusionNotice.id.desc())).tuples()]

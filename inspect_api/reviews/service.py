"""Review by the Department of Home Affairs, and the official's explanation (giải trình)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from ..audit.service import Origin, record, snapshot
from ..auth.models import User
from ..corrections.service import Adjustment, CorrectionDays, follow_decision
from ..db import db, utcnow
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..visits.models import Finding, Visit, VisitDetail
from ..timezone import VIETNAM_TZ
from ..visits.service import get_visit, read_visit_detail, visible_visits, visit_snapshot
from .models import Explanation, FindingReview, Review

REVIEWER_ROLES = ("reviewer", "admin")


def review_queue(actor: User) -> Select:
    """Submitted visits in the reviewer's subtree, oldest submission first."""
    return visible_visits(actor).where(Visit.status == "submitted").options(
        selectinload(Visit.staff_on_duty), selectinload(Visit.reviews).selectinload(Review.finding_notes))


def _notes(visit: Visit, items: list[dict[str, Any]]) -> list[FindingReview]:
    findings = {f.id: f for f in visit.findings}
    errors: dict[str, Any] = {}
    seen: set[uuid.UUID] = set()
    notes = []
    for index, item in enumerate(items):
        problems: dict[str, list[str]] = {}
        if item["finding_id"] not in findings:
            problems["finding_id"] = ["Kết quả không thuộc buổi kiểm tra này."]
        elif item["finding_id"] in seen:
            problems["finding_id"] = ["Một kết quả chỉ được nhận xét một lần mỗi lượt."]
        seen.add(item["finding_id"])
        if item.get("void") and not (item.get("void_reason") or "").strip():
            problems["void_reason"] = ["Hủy kết quả phải ghi lý do."]
        if not any((item.get("comment"), item.get("severity"), item.get("void"))):
            problems["comment"] = ["Cần nhận xét, mức độ mới hoặc hủy kết quả."]
        if problems:
            errors[str(index)] = problems
            continue
        notes.append(FindingReview(
            finding_id=item["finding_id"], comment=item.get("comment"),
            severity=item.get("severity"), voided=bool(item.get("void")),
            void_reason=item.get("void_reason") if item.get("void") else None))
    if errors:
        raise Invalid("Có nhận xét kết quả không hợp lệ.", errors={"json": {"findings": errors}})
    return notes


def decide(actor: User, visit_id: uuid.UUID, data: dict[str, Any], *, correction_days: CorrectionDays,
           origin: Origin | None = None) -> VisitDetail:
    """Approve or return a submitted visit. Of two reviewers deciding at once, the row
    lock lets exactly one win; the other finds it no longer submitted (409).

    An approved visit can be decided again (a later round: void a finding the unit
    contested, or return it) only by a reviewer who names the approved `version`, so a
    second reviewer racing the first still gets 409. The notes of the round before stay
    in force unless the new round says otherwise. The visit's corrections follow each
    decision (`correction_days`: CORRECTION_DAYS_* by severity); its kept score follows each new round when the
    transaction commits (reports/kept_scores.py)."""
    if actor.role not in REVIEWER_ROLES:
        raise Forbidden("Chỉ thẩm định viên được duyệt hoặc trả lại buổi kiểm tra.")
    visit = get_visit(actor, visit_id, for_update=True, detail=True)
    amending = visit.status == "approved" and data.get("version") == visit.version
    if visit.status != "submitted" and not amending:
        raise Conflict("Buổi kiểm tra không ở trạng thái chờ thẩm định (có thể người khác vừa quyết định).",
                       current=visit)
    if data.get("version") is not None and data["version"] != visit.version:
        raise Conflict("Buổi kiểm tra đã thay đổi từ khi bạn mở; hãy xem bản hiện tại.",
                       current=visit)
    comment = (data.get("comment") or "").strip() or None
    if data["decision"] == "return" and not comment:
        raise Invalid("Trả lại phải ghi rõ lý do để đoàn kiểm tra bổ sung.",
                      errors={"json": {"comment": ["Bắt buộc khi trả lại."]}})
    notes = _notes(visit, data.get("findings") or [])
    if amending:
        notes += _carried_notes(visit, {n.finding_id for n in notes})
    rounds = db.session.scalar(select(func.count()).where(Review.visit_id == visit.id)) or 0
    before = visit_snapshot(visit)
    review = Review(visit_id=visit.id, round=rounds + 1, decision=data["decision"], comment=comment,
                    reviewer_id=actor.id, decided_at=utcnow(), visit_version=visit.version,
                    finding_notes=notes)
    db.session.add(review)
    visit.status = "approved" if data["decision"] == "approve" else "returned"
    visit.version += 1
    visit.updated_at = utcnow()
    visit.updated_by_id = actor.id
    db.session.flush()
    record(data["decision"], "visit", visit.id, actor=actor, before=before, after={
        **visit_snapshot(visit),
        "review": {"round": review.round, "comment": comment,
                   "findings": [{"finding_id": n.finding_id, "comment": n.comment, "severity": n.severity,
                                 "void": n.voided, "void_reason": n.void_reason} for n in notes]},
    }, origin=origin, scope_unit_id=visit.desk.org_unit_id)
    follow_decision(actor, visit, data["decision"],
                    {n.finding_id: Adjustment(n.voided, n.severity) for n in notes}, correction_days,
                    origin=origin)
    db.session.commit()
    return read_visit_detail(actor, visit_id)


def _carried_notes(visit: Visit, named: set[uuid.UUID]) -> list[FindingReview]:
    """The approving round's notes on findings the amending round does not name: copied
    forward, since what counts is the latest round's."""
    last = visit.last_review
    if last is None:
        return []
    return [FindingReview(finding_id=n.finding_id, comment=n.comment, severity=n.severity, voided=n.voided,
                          void_reason=n.void_reason)
            for n in last.finding_notes if n.finding_id not in named]


# --- explanations --------------------------------------------------------------------

def _reviewable_finding(actor: User, finding_id: uuid.UUID) -> Finding:
    finding = db.session.get(Finding, finding_id)
    if finding is None:
        raise NotFound("Không tìm thấy kết quả.")
    get_visit(actor, finding.visit_id)  # 404 outside the actor's scope
    if actor.role not in REVIEWER_ROLES:
        raise Forbidden("Chỉ thẩm định viên ghi nhận giải trình.")
    if finding.staff_id is None or finding.result != "fail":
        raise Invalid("Chỉ kết quả không đạt gắn với một cán bộ mới cần giải trình.",
                      errors={"path": {"finding_id": ["Không gắn với cán bộ hoặc không phải không đạt."]}})
    return finding


def explanation_snapshot(explanation: Explanation) -> dict[str, Any]:
    return snapshot(explanation, "finding_id", "staff_id", "status", "requested_at", "deadline",
                    "received_at", "content", "lapsed_at", "recorded_by_id", "updated_at")


def record_explanation(actor: User, finding_id: uuid.UUID, data: dict[str, Any], *,
                       explanation_days: int, origin: Origin | None = None) -> Explanation:
    """request → received, or request → lapsed once the deadline has passed.
    `explanation_days`: the deadline of a request that names none (EXPLANATION_DAYS)."""
    finding = _reviewable_finding(actor, finding_id)
    explanation = db.session.scalar(select(Explanation).where(Explanation.finding_id == finding.id))
    before = explanation_snapshot(explanation) if explanation else None
    now = utcnow()
    today = now.astimezone(VIETNAM_TZ).date()
    action = data["action"]
    if action == "request":
        if explanation is not None:
            raise Conflict("Đã yêu cầu giải trình cho kết quả này.", current=explanation)
        deadline = data.get("deadline") or today + dt.timedelta(days=explanation_days)
        if deadline < today:
            raise Invalid("Hạn giải trình không thể ở quá khứ.", errors={"json": {"deadline": ["Đã qua."]}})
        explanation = Explanation(finding_id=finding.id, staff_id=finding.staff_id, status="requested",
                                  requested_at=now, deadline=deadline, recorded_by_id=actor.id)
        db.session.add(explanation)
    else:
        if explanation is None:
            raise Conflict("Chưa yêu cầu giải trình cho kết quả này.")
        if explanation.status != "requested":
            raise Conflict("Giải trình đã được ghi nhận (đã nhận hoặc đã quá hạn).", current=explanation)
        if action == "receive":
            if not (data.get("content") or "").strip():
                raise Invalid("Cần tóm tắt nội dung giải trình.", errors={"json": {"content": ["Bắt buộc."]}})
            explanation.status = "received"
            explanation.received_at = now
            explanation.content = data["content"].strip()
        else:  # lapse
            if today <= explanation.deadline:
                raise Invalid(f"Chưa quá hạn giải trình ({explanation.deadline:%d/%m/%Y}).",
                              errors={"json": {"action": ["Hạn giải trình chưa qua."]}})
            explanation.status = "lapsed"
            explanation.lapsed_at = now
        explanation.recorded_by_id = actor.id
    db.session.flush()
    record(f"explanation_{action}", "finding", finding.id, actor=actor, before=before,
           after=explanation_snapshot(explanation), origin=origin)
    db.session.commit()
    return explanation


def get_explanation(actor: User, finding_id: uuid.UUID) -> Explanation:
    finding = db.session.get(Finding, finding_id)
    if finding is None:
        raise NotFound("Không tìm thấy kết quả.")
    get_visit(actor, finding.visit_id)
    explanation = db.session.scalar(select(Explanation).where(Explanation.finding_id == finding.id))
    if explanation is None:
        raise NotFound("Chưa có yêu cầu giải trình cho kết quả này.")
    return explanation

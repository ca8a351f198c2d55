"""Plain values for the templates, made from the models the services return: labels in
Vietnamese, findings grouped by section, reviewer notes beside each finding. No queries
of their own beyond the relationships the service's objects already hold."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from ..documents.minutes import RESULT_NAMES, SECTION_NAMES, SEVERITY_NAMES, finding_value
from ..visits.models import Finding, Visit

STATE_NAMES = {"draft": "Nháp", "submitted": "Chờ thẩm định", "returned": "Đã trả lại",
               "approved": "Đã duyệt", "all": "Tất cả"}
ROLE_NAMES = {"inspector": "Kiểm tra viên", "reviewer": "Thẩm định viên", "leader": "Lãnh đạo",
              "admin": "Quản trị", "unit_officer": "Cán bộ đơn vị được kiểm tra"}
DECISION_NAMES = {"approve": "Duyệt", "return": "Trả lại"}
EXPLANATION_NAMES = {"requested": "Đang chờ giải trình", "received": "Đã nhận giải trình",
                     "lapsed": "Quá hạn, không giải trình"}
ACTION_NAMES = {
    "create": "Tạo", "update": "Cập nhật", "submit": "Gửi duyệt", "approve": "Duyệt",
    "return": "Trả lại", "sync_findings": "Đồng bộ kết quả", "upload": "Tải lên", "delete": "Xóa",
    "explanation_request": "Yêu cầu giải trình", "explanation_receive": "Nhận giải trình",
    "explanation_lapse": "Ghi nhận quá hạn giải trình",
}
ENTITY_NAMES = {"visit": "buổi kiểm tra", "finding": "kết quả", "evidence": "ảnh minh chứng"}


@dataclass
class FindingRow:
    finding: Finding
    number: int
    code: str
    text: str
    result: str
    result_label: str
    value: str
    severity: str
    severity_label: str
    official: str
    legal_basis: str
    note: str
    photos: list[Any]
    explanation: Any = None
    review_notes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> uuid.UUID:
        return self.finding.id

    @property
    def failed(self) -> bool:
        return self.result == "fail"

    @property
    def can_explain(self) -> bool:
        return self.failed and self.finding.staff_id is not None


def _review_notes(visit: Visit) -> dict[uuid.UUID, list[dict[str, Any]]]:
    notes: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for review in visit.reviews:
        for note in review.finding_notes:
            notes.setdefault(note.finding_id, []).append({
                "round": review.round, "comment": note.comment, "voided": note.voided,
                "void_reason": note.void_reason,
                "severity_label": SEVERITY_NAMES.get(note.severity or "", ""),
            })
    return notes


def finding_sections(visit: Visit, explanations: dict[uuid.UUID, Any]) -> list[dict[str, Any]]:
    """The findings by checklist section, in checklist order, numbered through."""
    notes = _review_notes(visit)
    findings = sorted(visit.findings, key=lambda f: (f.criterion.position, f.criterion.code))
    sections = []
    number = 0
    for category, group in groupby(findings, key=lambda f: f.criterion.category):
        rows = []
        for finding in group:
            number += 1
            criterion = finding.criterion
            rows.append(FindingRow(
                finding=finding, number=number, code=criterion.code, text=criterion.text,
                result=finding.result, result_label=RESULT_NAMES[finding.result], value=finding_value(finding),
                severity=criterion.severity, severity_label=SEVERITY_NAMES.get(criterion.severity, ""),
                official=finding.staff.full_name if finding.staff else "",
                legal_basis=criterion.legal_basis or "", note=finding.note or "",
                photos=list(finding.evidence) if finding.result == "fail" else [],
                explanation=explanations.get(finding.id), review_notes=notes.get(finding.id, [])))
        sections.append({"key": category, "title": SECTION_NAMES.get(category, category), "rows": rows})
    return sections


def describe_event(event: Any) -> str:
    action = ACTION_NAMES.get(event.action, event.action)
    return f"{action} {ENTITY_NAMES.get(event.entity_type, event.entity_type)}"


def conflict_message(visit: Visit) -> dict[str, Any]:
    """Who decided the visit (the last review), for a reviewer whose decision lost."""
    review = visit.last_review
    if review is None:
        return {"who": None, "what": None, "when": None, "state": STATE_NAMES[visit.status]}
    return {"who": review.reviewer.full_name, "what": DECISION_NAMES[review.decision],
            "when": review.decided_at, "state": STATE_NAMES[visit.status]}


def today_in_vietnam() -> dt.date:
    from ..timezone import VIETNAM_TZ

    return dt.datetime.now(VIETNAM_TZ).date()

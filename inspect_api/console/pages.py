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
    # The evidence flags of each photo in words (photo_flags.badges), by evidence id.
    photo_badges: dict[uuid.UUID, list[str]] = field(default_factory=dict)
    # What the latest review left in force: `severity` above is the current one, this the
    # inspector's checklist severity when a reviewer changed it; a void and its reason.
    original_severity_label: str = ""
    voided: bool = False
    void_reason: str = ""

    @property
    def id(self) -> uuid.UUID:
        return self.finding.id

    @property
    def failed(self) -> bool:
        return self.result == "fail"

    @property
    def counts(self) -> bool:
        """A failure that still counts (the scores and lists leave voided ones out)."""
        return self.failed and not self.voided

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


def _in_force(visit: Visit) -> dict[uuid.UUID, Any]:
    """The approving review's note on each finding: what the scores count (reports/scores.py
    effective_findings), so the page shows the same severity and voids. A return round's
    notes are advice to the team: the next decision starts again from the checklist."""
    review = visit.last_review
    if review is None or review.decision != "approve":
        return {}
    return {note.finding_id: note for note in review.finding_notes}


def finding_sections(visit: Visit, explanations: dict[uuid.UUID, Any],
                     photo_badges: dict[uuid.UUID, list[str]] | None = None) -> list[dict[str, Any]]:
    """The findings by checklist section, in checklist order, numbered through."""
    photo_badges = photo_badges or {}
    notes = _review_notes(visit)
    in_force = _in_force(visit)
    findings = sorted(visit.findings, key=lambda f: (f.criterion.position, f.criterion.code))
    sections = []
    number = 0
    for category, group in groupby(findings, key=lambda f: f.criterion.category):
        rows = []
        for finding in group:
            number += 1
            criterion = finding.criterion
            photos = list(finding.evidence) if finding.result == "fail" else []
            note = in_force.get(finding.id)
            severity = (note.severity if note is not None and note.severity else None) or criterion.severity
            rows.append(FindingRow(
                finding=finding, number=number, code=criterion.code, text=criterion.text,
                result=finding.result, result_label=RESULT_NAMES[finding.result], value=finding_value(finding),
                severity=severity, severity_label=SEVERITY_NAMES.get(severity, ""),
                official=finding.staff.full_name if finding.staff else "",
                legal_basis=criterion.legal_basis or "", note=finding.note or "",
                photos=photos, explanation=explanations.get(finding.id), review_notes=notes.get(finding.id, []),
                photo_badges={p.id: photo_badges[p.id] for p in photos if photo_badges.get(p.id)},
                original_severity_label=(SEVERITY_NAMES.get(criterion.severity, "")
                                         if severity != criterion.severity else ""),
                voided=bool(note is not None and note.voided),
                void_reason=(note.void_reason or "") if note is not None and note.voided else ""))
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

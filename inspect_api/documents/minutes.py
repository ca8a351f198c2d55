"""The Biên bản kiểm tra of one visit (shared/domain/LISTS.md, per-visit minutes)."""

from __future__ import annotations

import base64
import logging
import uuid
from itertools import groupby
from typing import Any

from ..auth.models import User
from ..errors import Conflict, StoreDown
from ..evidence.service import NoThumbnail, UploadLimits, ensure_thumbnail
from ..exports.naming import content_disposition
from ..org.models import OrgUnit
from ..storage import StoreUnavailable, get_store
from ..timezone import VIETNAM_TZ
from ..visits import service as visits
from ..visits.models import Finding, Visit
from .render import render_pdf, vn_date, vn_number

# The visits whose minutes exist: a draft has not been closed on site yet.
MINUTES_STATUSES = ("submitted", "returned", "approved")

SECTION_NAMES = {
    "facilities": "Cơ sở vật chất, trang thiết bị",
    "posting": "Niêm yết, công khai thủ tục hành chính",
    "conduct": "Tác phong, thái độ, văn hóa ứng xử",
    "punctuality": "Thời gian làm việc, kỷ luật lao động",
    "dossier": "Tiếp nhận, giải quyết hồ sơ",
    "digital": "Dịch vụ công trực tuyến, số hóa",
}
RESULT_NAMES = {"pass": "Đạt", "fail": "Không đạt", "na": "Không áp dụng"}
SEVERITY_NAMES = {"critical": "Nghiêm trọng", "major": "Chính", "minor": "Nhỏ"}
log = logging.getLogger(__name__)
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")


def finding_value(finding: Finding) -> str:
    """A finding's answer as printed and shown: text as typed, numbers the Vietnamese
    way, percentages with their sign."""
    value = finding.value
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if finding.criterion.answer_type == "percent":
        return f"{vn_number(value)} %"
    return vn_number(value)


def _thumbnails(finding: Finding, limits: UploadLimits) -> list[str | None]:
    """The failure's photos as data: URIs of their 320 px JPEG thumbnails (made now if no
    one asked for them yet); None for one missing from the store or whose pixels are
    damaged (the minutes say so rather than fail)."""
    if finding.result != "fail":
        return []
    store = get_store()
    uris: list[str | None] = []
    for evidence in finding.evidence:
        try:
            ensure_thumbnail(evidence, limits)
            with store.open(evidence.thumbnail_key) as stream:
                data = stream.read()
        except NoThumbnail:
            uris.append(None)
            continue
        except FileNotFoundError:
            log.error("minutes of visit %s: thumbnail %s is missing from the store",
                      finding.visit_id, evidence.thumbnail_key)
            uris.append(None)
            continue
        except StoreUnavailable:
            raise StoreDown("Kho lưu trữ ảnh tạm thời không sẵn sàng nên chưa in được biên bản. "
                            "Vui lòng thử lại sau.", headers={"Retry-After": "30"}) from None
        uris.append("data:image/jpeg;base64," + base64.b64encode(data).decode("ascii"))
    return uris


def _row(number: int, finding: Finding, limits: UploadLimits) -> dict[str, Any]:
    criterion = finding.criterion
    return {
        "number": number,
        "code": criterion.code,
        "text": criterion.text,
        "result": RESULT_NAMES[finding.result],
        "failed": finding.result == "fail",
        "value": finding_value(finding),
        "severity": SEVERITY_NAMES.get(criterion.severity, criterion.severity) if finding.result == "fail" else "",
        "official": finding.staff.full_name if finding.staff else "",
        "legal_basis": criterion.legal_basis or "",
        "note": finding.note or "",
        "photos": _thumbnails(finding, limits),
    }


def minutes_context(visit: Visit, limits: UploadLimits) -> dict[str, Any]:
    """Plain values for templates/minutes.html; `limits` bound the decoding of a photo
    whose thumbnail is made now."""
    findings = sorted(visit.findings, key=lambda f: (f.criterion.position, f.criterion.code))
    sections = []
    number = 0
    for index, (category, group) in enumerate(
            groupby(findings, key=lambda f: f.criterion.category)):
        rows = []
        for finding in group:
            number += 1
            rows.append(_row(number, finding, limits))
        sections.append({"title": f"{ROMAN[index] if index < len(ROMAN) else index + 1}. "
                                  f"{SECTION_NAMES.get(category, category)}", "rows": rows})
    started = visit.started_at.astimezone(VIETNAM_TZ)
    ended = visit.ended_at.astimezone(VIETNAM_TZ) if visit.ended_at else None
    desk = visit.desk
    team = visit.team
    plan = visit.plan
    return {
        **_issuer(plan.org_unit),
        "desk_name": desk.name,
        "unit_name": desk.org_unit.name,
        "address": desk.address or "",
        "unit_head": desk.org_unit.head_name or "",
        "unit_head_title": desk.org_unit.head_title or "",
        "plan_title": plan.title,
        "decision_number": plan.decision_number,
        "started_date": vn_date(started),
        "started_time": started.strftime("%H giờ %M"),
        "ended_time": ended.strftime("%H giờ %M, ngày ") + vn_date(ended) if ended else "",
        "team_name": team.name,
        "team_leader": team.leader.full_name if team.leader else "",
        "team_members": [member.full_name for member in team.members
                         if team.leader is None or member.id != team.leader.id],
        "staff_on_duty": [{"name": staff.full_name, "position": staff.position or ""}
                          for staff in visit.staff_on_duty],
        "sections": sections,
        "failures": sum(1 for f in findings if f.result == "fail"),
        "checked": len(findings),
        "notes": visit.notes or "",
        "status": visit.status,
    }


def visit_minutes_pdf(actor: User, visit_id: uuid.UUID, limits: UploadLimits) -> tuple[bytes, str]:
    """The minutes of a visit the actor may see (404 otherwise, as GET /visits/{id}), as PDF
    bytes and the Content-Disposition header to send them under."""
    visit = visits.get_visit(actor, visit_id)
    if visit.status not in MINUTES_STATUSES:
        raise Conflict("Buổi kiểm tra chưa được gửi duyệt nên chưa có biên bản; "
                       "hãy gửi buổi kiểm tra trước khi in biên bản.")
    context = minutes_context(visit, limits)
    filename = f"Biên bản kiểm tra {visit.desk.name} {context['started_date']}.pdf"
    return render_pdf("minutes.html", context), content_disposition(filename)


def _issuer(unit: OrgUnit) -> dict[str, str]:
    """The header's two lines (NĐ 30/2020: the body above, the issuing body below). A
    province's plan is carried out by its Sở Nội vụ under the province's People's
    Committee, as the lists say; a lower unit's plan is issued by that unit."""
    if unit.parent is None:
        return {"supervising_body": f"ỦY BAN NHÂN DÂN {unit.name.upper()}", "issuing_body": "SỞ NỘI VỤ"}
    return {"supervising_body": unit.parent.name.upper(), "issuing_body": unit.name.upper()}

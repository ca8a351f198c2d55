"""From frozen lists and scores to the Excel files: the document header a province signs
under, rows streamed from the database, and the HTTP response."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterator
from typing import Any

from flask import current_app, send_file
from sqlalchemy import select

from ..auth.models import User
from ..db import db
from ..exports.lists import list_content_disposition, write_list_workbook
from ..exports.scores import scores_content_disposition, write_scores_workbook
from ..org.models import OrgUnit
from .lists import period_label
from .models import FrozenList, FrozenListEntry

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RECIPIENTS = ["UBND tỉnh (b/c);", "Các sở, ban, ngành;", "UBND các xã, phường;"]


def _province(unit: OrgUnit) -> OrgUnit:
    root_id = int(unit.path.strip("/").split("/")[0])
    return db.session.get(OrgUnit, root_id)


def _header(unit: OrgUnit, document_number: str | None, document_date: dt.date | None,
            date_from: dt.date, date_to: dt.date) -> dict[str, Any]:
    province = _province(unit)
    place = province.name.removeprefix("Tỉnh ").removeprefix("Thành phố ")
    attached = None
    if document_number and document_date:
        attached = (f"Tờ trình số {document_number} ngày {document_date.day:02d} tháng "
                    f"{document_date.month:02d} năm {document_date.year} của Sở Nội vụ")
    return {
        "supervising_body": f"ỦY BAN NHÂN DÂN {province.name.upper()}",
        "issuing_body": "SỞ NỘI VỤ",
        "place": place,
        "document_number": document_number,
        "document_date": document_date,
        "attached_to": attached,
        "signer_title": "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC",
        "signer_name": None,  # signed by hand
        "recipients": RECIPIENTS,
        "archive": "Lưu: VT, TTr.",
        "period_label": period_label(date_from, date_to),
    }


def _evidence_url(evidence_id: str) -> str:
    # From the configured address, never from the request: its Host header is the
    # client's to choose, and a signed workbook would carry that host's links for good.
    return f"{current_app.config['PUBLIC_BASE_URL']}/api/v1/evidence/{evidence_id}/content"


def _entries(list_id: int, entry_type: str) -> Iterator[FrozenListEntry]:
    return db.session.scalars(
        select(FrozenListEntry).where(FrozenListEntry.list_id == list_id,
                                      FrozenListEntry.entry_type == entry_type)
        .order_by(FrozenListEntry.position).execution_options(yield_per=2000))


def _content(entry: FrozenListEntry) -> str:
    return "; ".join(entry.reasons)


def _unit_rows(list_id: int):
    for entry in _entries(list_id, "unit"):
        yield {"name": entry.name, "head_name": entry.head_name, "critical": entry.critical,
               "major": entry.major, "minor": entry.minor, "score": entry.score,
               "content": _content(entry), "form_name": entry.form_name, "note": entry.note,
               "visit_dates": entry.visit_dates,
               "evidence": [_evidence_url(e) for f in entry.findings for e in f["evidence"]]}


def _staff_rows(list_id: int):
    for entry in _entries(list_id, "staff"):
        yield {"name": entry.name, "position_title": entry.position_title, "org_name": entry.org_name,
               "commune": entry.commune, "content": _content(entry), "visit_dates": entry.visit_dates,
               "evidence": [_evidence_url(e) for f in entry.findings for e in f["evidence"]],
               "form_name": entry.form_name, "note": entry.note,
               "explanation_status": entry.explanation_status}


def _finding_rows(list_id: int):
    for entry_type in ("unit", "staff"):
        for entry in _entries(list_id, entry_type):
            for finding in entry.findings:
                yield {"entry_name": entry.name, "entry_type": entry.entry_type,
                       "visit_date": dt.date.fromisoformat(finding["visit_date"]),
                       "desk": finding["desk"], "criterion_code": finding["criterion_code"],
                       "criterion_text": finding["criterion_text"], "result": finding["result"],
                       "severity": finding["severity"], "note": finding.get("note"),
                       "inspector": finding.get("inspector"),
                       "evidence": [_evidence_url(e) for e in finding["evidence"]]}


def _send(path: str, disposition: str):
    response = send_file(path, mimetype=XLSX, max_age=0)
    response.headers["Content-Disposition"] = disposition
    response.call_on_close(lambda: os.unlink(path))
    return response


def _temp_path() -> str:
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="inspect-export-")
    os.close(handle)
    return path


def list_workbook_response(actor: User, frozen: FrozenList):
    """The frozen list as its Excel attachment, streamed from the database into a
    temporary file (write-only workbook), then sent."""
    unit = db.session.get(OrgUnit, frozen.org_unit_id)
    doc = {**_header(unit, frozen.document_number, frozen.document_date, frozen.period_from,
                     frozen.period_to),
           "kind": frozen.kind, "subject": frozen.title}
    path = _temp_path()
    try:
        write_list_workbook(doc, _unit_rows(frozen.id), _staff_rows(frozen.id),
                            _finding_rows(frozen.id), path)
    except Exception:
        os.unlink(path)
        raise
    current_app.logger.info("exported list %s for %s", frozen.id, actor.username)
    return _send(path, list_content_disposition(doc))


def scores_workbook_response(actor: User, data: dict[str, Any]):
    unit = db.session.get(OrgUnit, data["org_unit_id"])
    doc = _header(unit, None, None, data["date_from"], data["date_to"])
    path = _temp_path()
    try:
        write_scores_workbook(doc, data["units"], data["desks"], path)
    except Exception:
        os.unlink(path)
        raise
    return _send(path, scores_content_disposition(doc))

"""From frozen lists and scores to the Excel and PDF files: the document header a
province signs under, rows streamed from the database, and the HTTP response."""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import select

from ..auth.models import User
from ..db import db
from ..documents.scores import scores_pdf
from ..exports._layout import DocumentHeader
from ..exports.lists import ListDocument, ListKind, list_content_disposition, write_list_workbook
from ..exports.scores import scores_content_disposition, write_scores_workbook
from ..org.models import OrgUnit
from .list_rules import ListSettings
from .lists import period_label
from .service import province_of
from .models import FrozenList, FrozenListEntry

log = logging.getLogger(__name__)
RECIPIENTS = ["UBND tỉnh (b/c);", "Các sở, ban, ngành;", "UBND các xã, phường;"]


def _header(unit: OrgUnit, document_number: str | None, document_date: dt.date | None,
            date_from: dt.date, date_to: dt.date) -> DocumentHeader:
    province = province_of(unit)
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


def _evidence_url(base_url: str, evidence_id: str) -> str:
    # From the configured address (PUBLIC_BASE_URL), never from the request: its Host
    # header is the client's to choose, and a signed workbook would carry that host's
    # links for good.
    return f"{base_url}/api/v1/evidence/{evidence_id}/content"


def _entries(list_id: int, entry_type: str) -> Iterator[FrozenListEntry]:
    return db.session.scalars(
        select(FrozenListEntry).where(FrozenListEntry.list_id == list_id,
                                      FrozenListEntry.entry_type == entry_type)
        .order_by(FrozenListEntry.position).execution_options(yield_per=2000))


def _content(entry: FrozenListEntry) -> str:
    return "; ".join(entry.reasons)


def _unit_rows(list_id: int, base_url: str):
    for entry in _entries(list_id, "unit"):
        yield {"name": entry.name, "head_name": entry.head_name, "critical": entry.critical,
               "major": entry.major, "minor": entry.minor, "score": entry.score,
               "content": _content(entry), "form_name": entry.form_name, "note": entry.note,
               "visit_dates": entry.visit_dates,
               "evidence": [_evidence_url(base_url, e) for f in entry.findings for e in f["evidence"]]}


def _staff_rows(list_id: int, base_url: str):
    for entry in _entries(list_id, "staff"):
        yield {"name": entry.name, "position_title": entry.position_title, "org_name": entry.org_name,
               "commune": entry.commune, "content": _content(entry), "visit_dates": entry.visit_dates,
               "evidence": [_evidence_url(base_url, e) for f in entry.findings for e in f["evidence"]],
               "form_name": entry.form_name, "note": entry.note,
               "explanation_status": entry.explanation_status}


def _finding_rows(list_id: int, base_url: str):
    for entry_type in ("unit", "staff"):
        for entry in _entries(list_id, entry_type):
            for finding in entry.findings:
                yield {"entry_name": entry.name, "entry_type": entry.entry_type,
                       "visit_date": dt.date.fromisoformat(finding["visit_date"]),
                       "desk": finding["desk"], "criterion_code": finding["criterion_code"],
                       "criterion_text": finding["criterion_text"], "result": finding["result"],
                       "severity": finding["severity"], "note": finding.get("note"),
                       "inspector": finding.get("inspector"),
                       "evidence": [_evidence_url(base_url, e) for e in finding["evidence"]]}


@dataclass(frozen=True)
class WorkbookFile:
    """A workbook written to a temporary file, which whoever sends it removes after."""

    path: str
    content_disposition: str


def _temp_path() -> str:
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="inspect-export-")
    os.close(handle)
    return path


def list_workbook(actor: User, frozen: FrozenList, public_base_url: str) -> WorkbookFile:
    """The frozen list as its Excel attachment, streamed from the database into a
    temporary file (write-only workbook); photos linked under `public_base_url`."""
    unit = db.session.get_one(OrgUnit, frozen.org_unit_id)
    header = _header(unit, frozen.document_number, frozen.document_date, frozen.period_from,
                     frozen.period_to)
    # The kind is checked against the same two values where the list is frozen.
    doc = ListDocument(**header, kind=cast(ListKind, frozen.kind), subject=frozen.title)
    path = _temp_path()
    try:
        write_list_workbook(doc, _unit_rows(frozen.id, public_base_url), _staff_rows(frozen.id, public_base_url),
                            _finding_rows(frozen.id, public_base_url), path)
    except Exception:
        os.unlink(path)
        raise
    log.info("exported list %s for %s", frozen.id, actor.username)
    return WorkbookFile(path, list_content_disposition(doc))


def scores_workbook(data: dict[str, Any]) -> WorkbookFile:
    unit = db.session.get_one(OrgUnit, data["org_unit_id"])
    doc = _header(unit, None, None, data["date_from"], data["date_to"])
    path = _temp_path()
    try:
        write_scores_workbook(doc, data["units"], data["desks"], path)
    except Exception:
        os.unlink(path)
        raise
    return WorkbookFile(path, scores_content_disposition(doc))


@dataclass(frozen=True)
class PdfFile:
    content: bytes
    content_disposition: str


def scores_document(data: dict[str, Any], settings: ListSettings) -> PdfFile:
    """The scores as the PDF document, its chart marking the thresholds of the list rules
    in force (a unit's head criticised under one, a unit commended from the other)."""
    unit = db.session.get_one(OrgUnit, data["org_unit_id"])
    doc = _header(unit, None, None, data["date_from"], data["date_to"])
    pdf = scores_pdf(doc, data["units"], data["desks"], criticism_below=settings.unit_min_score,
                     commendation_from=settings.commend_min_score)
    return PdfFile(pdf, scores_content_disposition(doc, "pdf"))

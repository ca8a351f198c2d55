"""From scores to the Excel file: the document header a province signs under. (A frozen
list's attachment is written by documents/list_export.py.)"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from dataclasses import dataclass
from typing import Any


from ..db import db
from ..exports._layout import DocumentHeader
from ..exports.scores import scores_content_disposition, write_scores_workbook
from ..org.models import OrgUnit
from .lists import period_label
from .service import province_of

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


@dataclass(frozen=True)
class WorkbookFile:
    """A workbook written to a temporary file, which whoever sends it removes after."""

    path: str
    content_disposition: str


def _temp_path() -> str:
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="inspect-export-")
    os.close(handle)
    return path


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

"""A conclusion notice (issued, or the draft) as the file sent to the unit: PDF
(templates/notice.html with WeasyPrint) or Word (notice_docx.py), both printed from one
NoticeView."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..exports.naming import content_disposition, safe_filename
from .list_export import DOCX_MIMETYPE, PDF_MIMETYPE
from .notice_content import NoticeContent, notice_view
from .notice_docx import notice_docx
from .render import render_pdf

NOTICE_FORMATS = ("pdf", "docx")


@dataclass(frozen=True)
class NoticeFile:
    content: bytes
    mimetype: str
    content_disposition: str


def notice_file(content: NoticeContent, file_format: str, *, document_number: str | None = None,
                document_date: dt.date | None = None, signer_name: str = "", signer_title: str = "") -> NoticeFile:
    """The notice as `file_format`; without a number it is the draft (DỰ THẢO)."""
    if file_format not in NOTICE_FORMATS:
        raise ValueError(f"unknown notice format: {file_format!r}")
    view = notice_view(content, document_number=document_number, document_date=document_date,
                       signer_name=signer_name, signer_title=signer_title)
    name = (f"Thông báo {document_number} {content.unit_name}" if document_number
            else f"Dự thảo thông báo {content.unit_name}")
    filename = safe_filename(f"{name}.{file_format}")
    if file_format == "pdf":
        return NoticeFile(render_pdf("notice.html", {"n": view}), PDF_MIMETYPE, content_disposition(filename))
    return NoticeFile(notice_docx(view), DOCX_MIMETYPE, content_disposition(filename))

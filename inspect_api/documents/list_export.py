"""A frozen list as the file a provincial office prints: the attachment (danh sách) as PDF
or as an Excel workbook, both laid out from documents.list_content.

The file is written to a temporary path that whoever sends it removes after: a workbook
is streamed from the database into it (write-only openpyxl), so a national list is never
held in memory."""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass

from ..auth.models import User
from ..exports.naming import ascii_filename, content_disposition, safe_filename
from ..reports.models import FrozenList
from .list_content import KIND_NAMES, Column, ListContent, column_widths, list_content
from .list_xlsx import write_list_workbook
from .proposal import proposal_docx
from .render import render_pdf

log = logging.getLogger(__name__)

PDF_MIMETYPE = "application/pdf"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# docx: not the attachment alone but the draft Tờ trình with the list attached (proposal.py).
LIST_FORMATS = ("xlsx", "pdf", "docx")
# Points between the margins of the PDF's landscape A4 page (templates/base.html: 30 mm
# left, 15 mm right).
PDF_TABLE_WIDTH = 841.89 - 45 * 72 / 25.4


def list_pdf(content: ListContent) -> bytes:
    """The attachment as PDF, its columns as wide as the workbook's (STT widened for a
    long list's numbers)."""
    return render_pdf("list.html", {
        "c": content,
        "list_columns": _with_shares(content.columns, content.unit_count + content.staff_count),
        "detail_columns": _with_shares(content.detail_columns, content.detail_count)})


def _with_shares(columns: tuple[Column, ...] | list[Column], largest_number: int) -> list[tuple[Column, float]]:
    """Each column with its share of the table's width, in per cent."""
    widths = column_widths(columns, PDF_TABLE_WIDTH, largest_number)
    return [(column, 100 * widths[column.key] / PDF_TABLE_WIDTH) for column in columns]


@dataclass(frozen=True)
class ListFile:
    """A document written to a temporary file, which whoever sends it removes after."""

    path: str
    mimetype: str
    content_disposition: str


def list_display_filename(content: ListContent, extension: str) -> str:
    """"Danh sách phê bình quý IV-2026 (125-TTr-SNV).pdf"."""
    name = f"Danh sách {KIND_NAMES[content.kind]} {content.period_label} ({content.document_number})"
    return safe_filename(f"{name}.{extension}")


def list_filename(content: ListContent, extension: str) -> str:
    """The ASCII name: "Danh-sach-phe-binh-quy-IV-2026-125-TTr-SNV.pdf"."""
    return ascii_filename(list_display_filename(content, extension))


def _temp_path(extension: str) -> str:
    handle, path = tempfile.mkstemp(suffix=f".{extension}", prefix="inspect-list-")
    os.close(handle)
    return path


def list_file(actor: User, frozen: FrozenList, file_format: str) -> ListFile:
    """The frozen list's attachment as `file_format` ("xlsx" or "pdf"), or ("docx") the
    draft Tờ trình it is attached to."""
    if file_format not in LIST_FORMATS:
        raise ValueError(f"unknown list format: {file_format!r}")
    if file_format == "docx":
        return _proposal_file(actor, frozen)
    content = list_content(frozen)
    path = _temp_path(file_format)
    try:
        if file_format == "pdf":
            with open(path, "wb") as target:
                target.write(list_pdf(content))
            mimetype = PDF_MIMETYPE
        else:
            write_list_workbook(content, path)
            mimetype = XLSX_MIMETYPE
    except Exception:
        os.unlink(path)
        raise
    log.info("exported list %s as %s for %s", frozen.id, file_format, actor.username)
    return ListFile(path, mimetype, content_disposition(list_display_filename(content, file_format)))


def _proposal_file(actor: User, frozen: FrozenList) -> ListFile:
    data, disposition = proposal_docx(actor, frozen)
    path = _temp_path("docx")
    try:
        with open(path, "wb") as target:
            target.write(data)
    except Exception:
        os.unlink(path)
        raise
    return ListFile(path, DOCX_MIMETYPE, disposition)

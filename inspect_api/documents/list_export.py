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
from .list_content import KIND_NAMES, ListContent, list_content
from .list_xlsx import write_list_workbook
from .proposal import proposal_docx
from .render import render_pdf

log = logging.getLogger(__name__)

PDF_MIMETYPE = "application/pdf"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# docx: not the attachment alone but the draft Tờ trình with the list attached (proposal.py).
LIST_FORMATS = ("xlsx", "pdf", "docx")


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
                target.write(render_pdf("list.html", {"c": content}))
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

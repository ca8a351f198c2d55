"""The criticism or commendation list ("DANH SÁCH ..."), as a province signs it.

``write_list_workbook(doc, units, staff, findings, target)`` streams three iterables,
in this order and each once, into an .xlsx written with openpyxl's write-only mode, so
memory does not grow with the number of rows (database cursors can be passed as they
are, one after the other). Rows are written in the order given: the caller sorts them
(by level, then Vietnamese collation of names).

``doc``, the document the list is attached to (see ``_layout`` for the shared keys)::

    {"kind": "criticism" | "commendation",
     "supervising_body": "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG", "issuing_body": "SỞ NỘI VỤ",
     "place": "Tuyên Quang", "document_number": "125/TTr-SNV",
     "document_date": date(2026, 12, 20),
     "subject": "Tập thể, cá nhân đề nghị phê bình, xem xét xử lý kỷ luật qua kiểm tra ...",
     "attached_to": "Tờ trình số 125/TTr-SNV ngày 20 tháng 12 năm 2026 của Sở Nội vụ",
     "signer_title": "KT. GIÁM ĐỐC\\nPHÓ GIÁM ĐỐC", "signer_name": "Nguyễn Văn A" | None,
     "recipients": ["UBND tỉnh (b/c);", "Các xã, phường;"], "archive": "Lưu: VT, TTr.",
     "period_label": "quý IV/2026"}

``units``: {"name", "head_name", "critical", "major", "minor", "score" (Decimal percent
points, e.g. Decimal("68.50"), or None), "content", "form_name", "note"}; optionally
"visit_dates" (list of date) and "evidence" (list of URL) as for staff.

``staff``: {"name", "position_title", "org_name", "commune", "content",
"visit_dates" (list of date), "evidence" (list of URL), "form_name", "note",
"explanation_status" ("requested" | "received" | "lapsed" | None)}.

``findings`` (second sheet): {"entry_name", "entry_type" ("unit" | "staff"),
"visit_date" (date), "desk", "criterion_code", "criterion_text", "result"
("pass" | "fail" | "na"), "severity" ("minor" | "major" | "critical"), "note",
"inspector", "evidence" (list of URL)}.

Layout decisions:

- One table for both groups, so that one header can repeat on every printed page: the
  columns are the union of the unit and the individual columns of LISTS.md, each header
  saying what it holds for which group; a cell that does not apply stays empty.
  Criticism: STT | Tên tập thể, họ và tên cá nhân | Người đứng đầu (tập thể); chức vụ,
  chức danh (cá nhân) | Cơ quan, đơn vị | Xã, phường | Số tiêu chí không đạt (nghiêm
  trọng/chính/nhỏ) | Điểm | Nội dung vi phạm (mã tiêu chí) | Ngày kiểm tra | Minh chứng
  (số tệp) | Hình thức đề nghị | Ghi chú. Commendation drops the failure counts and reads
  "Thành tích tiêu biểu" for the content. Groups "I  TẬP THỂ", "II  CÁ NHÂN" (the roman
  numeral in the STT column), STT restarting in each; an empty group is left out.
- Scores are percent points as numbers (68.5, like the API), shown "68,5 %" under a
  Vietnamese locale by the format ``0.0" %"``.
- One visit date is a date cell (dd/mm/yyyy); several are one text cell
  "20/11/2026; 25/11/2026", because a date cell holds one date and the leader must see
  them all.
- Evidence on the list is a count; the second sheet ("Chi tiết, minh chứng") has one row
  per finding, its first evidence URL as a clickable link and the others listed. Only
  absolute http(s) URLs become links (relative ones are resolved against ``link_base``);
  links stop after ``max_links`` (openpyxl holds each link in memory until the file is
  closed, and Excel ignores links past 65,530 a sheet), the rest are written as text and
  a closing line says from which row.
- A staff entry whose explanation is still pending is marked in "Ghi chú" ("Chờ giải
  trình (chưa đề nghị kỷ luật)") and counted in a line under the total.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from itertools import chain
from typing import IO, Any, Literal, TypedDict, TypeVar

from openpyxl import Workbook

from ._layout import (
    EXCEL_MAX_LINKS,
    Column,
    DocumentHeader,
    Sheet,
    Styles,
    absolute_http_url,
    vn_date,
    vn_number,
    write_document_header,
    write_signature_block,
    write_table_header,
)
from .naming import ascii_filename, content_disposition, safe_filename

Target = TypeVar("Target", str, os.PathLike, IO[bytes])


ListKind = Literal["criticism", "commendation"]


class ListDocument(DocumentHeader, total=False):
    kind: ListKind
    subject: str


class UnitEntry(TypedDict, total=False):
    name: str
    head_name: str | None
    critical: int
    major: int
    minor: int
    score: Any  # Decimal percent points or None
    content: str
    form_name: str
    note: str | None
    visit_dates: list[dt.date]
    evidence: list[str]


class StaffEntry(TypedDict, total=False):
    name: str
    position_title: str | None
    org_name: str | None
    commune: str | None
    content: str
    visit_dates: list[dt.date]
    evidence: list[str]
    form_name: str
    note: str | None
    explanation_status: Literal["requested", "received", "lapsed"] | None


class FindingRow(TypedDict, total=False):
    entry_name: str
    entry_type: Literal["unit", "staff"]
    visit_date: dt.date | None
    desk: str
    criterion_code: str
    criterion_text: str
    result: str
    severity: str | None
    note: str | None
    inspector: str | None
    evidence: list[str]


KIND_NAMES = {"criticism": "phê bình", "commendation": "biểu dương"}
EXPLANATION_NOTES = {
    "requested": "Chờ giải trình (chưa đề nghị kỷ luật)",
    "received": "Đã có giải trình",
    "lapsed": "Hết hạn giải trình, không có giải trình",
}
RESULT_NAMES = {"pass": "Đạt", "fail": "Không đạt", "na": "Không áp dụng"}
SEVERITY_NAMES = {"critical": "Nghiêm trọng", "major": "Chính", "minor": "Nhỏ"}
ENTRY_TYPE_NAMES = {"unit": "Tập thể", "staff": "Cá nhân"}


def _label(names: Mapping[str, str], code: str | None) -> str | None:
    """The Vietnamese name of a code, or the code itself when it has none."""
    return None if code is None else names.get(code, code)
DEFAULT_MAX_LINKS = 10_000

LIST_SHEET = "Danh sách"
DETAIL_SHEET = "Chi tiết, minh chứng"
# The issuing body and motto span the first four columns / the rest.
HEADER_SPLIT = 4


def list_columns(kind: str) -> list[Column]:
    """The table's columns for a criticism or a commendation list."""
    commendation = kind == "commendation"
    columns = [
        Column("stt", "STT", 5, "td_center"),
        Column("name", "Tên tập thể, họ và tên cá nhân", 24),
        Column("role", "Người đứng đầu (tập thể); chức vụ, chức danh (cá nhân)", 20),
        Column("org", "Cơ quan, đơn vị", 20),
        Column("commune", "Xã, phường", 14),
        Column("failures", "Số tiêu chí không đạt (nghiêm trọng/ chính/nhỏ)", 12, "td_center"),
        Column("score", "Điểm", 9, "td_score"),
        Column("content", "Thành tích tiêu biểu" if commendation
               else "Nội dung vi phạm (mã tiêu chí)", 40),
        Column("dates", "Ngày kiểm tra", 12, "td_date"),
        Column("evidence", "Minh chứng (số tệp)", 10, "td_count"),
        Column("form", "Hình thức đề nghị", 18),
        Column("note", "Ghi chú", 20),
    ]
    if commendation:
        columns = [c for c in columns if c.key != "failures"]
    return columns


DETAIL_COLUMNS = [
    Column("stt", "STT", 7, "td_center"),
    Column("entry", "Tập thể, cá nhân", 24),
    Column("type", "Loại", 9, "td_center"),
    Column("date", "Ngày kiểm tra", 12, "td_date"),
    Column("desk", "Bộ phận Một cửa", 24),
    Column("code", "Mã tiêu chí", 10, "td_center"),
    Column("criterion", "Nội dung tiêu chí", 36),
    Column("result", "Kết quả", 11, "td_center"),
    Column("severity", "Mức độ", 12, "td_center"),
    Column("note", "Ghi chú của đoàn kiểm tra", 30),
    Column("inspector", "Người kiểm tra", 18),
    Column("link", "Minh chứng", 30, "td_link"),
    Column("more", "Minh chứng khác", 30),
]


def write_list_workbook(doc: ListDocument, units: Iterable[UnitEntry],
                        staff: Iterable[StaffEntry], findings: Iterable[FindingRow],
                        target: Target, *, link_base: str | None = None,
                        max_links: int = DEFAULT_MAX_LINKS) -> Target:
    """Write the list workbook to ``target`` (a path or a binary file object, e.g.
    ``io.BytesIO`` or a temporary file) and return it.

    Consumes ``units``, then ``staff``, then ``findings``, each once. ``link_base``
    resolves relative evidence URLs (e.g. ``request.host_url``); ``max_links`` caps the
    clickable links on the detail sheet (at most 65,530, Excel's limit).
    """
    kind = doc.get("kind", "criticism")
    if kind not in KIND_NAMES:
        raise ValueError(f"unknown list kind: {kind!r}")
    wb = Workbook(write_only=True)
    wb.properties.title = f"Danh sách {doc.get('subject') or KIND_NAMES[kind]}"
    wb.properties.creator = doc.get("issuing_body") or None
    wb.properties.language = "vi-VN"
    styles = Styles(wb)
    _write_list_sheet(wb, styles, doc, kind, units, staff)
    _write_detail_sheet(wb, styles, doc, findings, link_base,
                        max(0, min(max_links, EXCEL_MAX_LINKS)))
    wb.save(target)
    return target


def list_display_filename(doc: ListDocument) -> str:
    """The Vietnamese file name: "Danh sách phê bình quý IV-2026 (125-TTr-SNV).xlsx"."""
    name = f"Danh sách {KIND_NAMES.get(doc.get('kind', 'criticism'), 'phê bình')}"
    if doc.get("period_label"):
        name += f" {doc['period_label']}"
    if doc.get("document_number"):
        name += f" ({doc['document_number']})"
    return safe_filename(name + ".xlsx")


def list_filename(doc: ListDocument) -> str:
    """The ASCII file name: "Danh-sach-phe-binh-quy-IV-2026-125-TTr-SNV.xlsx"."""
    return ascii_filename(list_display_filename(doc))


def list_content_disposition(doc: ListDocument) -> str:
    """The Content-Disposition header for downloading the list (RFC 6266, UTF-8 name)."""
    return content_disposition(list_display_filename(doc))


# --- the list sheet ----------------------------------------------------------------

def _write_list_sheet(wb: Workbook, styles: Styles, doc: ListDocument, kind: str,
                      units: Iterable[UnitEntry], staff: Iterable[StaffEntry]) -> None:
    columns = list_columns(kind)
    sheet = Sheet(wb, styles, LIST_SHEET, [c.width for c in columns])
    sheet.setup_page(landscape=True)

    write_document_header(sheet, doc, HEADER_SPLIT)
    sheet.line("DANH SÁCH", "title", height=22)
    if doc.get("subject"):
        sheet.line(doc["subject"], "subject")
    if doc.get("attached_to"):
        sheet.line(f"(Kèm theo {doc['attached_to']})", "attached")
    sheet.blank(height=10)

    write_table_header(sheet, columns)

    groups = [("TẬP THỂ", units, _unit_row), ("CÁ NHÂN", staff, _staff_row)]
    counts = [0, 0]
    pending = 0
    numeral = 0
    for index, (label, entries, to_row) in enumerate(groups):
        iterator = iter(entries)
        first = next(iterator, None)
        if first is None:
            continue
        numeral += 1
        sheet.append([sheet.cell(_ROMAN[numeral], "group_number"), sheet.cell(label, "group")]
                     + [sheet.cell(None, "group")] * (len(columns) - 2))
        sheet.merge(2, len(columns))
        for entry in chain((first,), iterator):
            counts[index] += 1
            values = to_row(entry, counts[index])
            if entry.get("explanation_status") == "requested":
                pending += 1
            sheet.append(_cells(sheet, columns, values))

    sheet.blank(height=8)
    sheet.line(_total_line(*counts), "total", height=20)
    if pending:
        sheet.line(f"Có {vn_number(pending)} cá nhân đang chờ giải trình: chưa đề nghị xem xét "
                   f"xử lý kỷ luật cho đến khi có giải trình hoặc hết hạn giải trình.",
                   "remark", height=18)
    sheet.line(f"Chi tiết kết quả kiểm tra và minh chứng của từng trường hợp: "
               f"biểu “{DETAIL_SHEET}” kèm theo.", "remark", height=18)
    sheet.blank(height=10)
    write_signature_block(sheet, doc, HEADER_SPLIT)


_ROMAN = {1: "I", 2: "II"}


def _total_line(units: int, staff: int) -> str:
    parts = []
    if units:
        parts.append(f"{vn_number(units)} tập thể")
    if staff:
        parts.append(f"{vn_number(staff)} cá nhân")
    if not parts:
        return "Danh sách không có tập thể, cá nhân nào./."
    return f"Danh sách gồm {', '.join(parts)}./."


def _cells(sheet: Sheet, columns: list[Column], values: Mapping[str, Any]) -> list:
    cells = []
    for column in columns:
        value = values.get(column.key)
        style = column.style
        if isinstance(value, tuple):  # (value, style) when a value needs another style
            value, style = value
        cells.append(sheet.cell(value, style))
    return cells


def _unit_row(entry: Mapping[str, Any], number: int) -> dict[str, Any]:
    counts = [entry.get(k) for k in ("critical", "major", "minor")]
    return {
        "stt": number,
        "name": entry.get("name"),
        "role": entry.get("head_name"),
        "failures": "/".join(str(c or 0) for c in counts) if any(
            c is not None for c in counts) else None,
        "score": entry.get("score"),
        "content": entry.get("content"),
        "dates": _dates_value(entry.get("visit_dates")),
        "evidence": _evidence_count(entry),
        "form": entry.get("form_name"),
        "note": _note(entry),
    }


def _staff_row(entry: Mapping[str, Any], number: int) -> dict[str, Any]:
    return {
        "stt": number,
        "name": entry.get("name"),
        "role": entry.get("position_title"),
        "org": entry.get("org_name"),
        "commune": entry.get("commune"),
        "content": entry.get("content"),
        "dates": _dates_value(entry.get("visit_dates")),
        "evidence": _evidence_count(entry),
        "form": entry.get("form_name"),
        "note": _note(entry),
    }


def _dates_value(dates: Iterable[dt.date] | None) -> Any:
    if not dates:
        return None
    days = sorted({d.date() if isinstance(d, dt.datetime) else d for d in dates})
    if len(days) == 1:
        return days[0]
    return "; ".join(vn_date(d) for d in days), "td_center"


def _evidence_count(entry: Mapping[str, Any]) -> int | None:
    evidence = entry.get("evidence")
    return None if evidence is None else len(evidence)


def _note(entry: Mapping[str, Any]) -> str | None:
    parts = [EXPLANATION_NOTES.get(entry.get("explanation_status") or ""), entry.get("note")]
    return "\n".join(str(p) for p in parts if p) or None


# --- the detail sheet --------------------------------------------------------------

def _write_detail_sheet(wb: Workbook, styles: Styles, doc: ListDocument,
                        findings: Iterable[FindingRow], link_base: str | None,
                        max_links: int) -> None:
    columns = DETAIL_COLUMNS
    sheet = Sheet(wb, styles, DETAIL_SHEET, [c.width for c in columns])
    sheet.setup_page(landscape=True)
    # Title, subtitle, a gap, then the header and the column numbers; rows from 6.
    sheet.ws.freeze_panes = "C6"

    sheet.line("CHI TIẾT KẾT QUẢ KIỂM TRA VÀ MINH CHỨNG", "title", height=22)
    subject = doc.get("subject")
    sheet.line(f"(Kèm theo Danh sách {_decapitalise(subject)})" if subject
               else "(Kèm theo Danh sách)", "attached")
    sheet.blank(height=10)
    write_table_header(sheet, columns)

    links = 0
    unlinked_from: int | None = None
    number = 0
    for finding in findings:
        number += 1
        urls = [u for u in (finding.get("evidence") or ()) if u]
        values: dict[str, Any] = {
            "stt": number,
            "entry": finding.get("entry_name"),
            "type": _label(ENTRY_TYPE_NAMES, finding.get("entry_type")),
            "date": finding.get("visit_date"),
            "desk": finding.get("desk"),
            "code": finding.get("criterion_code"),
            "criterion": finding.get("criterion_text"),
            "result": _label(RESULT_NAMES, finding.get("result")),
            "severity": _label(SEVERITY_NAMES, finding.get("severity")),
            "note": finding.get("note"),
            "inspector": finding.get("inspector"),
            "more": "\n".join(str(u) for u in urls[1:]) or None,
        }
        cells = _cells(sheet, columns, values)
        if urls:
            target = absolute_http_url(urls[0], link_base)
            if target and links < max_links:
                cells[-2] = sheet.link_cell(target, target)
                links += 1
            else:
                if target and unlinked_from is None:
                    unlinked_from = number
                cells[-2] = sheet.cell(urls[0], "td")
        sheet.append(cells)

    sheet.blank(height=8)
    sheet.line(f"Tổng số: {vn_number(number)} kết quả kiểm tra./.", "total", height=20)
    if unlinked_from is not None:
        sheet.line(f"Từ STT {vn_number(unlinked_from)} trở đi, đường dẫn minh chứng ghi dạng "
                   f"văn bản (tệp giữ tối đa {vn_number(max_links)} liên kết).",
                   "remark", height=18)


def _decapitalise(text: str) -> str:
    """"Tập thể, cá nhân ..." -> "tập thể, cá nhân ..."; "UBND xã ..." stays."""
    word = text.split(" ", 1)[0]
    return text[:1].lower() + text[1:] if word[1:] == word[1:].lower() else text

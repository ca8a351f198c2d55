"""The Thông báo kết quả kiểm tra as Word (.docx), laid out like the Tờ trình (NĐ 30/2020
Phụ lục I, docx_layout.py): the header (issuing body | national motto) with the number
and the place and date under it, THÔNG BÁO and its subject, the body, the corrections
table (12 pt, its header row repeated, no row split), Nơi nhận and the signature. The
masthead, title and closing block are the Tờ trình's own (proposal.py), so both
documents a Sở Nội vụ sends look alike. The clerk may edit the wording before signing:
plain paragraphs, one table and named styles."""

from __future__ import annotations

import io

from docx import Document as new_document
from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt

from . import docx_layout as layout
from .list_content import Signature
from .notice_content import NoticeView

# Column headings and their share of the text width.
CORRECTION_COLUMNS = (("STT", 0.09, "number"), ("Nội dung phải khắc phục", 0.31, "content"),
                      ("Bộ phận Một cửa", 0.17, "desk"), ("Công chức liên quan", 0.17, "official"),
                      ("Mức độ", 0.12, "severity"), ("Hạn khắc phục", 0.14, "deadline"))


def notice_docx(view: NoticeView) -> bytes:
    document = new_document()
    layout.set_up_styles(document)
    section = document.sections[0]
    layout.page_setup(section, layout.OFFICIAL_MARGINS)
    layout.number_pages(section, restart=False)
    if view.draft:
        mark = document.add_paragraph(style=layout.SIGNATURE)
        mark.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        layout.write(mark, "DỰ THẢO", bold=True)
    left, right = layout.masthead(document, view.supervising_body, view.issuing_body)
    number = layout.add_cell_paragraph(left, view.number_line, layout.HEADER_BLOCK)
    number.paragraph_format.space_before = Pt(6)
    dated = layout.add_cell_paragraph(right, view.place_date, layout.HEADER_BLOCK, italic=True, size=14)
    dated.paragraph_format.space_before = Pt(6)
    layout.title_block(document, view.title, view.subject)

    layout.body(document, view.opening)
    _heading(document, "I. NỘI DUNG, THỜI GIAN KIỂM TRA")
    for line in view.inspected:
        layout.body(document, line)
    _heading(document, "II. KẾT QUẢ KIỂM TRA")
    _heading(document, "1. Ưu điểm")
    for line in view.strengths:
        layout.body(document, line)
    _heading(document, "2. Tồn tại, hạn chế")
    if not view.shortcomings:
        layout.body(document, "- Không phát hiện tồn tại, hạn chế.")
    for item in view.shortcomings:
        _heading(document, item["heading"])
        for key in ("seen", "officials", "severity", "legal_basis"):
            if item[key]:
                layout.body(document, item[key])
    _heading(document, "III. YÊU CẦU KHẮC PHỤC")
    layout.body(document, view.corrections_lead)
    if view.corrections:
        _corrections_table(document, view.corrections)
    layout.body(document, view.report_line)
    # The closing sentence goes with the signature: never a page with the signature alone.
    layout.body(document, view.closing).paragraph_format.keep_with_next = True
    layout.closing_block(document, Signature(tuple(view.signer_title), view.signer_name), list(view.recipients))
    layout.put_in_schema_order(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _heading(document: Document, text: str) -> None:
    layout.body(document, text, bold=True).paragraph_format.keep_with_next = True


def _corrections_table(document: Document, rows: list[dict[str, str]]) -> None:
    width = layout.text_width(document.sections[-1])
    widths = [int(width * share) for _, share, _ in CORRECTION_COLUMNS]
    widths[-1] = width - sum(widths[:-1])
    table = document.add_table(rows=1, cols=len(CORRECTION_COLUMNS))
    layout.bordered(table)
    layout.fixed_widths(table, widths)
    header = table.rows[0]
    for cell, (heading, _, _) in zip(header.cells, CORRECTION_COLUMNS, strict=True):
        layout.cell_text(cell, heading, layout.TABLE_HEAD)
    layout.repeat_as_header(header)
    layout.keep_row_whole(header)
    for values in rows:
        row = table.add_row()
        layout.keep_row_whole(row)
        for index, (cell, (_, _, key)) in enumerate(zip(row.cells, CORRECTION_COLUMNS, strict=True)):
            paragraph = layout.cell_text(cell, values[key], layout.TABLE_TEXT)
            if index == 0 or key == "deadline":
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for cell, cell_width in zip(row.cells, widths, strict=True):
            cell.width = cell_width
    spacer = document.add_paragraph()
    spacer.paragraph_format.space_after = Pt(0)
    spacer.paragraph_format.first_line_indent = Mm(0)

"""The list attachment as an Excel workbook that prints as signed (issue 9, item 4), laid
out from documents.list_content: sheet "Danh sách" (the attachment) and sheet "Chi tiết,
minh chứng" (every finding or visit behind it, with the photos' file names and SHA-256).

- Streamed: openpyxl's write-only mode, rows consumed from ``ListContent`` once, so
  memory stays flat however long the list.
- Printed at 100 % on A4 landscape: the columns are sized from the content's width hints
  to fill the width between the NĐ 30/2020 margins, never shrunk to fit, so 12 pt stays
  12 pt on paper.
- Every row carries its height, computed from its wrapped text (exports._layout), since
  neither Excel nor LibreOffice grows a row written by a streaming writer.
- What is printed is text in Vietnamese form ("98,5 %", dd/mm/yyyy), whatever the
  reader's locale; STT stays a number.
- The page number is centred at the top from page 2, each sheet numbered from 1.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from itertools import repeat
from typing import IO, TypeVar

from openpyxl import Workbook

from ..exports._layout import (
    DOCUMENT_DIGIT_PX,
    Column as SheetColumn,
    Sheet,
    Styles,
    column_points,
    lines_height,
    use_document_font,
    width_units,
    wrapped_lines,
    write_document_header,
    write_signature_block,
    write_table_header,
)
from .list_content import DETAIL_TITLE, KIND_NAMES, TABLE_SIZE, Column, ListContent, column_widths

Target = TypeVar("Target", str, os.PathLike, IO[bytes])

LIST_SHEET = "Danh sách"
DETAIL_SHEET = DETAIL_TITLE
# The issuing body spans the first columns, the national motto the rest.
HEADER_SPLIT = 5
# Points of width the columns share: the room between the margins of a landscape A4
# page, less a little for the borders and what each program rounds.
PRINT_WIDTH = 700.0


def sheet_columns(columns: Sequence[Column], total: float = PRINT_WIDTH,
                  largest_number: int = 0) -> list[SheetColumn]:
    """The content's columns with widths in Excel units that fill `total` points, STT as
    wide as `largest_number` needs (list_content.column_widths)."""
    widths = column_widths(columns, total, largest_number)
    return [SheetColumn(c.key, c.heading, width_units(widths[c.key], DOCUMENT_DIGIT_PX),
                        "td_center" if c.key == "stt" else "td")
            for c in columns]


def write_list_workbook(content: ListContent, target: Target) -> Target:
    """Write the attachment to `target` (a path or a binary file) and return it."""
    wb = Workbook(write_only=True)
    use_document_font(wb)
    wb.properties.title = f"Danh sách {KIND_NAMES[content.kind]} {content.period_label}"
    wb.properties.creator = content.issuing_body
    wb.properties.language = "vi-VN"
    styles = Styles(wb)
    _write_list_sheet(wb, styles, content)
    _write_detail_sheet(wb, styles, content)
    wb.save(target)
    return target


def _rooms(columns: Sequence[SheetColumn]) -> list[float]:
    """Each column's room for text (points), worked out once per sheet: a row's height
    is measured against it for every cell of the list."""
    return [column_points(column.width, DOCUMENT_DIGIT_PX) for column in columns]


def _row_height(cells: Sequence[str], rooms: Sequence[float]) -> float:
    # map() rather than a generator expression: no Python frame resumed per cell.
    return lines_height(max(map(wrapped_lines, cells, rooms, repeat(TABLE_SIZE))), TABLE_SIZE)


def _data_row(sheet: Sheet, columns: Sequence[SheetColumn], rooms: Sequence[float],
              cells: Sequence[str]) -> None:
    values: list = [int(cells[0]) if cells[0].isdigit() else cells[0], *cells[1:]]
    sheet.append([sheet.cell(value, column.style) for value, column in zip(values, columns, strict=True)],
                 height=_row_height(cells, rooms))


def _write_list_sheet(wb: Workbook, styles: Styles, content: ListContent) -> None:
    columns = sheet_columns(content.columns, largest_number=content.unit_count + content.staff_count)
    sheet = Sheet(wb, styles, LIST_SHEET, [c.width for c in columns], DOCUMENT_DIGIT_PX)
    sheet.setup_print(landscape=True)
    write_document_header(sheet, {"supervising_body": content.supervising_body,
                                  "issuing_body": content.issuing_body}, HEADER_SPLIT, number_line=False)
    sheet.line(content.title, "title")
    sheet.line(content.subject, "subject")
    sheet.line(content.attached_line, "attached")
    sheet.blank(height=10)
    write_table_header(sheet, columns)
    rooms = _rooms(columns)
    for group in content.groups:
        sheet.append([sheet.cell(group.numeral, "group_number"), sheet.cell(group.label, "group")]
                     + [sheet.cell(None, "group")] * (len(columns) - 2), height=lines_height(1, TABLE_SIZE))
        sheet.merge(2, len(columns))
        for row in group.rows:
            _data_row(sheet, columns, rooms, row.cells)
    sheet.blank(height=8)
    sheet.line(content.total_line, "total")
    for remark in content.remarks:
        sheet.line(remark, "remark")
    if content.signature is not None:
        sheet.blank(height=10)
        write_signature_block(sheet, {"signer_title": "\n".join(content.signature.title_lines),
                                      "signer_name": content.signature.name}, HEADER_SPLIT)


def _write_detail_sheet(wb: Workbook, styles: Styles, content: ListContent) -> None:
    columns = sheet_columns(content.detail_columns, largest_number=content.detail_count)
    sheet = Sheet(wb, styles, DETAIL_SHEET, [c.width for c in columns], DOCUMENT_DIGIT_PX)
    sheet.setup_print(landscape=True)
    sheet.line(content.detail_title, "title")
    sheet.line(content.detail_attached_line, "attached")
    sheet.blank(height=10)
    write_table_header(sheet, columns)
    rooms = _rooms(columns)
    written = 0
    for row in content.detail_rows:
        _data_row(sheet, columns, rooms, row.cells)
        written += 1
    if not written:
        sheet.append([sheet.cell("Không có.", "td")] + [sheet.cell(None, "td")] * (len(columns) - 1))
        sheet.merge(1, len(columns))
    sheet.blank(height=8)
    sheet.line(content.detail_total_line, "total")

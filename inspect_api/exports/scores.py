"""The scores workbook ("BẢNG ĐIỂM ĐÁNH GIÁ BỘ PHẬN MỘT CỬA") for a period.

``write_scores_workbook(doc, units, desks, target)`` streams ``units`` then ``desks``
(each once, in the order given: by rank) into an .xlsx written in openpyxl's write-only
mode.

``doc``: the document header of ``_layout`` (issuing body, place, number, date,
"period_label", optional "attached_to", signer and recipients; the signature block is
left out when there is neither signer nor recipient).

``units``: {"rank", "name", "visits", "mean_score" (Decimal percent points or None),
"critical", "major", "minor"}.
``desks``: {"rank", "name", "unit_name", "visits", "mean_score", "critical", "major",
"minor"}.

Sheets: "Đơn vị" (header block, title, the unit table, total, signature), "Bộ phận Một cửa"
(the desk table) and "Biểu đồ" (a horizontal bar chart of the units' mean scores, read
from the cells of the unit table, rank 1 at the top). openpyxl's write-only worksheets do
take charts (``add_chart`` is the normal worksheet's); the chart has a sheet of its own so
that the tables print at full width. It shows at most ``chart_limit`` units, the top of
the ranking, and says so in its title when it stops short.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import IO, Any, TypedDict, TypeVar

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.series import SeriesLabel

from ._layout import (
    Column,
    DocumentHeader,
    Sheet,
    Styles,
    capitalise,
    header_height,
    vn_number,
    write_column_numbers,
    write_document_header,
    write_signature_block,
)
from .naming import ascii_filename, content_disposition, safe_filename

Target = TypeVar("Target", str, os.PathLike, IO[bytes])


class UnitScore(TypedDict, total=False):
    rank: int | None
    name: str
    visits: int
    mean_score: Any  # Decimal percent points or None
    critical: int
    major: int
    minor: int


class DeskScore(UnitScore, total=False):
    unit_name: str


TITLE = "BẢNG ĐIỂM ĐÁNH GIÁ BỘ PHẬN MỘT CỬA"
UNIT_SHEET = "Đơn vị"
DESK_SHEET = "Bộ phận Một cửa"
CHART_SHEET = "Biểu đồ"
FAILURES_HEADER = "Số lượt tiêu chí không đạt"
DEFAULT_CHART_LIMIT = 150

_FAILURE_COLUMNS = [
    Column("critical", "Nghiêm trọng", 13, "td_count"),
    Column("major", "Chính", 11, "td_count"),
    Column("minor", "Nhỏ", 11, "td_count"),
]
UNIT_COLUMNS = [
    Column("rank", "Hạng", 7, "td_center"),
    Column("name", "Đơn vị", 40),
    Column("visits", "Số buổi kiểm tra đã duyệt", 13, "td_count"),
    Column("mean_score", "Điểm trung bình", 13, "td_score"),
    *_FAILURE_COLUMNS,
]
DESK_COLUMNS = [
    Column("rank", "Hạng", 7, "td_center"),
    Column("name", "Bộ phận Một cửa", 34),
    Column("unit_name", "Đơn vị", 30),
    Column("visits", "Số buổi kiểm tra đã duyệt", 13, "td_count"),
    Column("mean_score", "Điểm trung bình", 13, "td_score"),
    *_FAILURE_COLUMNS,
]
# The issuing body and motto: "Hạng" and "Đơn vị" / the rest.
HEADER_SPLIT = 2


def write_scores_workbook(doc: DocumentHeader, units: Iterable[UnitScore],
                          desks: Iterable[DeskScore], target: Target, *,
                          chart_limit: int = DEFAULT_CHART_LIMIT) -> Target:
    """Write the scores workbook to ``target`` (a path or a binary file object) and
    return it. Consumes ``units``, then ``desks``, each once."""
    wb = Workbook(write_only=True)
    period = doc.get("period_label")
    wb.properties.title = f"Bảng điểm đánh giá Bộ phận Một cửa {period or ''}".strip()
    wb.properties.creator = doc.get("issuing_body") or None
    wb.properties.language = "vi-VN"
    styles = Styles(wb)

    units_sheet = Sheet(wb, styles, UNIT_SHEET, [c.width for c in UNIT_COLUMNS])
    units_sheet.setup_page(landscape=True)
    write_document_header(units_sheet, doc, HEADER_SPLIT)
    _write_titles(units_sheet, TITLE, doc)
    first, count = _write_table(units_sheet, UNIT_COLUMNS, units)
    units_sheet.blank(height=8)
    units_sheet.line(f"Bảng điểm gồm {vn_number(count)} đơn vị./.", "total", height=20)
    units_sheet.line("Điểm: tỷ lệ có trọng số các tiêu chí áp dụng đạt yêu cầu, trung bình "
                     "các buổi kiểm tra đã duyệt trong kỳ.", "remark", height=18)
    units_sheet.line(f"Điểm từng Bộ phận Một cửa: biểu “{DESK_SHEET}”; biểu đồ: biểu "
                     f"“{CHART_SHEET}” kèm theo.", "remark", height=18)
    if doc.get("signer_title") or doc.get("signer_name") or doc.get("recipients"):
        units_sheet.blank(height=10)
        write_signature_block(units_sheet, doc, HEADER_SPLIT)

    desks_sheet = Sheet(wb, styles, DESK_SHEET, [c.width for c in DESK_COLUMNS])
    desks_sheet.setup_page(landscape=True)
    _write_titles(desks_sheet, "BẢNG ĐIỂM CÁC BỘ PHẬN MỘT CỬA", doc, attached=False)
    _, desk_count = _write_table(desks_sheet, DESK_COLUMNS, desks)
    desks_sheet.blank(height=8)
    desks_sheet.line(f"Gồm {vn_number(desk_count)} Bộ phận Một cửa./.", "total", height=20)

    if count:
        _write_chart(wb, styles, units_sheet, first, count, period, max(1, chart_limit))
    wb.save(target)
    return target


def scores_display_filename(doc: DocumentHeader) -> str:
    """"Bảng điểm Bộ phận Một cửa quý IV-2026.xlsx"."""
    name = "Bảng điểm Bộ phận Một cửa"
    if doc.get("period_label"):
        name += f" {doc['period_label']}"
    return safe_filename(name + ".xlsx")


def scores_filename(doc: DocumentHeader) -> str:
    """"Bang-diem-Bo-phan-Mot-cua-quy-IV-2026.xlsx"."""
    return ascii_filename(scores_display_filename(doc))


def scores_content_disposition(doc: DocumentHeader) -> str:
    return content_disposition(scores_display_filename(doc))


def _write_titles(sheet: Sheet, title: str, doc: DocumentHeader, attached: bool = True) -> None:
    sheet.line(title, "title", height=22)
    if doc.get("period_label"):
        sheet.line(capitalise(str(doc["period_label"])), "subject")
    if attached and doc.get("attached_to"):
        sheet.line(f"(Kèm theo {doc['attached_to']})", "attached")
    sheet.blank(height=10)


def _write_table(sheet: Sheet, columns: list[Column],
                 rows: Iterable[Mapping[str, Any]]) -> tuple[int, int]:
    """Two header rows (the failure counts grouped under one heading), the (1)…(n) row,
    then the rows. Returns the first data row and the number of rows."""
    groups = len(columns) - len(_FAILURE_COLUMNS)
    top = [sheet.cell(c.header, "th") for c in columns[:groups]]
    top += [sheet.cell(FAILURES_HEADER, "th")] + [sheet.cell(None, "th")] * (
        len(_FAILURE_COLUMNS) - 1)
    first_header = sheet.append(top, height=20)
    sheet.merge(groups + 1, len(columns))
    bottom = [sheet.cell(None, "th")] * groups + [
        sheet.cell(c.header, "th") for c in _FAILURE_COLUMNS]
    sheet.append(bottom, height=max(20, header_height(columns[:groups]) - 20))
    for index in range(1, groups + 1):
        sheet.merge(index, index, first_header, first_header + 1)
    write_column_numbers(sheet, len(columns))
    sheet.repeat_rows(first_header, sheet.row)

    first = sheet.row + 1
    count = 0
    for row in rows:
        count += 1
        sheet.append([sheet.cell(row.get(c.key), c.style) for c in columns])
    return first, count


def _write_chart(wb: Workbook, styles: Styles, units_sheet: Sheet, first: int, count: int,
                 period: str | None, limit: int) -> None:
    shown = min(count, limit)
    last = first + shown - 1
    name_col = 1 + next(i for i, c in enumerate(UNIT_COLUMNS) if c.key == "name")
    score_col = 1 + next(i for i, c in enumerate(UNIT_COLUMNS) if c.key == "mean_score")

    chart = BarChart()
    chart.type = "bar"  # horizontal: long commune names stay readable
    chart.style = 10
    title = "Điểm trung bình các đơn vị"
    if period:
        title += f", {period}"
    if shown < count:
        title += f" ({vn_number(shown)} đơn vị đầu bảng xếp hạng / {vn_number(count)})"
    chart.title = title
    chart.add_data(Reference(units_sheet.ws, min_col=score_col, min_row=first, max_row=last),
                   titles_from_data=False)
    chart.series[0].tx = SeriesLabel(v="Điểm trung bình (%)")
    # Names are text: a string reference (set_categories would make it numeric).
    names = Reference(units_sheet.ws, min_col=name_col, min_row=first, max_row=last)
    chart.series[0].cat = AxDataSource(strRef=StrRef(f=str(names)))
    chart.legend = None
    chart.dataLabels = DataLabelList()
    chart.dataLabels.showVal = True
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 100
    chart.y_axis.majorUnit = 10
    chart.y_axis.title = "Điểm (%)"
    chart.y_axis.number_format = "0"
    # Rank 1 at the top; axes shown (openpyxl 3.1 otherwise marks them deleted).
    chart.x_axis.scaling.orientation = "maxMin"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.width = 17
    chart.height = max(8.0, 2.5 + 0.55 * shown)

    sheet = Sheet(wb, styles, CHART_SHEET, [12] * 8)
    sheet.setup_page(landscape=False)
    sheet.ws.add_chart(chart, "A1")

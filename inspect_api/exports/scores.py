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
(the desk table) and "Biểu đồ" (a horizontal bar chart of the units' mean scores, rank 1
at the top). The chart has a sheet of its own so that the tables print at full width. It
shows at most ``chart_limit`` units, the top of the ranking, and says so in its title
when it stops short.

Printed as NĐ 30/2020 asks (issue 9): what is printed reads "98,5 %" and "1.250"
whatever the reader's locale, so the printed columns hold text; the same values as
numbers, for whoever computes, sit to the right of each table outside the print area.
Every row is as tall as its wrapped text (measured in the document font: neither Excel
nor LibreOffice sizes a row a program wrote). Page numbers at the top centre, from 1 on
each sheet, none on a sheet's first page.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any, TypedDict, TypeVar

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.series import SeriesLabel
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.text import (
    CharacterProperties,
    Font,
    Paragraph,
    ParagraphProperties,
    RegularTextRun,
    RichTextProperties,
)
from openpyxl.utils import get_column_letter, quote_sheetname

from ..text_metrics import wrap
from ._layout import (
    FONT_NAME,
    Column,
    DocumentHeader,
    Sheet,
    Styles,
    capitalise,
    vn_number,
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
NUMBERS_HEADER = "Số liệu để tính toán (không in)"
DEFAULT_CHART_LIMIT = 150

# The printed columns add up to at most 100 width units: LibreOffice without Calibri's
# metrics reads a unit as 7 pt, and landscape A4 in NĐ 30/2020 margins holds 714 pt, so
# the tables print at 100 % (nothing shrunk under 12 pt) in Excel and LibreOffice alike.
_FAILURE_COLUMNS = [
    Column("critical", "Nghiêm trọng", 10, "td_count"),
    Column("major", "Chính", 8, "td_count"),
    Column("minor", "Nhỏ", 8, "td_count"),
]
UNIT_COLUMNS = [
    Column("rank", "Hạng", 7, "td_center"),
    Column("name", "Đơn vị", 36),
    Column("visits", "Số buổi kiểm tra đã duyệt", 12, "td_count"),
    Column("mean_score", "Điểm trung bình", 12, "td_score"),
    *_FAILURE_COLUMNS,
]
DESK_COLUMNS = [
    Column("rank", "Hạng", 7, "td_center"),
    Column("name", "Bộ phận Một cửa", 24),
    Column("unit_name", "Đơn vị", 21),
    Column("visits", "Số buổi kiểm tra đã duyệt", 11, "td_count"),
    Column("mean_score", "Điểm trung bình", 11, "td_score"),
    *_FAILURE_COLUMNS,
]
# The numbers again, outside the print area: (key, header, width, style).
NUMBER_COLUMNS = [
    Column("mean_score", "Điểm trung bình (%)", 13, "td_score"),
    Column("visits", "Số buổi kiểm tra đã duyệt", 13, "td_count"),
    Column("critical", "Nghiêm trọng", 13, "td_count"),
    Column("major", "Chính", 10, "td_count"),
    Column("minor", "Nhỏ", 10, "td_count"),
]
# The issuing body and motto: "Hạng" and "Đơn vị" / the rest.
HEADER_SPLIT = 2
# Excel's width unit is the default font's digit (Calibri 11: 7 px, 5.25 pt; wider in a
# LibreOffice without Calibri's metrics, so wrapping measured here is the most it wraps)
# and the cell keeps about 3 pt of padding each side; the text is measured 5 % wider than
# the shipped Times clone sets it, on the safe side of Times New Roman.
_POINTS_PER_WIDTH = 5.25
_CELL_PADDING = 6.0
_SAFETY = 1.05
_LINE = 1.25  # a line of wrapped text, in font sizes
# The chart (cm): narrower than the 16.5 cm between a portrait page's margins, at most
# as tall as the 25.7 cm between them less the page number's room; its title and axis.
CHART_WIDTH = 15
_CHART_PAGE = 24.0
_CHART_FRAME = 3.0
# The chart's own numbers: tenths of a point, so that the label format "0\,0 %" prints
# a decimal comma as a literal, in every locale ("98,5 %" from 985).
CHART_DATA_SHEET = "Số liệu biểu đồ"
LOCALE_PROOF_TENTHS = '0\\,0" %"'


@dataclass(frozen=True)
class _Table:
    first: int  # first data row
    count: int
    numbers_column: int  # the first column of the numbers block


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

    units_sheet = _sheet(wb, styles, UNIT_SHEET, UNIT_COLUMNS)
    write_document_header(units_sheet, doc, HEADER_SPLIT)
    _write_titles(units_sheet, TITLE, doc)
    chart_names: list[tuple[str, Any]] = []
    table = _write_table(units_sheet, UNIT_COLUMNS, units, chart_names, max(1, chart_limit))
    units_sheet.blank(height=8)
    units_sheet.line(f"Bảng điểm gồm {vn_number(table.count)} đơn vị./.", "total", height=20)
    units_sheet.line("Điểm: tỷ lệ có trọng số các tiêu chí áp dụng đạt yêu cầu, trung bình "
                     "các buổi kiểm tra đã duyệt trong kỳ.", "remark", height=18)
    units_sheet.line(f"Điểm từng Bộ phận Một cửa: biểu “{DESK_SHEET}”; biểu đồ: biểu "
                     f"“{CHART_SHEET}” kèm theo.", "remark", height=18)
    if doc.get("signer_title") or doc.get("signer_name") or doc.get("recipients"):
        units_sheet.blank(height=10)
        write_signature_block(units_sheet, doc, HEADER_SPLIT)
    _print_area(units_sheet, len(UNIT_COLUMNS))

    desks_sheet = _sheet(wb, styles, DESK_SHEET, DESK_COLUMNS)
    _write_titles(desks_sheet, "BẢNG ĐIỂM CÁC BỘ PHẬN MỘT CỬA", doc, attached=False)
    desk_table = _write_table(desks_sheet, DESK_COLUMNS, desks)
    desks_sheet.blank(height=8)
    desks_sheet.line(f"Gồm {vn_number(desk_table.count)} Bộ phận Một cửa./.", "total", height=20)
    _print_area(desks_sheet, len(DESK_COLUMNS))

    if chart_names:
        _write_chart(wb, styles, chart_names, table.count, period)
    wb.save(target)
    return target


def scores_display_filename(doc: DocumentHeader, extension: str = "xlsx") -> str:
    """"Bảng điểm Bộ phận Một cửa quý IV-2026.xlsx" (or .pdf)."""
    name = "Bảng điểm Bộ phận Một cửa"
    if doc.get("period_label"):
        name += f" {doc['period_label']}"
    return safe_filename(f"{name}.{extension}")


def scores_filename(doc: DocumentHeader, extension: str = "xlsx") -> str:
    """"Bang-diem-Bo-phan-Mot-cua-quy-IV-2026.xlsx"."""
    return ascii_filename(scores_display_filename(doc, extension))


def scores_content_disposition(doc: DocumentHeader, extension: str = "xlsx") -> str:
    return content_disposition(scores_display_filename(doc, extension))


def _sheet(wb: Workbook, styles: Styles, title: str, columns: list[Column]) -> Sheet:
    """A landscape sheet for `columns`, the numbers block's widths set beside them (a
    write-only sheet takes widths before its first row only)."""
    sheet = Sheet(wb, styles, title, [c.width for c in columns])
    sheet.setup_page(landscape=True)
    _number_pages(sheet)
    start = len(columns) + 2  # one empty column between the table and the numbers
    for offset, column in enumerate(NUMBER_COLUMNS):
        sheet.ws.column_dimensions[get_column_letter(start + offset)].width = column.width
    return sheet


def _number_pages(sheet: Sheet) -> None:
    """Page numbers centred at the top, from 1 on each sheet, none on its first page
    (NĐ 30/2020); instead of the footer setup_page puts at the bottom."""
    ws = sheet.ws
    ws.oddFooter.center.text = None
    ws.oddHeader.center.text = "&P"
    ws.oddHeader.center.font = f"{FONT_NAME},Regular"
    ws.oddHeader.center.size = 13
    ws.HeaderFooter.differentFirst = True
    ws.page_setup.firstPageNumber = 1
    ws.page_setup.useFirstPageNumber = True


def _print_area(sheet: Sheet, columns: int) -> None:
    sheet.ws.print_area = f"A1:{get_column_letter(columns)}{sheet.row}"


def _write_titles(sheet: Sheet, title: str, doc: DocumentHeader, attached: bool = True) -> None:
    sheet.line(title, "title", height=22)
    if doc.get("period_label"):
        sheet.line(capitalise(str(doc["period_label"])), "subject")
    if attached and doc.get("attached_to"):
        sheet.line(f"(Kèm theo {doc['attached_to']})", "attached")
    sheet.blank(height=10)


def _lines(text: str, width: float, size: float = 12, bold: bool = False) -> int:
    box = width * _POINTS_PER_WIDTH - _CELL_PADDING
    return len(wrap(text, box / _SAFETY, size, bold=bold)) if text else 1


def _height(lines: int, size: float = 12) -> float:
    return round(lines * size * _LINE + 4, 1)


def _printed(value: Any, key: str) -> Any:
    """What the printed table shows: text in the Vietnamese way ("98,5 %", "1.250")."""
    if value is None or value == "":
        return None
    if key == "mean_score":
        # Rounded as the PDF rounds (documents/render.py's vn_percent).
        number = Decimal(str(value))
        whole = number == number.to_integral_value()
        text = f"{int(number):,}" if whole else f"{number:,.1f}"
        return text.replace(",", "\0").replace(".", ",").replace("\0", ".") + " %"
    if key in ("visits", "critical", "major", "minor"):
        return vn_number(int(value))
    return value


def _write_table(sheet: Sheet, columns: list[Column], rows: Iterable[Mapping[str, Any]],
                 chart: list[tuple[str, Any]] | None = None, chart_limit: int = 0) -> _Table:
    """Two header rows (the failure counts grouped under one heading), the (1)…(n) row,
    then the rows, each as tall as its wrapped text; the numbers block to the right.
    Collects up to `chart_limit` (name, score) pairs into `chart`."""
    groups = len(columns) - len(_FAILURE_COLUMNS)
    gap: list[Any] = [None]
    numbers_at = len(columns) + 2
    top: list[Any] = [sheet.cell(c.header, "th") for c in columns[:groups]]
    top += [sheet.cell(FAILURES_HEADER, "th")] + [sheet.cell(None, "th")] * (
        len(_FAILURE_COLUMNS) - 1)
    top += gap + [sheet.cell(NUMBERS_HEADER, "th")] + [sheet.cell(None, "th")] * (
        len(NUMBER_COLUMNS) - 1)
    # The spanning headings on the first row, the failure kinds on the second; a heading
    # over both rows gets what the two leave it short of on the first.
    failures_width = sum(c.width for c in _FAILURE_COLUMNS)
    first_lines = _lines(FAILURES_HEADER, failures_width, bold=True)
    second_lines = max(_lines(c.header, c.width, bold=True) for c in _FAILURE_COLUMNS)
    spanning = max(_lines(c.header, c.width, bold=True) for c in columns[:groups])
    first_height, second_height = _height(first_lines), _height(second_lines)
    first_height = max(first_height, _height(spanning) - second_height)
    first_header = sheet.append(top, height=first_height)
    sheet.merge(groups + 1, len(columns))
    sheet.merge(numbers_at, numbers_at + len(NUMBER_COLUMNS) - 1)
    bottom: list[Any] = [sheet.cell(None, "th")] * groups + [
        sheet.cell(c.header, "th") for c in _FAILURE_COLUMNS]
    bottom += gap + [sheet.cell(c.header, "th") for c in NUMBER_COLUMNS]
    sheet.append(bottom, height=second_height)
    for index in range(1, groups + 1):
        sheet.merge(index, index, first_header, first_header + 1)
    sheet.append([sheet.cell(f"({i})", "th_number") for i in range(1, len(columns) + 1)],
                 height=_height(1))
    sheet.repeat_rows(first_header, sheet.row)

    first = sheet.row + 1
    count = 0
    for row in rows:
        count += 1
        texts = [_printed(row.get(c.key), c.key) for c in columns]
        lines = max(_lines(str(text or ""), c.width)
                    for text, c in zip(texts, columns, strict=True))
        cells: list[Any] = [sheet.cell(text, c.style)
                            for text, c in zip(texts, columns, strict=True)]
        cells += gap + [sheet.cell(row.get(c.key), c.style) for c in NUMBER_COLUMNS]
        sheet.append(cells, height=_height(lines))
        if chart is not None and len(chart) < chart_limit and row.get("mean_score") is not None:
            chart.append((str(row.get("name") or ""), row["mean_score"]))
    return _Table(first, count, numbers_at)


def _font(size: float, bold: bool = False) -> RichText:
    """Chart text in the document font (the default would be Calibri)."""
    properties = CharacterProperties(latin=Font(typeface=FONT_NAME), sz=int(size * 100), b=bold)
    # Horizontal: LibreOffice otherwise turns crowded axis labels on their side.
    return RichText(bodyPr=RichTextProperties(rot=0, vert="horz"),
                    p=[Paragraph(pPr=ParagraphProperties(defRPr=properties), endParaRPr=properties)])


def _chart_parts(bars: Sequence[tuple[str, Any]]) -> list[tuple[int, int, float]]:
    """(first, last, height in cm) of each chart: as many bars as one portrait page holds
    (a chart is never cut across pages), each bar as tall as its name's lines (the names
    take about 40 % of the chart's width)."""
    label_width = CHART_WIDTH * 0.4 / 2.54 * 72 / _SAFETY
    parts: list[tuple[int, int, float]] = []
    first, height = 0, _CHART_FRAME
    for index, (name, _) in enumerate(bars):
        bar = 0.25 + 0.5 * len(wrap(name, label_width, 12))
        if index > first and height + bar > _CHART_PAGE:
            parts.append((first, index - 1, height))
            first, height = index, _CHART_FRAME
        height += bar
    parts.append((first, len(bars) - 1, height))
    return parts


def _write_chart(wb: Workbook, styles: Styles, bars: Sequence[tuple[str, Any]], count: int,
                 period: str | None) -> None:
    """A sheet per chart (one when the units fit a page), and the names and scores the
    charts draw on a hidden sheet of their own, the scores in tenths (see
    LOCALE_PROOF_TENTHS): hidden, it is never printed."""
    parts = _chart_parts(bars)
    for number, (first, last, height) in enumerate(parts, 1):
        sheet = Sheet(wb, styles, CHART_SHEET if number == 1 else f"{CHART_SHEET} ({number})",
                      [8] * 8)
        sheet.setup_page(landscape=False)
        # At 100 %: the chart fits the page, its 12 pt labels stay 12 pt.
        sheet.ws.sheet_properties.pageSetUpPr.fitToPage = False
        _number_pages(sheet)
        title = "Điểm trung bình các đơn vị"
        if period:
            title += f", {period}"
        if len(bars) < count:
            title += f" ({vn_number(len(bars))} đơn vị đầu bảng xếp hạng / {vn_number(count)})"
        if len(parts) > 1:
            title += f" ({number}/{len(parts)})"
        sheet.ws.add_chart(_chart(title, first + 2, last + 2, height), "A1")

    data = Sheet(wb, styles, CHART_DATA_SHEET, [40, 16])
    data.ws.sheet_state = "hidden"
    data.append([data.cell("Đơn vị", "th"), data.cell("Điểm × 10 (biểu đồ)", "th")])
    for name, score in bars:
        value = data.cell(int((Decimal(str(score)) * 10).quantize(Decimal("1"))), "td_count")
        # Also on the cells: LibreOffice takes the labels' format from their source.
        value.number_format = LOCALE_PROOF_TENTHS
        data.append([data.cell(name, "td"), value])


def _chart(title: str, first_row: int, last_row: int, height: float) -> BarChart:
    chart = BarChart()
    chart.type = "bar"  # horizontal: long commune names stay readable
    chart.style = 10
    bold = CharacterProperties(latin=Font(typeface=FONT_NAME), sz=1300, b=True)
    chart.title = Title(tx=Text(rich=RichText(p=[Paragraph(
        pPr=ParagraphProperties(defRPr=bold), r=[RegularTextRun(rPr=bold, t=title)])])),
        overlay=False)
    sheet = quote_sheetname(CHART_DATA_SHEET)
    chart.add_data(Reference(range_string=f"{sheet}!$B${first_row}:$B${last_row}"),
                   titles_from_data=False)
    chart.series[0].tx = SeriesLabel(v="Điểm trung bình")
    # Names are text: a string reference (set_categories would make it numeric).
    chart.series[0].cat = AxDataSource(strRef=StrRef(f=f"{sheet}!$A${first_row}:$A${last_row}"))
    chart.legend = None
    # The value on each bar, and nothing else, in the document font.
    chart.dataLabels = DataLabelList(
        numFmt=LOCALE_PROOF_TENTHS, showVal=True, showSerName=False, showCatName=False,
        showLegendKey=False, showPercent=False, showBubbleSize=False, showLeaderLines=False,
        dLblPos="outEnd", txPr=_font(12))
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1000
    chart.y_axis.majorUnit = 500
    chart.y_axis.number_format = LOCALE_PROOF_TENTHS
    chart.y_axis.txPr = _font(12)
    chart.x_axis.txPr = _font(12)
    chart.x_axis.tickLblSkip = 1  # every name, never every other one
    # Rank 1 at the top; axes shown (openpyxl 3.1 otherwise marks them deleted).
    chart.x_axis.scaling.orientation = "maxMin"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.width = CHART_WIDTH
    chart.height = max(8.0, height)
    return chart

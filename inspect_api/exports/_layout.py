"""Shared pieces of the workbooks a provincial office signs (NĐ 30/2020/NĐ-CP layout).

Everything here works on openpyxl's write-only worksheets: rows go out in order and are
never held, so the caller keeps track of row numbers (``Sheet.row``) and adds merges, print
titles and charts by coordinate. Each style is a NamedStyle bound to the workbook once; a
cell is created with that style's array, because assigning Font/Alignment/Border objects
cell by cell hashes them every time and dominates the run time at 100,000 rows.

The document header dict shared by the list and the scores workbooks::

    {
        "supervising_body": "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG",   # may be None
        "issuing_body": "SỞ NỘI VỤ",
        "place": "Tuyên Quang",
        "document_number": "125/TTr-SNV",          # None: a dotted blank for a draft
        "document_date": datetime.date(2026, 12, 20),  # None: a dotted blank
        "attached_to": "Tờ trình số 125/TTr-SNV ngày 20 tháng 12 năm 2026 của Sở Nội vụ",
        "signer_title": "KT. GIÁM ĐỐC\\nPHÓ GIÁM ĐỐC",
        "signer_name": "Nguyễn Văn A",             # None: left blank
        "recipients": ["UBND tỉnh (b/c);", "Các xã, phường;"],
        "archive": "Lưu: VT, TTr.",
        "period_label": "quý IV/2026",
    }
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import urljoin, urlsplit

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, Side
from openpyxl.styles.borders import DEFAULT_BORDER
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.dimensions import RowDimension
from openpyxl.workbook import Workbook

FONT_NAME = "Times New Roman"
DATE_FORMAT = "dd/mm/yyyy"
# Percent points (68.5 stays 68.5, as in the API) shown as "68,5 %" under a Vietnamese
# locale: the quoted "%" is a literal, so Excel does not multiply by 100.
SCORE_FORMAT = '0.0" %"'
COUNT_FORMAT = "#,##0"
# Excel stops honouring hyperlinks past 65,530 per worksheet.
EXCEL_MAX_LINKS = 65_530
EXCEL_MAX_LINK_LENGTH = 2_079

# Text that Excel would read as the start of a formula if someone edits the cell, the
# full-width forms included (Excel accepts them from East Asian input methods).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


class DocumentHeader(TypedDict, total=False):
    supervising_body: str | None
    issuing_body: str
    place: str
    document_number: str | None
    document_date: dt.date | None
    attached_to: str | None
    signer_title: str | None
    signer_name: str | None
    recipients: Sequence[str]
    archive: str | None
    period_label: str


# --- text --------------------------------------------------------------------------

def clean_text(value: Any) -> str:
    """User text as Excel can store it: NFC (so diacritics typed on any keyboard render
    and compare alike), line breaks as LF (XML reading turns a bare CR into LF anyway),
    and without the control characters an .xlsx cannot hold."""
    text = str(value)
    if not unicodedata.is_normalized("NFC", text):  # a C check: most text already is
        text = unicodedata.normalize("NFC", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def looks_like_formula(text: str) -> bool:
    return text.startswith(_FORMULA_STARTS)


def _cell_text(value: Any) -> tuple[str, bool]:
    """The text a cell stores for `value` (clean, at most the 32,767 characters a cell
    holds) and whether it needs the quote prefix to stay text."""
    text = clean_text(value)
    return text[:32767], looks_like_formula(text)


# A list repeats its positions, forms, criteria and legal bases row after row: those
# stay in a small cache, while names and units, which rarely come back, pass through it.
# Small, so that memory stays flat (tests/unit/test_list_workbook.py: 4,096 entries held
# a megabyte); a pure function of the text, so never stale.
_cell_text_remembered = lru_cache(maxsize=256)(_cell_text)


def vn_number(n: int) -> str:
    """3450 -> "3.450" (Vietnamese thousands separator)."""
    return f"{n:,}".replace(",", ".")


def vn_date(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def place_date_line(place: str | None, date: dt.date | None) -> str:
    """"Tuyên Quang, ngày 05 tháng 02 năm 2026": NĐ 30/2020 writes days below 10 and the
    months 1 and 2 with a leading zero; a missing date leaves dotted blanks to fill by hand."""
    if date is None:
        when = "ngày …… tháng …… năm ……"
    else:
        month = f"{date.month:02d}" if date.month < 3 else str(date.month)
        when = f"ngày {date.day:02d} tháng {month} năm {date.year}"
    return f"{place}, {when}" if place else when.capitalize()


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def absolute_http_url(url: Any, base: str | None) -> str | None:
    """The URL to link to, or None when it must stay plain text (relative without a base,
    a scheme other than http/https such as javascript: or file:, or longer than the
    2,079 characters Excel accepts in a link)."""
    if not isinstance(url, str) or not url:
        return None
    if base:
        url = urljoin(base, url)
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url if len(url) <= EXCEL_MAX_LINK_LENGTH else None


# --- styles ------------------------------------------------------------------------

_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


@dataclass(frozen=True)
class Style:
    size: float = 12
    bold: bool = False
    italic: bool = False
    underline: bool = False
    horizontal: str = "center"
    vertical: str = "center"
    wrap: bool = True
    border: bool = False
    number_format: str | None = None


# The NĐ 30/2020 sizes: bodies and motto 12-13, document type and signer 13-14,
# "Nơi nhận" 12 bold italic and its lines 11.
STYLES: dict[str, Style] = {
    "supervising": Style(size=12),
    "issuing": Style(size=12, bold=True, underline=True),
    "national": Style(size=12, bold=True),
    "motto": Style(size=13, bold=True, underline=True),
    "number": Style(size=13),
    "place_date": Style(size=13, italic=True),
    "title": Style(size=14, bold=True),
    "subject": Style(size=13, bold=True),
    "attached": Style(size=13, italic=True),
    "th": Style(size=12, bold=True, border=True),
    "th_number": Style(size=12, italic=True, border=True),
    "group_number": Style(size=12, bold=True, border=True),
    "group": Style(size=12, bold=True, border=True, horizontal="left"),
    "td": Style(size=12, border=True, horizontal="left", vertical="top"),
    "td_center": Style(size=12, border=True, vertical="top"),
    "td_date": Style(size=12, border=True, vertical="top", number_format=DATE_FORMAT),
    "td_score": Style(size=12, border=True, vertical="top", horizontal="right",
                      number_format=SCORE_FORMAT),
    "td_count": Style(size=12, border=True, vertical="top", horizontal="right",
                      number_format=COUNT_FORMAT),
    "td_link": Style(size=12, border=True, horizontal="left", vertical="top",
                     underline=True),
    # Wrapped: a line longer than the page breaks within it (its row is sized for that).
    "total": Style(size=13, horizontal="left"),
    "remark": Style(size=13, italic=True, horizontal="left"),
    "recipients_head": Style(size=12, bold=True, italic=True, horizontal="left", wrap=False),
    "recipient": Style(size=11, horizontal="left", wrap=False),
    "signer_title": Style(size=13, bold=True),
    "signer_name": Style(size=13, bold=True),
}


class Styles:
    """The workbook's styles by name. Each is an openpyxl NamedStyle bound to the workbook
    (its font, alignment and border join the workbook's tables once) but not added to it:
    cells keep the "Normal" style in Excel, and the clerk's style gallery stays clean."""

    def __init__(self, wb: Workbook):
        self._styles: dict[str, NamedStyle] = {}
        for name, spec in STYLES.items():
            style = NamedStyle(
                name=name,
                font=Font(name=FONT_NAME, size=spec.size, bold=spec.bold, italic=spec.italic,
                          underline="single" if spec.underline else None,
                          color="FF0563C1" if name == "td_link" else None),
                alignment=Alignment(horizontal=spec.horizontal, vertical=spec.vertical,
                                    wrap_text=spec.wrap),
                # Else the workbook's own empty border, the one an unstyled cell has.
                border=_BOX if spec.border else DEFAULT_BORDER,
                number_format=spec.number_format)
            style.bind(wb)
            self._styles[name] = style
        # Each style's array and its index in the workbook's table of cell formats, looked
        # up once.
        self._arrays = {name: style.as_tuple() for name, style in self._styles.items()}
        self._ids = {name: wb._cell_styles.add(StyleArray(array))  # type: ignore[attr-defined]
                     for name, array in self._arrays.items()}

    def cell(self, ws: Any, name: str, quoted: bool = False) -> Cell:
        """An empty cell in style `name`; `quoted` marks text that must never turn into a
        formula when edited (Excel's quote prefix)."""
        if quoted:
            cell = Cell(ws, row=1, column=1, style_array=self._arrays[name])
            cell.quotePrefix = True
            return cell
        return _StyledCell(ws, self._arrays[name], self._ids[name])


class _StyledCell(Cell):
    """A cell made in one of the named styles: while its style stays that one, its index
    in the workbook's format table is known, where openpyxl would hash the style again
    for every cell it writes. A caller that changes it (a number format set on the cell)
    gets openpyxl's own lookup."""

    __slots__ = ("_made_with", "_style_id")
    _style_id: int
    _made_with: StyleArray

    def __init__(self, ws: Any, style: StyleArray, style_id: int):
        # What Cell(ws, row=1, column=1, style_array=style) sets, slot by slot: through
        # Cell.__init__ and StyleableObject.__init__ it cost as much again, 1.8 million
        # times in a 100,000-row list. tests/unit/test_export_styles.py checks that the
        # two agree on every slot, should openpyxl add one.
        self.parent = ws
        # The cell's own copy: a format set on the cell changes its array in place.
        self._style = StyleArray(style)
        self.row = 1
        self.column = 1
        self._value = None
        self._hyperlink = None
        self.data_type = "n"
        self._comment = None
        self._made_with = style
        self._style_id = style_id

    @property
    def style_id(self) -> int:
        if self._style == self._made_with:
            return self._style_id
        return Cell.style_id.fget(self)  # type: ignore[attr-defined]


# --- the sheet ---------------------------------------------------------------------

def _cells_to_row(ws: Any):
    """A lean stand-in for openpyxl's WriteOnlyWorksheet._values_to_row: the cells a row
    was given, placed in it; a plain value still gets a cell of its own."""
    def cells_to_row(values: Iterable[Any], row_idx: int) -> Iterable[Cell]:
        for col_idx, value in enumerate(values, 1):
            if value is None:
                continue
            cell = value if isinstance(value, Cell) else WriteOnlyCell(ws, value)
            cell.column = col_idx
            cell.row = row_idx
            if cell.hyperlink is not None:
                cell.hyperlink.ref = cell.coordinate
            yield cell
    return cells_to_row


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: float
    style: str = "td"


class Sheet:
    """A write-only worksheet that knows its row number and makes safe cells."""

    def __init__(self, wb: Workbook, styles: Styles, title: str, widths: Sequence[float],
                 digit_px: int = 7):
        self.ws = wb.create_sheet(title)
        # openpyxl tries each appended value as a plain value first, fails on a Cell with
        # an exception, and makes a spare cell after every styled one: at 100,000 rows
        # that is a third of the export. Every row here is cells (or None) already.
        self.ws._values_to_row = _cells_to_row(self.ws)
        self.digit_px = digit_px  # of the workbook's default font: see column_points()
        self.styles = styles
        self.widths = list(widths)
        self.ncols = len(self.widths)
        self.row = 0
        # Per row height, the row's attributes as openpyxl writes them: see append().
        self._row_attributes: dict[float, dict[str, str]] = {}
        # Column widths go out before the first row in a write-only sheet.
        for index, width in enumerate(self.widths, 1):
            self.ws.column_dimensions[get_column_letter(index)].width = width

    # cells

    def cell(self, value: Any, style: str) -> Cell:
        """A styled cell; any text is stored as text (never a formula, never an error
        code) and quote-prefixed if Excel would otherwise re-read it as a formula."""
        if value is None or value == "":
            return self.styles.cell(self.ws, style)
        if type(value) is str:  # most cells: straight to the text, no other type tried
            text, quoted = _cell_text_remembered(value)
        else:
            if isinstance(value, bool):
                value = "Có" if value else "Không"
            if isinstance(value, (int, float, Decimal, dt.date)):
                if isinstance(value, dt.datetime) and value.tzinfo is not None:
                    value = value.replace(tzinfo=None)
                # Styled first: a date keeps its dd/mm/yyyy format instead of openpyxl's default.
                cell = self.styles.cell(self.ws, style)
                cell.value = value
                return cell
            # Not looked up: a str subclass (an enum) can equal a plain str and still
            # print otherwise.
            text, quoted = _cell_text(value)
        cell = self.styles.cell(self.ws, style, quoted=quoted)
        # Text stays text: openpyxl would store "=…" as a formula and "#N/A" as an error.
        # Set directly: clean_text already removed what openpyxl's own check refuses, and
        # that check per cell is a tenth of a long export.
        cell._value = text  # type: ignore[attr-defined]
        cell.data_type = "s"
        return cell

    def link_cell(self, url: str, text: str, style: str = "td_link") -> Cell:
        cell = self.cell(text, style)
        # Set after the text so that the shown text stays ours, not the target.
        cell.hyperlink = url
        return cell

    # rows

    def append(self, cells: Iterable[Any], height: float | None = None) -> int:
        self.row += 1
        if height is not None:
            self.ws.row_dimensions[self.row] = self._row_attributes_for(height)
        self.ws.append(list(cells))
        # The row is written out as it is appended: its height need not stay in memory
        # (a dimension per row would grow with the list).
        self.ws.row_dimensions.pop(self.row, None)
        return self.row

    def _row_attributes_for(self, height: float) -> dict[str, str]:
        """What openpyxl's writer reads of a row's RowDimension: only its attributes
        (WorksheetWriter.write_row does `attrs.update(row_dimensions.get(row, {}))`).
        Made by openpyxl from a RowDimension once per height, kept as a plain dict: a
        RowDimension made for every row, and read back field by field when the row is
        written, cost a tenth of a 100,000-row export. A list has a few heights only."""
        attributes = self._row_attributes.get(height)
        if attributes is None:
            attributes = dict(RowDimension(self.ws, ht=height))
            self._row_attributes[height] = attributes
        return attributes

    def blank(self, height: float | None = None) -> int:
        return self.append([], height)

    def merge(self, first_col: int, last_col: int, row: int | None = None,
              last_row: int | None = None) -> None:
        row = row or self.row
        last_row = last_row or row
        if first_col == last_col and row == last_row:
            return
        self.ws.merged_cells.add(
            f"{get_column_letter(first_col)}{row}:{get_column_letter(last_col)}{last_row}")

    def line(self, text: Any, style: str, *, first: int = 1, last: int | None = None,
             height: float | None = None) -> int:
        """One piece of text across columns first..last (merged)."""
        last = last or self.ncols
        if height is None and text:
            height = text_height(str(text), sum(self.widths[first - 1:last]),
                                 STYLES[style].size, STYLES[style].bold, self.digit_px)
        self.append([None] * (first - 1) + [self.cell(text, style)], height)
        self.merge(first, last)
        return self.row

    def pair(self, left: Any, left_style: str, right: Any, right_style: str, split: int,
             height: float | None = None) -> int:
        """Two blocks on one row: columns 1..split and split+1..end, each merged."""
        cells = [self.cell(left, left_style)] + [None] * (split - 1)
        cells.append(self.cell(right, right_style))
        self.append(cells, height)
        self.merge(1, split)
        self.merge(split + 1, self.ncols)
        return self.row

    # page

    def setup_page(self, *, landscape: bool = True) -> None:
        """A4, fit to the page width, any length. Call before the first row: a write-only
        sheet writes its properties (where "fit to page" lives) with the first row."""
        ws = self.ws
        ws.page_setup.paperSize = 9  # A4
        ws.page_setup.orientation = "landscape" if landscape else "portrait"
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.print_options.horizontalCentered = True
        # NĐ 30/2020 margins (mm): top 20-25, bottom 20-25, left 30-35, right 15-20.
        ws.page_margins.left = 30 / 25.4
        ws.page_margins.right = 15 / 25.4
        ws.page_margins.top = 20 / 25.4
        ws.page_margins.bottom = 20 / 25.4
        ws.oddFooter.center.text = "Trang &P/&N"
        ws.oddFooter.center.font = FONT_NAME
        ws.oddFooter.center.size = 10

    def setup_print(self, *, landscape: bool = True) -> None:
        """A4 at 100 % (NĐ 30/2020: tables at least 12 pt as printed, so never shrunk to
        the page width: the columns are sized to fit it), the page number centred in the
        top margin from page 2, each sheet numbered from 1. Call before the first row."""
        ws = self.ws
        ws.page_setup.paperSize = 9  # A4
        ws.page_setup.orientation = "landscape" if landscape else "portrait"
        ws.page_setup.scale = 100
        ws.sheet_properties.pageSetUpPr.fitToPage = False
        ws.print_options.horizontalCentered = True
        ws.page_margins.left = MARGINS_MM["left"] / 25.4
        ws.page_margins.right = MARGINS_MM["right"] / 25.4
        ws.page_margins.top = MARGINS_MM["top"] / 25.4
        ws.page_margins.bottom = MARGINS_MM["bottom"] / 25.4
        ws.page_margins.header = 10 / 25.4
        ws.page_margins.footer = 10 / 25.4
        # Excel and LibreOffice number every sheet from the first page of the workbook
        # unless the sheet says where it starts.
        ws.page_setup.firstPageNumber = 1
        ws.page_setup.useFirstPageNumber = True
        ws.HeaderFooter.differentFirst = True
        ws.oddHeader.center.text = "&P"
        ws.oddHeader.center.font = FONT_NAME
        ws.oddHeader.center.size = 13
        ws.firstHeader.center.text = None

    def printable_width(self, landscape: bool = True) -> float:
        """Points between the margins of an A4 page."""
        page = A4_MM[1] if landscape else A4_MM[0]
        return (page - MARGINS_MM["left"] - MARGINS_MM["right"]) / 25.4 * 72

    def repeat_rows(self, first: int, last: int) -> None:
        """Print rows first..last at the top of every page (the table header)."""
        self.ws.print_title_rows = f"{first}:{last}"


def text_height(text: str, width: float, size: float, bold: bool = False, digit_px: int = 7) -> float:
    """Row height (points) for `text` wrapped in `width` column units, which neither
    Excel nor LibreOffice autofits for merged cells or for rows written with a height:
    the lines are counted with the metrics of a Times-metric font (TeX Gyre Termes, as
    Times New Roman and Liberation Serif), word by word as both programs wrap."""
    return lines_height(wrapped_lines(text, column_points(width, digit_px), size, bold), size)


def lines_height(lines: int, size: float) -> float:
    # Excel gives a 12 pt Times New Roman line 15.75 pt, LibreOffice about 14: the larger.
    return round(max(1, lines) * size * LINE_SPACING + 3, 1)


def column_points(width: float, digit_px: int = 7) -> float:
    """The room for text in a column `width` units wide. A unit is the digit width of the
    workbook's default font (Calibri 11: 7 px; Times New Roman 12: 8 px), and a column
    has 5 px more, at 96 px an inch; less the cell's inner margins. LibreOffice draws a
    column up to 8 % narrower than Excel: lines are counted in the narrower."""
    return (width * digit_px + 5) * 0.75 * 0.92 - CELL_PADDING


def text_points(text: str, size: float, bold: bool = False) -> float:
    """How wide `text` is on one line at `size` (points), in the document font."""
    return _uncached_em(str(text), bold) * size


def column_for(text_width: float) -> float:
    """The width (points, borders to borders) of a column whose room (column_points)
    holds `text_width` points."""
    return (text_width + CELL_PADDING) / 0.92


def width_units(points: float, digit_px: int = 7) -> float:
    """The column width (units) of a column `points` wide, borders to borders."""
    return round((points / 0.75 - 5) / digit_px, 2)


# Times New Roman 12, the workbook's default font after use_document_font(): the font
# Excel and LibreOffice measure column widths in. With Calibri (openpyxl's default)
# LibreOffice on a machine without Calibri or Carlito measures in a wider substitute and
# prints every column a third wider than Excel does.
DOCUMENT_DIGIT_PX = 8


def use_document_font(wb: Workbook) -> None:
    """Make Times New Roman 12 the workbook's default font (its "Normal" style). Call
    right after creating the workbook, before any style is bound."""
    from openpyxl.utils.indexed_list import IndexedList

    font = Font(name=FONT_NAME, size=12)
    # openpyxl keeps the default as the first font and in the Normal named style.
    wb._fonts = IndexedList([font])  # type: ignore[attr-defined]
    wb._named_styles["Normal"].font = font  # type: ignore[attr-defined]


# The sheets' margins (NĐ 30/2020: top, bottom 20-25 mm, left 30-35, right 15-20) and A4.
MARGINS_MM = {"top": 20.0, "bottom": 20.0, "left": 30.0, "right": 15.0}
A4_MM = (210.0, 297.0)
LINE_SPACING = 1.32
CELL_PADDING = 6.0  # points both sides together
# Times-metric outlines shipped for the PDFs (inspect_api/documents/fonts), read by path.
_FONT_DIR = Path(__file__).resolve().parent.parent / "documents" / "fonts"
_FONT_FILES = {False: "texgyretermes-regular.otf", True: "texgyretermes-bold.otf"}
_HYPHENATED = re.compile(r"[^-]*-|[^-]+")


@lru_cache(maxsize=2)
def _font(bold: bool) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.truetype(str(_FONT_DIR / _FONT_FILES[bold]), 1000)
    except OSError:  # no font: an average Times character, half an em
        return None


# Per weight, each character's advance in ems; the tables grow with the alphabet, not the rows.
_CHAR_EM: dict[bool, dict[str, float]] = {False: {}, True: {}}


def _char_em(char: str, bold: bool) -> float:
    table = _CHAR_EM[bold]
    if char not in table:
        font = _font(bold)
        table[char] = 0.5 if font is None else float(font.getlength(char)) / 1000
    return table[char]


def _uncached_em(word: str, bold: bool) -> float:
    """A word's width in ems (the same at every size), kerning aside."""
    table = _CHAR_EM[bold]
    try:
        return sum(map(table.__getitem__, word))
    except KeyError:  # a character not measured yet
        return sum(_char_em(char, bold) for char in word)


# Bounded: names and words repeat, but a national list has millions of them.
_word_em = lru_cache(maxsize=4096)(_uncached_em)
_DIGITS = re.compile(r"\d")


# No glyph of the document font a cell would hold is wider than this (ems): text shorter
# than the room at this width per character is one line without measuring it.
_WIDEST_EM = 1.25


def wrapped_lines(text: str, room: float, size: float, bold: bool = False) -> int:
    """How many lines `text` takes in `room` points at `size`: greedy word wrap (after a
    space or a hyphen), a piece longer than a line broken where it overflows, as Excel
    and LibreOffice do."""
    text = str(text)
    if len(text) * _WIDEST_EM * size <= room and "\n" not in text:
        return 1
    return _wrapped_lines(text, room, size, bold)


@lru_cache(maxsize=16384)
def _wrapped_lines(text: str, room: float, size: float, bold: bool) -> int:
    """wrapped_lines, remembered: a list repeats its titles, units, forms, criteria and
    names row after row (bounded, since it also holds what does not repeat)."""
    space = _word_em(" ", bold) * size
    count = 0
    for paragraph in str(text).split("\n"):
        count += 1
        used = 0.0
        for word in paragraph.split():
            # Most words have no hyphen: one piece, without running the pattern (a list
            # measures hundreds of thousands of numbers and file names no cache holds).
            pieces = _HYPHENATED.findall(word) if "-" in word else (word,)
            gap = space
            for piece in pieces:
                # Numbers, dates and ids differ row by row: summed, not cached.
                em = _uncached_em(piece, bold) if _DIGITS.search(piece) else _word_em(piece, bold)
                width = em * size
                if used and used + gap + width <= room:
                    used += gap + width
                else:
                    if used:
                        count += 1
                    # A piece wider than the line fills whole lines, the rest starts the next.
                    while width > room:
                        width -= room
                        count += 1
                    used = width
                gap = 0.0  # the next piece of the word follows its hyphen directly
    return count


def header_height(columns: Sequence[Column], size: float = 12, digit_px: int = 7) -> float:
    return max(text_height(c.header, c.width, size, bold=True, digit_px=digit_px) for c in columns)


def write_table_header(sheet: Sheet, columns: Sequence[Column]) -> None:
    """The column headers, then the italic (1)…(n) row; both repeated on every page."""
    first = sheet.append([sheet.cell(c.header, "th") for c in columns],
                         height=header_height(columns, digit_px=sheet.digit_px))
    write_column_numbers(sheet, len(columns))
    sheet.repeat_rows(first, sheet.row)


def write_column_numbers(sheet: Sheet, count: int) -> None:
    sheet.append([sheet.cell(f"({i})", "th_number") for i in range(1, count + 1)], height=18)


# --- the header and footer blocks --------------------------------------------------

def write_document_header(sheet: Sheet, doc: DocumentHeader, split: int, *,
                          number_line: bool = True) -> None:
    """Issuing body and national motto, then the number and the place-date line (not on
    an attachment, `number_line=False`: the Tờ trình it goes with carries them)."""
    supervising = doc.get("supervising_body")
    issuing = doc.get("issuing_body") or ""
    sheet.pair(supervising.upper() if supervising else issuing.upper(),
               "supervising" if supervising else "issuing",
               "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "national", split, height=18)
    sheet.pair(issuing.upper() if supervising else None, "issuing",
               "Độc lập - Tự do - Hạnh phúc", "motto", split, height=20)
    sheet.blank(height=8)
    if not number_line:
        return
    number = doc.get("document_number")
    sheet.pair(f"Số: {number}" if number else "Số: ………", "number",
               place_date_line(doc.get("place"), doc.get("document_date")), "place_date",
               split, height=20)
    sheet.blank(height=10)


def write_signature_block(sheet: Sheet, doc: DocumentHeader, split: int) -> None:
    """"Nơi nhận" on the left, the signer's title, room to sign and name on the right."""
    left: list[tuple[str | None, str]] = []
    recipients = list(doc.get("recipients") or ())
    archive = doc.get("archive")
    if recipients or archive:
        left.append(("Nơi nhận:", "recipients_head"))
        left += [(f"- {r}", "recipient") for r in recipients]
        if archive:
            left.append((f"- {archive}", "recipient"))
    right: list[tuple[str | None, str]] = []
    title = doc.get("signer_title")
    if title:
        right += [(part.strip().upper(), "signer_title")
                  for part in str(title).split("\n") if part.strip()]
    if right or doc.get("signer_name"):
        right += [(None, "signer_name")] * 4
        right.append((doc.get("signer_name"), "signer_name"))
    for index in range(max(len(left), len(right))):
        lt, ls = left[index] if index < len(left) else (None, "recipient")
        rt, rs = right[index] if index < len(right) else (None, "signer_title")
        sheet.pair(lt, ls, rt, rs, split, height=18)

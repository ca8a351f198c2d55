"""Word (.docx) documents laid out per NĐ 30/2020 Phụ lục I, with python-docx.

What python-docx has no API for (borderless tables, repeated header rows, rows that do not
split, a PAGE field, page numbering restarting in a section) is a few lines of OOXML here,
in one place. Every string that reaches the XML passes through `xml_text`: a name typed
with a control character must not make the file unreadable.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from docx.document import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Mm, Pt
from docx.table import Table, _Row
from docx.text.paragraph import Paragraph

from ..exports.naming import ascii_fold

if TYPE_CHECKING:
    from .list_content import Signature

FONT = "Times New Roman"  # LibreOffice prints it in Liberation Serif, same metrics
BODY_PT = 14
TABLE_PT = 12
RECIPIENTS_PT = 11
FIRST_LINE_INDENT = Mm(10)

# Style names, the ones a clerk sees in Word's style list.
BODY = "Normal"
TABLE_TEXT = "Bảng - nội dung"
TABLE_HEAD = "Bảng - tiêu đề cột"
HEADER_BLOCK = "Thể thức - đầu văn bản"
TITLE = "Thể thức - tên văn bản"
RECIPIENTS = "Thể thức - nơi nhận"
SIGNATURE = "Thể thức - chữ ký"
PAGE_NUMBER = "Thể thức - số trang"

# XML 1.0 allows tab, newline, carriage return and everything from U+0020 except the
# surrogates and U+FFFE/U+FFFF; python-docx refuses the rest with a ValueError.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# Child order the WordprocessingML schema prescribes (ECMA-376 Part 1, CT_TblPr and
# CT_SectPr). LibreOffice reads any order; Word may call a file with another order
# corrupt. python-docx and the helpers below append, so `put_in_schema_order` sorts.
SCHEMA_ORDER = {
    "w:tblPr": ("w:tblStyle", "w:tblpPr", "w:tblOverlap", "w:bidiVisual", "w:tblStyleRowBandSize",
                "w:tblStyleColBandSize", "w:tblW", "w:jc", "w:tblCellSpacing", "w:tblInd",
                "w:tblBorders", "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption",
                "w:tblDescription", "w:tblPrChange"),
    "w:sectPr": (("w:headerReference", "w:footerReference"), "w:footnotePr", "w:endnotePr", "w:type",
                 "w:pgSz", "w:pgMar", "w:paperSrc", "w:pgBorders", "w:lnNumType", "w:pgNumType",
                 "w:cols", "w:formProt", "w:vAlign", "w:noEndnote", "w:titlePg", "w:textDirection",
                 "w:bidi", "w:rtlGutter", "w:docGrid", "w:printerSettings", "w:sectPrChange"),
}


def put_in_schema_order(document: Document) -> None:
    """Sort the children of every table and section property element into schema order
    (a stable sort: header and footer references keep theirs)."""
    body = document.element.body
    for tag, order in SCHEMA_ORDER.items():
        rank = {}
        for index, names in enumerate(order):
            for name in (names if isinstance(names, tuple) else (names,)):
                rank[qn(name)] = index
        for parent in body.iter(qn(tag)):
            children = list(parent)
            ordered = sorted(children, key=lambda child: rank.get(child.tag, len(order)))
            if ordered != children:
                for child in children:
                    parent.remove(child)
                parent.extend(ordered)


def xml_text(value: object) -> str:
    """Text safe to put in a .docx: characters XML cannot carry are dropped."""
    return _NOT_XML.sub("", "" if value is None else str(value))


@dataclass(frozen=True)
class Margins:
    """Millimetres; NĐ 30/2020: top and bottom 20-25, left 30-35, right 15-20."""

    top: int = 20
    bottom: int = 20
    left: int = 30
    right: int = 15


def set_up_styles(document: Document) -> None:
    """Times New Roman everywhere (the East Asian and complex-script slots too, so Word
    does not swap in another font for a Vietnamese letter), body 14 pt justified with a
    first-line indent, and the named styles the builders use."""
    styles = document.styles
    normal = styles["Normal"]
    _font(normal, BODY_PT)
    fmt = normal.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    fmt.first_line_indent = FIRST_LINE_INDENT
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(6)
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    fmt.widow_control = True

    def plain(name: str, size: float, align=WD_ALIGN_PARAGRAPH.CENTER, after: float = 0):
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        # The name (Vietnamese) is what the clerk sees; the id stays ASCII, as Word's own are.
        style.style_id = "TTr" + "".join(w.capitalize() for w in ascii_fold(name).split() if w.isalnum())
        style.base_style = normal
        _font(style, size)
        f = style.paragraph_format
        f.alignment = align
        f.first_line_indent = Mm(0)
        f.space_before = Pt(0)
        f.space_after = Pt(after)
        return style

    plain(TABLE_TEXT, TABLE_PT, WD_ALIGN_PARAGRAPH.LEFT)
    plain(TABLE_HEAD, TABLE_PT).font.bold = True
    plain(HEADER_BLOCK, 13)
    plain(TITLE, BODY_PT).font.bold = True
    plain(RECIPIENTS, RECIPIENTS_PT, WD_ALIGN_PARAGRAPH.LEFT)
    plain(SIGNATURE, BODY_PT)
    plain(PAGE_NUMBER, BODY_PT)
    # python-docx's template sets the document-wide defaults to Calibri-like fonts for
    # East Asian text: name Times New Roman in the defaults too.
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        fonts = defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr") + "/" + qn("w:rFonts"))
        if fonts is not None:
            for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
                fonts.set(qn(slot), FONT)
            for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                fonts.attrib.pop(qn(theme), None)


def _font(style, size: float) -> None:
    style.font.name = FONT
    style.font.size = Pt(size)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT)


def page_setup(section: Section, margins: Margins, *, landscape: bool = False) -> None:
    """A4, portrait or landscape, with NĐ 30 margins (left is the binding side in both)."""
    short, long = Mm(210), Mm(297)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (long, short) if landscape else (short, long)
    section.top_margin, section.bottom_margin = Mm(margins.top), Mm(margins.bottom)
    section.left_margin, section.right_margin = Mm(margins.left), Mm(margins.right)
    section.header_distance = Mm(10)
    section.footer_distance = Mm(10)


def text_width(section: Section) -> int:
    """The width between the margins, in EMU."""
    return int(section.page_width or 0) - int(section.left_margin or 0) - int(section.right_margin or 0)


def number_pages(section: Section, *, restart: bool) -> None:
    """Page numbers centred at the top, not on the section's first page (Word's
    "different first page"), counted from 1 in this section when `restart`."""
    section.different_first_page_header_footer = True
    # Headers of their own, not the previous section's: each document numbers itself.
    section.header.is_linked_to_previous = False
    section.first_page_header.is_linked_to_previous = False
    header = section.header.paragraphs[0]
    header.style = PAGE_NUMBER
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_field(header)
    first = section.first_page_header.paragraphs[0]
    first.text = ""
    if restart:
        sect_pr = section._sectPr
        numbering = sect_pr.find(qn("w:pgNumType"))
        if numbering is None:
            numbering = OxmlElement("w:pgNumType")
            sect_pr.append(numbering)
        numbering.set(qn("w:start"), "1")


def _page_field(paragraph: Paragraph) -> None:
    """A PAGE field (begin, instruction, separate, a placeholder result, end), the form
    Word and LibreOffice both update when they lay the page out."""
    run = paragraph.add_run()
    run.font.name = FONT
    run.font.size = Pt(BODY_PT)
    parts = [("w:fldChar", {"w:fldCharType": "begin"}), ("w:instrText", None),
             ("w:fldChar", {"w:fldCharType": "separate"}), ("w:t", None),
             ("w:fldChar", {"w:fldCharType": "end"})]
    for tag, attrs in parts:
        element = OxmlElement(tag)
        for key, value in (attrs or {}).items():
            element.set(qn(key), value)
        if tag == "w:instrText":
            element.set(qn("xml:space"), "preserve")
            element.text = " PAGE "
        elif tag == "w:t":
            element.text = "1"
        run._r.append(element)


def new_section(document: Document, margins: Margins, *, landscape: bool) -> Section:
    """A section starting on a new page (the page break before an attachment)."""
    section = document.add_section(WD_SECTION.NEW_PAGE)
    page_setup(section, margins, landscape=landscape)
    return section


def borderless(table: Table) -> None:
    """No borders and no cell padding: a layout grid (the header, the signature), whose
    columns are exactly as wide as the text they hold may be."""
    _table_borders(table, "nil")
    margins = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:w"), "0")
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    table._tbl.tblPr.append(margins)


def bordered(table: Table) -> None:
    """Thin single borders, black (NĐ 30: thin lines)."""
    _table_borders(table, "single")


def _table_borders(table: Table, kind: str) -> None:
    tbl_pr = table._tbl.tblPr
    borders = tbl_pr.find(qn("w:tblBorders"))
    if borders is None:
        borders = OxmlElement("w:tblBorders")
        tbl_pr.append(borders)
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = borders.find(qn(f"w:{edge}"))
        if element is None:
            element = OxmlElement(f"w:{edge}")
            borders.append(element)
        element.set(qn("w:val"), kind)
        if kind != "nil":
            element.set(qn("w:sz"), "4")
            element.set(qn("w:space"), "0")
            element.set(qn("w:color"), "000000")


def fixed_widths(table: Table, widths: Sequence[int]) -> None:
    """Column widths (EMU) written to the grid and to every cell, with a fixed layout:
    Word reads the cells, LibreOffice the grid."""
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    tbl_pr = table._tbl.tblPr
    layout = tbl_pr.find(qn("w:tblLayout"))
    if layout is None:
        layout = OxmlElement("w:tblLayout")
        tbl_pr.append(layout)
    layout.set(qn("w:type"), "fixed")
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=False):
            cell.width = width


def repeat_as_header(row: _Row) -> None:
    """The row prints again at the top of every page the table runs onto (w:tblHeader)."""
    _row_flag(row, "w:tblHeader")


def keep_row_whole(row: _Row) -> None:
    """The row never breaks across a page (w:cantSplit); its height follows its text."""
    _row_flag(row, "w:cantSplit")


def _row_flag(row: _Row, tag: str) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    if tr_pr.find(qn(tag)) is None:
        flag = OxmlElement(tag)
        flag.set(qn("w:val"), "true")
        tr_pr.append(flag)


def write(paragraph: Paragraph, text: object, *, bold: bool = False, italic: bool = False,
          underline: bool = False, size: float | None = None) -> Paragraph:
    """Append a run of (cleaned) text; a newline in it becomes a line break."""
    run = paragraph.add_run(xml_text(text))
    run.bold = bold or None
    run.italic = italic or None
    run.underline = underline or None
    if size is not None:
        run.font.size = Pt(size)
    return paragraph


def cell_text(cell, text: object, style: str, **run_format) -> Paragraph:
    """Replace a cell's first paragraph with `text` in `style`."""
    paragraph = cell.paragraphs[0]
    paragraph.style = style
    return write(paragraph, text, **run_format)


def add_cell_paragraph(cell, text: object, style: str, **run_format) -> Paragraph:
    paragraph = cell.add_paragraph(style=style)
    return write(paragraph, text, **run_format)


# --- blocks of an official document (Tờ trình, Thông báo): NĐ 30/2020 Phụ lục I --------

# Top, bottom, left (binding side), right, in mm.
OFFICIAL_MARGINS = Margins(top=20, bottom=20, left=30, right=15)


def body(document: Document, text: str, **run_format) -> Paragraph:
    """A body paragraph: 14 pt, justified, first line indented (the Normal style)."""
    return write(document.add_paragraph(), text, **run_format)


def masthead(document: Document, supervising_body: str, issuing_body: str):
    """The borderless two-column header: supervising and issuing body on the left
    (the issuing body bold, underlined), the national motto on the right. Returns the
    two cells, for the number and the date under them."""
    width = text_width(document.sections[-1])
    # The motto in 13 pt bold needs 98 mm on one line as LibreOffice sets it.
    left_width = width // 2 if width > Mm(210) else width - int(Mm(102))
    table = document.add_table(rows=1, cols=2)
    borderless(table)
    fixed_widths(table, [left_width, width - left_width])
    left, right = table.rows[0].cells
    cell_text(left, supervising_body.upper(), HEADER_BLOCK)
    add_cell_paragraph(left, issuing_body.upper(), HEADER_BLOCK, bold=True, underline=True)
    cell_text(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", HEADER_BLOCK, bold=True, size=13)
    add_cell_paragraph(right, "Độc lập - Tự do - Hạnh phúc", HEADER_BLOCK, bold=True,
                              underline=True, size=13)
    return left, right


def title_block(document: Document, name: str, subject: str, attached: str | None = None) -> None:
    title = document.add_paragraph(style=TITLE)
    title.paragraph_format.space_before = Pt(18)
    write(title, name)
    last = write(document.add_paragraph(style=TITLE), subject)
    if attached:
        last = write(document.add_paragraph(style=SIGNATURE), attached, italic=True)
    last.paragraph_format.space_after = Pt(12)


def closing_block(document: Document, signature: Signature, recipients: list[str] | None) -> None:
    """Nơi nhận at the bottom left (11-12 pt) and the signature block at the right: the
    signer's title in bold capitals, room to sign, the name in bold; one row that never
    splits, so the signature never sits alone on a page."""
    width = text_width(document.sections[-1])
    table = document.add_table(rows=1, cols=2)
    borderless(table)
    fixed_widths(table, [width // 2, width - width // 2])
    keep_row_whole(table.rows[0])
    left, right = table.rows[0].cells
    if recipients is not None:
        first = left.paragraphs[0]
        first.style = RECIPIENTS
        first.paragraph_format.space_before = Pt(12)
        write(first, "Nơi nhận:", bold=True, italic=True, size=12)
        for line in recipients:
            add_cell_paragraph(left, f"- {line}", RECIPIENTS)
    signer = right.paragraphs[0]
    signer.style = SIGNATURE
    signer.paragraph_format.space_before = Pt(12)
    for i, line in enumerate(signature.title_lines):
        if i:
            signer.add_run().add_break(WD_BREAK.LINE)
        write(signer, line, bold=True)
    room = add_cell_paragraph(right, "", SIGNATURE)
    room.paragraph_format.space_after = Pt(64)  # the signature and the seal
    add_cell_paragraph(right, signature.name, SIGNATURE, bold=True)

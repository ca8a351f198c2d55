"""The list attachment's workbook (documents/list_xlsx.py) from a hand-made ListContent,
read back with openpyxl: no Số and no Nơi nhận, printed at 100 % with the columns
fitting the page, every row as tall as its wrapped text, page numbers at the top from
page 2 with each sheet numbered from 1, printed values as text, and memory that stays
flat as rows grow. (What it looks like printed: tests/api/test_list_documents.py.)"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import tempfile
import tracemalloc
import zipfile

import pytest
from openpyxl import load_workbook
from openpyxl.cell.cell import MergedCell

from inspect_api.documents.list_content import (
    DetailRow, ListContent, ListGroup, ListRow, Photo, Signature, attached_line, detail_columns,
    list_columns, total_line,
)
from inspect_api.documents.list_export import list_display_filename, list_filename
from inspect_api.documents.list_xlsx import PRINT_WIDTH, write_list_workbook
from inspect_api.exports._layout import (
    DOCUMENT_DIGIT_PX, column_points, text_height, wrapped_lines,
)

LONG = ("Vi phạm nghiêm trọng: CON-02 (nghiêm trọng) ngày 13/11/2026 tại Trung tâm Phục vụ "
        "hành chính công xã Sơn Dương; Không đạt: CON-01 (chính) ngày 13/11/2026 tại Trung tâm "
        "Phục vụ hành chính công xã Sơn Dương; CON-05 (chính) ngày 13/11/2026")
PHOTO = Photo("481b89ea-57eb-45ae-9f2d-4d5e85de87b7", "481b89ea-57eb-45ae-9f2d-4d5e85de87b7.jpg",
              "b29f23fbea5f")


def unit_row(number: int, content: str = "Điểm trung bình dưới 70 %") -> ListRow:
    return ListRow(number, (str(number), "Xã Sơn Dương", "Đỗ Minh Đức", "", "68,5 %", content,
                            "Phê bình người đứng đầu", "NĐ 118/2025/NĐ-CP", ""), False)


def staff_row(number: int, name: str = "Nguyễn Thị Hồng Nhung Phượng Khuê Tôn Nữ Diễm Thương",
              note: str = "Chờ giải trình: chưa đủ điều kiện đề nghị xem xét xử lý kỷ luật") -> ListRow:
    return ListRow(number, (str(number), name, "Công chức Tư pháp - Hộ tịch", "Xã Sơn Dương", "", LONG,
                            "Phê bình", "Luật Cán bộ, công chức số 80/2025/QH15", note), True)


def detail_row(number: int) -> DetailRow:
    return DetailRow(number, (str(number), "Xã Sơn Dương", "13/11/2026", "Trung tâm Phục vụ hành chính công",
                              "SEAT-02: Tại quầy có ghế cho người dân ngồi?", "Không đạt (nghiêm trọng)",
                              "=1+1", "Lê Văn Thành", PHOTO.label), (PHOTO,))


def make_content(units=None, staff=None, details=None, **changes) -> ListContent:
    units = (unit_row(1), unit_row(2, LONG)) if units is None else units
    staff = (staff_row(1),) if staff is None else staff
    details = [detail_row(i) for i in range(1, 4)] if details is None else details
    groups = []
    for label, rows in (("TẬP THỂ", list(units)), ("CÁ NHÂN", list(staff))):
        if rows:
            groups.append(ListGroup(("I", "II")[len(groups)], label, len(rows), iter(rows)))
    content = ListContent(
        kind="criticism", supervising_body="ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG", issuing_body="SỞ NỘI VỤ",
        title="DANH SÁCH", subject="Tập thể, cá nhân đề nghị phê bình quý IV/2026",
        attached_line=attached_line("125/TTr-SNV", dt.date(2027, 1, 5)), period_label="quý IV/2026",
        document_number="125/TTr-SNV", columns=list_columns("criticism"), groups=tuple(groups),
        unit_count=len(units), staff_count=len(staff), pending_count=1,
        total_line=total_line(len(units), len(staff)), remarks=("Có 1 cá nhân đang chờ giải trình.",),
        signature=None, detail_title="CHI TIẾT KẾT QUẢ KIỂM TRA VÀ MINH CHỨNG",
        detail_attached_line="(Kèm theo Danh sách tập thể, cá nhân đề nghị phê bình quý IV/2026)",
        detail_columns=detail_columns("criticism"), detail_rows=iter(details), detail_count=len(details),
        photo_count=len(details), detail_total_line=f"Tổng số: {len(details)} kết quả kiểm tra./.")
    return dataclasses.replace(content, **changes)


def build(content=None):
    buffer = write_list_workbook(content or make_content(), io.BytesIO())
    return load_workbook(io.BytesIO(buffer.getvalue()))


@pytest.fixture(scope="module")
def workbook():
    return build()


@pytest.fixture(scope="module")
def sheet(workbook):
    return workbook["Danh sách"]


def values(ws) -> list:
    return [cell.value for row in ws.iter_rows() for cell in row if cell.value is not None]


def row_of(ws, text, column=1) -> int:
    for row in ws.iter_rows(min_col=column, max_col=column):
        if row[0].value == text:
            return row[0].row
    raise AssertionError(f"{text!r} not found")


def test_an_attachment_has_no_number_and_no_recipients(sheet):
    assert (sheet["A1"].value, sheet["F1"].value) == ("ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG",
                                                      "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    assert (sheet["A2"].value, sheet["F2"].value) == ("SỞ NỘI VỤ", "Độc lập - Tự do - Hạnh phúc")
    texts = [str(v) for v in values(sheet)]
    assert not any(t.startswith("Số:") or "Nơi nhận" in t for t in texts)
    assert "(Kèm theo Tờ trình số 125/TTr-SNV ngày 05 tháng 01 năm 2027 của Sở Nội vụ)" in texts
    assert sheet.cell(row_of(sheet, "(Kèm theo Tờ trình số 125/TTr-SNV ngày 05 tháng 01 năm 2027 "
                                    "của Sở Nội vụ)"), 1).font.i


def test_the_signature_only_when_the_attachment_is_signed():
    assert "PHÓ GIÁM ĐỐC" not in values(build()["Danh sách"])
    signed = build(make_content(signature=Signature(("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"), "Phạm Thị Hòa")))
    ws = signed["Danh sách"]
    start = row_of(ws, "KT. GIÁM ĐỐC", 6)
    assert ws.cell(start + 1, 6).value == "PHÓ GIÁM ĐỐC"
    assert "Phạm Thị Hòa" in values(ws) and "Nơi nhận:" not in values(ws)


def test_table_groups_and_printed_values(sheet):
    header = row_of(sheet, "STT")
    assert [c.value for c in sheet[header + 1]] == [f"({i})" for i in range(1, 10)]
    assert sheet.print_title_rows == f"${header}:${header + 1}"
    assert (sheet.cell(header + 2, 1).value, sheet.cell(header + 2, 2).value) == ("I", "TẬP THỂ")
    first = header + 3
    assert sheet.cell(first, 1).value == 1  # STT stays a number
    # What is printed is text: "68,5 %" under any locale.
    assert sheet.cell(first, 5).value == "68,5 %" and sheet.cell(first, 5).data_type == "s"
    assert (sheet.cell(first + 2, 1).value, sheet.cell(first + 2, 2).value) == ("II", "CÁ NHÂN")
    assert "Danh sách gồm 2 tập thể, 1 cá nhân./." in values(sheet)


def test_every_row_is_as_tall_as_its_wrapped_text(sheet):
    header = row_of(sheet, "STT")
    widths = [sheet.column_dimensions[chr(65 + i)].width for i in range(9)]
    for row in range(header + 3, header + 7):
        cells = [sheet.cell(row, c + 1).value for c in range(9)]
        if cells[1] in ("TẬP THỂ", "CÁ NHÂN"):
            continue
        needed = max(text_height(str(v or ""), w, 12, digit_px=DOCUMENT_DIGIT_PX)
                     for v, w in zip(cells, widths, strict=True))
        assert sheet.row_dimensions[row].height >= needed
    # The long row is taller than the short one, and tall enough for its lines at 12 pt.
    short, long = sheet.row_dimensions[header + 3].height, sheet.row_dimensions[header + 4].height
    assert long > short * 2
    lines = wrapped_lines(LONG, column_points(widths[5], DOCUMENT_DIGIT_PX), 12)
    assert lines >= 5 and long >= lines * 12 * 1.3


def test_printed_at_full_size_numbered_from_page_2_each_sheet_from_1(workbook):
    for ws in workbook:
        setup = ws.page_setup
        assert ws.page_setup.orientation == "landscape" and int(setup.paperSize) == 9
        assert not ws.sheet_properties.pageSetUpPr.fitToPage and int(setup.scale) == 100
        assert int(setup.firstPageNumber) == 1 and setup.useFirstPageNumber
        assert ws.HeaderFooter.differentFirst
        assert ws.oddHeader.center.text == "&P" and not ws.firstHeader.center.text
        assert not ws.oddFooter.center.text
        # The columns fill the page between the margins, never more.
        widths = [d.width for d in ws.column_dimensions.values() if d.width]
        points = sum((w * DOCUMENT_DIGIT_PX + 5) * 0.75 for w in widths)
        assert PRINT_WIDTH - 5 <= points <= 252 / 25.4 * 72


def test_times_new_roman_12_is_the_default_and_every_cell_font(workbook):
    buffer = io.BytesIO()
    write_list_workbook(make_content(), buffer)
    styles = zipfile.ZipFile(io.BytesIO(buffer.getvalue())).read("xl/styles.xml").decode()
    first_font = styles.split("<font>", 1)[1].split("</font>", 1)[0]
    assert 'val="Times New Roman"' in first_font and '<sz val="12"' in first_font
    for ws in workbook:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None and not isinstance(cell, MergedCell):
                    assert cell.font.name == "Times New Roman" and cell.font.sz >= 12, cell.coordinate


def test_detail_sheet_photos_as_file_name_and_checksum(workbook):
    ws = workbook["Chi tiết, minh chứng"]
    assert ws["A1"].value == "CHI TIẾT KẾT QUẢ KIỂM TRA VÀ MINH CHỨNG"
    header = row_of(ws, "STT")
    first = [c.value for c in ws[header + 2]]
    assert first[0] == 1 and first[-1] == "481b89ea-57eb-45ae-9f2d-4d5e85de87b7.jpg (SHA-256: b29f23fbea5f)"
    assert ws.cell(header + 2, 9).hyperlink is None
    note = ws.cell(header + 2, 7)
    assert note.value == "=1+1" and note.data_type == "s" and note.quotePrefix
    assert "Tổng số: 3 kết quả kiểm tra./." in values(ws)


def test_an_empty_detail_says_so():
    ws = build(make_content(details=[]))["Chi tiết, minh chứng"]
    assert "Không có." in values(ws)


def test_file_names():
    content = make_content()
    assert list_display_filename(content, "pdf") == "Danh sách phê bình quý IV-2026 (125-TTr-SNV).pdf"
    assert list_filename(content, "xlsx") == "Danh-sach-phe-binh-quy-IV-2026-125-TTr-SNV.xlsx"


def test_wrapping_counts_lines_as_the_programs_do():
    room = column_points(20, DOCUMENT_DIGIT_PX)
    assert wrapped_lines("", room, 12) == 1
    assert wrapped_lines("Xã Sơn Dương", room, 12) == 1
    assert wrapped_lines("a\nb\n", room, 12) == 3
    assert wrapped_lines(LONG, room, 12) > wrapped_lines(LONG, room * 2, 12) > 1
    # A file name wraps after its hyphens, or where it overflows.
    assert wrapped_lines(PHOTO.label, 60, 12) >= 4


# --- memory --------------------------------------------------------------------------

def _peak_bytes(count: int, traced: bool = True) -> int:
    rows = (staff_row(i, name=f"Nguyễn Văn {i}", note=f"Ghi chú {i}") for i in range(1, count + 1))
    details = (detail_row(i) for i in range(1, count + 1))
    content = make_content(units=(), staff=(), details=[])
    content = dataclasses.replace(content, groups=(ListGroup("I", "CÁ NHÂN", count, rows),),
                                  detail_rows=details)
    if not traced:
        with tempfile.TemporaryFile() as target:
            write_list_workbook(content, target)
        return 0
    tracemalloc.start()
    try:
        with tempfile.TemporaryFile() as target:
            write_list_workbook(content, target)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_as_rows_grow():
    # Fonts loaded and the bounded word cache filled first, untraced (tracing triples the time).
    _peak_bytes(4000, traced=False)
    small, large = _peak_bytes(400, traced=True), _peak_bytes(3200, traced=True)
    assert large < small * 1.5, (small, large)


def test_stt_is_widened_to_hold_the_largest_number_of_a_long_list():
    """A national list numbers thousands of officials and tens of thousands of findings:
    STT's share of the page holds three digits, and a number wider than its column
    prints as ####. The widest number each sheet prints still fits, the columns still
    fill the page, and a short list is laid out as before."""
    from inspect_api.exports._layout import text_points

    short = build()
    staff = tuple(staff_row(i, name="Lò Văn Nam", note="") for i in range(1, 1201))
    long = build(make_content(units=(), staff=staff, detail_count=24_237))
    for name, largest in (("Danh sách", 1200), ("Chi tiết", 24_237)):
        [ws] = [ws for ws in long if ws.title.startswith(name)]
        [before] = [ws for ws in short if ws.title.startswith(name)]
        stt = ws.column_dimensions["A"].width
        assert column_points(stt, DOCUMENT_DIGIT_PX) >= text_points(str(largest), 12)
        assert stt > before.column_dimensions["A"].width
        widths = [d.width for d in ws.column_dimensions.values() if d.width]
        points = sum((w * DOCUMENT_DIGIT_PX + 5) * 0.75 for w in widths)
        assert PRINT_WIDTH - 5 <= points <= 252 / 25.4 * 72
    # Up to 999 rows, STT's share is enough: the widths are the hints' alone.
    from inspect_api.documents.list_xlsx import sheet_columns

    assert sheet_columns(list_columns("criticism"), largest_number=999) == sheet_columns(list_columns("criticism"))
    assert [d.width for d in short["Danh sách"].column_dimensions.values() if d.width] == \
        [c.width for c in sheet_columns(list_columns("criticism"))]


def test_the_pdf_prints_a_long_lists_numbers_whole():
    """The PDF lays its columns out as the workbook does: a five-digit number in STT
    stays on one line (it used to break over two), and a short list keeps its widths."""
    import pdfplumber

    from inspect_api.documents.list_export import PDF_TABLE_WIDTH, _with_shares, list_pdf

    rows = [dataclasses.replace(detail_row(1), cells=("24237", *detail_row(1).cells[1:]))]
    content = make_content(details=rows, detail_count=24_237)
    with pdfplumber.open(io.BytesIO(list_pdf(content))) as pdf:
        words = [w["text"] for page in pdf.pages for w in page.extract_words()]
    assert "24237" in words
    columns = list_columns("criticism")
    total = sum(c.width for c in columns)
    shares = [round(share, 6) for _, share in _with_shares(columns, 99)]
    assert shares == [round(100 * c.width / total, 6) for c in columns]
    assert PDF_TABLE_WIDTH > 700

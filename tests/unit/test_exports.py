"""The exported workbooks, opened with openpyxl and read cell by cell as a leader reads
them: header, title, table, totals, signature, page setup, links, and text that stays
text."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import tempfile
import tracemalloc
import unicodedata
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from openpyxl.cell.cell import MergedCell

from inspect_api.exports.lists import (
    list_content_disposition,
    list_display_filename,
    list_filename,
    write_list_workbook,
)
from inspect_api.exports.naming import ascii_filename, content_disposition
from inspect_api.exports.scores import (
    scores_content_disposition,
    scores_filename,
    write_scores_workbook,
)

SUBJECT = ("Tập thể, cá nhân đề nghị phê bình, xem xét xử lý kỷ luật qua kiểm tra "
           "Bộ phận Một cửa quý IV/2026")
ATTACHED = "Tờ trình số 125/TTr-SNV ngày 20 tháng 12 năm 2026 của Sở Nội vụ"
INJECTIONS = ["=HYPERLINK(\"http://evil.example\",\"bấm\")", "+84912345678", "-2+3",
              "@SUM(A1:A2)", "\t=1+1", "\r=1+1", "=1+1", "#N/A"]


def make_doc(**changes):
    doc = {
        "kind": "criticism",
        "supervising_body": "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG",
        "issuing_body": "SỞ NỘI VỤ",
        "place": "Tuyên Quang",
        "document_number": "125/TTr-SNV",
        "document_date": dt.date(2026, 12, 20),
        "subject": SUBJECT,
        "attached_to": ATTACHED,
        "signer_title": "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC",
        "signer_name": "Nguyễn Văn A",
        "recipients": ["UBND tỉnh (b/c);", "Các xã, phường;"],
        "archive": "Lưu: VT, TTr.",
        "period_label": "quý IV/2026",
    }
    doc.update(changes)
    return doc


UNITS = [
    {"name": "UBND xã Minh Xuân", "head_name": "Trần Thị Bích", "critical": 1, "major": 2,
     "minor": 0, "score": Decimal("68.50"),
     "content": "Điểm trung bình dưới 70 %; bố trí chỗ ngồi không đạt (SEAT-02)",
     "form_name": "Phê bình người đứng đầu", "note": None},
    {"name": "UBND phường Nông Tiến", "head_name": "Hoàng Văn Đông", "critical": 0,
     "major": 0, "minor": 3, "score": Decimal("88.00"),
     "content": "Chỉ tiêu DOS-01 dưới 90 %", "form_name": "Phê bình người đứng đầu",
     "note": "Lần thứ hai liên tiếp"},
]

STAFF = [
    {"name": "Lê Thị Hồng Nhung", "position_title": "Công chức Văn phòng - Thống kê",
     "org_name": "UBND xã Minh Xuân", "commune": "Minh Xuân",
     "content": "Vắng mặt tại vị trí làm việc trong giờ hành chính (DIS-05)",
     "visit_dates": [dt.date(2026, 11, 20)], "evidence": ["https://x/1", "https://x/2"],
     "form_name": "Đề nghị xem xét xử lý kỷ luật (khiển trách)", "note": None,
     "explanation_status": "requested"},
    {"name": "Phạm Quốc Việt", "position_title": "Công chức Tư pháp - Hộ tịch",
     "org_name": "UBND phường Nông Tiến", "commune": "Nông Tiến",
     "content": "Thái độ không đúng mực với người dân (CON-02)",
     "visit_dates": [dt.date(2026, 11, 25), dt.date(2026, 11, 20)], "evidence": [],
     "form_name": "Phê bình", "note": None, "explanation_status": "received"},
    {"name": INJECTIONS[0], "position_title": INJECTIONS[1], "org_name": INJECTIONS[2],
     "commune": INJECTIONS[3], "content": INJECTIONS[4], "visit_dates": [],
     "evidence": ["https://x/3"], "form_name": INJECTIONS[5], "note": INJECTIONS[6],
     "explanation_status": None},
]

FINDINGS = [
    {"entry_name": "Lê Thị Hồng Nhung", "entry_type": "staff", "visit_date": dt.date(2026, 11, 20),
     "desk": "Bộ phận Một cửa xã Minh Xuân", "criterion_code": "DIS-05",
     "criterion_text": "Có mặt tại vị trí làm việc đúng giờ", "result": "fail",
     "severity": "critical", "note": "Vắng 9h00-10h30", "inspector": "Đỗ Minh Hà",
     "evidence": ["https://inspect.example.vn/api/v1/evidence/1/content",
                  "https://inspect.example.vn/api/v1/evidence/2/content"]},
    {"entry_name": "UBND xã Minh Xuân", "entry_type": "unit", "visit_date": dt.date(2026, 11, 20),
     "desk": "Bộ phận Một cửa xã Minh Xuân", "criterion_code": "SEAT-02",
     "criterion_text": "Đủ ghế chờ cho người dân", "result": "fail", "severity": "critical",
     "note": "=1+1", "inspector": "Đỗ Minh Hà", "evidence": ["/api/v1/evidence/3/content"]},
    {"entry_name": "Phạm Quốc Việt", "entry_type": "staff", "visit_date": dt.date(2026, 11, 25),
     "desk": "Bộ phận Một cửa phường Nông Tiến", "criterion_code": "CON-02",
     "criterion_text": "Ứng xử đúng mực", "result": "fail", "severity": "major",
     "note": None, "inspector": "Đỗ Minh Hà", "evidence": ["javascript:alert(1)"]},
]


def build_list(doc=None, units=UNITS, staff=STAFF, findings=FINDINGS, **options):
    buffer = write_list_workbook(doc or make_doc(), iter(units), iter(staff), iter(findings),
                                 io.BytesIO(), **options)
    return load_workbook(io.BytesIO(buffer.getvalue()))


@pytest.fixture(scope="module")
def workbook():
    return build_list(link_base="https://inspect.example.vn/")


@pytest.fixture(scope="module")
def sheet(workbook):
    return workbook["Danh sách"]


def merged(ws) -> set[str]:
    return {str(r) for r in ws.merged_cells.ranges}


def find_row(ws, text, column=1):
    for row in ws.iter_rows(min_col=column, max_col=column):
        if row[0].value == text:
            return row[0].row
    raise AssertionError(f"{text!r} not found in column {column}")


# --- the list: what a leader reads -------------------------------------------------

def test_header_block_issuing_body_and_national_motto(sheet):
    assert sheet["A1"].value == "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG"
    assert not sheet["A1"].font.b
    assert sheet["A2"].value == "SỞ NỘI VỤ"
    assert sheet["A2"].font.b and sheet["A2"].font.u == "single"
    assert sheet["E1"].value == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert sheet["E1"].font.b
    assert sheet["E2"].value == "Độc lập - Tự do - Hạnh phúc"
    assert sheet["E2"].font.b and sheet["E2"].font.u == "single"
    assert {"A1:D1", "E1:L1", "A2:D2", "E2:L2", "A4:D4", "E4:L4"} <= merged(sheet)
    assert all(sheet[c].alignment.horizontal == "center" for c in ("A1", "A2", "E1", "E2"))


def test_number_and_place_date_line(sheet):
    assert sheet["A4"].value == "Số: 125/TTr-SNV"
    assert sheet["E4"].value == "Tuyên Quang, ngày 20 tháng 12 năm 2026"
    assert sheet["E4"].font.i


def test_place_date_pads_small_days_and_january_february():
    ws = build_list(make_doc(document_date=dt.date(2027, 2, 5)))["Danh sách"]
    assert ws["E4"].value == "Tuyên Quang, ngày 05 tháng 02 năm 2027"
    ws = build_list(make_doc(document_date=dt.date(2027, 11, 5), document_number=None))["Danh sách"]
    assert ws["E4"].value == "Tuyên Quang, ngày 05 tháng 11 năm 2027"
    assert ws["A4"].value.startswith("Số: …")


def test_title_subject_and_attachment_line(sheet):
    assert sheet["A6"].value == "DANH SÁCH"
    assert sheet["A6"].font.b
    assert sheet["A7"].value == SUBJECT
    assert sheet["A7"].font.b and sheet["A7"].alignment.wrap_text
    assert sheet["A8"].value == f"(Kèm theo {ATTACHED})"
    assert sheet["A8"].font.i
    assert {"A6:L6", "A7:L7", "A8:L8"} <= merged(sheet)


def test_column_headers_numbering_row_and_print_titles(sheet):
    headers = [c.value for c in sheet[10]]
    assert headers == [
        "STT", "Tên tập thể, họ và tên cá nhân",
        "Người đứng đầu (tập thể); chức vụ, chức danh (cá nhân)", "Cơ quan, đơn vị",
        "Xã, phường", "Số tiêu chí không đạt (nghiêm trọng/ chính/nhỏ)", "Điểm",
        "Nội dung vi phạm (mã tiêu chí)", "Ngày kiểm tra", "Minh chứng (số tệp)",
        "Hình thức đề nghị", "Ghi chú"]
    for cell in sheet[10]:
        assert cell.font.b and cell.alignment.horizontal == "center"
        assert cell.alignment.wrap_text and cell.border.left.style == "thin"
    assert [c.value for c in sheet[11]] == [f"({i})" for i in range(1, 13)]
    assert all(c.font.i for c in sheet[11])
    assert sheet.print_title_rows == "$10:$11"


def test_groups_numbering_and_unit_rows(sheet):
    assert (sheet["A12"].value, sheet["B12"].value) == ("I", "TẬP THỂ")
    assert sheet["B12"].font.b and "B12:L12" in merged(sheet)
    assert [sheet.cell(r, 1).value for r in (13, 14)] == [1, 2]
    assert sheet["B13"].value == "UBND xã Minh Xuân"
    assert sheet["C13"].value == "Trần Thị Bích"
    assert sheet["F13"].value == "1/2/0"
    assert sheet["G13"].value == 68.5 and sheet["G13"].number_format == '0.0" %"'
    assert sheet["G14"].value == 88
    assert sheet["K13"].value == "Phê bình người đứng đầu"
    assert sheet["L14"].value == "Lần thứ hai liên tiếp"
    assert sheet["D13"].value is None  # "Cơ quan, đơn vị" is for individuals
    assert (sheet["A15"].value, sheet["B15"].value) == ("II", "CÁ NHÂN")
    assert [sheet.cell(r, 1).value for r in (16, 17, 18)] == [1, 2, 3]


def test_staff_rows_with_vietnamese_diacritics(sheet):
    row = [c.value for c in sheet[16]]
    assert row[1] == "Lê Thị Hồng Nhung"
    assert unicodedata.is_normalized("NFC", row[1])
    assert row[2] == "Công chức Văn phòng - Thống kê"
    assert row[3:5] == ["UBND xã Minh Xuân", "Minh Xuân"]
    assert row[5] is None and row[6] is None  # unit-only columns
    assert row[7] == "Vắng mặt tại vị trí làm việc trong giờ hành chính (DIS-05)"
    assert row[9] == 2
    assert row[10] == "Đề nghị xem xét xử lý kỷ luật (khiển trách)"
    assert all(c.border.bottom.style == "thin" for c in sheet[16])


def test_one_visit_date_is_a_date_several_are_listed(sheet):
    single = sheet["I16"]
    assert isinstance(single.value, dt.datetime)
    assert single.value.date() == dt.date(2026, 11, 20)
    assert single.number_format == "dd/mm/yyyy"
    assert sheet["I17"].value == "20/11/2026; 25/11/2026"


def test_explanation_status_is_shown_and_pending_is_marked(sheet):
    assert sheet["L16"].value == "Chờ giải trình (chưa đề nghị kỷ luật)"
    assert sheet["L17"].value == "Đã có giải trình"
    row = find_row(sheet, "Có 1 cá nhân đang chờ giải trình: chưa đề nghị xem xét xử lý "
                          "kỷ luật cho đến khi có giải trình hoặc hết hạn giải trình.")
    assert row == 21


def test_total_line_and_signature_block(sheet):
    assert sheet["A20"].value == "Danh sách gồm 2 tập thể, 3 cá nhân./."
    assert "A20:L20" in merged(sheet)
    start = find_row(sheet, "Nơi nhận:")
    assert sheet.cell(start, 1).font.b and sheet.cell(start, 1).font.i
    assert [sheet.cell(start + i, 1).value for i in (1, 2, 3)] == [
        "- UBND tỉnh (b/c);", "- Các xã, phường;", "- Lưu: VT, TTr."]
    assert sheet.cell(start, 5).value == "KT. GIÁM ĐỐC"
    assert sheet.cell(start + 1, 5).value == "PHÓ GIÁM ĐỐC"
    assert sheet.cell(start, 5).font.b and sheet.cell(start + 1, 5).font.b
    assert all(sheet.cell(start + i, 5).value is None for i in (2, 3, 4, 5))
    name = sheet.cell(start + 6, 5)
    assert name.value == "Nguyễn Văn A" and name.font.b
    assert f"E{start}:L{start}" in merged(sheet) and f"A{start}:D{start}" in merged(sheet)


def test_signer_name_missing_leaves_the_line_blank():
    ws = build_list(make_doc(signer_name=None))["Danh sách"]
    start = find_row(ws, "Nơi nhận:")
    assert ws.cell(start, 5).value == "KT. GIÁM ĐỐC"
    assert all(ws.cell(start + i, 5).value is None for i in range(2, 10))


def test_page_setup_a4_landscape_fit_to_width(workbook):
    for ws in workbook:
        assert ws.page_setup.orientation == "landscape"
        assert int(ws.page_setup.paperSize) == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0
    assert workbook["Chi tiết, minh chứng"].print_title_rows == "$4:$5"


def test_column_widths_are_set(sheet):
    assert sheet.column_dimensions["A"].width == 5
    assert sheet.column_dimensions["B"].width == 24
    assert sheet.column_dimensions["H"].width == 40


def test_times_new_roman_everywhere(workbook):
    for ws in workbook:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None and not isinstance(cell, MergedCell):
                    assert cell.font.name == "Times New Roman", cell.coordinate
                    assert 11 <= cell.font.sz <= 14, cell.coordinate


# --- the detail sheet --------------------------------------------------------------

def test_detail_sheet_lists_every_finding_with_links(workbook):
    ws = workbook["Chi tiết, minh chứng"]
    assert ws["A1"].value == "CHI TIẾT KẾT QUẢ KIỂM TRA VÀ MINH CHỨNG"
    assert ws["A2"].value == (
        "(Kèm theo Danh sách tập thể, cá nhân đề nghị phê bình, xem xét xử lý kỷ luật qua "
        "kiểm tra Bộ phận Một cửa quý IV/2026)")
    assert [c.value for c in ws[4]][:4] == ["STT", "Tập thể, cá nhân", "Loại", "Ngày kiểm tra"]
    assert [c.value for c in ws[4]][-2:] == ["Minh chứng", "Minh chứng khác"]
    first = [c.value for c in ws[6]]
    assert first[:3] == [1, "Lê Thị Hồng Nhung", "Cá nhân"]
    assert first[3] == dt.datetime(2026, 11, 20) and ws["D6"].number_format  # noqa: DTZ001 - as openpyxl reads it == "dd/mm/yyyy"
    assert first[5:9] == ["DIS-05", "Có mặt tại vị trí làm việc đúng giờ", "Không đạt",
                          "Nghiêm trọng"]
    link = ws["L6"]
    assert link.hyperlink.target == "https://inspect.example.vn/api/v1/evidence/1/content"
    assert link.value == link.hyperlink.target
    assert ws["M6"].value == "https://inspect.example.vn/api/v1/evidence/2/content"
    # A relative URL is resolved against link_base; a javascript: URL is never a link.
    assert ws["L7"].hyperlink.target == "https://inspect.example.vn/api/v1/evidence/3/content"
    assert ws["C7"].value == "Tập thể"
    assert ws["L8"].hyperlink is None and ws["L8"].value == "javascript:alert(1)"
    assert ws["I8"].value == "Chính"
    assert ws["A10"].value == "Tổng số: 3 kết quả kiểm tra./."
    assert ws.freeze_panes == "C6"


def test_links_stop_at_the_cap_and_say_so():
    findings = [dict(FINDINGS[0], evidence=[f"https://x.vn/e/{i}"]) for i in range(4)]
    ws = build_list(findings=findings, max_links=2)["Chi tiết, minh chứng"]
    assert [ws.cell(r, 12).hyperlink is not None for r in range(6, 10)] == [
        True, True, False, False]
    assert ws["L9"].value == "https://x.vn/e/3"
    assert ws["A12"].value == ("Từ STT 3 trở đi, đường dẫn minh chứng ghi dạng văn bản "
                               "(tệp giữ tối đa 2 liên kết).")


# --- text stays text ---------------------------------------------------------------

def test_user_text_never_becomes_a_formula(workbook):
    ws = workbook["Danh sách"]
    row = [c for c in ws[18]]
    expected = {2: INJECTIONS[0], 3: INJECTIONS[1], 4: INJECTIONS[2], 5: INJECTIONS[3],
                8: INJECTIONS[4], 11: INJECTIONS[5], 12: INJECTIONS[6]}
    for column, text in expected.items():
        cell = row[column - 1]
        # A carriage return is stored as a line break, as Excel writes one.
        assert cell.value == text.replace("\r", "\n"), cell.coordinate
        assert cell.data_type == "s", cell.coordinate
        if text != "#N/A":
            assert cell.quotePrefix, cell.coordinate
    detail = workbook["Chi tiết, minh chứng"]
    assert detail["J7"].value == "=1+1" and detail["J7"].data_type == "s"
    for sheet in workbook:
        for line in sheet.iter_rows():
            for cell in line:
                assert cell.data_type not in ("f", "e"), (sheet.title, cell.coordinate)


def test_text_is_normalised_and_control_characters_dropped():
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Ánh")
    staff = [dict(STAFF[1], name=decomposed + "\x0b", note="a\x00b")]
    ws = build_list(units=[], staff=staff, findings=[])["Danh sách"]
    assert ws["B13"].value == "Nguyễn Thị Ánh"
    assert ws["L13"].value == "Đã có giải trình\nab"


# --- variants ----------------------------------------------------------------------

def test_commendation_list_columns():
    doc = make_doc(kind="commendation", subject="Tập thể, cá nhân đề nghị biểu dương")
    units = [dict(UNITS[1], score=Decimal("97.50"), content="Điểm trung bình 97,5 %",
                  form_name="Biểu dương", note=None)]
    ws = build_list(doc, units=units, staff=[], findings=[])["Danh sách"]
    headers = [c.value for c in ws[10]]
    assert len(headers) == 11
    assert "Thành tích tiêu biểu" in headers
    assert not any(h.startswith("Số tiêu chí không đạt") for h in headers)
    assert (ws["A12"].value, ws["B12"].value) == ("I", "TẬP THỂ")
    assert ws["F13"].value == 97.5
    assert ws["A15"].value == "Danh sách gồm 1 tập thể./."
    assert {"A1:D1", "E1:K1"} <= merged(ws)


def test_empty_group_is_left_out():
    ws = build_list(units=[], findings=[])["Danh sách"]
    assert (ws["A12"].value, ws["B12"].value) == ("I", "CÁ NHÂN")
    assert ws["A17"].value == "Danh sách gồm 3 cá nhân./."


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        write_list_workbook(make_doc(kind="praise"), [], [], [], io.BytesIO())


def test_writes_to_a_path(tmp_path):
    target = tmp_path / list_filename(make_doc())
    assert write_list_workbook(make_doc(), UNITS, STAFF, FINDINGS, target) == target
    assert load_workbook(target)["Danh sách"]["A6"].value == "DANH SÁCH"


# --- file names ----------------------------------------------------------------------

def test_file_names_say_what_they_are():
    doc = make_doc()
    assert list_filename(doc) == "Danh-sach-phe-binh-quy-IV-2026-125-TTr-SNV.xlsx"
    assert list_display_filename(doc) == "Danh sách phê bình quý IV-2026 (125-TTr-SNV).xlsx"
    assert list_filename(make_doc(kind="commendation", document_number=None)) == (
        "Danh-sach-bieu-duong-quy-IV-2026.xlsx")
    assert scores_filename(doc) == "Bang-diem-Bo-phan-Mot-cua-quy-IV-2026.xlsx"
    assert ascii_filename("Đơn vị Đắk Lắk.xlsx") == "Don-vi-Dak-Lak.xlsx"


def test_content_disposition_has_ascii_fallback_and_utf8_name():
    header = list_content_disposition(make_doc())
    assert header == (
        'attachment; filename="Danh-sach-phe-binh-quy-IV-2026-125-TTr-SNV.xlsx"; '
        "filename*=UTF-8''Danh%20s%C3%A1ch%20ph%C3%AA%20b%C3%ACnh%20qu%C3%BD%20IV-2026"
        "%20%28125-TTr-SNV%29.xlsx")
    assert header.isascii()
    assert scores_content_disposition(make_doc()).startswith(
        'attachment; filename="Bang-diem-Bo-phan-Mot-cua-quy-IV-2026.xlsx"; filename*=UTF-8''')
    assert content_disposition('a"b\\c.xlsx') == 'attachment; filename="a-b-c.xlsx"'
    assert content_disposition("report.xlsx") == 'attachment; filename="report.xlsx"'


# --- the scores workbook ---------------------------------------------------------------

SCORE_UNITS = [
    {"rank": 1, "name": "UBND phường Minh Xuân", "visits": 3, "mean_score": Decimal("97.25"),
     "critical": 0, "major": 0, "minor": 1},
    {"rank": 2, "name": "UBND xã Yên Sơn", "visits": 1250, "mean_score": Decimal("81.00"),
     "critical": 0, "major": 2, "minor": 4},
    {"rank": 3, "name": "UBND xã Thái Bình", "visits": 2, "mean_score": Decimal("68.50"),
     "critical": 1, "major": 2, "minor": 3},
]
SCORE_DESKS = [
    {"rank": 1, "name": "Bộ phận Một cửa phường Minh Xuân", "unit_name": "UBND phường Minh Xuân",
     "visits": 3, "mean_score": Decimal("97.25"), "critical": 0, "major": 0, "minor": 1},
    {"rank": 2, "name": "Bộ phận Một cửa xã Thái Bình", "unit_name": "UBND xã Thái Bình",
     "visits": 2, "mean_score": None, "critical": 0, "major": 0, "minor": 0},
]


def build_scores(units=SCORE_UNITS, desks=SCORE_DESKS, **options):
    doc = make_doc(document_number="130/BC-SNV", attached_to=None)
    buffer = write_scores_workbook(doc, iter(units), iter(desks), io.BytesIO(), **options)
    return load_workbook(io.BytesIO(buffer.getvalue()))


@pytest.fixture(scope="module")
def scores():
    return build_scores()


def test_scores_header_title_and_table(scores):
    ws = scores["Đơn vị"]
    assert (ws["A1"].value, ws["C1"].value) == ("ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG",
                                              "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    assert (ws["A2"].value, ws["C2"].value) == ("SỞ NỘI VỤ", "Độc lập - Tự do - Hạnh phúc")
    assert {"A1:B1", "C1:G1"} <= merged(ws)
    assert ws["A4"].value == "Số: 130/BC-SNV"
    assert ws["A6"].value == "BẢNG ĐIỂM ĐÁNH GIÁ BỘ PHẬN MỘT CỬA" and ws["A6"].font.b
    assert ws["A7"].value == "Quý IV/2026"
    assert [c.value for c in ws[9]][:5] == ["Hạng", "Đơn vị", "Số buổi kiểm tra đã duyệt",
                                            "Điểm trung bình", "Số lượt tiêu chí không đạt"]
    assert [c.value for c in ws[10]][4:7] == ["Nghiêm trọng", "Chính", "Nhỏ"]
    assert {"A9:A10", "B9:B10", "E9:G9", "I9:M9"} <= merged(ws)
    assert [c.value for c in ws[11]][:7] == [f"({i})" for i in range(1, 8)]
    assert ws.print_title_rows == "$9:$11"
    # Printed: text the Vietnamese way in every locale; numbers beside, outside the print.
    assert [c.value for c in ws[12]] == [1, "UBND phường Minh Xuân", "3", "97,2 %", "0", "0",
                                         "1", None, 97.25, 3, 0, 0, 1]
    assert ws["C13"].value == "1.250" and ws["J13"].value == 1250
    assert ws["D14"].value == "68,5 %" and ws["I14"].number_format == '0.0" %"'
    assert ws["I9"].value == "Số liệu để tính toán (không in)"
    assert ws.print_area == "'Đơn vị'!$A$1:$G$" + str(ws.max_row) or ws.print_area.endswith(
        f"$A$1:$G${ws.max_row}")
    assert ws["A16"].value == "Bảng điểm gồm 3 đơn vị./."
    start = find_row(ws, "Nơi nhận:")
    assert ws.cell(start, 3).value == "KT. GIÁM ĐỐC"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9


def test_scores_rows_are_as_tall_as_their_wrapped_text(scores):
    ws = scores["Đơn vị"]
    # "Nghiêm trọng" wraps in its column: its row holds two lines (issue 9: cut at 20 pt).
    assert ws.row_dimensions[10].height >= 2 * 12 * 1.2
    # The headers over both rows get the lines they need between the two.
    assert ws.row_dimensions[9].height + ws.row_dimensions[10].height >= 3 * 12 * 1.2
    one_line = ws.row_dimensions[12].height
    assert 15 <= one_line < 2 * 12 * 1.2
    long_name = "Ủy ban nhân dân xã " + " ".join(["Thượng Lâm Hồng Quang"] * 6)
    tall = build_scores(units=[dict(SCORE_UNITS[0], name=long_name)], desks=[])["Đơn vị"]
    assert tall.row_dimensions[12].height >= 3 * 12 * 1.2


def test_scores_tables_print_at_full_size(scores):
    """At most 100 width units printed: 714 pt of landscape A4 at LibreOffice's 7 pt a
    unit, so nothing is shrunk under 12 pt."""
    from inspect_api.exports.scores import DESK_COLUMNS, UNIT_COLUMNS

    assert sum(c.width for c in UNIT_COLUMNS) <= 100
    assert sum(c.width for c in DESK_COLUMNS) <= 100


def test_scores_page_numbers_top_centre_not_on_the_first_page(scores):
    for name in ("Đơn vị", "Bộ phận Một cửa", "Biểu đồ"):
        ws = scores[name]
        assert ws.oddHeader.center.text == "&P"
        assert not ws.oddFooter.center.text
        assert ws.HeaderFooter.differentFirst and not ws.firstHeader.center.text
        assert ws.page_setup.firstPageNumber == 1 and ws.page_setup.useFirstPageNumber


def test_scores_desk_sheet(scores):
    ws = scores["Bộ phận Một cửa"]
    assert ws["A1"].value == "BẢNG ĐIỂM CÁC BỘ PHẬN MỘT CỬA"
    assert [c.value for c in ws[4]][:5] == ["Hạng", "Bộ phận Một cửa", "Đơn vị",
                                            "Số buổi kiểm tra đã duyệt", "Điểm trung bình"]
    assert [c.value for c in ws[7]] == [1, "Bộ phận Một cửa phường Minh Xuân",
                                        "UBND phường Minh Xuân", "3", "97,2 %", "0", "0", "1",
                                        None, 97.25, 3, 0, 0, 1]
    assert ws["E8"].value is None and ws["J8"].value is None  # no score without a visit
    assert ws["A10"].value == "Gồm 2 Bộ phận Một cửa./."
    assert ws.print_title_rows == "$4:$6"


def test_scores_chart_draws_value_only_labels_in_times(scores):
    charts = scores["Biểu đồ"]._charts
    assert len(charts) == 1
    chart = charts[0]
    assert chart.tagname == "barChart" and chart.type == "bar"
    series = chart.series[0]
    assert series.val.numRef.f == "'Số liệu biểu đồ'!$B$2:$B$4"
    assert series.cat.strRef.f == "'Số liệu biểu đồ'!$A$2:$A$4"
    title = "".join(run.t for p in chart.title.tx.rich.p for run in p.r)
    assert title == "Điểm trung bình các đơn vị, quý IV/2026"
    labels = chart.dataLabels
    assert labels.showVal and not (labels.showSerName or labels.showCatName
                                   or labels.showLegendKey or labels.showPercent)
    assert labels.txPr.p[0].pPr.defRPr.latin.typeface == "Times New Roman"
    assert labels.txPr.p[0].pPr.defRPr.sz == 1200
    # Tenths with a literal comma: "97,2 %" in every locale.
    assert labels.numFmt == '0\\,0" %"'
    data = scores["Số liệu biểu đồ"]
    assert data.sheet_state == "hidden"
    assert [(r[0].value, r[1].value) for r in data.iter_rows(min_row=2)] == [
        ("UBND phường Minh Xuân", 972), ("UBND xã Yên Sơn", 810), ("UBND xã Thái Bình", 685)]
    assert data["B2"].number_format == '0\\,0" %"'


def test_scores_chart_stops_at_its_limit():
    chart = build_scores(chart_limit=2)["Biểu đồ"]._charts[0]
    assert chart.series[0].val.numRef.f == "'Số liệu biểu đồ'!$B$2:$B$3"
    title = "".join(run.t for p in chart.title.tx.rich.p for run in p.r)
    assert title.endswith("(2 đơn vị đầu bảng xếp hạng / 3)")


def test_scores_chart_takes_a_page_per_part():
    units = [dict(SCORE_UNITS[0], rank=i + 1, name=f"Ủy ban nhân dân xã Thượng Lâm Hồng Quang {i}")
             for i in range(60)]
    wb = build_scores(units=units, desks=[])
    sheets = [name for name in wb.sheetnames if name.startswith("Biểu đồ")]
    assert len(sheets) >= 2
    refs = [wb[name]._charts[0].series[0].val.numRef.f for name in sheets]
    rows = [tuple(int(n) for n in re.findall(r"\$B\$(\d+)", ref)) for ref in refs]
    assert rows[0][0] == 2 and rows[-1][1] == 61
    assert all(a[1] + 1 == b[0] for a, b in itertools.pairwise(rows))
    assert all(wb[name]._charts[0].height <= 24 for name in sheets)


def test_scores_without_units_has_no_chart():
    wb = build_scores(units=[], desks=[])
    assert "Biểu đồ" not in wb.sheetnames
    assert wb["Đơn vị"]["A13"].value == "Bảng điểm gồm 0 đơn vị./."


# --- memory --------------------------------------------------------------------------

def _staff_rows(count):
    for i in range(count):
        yield dict(STAFF[0], name=f"Nguyễn Văn {i}", note=f"Ghi chú {i}")


def _peak_bytes(count):
    tracemalloc.start()
    try:
        with tempfile.TemporaryFile() as target:
            write_list_workbook(make_doc(), [], _staff_rows(count), [], target)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_as_rows_grow():
    small, large = _peak_bytes(500), _peak_bytes(4000)
    assert large < small * 1.5, (small, large)


def test_overlong_or_foreign_urls_stay_text():
    long_url = "https://x.vn/" + "a" * 2100
    findings = [dict(FINDINGS[0], evidence=[long_url]),
                dict(FINDINGS[0], evidence=["file:///etc/passwd"])]
    ws = build_list(findings=findings)["Chi tiết, minh chứng"]
    assert ws["L6"].hyperlink is None and ws["L6"].value == long_url
    assert ws["L7"].hyperlink is None and ws["L7"].value == "file:///etc/passwd"

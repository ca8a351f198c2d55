"""The scores workbook, opened with openpyxl and read cell by cell as a leader reads it:
header, title, table, totals, signature, page setup; and the file names of the exports.
(The list attachment's workbook: tests/unit/test_list_workbook.py.)"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

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


def merged(ws) -> set[str]:
    return {str(r) for r in ws.merged_cells.ranges}


def find_row(ws, text, column=1):
    for row in ws.iter_rows(min_col=column, max_col=column):
        if row[0].value == text:
            return row[0].row
    raise AssertionError(f"{text!r} not found in column {column}")


# --- file names ----------------------------------------------------------------------

def test_file_names_say_what_they_are():
    doc = make_doc()
    assert scores_filename(doc) == "Bang-diem-Bo-phan-Mot-cua-quy-IV-2026.xlsx"
    assert ascii_filename("Đơn vị Đắk Lắk.xlsx") == "Don-vi-Dak-Lak.xlsx"


def test_content_disposition_has_ascii_fallback_and_utf8_name():
    header = content_disposition("Danh sách phê bình quý IV/2026 (125/TTr-SNV).xlsx")
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
    assert [c.value for c in ws[10]][4:] == ["Nghiêm trọng", "Chính", "Nhỏ"]
    assert {"A9:A10", "B9:B10", "E9:G9"} <= merged(ws)
    assert [c.value for c in ws[11]] == [f"({i})" for i in range(1, 8)]
    assert ws.print_title_rows == "$9:$11"
    assert [c.value for c in ws[12]] == [1, "UBND phường Minh Xuân", 3, 97.25, 0, 0, 1]
    assert ws["C13"].value == 1250 and ws["C13"].number_format == "#,##0"
    assert ws["D14"].value == 68.5 and ws["D14"].number_format == '0.0" %"'
    assert ws["A16"].value == "Bảng điểm gồm 3 đơn vị./."
    start = find_row(ws, "Nơi nhận:")
    assert ws.cell(start, 3).value == "KT. GIÁM ĐỐC"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9


def test_scores_desk_sheet(scores):
    ws = scores["Bộ phận Một cửa"]
    assert ws["A1"].value == "BẢNG ĐIỂM CÁC BỘ PHẬN MỘT CỬA"
    assert [c.value for c in ws[4]][:5] == ["Hạng", "Bộ phận Một cửa", "Đơn vị",
                                            "Số buổi kiểm tra đã duyệt", "Điểm trung bình"]
    assert [c.value for c in ws[7]] == [1, "Bộ phận Một cửa phường Minh Xuân",
                                        "UBND phường Minh Xuân", 3, 97.25, 0, 0, 1]
    assert ws["E8"].value is None  # no score without an approved visit
    assert ws["A10"].value == "Gồm 2 Bộ phận Một cửa./."
    assert ws.print_title_rows == "$4:$6"


def test_scores_chart_reads_the_unit_table(scores):
    charts = scores["Biểu đồ"]._charts
    assert len(charts) == 1
    chart = charts[0]
    assert chart.tagname == "barChart" and chart.type == "bar"
    series = chart.series[0]
    assert series.val.numRef.f == "'Đơn vị'!$D$12:$D$14"
    assert series.cat.strRef.f == "'Đơn vị'!$B$12:$B$14"
    title = "".join(run.t for p in chart.title.tx.rich.p for run in p.r)
    assert title == "Điểm trung bình các đơn vị, quý IV/2026"


def test_scores_chart_stops_at_its_limit():
    chart = build_scores(chart_limit=2)["Biểu đồ"]._charts[0]
    assert chart.series[0].val.numRef.f == "'Đơn vị'!$D$12:$D$13"
    title = "".join(run.t for p in chart.title.tx.rich.p for run in p.r)
    assert title.endswith("(2 đơn vị đầu bảng xếp hạng / 3)")


def test_scores_without_units_has_no_chart():
    wb = build_scores(units=[], desks=[])
    assert "Biểu đồ" not in wb.sheetnames
    assert wb["Đơn vị"]["A13"].value == "Bảng điểm gồm 0 đơn vị./."

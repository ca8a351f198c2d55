"""The visit minutes (Biên bản kiểm tra) as PDF, read back the way a clerk reads paper:
A4 pages, numbers from page 2 at the top, sizes, embedded fonts, Vietnamese intact, rows
that do not print over each other, and the photos behind each failure."""

from __future__ import annotations

import io
import itertools
import unicodedata
import uuid

import pdfplumber
import pytest
from pypdf import PdfReader

from inspect_api.db import db
from inspect_api.documents.render import vn_date, vn_number, vn_percent
from inspect_api.org.models import Staff
from tests.api.review_support import CRITERIA, Flow

# Reads what a reader or a client sees, built by the services the API tests run on both
# databases: `make test` runs it in the SQLite pass only (pyproject.toml, marker `once`).
pytestmark = pytest.mark.once

API = "/api/v1"
A4 = (595.28, 841.89)  # points
LONG_NAME = "Nguyễn Thị Hồng Nhung Phượng Khuê Tôn Nữ Diễm Thương"
LONG_NOTE = ("Công chức không đeo thẻ, không mặc đồng phục; người dân phải chờ hơn ba mươi phút "
             "mà không được hướng dẫn, phiếu hẹn ghi sai ngày trả kết quả, sổ theo dõi hồ sơ "
             "không cập nhật từ đầu tháng.")
FAILED = ("CON-01", "CON-02", "CON-05", "CON-06", "PUB-01", "FAC-02", "DIG-04")


@pytest.fixture
def minutes(app, client, demo, login):
    flow = Flow(client, demo, login)
    unit = "TQ-TANTRAO"
    staff_id = flow.staff(unit)
    with app.app_context():
        db.session.get(Staff, staff_id).full_name = LONG_NAME
        db.session.commit()
    answers = {code: {"result": "fail", "note": LONG_NOTE} for code in FAILED}
    for code in FAILED:
        if CRITERIA[code]["subject"] == "staff":
            answers[code]["staff_id"] = staff_id
    made = flow.visit(unit, "2026-11-03", answers, photos=FAILED)
    response = client.get(f"{API}/visits/{made.id}/minutes.pdf", headers=login("reviewer1"))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    return response.data


def _rows_overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] - 0.5 and b[0] < a[1] - 0.5


def test_rendering_leaves_pillow_strict(minutes):
    """WeasyPrint's import sets LOAD_TRUNCATED_IMAGES for the whole process; the photo
    upload relies on Pillow refusing a truncated JPEG."""
    from PIL import ImageFile

    assert minutes.startswith(b"%PDF-")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_the_minutes_read_as_a_clerk_reads_them(minutes):
    with pdfplumber.open(io.BytesIO(minutes)) as pdf:
        pages = pdf.pages
        assert len(pages) >= 2
        for page in pages:
            assert (round(page.width, 0), round(page.height, 0)) == (round(A4[0]), round(A4[1]))
        # Page numbers: none on page 1, "2" centred in the top margin of page 2.
        top_margin = 20 / 25.4 * 72
        def header_text(page):
            return "".join(c["text"] for c in page.chars if c["top"] < top_margin).strip()
        assert header_text(pages[0]) == ""
        assert header_text(pages[1]) == "2"
        number = [c for c in pages[1].chars if c["top"] < top_margin]
        centre = (number[0]["x0"] + number[-1]["x1"]) / 2
        body_centre = (30 + (210 - 15)) / 2 / 25.4 * 72
        assert abs(centre - body_centre) < 3
        text = unicodedata.normalize("NFC", "\n".join(page.extract_text() for page in pages))
        body_sizes: list[float] = []
        # Cell by cell, lines joined: what a wrapped cell reads as.
        cells = {unicodedata.normalize("NFC", " ".join(cell.split()))
                 for page in pages for table in page.extract_tables() for row in table
                 for cell in row if cell}
        for page in pages:
            sizes = [c["size"] for c in page.chars if c["text"].strip()]
            assert min(sizes) >= 12 - 0.01
            # Rows of the findings table: the text inside each rectangle-bounded cell
            # of one row never reaches into the next.
            for table in page.find_tables():
                spans = [(row.bbox[1], row.bbox[3]) for row in table.rows]
                for upper, lower in itertools.pairwise(spans):
                    assert not _rows_overlap(upper, lower)
                for row in table.rows:
                    inside = [c for c in page.chars
                              if row.bbox[1] <= (c["top"] + c["bottom"]) / 2 <= row.bbox[3]
                              and row.bbox[0] <= c["x0"] <= row.bbox[2]]
                    assert all(row.bbox[1] - 1 <= c["top"] and c["bottom"] <= row.bbox[3] + 1
                               for c in inside)
                    assert all(c["size"] >= 12 - 0.01 for c in inside)
            # Body text, outside the tables: at least 13 pt.
            boxes = [t.bbox for t in page.find_tables()]
            body_sizes += [c["size"] for c in page.chars if c["text"].strip() and c["top"] >= top_margin
                           and not any(b[0] <= c["x0"] <= b[2] and b[1] <= c["top"] <= b[3]
                                       for b in boxes)]
        assert body_sizes and min(body_sizes) >= 13 - 0.01
        images = sum(len(page.images) for page in pages)
    # Diacritics intact: the data's strings come back exactly (NFC), names not split.
    for expected in (LONG_NAME, "BIÊN BẢN KIỂM TRA", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                     "Độc lập - Tự do - Hạnh phúc", "Biên bản được lập thành 02 bản, mỗi bên giữ 01 bản",
                     "ĐẠI DIỆN ĐƠN VỊ ĐƯỢC KIỂM TRA", "TRƯỞNG ĐOÀN KIỂM TRA", "03/11/2026",
                     # The demo plan is the province's: its Sở Nội vụ under the UBND tỉnh
                     # (the header's first line wraps beside the motto).
                     "ỦY BAN NHÂN DÂN TỈNH", "TUYÊN QUANG", "SỞ NỘI VỤ"):
        assert expected in text.replace("\n", " "), expected
    assert "người dân phải chờ hơn ba mươi phút" in text.replace("\n", " ")
    # The official concerned, in the row of each of their failures.
    staff_failures = [code for code in FAILED if CRITERIA[code]["subject"] == "staff"]
    assert staff_failures and LONG_NAME in cells, sorted(cells)[:20]
    # One thumbnail per failure with a photo.
    assert images == len(FAILED)
    # Every font embedded (a FontFile stream in each descriptor).
    reader = PdfReader(io.BytesIO(minutes))
    fonts = {}
    for page in reader.pages:
        for reference in page["/Resources"]["/Font"].values():
            font = reference.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target["/FontDescriptor"].get_object()
            fonts[str(target["/BaseFont"])] = any(
                key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts and all(fonts.values()), fonts
    assert all("TeX-Gyre-Termes" in name for name in fonts), fonts


def test_a_draft_has_no_minutes_and_outsiders_see_none(client, demo, login):
    flow = Flow(client, demo, login)
    draft = flow.visit("TQ-TANTRAO", "2026-11-04", submit=False)
    response = client.get(f"{API}/visits/{draft.id}/minutes.pdf", headers=login("reviewer1"))
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert "chưa được gửi duyệt" in response.get_json()["detail"]
    submitted = flow.visit("TQ-TANTRAO", "2026-11-05")
    response = client.get(f"{API}/visits/{submitted.id}/minutes.pdf", headers=login("leader1"))
    assert response.status_code == 404  # leaders see approved visits only, as GET /visits/{id}
    response = client.get(f"{API}/visits/00000000-0000-4000-8000-000000000000/minutes.pdf",
                          headers=login("reviewer1"))
    assert response.status_code == 404


def test_numbers_and_dates_read_the_vietnamese_way():
    import datetime as dt

    assert vn_date(dt.date(2026, 2, 5)) == "05/02/2026"
    assert vn_percent(98.5) == "98,5 %"
    assert vn_percent(100) == "100 %"
    assert vn_number(3450) == "3.450"
    assert vn_number(1234.56, 2) == "1.234,56"


def test_a_photo_gone_from_the_store_is_said_not_fatal(app, client, demo, login):
    from inspect_api.evidence.models import Evidence
    from inspect_api.storage import get_store

    flow = Flow(client, demo, login)
    made = flow.visit("TQ-TANTRAO", "2026-11-06", {"CON-01": "fail", "PUB-01": "fail"},
                      photos=("CON-01", "PUB-01"))
    with app.app_context():
        evidence = db.session.get(Evidence, uuid.UUID(made.evidence["CON-01"]))
        get_store().delete(evidence.thumbnail_key)
        get_store().delete(evidence.object_key)  # else the thumbnail is made again from it
    response = client.get(f"{API}/visits/{made.id}/minutes.pdf", headers=login("reviewer1"))
    assert response.status_code == 200
    with pdfplumber.open(io.BytesIO(response.data)) as pdf:
        cells = " | ".join(" ".join(cell.split()) for page in pdf.pages
                           for table in page.extract_tables() for row in table for cell in row if cell)
        images = sum(len(page.images) for page in pdf.pages)
    assert "(Ảnh minh chứng không còn trong kho lưu trữ.)" in unicodedata.normalize("NFC", cells)
    assert images == 1

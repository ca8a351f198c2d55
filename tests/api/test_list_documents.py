"""The list attachment on paper: a frozen criticism list and a frozen commendation list of
the demo province, exported as PDF and as Excel over the API, the workbook printed
through LibreOffice, and every PDF read back as a provincial office would read it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from inspect_api.db import db
from inspect_api.evidence.models import Evidence
from tests.api.list_documents_support import LONG_NOTE, make_quarter
from tests.api.review_support import Flow
from tests.conftest import Demo, logins, empty_database, restore_seed
from tests.paper import MM, Paper, normal, soffice_pdf

# Reads what a reader or a client sees, built by the services the API tests run on both
# databases: `make test` runs it in the SQLite pass only (pyproject.toml, marker `once`).
pytestmark = pytest.mark.once

API = "/api/v1"


@pytest.fixture(scope="module")
def printed(app, seed_snapshot, tmp_path_factory):
    """Both lists, each as PDF and as .xlsx printed by LibreOffice, rendered once."""
    empty_database(app)
    restore_seed(app, seed_snapshot)
    client = app.test_client()
    login = logins(client)

    flow = Flow(client, Demo(app), login)
    quarter = make_quarter(app, flow)
    out = tmp_path_factory.mktemp("lists")
    documents = {}
    for kind, list_id in (("criticism", quarter.criticism_id), ("commendation", quarter.commendation_id)):
        frozen = client.get(f"{API}/reports/lists/{list_id}", headers=login("leader1")).get_json()
        pdf = client.get(f"{API}/reports/lists/{list_id}/export?format=pdf", headers=login("leader1"))
        assert pdf.status_code == 200, pdf.get_data(as_text=True)[:300]
        assert pdf.mimetype == "application/pdf"
        xlsx = client.get(f"{API}/reports/lists/{list_id}/export", headers=login("reviewer1"))
        assert xlsx.status_code == 200, xlsx.get_data(as_text=True)[:300]
        assert xlsx.mimetype.endswith("spreadsheetml.sheet")
        assert "attachment" in pdf.headers["Content-Disposition"]
        assert pdf.headers["Content-Disposition"].split(";")[1].strip().endswith('.pdf"')
        book = out / f"{kind}.xlsx"
        book.write_bytes(xlsx.data)
        evidence_ids = [e for entry in frozen["entries"] for f in entry["findings"] for e in f["evidence"]]
        with app.app_context():
            sha = {str(e.id): e.sha256 for e in db.session.query(Evidence).all()}
        documents[kind] = {
            "frozen": frozen,
            "pdf": Paper(pdf.data),
            "xlsx": Paper(soffice_pdf(book, out)),
            "photos": [(e, sha[e]) for e in evidence_ids],
        }
    bad = client.get(f"{API}/reports/lists/{quarter.criticism_id}/export?format=doc", headers=login("leader1"))
    documents["bad_format_status"] = bad.status_code
    documents["quarter"] = quarter
    return documents


FORMATS = ("pdf", "xlsx")


def list_pages(paper: Paper) -> list:
    """The pages of the list itself (the detail part starts on its own page)."""
    pages = []
    for page in paper.pages:
        if "CHI TIẾT KẾT QUẢ KIỂM TRA" in page.text:
            break
        pages.append(page)
    return pages


def detail_pages(paper: Paper) -> list:
    return paper.pages[len(list_pages(paper)):]


def test_a_bad_format_is_refused_with_422(printed):
    assert printed["bad_format_status"] == 422


@pytest.mark.parametrize("kind", ["criticism", "commendation"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_the_paper_is_a4_numbered_from_page_2_with_fonts_embedded(printed, kind, fmt):
    paper: Paper = printed[kind][fmt]
    assert paper.not_a4() == []
    assert paper.fonts_not_embedded() == set()
    # The PDF is one document: no number on page 1, then 2, 3, … In the workbook each
    # sheet is numbered on its own from 1.
    parts = [paper.pages] if fmt == "pdf" else [list_pages(paper), detail_pages(paper)]
    assert len(paper.pages) >= 2
    for part in parts:
        assert part
        assert paper.header_text(part[0]) == ""
        assert [paper.header_text(page) for page in part[1:]] == [str(i) for i in range(2, len(part) + 1)]
        for page in part[1:]:
            assert paper.header_centre_offset(page) < 6


@pytest.mark.parametrize("kind", ["criticism", "commendation"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_no_row_prints_over_another_and_type_is_at_least_12_pt(printed, kind, fmt):
    paper: Paper = printed[kind][fmt]
    assert paper.text_across_rules() == []
    assert paper.overlapping_words() == []
    assert paper.smallest() >= 11.9  # tables 12 pt, as printed (no shrinking to fit)
    # Body text (outside the tables: title, Kèm theo line, totals, remarks) at 13 pt.
    # (The header block above the title: bodies and motto 12-13 pt, NĐ 30/2020.)
    title = min(w["top"] for w in paper.pages[0].words if w["text"] == "DANH")
    body = [c["size"] for page in paper.pages for c in page.chars
            if c["text"].strip() and c["top"] > 20 * MM and not _in_table(page, c)
            and not (page.number == 1 and c["top"] < title - 1)]
    assert body and min(body) >= 12.9
    assert paper.smallest(lambda c: c["top"] < title) >= 11.9


def _in_table(page, char) -> bool:
    return any(y0 - 1 <= char["top"] <= y1 + 1 for y0, y1 in _table_spans(page))


def _table_spans(page):
    # A table's borders (drawn cell by cell) run across most of the page; the header's
    # short rules do not.
    lengths: dict[int, float] = {}
    for y, x0, x1 in page.rules:
        lengths[round(y)] = lengths.get(round(y), 0) + x1 - x0
    ys = sorted(y for y, length in lengths.items() if length > page.width / 2)
    return [(ys[0], ys[-1])] if ys else []


@pytest.mark.parametrize("kind", ["criticism", "commendation"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_the_attachment_reads_as_signed(printed, kind, fmt):
    paper: Paper = printed[kind][fmt]
    frozen = printed[kind]["frozen"]
    text = paper.text
    assert "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG" in text and "SỞ NỘI VỤ" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert "DANH SÁCH" in text and normal(frozen["title"]) in text
    number = frozen["document_number"]
    assert f"(Kèm theo Tờ trình số {number} ngày 05 tháng 01 năm 2027 của Sở Nội vụ)" in text
    # An attachment: no number and no Nơi nhận of its own.
    assert "Số:" not in text and "Nơi nhận" not in text
    units = sum(1 for e in frozen["entries"] if e["entry_type"] == "unit")
    staff = len(frozen["entries"]) - units
    assert f"Danh sách gồm {units} tập thể, {staff} cá nhân./." in text
    # Groups: the numeral in the STT column, the label across the rest.
    assert "I | TẬP THỂ" in paper.cell_text() and "II | CÁ NHÂN" in paper.cell_text()
    assert "(1)" in paper.cell_text() and "(9)" in paper.cell_text()
    # Every name exactly as written, diacritics intact, each in its own cell.
    cells = paper.cells()
    for entry in frozen["entries"]:
        assert normal(entry["name"]) in cells, entry["name"]
        # (A PDF cell may break "80/2025/QH15" after a slash: compared without spaces.)
        assert re.sub(r"\s+", "", entry["form_legal_basis"]) in " ".join(paper.squeezed_cells())
    # Scores read "98,5 %" whatever the locale; never "98.5 %".
    assert not re.search(r"\d\.\d+ ?%", text)
    # The signature only on a list frozen with attachment_signed (the commendation here).
    signed = "Phạm Thị Hòa" in text and "PHÓ GIÁM ĐỐC" in text
    assert signed == (kind == "commendation")


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_criticism_list_says_each_explanation_once(printed, fmt):
    paper: Paper = printed["criticism"][fmt]
    quarter = printed["quarter"]
    rows: dict = {}
    for row in paper.rows():  # the list's row, not the detail's rows of the same name
        if len(row) == 9:
            rows.setdefault(row[1], row)
    pending, received = rows[normal(quarter.pending)], rows[normal(quarter.received)]
    assert pending[8].count("Chờ giải trình") == 1
    assert pending[6] == "Phê bình"  # never a discipline proposal while it is pending
    assert received[8].count("Đã có giải trình") == 1
    assert received[6].startswith("Đề nghị xem xét xử lý kỷ luật")
    assert "Có 1 cá nhân đang chờ giải trình" in paper.text


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_criticism_detail_lists_every_finding_and_photo(printed, fmt):
    paper: Paper = printed["criticism"][fmt]
    frozen = printed["criticism"]["frozen"]
    findings = sum(len(e["findings"]) for e in frozen["entries"])
    photos = printed["criticism"]["photos"]
    assert findings > 20 and photos
    assert f"Tổng số: {findings} kết quả kiểm tra không đạt, {len(photos)} ảnh minh chứng./." in paper.text
    numbered = [row for page in detail_pages(paper) for table in page.tables for row in table
                if row and row[0].isdigit()]
    assert [int(row[0]) for row in numbered] == list(range(1, findings + 1))
    squeezed = " ".join(paper.squeezed_cells())
    for evidence_id, sha256 in photos:
        assert f"{evidence_id}.jpg(SHA-256:{sha256[:12]})" in squeezed
    assert "/api/v1/evidence" not in paper.text  # no links a printed page cannot open
    assert normal(LONG_NOTE) in paper.cell_text()


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_commendation_names_who_awards_and_lists_the_visits(printed, fmt):
    paper: Paper = printed["commendation"][fmt]
    quarter = printed["quarter"]
    assert f"Đề nghị tặng Giấy khen của {quarter.award_authority}" in paper.cell_text()
    frozen = printed["commendation"]["frozen"]
    assert "Luật Thi đua, khen thưởng 2022" in paper.cell_text()
    # Every commended entry has its approved visits (date, desk) in the detail.
    details = [row for page in detail_pages(paper) for table in page.tables for row in table
               if row and row[0].isdigit()]
    assert {row[1] for row in details} == {normal(e["name"]) for e in frozen["entries"]}
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4}", row[2]) for row in details)
    assert f"Tổng số: {len(details)} buổi kiểm tra đã duyệt" in paper.text


def test_outputs_for_a_person_to_look_at(printed, tmp_path_factory):
    """Keep the PDFs where a person can open them after the run (PAPER_DIR)."""
    import os

    target = os.environ.get("PAPER_DIR")
    if not target:
        pytest.skip("set PAPER_DIR to keep the rendered PDFs")
    for kind in ("criticism", "commendation"):
        for fmt in FORMATS:
            (Path(target) / f"list-{kind}-{fmt}.pdf").write_bytes(printed[kind][fmt].pdf)

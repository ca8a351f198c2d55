"""The scores on paper: the PDF as produced and the workbook as LibreOffice prints it,
from the demo data (`flask seed demo`, over HTTP) and from 40 units with long names,
read back as a provincial office reads them (tests/paper.py)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from inspect_api.documents.chart import BAR_FILL, BAR_FILL_LOW
from inspect_api.documents.render import vn_percent
from inspect_api.documents.scores import scores_pdf
from inspect_api.exports.scores import write_scores_workbook
from tests.conftest import DEMO_PASSWORD, empty_database
from tests.paper import Paper, normal, soffice_pdf

# Reads what a reader or a client sees, built by the services the API tests run on both
# databases: `make test` runs it in the SQLite pass only (pyproject.toml, marker `once`).
pytestmark = pytest.mark.once

API = "/api/v1"
Q4 = "from=2026-10-01&to=2026-12-31"
RECIPIENTS = ["UBND tỉnh (b/c);", "Các sở, ban, ngành;", "UBND các xã, phường;"]
DOC = {
    "supervising_body": "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG", "issuing_body": "SỞ NỘI VỤ",
    "place": "Tuyên Quang", "document_number": None, "document_date": None,
    "signer_title": "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC", "signer_name": None,
    "recipients": RECIPIENTS, "archive": "Lưu: VT, TTr.", "period_label": "quý IV/2026",
}
COMMUNES = ["Thượng Lâm", "Hồng Quang", "Nghĩa Hưng", "Phúc Ứng", "Đồng Quý", "Khuôn Hà",
            "Yên Nguyên", "Xuân Vân", "Trung Hà", "Lăng Quán"]
# What the value labels read, and nothing else ("98,5 %", "100 %").
VALUE = re.compile(r"^\d{1,3}(,\d)?$")


def long_units(count: int = 40) -> tuple[list[dict], list[dict]]:
    units, desks = [], []
    for i in range(count):
        name = (f"Ủy ban nhân dân xã {COMMUNES[i % 10]} {COMMUNES[(i * 3 + 1) % 10]} "
                f"khu vực số {i + 1}")
        score = Decimal(100) - Decimal("1.35") * i
        row = {"rank": i + 1, "name": name, "visits": 1250 if i == 0 else i % 4 + 1,
               "mean_score": score, "critical": i % 3, "major": i % 4, "minor": i % 5}
        units.append(row)
        desks.append(dict(row, name=f"Bộ phận Một cửa {name}", unit_name=name))
    return units, desks


@pytest.fixture(scope="module")
def demo_files(app, tmp_path_factory):
    """The demo's scores over HTTP as a leader downloads them: JSON, PDF, workbook."""
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    try:
        client = app.test_client()
        token = client.post(f"{API}/auth/login", json={"username": "leader1",
                                                       "password": DEMO_PASSWORD})
        headers = {"Authorization": f"Bearer {token.get_json()['access_token']}"}
        data = client.get(f"{API}/reports/scores?{Q4}", headers=headers).get_json()
        pdf = client.get(f"{API}/reports/scores/export?format=pdf&{Q4}", headers=headers)
        same = client.get(f"{API}/reports/scores?format=pdf&{Q4}", headers=headers)
        xlsx = client.get(f"{API}/reports/scores/export?format=xlsx&{Q4}", headers=headers)
        bad = client.get(f"{API}/reports/scores/export?format=docx&{Q4}", headers=headers)
    finally:
        empty_database(app)
    path = tmp_path_factory.mktemp("scores-demo") / "scores.xlsx"
    path.write_bytes(xlsx.data)
    return {"data": data, "pdf": pdf, "same": same, "xlsx": xlsx, "bad": bad,
            "printed": Paper(soffice_pdf(path))}


@pytest.fixture(scope="module")
def long_files(tmp_path_factory):
    units, desks = long_units()
    pdf = scores_pdf(DOC, units, desks, criticism_below=70, commendation_from=95)
    path: Path = tmp_path_factory.mktemp("scores-40") / "scores.xlsx"
    write_scores_workbook(DOC, units, desks, path)
    return {"units": units, "pdf": Paper(pdf), "printed": Paper(soffice_pdf(path))}


def check_paper(paper: Paper, names: list[str], *, body: float) -> None:
    """What every printed document must pass (issue 9, item 5)."""
    assert paper.not_a4() == []
    first, second = paper.pages[0], paper.pages[1]
    assert paper.header_text(first) == ""
    assert paper.header_text(second) == "2"
    assert paper.header_centre_offset(second) < 4
    # Nothing under 12 pt, nor under the body size outside the tables, but the Nơi nhận
    # block (NĐ 30/2020: its head in 12 pt, its lines in 11).
    small = "".join(c["text"] for p in paper.pages for c in p.chars if c["text"].strip()
                    and (c["size"] < 12 - 0.05 or (c["size"] < body - 0.05 and not paper.in_table(c))))
    expected = "Nơi nhận:" + "".join(f"-{line}" for line in [*RECIPIENTS, "Lưu: VT, TTr."])
    # As characters: LibreOffice's PDF gives some combining marks out of order.
    assert not Counter(small.replace(" ", "")) - Counter(expected.replace(" ", "")), small
    assert paper.overlapping_words() == []
    assert paper.text_across_rules() == []
    assert paper.fonts_not_embedded() == set()
    cells = set(paper.cells())
    missing = [name for name in names if normal(name) not in cells]
    assert missing == [], missing[:3]


def chart_pages(paper: Paper):
    return [page for page in paper.pages if bar_rects(page)]


def bar_rects(page) -> list[dict]:
    colours = {_rgb(BAR_FILL), _rgb(BAR_FILL_LOW)}
    return [r for r in page.rects if r.get("fill") and
            tuple(round(v, 2) for v in (r.get("non_stroking_color") or ())) in colours]


def _rgb(hex_colour: str) -> tuple[float, ...]:
    return tuple(round(int(hex_colour[i:i + 2], 16) / 255, 2) for i in (1, 3, 5))


# --- the demo, over HTTP ------------------------------------------------------------

def test_the_demo_scores_as_pdf_and_workbook_over_http(demo_files):
    pdf, xlsx = demo_files["pdf"], demo_files["xlsx"]
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF-")
    assert "Bang-diem-Bo-phan-Mot-cua-quy-IV-2026.pdf" in pdf.headers["Content-Disposition"]
    assert demo_files["same"].status_code == 200 and demo_files["same"].mimetype == "application/pdf"
    assert xlsx.status_code == 200 and xlsx.data.startswith(b"PK")
    bad = demo_files["bad"]
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"


def test_the_demo_pdf_reads_as_a_clerk_reads_it(demo_files):
    units = [u for u in demo_files["data"]["units"]]
    scored = [u for u in units if u["mean_score"] is not None]
    assert len(scored) >= 2
    paper = Paper(demo_files["pdf"].data)
    # The demo is short: one page, so no page number to look for; the rest as always.
    assert paper.not_a4() == [] and paper.header_text(paper.pages[0]) == ""
    assert paper.overlapping_words() == [] and paper.fonts_not_embedded() == set()
    cells = set(paper.cells())
    assert [u["name"] for u in units if normal(u["name"]) not in cells] == []
    assert [d["name"] for d in demo_files["data"]["desks"] if normal(d["name"]) not in cells] == []
    for unit in scored:
        assert vn_percent(unit["mean_score"]) in paper.text
    rects = [r for page in paper.pages for r in bar_rects(page)]
    assert len(rects) == len(scored)


def test_the_demo_workbook_prints(demo_files):
    printed = demo_files["printed"]
    assert printed.not_a4() == [] and printed.header_text(printed.pages[0]) == ""
    assert printed.overlapping_words() == [] and printed.text_across_rules() == []
    assert min(printed.sizes()) >= 11 - 0.05
    cells = set(printed.cells())
    assert [u["name"] for u in demo_files["data"]["units"] if normal(u["name"]) not in cells] == []
    # The scores printed the Vietnamese way, as text: the same in every locale.
    for unit in demo_files["data"]["units"]:
        if unit["mean_score"] is not None:
            assert vn_percent(unit["mean_score"]) in cells


# --- 40 units with long names ---------------------------------------------------------

def test_forty_units_pdf_on_paper(long_files):
    paper, units = long_files["pdf"], long_files["units"]
    check_paper(paper, [u["name"] for u in units], body=13)
    # The header on every page of the tables.
    assert paper.cells().count("Số lượt tiêu chí không đạt") >= 4


def test_forty_units_pdf_chart_is_vector_with_values_only(long_files):
    paper, units = long_files["pdf"], long_files["units"]
    pages = chart_pages(paper)
    assert pages
    # One filled rectangle a unit: the bars are vectors, not a picture.
    assert sum(len(bar_rects(page)) for page in pages) == len(units)
    plot = []
    for page in pages:
        bars = bar_rects(page)
        if not bars:
            continue
        axis = min(r["x0"] for r in bars)
        top, bottom = min(r["top"] for r in bars), max(r["bottom"] for r in bars)
        # Beside and on the bars: values only (no unit or series name).
        plot += [w["text"] for w in page.words if w["x0"] > axis and top - 2 <= w["top"] <= bottom]
        # Left of the axis: each name, whole, line after line.
        names = normal(" ".join(w["text"] for w in sorted(
            (w for w in page.words if w["x1"] <= axis and top - 8 <= w["top"] <= bottom + 8),
            key=lambda w: (round(w["top"]), w["x0"]))))
        for bar_unit in units:
            if normal(bar_unit["name"]) in names:
                bar_unit["charted"] = True
    assert plot and all(VALUE.match(text) or text == "%" for text in plot), plot[:20]
    assert all(u.get("charted") for u in units), [u["name"] for u in units if not u.get("charted")][:3]
    values = " ".join(plot)
    for unit in units:
        assert vn_percent(unit["mean_score"]).replace(" %", "") in values
    # The thresholds: criticism and commendation, drawn and named.
    text = " ".join(page.text for page in pages)
    assert "Phê bình 70 %" in text and "Biểu dương 95 %" in text


def test_forty_units_workbook_on_paper(long_files):
    printed, units = long_files["printed"], long_files["units"]
    check_paper(printed, [u["name"] for u in units], body=12)
    # Each sheet numbered from 1: the desk sheet's first page has no number, its second "2".
    desk_first = next(i for i, p in enumerate(printed.pages) if "BẢNG ĐIỂM CÁC BỘ PHẬN" in p.text)
    assert printed.header_text(printed.pages[desk_first]) == ""
    assert printed.header_text(printed.pages[desk_first + 1]) == "2"
    # The failures sub-header whole, not cut by its row.
    assert any("Nghiêm trọng" in cell for cell in printed.cells())
    assert "1.250" in set(printed.cells())


def test_forty_units_workbook_chart_labels_read_the_value_only(long_files):
    printed, units = long_files["printed"], long_files["units"]
    pages = [p for p in printed.pages if "Điểm trung bình các đơn vị" in p.text]
    assert len(pages) >= 2  # 40 long names: more than one page, never one cut in two
    text = " ".join(p.text for p in pages)
    labels = re.findall(r"\d{1,3},\d %", text)
    expected = [f"{u['mean_score']:.1f}".replace(".", ",") + " %" for u in units]
    # Every bar's value "98,7 %" (decimal comma whatever LibreOffice's locale), plus the
    # axis's three ticks on each chart.
    assert sorted(labels) == sorted(expected + ["0,0 %", "50,0 %", "100,0 %"] * len(pages))
    assert not re.search(r"\d\.\d", text)  # no English decimals anywhere
    assert "Điểm trung bình các đơn vị" in text
    assert text.count("Điểm trung bình") == len(pages)  # the title only: no series name
    assert all(p.width < p.height for p in pages)
    assert min(c["size"] for p in pages for c in p.chars if c["text"].strip()) >= 12 - 0.05


def test_the_scores_document_dates_are_the_vietnamese_way():
    # A dated document: the place-date line with leading zeros (NĐ 30/2020).
    units, desks = long_units(2)
    paper = Paper(scores_pdf(dict(DOC, document_date=dt.date(2026, 2, 5),
                                  document_number="130/BC-SNV"), units, desks))
    assert "Tuyên Quang, ngày 05 tháng 02 năm 2026" in paper.text
    assert "Số: 130/BC-SNV" in paper.text

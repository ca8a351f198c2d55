"""The draft Tờ trình (.docx) with its list attached, read the way a provincial office
reads it: printed by LibreOffice to PDF (A4, page numbers, sizes, names, rows that do not
print over each other, the numbers the API gives), opened with python-docx (styles,
repeated header rows, rows that do not split, sections), and checked as a package (a
name with a control character or a formula must not break the file).

The documents are made once for the module (LibreOffice takes seconds to start): a
criticism and a commendation list of quý IV/2026 frozen from demo visits over HTTP."""

from __future__ import annotations

import io
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass

import docx
import pdfplumber
import pytest
from docx.oxml.ns import qn
from docx.shared import Mm
from lxml import etree

from inspect_api.db import db
from inspect_api.org.models import Staff
from tests.api.review_support import Q4, Flow
from tests.conftest import Demo, logins, restore_seed
from tests.paper import TOP_MARGIN, Page, Paper, normal, soffice_pdf

# Reads what a reader or a client sees, built by the services the API tests run on both
# databases: `make test` runs it in the SQLite pass only (pyproject.toml, marker `once`).
pytestmark = pytest.mark.once

API = "/api/v1"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LONG_NAME = "Nguyễn Thị Hồng Nhung Phượng Khuê Tôn Nữ Diễm Thương"
BELL_NAME = "Trần Văn\x07 Bảy"  # a control character typed into a staff list
FORMULA_NAME = "=cmd|' /C calc'!A0"
# Q4 visits approved by the fixture below: the body must count exactly these.
Q4_VISITS = 9


@dataclass
class Printed:
    kind: str
    docx: bytes
    paper: Paper
    frozen: dict
    headers: dict

    def parts(self) -> tuple[list[Page], list[Page]]:
        """(the Tờ trình's pages, the attachment's pages): the attachment starts on the
        landscape page titled DANH SÁCH."""
        pages = self.paper.pages
        start = next(i for i, page in enumerate(pages) if page.width > page.height and "DANH SÁCH" in page.text)
        return pages[:start], pages[start:]

    def body(self) -> str:
        return normal("\n".join(page.text for page in self.parts()[0]))

    def attachment_cells(self) -> set[str]:
        return {cell for page in self.parts()[1] for table in page.tables for row in table for cell in row}


@dataclass
class Made:
    criticism: Printed
    commendation: Printed
    scores: dict
    names: dict[str, str]


def _rename(app, staff_id: int, name: str) -> None:
    with app.app_context():
        db.session.get(Staff, staff_id).full_name = name
        db.session.commit()
        db.session.remove()


@pytest.fixture(scope="module")
def made(app, seed_snapshot, tmp_path_factory) -> Made:
    restore_seed(app, seed_snapshot)
    demo = Demo(app)
    client = app.test_client()
    login = logins(client)

    flow = Flow(client, demo, login)
    minh = [flow.staff("TQ-MINHXUAN", i) for i in range(3)]
    giang = [flow.staff("TQ-HAGIANG1", i) for i in range(2)]
    son = [flow.staff("TQ-SONDUONG", i) for i in range(2)]
    for staff_id, name in ((minh[0], LONG_NAME), (giang[0], BELL_NAME), (son[1], FORMULA_NAME)):
        _rename(app, staff_id, name)

    # Criticism: units with a critical failure or a low on-time rate, officials with
    # major failures, one critical failure whose explanation is pending.
    flow.approved("TQ-MINHXUAN", "2026-10-14", {"SEAT-02": "fail", "CON-01": ("fail", minh[0]),
                                                 "CON-08": ("fail", minh[1]), "CON-02": ("fail", minh[2])},
                  on_duty=minh, photos=("CON-02",))
    flow.approved("TQ-HAGIANG1", "2026-10-21", {"SEAT-02": "fail", "CON-01": ("fail", giang[0]),
                                                 "CON-05": ("fail", giang[1])}, on_duty=giang)
    flow.approved("TQ-SONDUONG", "2026-11-04", {"DOS-01": 80, "CON-01": ("fail", son[0]),
                                                 "CON-08": ("fail", son[1]), "FAC-02": "fail"}, on_duty=son)
    flow.approved("TQ-HAMYEN", "2026-11-18", {"SEAT-02": "fail", "PUB-07": "fail"})
    flow.approved("TQ-DONGVAN", "2026-12-02", {"DOS-03": 50, "CON-01": "fail"})
    # Commendation: two clean visits in Q3 and Q4 (Mỹ Lâm: signed biểu dương in Q3, so a
    # Giấy khen now) and two in Q4 only (Tân Trào: biểu dương).
    for day in ("2026-08-05", "2026-09-09"):
        flow.approved("TQ-MYLAM", day)
    freeze(flow, "commendation", "2026-07-01", "2026-09-30", "88/TTr-SNV", "2026-10-06")
    for day in ("2026-10-08", "2026-11-12"):
        flow.approved("TQ-MYLAM", day)
    for day in ("2026-10-09", "2026-11-13"):
        flow.approved("TQ-TANTRAO", day)

    out = tmp_path_factory.mktemp("to-trinh")
    printed = {}
    for kind, number in (("criticism", "125/TTr-SNV"), ("commendation", "126/TTr-SNV")):
        frozen = freeze(flow, kind, Q4["from"], Q4["to"], number, "2026-12-05")
        r = client.get(f"{API}/reports/lists/{frozen['id']}/export?format=docx", headers=login("leader1"))
        assert r.status_code == 200, r.get_data(as_text=True)[:500]
        path = out / f"{kind}.docx"
        path.write_bytes(r.data)
        printed[kind] = Printed(kind, r.data, Paper(soffice_pdf(path, out)), frozen, dict(r.headers))
    return Made(printed["criticism"], printed["commendation"], scores=flow.scores(),
                names={"long": LONG_NAME, "bell": BELL_NAME, "formula": FORMULA_NAME})


def freeze(flow, kind, date_from, date_to, number, signed) -> dict:
    r = flow.client.post(f"{API}/reports/lists", headers=flow.login("leader1"), json={
        "kind": kind, "from": date_from, "to": date_to, "signer_name": "Phạm Thị Hòa",
        "document_number": number, "document_date": signed})
    assert r.status_code == 201, r.data[:500]
    # json, not get_json(): the app's reader refuses the control character a name carries.
    return json.loads(r.data)


@pytest.fixture(params=["criticism", "commendation"])
def printed(request, made) -> Printed:
    return getattr(made, request.param)


# --- on paper ---------------------------------------------------------------------------

def test_each_part_is_numbered_on_its_own_from_page_2(printed):
    paper = printed.paper
    assert paper.not_a4() == []
    proposal, attachment = printed.parts()
    assert len(proposal) >= 2 and len(attachment) >= 2, (len(proposal), len(attachment))
    assert all(page.height > page.width for page in proposal)
    for part in (proposal, attachment):
        assert paper.header_text(part[0]) == ""
        for number, page in enumerate(part[1:], start=2):
            assert paper.header_text(page) == str(number)
            assert paper.header_centre_offset(page) < 3  # left margin 30 mm, right 15 mm


def test_text_is_large_enough_and_rows_never_print_over_each_other(printed):
    paper = printed.paper
    proposal, attachment = printed.parts()
    assert paper.overlapping_words() == [] and paper.text_across_rules() == []
    recipients = {id(c) for page in proposal for c in page.recipients_block()}
    assert recipients, "Nơi nhận"
    body = [c for page in paper.pages for c in page.chars]
    boxes = _table_boxes(paper)
    small = [c for c in body if c["text"].strip() and c["bottom"] > TOP_MARGIN and id(c) not in recipients
             and c["size"] < (12 if _in_table(c, boxes) else 13) - 0.01]
    assert not small, "".join(c["text"] for c in small)[:80]
    assert min(c["size"] for page in proposal for c in page.recipients_block()) >= 11 - 0.01
    # Nơi nhận is on the Tờ trình only: the attachment has none of its own, nor a "Số".
    attachment_text = "\n".join(page.text for page in attachment)
    assert "Nơi nhận" not in attachment_text and "Số:" not in attachment_text


def _table_boxes(paper: Paper) -> dict[int, list[tuple]]:
    """The ruled tables' boxes by page number (the borderless header and signature grids
    are not ruled: their text counts as body text)."""
    with pdfplumber.open(io.BytesIO(paper.pdf)) as pdf:
        return {page.page_number: [table.bbox for table in page.find_tables()] for page in pdf.pages}


def _in_table(char: dict, boxes: dict[int, list[tuple]]) -> bool:
    return any(x0 - 1 <= char["x0"] and char["x1"] <= x1 + 1 and top - 1 <= char["top"]
               and char["bottom"] <= bottom + 1 for x0, top, x1, bottom in boxes[char["page_number"]])


def test_the_body_states_what_the_api_counts(made):
    units, desks = made.scores["units"], made.scores["desks"]
    visits = sum(u["visits"] for u in units)
    assert visits == Q4_VISITS
    severity = {level: sum(u[level] for u in units) for level in ("critical", "major", "minor")}
    failures = sum(severity.values())
    assert failures > 0
    for printed in (made.criticism, made.commendation):
        body = printed.body()
        assert (f"kiểm tra {visits} lượt tại {len(desks)} Bộ phận Một cửa của {len(units)} cơ quan, đơn vị "
                f"thuộc tỉnh Tuyên Quang") in body
        assert (f"phát hiện {failures} lỗi vi phạm, gồm: {severity['critical']} lỗi nghiêm trọng, "
                f"{severity['major']} lỗi chính và {severity['minor']} lỗi nhỏ") in body
        assert "(các buổi kiểm tra từ ngày 08/10/2026 đến ngày 02/12/2026)" in body
        assert "Căn cứ Quyết định số 1234/QĐ-SNV" in body
        assert "Số: " + printed.frozen["document_number"] in body
        assert "Tuyên Quang, ngày 05 tháng 12 năm 2026" in body
        assert "Kính gửi: Ủy ban nhân dân tỉnh Tuyên Quang." in body
        assert "Sở Nội vụ kính trình Ủy ban nhân dân tỉnh xem xét, quyết định./." in body
        assert "KT. GIÁM ĐỐC" in body and "PHÓ GIÁM ĐỐC" in body and "Phạm Thị Hòa" in body
        # What is proposed, form by form, as the frozen list counts it.
        entries = printed.frozen["entries"]
        for form in {e["form_name"] for e in entries}:
            units_n = sum(1 for e in entries if e["form_name"] == form and e["entry_type"] == "unit")
            staff_n = sum(1 for e in entries if e["form_name"] == form and e["entry_type"] == "staff")
            counted = ", ".join(f"{n} {w}" for n, w in ((units_n, "tập thể"), (staff_n, "cá nhân")) if n)
            assert f"- {form}: {counted}" in body, form
            basis = next(e["form_legal_basis"] for e in entries if e["form_name"] == form)
            assert normal(f"cơ sở pháp lý của hình thức “{form}”: {basis}") in body


def test_criticism_body_cites_failures_and_keeps_unchecked_citations(made):
    body = made.criticism.body()
    listed = normal("\n".join(page.text for page in made.criticism.parts()[1]))
    cells = made.criticism.attachment_cells()
    assert "Các vi phạm thường gặp nhất: - CON-01:" in body  # failed in four visits
    assert "(chưa đối chiếu" in body  # the seed's own caution, kept
    assert "kiểm tra SEAT-02" in body and "NĐ 118/2025/NĐ-CP" in body
    assert "Có 1 cá nhân đang chờ giải trình" in body
    # The attachment: its Kèm theo line, groups, names exact, control character dropped.
    assert "(Kèm theo Tờ trình số 125/TTr-SNV ngày 05 tháng 12 năm 2026 của Sở Nội vụ)" in listed
    assert "I. TẬP THỂ" in listed and "II. CÁ NHÂN" in listed
    for name in (LONG_NAME, "Trần Văn Bảy", FORMULA_NAME):
        assert name in cells, name
    # The detail part: a cell per finding's date, never broken across lines.
    dates = {f["visit_date"] for e in made.criticism.frozen["entries"] for f in e["findings"]}
    assert dates and all(f"{d[8:10]}/{d[5:7]}/{d[:4]}" in cells for d in dates), sorted(dates)
    staff = made.criticism.frozen["staff_count"]
    assert f"Danh sách gồm {made.criticism.frozen['unit_count']} tập thể, {staff} cá nhân./." in listed


def test_commendation_names_who_awards(made):
    body = made.commendation.body()
    cells = made.commendation.attachment_cells()
    entries = made.commendation.frozen["entries"]
    assert any(e["form_code"] == "giay_khen" for e in entries)
    assert "thẩm quyền tặng: Chủ tịch UBND phường Mỹ Lâm" in body
    assert "Đề nghị tặng Giấy khen của Chủ tịch UBND phường Mỹ Lâm" in cells
    assert "Thành tích tiêu biểu" in cells
    for entry in entries:
        assert unicodedata.normalize("NFC", entry["name"]) in cells, entry["name"]
    assert "đề nghị biểu dương, khen thưởng" in body


# --- as Word sees it -----------------------------------------------------------------------

def test_the_docx_structure(printed):
    document = docx.Document(io.BytesIO(printed.docx))
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman" and normal.font.size.pt >= 13
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "Times New Roman"
    styles = {s.name for s in document.styles}
    assert {"Bảng - nội dung", "Thể thức - nơi nhận", "Thể thức - chữ ký"} <= styles
    assert document.styles["Bảng - nội dung"].font.size.pt >= 12

    proposal, attachment = document.sections
    for section, landscape in ((proposal, False), (attachment, True)):
        width, height = sorted((section.page_width.mm, section.page_height.mm))
        assert (round(width), round(height)) == (210, 297)
        assert (section.page_width > section.page_height) is landscape
        margins = [round(m.mm, 1) for m in (section.top_margin, section.bottom_margin,
                                            section.left_margin, section.right_margin)]
        assert 20 <= margins[0] <= 25 and 20 <= margins[1] <= 25, margins
        assert 30 <= margins[2] <= 35 and 15 <= margins[3] <= 20, margins
        assert section.different_first_page_header_footer
        assert not section.header.is_linked_to_previous
        assert "PAGE" in "".join(section.header._element.itertext())
        assert "".join(section.first_page_header._element.itertext()).strip() == ""
    # Children in the schema's order (Word may call a file corrupt otherwise).
    for sect_pr in document.element.body.iter(qn("w:sectPr")):
        tags = [child.tag for child in sect_pr]
        ordered = [qn(t) for t in ("w:pgSz", "w:pgMar", "w:pgNumType", "w:cols", "w:titlePg", "w:docGrid")]
        present = [t for t in ordered if t in tags]
        assert [t for t in tags if t in present] == present
        assert all(tags.index(t) > max(i for i, x in enumerate(tags) if x == qn("w:headerReference"))
                   for t in present)
    for tbl_pr in document.element.body.iter(qn("w:tblPr")):
        tags = [child.tag for child in tbl_pr]
        ordered = [qn(t) for t in ("w:tblW", "w:jc", "w:tblBorders", "w:tblLayout", "w:tblCellMar", "w:tblLook")]
        assert [t for t in tags if t in ordered] == [t for t in ordered if t in tags]
    assert all(style.style_id.isascii() for style in document.styles)
    numbering = attachment._sectPr.find(qn("w:pgNumType"))
    assert numbering is not None and numbering.get(qn("w:start")) == "1"
    assert proposal._sectPr.find(qn("w:pgNumType")) is None

    header_table = document.tables[0]  # borderless
    borders = header_table._tbl.tblPr.find(qn("w:tblBorders"))
    assert {b.get(qn("w:val")) for b in borders} == {"nil"}
    texts = ["".join(t.itertext()) for t in (header_table._tbl,)]
    assert "SỞ NỘI VỤ" in texts[0] and "Độc lập - Tự do - Hạnh phúc" in texts[0]
    underlined = [r.text for p in header_table.rows[0].cells[0].paragraphs for r in p.runs if r.underline]
    assert underlined == ["SỞ NỘI VỤ"]

    lists = [t for t in document.tables if "STT" in t.rows[0].cells[0].text]
    assert lists, "the list's table"
    for table in lists:
        flags = [(row._tr.trPr.find(qn("w:tblHeader")) is not None,
                  row._tr.trPr.find(qn("w:cantSplit")) is not None) for row in table.rows]
        assert flags[:2] == [(True, True), (True, True)]
        assert all(cant for _, cant in flags) and not any(head for head, _ in flags[2:])
        assert [c.text for c in table.rows[1].cells] == [f"({i})" for i in range(1, len(table.columns) + 1)]
        assert table._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
        assert sum(c.width for c in table.columns) <= attachment.page_width - attachment.left_margin \
            - attachment.right_margin + Mm(1)


def test_the_package_is_sound(printed, made):
    with zipfile.ZipFile(io.BytesIO(printed.docx)) as package:
        assert package.testzip() is None
        names = package.namelist()
        assert "[Content_Types].xml" in names and "word/document.xml" in names
        for name in names:
            if name.endswith((".xml", ".rels")):
                etree.fromstring(package.read(name))  # well-formed, or this raises
        document_xml = package.read("word/document.xml").decode("utf-8")
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", document_xml)
    if printed.kind == "criticism":
        assert "Trần Văn Bảy" in document_xml
        assert "=cmd|&apos; /C calc&apos;!A0" in document_xml or "=cmd|' /C calc'!A0" in document_xml
    assert printed.headers["Content-Type"] == DOCX
    disposition = printed.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="To-trinh-') and disposition.endswith(".docx")


# --- the API ----------------------------------------------------------------------------------

def test_the_export_format(client, demo, login):
    flow = Flow(client, demo, login)
    flow.approved("TQ-MINHXUAN", "2026-11-10", {"SEAT-02": "fail"})
    frozen = freeze(flow, "criticism", Q4["from"], Q4["to"], "7/TTr-SNV", "2026-12-01")
    url = f"{API}/reports/lists/{frozen['id']}/export"
    leader = login("leader1")
    r = client.get(url + "?format=pdfx", headers=leader)
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert "format" in r.get_json()["errors"]["query"]
    assert client.get(url, headers=leader).mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")  # the default stays
    r = client.get(url + "?format=docx", headers=login("reviewer1"))
    assert r.status_code == 200 and r.mimetype == DOCX and r.data.startswith(b"PK")
    assert client.get(url + "?format=docx", headers=login("inspector1")).status_code == 403
    ward = flow.create_user("leader.minhxuan", "leader", "TQ-MINHXUAN")
    assert client.get(url + "?format=docx", headers=ward).status_code == 404
    assert client.get(f"{API}/reports/lists/999999/export?format=docx", headers=leader).status_code == 404

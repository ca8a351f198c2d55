"""The conclusion notice (Thông báo kết quả kiểm tra) over HTTP: drafted and issued from
visits approved through the API (so their corrections exist), then read the way the unit
reads it: the PDF with tests/paper.py, the .docx printed by LibreOffice and read back.

The documents are made once for the module (LibreOffice takes seconds to start): one
conversion of the .docx, shared by the tests below."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import docx
import pytest
from docx.oxml.ns import qn
from sqlalchemy import select

from inspect_api.db import db
from inspect_api.org.models import Staff
from tests.api.review_support import Flow
from tests.conftest import Demo, logins, restore_seed
from tests.paper import TOP_MARGIN, Paper, normal, soffice_pdf

API = "/api/v1"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
UNIT = "TQ-TANTRAO"
OTHER_UNIT = "TQ-HAGIANG1"
NUMBER = "15/TB-SNV"
SIGNED = "2026-12-05"
SIGNER = "Phạm Thị Hòa"
NOTE = "Khách phải đứng chờ, không có ghế."


@dataclass
class Made:
    plan: dict
    notice: dict
    pdf: Paper
    docx_paper: Paper
    docx: bytes
    draft_pdf: Paper
    draft_docx: Paper
    corrections: list[dict]
    officials: list[str]  # "Name (position)" as the notice prints them
    names: list[str]
    after_review: dict  # the notice read again after a later review voided a finding
    after_review_pdf: Paper
    redrafted: Paper  # the draft made after that review: it follows the review
    headers: dict


def _official(app, staff_id: int) -> tuple[str, str]:
    with app.app_context():
        staff = db.session.get(Staff, staff_id)
        printed = f"{staff.full_name} ({staff.position})" if staff.position else staff.full_name
        name = staff.full_name
        db.session.remove()
    return name, printed


@pytest.fixture(scope="module")
def made(app, seed_snapshot, tmp_path_factory) -> Made:
    restore_seed(app, seed_snapshot)
    demo = Demo(app)
    client = app.test_client()
    login = logins(client)

    flow = Flow(client, demo, login)
    staff = [flow.staff(UNIT, i) for i in range(2)]
    first = flow.approved(UNIT, "2026-11-10", {
        "SEAT-02": {"result": "fail", "note": NOTE}, "SEAT-01": "fail", "FAC-01": "fail",
        "CON-01": ("fail", staff[0])}, on_duty=staff)
    flow.approved(UNIT, "2026-11-24", {"CON-01": ("fail", staff[1])}, on_duty=staff)
    flow.approved(OTHER_UNIT, "2026-11-11", {"SEAT-02": "fail"})  # another unit: not in this notice
    flow.visit(UNIT, "2026-11-25", {"PUB-07": "fail"})  # submitted, not approved: not counted
    plan = client.get(f"{API}/plans", headers=login("admin")).get_json()["items"][0]
    leader = login("leader1")
    unit_id = demo.units[UNIT]
    base = f"{API}/plans/{plan['id']}/notices"
    out = tmp_path_factory.mktemp("notice")

    def printed(data: bytes, name: str) -> Paper:
        path = out / name
        path.write_bytes(data)
        return Paper(soffice_pdf(path, out))

    draft_pdf = client.get(f"{base}/draft", headers=leader, query_string={"org_unit_id": unit_id})
    assert draft_pdf.status_code == 200 and draft_pdf.mimetype == "application/pdf", draft_pdf.data[:300]
    draft_docx = client.get(f"{base}/draft", headers=leader, query_string={"org_unit_id": unit_id, "format": "docx"})
    assert draft_docx.status_code == 200 and draft_docx.mimetype == DOCX
    r = client.post(base, headers=leader, json={"org_unit_id": unit_id, "document_number": NUMBER,
                                                 "document_date": SIGNED, "signer_name": SIGNER})
    assert r.status_code == 201, r.get_json()
    notice = r.get_json()
    pdf = client.get(f"{base}/{notice['id']}/export", headers=leader)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    docx_file = client.get(f"{base}/{notice['id']}/export?format=docx", headers=leader)
    assert docx_file.status_code == 200 and docx_file.mimetype == DOCX
    corrections = [c for c in client.get(f"{API}/corrections", headers=login("reviewer1"),
                                         query_string={"per_page": 200}).get_json()["items"]
                   if c["org_unit_id"] == unit_id]

    # A later review voids the first visit's CON-01: the issued notice stays as it was.
    version = client.get(f"{API}/visits/{first.id}", headers=login("reviewer1")).get_json()["version"]
    r = client.post(f"{API}/visits/{first.id}/review", headers=login("reviewer1"), json={
        "decision": "approve", "version": version, "findings": [
            {"finding_id": first.findings["CON-01"], "void": True, "void_reason": "Nhầm người"}]})
    assert r.status_code == 200, r.get_json()
    after = client.get(f"{base}/{notice['id']}", headers=leader).get_json()
    after_pdf = client.get(f"{base}/{notice['id']}/export", headers=leader)
    redrafted = client.get(f"{base}/draft", headers=leader, query_string={"org_unit_id": unit_id})

    names, officials = zip(*(_official(app, s) for s in staff), strict=True)
    # One LibreOffice run per document it prints: the issued .docx and the draft's.
    return Made(plan=plan, notice=notice, pdf=Paper(pdf.data), docx_paper=printed(docx_file.data, "notice.docx"),
                docx=docx_file.data, draft_pdf=Paper(draft_pdf.data),
                draft_docx=printed(draft_docx.data, "draft.docx"), corrections=corrections,
                officials=list(officials), names=list(names), after_review=after,
                after_review_pdf=Paper(after_pdf.data), redrafted=Paper(redrafted.data),
                headers=dict(docx_file.headers))


@pytest.fixture(params=["pdf", "docx"])
def paper(request, made) -> Paper:
    return made.pdf if request.param == "pdf" else made.docx_paper


def _vn(day: str) -> str:
    return dt.date.fromisoformat(day).strftime("%d/%m/%Y")


# --- on paper ---------------------------------------------------------------------------

def test_the_notice_states_number_date_shortcomings_and_officials(paper, made):
    text = paper.text
    assert paper.not_a4() == []
    assert f"Số: {NUMBER}" in text and "Tuyên Quang, ngày 05 tháng 12 năm 2026" in text
    assert "SỞ NỘI VỤ" in text and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "THÔNG BÁO" in text and "Kết quả kiểm tra hoạt động Bộ phận Một cửa tại Xã Tân Trào" in text
    assert "DỰ THẢO" not in text
    # When: the two approved visits, not the submitted one.
    assert "từ ngày 10/11/2026 đến ngày 24/11/2026" in text and "25/11/2026" not in text
    content = made.notice["content"]
    codes = {s["code"] for s in content["shortcomings"]}
    assert codes == {"SEAT-02", "SEAT-01", "FAC-01", "CON-01"}
    for shortcoming in content["shortcomings"]:
        assert normal(f"{shortcoming['code']}: {shortcoming['text']}") in text, shortcoming["code"]
        assert normal(f"Căn cứ: {shortcoming['legal_basis']}") in text
    # The inspector's note as written, its full stop not doubled by the sentence it ends.
    assert f"10/11/2026: {NOTE}" in text and ".." not in text
    # Both officials of CON-01, each with diacritics exact.
    assert normal("Công chức liên quan: " + ", ".join(made.officials)) in text
    for name in made.names:
        assert name in text, name
    # Another unit's failures are not in this unit's notice.
    assert "Hà Giang" not in text
    assert "KT. GIÁM ĐỐC" in text and "PHÓ GIÁM ĐỐC" in text and SIGNER in text
    assert "Nơi nhận:" in text and "Giám đốc Sở (để b/c);" in text and "Lưu: VT." in text


def test_each_correction_and_the_reporting_deadline(paper, made):
    deadlines = sorted({c["deadline"] for c in made.corrections})
    assert len(made.corrections) == 5 and len(deadlines) == 3  # critical, major and minor days
    cells = paper.cell_text()
    assert {"STT", "Hạn khắc phục"} <= set(paper.cells())  # headings never broken inside a word
    for correction in made.corrections:
        assert _vn(correction["deadline"]) in cells
        assert correction["criterion_code"] in cells
    # Reported by the latest deadline: each fix is due on its own day, a report of all of them
    # only once the last is due.
    assert made.notice["content"]["report_by"] == deadlines[-1]
    assert normal(f"báo cáo kết quả khắc phục (kèm ảnh chụp kết quả) về Sở Nội vụ trước ngày "
                  f"{_vn(deadlines[-1])}") in paper.text


def test_type_is_large_enough_and_fonts_are_embedded(paper):
    assert paper.fonts_not_embedded() == set()
    assert paper.overlapping_words() == []
    recipients = {id(c) for page in paper.pages for c in page.recipients_block()}
    assert recipients, "Nơi nhận"
    small = [c for page in paper.pages for c in page.chars
             if c["text"].strip() and c["bottom"] > TOP_MARGIN and id(c) not in recipients
             and c["size"] < (12 if paper.in_table(c) else 13) - 0.01]
    assert not small, "".join(c["text"] for c in small)[:80]
    assert paper.smallest(lambda c: id(c) in recipients) >= 11 - 0.01
    # Page numbers from page 2 only, centred in the top margin.
    assert paper.header_text(paper.pages[0]) == ""
    for number, page in enumerate(paper.pages[1:], start=2):
        assert paper.header_text(page) == str(number)


def test_the_draft_is_marked_and_has_no_number(made):
    for paper in (made.draft_pdf, made.draft_docx):
        text = paper.text
        assert "DỰ THẢO" in text and NUMBER not in text
        assert "Số: ……" in text and "ngày …… tháng …… năm ……" in text
        assert "SEAT-02" in text


def test_issued_content_does_not_change_after_a_later_review(made):
    assert made.after_review["content"] == made.notice["content"]
    assert made.after_review_pdf.text == made.pdf.text
    assert normal("Công chức liên quan: " + ", ".join(made.officials)) in made.after_review_pdf.text
    # The void did happen: a draft made now names only the second visit's official.
    assert normal("Công chức liên quan: " + ", ".join(made.officials)) not in made.redrafted.text
    assert normal(f"Công chức liên quan: {made.officials[1]}.") in made.redrafted.text


def test_the_docx_headers(made):
    disposition = made.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and disposition.endswith('.docx')


# --- the API ----------------------------------------------------------------------------

@pytest.fixture
def flow(client, demo, login):
    return Flow(client, demo, login)


def _plan(client, login) -> int:
    return client.get(f"{API}/plans", headers=login("admin")).get_json()["items"][0]["id"]


def _issue(client, headers, plan_id, unit_id, number=NUMBER, **extra):
    return client.post(f"{API}/plans/{plan_id}/notices", headers=headers, json={
        "org_unit_id": unit_id, "document_number": number, "document_date": SIGNED,
        "signer_name": SIGNER, **extra})


def test_who_issues_and_who_reads(flow, client, login, demo):
    flow.approved(UNIT, "2026-11-10", {"SEAT-02": "fail"})
    flow.approved(OTHER_UNIT, "2026-11-11", {"SEAT-02": "fail"})
    plan_id = _plan(client, login)
    base = f"{API}/plans/{plan_id}/notices"
    r = _issue(client, login("reviewer1"), plan_id, demo.units[UNIT])
    assert r.status_code == 201, r.get_json()
    ours = r.get_json()
    assert ours["signer_title"] == "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"
    other = _issue(client, login("admin"), plan_id, demo.units[OTHER_UNIT], "16/TB-SNV",
                   signer_title="GIÁM ĐỐC").get_json()
    assert other["signer_title"] == "GIÁM ĐỐC"

    officer = flow.create_user("canbo.tantrao", "unit_officer", UNIT)
    c_reviewer = flow.create_user("thamdinh.hagiang", "reviewer", OTHER_UNIT)
    # The unit officer reads its own unit's notice only.
    listed = client.get(base, headers=officer).get_json()["items"]
    assert [n["id"] for n in listed] == [ours["id"]]
    assert client.get(f"{base}/{ours['id']}", headers=officer).status_code == 200
    assert client.get(f"{base}/{ours['id']}/export", headers=officer).status_code == 200
    for url in (f"{base}/{other['id']}", f"{base}/{other['id']}/export"):
        r = client.get(url, headers=officer)
        assert r.status_code == 404 and r.mimetype == "application/problem+json"
    assert client.post(base, headers=officer, json={}).status_code == 403
    # Another subtree: 404 for a notice, 404 for a unit outside it; its own unit is the
    # province's plan, which it does not issue for (403).
    assert client.get(f"{base}/{ours['id']}", headers=c_reviewer).status_code == 404
    assert [n["id"] for n in client.get(base, headers=c_reviewer).get_json()["items"]] == [other["id"]]
    r = client.get(f"{base}/draft", headers=c_reviewer, query_string={"org_unit_id": demo.units[UNIT]})
    assert r.status_code == 404
    assert _issue(client, c_reviewer, plan_id, demo.units[OTHER_UNIT], "17/TB-SNV").status_code == 403
    # Inspectors have no part in it.
    assert client.get(base, headers=login("inspector1")).status_code == 403
    # The province reads both, newest document first; filtered by unit.
    assert len(client.get(base, headers=login("leader1")).get_json()["items"]) == 2
    only = client.get(base, headers=login("leader1"), query_string={"org_unit_id": demo.units[UNIT]}).get_json()
    assert [n["id"] for n in only["items"]] == [ours["id"]]
    # Issuing is audited against the unit.
    events = client.get(f"{API}/audit", headers=login("reviewer1"),
                        query_string={"entity_type": "notice", "action": "issue"}).get_json()["items"]
    assert {e["entity_id"] for e in events} == {str(ours["id"]), str(other["id"])}


def test_bad_input_is_refused_and_writes_nothing(flow, client, login, demo):
    plan_id = _plan(client, login)
    base = f"{API}/plans/{plan_id}/notices"
    leader = login("leader1")
    unit_id = demo.units[UNIT]
    # No approved visit yet (a submitted one does not count): 409 with a clear reason.
    flow.visit(UNIT, "2026-11-10", {"SEAT-02": "fail"})
    r = _issue(client, leader, plan_id, unit_id)
    assert r.status_code == 409 and "chưa có buổi kiểm tra nào được duyệt" in r.get_json()["detail"]
    r = client.get(f"{base}/draft", headers=leader, query_string={"org_unit_id": unit_id})
    assert r.status_code == 409 and r.mimetype == "application/problem+json"
    flow.approved(UNIT, "2026-11-12", {"SEAT-01": "fail"})
    flow.approved(OTHER_UNIT, "2026-11-12", {"SEAT-01": "fail"})
    for body, field in (
            ({"document_number": NUMBER, "document_date": SIGNED, "signer_name": SIGNER}, "org_unit_id"),
            ({"org_unit_id": unit_id, "document_date": SIGNED, "signer_name": SIGNER}, "document_number"),
            ({"org_unit_id": unit_id, "document_number": NUMBER, "signer_name": SIGNER}, "document_date"),
            ({"org_unit_id": unit_id, "document_number": NUMBER, "document_date": SIGNED}, "signer_name"),
            ({"org_unit_id": unit_id, "document_number": NUMBER, "document_date": "05/12/2026",
              "signer_name": SIGNER}, "document_date"),
            ({"org_unit_id": "một", "document_number": NUMBER, "document_date": SIGNED,
              "signer_name": SIGNER}, "org_unit_id"),
            ({"org_unit_id": unit_id, "document_number": "   ", "document_date": SIGNED,
              "signer_name": SIGNER}, "document_number"),
            ({"org_unit_id": unit_id, "document_number": NUMBER, "document_date": SIGNED,
              "signer_name": " "}, "signer_name"),
            ({"org_unit_id": unit_id, "document_number": "x" * 61, "document_date": SIGNED,
              "signer_name": SIGNER}, "document_number"),
            ({"org_unit_id": unit_id, "document_number": NUMBER, "document_date": SIGNED,
              "signer_name": SIGNER, "signer_title": "A\nB\nC\nD"}, "signer_title"),
            ({"org_unit_id": unit_id, "document_number": NUMBER, "document_date": SIGNED,
              "signer_name": SIGNER, "status": "issued"}, "status")):
        r = client.post(base, headers=leader, json=body)
        assert r.status_code == 422 and r.mimetype == "application/problem+json", (body, r.get_json())
        assert field in r.get_json()["errors"]["json"], (field, r.get_json())
    assert _issue(client, leader, plan_id, 999999).status_code == 404
    assert _issue(client, leader, 999999, unit_id).status_code == 404
    for query in ({}, {"org_unit_id": unit_id, "format": "odt"}, {"org_unit_id": 0}):
        r = client.get(f"{base}/draft", headers=leader, query_string=query)
        assert r.status_code == 422 and r.mimetype == "application/problem+json", query
    assert client.get(f"{base}/999999", headers=leader).status_code == 404
    assert client.get(f"{base}/999999/export", headers=leader).status_code == 404
    assert client.get(f"{base}", headers=leader).get_json()["items"] == []  # nothing half-written
    issued = _issue(client, leader, plan_id, unit_id)
    assert issued.status_code == 201
    r = client.get(f"{base}/{issued.get_json()['id']}/export?format=xlsx", headers=leader)
    assert r.status_code == 422
    # The same number again (another unit): 409; the same unit again: 409.
    r = _issue(client, leader, plan_id, demo.units[OTHER_UNIT])
    assert r.status_code == 409 and "document_number" in r.get_json()["errors"]["json"]
    r = _issue(client, leader, plan_id, unit_id, "18/TB-SNV")
    assert r.status_code == 409 and "org_unit_id" in r.get_json()["errors"]["json"]
    with flow.client.application.app_context():
        from inspect_api.notices.models import ConclusionNotice

        assert len(db.session.scalars(select(ConclusionNotice)).all()) == 1
        db.session.remove()


def test_the_docx_structure(made):
    document = docx.Document(io.BytesIO(made.docx))
    assert document.styles["Normal"].font.name == "Times New Roman"
    assert document.styles["Normal"].font.size.pt >= 13
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert [round(m.mm) for m in (section.top_margin, section.bottom_margin, section.left_margin,
                                  section.right_margin)] == [20, 20, 30, 15]
    assert section.different_first_page_header_footer
    assert "PAGE" in "".join(section.header._element.itertext())
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "STT")
    assert [c.text for c in table.rows[0].cells][-1] == "Hạn khắc phục"
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None for row in table.rows)
    assert len(table.rows) == 1 + len(made.corrections)
    assert all(p.style.font.size is None or p.style.font.size.pt >= 12
               for row in table.rows for cell in row.cells for p in cell.paragraphs)


def test_a_clean_unit_is_asked_for_no_report(flow, client, login, demo):
    flow.approved(OTHER_UNIT, "2026-11-11")
    plan_id = _plan(client, login)
    r = client.get(f"{API}/plans/{plan_id}/notices/draft", headers=login("reviewer1"),
                   query_string={"org_unit_id": demo.units[OTHER_UNIT]})
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    text = Paper(r.data).text
    assert "Không phát hiện tồn tại, hạn chế." in text and "Không có nội dung phải khắc phục." in text
    assert "báo cáo kết quả khắc phục" not in text and "Hạn khắc phục" not in text
    assert "đạt toàn bộ các tiêu chí được kiểm tra" in text
    issued = _issue(client, login("reviewer1"), plan_id, demo.units[OTHER_UNIT]).get_json()
    assert issued["content"]["report_by"] is None and issued["content"]["corrections"] == []

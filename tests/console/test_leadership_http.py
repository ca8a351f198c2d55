"""The leadership pages over HTTP (Flask test client): scores with trend and chart, the
drill-down to a visit, the computed lists, freezing one, the frozen lists and their
documents; each checked against what the API says, with scope, roles, CSRF and bad input."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from docx import Document

from inspect_api.console.leadership_forms import quarter_of
from inspect_api.reports.scores import previous_period
from inspect_api.console.leadership_pages import trend
from inspect_api.console.pages import today_in_vietnam
from inspect_api.documents.render import vn_number, vn_percent
from tests.api.review_support import Flow
from tests.conftest import DEMO_PASSWORD
from tests.console.support import csrf_token, post_form, sign_in

Q4 = {"from": "01/10/2026", "to": "31/12/2026"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def flow(client, demo, login):
    return Flow(client, demo, login)


@pytest.fixture
def quarter(flow):
    """Q4/2026: Minh Xuân with a critical unit failure (photo) and a staff failure, Mỹ Lâm
    clean; Q3/2026: Minh Xuân clean, so its trend is down and Mỹ Lâm's is new."""
    failing = flow.approved("TQ-MINHXUAN", "2026-11-10", {"SEAT-02": "fail", "CON-01": "fail"})
    clean = flow.approved("TQ-MYLAM", "2026-11-11")
    flow.approved("TQ-MINHXUAN", "2026-08-05")
    return {"failing": failing, "clean": clean}


def _leader(app, username: str = "leader1", password: str = DEMO_PASSWORD):
    client = app.test_client()
    sign_in(client, username, password)
    return client


def _ward_leader(app, flow):
    """A leader of Phường Mỹ Lâm: Minh Xuân and the province are another subtree."""
    flow.create_user("leader.mylam", "leader", "TQ-MYLAM")
    return _leader(app, "leader.mylam", DEMO_PASSWORD + "-leader.mylam")


def _text(html: str) -> str:
    """The page's visible text, tags dropped and spaces squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- scores --------------------------------------------------------------------------

def test_scores_rank_units_with_trend_chart_and_counts(app, flow, quarter):
    console = _leader(app)
    response = console.get("/console/scores", query_string=Q4)
    assert response.status_code == 200, response.text[:500]
    page = response.text
    text = _text(page)
    api = flow.scores()["units"]
    assert [u["name"] for u in api][:2] == ["Phường Mỹ Lâm", "Phường Minh Xuân"]
    assert text.index("Phường Mỹ Lâm") < text.index("Phường Minh Xuân")
    minhxuan = next(u for u in api if u["name"] == "Phường Minh Xuân")
    assert minhxuan["mean_score"] < 100 and minhxuan["critical"] == 1
    assert vn_percent(minhxuan["mean_score"]) in text  # "9x,x %", a comma before the decimals
    assert "quý IV/2026" in text and "quý III/2026" in text
    # Minh Xuân fell from 100 % in Q3 by exactly the points the API gives; Mỹ Lâm is new.
    shown = Decimal(vn_percent(minhxuan["mean_score"]).removesuffix(" %").replace(",", "."))
    fall = vn_number(Decimal(100) - shown)
    assert f"▼ {fall}" in text and f"Giảm {fall} điểm so với kỳ trước" in text
    assert "mới" in text
    # The chart is drawn on the server, as SVG, with no style attribute for the CSP to refuse.
    assert "<svg" in page and 'role="img"' in page and "Điểm trung bình các đơn vị quý IV/2026" in page
    assert not re.search(r"\sstyle=", page) and "<style" not in page and "<script" not in page
    assert "/console/scores/export.pdf?from=01/10/2026&amp;to=31/12/2026" in page


def test_the_trend_is_the_difference_of_the_printed_scores():
    assert trend(92.65, 100.0)["text"] == "▼ 7,4"  # 92,6 % printed: not 7,35 rounded to 7,3
    assert trend(98.5, 95.25)["text"] == "▲ 3,3"
    assert trend(80.0, 80.04)["text"] == "= 0" and trend(80.0, None)["text"] == "mới"
    assert trend(None, 80.0)["direction"] == "new"


def test_quarter_presets_and_the_previous_period():
    assert quarter_of(dt.date(2026, 11, 30)) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert quarter_of(dt.date(2026, 2, 28)) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert previous_period(dt.date(2026, 1, 1), dt.date(2026, 3, 31)) == (dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    assert previous_period(dt.date(2026, 11, 1), dt.date(2026, 11, 30)) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert previous_period(dt.date(2026, 11, 5), dt.date(2026, 11, 14)) == (dt.date(2026, 10, 26), dt.date(2026, 11, 4))


def test_the_preset_periods_follow_today(app, demo):
    console = _leader(app)
    start, end = quarter_of(today_in_vietnam())
    page = _text(console.get("/console/scores").text)
    assert f"Từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}" in page
    before = quarter_of(start - dt.timedelta(days=1))
    page = _text(console.get("/console/scores?period=previous_quarter").text)
    assert f"Từ {before[0]:%d/%m/%Y} đến {before[1]:%d/%m/%Y}" in page


@pytest.mark.parametrize(("args", "message"), [
    ({"from": "31/02/2026", "to": "31/12/2026"}, "Không có ngày 31/02/2026 trên lịch."),
    ({"from": "2026/10/01", "to": "31/12/2026"}, "Hãy nhập ngày theo dạng dd/mm/yyyy"),
    ({"from": "01/12/2026", "to": "01/10/2026"}, "Ngày kết thúc phải sau ngày bắt đầu."),
    ({"from": "01/01/1999", "to": "01/10/2026"}, "Ngày phải trong khoảng 01/01/2000 đến 31/12/2099."),
    ({"from": "", "to": "01/10/2026"}, "Hãy nhập ngày (dd/mm/yyyy)."),
])
def test_a_bad_period_is_a_vietnamese_error_on_the_form(app, demo, args, message):
    console = _leader(app)
    for path in ("/console/scores", "/console/lists", "/console/scores/units/1"):
        response = console.get(path, query_string={"period": "custom", **args})
        assert response.status_code == 422, (path, response.text[:300])
        assert message in response.text
        assert f'value="{args["from"]}"' in response.text  # what was typed stays
    # An export with a bad period is the console's error page, not a 500.
    response = console.get("/console/scores/export.pdf", query_string=args)
    assert response.status_code == 422 and "Kỳ báo cáo không hợp lệ." in response.text


def test_score_downloads_are_the_apis_files(app, flow, client, login, quarter):
    console = _leader(app)
    pdf = console.get("/console/scores/export.pdf", query_string=Q4)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF") and "attachment" in pdf.headers["Content-Disposition"]
    xlsx = console.get("/console/scores/export.xlsx", query_string=Q4)
    assert xlsx.status_code == 200 and xlsx.mimetype == XLSX
    api = client.get("/api/v1/reports/scores/export", headers=login("leader1"),
                     query_string={"from": "2026-10-01", "to": "2026-12-31"})
    assert xlsx.headers["Content-Disposition"] == api.headers["Content-Disposition"]

    def cells(data: bytes) -> list[list]:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        return [[list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets]

    assert cells(xlsx.data) == cells(api.data)
    assert console.get("/console/scores/export.docx", query_string=Q4).status_code == 404


# --- drill-down ----------------------------------------------------------------------

def test_drill_down_from_unit_to_desk_to_visit(app, flow, demo, quarter):
    console = _leader(app)
    unit_id = demo.units["TQ-MINHXUAN"]
    unit = console.get(f"/console/scores/units/{unit_id}", query_string=Q4)
    assert unit.status_code == 200
    desk_id = quarter["failing"].desk_id
    assert f"/console/scores/desks/{desk_id}?from=01/10/2026" in unit.text
    assert "▼" in unit.text
    desk = console.get(f"/console/scores/desks/{desk_id}", query_string=Q4)
    assert desk.status_code == 200
    visit_id = quarter["failing"].id
    assert f"/console/visits/{visit_id}" in desk.text
    assert f"/console/visits/{visit_id}/minutes.pdf" in desk.text
    assert "Lỗi nghiêm trọng" in desk.text
    assert console.get(f"/console/visits/{visit_id}").status_code == 200
    # The Q3 visit is not in Q4's list; in Q3's it is, the only one.
    q3 = console.get(f"/console/scores/desks/{desk_id}", query_string={"from": "01/07/2026", "to": "30/09/2026"})
    assert str(visit_id) not in q3.text and "1 buổi kiểm tra đã duyệt" in _text(q3.text)


def test_another_subtree_is_a_404_page(app, flow, demo, quarter):
    console = _ward_leader(app, flow)
    assert console.get(f"/console/scores/units/{demo.units['TQ-MYLAM']}", query_string=Q4).status_code == 200
    for path in (f"/console/scores/units/{demo.units['TQ-MINHXUAN']}",
                 f"/console/scores/units/{demo.units['TQ']}",
                 f"/console/scores/desks/{quarter['failing'].desk_id}",
                 "/console/scores/units/999999", "/console/scores/desks/999999"):
        response = console.get(path, query_string=Q4)
        assert response.status_code == 404, path
        assert "Không tìm thấy" in response.text and '<html lang="vi">' in response.text
    # Scope before the period: a mistyped date shows no form for another subtree's unit.
    assert console.get(f"/console/scores/units/{demo.units['TQ-MINHXUAN']}?from=x&to=y").status_code == 404
    # Their own scores hold only their own unit.
    page = _text(console.get("/console/scores", query_string=Q4).text)
    assert "Phường Mỹ Lâm" in page and "Phường Minh Xuân" not in page


def test_roles_without_access_get_403(app, flow, demo, quarter):
    inspector = _leader(app, "inspector1")
    for path in ("/console/scores", "/console/scores/export.pdf", f"/console/scores/units/{demo.units['TQ']}",
                 "/console/lists", "/console/lists/frozen"):
        assert inspector.get(path, query_string=Q4).status_code == 403, path
    assert "Điểm đánh giá" not in inspector.get("/console/", follow_redirects=True).text
    # A reviewer reads scores and lists, as the API lets them, but freezes nothing.
    reviewer = _leader(app, "reviewer1")
    assert reviewer.get("/console/scores", query_string=Q4).status_code == 200
    page = reviewer.get("/console/lists", query_string={"kind": "criticism", **Q4})
    assert page.status_code == 200 and "Chốt danh sách" not in page.text
    response = reviewer.post("/console/lists/freeze", data={
        "csrf_token": csrf_token(page.text), "kind": "criticism", **Q4, "document_number": "1/TTr-SNV",
        "document_date": "21/12/2026", "signer_name": "A"})
    assert response.status_code == 403


# --- lists ---------------------------------------------------------------------------

def test_the_computed_list_shows_each_entry_with_why(app, flow, quarter):
    console = _leader(app)
    response = console.get("/console/lists", query_string={"kind": "criticism", **Q4})
    assert response.status_code == 200
    page, text = response.text, _text(response.text)
    api = flow.listing("criticism")
    assert api["entries"]
    for entry in api["entries"]:
        assert entry["name"] in text and entry["form_name"] in text
        for reason in entry["reasons"]:
            assert _text(reason) in text
        if entry["form_legal_basis"]:
            assert _text(entry["form_legal_basis"]) in text
    assert f"{api['unit_count']} tập thể, {api['staff_count']} cá nhân" in text
    failing = quarter["failing"]
    assert f"/console/visits/{failing.id}" in page
    assert f"/console/evidence/{failing.evidence['SEAT-02']}" in page
    assert "Chốt danh sách" in page
    commend = console.get("/console/lists", query_string={"kind": "commendation", **Q4})
    assert commend.status_code == 200 and "biểu dương" in commend.text
    assert console.get("/console/lists", query_string={"kind": "praise", **Q4}).status_code == 422


def _numbered(html: str) -> list[str]:
    """The entries' headings of a list page: "1. Phường Minh Xuân", ..."""
    return [_text(h).strip() for h in re.findall(r'<li class="entry card">\s*<h3>(.*?)<span', html, re.S)]


def test_a_long_list_is_shown_a_page_at_a_time_numbered_as_a_whole(app, flow, quarter, monkeypatch):
    """A national list has thousands of entries: each page shows a hundred, numbered as
    in the whole list, with links that keep the kind and the period."""
    monkeypatch.setattr("inspect_api.console.leadership.ENTRIES_PER_PAGE", 1)
    flow.approved("TQ-MYLAM", "2026-11-12", {"SEAT-02": "fail"})
    names = [e["name"] for e in flow.listing("criticism")["entries"]]
    assert len(names) >= 3
    console = _leader(app)

    def page(number):
        response = console.get("/console/lists", query_string={"kind": "criticism", **Q4, "page": number})
        assert response.status_code == 200
        return response.text

    first, second = page(1), page(2)
    assert _numbered(first) == [f"1. {names[0]}"] and _numbered(second) == [f"2. {names[1]}"]
    assert '<ol class="entries" start="2">' in second
    assert f"Trang 2 / {len(names)}" in _text(second)
    links = re.findall(r'href="([^"]*page=[^"]*)"', second.replace("&amp;", "&"))
    assert links and all("kind=criticism" in link and "from=01/10/2026" in link for link in links)
    assert _numbered(page(999)) == [f"{len(names)}. {names[-1]}"]  # past the end: the last page
    assert _numbered(page("abc")) == _numbered(first)
    # The whole list is still what gets frozen.
    frozen = _freeze(console, {"document_number": "126/TTr-SNV", "document_date": "21/12/2026",
                               "signer_name": "Nguyễn Văn An"}, 303).headers["Location"]
    assert _numbered(console.get(frozen, query_string={"page": 2}).text) == [f"2. {names[1]}"]
    assert f"Trang 1 / {len(names)}" in _text(console.get(frozen).text)


def _freeze(console, data: dict, expect: int):
    return post_form(console, "/console/lists?kind=criticism&from=01/10/2026&to=31/12/2026", "/console/lists/freeze",
                     {"kind": "criticism", **Q4, **data}, expect=expect)


def test_freeze_refuses_without_csrf(app, flow, quarter):
    console = _leader(app)
    response = console.post("/console/lists/freeze", data={
        "kind": "criticism", **Q4, "document_number": "125/TTr-SNV", "document_date": "21/12/2026",
        "signer_name": "Nguyễn Văn An"})
    assert response.status_code == 400 and "CSRF" in response.text
    assert console.get("/console/lists/frozen").text.count("125/TTr-SNV") == 0


def test_freeze_errors_keep_what_the_leader_typed(app, flow, client, login, quarter):
    console = _leader(app)
    typed = {"document_number": "125/TTr-SNV", "document_date": "21/12/2026", "signer_name": "",
             "signer_title": "GIÁM ĐỐC", "addressee": "Chủ tịch UBND tỉnh",
             "recipients": "Như trên;\nUBND phường Minh Xuân;", "attachment_signed": "true"}
    response = _freeze(console, typed, 422)
    assert "Hãy nhập họ tên người ký." in response.text
    for value in ("125/TTr-SNV", "21/12/2026", "Chủ tịch UBND tỉnh"):
        assert f'value="{value}"' in response.text
    assert ">GIÁM ĐỐC</textarea>" in response.text
    assert "Như trên;\nUBND phường Minh Xuân;</textarea>" in response.text
    assert 'name="attachment_signed" value="true" checked' in response.text
    bad_date = _freeze(console, {**typed, "signer_name": "Nguyễn Văn An", "document_date": "32/12/2026"}, 422)
    assert "Không có ngày 32/12/2026 trên lịch." in bad_date.text
    too_many = _freeze(console, {**typed, "signer_name": "Nguyễn Văn An", "signer_title": "1\n2\n3\n4"}, 422)
    assert "Tối đa 3 dòng." in too_many.text
    assert client.get("/api/v1/reports/lists/frozen", headers=login("leader1")).get_json()["items"] == []


def test_freeze_then_read_and_download_the_frozen_list(app, flow, client, login, quarter):
    console = _leader(app)
    response = _freeze(console, {"document_number": "125/TTr-SNV", "document_date": "21/12/2026",
                                 "signer_name": "Nguyễn Văn An", "recipients": "Như trên;\nLưu: VT."}, 303)
    api_lists = client.get("/api/v1/reports/lists/frozen", headers=login("leader1")).get_json()["items"]
    assert len(api_lists) == 1
    frozen = api_lists[0]
    assert (frozen["document_number"], frozen["document_date"], frozen["signer_name"]) == (
        "125/TTr-SNV", "2026-12-21", "Nguyễn Văn An")
    assert frozen["recipients"] == ["Như trên;", "Lưu: VT."]
    assert frozen["addressee"] == "Ủy ban nhân dân tỉnh Tuyên Quang"  # the service's default
    assert response.headers["Location"] == f"/console/lists/frozen/{frozen['id']}"
    page = console.get(response.headers["Location"])
    assert page.status_code == 200
    assert "Đã chốt danh sách phê bình số 125/TTr-SNV." in page.text
    assert "Tờ trình số 125/TTr-SNV ngày 21/12/2026" in page.text
    assert "125/TTr-SNV" in console.get("/console/lists/frozen").text
    assert "125/TTr-SNV" not in console.get("/console/lists/frozen?kind=commendation").text

    base = f"/console/lists/frozen/{frozen['id']}/export"
    docx = console.get(f"{base}.docx")
    assert docx.status_code == 200 and docx.mimetype == DOCX
    assert any("125/TTr-SNV" in p.text for p in Document(io.BytesIO(docx.data)).paragraphs)
    pdf = console.get(f"{base}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    xlsx = console.get(f"{base}.xlsx")
    assert xlsx.status_code == 200 and xlsx.mimetype == XLSX
    book = openpyxl.load_workbook(io.BytesIO(xlsx.data), read_only=True)
    api = client.get(f"/api/v1/reports/lists/{frozen['id']}/export?format=xlsx", headers=login("leader1"))
    api_book = openpyxl.load_workbook(io.BytesIO(api.data), read_only=True)
    assert [[list(r) for r in s.iter_rows(values_only=True)] for s in book.worksheets] == \
           [[list(r) for r in s.iter_rows(values_only=True)] for s in api_book.worksheets]
    assert xlsx.headers["Content-Disposition"] == api.headers["Content-Disposition"]
    assert console.get(f"{base}.doc").status_code == 404


def test_another_subtrees_frozen_list_is_a_404_page(app, flow, client, login, quarter):
    leader = _leader(app)
    _freeze(leader, {"document_number": "125/TTr-SNV", "document_date": "21/12/2026",
                     "signer_name": "Nguyễn Văn An"}, 303)
    list_id = client.get("/api/v1/reports/lists/frozen", headers=login("leader1")).get_json()["items"][0]["id"]
    ward = _ward_leader(app, flow)
    for path in (f"/console/lists/frozen/{list_id}", f"/console/lists/frozen/{list_id}/export.pdf",
                 f"/console/lists/frozen/{list_id}/export.docx", "/console/lists/frozen/999999"):
        response = ward.get(path)
        assert response.status_code == 404, path
        assert "Không tìm thấy danh sách." in response.text
    assert "125/TTr-SNV" not in ward.get("/console/lists/frozen").text
    assert ward.get("/console/lists/frozen?cursor=forged").status_code == 422


def test_a_leader_lands_on_the_scores_and_a_reviewer_on_the_queue(app, demo):
    leader = _leader(app)
    assert leader.get("/console/").headers["Location"].endswith("/console/scores")
    reviewer = app.test_client()
    sign_in(reviewer, "reviewer1")
    assert reviewer.get("/console/").headers["Location"].endswith("/console/queue")

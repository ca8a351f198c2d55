"""A provincial leader's round in Chromium, by visible labels and roles: the scores of a
quarter, down to one visit, the criticism list, freezing it under a Tờ trình number and
downloading the three documents a clerk prints."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlsplit

import openpyxl
import pytest
from docx import Document

from tests.api.review_support import Flow
from tests.browser.conftest import TABLET
from tests.browser.support import sign_in

pytestmark = pytest.mark.usefixtures("demo")

MINHXUAN_DESK = "Trung tâm Phục vụ hành chính công phường Minh Xuân"


@pytest.fixture
def approved(client, demo, login):
    """Q4/2026: Minh Xuân with a critical unit failure and a staff failure, Mỹ Lâm clean."""
    flow = Flow(client, demo, login)
    failing = flow.approved("TQ-MINHXUAN", "2026-11-10", {"SEAT-02": "fail", "CON-01": "fail"})
    flow.approved("TQ-MYLAM", "2026-11-11")
    return failing


def _choose_q4(page) -> None:
    page.get_by_label("Từ ngày (dd/mm/yyyy)").fill("01/10/2026")
    page.get_by_label("Đến ngày (dd/mm/yyyy)").fill("31/12/2026")
    page.get_by_role("button", name="Xem kỳ này").click()


def _download(page, link: str) -> bytes:
    with page.expect_download() as waiting:
        page.get_by_role("link", name=link).click()
    return Path(waiting.value.path()).read_bytes()


def test_a_leader_drills_down_then_freezes_and_downloads_the_list(new_page, approved, client, login):
    page = new_page()
    sign_in(page, "leader1")
    page.get_by_role("link", name="Điểm đánh giá").click()
    _choose_q4(page)
    page.get_by_role("heading", name="Điểm đánh giá Bộ phận Một cửa quý IV/2026").wait_for()
    assert page.get_by_role("img", name="Điểm trung bình các đơn vị quý IV/2026").is_visible()
    rows = page.get_by_role("row")
    assert "Phường Mỹ Lâm" in rows.nth(1).inner_text() and "mới" in rows.nth(1).inner_text()
    assert _download(page, "Tải bảng điểm (PDF)").startswith(b"%PDF")

    # Unit -> desk -> the visit itself.
    page.get_by_role("link", name="Phường Minh Xuân").click()
    page.get_by_role("heading", name="Kết quả của đơn vị").wait_for()
    page.get_by_role("link", name=MINHXUAN_DESK).click()
    page.get_by_role("heading", name="Các buổi kiểm tra đã duyệt").wait_for()
    page.get_by_role("link", name="Buổi kiểm tra 10/11/2026").click()
    page.get_by_role("heading", name="Kết quả kiểm tra").wait_for()
    assert f"/console/visits/{approved.id}" in page.url

    # The criticism list of the quarter, each entry with why.
    page.get_by_role("link", name="Danh sách đề nghị").click()
    _choose_q4(page)
    page.get_by_role("heading", name="Danh sách đề nghị phê bình, xem xét xử lý kỷ luật quý IV/2026").wait_for()
    assert page.get_by_role("heading", name="Phường Minh Xuân").first.is_visible()
    page.get_by_text("Kết quả kiểm tra làm căn cứ").first.click()
    assert page.get_by_role("link", name="Ảnh 1 (SEAT-02, 10/11/2026)").first.is_visible()

    # Freezing without a signer keeps the rest; with one it goes through.
    page.get_by_label("Số Tờ trình (bắt buộc)").fill("125/TTr-SNV")
    page.get_by_label("Ngày Tờ trình (dd/mm/yyyy, bắt buộc)").fill("21/12/2026")
    page.get_by_role("button", name="Chốt danh sách").click()
    page.get_by_text("Hãy nhập họ tên người ký.").wait_for()
    assert page.get_by_label("Số Tờ trình (bắt buộc)").input_value() == "125/TTr-SNV"
    page.get_by_label("Họ tên người ký (bắt buộc)").fill("Nguyễn Văn An")
    page.get_by_role("button", name="Chốt danh sách").click()
    page.get_by_text("Đã chốt danh sách phê bình số 125/TTr-SNV.").wait_for()
    frozen = client.get("/api/v1/reports/lists/frozen", headers=login("leader1")).get_json()["items"]
    assert [(f["document_number"], f["signer_name"]) for f in frozen] == [("125/TTr-SNV", "Nguyễn Văn An")]

    docx = Document(io.BytesIO(_download(page, "Tải Tờ trình (.docx)")))
    assert any("125/TTr-SNV" in p.text for p in docx.paragraphs)
    assert _download(page, "Tải danh sách (PDF)").startswith(b"%PDF")
    book = openpyxl.load_workbook(io.BytesIO(_download(page, "Tải danh sách (Excel)")), read_only=True)
    assert any("Phường Minh Xuân" in str(cell) for row in book.worksheets[0].iter_rows(values_only=True)
               for cell in row if cell)

    # The same list on a tablet: nothing runs off the side.
    tablet = new_page(TABLET)
    sign_in(tablet, "leader1", path=urlsplit(page.url).path)
    tablet.get_by_role("heading", name="Tờ trình số 125/TTr-SNV ngày 21/12/2026").wait_for()
    assert tablet.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0

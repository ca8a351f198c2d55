"""Whole flows in Chromium, as a reviewer at Sở Nội vụ works: the round trip with the
inspector's tablet (the API), a race of two reviewers, CSRF, scope, signing out, a
disabled account, and the review flow by keyboard alone."""

from __future__ import annotations

import pytest

from tests.api.review_support import Flow
from tests.api.visit_support import passing_answer
from tests.browser.support import open_visit, sign_in
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.usefixtures("demo")

MINHXUAN = "Trung tâm Phục vụ hành chính công phường Minh Xuân"
MYLAM = "Trung tâm Phục vụ hành chính công phường Mỹ Lâm"


@pytest.fixture
def flow(client, demo, login):
    return Flow(client, demo, login)


@pytest.fixture
def failing_visit(flow):
    """Submitted by inspector1's tablet: the waiting chairs fail (critical, with a photo)."""
    return flow.visit("TQ-MINHXUAN", "2026-11-10", {"SEAT-02": "fail", "CON-01": "fail"})


def api_visit(client, login, visit_id: str) -> dict:
    response = client.get(f"/api/v1/visits/{visit_id}", headers=login("reviewer1"))
    assert response.status_code == 200
    return response.get_json()


def test_return_fix_resubmit_approve(page, failing_visit, client, login, demo):
    sign_in(page, "reviewer1")
    open_visit(page, MINHXUAN)
    assert page.get_by_text("Không đạt").first.is_visible()
    page.get_by_role("img", name="Ảnh minh chứng: SEAT-02").first.wait_for()
    page.get_by_text("Ghi chú thẩm định tiêu chí SEAT-02").click()
    page.get_by_label("Nhận xét cho SEAT-02").fill("Ảnh chưa thấy rõ hàng ghế")
    page.get_by_label("Nhận xét chung (bắt buộc khi trả lại)").fill("Chụp lại ghế chờ và bổ sung.")
    page.get_by_role("button", name="Trả lại cho đoàn kiểm tra").click()
    page.get_by_text("Đã trả lại buổi kiểm tra.").wait_for()
    assert api_visit(client, login, failing_visit.id)["status"] == "returned"

    # The inspector's tablet, over the API with a bearer token: fix the finding, resubmit.
    headers = login("inspector1")
    fixed = {**passing_answer(demo, "SEAT-02"), "id": failing_visit.findings["SEAT-02"]}
    r = client.put(f"/api/v1/visits/{failing_visit.id}/findings", headers=headers, json={"findings": [fixed]})
    assert r.status_code == 200, r.get_json()
    r = client.post(f"/api/v1/visits/{failing_visit.id}/submit", headers=headers)
    assert r.status_code == 200, r.get_json()

    page.reload()
    assert page.get_by_role("row", name="1 Trả lại").is_visible()  # round 1 in the review table
    page.get_by_role("button", name="Duyệt", exact=True).click()
    page.get_by_text("Đã duyệt buổi kiểm tra.").wait_for()
    visit = api_visit(client, login, failing_visit.id)
    assert visit["status"] == "approved"
    assert [r["decision"] for r in visit["reviews"]] == ["return", "approve"]


def test_two_reviewers_race(new_page, failing_visit, flow):
    flow.create_user("reviewer2", "reviewer", "TQ")
    first, second = new_page(), new_page()
    sign_in(first, "reviewer1")
    sign_in(second, "reviewer2", DEMO_PASSWORD + "-reviewer2")
    open_visit(first, MINHXUAN)
    open_visit(second, MINHXUAN)
    first.get_by_role("button", name="Duyệt", exact=True).click()
    first.get_by_text("Đã duyệt buổi kiểm tra.").wait_for()
    second.get_by_label("Nhận xét chung (bắt buộc khi trả lại)").fill("Cần chụp lại ảnh ghế")
    second.get_by_role("button", name="Trả lại cho đoàn kiểm tra").click()
    alert = second.get_by_role("alert").filter(has_text="Quyết định của bạn chưa được ghi")
    alert.wait_for()
    assert "Trần Thị Bích Ngọc duyệt lúc" in alert.inner_text()
    assert second.get_by_label("Nhận xét chung (bắt buộc khi trả lại)").input_value() == "Cần chụp lại ảnh ghế"


def test_a_post_without_the_csrf_token_gets_400(page, failing_visit, client, login):
    sign_in(page, "reviewer1")
    open_visit(page, MINHXUAN)
    page.locator("input[name=csrf_token]").evaluate_all("inputs => inputs.forEach(i => i.remove())")
    page.get_by_role("button", name="Duyệt", exact=True).click()
    page.get_by_role("heading", name="Yêu cầu không hợp lệ").wait_for()
    assert "CSRF" in page.content()
    assert api_visit(client, login, failing_visit.id)["status"] == "submitted"


def test_another_subtree_gets_a_404_page(page, failing_visit, flow):
    flow.create_user("reviewer.tantrao", "reviewer", "TQ-TANTRAO")
    sign_in(page, "reviewer.tantrao", DEMO_PASSWORD + "-reviewer.tantrao")
    assert page.get_by_text("Không có buổi kiểm tra nào").is_visible()
    response = page.goto(f"/console/visits/{failing_visit.id}")
    assert response.status == 404
    assert page.get_by_role("heading", name="Không tìm thấy").is_visible()
    assert MINHXUAN not in page.content()


def test_after_signing_out_back_and_urls_lead_to_sign_in(page, failing_visit):
    sign_in(page, "reviewer1")
    open_visit(page, MINHXUAN)
    visit_url = page.url
    page.get_by_role("button", name="Đăng xuất").click()
    page.get_by_text("Bạn đã đăng xuất.").wait_for()
    page.go_back()
    page.get_by_role("heading", name="Đăng nhập").wait_for()
    assert MINHXUAN not in page.content()
    page.goto(visit_url)
    assert page.get_by_role("heading", name="Đăng nhập").is_visible()


def test_a_disabled_account_loses_its_session(page, failing_visit, client, login, demo):
    sign_in(page, "reviewer1")
    open_visit(page, MINHXUAN)
    r = client.patch(f"/api/v1/users/{demo.users['reviewer1']}", headers=login("admin"), json={"active": False})
    assert r.status_code == 200
    page.reload()
    assert page.get_by_role("heading", name="Đăng nhập").is_visible()
    page.get_by_label("Tên đăng nhập").fill("reviewer1")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    assert page.get_by_role("alert").filter(has_text="tài khoản đã bị khóa").is_visible()


def _tab_to(page, predicate: str, limit: int = 400) -> None:
    """Press Tab until the focused element satisfies the JS `predicate(el)`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return {predicate}; }})()"):
            return
    raise AssertionError(f"never focused: {predicate}")


def test_the_review_flow_by_keyboard_alone(page, failing_visit, client, login):
    page.goto("/console/")
    page.get_by_label("Tên đăng nhập").focus()  # autofocus: where the page starts anyway
    page.keyboard.type("reviewer1")
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Đăng xuất").wait_for()
    _tab_to(page, f"el.textContent.trim() === {MINHXUAN!r}")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Kết quả kiểm tra").wait_for()
    _tab_to(page, "el.tagName === 'SUMMARY' && el.textContent.includes('SEAT-02')")
    page.keyboard.press("Enter")  # opens the note
    _tab_to(page, "el.tagName === 'SELECT'")
    page.keyboard.press("ArrowDown")  # Nghiêm trọng -> first choice below "keep"
    _tab_to(page, "el.id === 'decision-comment'")
    page.keyboard.type("Trả lại qua bàn phím")
    _tab_to(page, "el.textContent.trim() === 'Trả lại cho đoàn kiểm tra'")
    page.keyboard.press("Enter")
    page.get_by_text("Đã trả lại buổi kiểm tra.").wait_for()
    visit = api_visit(client, login, failing_visit.id)
    assert visit["status"] == "returned"
    assert visit["reviews"][-1]["comment"] == "Trả lại qua bàn phím"
    assert [n["severity"] for n in visit["reviews"][-1]["findings"]] == ["critical"]

"""The corrections round trip in Chromium: the inspected unit's officer signs in, sees the
reminder, reports a fix with a photo chosen in the file input; the reviewer at Sở Nội vụ
sees the report waiting and accepts it. One flow: browser tests are few by design."""

from __future__ import annotations

import datetime as dt

import pytest

from inspect_api.corrections.models import Correction, vietnam_today
from inspect_api.db import db
from tests.api.review_support import _PHOTO, Flow
from tests.api.test_corrections import by_code, corrections
from tests.browser.support import sign_in
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.usefixtures("demo")

OFFICER = "canbo.tantrao"


def test_the_unit_reports_a_fix_with_a_photo_and_the_reviewer_accepts(new_page, app, client, demo, login):
    flow = Flow(client, demo, login)
    flow.approved("TQ-TANTRAO", "2026-11-10", {"SEAT-02": "fail", "FAC-01": "fail"})
    seat = by_code(corrections(client, login("reviewer1")))["SEAT-02"]
    with app.app_context():  # time has passed: SEAT-02 is overdue
        db.session.get(Correction, seat["id"]).deadline = vietnam_today() - dt.timedelta(days=3)
        db.session.commit()
        db.session.remove()
    flow.create_user(OFFICER, "unit_officer", "TQ-TANTRAO")

    page = new_page()
    sign_in(page, OFFICER, DEMO_PASSWORD + "-" + OFFICER)
    page.get_by_role("heading", name="Nhắc việc khắc phục").wait_for()
    page.get_by_role("link", name="1 yêu cầu khắc phục đã quá hạn").click()
    page.get_by_role("img", name="Ảnh không đạt khi kiểm tra, SEAT-02").first.wait_for()
    page.get_by_role("link", name="Báo cáo khắc phục SEAT-02").click()
    page.get_by_label("Nội dung đã khắc phục").fill("Đã bố trí thêm 12 ghế chờ cho người dân")
    page.get_by_label("Ảnh chụp kết quả").set_input_files(
        files=[{"name": "ghe-cho.jpg", "mimeType": "image/jpeg", "buffer": _PHOTO}])
    page.get_by_role("button", name="Gửi báo cáo khắc phục").click()
    page.get_by_text("Đã gửi báo cáo khắc phục; Sở Nội vụ sẽ xem xét.").wait_for()
    photo = page.get_by_role("img", name="Ảnh báo cáo khắc phục SEAT-02").first
    photo.wait_for()
    assert photo.evaluate("image => image.complete && image.naturalWidth > 0")
    page.get_by_role("button", name="Đăng xuất").click()

    sign_in(page, "reviewer1")
    page.get_by_role("link", name="1 báo cáo khắc phục chờ bạn xem xét").click()
    page.get_by_text("Đã bố trí thêm 12 ghế chờ cho người dân").wait_for()
    page.get_by_role("link", name="Xem xét báo cáo SEAT-02").click()
    page.get_by_label("Nhận xét (bắt buộc khi yêu cầu khắc phục lại)").fill("Ảnh cho thấy đủ ghế chờ")
    page.get_by_role("button", name="Chấp nhận kết quả khắc phục").click()
    page.get_by_text("Đã chấp nhận báo cáo khắc phục.").wait_for()

    api = client.get(f"/api/v1/corrections/{seat['id']}", headers=login("reviewer1")).get_json()
    assert api["status"] == "verified"
    assert api["reports"][0]["note"] == "Đã bố trí thêm 12 ghế chờ cho người dân"
    assert api["verifications"][0]["note"] == "Ảnh cho thấy đủ ghế chờ"

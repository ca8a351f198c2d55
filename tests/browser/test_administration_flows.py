"""An administrator's work in Chromium, checked where it lands: a staff member added in
the console reaches the inspector's tablet on its next sync (and leaves it again), and a
disabled account loses its console session and its API token at once."""

from __future__ import annotations

import pytest

from tests.browser.support import sign_in

pytestmark = pytest.mark.usefixtures("demo")

MINHXUAN = "Trung tâm Phục vụ hành chính công phường Minh Xuân"


def pull(client, headers: dict, cursor: str | None = None) -> dict:
    """The tablet's sync of the staff feed: everything, or what changed since `cursor`."""
    query = {"per_page": 200, **({"cursor": cursor} if cursor else {})}
    response = client.get("/api/v1/staff", query_string=query, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_staff_member_added_in_the_console_reaches_the_tablet(page, client, login, demo):
    tablet = login("inspector1")
    synced = pull(client, tablet)
    assert synced["meta"]["more"] is False

    sign_in(page, "admin")
    page.get_by_role("link", name="Quản trị").click()
    page.get_by_role("link", name="Cán bộ tại Bộ phận Một cửa").click()
    page.get_by_role("link", name="Thêm cán bộ").click()
    page.get_by_label("Họ và tên").fill("Lò Thị Mai")
    page.get_by_label("Mã cán bộ").fill("TQ-MINHXUAN-099")
    page.get_by_label("Chức vụ").fill("Công chức tiếp nhận hồ sơ")
    page.get_by_label("Đơn vị quản lý").select_option(label="Phường Minh Xuân")
    page.get_by_label("Bộ phận Một cửa làm việc").select_option(label=MINHXUAN)
    page.get_by_role("button", name="Thêm cán bộ").click()
    page.get_by_text("Đã thêm Lò Thị Mai vào danh sách cán bộ.").wait_for()

    delta = pull(client, tablet, synced["meta"]["cursor"])
    assert [(s["full_name"], s["employee_code"]) for s in delta["items"]] == [("Lò Thị Mai", "TQ-MINHXUAN-099")]
    assert delta["items"][0]["desk_id"] == next(d for d, u in demo.desk_unit.items()
                                                if u == demo.units["TQ-MINHXUAN"])

    # She leaves: the next sync takes her off the tablet.
    page.get_by_role("button", name="Ghi nhận nghỉ việc").click()
    page.get_by_text("Đã ghi nhận cán bộ nghỉ việc").wait_for()
    gone = pull(client, tablet, delta["meta"]["cursor"])
    assert gone["items"] == [] and gone["removed"] == [delta["items"][0]["id"]]


def test_an_admin_disables_an_account(new_page, client, login):
    admin, reviewer = new_page(), new_page()
    sign_in(reviewer, "reviewer1")
    token = login("reviewer1")
    sign_in(admin, "admin")
    admin.get_by_role("link", name="Quản trị").click()
    admin.get_by_label("Vai trò").select_option(label="Thẩm định viên")
    admin.get_by_role("button", name="Lọc").click()
    admin.get_by_role("link", name="reviewer1").click()
    admin.get_by_role("button", name="Khóa tài khoản").click()
    admin.get_by_text("Đã khóa tài khoản").wait_for()
    assert admin.get_by_role("button", name="Mở khóa tài khoản").is_visible()

    reviewer.reload()
    reviewer.get_by_role("heading", name="Đăng nhập").wait_for()
    assert client.get("/api/v1/auth/me", headers=token).status_code == 401

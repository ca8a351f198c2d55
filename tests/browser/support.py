"""Steps a person takes in the console, by visible labels and roles."""

from __future__ import annotations

from tests.conftest import DEMO_PASSWORD


def sign_in(page, username: str, password: str = DEMO_PASSWORD, path: str = "/console/") -> None:
    page.goto(path)
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("button", name="Đăng xuất").wait_for()


def open_visit(page, desk_name: str) -> None:
    page.goto("/console/queue")
    page.get_by_role("link", name=desk_name).first.click()
    page.get_by_role("heading", name="Kết quả kiểm tra").wait_for()

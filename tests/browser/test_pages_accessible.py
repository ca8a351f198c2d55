"""Every console page, at the office PC's 1366×768 and a tablet's 768×1024: axe-core finds
no serious or critical violation, nothing runs off the side of the screen, and the
browser reports no Content-Security-Policy violation (the pages need no inline code)."""

from __future__ import annotations

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.api.review_support import Flow
from tests.browser.conftest import OFFICE_PC, TABLET
from tests.browser.support import sign_in
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
def seeded(client, demo, login):
    """A visit waiting with a critical failure, its photo and a pending explanation, and a
    returned one."""
    flow = Flow(client, demo, login)
    waiting = flow.visit("TQ-MINHXUAN", "2026-11-10", {"SEAT-02": "fail", "CON-01": "fail"})
    returned = flow.visit("TQ-MYLAM", "2026-11-11", {"FAC-01": "fail"})
    flow.review(returned.id, "return", comment="Bổ sung ảnh")
    deadline = (dt.date(2026, 11, 30) + dt.timedelta(days=400)).isoformat()
    flow.explanation(waiting.findings["CON-01"], "request", deadline=deadline)
    flow.create_user("leader.view", "leader", "TQ")
    return waiting


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [f"{page.url} {v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def overflow(page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def check_administration(page, demo, check) -> None:
    """The administration pages (console/administration.py), a refused form among them."""
    desk = next(iter(demo.staff_by_desk))
    for path in ("/console/admin/accounts", "/console/admin/accounts/new",
                 f"/console/admin/accounts/{demo.users['inspector1']}", "/console/admin/teams",
                 f"/console/admin/teams/{demo.teams['Đoàn kiểm tra số 1']}", "/console/admin/staff",
                 "/console/admin/staff/new", f"/console/admin/staff/{demo.staff_by_desk[desk][0]}",
                 "/console/admin/desks", "/console/admin/desks/new", f"/console/admin/desks/{desk}"):
        check(path)
    page.get_by_label("Vĩ độ").fill("200")
    page.get_by_role("button", name="Lưu thay đổi").click()
    page.get_by_text("Vĩ độ phải từ -90 đến 90.").wait_for()
    check()


@pytest.mark.parametrize("viewport", [OFFICE_PC, TABLET], ids=["1366x768", "768x1024"])
def test_every_page_passes_axe_and_fits(new_page, seeded, viewport, demo):
    page = new_page(viewport)
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text)
            if "Content Security Policy" in message.text else None)
    problems: list[str] = []

    def check(path: str | None = None) -> None:
        if path:
            page.goto(path)
        problems.extend(serious_violations(page))
        if overflow(page) > 0:
            problems.append(f"{page.url}: {overflow(page)} px wider than the window")

    check("/console/sign-in")
    sign_in(page, "reviewer1")
    check("/console/queue")
    check("/console/queue?state=all&critical=true")
    check("/console/queue?state=approved")  # the empty list
    check(f"/console/visits/{seeded.id}")
    page.get_by_text("Ghi chú thẩm định tiêu chí SEAT-02").click()  # an open note form
    check()
    check(f"/console/evidence/{seeded.evidence['SEAT-02']}")
    check("/console/explanations")
    check("/console/no-such-page")
    page.get_by_role("button", name="Đăng xuất").click()
    sign_in(page, "inspector1")
    check("/console/")
    page.get_by_role("button", name="Đăng xuất").click()
    sign_in(page, "leader.view", DEMO_PASSWORD + "-leader.view")
    check("/console/queue")
    page.get_by_role("button", name="Đăng xuất").click()
    sign_in(page, "admin")
    check_administration(page, demo, check)
    assert problems == []
    assert blocked == []

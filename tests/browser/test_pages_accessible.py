"""Every console page, at the office PC's 1366×768 and a tablet's 768×1024: axe-core finds
no serious or critical violation, nothing runs off the side of the screen, and the
browser reports no Content-Security-Policy violation (the pages need no inline code)."""

from __future__ import annotations

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe

from inspect_api.corrections.models import Correction
from inspect_api.db import db
from tests.api.review_support import _PHOTO, Flow
from tests.browser.conftest import OFFICE_PC, TABLET
from tests.browser.support import sign_in
from tests.conftest import DEMO_PASSWORD, new_id

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
def seeded(app, client, demo, login):
    """A visit waiting with a critical failure, its photo and a pending explanation, and a
    returned one; an approved one whose corrections a unit officer sees (one overdue, one
    reported with a photo)."""
    flow = Flow(client, demo, login)
    flow.approved("TQ-TANTRAO", "2026-11-09", {"SEAT-02": "fail", "SEAT-01": "fail"})
    officer = flow.create_user("officer.view", "unit_officer", "TQ-TANTRAO")
    items = {c["criterion_code"]: c for c in client.get("/api/v1/corrections", headers=officer).get_json()["items"]}
    photo = new_id()
    assert client.put(f"/api/v1/corrections/{items['SEAT-01']['id']}/photos/{photo}", data=_PHOTO,
                      headers={**officer, "Content-Type": "image/jpeg"}).status_code == 201
    assert client.post(f"/api/v1/corrections/{items['SEAT-01']['id']}/reports", headers=officer, json={
        "id": new_id(), "note": "Đã bố trí thêm ghế", "photo_ids": [photo]}).status_code == 200
    with app.app_context():
        db.session.get(Correction, items["SEAT-02"]["id"]).deadline = dt.date(2026, 1, 1)
        db.session.commit()
        db.session.remove()
    waiting = flow.visit("TQ-MINHXUAN", "2026-11-10", {"SEAT-02": "fail", "CON-01": "fail"})
    returned = flow.visit("TQ-MYLAM", "2026-11-11", {"FAC-01": "fail"})
    flow.review(returned.id, "return", comment="Bổ sung ảnh")
    deadline = (dt.date(2026, 11, 30) + dt.timedelta(days=400)).isoformat()
    flow.explanation(waiting.findings["CON-01"], "request", deadline=deadline)
    flow.create_user("leader.view", "leader", "TQ")
    waiting.corrections = items  # the Tân Trào corrections by criterion code
    return waiting


@pytest.fixture
def reported(client, demo, login):
    """Called once the reviewer's pages are checked (one of which is the empty approved
    queue): an approved visit with failures in Q4/2026 and a criticism list frozen from
    it; the ids the leadership pages need."""

    def make() -> dict:
        flow = Flow(client, demo, login)
        visit = flow.approved("TQ-HAGIANG1", "2026-11-12", {"SEAT-02": "fail", "CON-01": "fail"})
        r = client.post("/api/v1/reports/lists", headers=login("leader1"), json={
            "kind": "criticism", "from": "2026-10-01", "to": "2026-12-31", "document_number": "125/TTr-SNV",
            "document_date": "2026-12-21", "signer_name": "Nguyễn Văn An"})
        assert r.status_code == 201, r.get_json()
        return {"unit": demo.units["TQ-HAGIANG1"], "desk": visit.desk_id, "list": r.get_json()["id"]}

    return make


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [f"{page.url} {v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def overflow(page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


class Checker:
    """One browser page, the problems found on each page checked with it, and the
    Content-Security-Policy violations the browser reported."""

    def __init__(self, page) -> None:
        self.page = page
        self.problems: list[str] = []
        self.blocked: list[str] = []
        page.on("console", lambda message: self.blocked.append(message.text)
                if "Content Security Policy" in message.text else None)

    def __call__(self, path: str | None = None) -> None:
        if path:
            self.page.goto(path)
        self.problems.extend(serious_violations(self.page))
        if overflow(self.page) > 0:
            self.problems.append(f"{self.page.url}: {overflow(self.page)} px wider than the window")

    def assert_clean(self) -> None:
        assert self.problems == []
        assert self.blocked == []


# One test per part of the console, each at both sizes, so pytest-xdist can spread them.
@pytest.fixture(params=[OFFICE_PC, TABLET], ids=["1366x768", "768x1024"])
def check(request, new_page):
    checker = Checker(new_page(request.param))
    yield checker
    checker.assert_clean()


def test_review_pages_pass_axe_and_fit(check, seeded):
    page = check.page
    check("/console/sign-in")
    sign_in(page, "reviewer1")
    check("/console/queue")
    check("/console/queue?state=all&critical=true")
    check("/console/queue?state=approved&date_from=2030-01-01")  # the empty list
    check("/console/corrections")  # reports waiting for the reviewer
    check(f"/console/corrections/{seeded.corrections['SEAT-01']['id']}")  # the accept / re-check form
    check(f"/console/visits/{seeded.id}")
    page.get_by_text("Ghi chú thẩm định tiêu chí SEAT-02").click()  # an open note form
    check()
    check(f"/console/evidence/{seeded.evidence['SEAT-02']}")
    check("/console/explanations")
    check("/console/no-such-page")
    page.get_by_role("button", name="Đăng xuất").click()
    sign_in(page, "inspector1")
    check("/console/")


def test_leadership_pages_pass_axe_and_fit(check, seeded, reported):
    page = check.page
    made = reported()
    sign_in(page, "leader.view", DEMO_PASSWORD + "-leader.view")
    check("/console/queue")
    q4 = "from=01/10/2026&to=31/12/2026"
    check(f"/console/scores?{q4}")  # the chart, the ranking, the trend
    check("/console/scores?from=31/02/2026&to=01/01/2026")  # the chooser's errors
    check(f"/console/scores/units/{made['unit']}?{q4}")
    check(f"/console/scores/desks/{made['desk']}?{q4}")
    check(f"/console/lists?kind=criticism&{q4}")
    page.get_by_text("Kết quả kiểm tra làm căn cứ").first.click()  # an entry's findings open
    page.get_by_role("button", name="Chốt danh sách").click()  # the freeze form's errors
    page.get_by_text("Hãy nhập họ tên người ký.").wait_for()
    check()
    check(f"/console/lists?kind=commendation&{q4}")  # the empty list
    check("/console/lists/frozen")
    check(f"/console/lists/frozen/{made['list']}")


def test_administration_pages_pass_axe_and_fit(check, demo):
    page = check.page
    sign_in(page, "admin")
    desk = next(iter(demo.staff_by_desk))
    for path in ("/console/admin/accounts", "/console/admin/accounts/new",
                 f"/console/admin/accounts/{demo.users['inspector1']}", "/console/admin/teams",
                 f"/console/admin/teams/{demo.teams['Đoàn kiểm tra số 1']}", "/console/admin/staff",
                 "/console/admin/staff/new", f"/console/admin/staff/{demo.staff_by_desk[desk][0]}",
                 "/console/admin/desks", "/console/admin/desks/new", f"/console/admin/desks/{desk}"):
        check(path)
    page.get_by_label("Vĩ độ").fill("200")
    page.get_by_role("button", name="Lưu thay đổi").click()
    page.get_by_text("Vĩ độ phải từ -90 đến 90.").wait_for()  # a refused form
    check()


def test_unit_officer_pages_pass_axe_and_fit(check, seeded):
    sign_in(check.page, "officer.view", DEMO_PASSWORD + "-officer.view")
    check("/console/corrections")  # the reminder and the unit's corrections
    check(f"/console/corrections/{seeded.corrections['SEAT-02']['id']}")  # the report form
    check(f"/console/corrections/{seeded.corrections['SEAT-01']['id']}")  # a report with its photo
    check("/console/corrections?show=closed")  # the empty list


def test_notice_pages_pass_axe_and_fit(check, seeded, client, demo, login):
    """The plans, a plan's units (one notice issued, one draft with its form, then the
    form's errors), and the unit officer's list of its notices."""
    page = check.page
    Flow(client, demo, login).approved("TQ-HAGIANG1", "2026-11-12", {"SEAT-02": "fail"})
    plan_id = client.get("/api/v1/plans", headers=login("admin")).get_json()["items"][0]["id"]
    r = client.post(f"/api/v1/plans/{plan_id}/notices", headers=login("leader1"), json={
        "org_unit_id": demo.units["TQ-TANTRAO"], "document_number": "15/TB-SNV", "document_date": "2026-12-05",
        "signer_name": "Phạm Thị Hòa"})
    assert r.status_code == 201, r.get_json()
    sign_in(page, "leader1")
    check("/console/notices")
    check(f"/console/notices/plans/{plan_id}")
    page.get_by_label("Họ tên người ký (bắt buộc)").fill("")
    page.get_by_role("button", name="Ban hành thông báo").click()  # the form's errors, typed values kept
    page.get_by_text("Hãy nhập họ tên người ký.").wait_for()
    check()
    page.get_by_role("button", name="Đăng xuất").click()
    sign_in(page, "officer.view", DEMO_PASSWORD + "-officer.view")
    check("/console/notices")

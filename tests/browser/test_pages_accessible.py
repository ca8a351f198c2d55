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


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [f"{page.url} {v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def overflow(page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.parametrize("viewport", [OFFICE_PC, TABLET], ids=["1366x768", "768x1024"])
def test_every_page_passes_axe_and_fits(new_page, seeded, viewport):
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
    page.get_by_role("button", name="Đăng xuất").click()
    sign_in(page, "leader.view", DEMO_PASSWORD + "-leader.view")
    check("/console/queue")
    page.get_by_role("button", name="Đăng xuất").click()
    sign_in(page, "officer.view", DEMO_PASSWORD + "-officer.view")
    check("/console/corrections")  # the reminder and the unit's corrections
    check(f"/console/corrections/{seeded.corrections['SEAT-02']['id']}")  # the report form
    check(f"/console/corrections/{seeded.corrections['SEAT-01']['id']}")  # a report with its photo
    check("/console/corrections?show=closed")  # the empty list
    assert problems == []
    assert blocked == []

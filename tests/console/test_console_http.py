"""The web console over HTTP (Flask test client): headers, sessions, CSRF, scope, and the
reviewer's actions, each checked against what the API then reports."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from inspect_api.app import create_app
from inspect_api.console.setup import session_settings
from inspect_api.db import db
from inspect_api.reviews.models import Explanation
from inspect_api.reviews.queue import QueueFilters, review_overview
from inspect_api.timezone import VIETNAM_TZ
from tests.api.review_support import Flow
from tests.conftest import DEMO_PASSWORD
from tests.conftest import test_settings as settings_for_tests  # not collected as a test
from tests.console.support import csrf_token, post_form, sign_in

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


@pytest.fixture
def flow(client, demo, login):
    return Flow(client, demo, login)


@pytest.fixture
def failing_visit(flow):
    """A submitted visit with a critical unit failure (with its photo) and a staff failure."""
    return flow.visit("TQ-MINHXUAN", "2026-11-10", {"SEAT-02": "fail", "CON-01": "fail"})


def today() -> dt.date:
    return dt.datetime.now(VIETNAM_TZ).date()


def visit_status(client, login, visit_id: str) -> dict:
    response = client.get(f"/api/v1/visits/{visit_id}", headers=login("reviewer1"))
    assert response.status_code == 200
    return response.get_json()


def assert_console_headers(response):
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


# --- entry, headers, cookie ----------------------------------------------------------

def test_root_leads_to_the_sign_in_page(client, demo):
    assert client.get("/").headers["Location"] == "/console/"
    assert client.get("/console/").headers["Location"] == "/console/sign-in"
    response = client.get("/console/queue")
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/sign-in?next=/console/queue"
    page = client.get("/console/sign-in")
    assert page.status_code == 200 and '<html lang="vi">' in page.text
    assert "Đăng nhập" in page.text


def test_every_page_carries_the_security_headers(client, failing_visit):
    assert_console_headers(client.get("/console/sign-in"))
    sign_in(client, "reviewer1")
    for path in ("/console/queue", f"/console/visits/{failing_visit.id}", "/console/explanations",
                 f"/console/evidence/{failing_visit.evidence['SEAT-02']}", "/console/no-such-page",
                 "/console/visits/00000000-0000-0000-0000-000000000000"):
        response = client.get(path)
        assert_console_headers(response)
        assert response.mimetype == "text/html"
    # No inline script or style for the policy to have to allow.
    page = client.get(f"/console/visits/{failing_visit.id}").text
    assert "<script" not in page and "style=" not in page and "<style" not in page


def test_the_session_cookie_is_httponly_and_lax(client, demo):
    response = sign_in(client, "reviewer1")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("console_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/console;" in cookie
    assert "Secure" not in cookie  # testing serves plain HTTP


def test_the_cookie_is_secure_in_production_or_when_set(app, demo):
    base = dict(app.config)
    auto = {**base, "CONSOLE_COOKIE_SECURE": None}
    assert session_settings({**auto, "APP_ENV": "production"})["SESSION_COOKIE_SECURE"]
    assert not session_settings({**auto, "APP_ENV": "development"})["SESSION_COOKIE_SECURE"]
    secure = create_app(settings_for_tests(CONSOLE_COOKIE_SECURE=True), environ={})
    try:
        response = sign_in(secure.test_client(), "reviewer1")
        assert "Secure" in response.headers["Set-Cookie"]
    finally:
        with secure.app_context():
            db.engine.dispose()


# --- signing in ----------------------------------------------------------------------

def test_wrong_password_shows_the_form_again(client, demo):
    response = sign_in(client, "reviewer1", "not-the-password", expect=401)
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.text
    assert 'value="reviewer1"' in response.text
    assert client.get("/console/queue").status_code == 302


def test_sign_in_shares_the_api_login_throttle(client, demo):
    for _ in range(5):
        wrong = client.post("/api/v1/auth/login", json={"username": "reviewer1", "password": "wrong-one"})
        assert wrong.status_code == 401
    response = sign_in(client, "reviewer1", expect=429)  # the right password, refused unread
    assert int(response.headers["Retry-After"]) > 0
    assert "Đăng nhập sai quá nhiều lần" in response.text


def test_next_stays_inside_the_console(client, demo):
    page = client.get("/console/sign-in?next=//evil.example/x")
    response = client.post("/console/sign-in?next=//evil.example/x", data={
        "username": "reviewer1", "password": DEMO_PASSWORD, "csrf_token": csrf_token(page.text)})
    assert response.headers["Location"] == "/console/"


def test_signing_in_returns_to_the_page_asked_for(client, failing_visit):
    path = f"/console/visits/{failing_visit.id}"
    assert client.get(path).headers["Location"] == f"/console/sign-in?next={path}"
    page = client.get(f"/console/sign-in?next={path}")
    response = client.post("/console/sign-in", data={
        "username": "reviewer1", "password": DEMO_PASSWORD, "next": path, "csrf_token": csrf_token(page.text)})
    assert response.headers["Location"] == path


# --- sessions end as API sessions do -------------------------------------------------

def test_sign_out_revokes_the_session_even_for_a_kept_cookie(client, demo):
    sign_in(client, "reviewer1")
    kept = client.get_cookie("console_session", path="/console").value
    post_form(client, "/console/queue", "/console/sign-out", {}, expect=303)
    assert client.get("/console/queue").status_code == 302
    client.set_cookie("console_session", kept, path="/console")  # the old cookie, replayed
    assert client.get("/console/queue").headers["Location"].startswith("/console/sign-in")


@pytest.mark.parametrize("change", [{"active": False}, {"role": "leader"}, {"password": "a-brand-new-password-1"}])
def test_an_account_change_ends_the_console_session(client, demo, login, change):
    sign_in(client, "reviewer1")
    assert client.get("/console/queue").status_code == 200
    r = client.patch(f"/api/v1/users/{demo.users['reviewer1']}", headers=login("admin"), json=change)
    assert r.status_code == 200, r.get_json()
    assert client.get("/console/queue").headers["Location"].startswith("/console/sign-in")


# --- CSRF ----------------------------------------------------------------------------

def test_a_form_without_its_csrf_token_is_refused(client, failing_visit, login):
    response = client.post("/console/sign-in", data={"username": "reviewer1", "password": DEMO_PASSWORD})
    assert response.status_code == 400 and "CSRF" in response.text
    sign_in(client, "reviewer1")
    for data in ({}, {"csrf_token": "forged"}):
        response = client.post(f"/console/visits/{failing_visit.id}/decision", data={"decision": "approve", **data})
        assert response.status_code == 400
        assert response.mimetype == "text/html" and "CSRF" in response.text
        assert_console_headers(response)
    assert visit_status(client, login, failing_visit.id)["status"] == "submitted"


def test_a_token_of_another_session_is_refused(client, app, failing_visit, login):
    sign_in(client, "reviewer1")
    other = app.test_client()
    sign_in(other, "admin")
    foreign = csrf_token(other.get("/console/queue").text)
    response = client.post(f"/console/visits/{failing_visit.id}/decision",
                           data={"decision": "approve", "csrf_token": foreign})
    assert response.status_code == 400
    assert visit_status(client, login, failing_visit.id)["status"] == "submitted"


def test_the_api_needs_no_csrf_token(client, failing_visit, flow):
    flow.review(failing_visit.id, "approve")  # a JSON POST with a bearer token: 200


# --- scope and roles -----------------------------------------------------------------

def test_a_reviewer_of_another_subtree_gets_404_pages(client, failing_visit, flow):
    flow.create_user("reviewer.tantrao", "reviewer", "TQ-TANTRAO")
    sign_in(client, "reviewer.tantrao", DEMO_PASSWORD + "-reviewer.tantrao")
    evidence = failing_visit.evidence["SEAT-02"]
    for path in (f"/console/visits/{failing_visit.id}", f"/console/visits/{failing_visit.id}/minutes.pdf",
                 f"/console/evidence/{evidence}", f"/console/evidence/{evidence}/thumbnail",
                 f"/console/evidence/{evidence}/content"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.mimetype == "text/html" and "Không tìm thấy" in response.text
    token = csrf_token(client.get("/console/queue").text)
    response = client.post(f"/console/visits/{failing_visit.id}/decision",
                           data={"decision": "approve", "version": "2", "csrf_token": token})
    assert response.status_code == 404
    response = client.post(f"/console/findings/{failing_visit.findings['CON-01']}/explanation",
                           data={"action": "request", "csrf_token": token})
    assert response.status_code == 404
    assert str(failing_visit.id) not in client.get("/console/queue?state=all").text


def test_an_inspector_has_no_console_pages(client, failing_visit):
    sign_in(client, "inspector1")
    home = client.get("/console/", follow_redirects=True)
    assert home.status_code == 200 and "Hàng chờ thẩm định" not in home.text
    assert client.get("/console/queue").status_code == 403
    assert client.get(f"/console/visits/{failing_visit.id}").status_code == 403


def test_a_leader_reads_approved_visits_and_cannot_decide(client, failing_visit, flow, login):
    other = flow.visit("TQ-MYLAM", "2026-11-11")
    flow.review(other.id, "approve")
    sign_in(client, "leader1")
    queue = client.get("/console/queue")
    assert str(other.id) in queue.text and str(failing_visit.id) not in queue.text
    assert "Giải trình" not in queue.text.split("<main")[0]  # not in the nav
    assert client.get(f"/console/visits/{failing_visit.id}").status_code == 404  # not approved yet
    response = client.post(f"/console/visits/{other.id}/decision",
                           data={"decision": "return", "csrf_token": csrf_token(queue.text)})
    assert response.status_code == 403


# --- the queue -----------------------------------------------------------------------

def test_the_queue_lists_oldest_first_with_counts_and_filters(client, flow, demo):
    late = flow.visit("TQ-MYLAM", "2026-11-12")
    early = flow.visit("TQ-MINHXUAN", "2026-11-03", {"SEAT-02": "fail"})
    returned = flow.visit("TQ-HAGIANG1", "2026-11-04")
    flow.review(returned.id, "return", comment="Thiếu ảnh")
    sign_in(client, "reviewer1")
    page = client.get("/console/queue").text
    assert page.index(str(late.id)) < page.index(str(early.id))  # submitted first, not visited first
    assert "Chờ thẩm định <span class=\"count\">(2)</span>" in page
    assert "Đã trả lại <span class=\"count\">(1)</span>" in page
    assert str(returned.id) not in page
    critical = client.get("/console/queue?critical=true").text
    assert str(early.id) in critical and str(late.id) not in critical
    by_unit = client.get(f"/console/queue?unit={demo.units['TQ-MYLAM']}").text
    assert str(late.id) in by_unit and str(early.id) not in by_unit
    by_desk = client.get(f"/console/queue?desk={early.desk_id}&state=all").text
    assert str(early.id) in by_desk and str(late.id) not in by_desk
    by_date = client.get("/console/queue?date_from=2026-11-10&date_to=2026-11-30").text
    assert str(late.id) in by_date and str(early.id) not in by_date
    assert str(returned.id) in client.get("/console/queue?state=returned").text
    team = flow.team("inspector2")["id"]
    by_team = client.get(f"/console/queue?team={team}&state=all").text
    assert str(returned.id) in by_team and str(late.id) not in by_team


def test_bad_filters_get_a_page_not_a_500(client, demo):
    sign_in(client, "reviewer1")
    for query in ("state=draft", "unit=abc", "date_from=2026-13-01", "date_from=2026-11-10&date_to=2026-11-01",
                  "page=0", "date_from=1800-01-01"):
        response = client.get(f"/console/queue?{query}")
        assert response.status_code == 422, query
        assert response.mimetype == "text/html"


def test_the_queue_pages(app, flow, demo):
    made = [flow.visit("TQ-MINHXUAN", f"2026-11-0{day}") for day in (1, 2, 3)]
    from inspect_api.auth.models import User

    with app.app_context():
        reviewer = db.session.get(User, demo.users["reviewer1"])
        first = review_overview(reviewer, QueueFilters(), page=1, per_page=2)
        last = review_overview(reviewer, QueueFilters(), page=9, per_page=2)
        assert (first.total, first.pages, last.page) == (3, 2, 2)
        assert [str(v.id) for v in first.visits + last.visits] == [m.id for m in made]


def test_awaiting_explanation_filter(client, failing_visit, flow):
    other = flow.visit("TQ-MYLAM", "2026-11-11")
    flow.explanation(failing_visit.findings["CON-01"], "request")
    sign_in(client, "reviewer1")
    page = client.get("/console/queue?awaiting_explanation=true").text
    assert str(failing_visit.id) in page and str(other.id) not in page


# --- the visit page and the decision -------------------------------------------------

def test_the_visit_page_shows_findings_photos_and_history(client, failing_visit):
    sign_in(client, "reviewer1")
    page = client.get(f"/console/visits/{failing_visit.id}").text
    for text in ("SEAT-02", "Không đạt", "Nghiêm trọng", "Cán bộ trực", "Lịch sử", "Gửi duyệt buổi kiểm tra",
                 f"/console/evidence/{failing_visit.evidence['SEAT-02']}/thumbnail",
                 f"/console/visits/{failing_visit.id}/minutes.pdf", "10/11/2026"):
        assert text in page, text
    thumb = client.get(f"/console/evidence/{failing_visit.evidence['SEAT-02']}/thumbnail")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert thumb.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'; sandbox"
    photo = client.get(f"/console/evidence/{failing_visit.evidence['SEAT-02']}").text
    assert "Thời điểm chụp" in photo and "20/11/2026 08:15" in photo and "21,823300" in photo
    pdf = client.get(f"/console/visits/{failing_visit.id}/minutes.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")


def test_approving_through_the_console(client, failing_visit, login):
    sign_in(client, "reviewer1")
    path = f"/console/visits/{failing_visit.id}"
    seat = failing_visit.findings["SEAT-02"]
    response = post_form(client, path, f"{path}/decision", {
        "decision": "approve", "version": "2", "comment": "Đạt yêu cầu",
        f"note-{seat}-severity": "major", f"note-{seat}-comment": "Mức chính là đủ"}, expect=303)
    assert response.headers["Location"] == path
    visit = visit_status(client, login, failing_visit.id)
    assert visit["status"] == "approved"
    review = visit["reviews"][-1]
    assert review["decision"] == "approve" and review["comment"] == "Đạt yêu cầu"
    assert [(n["finding_id"], n["severity"]) for n in review["findings"]] == [(seat, "major")]
    page = client.get(path).text
    assert "Đã duyệt buổi kiểm tra." in page and "Mức chính là đủ" in page


def test_a_return_without_comment_keeps_what_was_typed(client, failing_visit, login):
    sign_in(client, "reviewer1")
    path = f"/console/visits/{failing_visit.id}"
    con = failing_visit.findings["CON-01"]
    response = post_form(client, path, f"{path}/decision", {
        "decision": "return", "version": "2", f"note-{con}-comment": "Ghi rõ tên cán bộ"}, expect=422)
    assert "Bắt buộc khi trả lại." in response.text and "Ghi rõ tên cán bộ" in response.text
    response = post_form(client, path, f"{path}/decision", {
        "decision": "return", "version": "2", "comment": "Bổ sung", f"note-{con}-void": "1"}, expect=422)
    assert "Hủy kết quả phải ghi lý do." in response.text and "Bổ sung" in response.text
    assert visit_status(client, login, failing_visit.id)["status"] == "submitted"


def test_a_decision_that_lost_the_race_says_who_won(client, failing_visit, flow, demo):
    flow.create_user("reviewer2", "reviewer", "TQ")
    sign_in(client, "reviewer2", DEMO_PASSWORD + "-reviewer2")
    path = f"/console/visits/{failing_visit.id}"
    token = csrf_token(client.get(path).text)  # the page as reviewer2 opened it
    flow.review(failing_visit.id, "return", comment="Chụp lại ảnh ghế chờ")  # reviewer1 wins
    response = client.post(f"{path}/decision", data={
        "decision": "approve", "version": "2", "comment": "Tôi thấy ổn", "csrf_token": token})
    assert response.status_code == 409
    text = response.text
    assert "Quyết định của bạn chưa được ghi" in text
    assert "đã được Trần Thị Bích Ngọc trả lại lúc" in text  # reviewer1, and when
    assert "Tôi thấy ổn" in text  # what reviewer2 typed


# --- explanations --------------------------------------------------------------------

def test_explanations_request_receive_and_lapse(client, failing_visit, flow, app):
    sign_in(client, "reviewer1")
    path = f"/console/visits/{failing_visit.id}"
    con = failing_visit.findings["CON-01"]
    deadline = (today() + dt.timedelta(days=3)).isoformat()
    post_form(client, path, f"/console/findings/{con}/explanation",
              {"action": "request", "deadline": deadline, "next": path}, expect=303)
    pending = client.get("/console/explanations").text
    assert "Ghi nhận đã nhận giải trình" in pending and "Quá hạn" not in pending
    response = post_form(client, "/console/explanations", f"/console/findings/{con}/explanation",
                         {"action": "lapse", "next": "/console/explanations"}, expect=303)
    assert "Chưa quá hạn giải trình" in client.get(response.headers["Location"]).text
    post_form(client, "/console/explanations", f"/console/findings/{con}/explanation",
              {"action": "receive", "content": "Cán bộ đã giải trình bằng văn bản"}, expect=303)
    assert "Không có yêu cầu giải trình nào đang chờ" in client.get("/console/explanations").text
    assert "Cán bộ đã giải trình bằng văn bản" in client.get(path).text


def test_overdue_explanations_come_first(client, flow, app):
    first = flow.visit("TQ-MINHXUAN", "2026-11-10", {"CON-01": "fail"})
    second = flow.visit("TQ-MYLAM", "2026-11-11", {"CON-01": "fail"})
    for made, days in ((first, 9), (second, 1)):
        flow.explanation(made.findings["CON-01"], "request", deadline=(today() + dt.timedelta(days=days)).isoformat())
    # Make the second overdue, as time would.
    with app.app_context():
        row = db.session.scalars(select(Explanation).where(
            Explanation.finding_id == uuid.UUID(second.findings["CON-01"]))).one()
        row.deadline = today() - dt.timedelta(days=2)
        db.session.commit()
    sign_in(client, "reviewer1")
    page = client.get("/console/explanations").text
    assert page.index(str(second.id)) < page.index(str(first.id))
    assert "Ghi nhận quá hạn, không giải trình" in page


def test_a_stale_form_on_a_resubmitted_visit_can_decide_again(client, failing_visit, flow, login, demo):
    sign_in(client, "reviewer1")
    path = f"/console/visits/{failing_visit.id}"
    token = csrf_token(client.get(path).text)  # opened at version 2
    flow.review(failing_visit.id, "return", comment="Chụp lại")
    r = client.post(f"/api/v1/visits/{failing_visit.id}/submit", headers=login("inspector1"))
    assert r.status_code == 200, r.get_json()
    response = client.post(f"{path}/decision", data={
        "decision": "approve", "version": "2", "comment": "Đã xem", "csrf_token": token})
    assert response.status_code == 409
    assert "hãy xem lại kết quả bên dưới rồi quyết định lại" in response.text and "Đã xem" in response.text
    version = visit_status(client, login, failing_visit.id)["version"]
    assert f'name="version" value="{version}"' in response.text
    client.post(f"{path}/decision", data={"decision": "approve", "version": str(version), "csrf_token": token})
    assert visit_status(client, login, failing_visit.id)["status"] == "approved"


def test_characters_the_api_refuses_get_422_not_500(client, failing_visit, login):
    page = client.get("/console/sign-in")
    response = client.post("/console/sign-in", data={
        "username": "reviewer\x00", "password": "x", "csrf_token": csrf_token(page.text)})
    assert response.status_code == 422 and response.mimetype == "text/html"
    sign_in(client, "reviewer1")
    path = f"/console/visits/{failing_visit.id}"
    con = failing_visit.findings["CON-01"]
    for data, action in (({"decision": "return", "version": "2", "comment": "nul\x00"}, f"{path}/decision"),
                         ({"action": "receive", "content": "bell\x07"}, f"/console/findings/{con}/explanation"),
                         ({"action": "request", "deadline": "3000-01-01"}, f"/console/findings/{con}/explanation")):
        response = post_form(client, path, action, data)
        assert response.status_code == 422, data
    assert visit_status(client, login, failing_visit.id)["status"] == "submitted"

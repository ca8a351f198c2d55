"""The corrections pages of the console over HTTP (Flask test client): the unit officer's
list, reminder and report form with photos, the reviewer's acceptance, scope, CSRF, and
bad photos refused with nothing written; each checked against the API or the database."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from sqlalchemy import func, select

from inspect_api.corrections.models import Correction, CorrectionPhoto, CorrectionReport, vietnam_today
from inspect_api.db import db
from tests.api.review_support import _PHOTO, Flow
from tests.api.test_corrections import by_code, corrections, shift_deadlines
from tests.conftest import DEMO_PASSWORD
from tests.console.support import csrf_token, sign_in
from tests.photos import phone_photo

UNIT = "TQ-TANTRAO"
OTHER_UNIT = "TQ-HAGIANG1"
OFFICER = "canbo.tantrao"


@pytest.fixture
def flow(client, demo, login):
    return Flow(client, demo, login)


@pytest.fixture
def approved(flow, app, client, login):
    """Tân Trào's visit approved with four failures (SEAT-02 with its photo); SEAT-02's
    deadline moved into the past (overdue), SEAT-01's to three days from now."""
    staff_id = flow.staff(UNIT)
    made = flow.approved(UNIT, "2026-11-10", {"SEAT-02": "fail", "SEAT-01": "fail", "FAC-01": "fail",
                                              "CON-01": ("fail", staff_id)})
    items = by_code(corrections(client, login("reviewer1")))
    shift_deadlines(app, [items["SEAT-02"]["id"]], 30)
    with app.app_context():
        db.session.get(Correction, items["SEAT-01"]["id"]).deadline = vietnam_today() + dt.timedelta(days=3)
        db.session.commit()
        db.session.remove()
    flow.create_user(OFFICER, "unit_officer", UNIT)
    return made, by_code(corrections(client, login("reviewer1")))


def officer_sign_in(client, username: str = OFFICER):
    return sign_in(client, username, DEMO_PASSWORD + "-" + username)


def report_form(client, correction_id: int, note: str, files, *, token: bool = True, version=None):
    page = client.get(f"/console/corrections/{correction_id}")
    assert page.status_code == 200, page.text[:300]
    html = page.text
    report_id = html.split('name="report_id" value="')[1].split('"')[0]
    data = {"note": note, "report_id": report_id,
            "version": str(version) if version is not None else html.split('name="version" value="')[1].split('"')[0],
            "photos": [(io.BytesIO(body), name) for name, body in files]}
    if token:
        data["csrf_token"] = csrf_token(html)
    return client.post(f"/console/corrections/{correction_id}/report", data=data, content_type="multipart/form-data")


def count(app, model) -> int:
    with app.app_context():
        found = db.session.scalar(select(func.count()).select_from(model))
        db.session.remove()
        return found or 0


def test_the_officer_lands_on_the_corrections_with_a_reminder(client, approved):
    _made, items = approved
    response = officer_sign_in(client)
    assert response.headers["Location"] == "/console/"
    assert client.get("/console/").headers["Location"] == "/console/corrections"
    page = client.get("/console/corrections")
    assert page.status_code == 200 and '<html lang="vi">' in page.text
    text = page.text
    assert "Nhắc việc khắc phục" in text and "Cán bộ đơn vị được kiểm tra" in text
    assert "1 yêu cầu khắc phục đã quá hạn" in text
    assert "1 yêu cầu khắc phục đến hạn trong 7 ngày tới" in text
    assert 'href="/console/corrections?show=overdue"' in text
    # Overdue first, with its deadline dd/mm/yyyy and status in Vietnamese.
    seat = items["SEAT-02"]
    assert text.index("SEAT-02") < text.index("SEAT-01") < text.index("FAC-01")
    deadline = "/".join(reversed(seat["deadline"].split("-")))
    assert f"{deadline}" in text and "Chưa khắc phục" in text and "Quá hạn" in text
    # The failure's photo from the visit, streamed through the console.
    thumb = client.get(f"/console/corrections/{seat['id']}/evidence/{_made.evidence['SEAT-02']}/thumbnail")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert f"/console/corrections/{seat['id']}/evidence/{_made.evidence['SEAT-02']}/thumbnail" in text
    # The overdue filter the reminder links to lists only that one.
    overdue = client.get("/console/corrections?show=overdue").text
    assert "SEAT-02" in overdue and "FAC-01" not in overdue


def test_the_officer_reports_with_a_photo_and_the_reviewer_accepts(app, client, login, approved):
    _made, items = approved
    seat = items["SEAT-02"]
    officer_sign_in(client)
    response = report_form(client, seat["id"], "Đã bố trí thêm 12 ghế chờ", [("ghe-cho.jpg", _PHOTO)])
    assert response.status_code == 303, response.text[:800]
    page = client.get(response.headers["Location"]).text
    assert "Đã gửi báo cáo khắc phục" in page and "Đã bố trí thêm 12 ghế chờ" in page
    assert "Đã báo cáo, chờ xem xét" in page
    api = client.get(f"/api/v1/corrections/{seat['id']}", headers=login("reviewer1")).get_json()
    assert api["status"] == "reported" and api["reports"][0]["note"] == "Đã bố trí thêm 12 ghế chờ"
    photo = api["reports"][0]["photos"][0]
    assert photo["sha256"] == hashlib.sha256(_PHOTO).hexdigest() and photo["content_type"] == "image/jpeg"

    # The reviewer, in their own session: the report waits, with its note and photo.
    client.post("/console/sign-out", data={"csrf_token": csrf_token(page)})
    sign_in(client, "reviewer1")
    queue = client.get("/console/queue").text
    assert "1 báo cáo khắc phục chờ bạn xem xét" in queue
    listing = client.get("/console/corrections").text
    assert "Đã bố trí thêm 12 ghế chờ" in listing and "FAC-01" not in listing
    content = client.get(f"/console/corrections/{seat['id']}/photos/{photo['id']}/content")
    assert content.status_code == 200 and content.data == _PHOTO
    detail = client.get(f"/console/corrections/{seat['id']}").text
    # Asking for a re-check needs a reason: said on the form, nothing changed.
    r = client.post(f"/console/corrections/{seat['id']}/verification", data={
        "outcome": "recheck", "note": "", "check_id": detail.split('name="check_id" value="')[1].split('"')[0],
        "version": str(api["version"]), "csrf_token": csrf_token(detail)})
    assert r.status_code == 422 and "phải ghi rõ lý do" in r.text
    r = client.post(f"/console/corrections/{seat['id']}/verification", data={
        "outcome": "accept", "note": "Ảnh cho thấy đủ ghế",
        "check_id": detail.split('name="check_id" value="')[1].split('"')[0],
        "version": str(api["version"]), "csrf_token": csrf_token(detail)})
    assert r.status_code == 303
    assert "Đã chấp nhận báo cáo khắc phục." in client.get(r.headers["Location"]).text
    api = client.get(f"/api/v1/corrections/{seat['id']}", headers=login("reviewer1")).get_json()
    assert api["status"] == "verified" and api["verifications"][0]["outcome"] == "accept"


def test_bad_photos_are_refused_in_vietnamese_and_nothing_is_written(app, client, approved):
    _made, items = approved
    seat = items["SEAT-02"]
    officer_sign_in(client)
    note = "Đã sửa bảng niêm yết – ghi chú có dấu"
    # Not a photo at all.
    r = report_form(client, seat["id"], note, [("ghi-chu.txt", "không phải ảnh".encode())])
    assert r.status_code == 415, r.text[:500]
    assert "ghi-chu.txt" in r.text and note in r.text
    # A good photo, then a broken one: the good one is taken back too.
    r = report_form(client, seat["id"], note, [("tot.jpg", _PHOTO), ("hong.jpg", _PHOTO[: len(_PHOTO) // 2])])
    assert r.status_code == 422, r.text[:500]
    assert "hong.jpg" in r.text and note in r.text
    # Larger than EVIDENCE_MAX_BYTES.
    app.config["EVIDENCE_MAX_BYTES"], saved = len(_PHOTO) - 1, app.config["EVIDENCE_MAX_BYTES"]
    try:
        r = report_form(client, seat["id"], note, [("lon.jpg", _PHOTO)])
    finally:
        app.config["EVIDENCE_MAX_BYTES"] = saved
    assert r.status_code == 413 and "lon.jpg" in r.text and note in r.text
    # No note, no photo.
    r = report_form(client, seat["id"], "  ", [])
    assert r.status_code == 422
    assert "Hãy ghi rõ nội dung đã khắc phục." in r.text and "Hãy chọn ít nhất một ảnh" in r.text
    assert count(app, CorrectionPhoto) == 0 and count(app, CorrectionReport) == 0
    with app.app_context():
        assert db.session.get(Correction, seat["id"]).status == "open"
        db.session.remove()


def test_a_stale_form_is_409_with_the_note_kept(app, client, login, approved):
    _made, items = approved
    seat = items["SEAT-02"]
    officer_sign_in(client)
    r = report_form(client, seat["id"], "Ghi chú của tôi", [("a.jpg", _PHOTO)], version=seat["version"] - 1
                    if seat["version"] > 1 else 99)
    assert r.status_code == 409, r.text[:500]
    assert "đã thay đổi từ khi bạn mở trang" in r.text and "Ghi chú của tôi" in r.text
    assert count(app, CorrectionPhoto) == 0 and count(app, CorrectionReport) == 0


def test_csrf_is_required(app, client, approved):
    _made, items = approved
    officer_sign_in(client)
    r = report_form(client, items["SEAT-02"]["id"], "Không có mã", [("a.jpg", _PHOTO)], token=False)
    assert r.status_code == 400 and "CSRF" in r.text
    assert count(app, CorrectionPhoto) == 0 and count(app, CorrectionReport) == 0


def test_another_units_officer_gets_the_404_page(flow, client, approved):
    made, items = approved
    seat = items["SEAT-02"]
    flow.create_user("canbo.hagiang1", "unit_officer", OTHER_UNIT)
    officer_sign_in(client, "canbo.hagiang1")
    listing = client.get("/console/corrections?show=all")
    assert listing.status_code == 200 and "SEAT-02" not in listing.text
    for path in (f"/console/corrections/{seat['id']}",
                 f"/console/corrections/{seat['id']}/evidence/{made.evidence['SEAT-02']}/thumbnail"):
        response = client.get(path)
        assert response.status_code == 404 and "Không tìm thấy" in response.text
        assert response.mimetype == "text/html"
    # Nor can it post a report there (404 before any photo is stored).
    page = client.get("/console/corrections")
    r = client.post(f"/console/corrections/{seat['id']}/report", data={
        "note": "x", "report_id": "5f0c5b4e-3f57-4a53-9d3a-8f6f4f0b8a11", "csrf_token": csrf_token(page.text),
        "photos": [(io.BytesIO(phone_photo(64, 48)), "a.jpg")]}, content_type="multipart/form-data")
    assert r.status_code == 404
    # And the reviewer's pages are not for unit officers.
    assert client.get("/console/queue").status_code == 403


def test_the_list_pages_in_deadline_order(client, approved, monkeypatch):
    monkeypatch.setattr("inspect_api.console.corrections.PER_PAGE", 2)
    officer_sign_in(client)
    first = client.get("/console/corrections").text
    assert "Trang 1 / 2" in first and 'href="/console/corrections?page=2&amp;show=owed"' in first
    assert "SEAT-02" in first and "SEAT-01" in first and "FAC-01" not in first
    second = client.get("/console/corrections?show=owed&page=2").text
    assert "Trang 2 / 2" in second and "SEAT-02" not in second and "FAC-01" in second
    assert client.get("/console/corrections?show=nothing").status_code == 422

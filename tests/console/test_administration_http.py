"""The console's administration pages over HTTP (Flask test client): accounts, teams,
desk staff and desks, for a province admin and a ward admin, each change checked against
what the API (and its audit trail) then reports."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from inspect_api.auth.models import User
from inspect_api.db import db
from inspect_api.org.models import Desk, Staff
from inspect_api.timezone import VIETNAM_TZ
from tests.conftest import DEMO_PASSWORD
from tests.console.support import csrf_token, post_form, sign_in

WARD_ADMIN_PASSWORD = "mat-khau-phuong-minh-xuan"
NEW_PASSWORD = re.compile(r'id="new-password">([^<]+)<')


@pytest.fixture
def admin(client, demo):
    sign_in(client, "admin")
    return client


@pytest.fixture
def ward_admin(app, demo, login):
    """A second browser signed in as the admin of phường Minh Xuân (made by the API)."""
    created = app.test_client().post("/api/v1/users", headers=login("admin"), json={
        "username": "admin.minhxuan", "full_name": "Hoàng Thị Phường", "role": "admin",
        "org_unit_id": demo.units["TQ-MINHXUAN"], "password": WARD_ADMIN_PASSWORD})
    assert created.status_code == 201, created.get_json()
    browser = app.test_client()
    sign_in(browser, "admin.minhxuan", WARD_ADMIN_PASSWORD)
    return browser


def desk_id(demo, unit: str) -> int:
    return next(desk for desk, owner in demo.desk_unit.items() if owner == demo.units[unit])


def count(app, model, *where) -> int:
    with app.app_context():
        found = db.session.scalar(select(func.count()).select_from(model).where(*where))
        db.session.remove()
        return found


def audit(client, login, entity_type: str, entity_id) -> list[dict]:
    """The changes recorded for one entity, newest first (sign-ins left out)."""
    response = client.get("/api/v1/audit", headers=login("admin"),
                          query_string={"entity_type": entity_type, "entity_id": str(entity_id)})
    assert response.status_code == 200, response.get_json()
    return [e for e in response.get_json()["items"] if e["action"] not in ("login", "login_failed", "logout")]


def today() -> dt.date:
    return dt.datetime.now(VIETNAM_TZ).date()


# --- every page, and who may see it --------------------------------------------------

def test_every_administration_page_opens_for_an_admin(admin, demo):
    desk = desk_id(demo, "TQ-MINHXUAN")
    staff = demo.staff_by_desk[desk][0]
    team = demo.teams["Đoàn kiểm tra số 1"]
    assert admin.get("/console/admin/").headers["Location"] == "/console/admin/accounts"
    for path, heading in (
            ("/console/admin/accounts", "Quản trị: tài khoản"), ("/console/admin/accounts/new", "Tạo tài khoản"),
            (f"/console/admin/accounts/{demo.users['inspector1']}", "Tài khoản inspector1"),
            ("/console/admin/teams", "Quản trị: đoàn kiểm tra"), (f"/console/admin/teams/{team}", "Đoàn kiểm tra số 1"),
            ("/console/admin/staff", "Quản trị: cán bộ tại Bộ phận Một cửa"),
            ("/console/admin/staff/new", "Thêm cán bộ tại Bộ phận Một cửa"),
            (f"/console/admin/staff/{staff}", "<h1>"), ("/console/admin/desks", "Quản trị: Bộ phận Một cửa"),
            ("/console/admin/desks/new", "Thêm Bộ phận Một cửa"),
            (f"/console/admin/desks/{desk}", "Trung tâm Phục vụ hành chính công phường Minh Xuân")):
        page = admin.get(path)
        assert page.status_code == 200, (path, page.text[:300])
        assert '<html lang="vi">' in page.text and heading in page.text, path
        assert ">Quản trị</a>" in page.text and 'aria-current="page">Quản trị' in page.text
        assert "<script" not in page.text and "style=" not in page.text and "<style" not in page.text
        assert page.headers["Cache-Control"] == "no-store"
        for form in re.findall(r'<form method="post".*?</form>', page.text, re.S):
            assert 'name="csrf_token"' in form, (path, form[:200])


def test_the_lists_show_what_the_api_lists(admin, demo):
    page = admin.get("/console/admin/accounts").text
    for username in demo.users:
        assert f">{username}</a>" in page
    assert "5 tài khoản" in page
    inspectors = admin.get("/console/admin/accounts", query_string={"role": "inspector"}).text
    assert ">inspector1</a>" in inspectors and ">reviewer1</a>" not in inspectors
    assert "2 tài khoản" in inspectors
    desk = desk_id(demo, "TQ-MINHXUAN")
    staff = admin.get("/console/admin/staff", query_string={"desk": desk}).text
    assert f"{len(demo.staff_by_desk[desk])} cán bộ đang làm việc" in staff
    desks = admin.get("/console/admin/desks", query_string={"unit": demo.units["TQ-MINHXUAN"]}).text
    assert "1 Bộ phận Một cửa" in desks and "phường Minh Xuân" in desks and "phường Mỹ Lâm" not in desks


def test_bad_filters_get_a_page_not_a_500(admin):
    for path in ("/console/admin/accounts?role=boss", "/console/admin/accounts?unit=abc",
                 "/console/admin/staff?page=0", "/console/admin/desks?active=maybe",
                 "/console/admin/accounts?unit=99999999999"):
        response = admin.get(path)
        assert response.status_code == 422, path
        assert "Bộ lọc không hợp lệ." in response.text and response.mimetype == "text/html"


@pytest.mark.parametrize("username", ["reviewer1", "leader1", "inspector1"])
def test_other_roles_get_403(client, demo, username):
    sign_in(client, username)
    home = client.get("/console/queue" if username != "inspector1" else "/console/")
    assert ">Quản trị</a>" not in home.text
    token = csrf_token(home.text)
    for path in ("/console/admin/accounts", "/console/admin/teams", "/console/admin/staff",
                 "/console/admin/desks", f"/console/admin/accounts/{demo.users['inspector2']}"):
        response = client.get(path)
        assert response.status_code == 403 and "Không có quyền truy cập" in response.text, path
    response = client.post(f"/console/admin/accounts/{demo.users['inspector2']}/active",
                           data={"active": "false", "csrf_token": token})
    assert response.status_code == 403
    assert count(client.application, User, User.active.is_(False)) == 0


def test_every_administration_route_is_for_admins_only(client, demo, app):
    sign_in(client, "reviewer1")
    token = csrf_token(client.get("/console/queue").text)
    routes = [(method, re.sub(r"<int:\w+>", "1", rule.rule)) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/console/admin/") for method in rule.methods - {"HEAD", "OPTIONS"}]
    assert len(routes) >= 20
    for method, path in routes:
        response = client.open(path, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 403, (method, path, response.status_code)


def test_another_subtrees_records_are_404_pages(ward_admin, demo, app):
    other_desk = desk_id(demo, "TQ-MYLAM")
    other_staff = demo.staff_by_desk[other_desk][0]
    token = csrf_token(ward_admin.get("/console/admin/accounts").text)
    for path in (f"/console/admin/accounts/{demo.users['inspector1']}", f"/console/admin/desks/{other_desk}",
                 f"/console/admin/staff/{other_staff}", "/console/admin/accounts/999999"):
        response = ward_admin.get(path)
        assert response.status_code == 404 and "Không tìm thấy" in response.text, path
        assert response.mimetype == "text/html"
    for path, data in ((f"/console/admin/accounts/{demo.users['inspector1']}/active", {"active": "false"}),
                       (f"/console/admin/accounts/{demo.users['inspector1']}/password", {}),
                       (f"/console/admin/desks/{other_desk}", {"name": "Đổi tên"}),
                       (f"/console/admin/staff/{other_staff}/left", {"left_on": today().isoformat()})):
        assert ward_admin.post(path, data={**data, "csrf_token": token}).status_code == 404, path
    assert count(app, User, User.active.is_(False)) == 0
    assert count(app, Staff, Staff.active.is_(False)) == 0
    # Its lists hold its ward only.
    listed = ward_admin.get("/console/admin/accounts").text
    assert ">admin.minhxuan</a>" in listed and ">inspector1</a>" not in listed
    desks = ward_admin.get("/console/admin/desks").text
    assert "phường Minh Xuân" in desks and "phường Mỹ Lâm" not in desks


def test_a_form_without_its_csrf_token_is_refused(admin, demo, app):
    for data in ({"active": "false"}, {"active": "false", "csrf_token": "forged"}):
        response = admin.post(f"/console/admin/accounts/{demo.users['inspector1']}/active", data=data)
        assert response.status_code == 400 and "CSRF" in response.text
    response = admin.post("/console/admin/staff/new", data={
        "full_name": "Người Không Token", "employee_code": "X-1", "org_unit_id": demo.units["TQ"],
        "desk_id": desk_id(demo, "TQ-MINHXUAN")})
    assert response.status_code == 400
    assert count(app, User, User.active.is_(False)) == 0
    assert count(app, Staff, Staff.employee_code == "X-1") == 0


# --- accounts ------------------------------------------------------------------------

def test_create_an_account_with_a_generated_password_shown_once(admin, demo, client, login, app):
    response = post_form(admin, "/console/admin/accounts/new", "/console/admin/accounts/new", {
        "username": "kiemtra.moi", "full_name": "Đỗ Văn Mới", "role": "inspector",
        "org_unit_id": demo.units["TQ"], "password": ""}, expect=200)
    assert "Đã tạo tài khoản" in response.text and "chỉ hiển thị một lần" in response.text
    password = NEW_PASSWORD.search(response.text).group(1)
    assert len(password) >= 10
    tokens = client.post("/api/v1/auth/login", json={"username": "kiemtra.moi", "password": password})
    assert tokens.status_code == 200
    user_id = tokens.get_json()["user"]["id"]
    events = audit(client, login, "user", user_id)
    assert [e["action"] for e in events] == ["create"] and events[0]["actor_id"] == demo.users["admin"]
    assert password not in str(events)
    # The account page never shows it again.
    assert password not in admin.get(f"/console/admin/accounts/{user_id}").text


def test_create_an_account_with_a_typed_password(admin, demo, client):
    response = post_form(admin, "/console/admin/accounts/new", "/console/admin/accounts/new", {
        "username": "Thamdinh.Hai", "full_name": "Phạm Thẩm Định", "role": "reviewer",
        "org_unit_id": demo.units["TQ-SNV"], "password": "mat-khau-tu-chon"}, expect=200)
    assert "dùng mật khẩu ban đầu bạn đã nhập" in response.text and "new-password" not in response.text
    tokens = client.post("/api/v1/auth/login", json={"username": "thamdinh.hai", "password": "mat-khau-tu-chon"})
    assert tokens.status_code == 200 and tokens.get_json()["user"]["role"] == "reviewer"


@pytest.mark.parametrize(("changes", "status", "field", "message"), [
    ({"username": "inspector1"}, 409, "username", "Tên đăng nhập đã tồn tại."),
    ({"full_name": "   "}, 422, "full_name", "Thiếu trường bắt buộc."),
    ({"username": "có dấu"}, 422, "username", "chữ không dấu"),
    ({"password": "ngan"}, 422, "password", "Từ 10 đến 256 ký tự."),
    ({"role": "superuser"}, 422, "role", "Hãy chọn vai trò."),
    ({"full_name": "Tên\x00ẩn"}, 422, "full_name", "không được phép"),
])
def test_a_refused_account_keeps_what_was_typed_and_writes_nothing(admin, demo, app, changes, status, field,
                                                                     message):
    typed = {"username": "tai.khoan.moi", "full_name": "Trần Văn Gõ", "role": "leader",
             "org_unit_id": str(demo.units["TQ-SNV"]), "password": "mat-khau-bi-mat", **changes}
    before = count(app, User)
    response = post_form(admin, "/console/admin/accounts/new", "/console/admin/accounts/new", typed, expect=status)
    assert message in response.text
    assert f'id="e-{field}"' in response.text and 'aria-invalid="true"' in response.text
    if field != "username":
        assert 'value="tai.khoan.moi"' in response.text
    if field != "full_name":
        assert 'value="Trần Văn Gõ"' in response.text
    assert f'<option value="{demo.units["TQ-SNV"]}" selected>' in response.text
    assert '<option value="leader" selected>' in response.text or field == "role"
    assert "mat-khau-bi-mat" not in response.text  # never echoed
    assert count(app, User) == before


def test_a_ward_admin_cannot_create_or_move_an_account_outside_the_ward(ward_admin, demo, app, client, login):
    before = count(app, User)
    response = post_form(ward_admin, "/console/admin/accounts/new", "/console/admin/accounts/new", {
        "username": "ngoai.pham.vi", "full_name": "Người Ngoài", "role": "admin",
        "org_unit_id": demo.units["TQ"]}, expect=422)
    assert "Đơn vị không tồn tại hoặc ngoài phạm vi quản lý." in response.text
    assert 'value="ngoai.pham.vi"' in response.text
    assert count(app, User) == before
    # Its own account page offers no unit above the ward, and a forged one is refused.
    own = client.get("/api/v1/users", headers=login("admin")).get_json()["items"]
    ward_admin_id = next(u["id"] for u in own if u["username"] == "admin.minhxuan")
    page = ward_admin.get(f"/console/admin/accounts/{ward_admin_id}").text
    assert f'<option value="{demo.units["TQ"]}"' not in page
    created = post_form(ward_admin, "/console/admin/accounts/new", "/console/admin/accounts/new", {
        "username": "canbo.minhxuan", "full_name": "Cán Bộ Phường", "role": "inspector",
        "org_unit_id": demo.units["TQ-MINHXUAN"]}, expect=200)
    local_id = int(re.search(r'/console/admin/accounts/(\d+)"', created.text).group(1))
    moved = post_form(ward_admin, f"/console/admin/accounts/{local_id}", f"/console/admin/accounts/{local_id}", {
        "full_name": "Cán Bộ Phường", "role": "admin", "org_unit_id": demo.units["TQ"]}, expect=422)
    assert "ngoài phạm vi quản lý" in moved.text and '<option value="admin" selected>' in moved.text
    account = client.get(f"/api/v1/users/{local_id}", headers=login("admin")).get_json()
    assert account["role"] == "inspector" and account["org_unit_id"] == demo.units["TQ-MINHXUAN"]


def test_change_role_and_unit(admin, demo, client, login):
    user_id = demo.users["inspector2"]
    path = f"/console/admin/accounts/{user_id}"
    post_form(admin, path, path, {"full_name": "Vũ Thị Đổi", "role": "reviewer",
                                  "org_unit_id": demo.units["TQ-SNV"]}, expect=303)
    page = admin.get(path).text
    assert "Đã lưu thay đổi tài khoản." in page and "Vũ Thị Đổi" in page
    account = client.get(f"/api/v1/users/{user_id}", headers=login("admin")).get_json()
    assert (account["role"], account["org_unit_id"]) == ("reviewer", demo.units["TQ-SNV"])
    event = audit(client, login, "user", user_id)[0]
    assert event["before"]["role"] == "inspector" and event["after"]["role"] == "reviewer"
    assert event["after"]["token_version"] == event["before"]["token_version"] + 1


def test_an_account_of_an_abolished_unit_keeps_its_unit_when_renamed(admin, demo, client, login):
    user_id = demo.users["inspector2"]
    former = demo.units["TQ-OLD-SONDUONG-TANTRAO"]
    assert client.patch(f"/api/v1/users/{user_id}", headers=login("admin"), json={"org_unit_id": former}
                        ).status_code == 200
    path = f"/console/admin/accounts/{user_id}"
    assert f'<option value="{former}" selected>' in admin.get(path).text
    assert f'<option value="{former}"' not in admin.get("/console/admin/accounts/new").text
    post_form(admin, path, path, {"full_name": "Tên Mới", "role": "inspector", "org_unit_id": former}, expect=303)
    assert client.get(f"/api/v1/users/{user_id}", headers=login("admin")).get_json()["org_unit_id"] == former


def test_disabling_an_account_ends_its_console_session_and_api_token(admin, demo, app, client, login):
    reviewer = app.test_client()
    sign_in(reviewer, "reviewer1")
    token = login("reviewer1")
    assert reviewer.get("/console/queue").status_code == 200
    path = f"/console/admin/accounts/{demo.users['reviewer1']}"
    post_form(admin, path, f"{path}/active", {"active": "false"}, expect=303)
    assert "Đã khóa tài khoản" in admin.get(path).text
    assert reviewer.get("/console/queue").headers["Location"].startswith("/console/sign-in")
    assert client.get("/api/v1/auth/me", headers=token).status_code == 401
    assert client.post("/api/v1/auth/login", json={"username": "reviewer1", "password": DEMO_PASSWORD}
                       ).status_code == 401
    assert audit(client, login, "user", demo.users["reviewer1"])[0]["after"]["active"] is False
    post_form(admin, path, f"{path}/active", {"active": "true"}, expect=303)
    assert client.post("/api/v1/auth/login", json={"username": "reviewer1", "password": DEMO_PASSWORD}
                       ).status_code == 200


def test_reset_password_shows_a_new_one_once_and_ends_sessions(admin, demo, app, client, login):
    reviewer = app.test_client()
    sign_in(reviewer, "reviewer1")
    token = login("reviewer1")
    path = f"/console/admin/accounts/{demo.users['reviewer1']}"
    response = post_form(admin, path, f"{path}/password", {}, expect=200)
    assert "Đã đặt lại mật khẩu" in response.text
    password = NEW_PASSWORD.search(response.text).group(1)
    assert reviewer.get("/console/queue").status_code == 302
    assert client.get("/api/v1/auth/me", headers=token).status_code == 401
    assert client.post("/api/v1/auth/login", json={"username": "reviewer1", "password": DEMO_PASSWORD}
                       ).status_code == 401
    assert client.post("/api/v1/auth/login", json={"username": "reviewer1", "password": password}
                       ).status_code == 200
    assert password not in str(audit(client, login, "user", demo.users["reviewer1"]))


def test_an_admin_cannot_lock_themselves_out(admin, demo, client, login):
    path = f"/console/admin/accounts/{demo.users['admin']}"
    response = post_form(admin, path, f"{path}/active", {"active": "false"}, expect=422)
    assert "Bạn không thể tự khóa" in response.text
    response = post_form(admin, path, path, {"full_name": "Nguyễn Thành Trung", "role": "leader",
                                             "org_unit_id": demo.units["TQ"]}, expect=422)
    assert "Không thể thay đổi với chính tài khoản của mình." in response.text
    assert '<option value="leader" selected>' in response.text
    account = client.get(f"/api/v1/users/{demo.users['admin']}", headers=login("admin")).get_json()
    assert account["active"] is True and account["role"] == "admin"
    # A name change of one's own is fine.
    post_form(admin, path, path, {"full_name": "Nguyễn Thành Trung (Sở)", "role": "admin",
                                  "org_unit_id": demo.units["TQ"]}, expect=303)


# --- teams ---------------------------------------------------------------------------

def test_add_and_remove_an_inspector(admin, demo, client, login):
    made = client.post("/api/v1/users", headers=login("admin"), json={
        "username": "inspector3", "full_name": "Đinh Văn Ba", "role": "inspector",
        "org_unit_id": demo.units["TQ"], "password": "mat-khau-du-dai"})
    new_id = made.get_json()["id"]
    team = demo.teams["Đoàn kiểm tra số 1"]
    path = f"/console/admin/teams/{team}"
    page = admin.get(path).text
    assert f'<option value="{new_id}">Đinh Văn Ba (inspector3)</option>' in page
    assert f'value="{demo.users["reviewer1"]}"' not in page  # inspectors only
    post_form(admin, path, f"{path}/members", {"user_id": new_id}, expect=303)
    assert "Đã thêm kiểm tra viên vào đoàn." in admin.get(path).text
    api_team = client.get(f"/api/v1/teams/{team}", headers=login("admin")).get_json()
    assert api_team["member_ids"] == [demo.users["inspector1"], new_id]
    # The tablet of the new member now syncs the team.
    me = client.post("/api/v1/auth/login", json={"username": "inspector3", "password": "mat-khau-du-dai"})
    bearer = {"Authorization": f"Bearer {me.get_json()['access_token']}"}
    assert [t["id"] for t in client.get("/api/v1/auth/me", headers=bearer).get_json()["teams"]] == [team]

    # The leader cannot be removed while leading.
    refused = post_form(admin, path, f"{path}/members/{demo.users['inspector1']}/remove", {}, expect=422)
    assert "Trưởng đoàn phải là thành viên của đoàn." in refused.text
    # Once another member leads, the former leader can go.
    post_form(admin, path, f"{path}/leader", {"user_id": new_id}, expect=303)
    assert "Đã đổi trưởng đoàn." in admin.get(path).text
    post_form(admin, path, f"{path}/members/{demo.users['inspector1']}/remove", {}, expect=303)
    api_team = client.get(f"/api/v1/teams/{team}", headers=login("admin")).get_json()
    assert (api_team["member_ids"], api_team["leader_id"]) == ([new_id], new_id)
    refused = post_form(admin, path, f"{path}/members/{new_id}/remove", {}, expect=422)
    assert "Đoàn phải còn ít nhất một thành viên." in refused.text
    events = audit(client, login, "team", team)
    assert [e["action"] for e in events][:3] == ["update", "update", "update"]
    assert events[0]["before"]["member_ids"] == [demo.users["inspector1"], new_id]
    assert events[0]["after"]["member_ids"] == [new_id]
    # Someone who is not an inspector in scope is refused.
    refused = post_form(admin, path, f"{path}/members", {"user_id": demo.users["reviewer1"]}, expect=422)
    assert "Không phải kiểm tra viên trong phạm vi" in refused.text
    assert post_form(admin, path, f"{path}/members", {"user_id": "x"}, expect=422)


def test_a_ward_admin_reads_the_provinces_teams_but_cannot_change_them(ward_admin, demo):
    team = demo.teams["Đoàn kiểm tra số 1"]
    page = ward_admin.get(f"/console/admin/teams/{team}")
    assert page.status_code == 200 and "Kế hoạch của cấp trên" in page.text
    assert "Thêm vào đoàn" not in page.text and "Đưa ra khỏi đoàn" not in page.text
    response = ward_admin.post(f"/console/admin/teams/{team}/members/{demo.users['inspector1']}/remove",
                               data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 403 and "Kế hoạch của cấp trên" in response.text


# --- staff ---------------------------------------------------------------------------

def test_add_move_and_mark_staff_as_left(admin, demo, client, login):
    minhxuan, mylam = desk_id(demo, "TQ-MINHXUAN"), desk_id(demo, "TQ-MYLAM")
    form = admin.get(f"/console/admin/staff/new?desk_id={minhxuan}").text
    assert f'<option value="{minhxuan}" selected>' in form
    response = post_form(admin, "/console/admin/staff/new", "/console/admin/staff/new", {
        "full_name": "Lò Thị Mai", "employee_code": "TQ-MINHXUAN-099", "position": "Công chức tiếp nhận",
        "category": "cong_chuc", "phone": "0900009999", "org_unit_id": demo.units["TQ-MINHXUAN"],
        "desk_id": minhxuan}, expect=303)
    path = response.headers["Location"]
    staff_id = int(path.rsplit("/", 1)[1])
    assert "Đã thêm Lò Thị Mai" in admin.get(path).text
    api = client.get(f"/api/v1/staff/{staff_id}", headers=login("admin")).get_json()
    assert api["desk_id"] == minhxuan and api["employee_code"] == "TQ-MINHXUAN-099"

    post_form(admin, path, f"{path}/move", {"desk_id": mylam}, expect=303)
    assert client.get(f"/api/v1/staff/{staff_id}", headers=login("admin")).get_json()["desk_id"] == mylam
    assert "Trung tâm Phục vụ hành chính công phường Mỹ Lâm" in admin.get(path).text

    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    refused = post_form(admin, path, f"{path}/left", {"left_on": tomorrow}, expect=422)
    assert "Ngày nghỉ không được sau hôm nay." in refused.text and f'value="{tomorrow}"' in refused.text
    assert post_form(admin, path, f"{path}/left", {"left_on": "31/02/2026"}, expect=422)
    left_on = (today() - dt.timedelta(days=3)).isoformat()
    post_form(admin, path, f"{path}/left", {"left_on": left_on}, expect=303)
    assert client.get(f"/api/v1/staff/{staff_id}", headers=login("admin")).get_json()["active"] is False
    events = audit(client, login, "staff", staff_id)
    assert [e["action"] for e in events] == ["update", "update", "create"]
    assert events[0]["after"]["left_on"] == left_on and events[0]["after"]["active"] is False
    assert events[1]["before"]["desk_id"] == minhxuan and events[1]["after"]["desk_id"] == mylam
    assert "Đã nghỉ" in admin.get(path).text
    listed = admin.get("/console/admin/staff", query_string={"active": "false"}).text
    assert "Lò Thị Mai" in listed


@pytest.mark.parametrize(("changes", "status", "field", "message"), [
    ({"full_name": ""}, 422, "full_name", "Thiếu trường bắt buộc."),
    ({"employee_code": "TQ-TTPVHCC-001"}, 409, "employee_code", "Mã cán bộ đã tồn tại."),
    ({"desk_id": ""}, 422, "desk_id", "Hãy chọn Bộ phận Một cửa."),
    ({"phone": "0" * 31}, 422, "phone", "Tối đa 30 ký tự."),
])
def test_a_refused_staff_member_keeps_what_was_typed(admin, demo, app, changes, status, field, message):
    typed = {"full_name": "Mùa A Dính", "employee_code": "TQ-NEW-1", "position": "Văn thư",
             "category": "hop_dong", "phone": "0900001111", "org_unit_id": demo.units["TQ-MINHXUAN"],
             "desk_id": desk_id(demo, "TQ-MINHXUAN"), **changes}
    before = count(app, Staff)
    response = post_form(admin, "/console/admin/staff/new", "/console/admin/staff/new", typed, expect=status)
    assert message in response.text and f'id="e-{field}"' in response.text
    assert 'value="Văn thư"' in response.text and '<option value="hop_dong" selected>' in response.text
    assert count(app, Staff) == before


def test_a_ward_admin_cannot_put_staff_on_another_wards_desk(ward_admin, demo, app):
    before = count(app, Staff)
    response = post_form(ward_admin, "/console/admin/staff/new", "/console/admin/staff/new", {
        "full_name": "Người Phường Khác", "employee_code": "TQ-X-1", "org_unit_id": demo.units["TQ-MINHXUAN"],
        "desk_id": desk_id(demo, "TQ-MYLAM")}, expect=422)
    assert "Bộ phận Một cửa không tồn tại hoặc ngoài phạm vi quản lý." in response.text
    assert 'value="Người Phường Khác"' in response.text
    assert count(app, Staff) == before


# --- desks ---------------------------------------------------------------------------

def test_create_and_edit_a_desk(admin, demo, client, login, app):
    response = post_form(admin, "/console/admin/desks/new", "/console/admin/desks/new", {
        "org_unit_id": demo.units["TQ-MINHXUAN"], "code": "TQ-MINHXUAN-MC2", "name": "Điểm tiếp nhận số 2",
        "address": "Tổ 5, phường Minh Xuân", "level": "commune", "opens_at": "07:30", "closes_at": "17:00",
        "lat": "21.8231", "lon": "105.2150"}, expect=303)
    path = response.headers["Location"]
    new_desk = int(path.rsplit("/", 1)[1])
    api = client.get(f"/api/v1/desks/{new_desk}", headers=login("admin")).get_json()
    assert api["location"] == {"lat": 21.8231, "lon": 105.215} and api["address"] == "Tổ 5, phường Minh Xuân"

    post_form(admin, path, path, {"name": "Điểm tiếp nhận Minh Xuân 2", "address": "", "lat": "", "lon": ""},
              expect=303)
    api = client.get(f"/api/v1/desks/{new_desk}", headers=login("admin")).get_json()
    assert api["name"] == "Điểm tiếp nhận Minh Xuân 2" and api["location"] is None and api["address"] is None
    assert [e["action"] for e in audit(client, login, "desk", new_desk)] == ["update", "create"]


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"lat": "200"}, "lat", "Vĩ độ phải từ -90 đến 90."),
    ({"lon": "-181"}, "lon", "Kinh độ phải từ -180 đến 180."),
    ({"lon": ""}, "lon", "Nhập cả vĩ độ và kinh độ"),
    ({"lat": "nan"}, "lat", "Không chấp nhận NaN"),
    ({"name": ""}, "name", "Thiếu trường bắt buộc."),
])
def test_a_refused_desk_edit_keeps_what_was_typed(admin, demo, client, login, changes, field, message):
    desk = desk_id(demo, "TQ-MINHXUAN")
    path = f"/console/admin/desks/{desk}"
    before = client.get(f"/api/v1/desks/{desk}", headers=login("admin")).get_json()
    typed = {"name": "Tên mới gõ vào", "address": "Địa chỉ mới gõ vào", "lat": "21.9", "lon": "105.3", **changes}
    response = post_form(admin, path, path, typed, expect=422)
    assert message in response.text and f'id="e-{field}"' in response.text
    for key, value in typed.items():
        assert f'name="{key}" type="text" value="{value}"' in response.text
    assert client.get(f"/api/v1/desks/{desk}", headers=login("admin")).get_json() == before


def test_refused_new_desks_write_nothing(ward_admin, admin, demo, app):
    before = count(app, Desk)
    typed = {"org_unit_id": demo.units["TQ-MINHXUAN"], "code": "TQ-MINHXUAN-MC", "name": "Trùng mã",
             "level": "commune", "lat": "21.8", "lon": "105.2"}
    response = post_form(admin, "/console/admin/desks/new", "/console/admin/desks/new", typed, expect=409)
    assert "Mã Bộ phận Một cửa đã tồn tại." in response.text and 'value="Trùng mã"' in response.text
    response = post_form(admin, "/console/admin/desks/new", "/console/admin/desks/new",
                         {**typed, "code": "MOI-1", "lat": "200"}, expect=422)
    assert "Vĩ độ phải từ -90 đến 90." in response.text and 'value="200"' in response.text
    response = post_form(admin, "/console/admin/desks/new", "/console/admin/desks/new",
                         {**typed, "code": "MOI-2", "opens_at": "17:00", "closes_at": "07:00"}, expect=422)
    assert "Giờ đóng cửa phải sau giờ mở cửa." in response.text
    response = post_form(ward_admin, "/console/admin/desks/new", "/console/admin/desks/new",
                         {**typed, "code": "MOI-3", "org_unit_id": demo.units["TQ-MYLAM"]}, expect=422)
    assert "Đơn vị không tồn tại hoặc ngoài phạm vi quản lý." in response.text
    assert count(app, Desk) == before

"""User administration over HTTP: admins list, create, read and change the accounts in
their org subtree; nobody else may."""

from __future__ import annotations

import pytest

from tests.conftest import DEMO_PASSWORD

USERS = "/api/v1/users"
PROBLEM = "application/problem+json"


def new_user(demo, **changes) -> dict:
    body = {"username": "thanhtra.moi", "full_name": "Đỗ Văn Mới", "role": "inspector",
            "org_unit_id": demo.units["TQ"], "password": "mat-khau-du-dai"}
    body.update(changes)
    return body


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.content_type.startswith(PROBLEM)
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_list_is_paginated(client, demo, login):
    admin = login("admin")
    first = client.get(f"{USERS}?per_page=2", headers=admin)
    assert first.status_code == 200, first.get_json()
    assert first.headers["Cache-Control"] == "no-store"
    body = first.get_json()
    assert body["meta"]["total"] == 5 and body["meta"]["per_page"] == 2
    assert body["meta"]["more"] is True and body["meta"]["cursor"]
    seen = [u["username"] for u in body["items"]]
    page, pages = body, 1
    while page["meta"]["more"]:
        page = client.get(USERS, query_string={"per_page": 2, "cursor": page["meta"]["cursor"]},
                          headers=admin).get_json()
        seen += [u["username"] for u in page["items"]]
        pages += 1
    assert pages == 3 and sorted(seen) == sorted(demo.users)
    assert page["meta"]["cursor"] is None and len(page["items"]) == 1
    for item in body["items"]:
        assert "password" not in item and "password_hash" not in item
        assert item["org_unit"]["code"] == "TQ"


def test_list_refuses_oversized_pages(client, demo, login):
    body = assert_problem(client.get(f"{USERS}?per_page=201", headers=login("admin")), 422)
    assert "per_page" in body["errors"]["query"]


def test_list_and_read_are_scoped_to_the_admins_subtree(client, demo, login):
    root = login("admin")
    ward = demo.units["TQ-MINHXUAN"]
    created = client.post(USERS, headers=root, json=new_user(
        demo, username="admin.minhxuan", role="admin", org_unit_id=ward))
    assert created.status_code == 201, created.get_json()
    local = client.post(USERS, headers=root, json=new_user(
        demo, username="canbo.minhxuan", org_unit_id=ward))
    assert local.status_code == 201

    ward_admin = login("admin.minhxuan", "mat-khau-du-dai")
    listed = client.get(USERS, headers=ward_admin).get_json()
    assert sorted(u["username"] for u in listed["items"]) == ["admin.minhxuan", "canbo.minhxuan"]
    assert listed["meta"]["total"] == 2
    # Accounts above the ward are out of sight: 404, as if they did not exist.
    assert_problem(client.get(f"{USERS}/{demo.users['inspector1']}", headers=ward_admin), 404)
    assert_problem(client.patch(f"{USERS}/{demo.users['admin']}", headers=ward_admin,
                                json={"active": False}), 404)
    assert client.get(f"{USERS}/{local.get_json()['id']}", headers=ward_admin).status_code == 200
    # Nor may a ward admin create accounts outside the ward or move one out of it.
    body = assert_problem(client.post(USERS, headers=ward_admin, json=new_user(
        demo, username="ngoai.pham.vi")), 422)
    assert "org_unit_id" in body["errors"]["json"]
    moved = client.patch(f"{USERS}/{local.get_json()['id']}", headers=ward_admin,
                         json={"org_unit_id": demo.units["TQ"]})
    assert "org_unit_id" in assert_problem(moved, 422)["errors"]["json"]
    # The province admin still sees everyone.
    assert client.get(USERS, headers=root).get_json()["meta"]["total"] == 7


def test_create_user(client, demo, login):
    response = client.post(USERS, headers=login("admin"), json=new_user(demo))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["username"] == "thanhtra.moi" and body["role"] == "inspector"
    assert body["org_unit_id"] == demo.units["TQ"] and body["active"] is True
    assert body["full_name"] == "Đỗ Văn Mới"
    assert "password" not in body and "password_hash" not in body

    fetched = client.get(f"{USERS}/{body['id']}", headers=login("admin")).get_json()
    assert fetched["username"] == "thanhtra.moi"
    tokens = client.post("/api/v1/auth/login",
                         json={"username": "thanhtra.moi", "password": "mat-khau-du-dai"})
    assert tokens.status_code == 200 and tokens.get_json()["user"]["id"] == body["id"]

    events = client.get(f"/api/v1/audit?action=create&entity_type=user"
                        f"&actor_id={demo.users['admin']}", headers=login("admin")).get_json()["items"]
    assert [e["entity_id"] for e in events] == [str(body["id"])]
    assert events[0]["actor_id"] == demo.users["admin"]
    assert "mat-khau-du-dai" not in str(events[0])


def test_create_disabled_user_cannot_log_in(client, demo, login):
    response = client.post(USERS, headers=login("admin"), json=new_user(demo, active=False))
    assert response.status_code == 201 and response.get_json()["active"] is False
    refused = client.post("/api/v1/auth/login",
                          json={"username": "thanhtra.moi", "password": "mat-khau-du-dai"})
    assert_problem(refused, 401)


@pytest.mark.parametrize("username", ["inspector1", "Inspector1"])
def test_duplicate_username_is_409(client, demo, login, username):
    response = client.post(USERS, headers=login("admin"), json=new_user(demo, username=username))
    body = assert_problem(response, 409)
    assert "username" in body["errors"]["json"]
    # Nothing was written: the original account is untouched and still logs in.
    total = client.get(USERS, headers=login("admin")).get_json()["meta"]["total"]
    assert total == 5
    assert client.post("/api/v1/auth/login", json={
        "username": "inspector1", "password": DEMO_PASSWORD}).status_code == 200


def test_create_short_password_is_422(client, demo, login):
    response = client.post(USERS, headers=login("admin"),
                           json=new_user(demo, password="ngan-qua"))
    body = assert_problem(response, 422)
    assert "password" in body["errors"]["json"]
    assert client.get(USERS, headers=login("admin")).get_json()["meta"]["total"] == 5


def test_create_unknown_org_unit_is_422(client, demo, login):
    response = client.post(USERS, headers=login("admin"), json=new_user(demo, org_unit_id=999999))
    body = assert_problem(response, 422)
    assert "org_unit_id" in body["errors"]["json"]


@pytest.mark.parametrize("changes,field", [
    ({"role": "superuser"}, "role"),
    ({"username": "có dấu"}, "username"),
    ({"username": "ab"}, "username"),
    ({"org_unit_id": "1"}, "org_unit_id"),
    ({"full_name": ""}, "full_name"),
    ({"status": "active"}, "status"),
])
def test_create_invalid_fields_are_422_by_field(client, demo, login, changes, field):
    response = client.post(USERS, headers=login("admin"), json=new_user(demo, **changes))
    body = assert_problem(response, 422)
    assert field in body["errors"]["json"]


def test_create_missing_fields_are_422(client, demo, login):
    body = assert_problem(client.post(USERS, headers=login("admin"), json={}), 422)
    assert {"username", "full_name", "role", "org_unit_id", "password"} <= set(body["errors"]["json"])


def test_get_unknown_user_is_404(client, demo, login):
    assert_problem(client.get(f"{USERS}/999999", headers=login("admin")), 404)
    assert_problem(client.patch(f"{USERS}/999999", headers=login("admin"),
                                json={"full_name": "Ai đó"}), 404)


def test_get_and_update_user(client, demo, login):
    admin = login("admin")
    user_id = demo.users["leader1"]
    got = client.get(f"{USERS}/{user_id}", headers=admin)
    assert got.status_code == 200 and got.get_json()["role"] == "leader"
    changed = client.patch(f"{USERS}/{user_id}", headers=admin,
                           json={"full_name": "Phạm Minh Hoàng", "role": "reviewer"})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["role"] == "reviewer"
    assert client.get(f"{USERS}/{user_id}", headers=admin).get_json()["role"] == "reviewer"
    events = client.get(f"/api/v1/audit?action=update&entity_id={user_id}",
                        headers=admin).get_json()["items"]
    assert len(events) == 1
    assert events[0]["before"]["role"] == "leader" and events[0]["after"]["role"] == "reviewer"


def test_update_short_password_is_422_and_changes_nothing(client, demo, login):
    response = client.patch(f"{USERS}/{demo.users['inspector1']}", headers=login("admin"),
                            json={"password": "ngan"})
    assert "password" in assert_problem(response, 422)["errors"]["json"]
    assert client.post("/api/v1/auth/login", json={
        "username": "inspector1", "password": DEMO_PASSWORD}).status_code == 200


@pytest.mark.parametrize("username", ["inspector1", "reviewer1", "leader1"])
def test_non_admins_get_403(client, demo, login, username):
    headers = login(username)
    target = demo.users["inspector2"]
    assert_problem(client.get(USERS, headers=headers), 403)
    assert_problem(client.post(USERS, headers=headers, json=new_user(demo)), 403)
    assert_problem(client.get(f"{USERS}/{target}", headers=headers), 403)
    assert_problem(client.patch(f"{USERS}/{target}", headers=headers,
                                json={"role": "admin"}), 403)
    # Not even their own account: a role change is an admin's act.
    assert_problem(client.patch(f"{USERS}/{demo.users[username]}", headers=headers,
                                json={"role": "admin"}), 403)
    assert client.get(f"{USERS}/{target}", headers=login("admin")).get_json()["role"] == "inspector"


def test_anonymous_gets_401(client, demo):
    for response in (client.get(USERS), client.post(USERS, json=new_user(demo)),
                     client.get(f"{USERS}/{demo.users['admin']}")):
        assert_problem(response, 401)


@pytest.mark.parametrize("change", [{"active": False}, {"role": "leader"}, {"org_unit_id": "TQ-SNV"}])
def test_an_admin_cannot_lock_out_their_own_account(client, demo, login, change):
    """One slip would leave the unit without administration; another admin can do it."""
    if "org_unit_id" in change:
        change = {"org_unit_id": demo.units[change["org_unit_id"]]}
    me = f"{USERS}/{demo.users['admin']}"
    body = assert_problem(client.patch(me, headers=login("admin"), json=change), 422)
    assert list(body["errors"]["json"]) == list(change)
    assert "tự khóa" in body["detail"]
    account = client.get(me, headers=login("admin")).get_json()
    assert account["active"] is True and account["role"] == "admin" and account["org_unit"]["code"] == "TQ"
    # The same change by another admin of the province is allowed.
    client.post(USERS, headers=login("admin"), json=new_user(demo, username="admin.hai", role="admin"))
    other = login("admin.hai", "mat-khau-du-dai")
    assert client.patch(me, headers=other, json=change).status_code == 200
    # (Put back, for the other parameters.)
    assert client.patch(f"{USERS}/{demo.users['admin']}", headers=other, json={"active": True}).status_code == 200

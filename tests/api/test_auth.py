"""Logging in and out over HTTP: tokens, revocation, account changes, throttling and
forged tokens. Every refusal must be a 401 (or 429) problem+json, never 422 or 500."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
import uuid

import jwt as pyjwt
import pytest
from sqlalchemy import select

from inspect_api.app import create_app
from inspect_api.auth.models import RevokedSession, User
from inspect_api.db import db
from tests import conftest
from tests.conftest import DEMO_PASSWORD

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/auth/me"
PASSWORD = "/api/v1/auth/password"
PROBLEM = "application/problem+json"
TITLE_401 = "Chưa xác thực hoặc phiên đăng nhập không còn hiệu lực"
TITLE_429 = "Quá nhiều yêu cầu"
TEST_SECRET = "test-secret-" + "x" * 32
ROLES = {"admin": "admin", "inspector1": "inspector", "inspector2": "inspector",
         "reviewer1": "reviewer", "leader1": "leader"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def tokens_for(client, username: str, password: str = DEMO_PASSWORD, **kwargs) -> dict:
    response = client.post(LOGIN, json={"username": username, "password": password}, **kwargs)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def assert_problem(response, status: int, title: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.content_type.startswith(PROBLEM), response.content_type
    body = response.get_json()
    assert body["status"] == status
    assert body["type"].startswith("/problems/")
    assert body["detail"] and body["request_id"]
    if title is not None:
        assert body["title"] == title
    return body


def assert_401(response) -> dict:
    body = assert_problem(response, 401, TITLE_401)
    assert response.headers["WWW-Authenticate"] == "Bearer"
    return body


def patch_user(client, admin_headers, user_id: int, body: dict):
    response = client.patch(f"/api/v1/users/{user_id}", json=body, headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def stored_hash(app, username: str) -> str:
    with app.app_context():
        value = db.session.scalar(select(User.password_hash).where(User.username == username))
        db.session.remove()
    return value


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def issued_claims(demo, username: str = "inspector1", **changes) -> dict:
    """The claims the app puts in an access token, for a demo user."""
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims = {"sub": str(demo.users[username]), "role": ROLES[username], "ver": 1,
              "sid": uuid.uuid4().hex, "org": demo.units["TQ"], "type": "access",
              "jti": str(uuid.uuid4()), "fresh": False, "iat": now, "nbf": now,
              "exp": now + 600}
    claims.update(changes)
    return claims


# --- login -------------------------------------------------------------------------------

@pytest.mark.parametrize("username", sorted(ROLES))
def test_login_each_role_returns_tokens_and_user(client, demo, username):
    response = client.post(LOGIN, json={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["access_token"] and body["refresh_token"]
    assert body["access_token"] != body["refresh_token"]
    assert body["token_type"] == "Bearer"
    assert 0 < body["expires_in"] <= 60 * 60
    user = body["user"]
    assert user["username"] == username and user["id"] == demo.users[username]
    assert user["role"] == ROLES[username]
    assert user["org_unit"]["code"] == "TQ" and user["org_unit_id"] == demo.units["TQ"]
    assert "password" not in user and "password_hash" not in user
    me = client.get(ME, headers=bearer(body["access_token"]))
    assert me.status_code == 200 and me.get_json()["username"] == username


def test_login_claims_carry_role_and_session(client, demo):
    body = tokens_for(client, "reviewer1")
    access = pyjwt.decode(body["access_token"], TEST_SECRET, algorithms=["HS256"])
    refresh = pyjwt.decode(body["refresh_token"], TEST_SECRET, algorithms=["HS256"])
    assert access["type"] == "access" and refresh["type"] == "refresh"
    assert access["role"] == "reviewer" and access["sub"] == str(demo.users["reviewer1"])
    assert access["sid"] == refresh["sid"]
    # Short access token (about 15 minutes), refresh token good for a week offline.
    assert 10 * 60 <= access["exp"] - access["iat"] <= 30 * 60
    assert refresh["exp"] - refresh["iat"] >= 7 * 24 * 3600


def test_login_username_is_case_and_space_insensitive(client, demo):
    body = tokens_for(client, "  Inspector1 ")
    assert body["user"]["username"] == "inspector1"


@pytest.mark.parametrize("username,password", [
    ("inspector1", "wrong-password-123"),
    ("nobody-here", DEMO_PASSWORD),
    ("nobody-here", "wrong-password-123"),
])
def test_login_bad_credentials_is_401_problem(client, demo, username, password):
    response = client.post(LOGIN, json={"username": username, "password": password})
    body = assert_problem(response, 401, TITLE_401)
    assert "access_token" not in body and "refresh_token" not in body
    # One message for both, so the answer does not reveal which usernames exist.
    assert body["detail"] == ("Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đã bị "
                              "khóa.")


def test_login_missing_fields_is_422_problem(client, demo):
    response = client.post(LOGIN, json={"username": "inspector1"})
    body = assert_problem(response, 422)
    assert "password" in body["errors"]["json"]


def test_disabled_user_cannot_log_in(client, demo, login):
    patch_user(client, login("admin"), demo.users["inspector2"], {"active": False})
    response = client.post(LOGIN, json={"username": "inspector2", "password": DEMO_PASSWORD})
    assert_problem(response, 401, TITLE_401)
    patch_user(client, login("admin"), demo.users["inspector2"], {"active": True})
    assert tokens_for(client, "inspector2")["user"]["active"] is True


def test_logins_are_audited(client, demo, login):
    tokens_for(client, "inspector1")
    client.post(LOGIN, json={"username": "inspector1", "password": "wrong-password-123"})
    client.post(LOGIN, json={"username": "ghost", "password": "wrong-password-123"})
    admin = login("admin")

    ok = client.get("/api/v1/audit?action=login&per_page=200", headers=admin).get_json()
    logins = [e for e in ok["items"] if e["entity_id"] == str(demo.users["inspector1"])]
    assert len(logins) == 1
    assert logins[0]["actor_id"] == demo.users["inspector1"]
    assert logins[0]["actor_username"] == "inspector1"
    assert logins[0]["entity_type"] == "user" and logins[0]["remote_addr"] == "127.0.0.1"
    assert logins[0]["request_id"]

    failed = client.get("/api/v1/audit?action=login_failed", headers=admin).get_json()["items"]
    # A known account is named by its id, an unknown name by a short tag: no typed text.
    by_entity = {e["entity_id"]: e for e in failed}
    assert set(by_entity) == {str(demo.users["inspector1"]), None}
    assert all(e["actor_username"] is None and e["actor_id"] is None for e in failed)
    assert by_entity[None]["after"].keys() == {"username_tag"}
    assert "ghost" not in json.dumps(failed)
    # The password never reaches the trail.
    raw = json.dumps(failed + ok["items"])
    assert "wrong-password-123" not in raw and DEMO_PASSWORD not in raw


# --- password hashes -----------------------------------------------------------------------

def test_password_hashes_are_argon2id(app, client, demo, login):
    for username in ROLES:
        assert stored_hash(app, username).startswith("$argon2id$")
    created = client.post("/api/v1/users", headers=login("admin"), json={
        "username": "canbo.moi", "full_name": "Cán bộ mới", "role": "inspector",
        "org_unit_id": demo.units["TQ"], "password": "mat-khau-du-dai"})
    assert created.status_code == 201, created.get_json()
    value = stored_hash(app, "canbo.moi")
    # The parameters come from the settings (cheap in tests).
    assert value.startswith("$argon2id$v=19$m=64,t=1,p=1$")
    assert "mat-khau-du-dai" not in value


def test_production_argon2_parameters_are_owasp(tmp_path):
    from inspect_api.auth.passwords import hash_password, password_hasher, verify_password

    settings = conftest.test_settings(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'x.db'}")
    for key in ("ARGON2_TIME_COST", "ARGON2_MEMORY_KIB", "ARGON2_PARALLELISM"):
        settings.pop(key)
    production_like = create_app(settings, environ={})
    assert production_like.config["ARGON2_MEMORY_KIB"] == 19456
    hasher = password_hasher(production_like.config)
    value = hash_password(hasher, "mat-khau-du-dai")
    assert value.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(hasher, value, "mat-khau-du-dai")
    assert not verify_password(hasher, value, "mat-khau-khac")


def test_login_rehashes_a_hash_made_with_other_parameters(app, client, demo):
    from argon2 import PasswordHasher

    old = PasswordHasher(time_cost=1, memory_cost=128, parallelism=1).hash(DEMO_PASSWORD)
    with app.app_context():
        db.session.get(User, demo.users["leader1"]).password_hash = old
        db.session.commit()
        db.session.remove()
    tokens_for(client, "leader1")
    value = stored_hash(app, "leader1")
    assert value != old and value.startswith("$argon2id$v=19$m=64,t=1,p=1$")
    tokens_for(client, "leader1")


# --- /auth/me ------------------------------------------------------------------------------

def test_me_gives_role_unit_and_teams_with_desks(client, demo, login):
    me = client.get(ME, headers=login("inspector1"))
    assert me.status_code == 200
    assert me.headers["Cache-Control"] == "no-store"
    body = me.get_json()
    assert body["role"] == "inspector" and body["org_unit"]["code"] == "TQ"
    team_id = demo.teams["Đoàn kiểm tra số 1"]
    assert [t["id"] for t in body["teams"]] == [team_id]
    team = body["teams"][0]
    assert sorted(team["desk_ids"]) == sorted(demo.team_desks[team_id]) and team["desk_ids"]
    assert team["checklist_id"] == demo.checklist_id and team["is_leader"] is True

    reviewer = client.get(ME, headers=login("reviewer1")).get_json()
    assert reviewer["role"] == "reviewer" and reviewer["teams"] == []


def test_me_without_token_is_401_problem(client, demo):
    assert_401(client.get(ME))
    assert_401(client.get(ME, headers={"Authorization": "Bearer"}))
    assert_401(client.get(ME, headers={"Authorization": "Basic YWRtaW46YWRtaW4="}))
    assert_401(client.get(ME, headers=bearer("not-a-jwt")))


# --- refresh -------------------------------------------------------------------------------

def test_refresh_gives_a_new_working_access_token(client, demo):
    tokens = tokens_for(client, "inspector1")
    response = client.post(REFRESH, headers=bearer(tokens["refresh_token"]))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["access_token"] and body["access_token"] != tokens["access_token"]
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    claims = pyjwt.decode(body["access_token"], TEST_SECRET, algorithms=["HS256"])
    assert claims["type"] == "access"
    assert claims["sid"] == pyjwt.decode(tokens["access_token"], TEST_SECRET,
                                         algorithms=["HS256"])["sid"]
    me = client.get(ME, headers=bearer(body["access_token"]))
    assert me.status_code == 200 and me.get_json()["username"] == "inspector1"


def test_access_token_cannot_refresh(client, demo):
    tokens = tokens_for(client, "inspector1")
    assert_401(client.post(REFRESH, headers=bearer(tokens["access_token"])))


def test_refresh_token_is_not_an_access_token(client, demo):
    tokens = tokens_for(client, "inspector1")
    assert_401(client.get(ME, headers=bearer(tokens["refresh_token"])))
    assert_401(client.get("/api/v1/desks", headers=bearer(tokens["refresh_token"])))


# --- logout --------------------------------------------------------------------------------

def test_logout_revokes_access_and_refresh_tokens(app, client, demo):
    tokens = tokens_for(client, "inspector1")
    other = tokens_for(client, "inspector1")  # a second session (another tablet)
    assert client.get(ME, headers=bearer(tokens["access_token"])).status_code == 200

    response = client.post(LOGOUT, headers=bearer(tokens["access_token"]))
    assert response.status_code == 204

    body = assert_401(client.get(ME, headers=bearer(tokens["access_token"])))
    assert "đăng nhập lại" in body["detail"]
    assert_401(client.post(REFRESH, headers=bearer(tokens["refresh_token"])))
    assert_401(client.post(LOGOUT, headers=bearer(tokens["access_token"])))
    # Only that session ends.
    assert client.get(ME, headers=bearer(other["access_token"])).status_code == 200

    sid = pyjwt.decode(tokens["access_token"], TEST_SECRET, algorithms=["HS256"])["sid"]
    with app.app_context():
        row = db.session.get(RevokedSession, sid)
        assert row is not None and row.user_id == demo.users["inspector1"]
        # Kept at least as long as the refresh token lives.
        assert row.expires_at - row.revoked_at >= dt.timedelta(days=7)
        db.session.remove()


def test_logout_with_refresh_token_ends_the_session(client, demo):
    tokens = tokens_for(client, "reviewer1")
    assert client.post(LOGOUT, headers=bearer(tokens["refresh_token"])).status_code == 204
    assert_401(client.get(ME, headers=bearer(tokens["access_token"])))
    assert_401(client.post(REFRESH, headers=bearer(tokens["refresh_token"])))


def test_logout_is_audited(client, demo, login):
    tokens = tokens_for(client, "inspector2")
    client.post(LOGOUT, headers=bearer(tokens["access_token"]))
    events = client.get("/api/v1/audit?action=logout", headers=login("admin")).get_json()["items"]
    assert [e["actor_id"] for e in events] == [demo.users["inspector2"]]


def test_revocation_survives_a_restart(client, demo):
    revoked = tokens_for(client, "inspector1")
    live = tokens_for(client, "inspector1")
    assert client.post(LOGOUT, headers=bearer(revoked["access_token"])).status_code == 204

    # A new process: another app built from the same settings and database, nothing
    # shared in memory with the first one.
    restarted = create_app(conftest.test_settings(), environ={})
    other = restarted.test_client()
    try:
        assert other.get(ME, headers=bearer(live["access_token"])).status_code == 200
        assert_401(other.get(ME, headers=bearer(revoked["access_token"])))
        assert_401(other.post(REFRESH, headers=bearer(revoked["refresh_token"])))
        assert other.post(REFRESH, headers=bearer(live["refresh_token"])).status_code == 200
    finally:
        with restarted.app_context():
            db.session.remove()
            db.engine.dispose()


# --- account changes end every earlier token -----------------------------------------------

def _sessions(client, username, count=2, password=DEMO_PASSWORD):
    return [tokens_for(client, username, password) for _ in range(count)]


def _assert_all_dead(client, sessions):
    for tokens in sessions:
        body = assert_401(client.get(ME, headers=bearer(tokens["access_token"])))
        assert body["detail"]
        assert_401(client.post(REFRESH, headers=bearer(tokens["refresh_token"])))


def test_disabling_a_user_kills_their_tokens_at_once(client, demo, login):
    sessions = _sessions(client, "inspector1")
    user_id = demo.users["inspector1"]
    updated = patch_user(client, login("admin"), user_id, {"active": False})
    assert updated["active"] is False
    _assert_all_dead(client, sessions)
    assert_401(client.get("/api/v1/visits", headers=bearer(sessions[0]["access_token"])))

    # Enabling the account again does not bring the old tokens back.
    patch_user(client, login("admin"), user_id, {"active": True})
    _assert_all_dead(client, sessions)
    fresh = tokens_for(client, "inspector1")
    assert client.get(ME, headers=bearer(fresh["access_token"])).status_code == 200


def test_role_change_kills_tokens_issued_before(client, demo, login):
    sessions = _sessions(client, "inspector2")
    user_id = demo.users["inspector2"]
    assert patch_user(client, login("admin"), user_id, {"role": "reviewer"})["role"] == "reviewer"
    _assert_all_dead(client, sessions)
    fresh = tokens_for(client, "inspector2")
    assert fresh["user"]["role"] == "reviewer"
    me = client.get(ME, headers=bearer(fresh["access_token"])).get_json()
    assert me["role"] == "reviewer"


def test_admin_password_change_kills_tokens_and_new_password_works(app, client, demo, login):
    sessions = _sessions(client, "reviewer1")
    before = stored_hash(app, "reviewer1")
    patch_user(client, login("admin"), demo.users["reviewer1"], {"password": "mat-khau-moi-2026"})
    _assert_all_dead(client, sessions)
    after = stored_hash(app, "reviewer1")
    assert after != before and after.startswith("$argon2id$")
    assert_problem(client.post(LOGIN, json={"username": "reviewer1", "password": DEMO_PASSWORD}),
                   401, TITLE_401)
    fresh = tokens_for(client, "reviewer1", "mat-khau-moi-2026")
    assert client.get(ME, headers=bearer(fresh["access_token"])).status_code == 200


def test_harmless_changes_keep_tokens(client, demo, login):
    tokens = tokens_for(client, "leader1")
    user_id = demo.users["leader1"]
    patch_user(client, login("admin"), user_id, {"full_name": "Phạm Minh Hoàng (mới)"})
    patch_user(client, login("admin"), user_id, {"role": "leader", "active": True})
    me = client.get(ME, headers=bearer(tokens["access_token"]))
    assert me.status_code == 200 and me.get_json()["full_name"] == "Phạm Minh Hoàng (mới)"


def test_own_password_change(app, client, demo):
    sessions = _sessions(client, "inspector1")
    headers = bearer(sessions[0]["access_token"])

    wrong = client.post(PASSWORD, headers=headers, json={
        "current_password": "not-my-password", "new_password": "mat-khau-moi-2026"})
    body = assert_problem(wrong, 422)
    assert "current_password" in body["errors"]["json"]

    short = client.post(PASSWORD, headers=headers, json={
        "current_password": DEMO_PASSWORD, "new_password": "ngan"})
    body = assert_problem(short, 422)
    assert "new_password" in body["errors"]["json"]

    # Neither refusal changed anything.
    assert client.get(ME, headers=headers).status_code == 200
    for tokens in sessions:
        assert client.get(ME, headers=bearer(tokens["access_token"])).status_code == 200

    done = client.post(PASSWORD, headers=headers, json={
        "current_password": DEMO_PASSWORD, "new_password": "mat-khau-moi-2026"})
    assert done.status_code == 204, done.get_json()
    _assert_all_dead(client, sessions)
    assert stored_hash(app, "inspector1").startswith("$argon2id$")
    assert_problem(client.post(LOGIN, json={"username": "inspector1", "password": DEMO_PASSWORD}),
                   401, TITLE_401)
    tokens_for(client, "inspector1", "mat-khau-moi-2026")


def test_own_password_change_needs_a_token(client, demo):
    assert_401(client.post(PASSWORD, json={"current_password": DEMO_PASSWORD,
                                           "new_password": "mat-khau-moi-2026"}))


# Login throttling is tested in test_login_throttle.py.


# --- forged, expired and tampered tokens ---------------------------------------------------

def _sign(claims: dict, secret: str = TEST_SECRET) -> str:
    return pyjwt.encode(claims, secret, algorithm="HS256")


def test_hand_made_token_with_issued_claims_is_accepted(client, demo):
    """The control for the forgery tests below: the same claims, signed right, work."""
    response = client.get(ME, headers=bearer(_sign(issued_claims(demo))))
    assert response.status_code == 200 and response.get_json()["username"] == "inspector1"


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_token_is_401(client, demo, alg):
    header = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = b64url(json.dumps(issued_claims(demo)).encode())
    for token in (f"{header}.{payload}.", f"{header}.{payload}"):
        assert_401(client.get(ME, headers=bearer(token)))
    unsigned = pyjwt.encode(issued_claims(demo), None, algorithm="none")
    assert_401(client.get(ME, headers=bearer(unsigned)))
    # An admin claim in an unsigned token gets no further than any other.
    forged = b64url(json.dumps(issued_claims(demo, "admin")).encode())
    assert_401(client.get("/api/v1/users", headers=bearer(f"{header}.{forged}.")))


def test_expired_access_token_is_401(client, demo):
    past = int((dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).timestamp())
    token = _sign(issued_claims(demo, iat=past - 900, nbf=past - 900, exp=past))
    body = assert_401(client.get(ME, headers=bearer(token)))
    assert "hết hạn" in body["detail"]


def test_a_token_accepted_before_is_refused_once_it_expires(client, demo):
    """The process remembers the tokens it verified (auth/verified_tokens.py); a hit
    checks the clock again, so a token that was good a moment ago expires on time."""
    now = int(dt.datetime.now(dt.UTC).timestamp())
    token = _sign(issued_claims(demo, iat=now - 60, nbf=now - 60, exp=now + 2))
    assert client.get(ME, headers=bearer(token)).status_code == 200
    assert client.get(ME, headers=bearer(token)).status_code == 200  # from the cache
    while dt.datetime.now(dt.UTC).timestamp() <= now + 2:
        time.sleep(0.1)
    body = assert_401(client.get(ME, headers=bearer(token)))
    assert "hết hạn" in body["detail"]


def test_a_token_accepted_before_is_refused_once_the_secret_changes(app, client, demo):
    token = tokens_for(client, "inspector1")["access_token"]
    assert client.get(ME, headers=bearer(token)).status_code == 200
    rotated = "rotated-secret-" + "z" * 32
    app.config["JWT_SECRET_KEY"] = rotated  # the app lives for the session: put back below
    try:
        assert_401(client.get(ME, headers=bearer(token)))
        assert client.get(ME, headers=bearer(_sign(issued_claims(demo), secret=rotated))).status_code == 200
    finally:
        app.config["JWT_SECRET_KEY"] = TEST_SECRET
    assert client.get(ME, headers=bearer(token)).status_code == 200


def test_a_token_changed_after_its_original_was_accepted_is_401(client, demo):
    token = tokens_for(client, "inspector1")["access_token"]
    assert client.get(ME, headers=bearer(token)).status_code == 200
    header, payload, signature = token.split(".")
    assert_401(client.get(ME, headers=bearer(f"{header}.{payload}.{signature[::-1]}")))
    assert_401(client.get(ME, headers=bearer(f"{header}.{payload}.")))
    assert client.get(ME, headers=bearer(token)).status_code == 200


def test_expired_refresh_token_is_401(client, demo):
    past = int((dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).timestamp())
    token = _sign(issued_claims(demo, type="refresh", iat=past - 900, nbf=past - 900, exp=past))
    assert_401(client.post(REFRESH, headers=bearer(token)))


def test_tampered_payload_is_401(client, demo):
    token = tokens_for(client, "inspector1")["access_token"]
    header, payload, signature = token.split(".")
    # Change one character at several places of the payload.
    for index in (0, len(payload) // 3, len(payload) // 2, len(payload) - 2):
        replacement = "A" if payload[index] != "A" else "B"
        changed = payload[:index] + replacement + payload[index + 1:]
        assert_401(client.get(ME, headers=bearer(f"{header}.{changed}.{signature}")))
    # A well-formed payload raised to admin, the original signature kept.
    claims = json.loads(b64url_decode(payload))
    claims.update(role="admin", sub=str(demo.users["admin"]))
    promoted = b64url(json.dumps(claims).encode())
    assert_401(client.get("/api/v1/users", headers=bearer(f"{header}.{promoted}.{signature}")))
    # A changed signature.
    assert_401(client.get(ME, headers=bearer(f"{header}.{payload}.{signature[::-1]}")))


def test_token_signed_with_another_secret_is_401(client, demo):
    token = _sign(issued_claims(demo, "admin"), secret="another-secret-" + "y" * 32)
    assert_401(client.get(ME, headers=bearer(token)))
    assert_401(client.get("/api/v1/users", headers=bearer(token)))


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_token_with_other_algorithm_is_401(client, demo):
    token = pyjwt.encode(issued_claims(demo), TEST_SECRET, algorithm="HS512")
    assert_401(client.get(ME, headers=bearer(token)))


@pytest.mark.parametrize("changes", [
    {"sub": "999999"},          # no such user
    {"sub": "not-a-number"},
    {"ver": 0},                 # issued before a change to the account
    {"role": "admin"},          # role claim does not match the database
])
def test_signed_token_for_unknown_or_stale_user_is_401(client, demo, changes):
    assert_401(client.get(ME, headers=bearer(_sign(issued_claims(demo, **changes)))))


def test_signed_token_without_session_is_401(client, demo):
    claims = issued_claims(demo)
    del claims["sid"]
    assert_401(client.get(ME, headers=bearer(_sign(claims))))

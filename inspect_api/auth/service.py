"""Logging in and out, token issue and revocation, and user administration."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..audit.service import record, username_tag
from ..db import db, utcnow
from ..errors import Conflict, Invalid, NotFound, Unauthorized
from ..org.models import OrgUnit
from .actor import unit_in_subtree
from .models import RevokedSession, User
from .passwords import MIN_PASSWORD_LENGTH, burn_time, hash_password, needs_rehash, verify_password

BAD_CREDENTIALS = "Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đã bị khóa."


def _claims(user: User, sid: str) -> dict[str, Any]:
    return {"role": user.role, "ver": user.token_version, "sid": sid, "org": user.org_unit_id}


def _issue_tokens(user: User, sid: str) -> dict[str, Any]:
    claims = _claims(user, sid)
    return {
        "access_token": create_access_token(identity=str(user.id), additional_claims=claims),
        "refresh_token": create_refresh_token(identity=str(user.id), additional_claims=claims),
        "token_type": "Bearer",
        "expires_in": int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds()),
        "user": user,
    }


def login(username: str, password: str) -> dict[str, Any]:
    """Check the password and open a session. Every attempt is audited."""
    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        burn_time(password)
    # Verify before looking at `active`: a disabled account must not answer faster.
    if user is None or not (verify_password(user.password_hash, password) and user.active):
        # No typed text is kept (people type passwords into the username box): a known
        # account is named by its id, an unknown name only by a short keyed tag.
        if user is not None:
            record("login_failed", "user", user.id)
        else:
            record("login_failed", "user", None, after={"username_tag": username_tag(username)})
        db.session.commit()
        raise Unauthorized(BAD_CREDENTIALS)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    record("login", "user", user.id, actor=user)
    db.session.commit()
    return _issue_tokens(user, uuid.uuid4().hex)


def refresh(user: User, claims: dict[str, Any]) -> dict[str, Any]:
    """A new access token for the same session (the refresh token stays valid)."""
    access = create_access_token(identity=str(user.id), additional_claims=_claims(user, claims["sid"]))
    return {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds()),
    }


def logout(user: User, claims: dict[str, Any]) -> None:
    """Revoke the session: its access and refresh tokens both stop working."""
    sid = claims["sid"]
    if db.session.get(RevokedSession, sid) is None:
        expires = utcnow() + current_app.config["JWT_REFRESH_TOKEN_EXPIRES"]
        db.session.add(RevokedSession(sid=sid, user_id=user.id, revoked_at=utcnow(),
                                      expires_at=expires))
        record("logout", "user", user.id, actor=user)
        db.session.commit()


def is_session_revoked(sid: str | None) -> bool:
    return sid is None or db.session.get(RevokedSession, sid) is not None


def load_token_user(claims: dict[str, Any]) -> User | None:
    """The user a token speaks for, or None if the token predates a change to them."""
    try:
        user = db.session.get(User, int(claims["sub"]))
    except (KeyError, TypeError, ValueError):
        return None
    if user is None or not user.active:
        return None
    if claims.get("ver") != user.token_version or claims.get("role") != user.role:
        return None
    return user


def describe_me(user: User, teams: list[dict[str, Any]]) -> dict[str, Any]:
    """The account as the tablet needs it: who, where, and which teams to sync."""
    fields = ("id", "username", "full_name", "role", "org_unit_id", "org_unit", "active",
              "last_login_at", "updated_at")
    return {**{name: getattr(user, name) for name in fields}, "teams": teams}


def purge_expired_revocations() -> int:
    """Revocations of sessions whose refresh token has expired are no longer needed."""
    expired = db.session.scalars(
        select(RevokedSession).where(RevokedSession.expires_at < utcnow())
    ).all()
    for row in expired:
        db.session.delete(row)
    db.session.commit()
    return len(expired)


# --- user administration -------------------------------------------------------------

def _check_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự.",
            errors={"json": {field: [f"Ít nhất {MIN_PASSWORD_LENGTH} ký tự."]}},
        )


def _org_unit_in_scope(actor: User | None, org_unit_id: int) -> OrgUnit:
    unit = db.session.get(OrgUnit, org_unit_id)
    if unit is None or (actor is not None and not unit_in_subtree(unit, actor)):
        raise Invalid("Đơn vị không tồn tại hoặc ngoài phạm vi quản lý.",
                      errors={"json": {"org_unit_id": ["Không tìm thấy đơn vị."]}})
    return unit


def user_snapshot(user: User) -> dict[str, Any]:
    return {"username": user.username, "full_name": user.full_name, "role": user.role,
            "org_unit_id": user.org_unit_id, "active": user.active,
            "token_version": user.token_version}


def create_user(actor: User | None, data: dict[str, Any]) -> User:
    """Create an account (actor None = the command line)."""
    _check_password(data["password"])
    _org_unit_in_scope(actor, data["org_unit_id"])
    user = User(
        username=data["username"].strip().lower(),
        full_name=data["full_name"],
        role=data["role"],
        org_unit_id=data["org_unit_id"],
        active=data.get("active", True),
        password_hash=hash_password(data["password"]),
        token_version=1,
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("Tên đăng nhập đã tồn tại.",
                       errors={"json": {"username": ["Đã tồn tại."]}}) from None
    record("create", "user", user.id, actor=actor, after=user_snapshot(user),
           actor_username=None if actor else "cli")
    db.session.commit()
    return user


def get_user(actor: User, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not unit_in_subtree(user.org_unit, actor):
        raise NotFound("Không tìm thấy tài khoản.")
    return user


def update_user(actor: User | None, user: User, data: dict[str, Any]) -> User:
    """Change an account. Disabling it, or changing its role or password, ends every
    session it has (token_version goes up)."""
    before = user_snapshot(user)
    ends_sessions = False
    if "full_name" in data:
        user.full_name = data["full_name"]
    if "org_unit_id" in data and data["org_unit_id"] != user.org_unit_id:
        _org_unit_in_scope(actor, data["org_unit_id"])
        user.org_unit_id = data["org_unit_id"]
        ends_sessions = True
    if "role" in data and data["role"] != user.role:
        user.role = data["role"]
        ends_sessions = True
    if "active" in data and data["active"] != user.active:
        user.active = data["active"]
        ends_sessions = ends_sessions or not data["active"]
    if "password" in data:
        _check_password(data["password"])
        user.password_hash = hash_password(data["password"])
        ends_sessions = True
    if ends_sessions:
        user.token_version += 1
    after = user_snapshot(user)
    if after != before or "password" in data:
        record("update", "user", user.id, actor=actor, before=before, after=after,
               actor_username=None if actor else "cli")
    db.session.commit()
    return user


def change_own_password(user: User, current_password: str, new_password: str) -> None:
    if not verify_password(user.password_hash, current_password):
        raise Invalid("Mật khẩu hiện tại không đúng.",
                      errors={"json": {"current_password": ["Không đúng."]}})
    # Checked here too, so the error names the field the client sent.
    _check_password(new_password, field="new_password")
    update_user(user, user, {"password": new_password})

"""Logging in and out, token issue and revocation, and user administration."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any, cast

from argon2 import PasswordHasher
from sqlalchemy import CursorResult, Select, bindparam, delete, func, select
from sqlalchemy.orm import joinedload, selectinload

from ..audit.service import Origin, record, username_tag
from ..db import db, utcnow
from ..errors import Invalid, NotFound, Unauthorized
from ..org.models import OrgUnit
from ..services import flush_or_conflict, invalid_field
from ..scoping import in_subtree, unit_in_subtree
from .models import RevokedSession, User
from .passwords import (MIN_PASSWORD_LENGTH, burn_time, generated_password, hash_password, needs_rehash,
                        verify_password)

BAD_CREDENTIALS = "Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đã bị khóa."


def login(username: str, password: str, *, hasher: PasswordHasher, audit_secret: str,
          origin: Origin | None = None) -> User:
    """Check the password; the user, to whom the edge issues tokens. Every attempt is
    audited (an unknown name by a tag keyed with `audit_secret`)."""
    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        burn_time(hasher, password)
    # Verify before looking at `active`: a disabled account must not answer faster.
    if user is None or not (verify_password(hasher, user.password_hash, password) and user.active):
        # No typed text is kept (people type passwords into the username box): a known
        # account is named by its id, an unknown name only by a short keyed tag.
        if user is not None:
            record("login_failed", "user", user.id, origin=origin)
        else:
            record("login_failed", "user", None, origin=origin,
                   after={"username_tag": username_tag(username, audit_secret)})
        db.session.commit()
        raise Unauthorized(BAD_CREDENTIALS)
    if needs_rehash(hasher, user.password_hash):
        user.password_hash = hash_password(hasher, password)
    user.last_login_at = utcnow()
    record("login", "user", user.id, actor=user, origin=origin)
    db.session.commit()
    return user


def logout(user: User, sid: str, *, refresh_lifetime: timedelta, origin: Origin | None = None) -> None:
    """Revoke the session `sid`: its access and refresh tokens both stop working.
    `refresh_lifetime`: how long its refresh token could still be used (the revocation
    is needed until then)."""
    if db.session.get(RevokedSession, sid) is None:
        expires = utcnow() + refresh_lifetime
        db.session.add(RevokedSession(sid=sid, user_id=user.id, revoked_at=utcnow(),
                                      expires_at=expires))
        record("logout", "user", user.id, actor=user, origin=origin)
        db.session.commit()


def is_session_revoked(sid: str | None) -> bool:
    return sid is None or db.session.get(RevokedSession, sid) is not None


_SESSION_USER_KEY = "token_user"


def _token_subject(claims: dict[str, Any]) -> int | None:
    try:
        return int(claims["sub"])
    except (KeyError, TypeError, ValueError):
        return None


@functools.cache
def _token_statements() -> tuple[Select, Select]:
    """is_token_revoked's statements (`sid` and `user_id` bound), built once per process
    rather than on every request."""
    revoked = select(RevokedSession.sid).where(RevokedSession.sid == bindparam("sid")).exists()
    with_user = select(User, revoked).options(joinedload(User.org_unit)).where(User.id == bindparam("user_id"))
    return with_user, select(revoked)


def is_token_revoked(claims: dict[str, Any]) -> bool:
    """Whether the token's session was logged out. Every request asks, then looks up the
    user (load_token_user): the same statement reads that user's row and org unit into
    the session, so the lookup finds them there. One round trip instead of two (three
    for a caller whose scope reads their unit), and both read in this request, never kept
    from another."""
    sid, user_id = claims.get("sid"), _token_subject(claims)
    if sid is None:
        return True
    with_user, revoked = _token_statements()
    if user_id is not None:
        row = db.session.execute(with_user, {"sid": sid, "user_id": user_id}).first()
        if row is not None:
            # The session holds its rows weakly: keep this one alive for the lookup.
            db.session.info[_SESSION_USER_KEY] = row[0]
            return bool(row[1])
    # No such user: the lookup refuses the token anyway, but a logged-out session is
    # still named as such.
    return bool(db.session.scalar(revoked, {"sid": sid}))


def load_token_user(claims: dict[str, Any]) -> User | None:
    """The user a token speaks for, or None if the token predates a change to them."""
    user_id = _token_subject(claims)
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return None
    if claims.get("ver") != user.token_version or claims.get("role") != user.role:
        return None
    return user


def describe_me(user: User, teams: list[dict[str, Any]]) -> dict[str, Any]:
    """The account as the tablet needs it: who, where, and which teams to sync."""
    fields = ("id", "username", "full_name", "role", "org_unit_id", "org_unit", "active", "email",
              "last_login_at", "updated_at")
    return {**{name: getattr(user, name) for name in fields}, "teams": teams}


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
        raise invalid_field("org_unit_id", "Không tìm thấy đơn vị.",
                            detail="Đơn vị không tồn tại hoặc ngoài phạm vi quản lý.")
    return unit


def user_snapshot(user: User) -> dict[str, Any]:
    return {"username": user.username, "full_name": user.full_name, "role": user.role,
            "org_unit_id": user.org_unit_id, "active": user.active,
            "token_version": user.token_version, "email": user.email}


def _email(value: str | None) -> str | None:
    return value.strip() or None if value else None


def create_user(actor: User | None, data: dict[str, Any], *, hasher: PasswordHasher,
                origin: Origin | None = None) -> User:
    """Create an account (actor None = the command line)."""
    _check_password(data["password"])
    _org_unit_in_scope(actor, data["org_unit_id"])
    user = User(
        username=data["username"].strip().lower(),
        full_name=data["full_name"],
        role=data["role"],
        org_unit_id=data["org_unit_id"],
        active=data.get("active", True),
        email=_email(data.get("email")),
        password_hash=hash_password(hasher, data["password"]),
        token_version=1,
    )
    db.session.add(user)
    flush_or_conflict("username", "Đã tồn tại.", detail="Tên đăng nhập đã tồn tại.")
    record("create", "user", user.id, actor=actor, after=user_snapshot(user),
           actor_username=None if actor else "cli", origin=origin)
    db.session.commit()
    return user


def list_users(actor: User, *, role: str | None = None, org_unit_id: int | None = None,
               active: bool | None = None, page: int = 1, per_page: int = 50) -> tuple[list[User], int]:
    """One page of the accounts in the actor's subtree (by unit, then name) and how many
    match in all; None filters nothing."""
    query = select(User).where(in_subtree(User.org_unit_id, actor))
    if role is not None:
        query = query.where(User.role == role)
    if org_unit_id is not None:
        query = query.where(User.org_unit_id == org_unit_id)
    if active is not None:
        query = query.where(User.active.is_(active))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    users = db.session.scalars(query.join(User.org_unit).options(selectinload(User.org_unit))
                               .order_by(OrgUnit.path, User.username)
                               .offset((page - 1) * per_page).limit(per_page)).all()
    return list(users), total


def get_user(actor: User, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not unit_in_subtree(user.org_unit, actor):
        raise NotFound("Không tìm thấy tài khoản.")
    return user


def update_user(actor: User | None, user: User, data: dict[str, Any], *, hasher: PasswordHasher,
                origin: Origin | None = None) -> User:
    """Change an account. Disabling it, or changing its role or password, ends every
    session it has (token_version goes up)."""
    _check_not_locking_out(actor, user, data)
    before = user_snapshot(user)
    ends_sessions = False
    if "full_name" in data:
        user.full_name = data["full_name"]
    if "email" in data:
        user.email = _email(data["email"])
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
        user.password_hash = hash_password(hasher, data["password"])
        ends_sessions = True
    if ends_sessions:
        user.token_version += 1
    after = user_snapshot(user)
    if after != before or "password" in data:
        record("update", "user", user.id, actor=actor, before=before, after=after,
               actor_username=None if actor else "cli", origin=origin)
    db.session.commit()
    return user


def _check_not_locking_out(actor: User | None, user: User, data: dict[str, Any]) -> None:
    """An administrator may not disable their own account nor change its role or unit:
    one slip would leave them (or, for the last admin of a unit, everyone) without
    administration. Another admin of the same or a higher unit can do it."""
    if actor is None or actor.id != user.id:
        return
    for field, current in (("active", True), ("role", user.role), ("org_unit_id", user.org_unit_id)):
        if field in data and data[field] != current:
            raise invalid_field(field, "Không thể thay đổi với chính tài khoản của mình.",
                                detail="Bạn không thể tự khóa, tự đổi vai trò hay đơn vị của tài khoản "
                                       "mình; hãy nhờ một quản trị viên khác.")


def reset_password(actor: User, user: User, *, hasher: PasswordHasher, origin: Origin | None = None) -> str:
    """Give the account a new generated password, returned once for the administrator to
    hand over; every session of the account ends."""
    password = generated_password()
    update_user(actor, user, {"password": password}, hasher=hasher, origin=origin)
    return password


def change_own_password(user: User, current_password: str, new_password: str, *,
                        hasher: PasswordHasher, origin: Origin | None = None) -> None:
    if not verify_password(hasher, user.password_hash, current_password):
        raise Invalid("Mật khẩu hiện tại không đúng.",
                      errors={"json": {"current_password": ["Không đúng."]}})
    # Checked here too, so the error names the field the client sent.
    _check_password(new_password, field="new_password")
    update_user(user, user, {"password": new_password}, hasher=hasher, origin=origin)


def purge_expired_revocations() -> int:
    """Forget logouts whose refresh token has expired anyway: such a token is refused for
    its age, so the row guards nothing. Returns how many were removed (run by cron)."""
    # A DELETE answers with a cursor result, which carries the row count.
    result = cast(CursorResult[Any], db.session.execute(
        delete(RevokedSession).where(RevokedSession.expires_at < utcnow())))
    removed = result.rowcount
    db.session.commit()
    return removed

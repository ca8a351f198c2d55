"""Signing in to the console and who the signed-in user is.

The session cookie (signed, HttpOnly, SameSite=Lax) holds the user id, the user's
token_version and role, and a session id: the same facts an API token carries, checked
on every request the way the API checks a token (auth.service.load_token_user and
is_session_revoked). So a password or role change, a disabled account (token_version
goes up) or signing out (the session id is revoked) ends the console session too.
Signing in goes through the same throttle as POST /api/v1/auth/login."""

from __future__ import annotations

import uuid
from functools import wraps
from urllib.parse import urlsplit

from flask import current_app, g, redirect, request, session, url_for

from ..audit.anchors import audit_secret
from ..auth import service
from ..auth.models import User
from ..auth.passwords import password_hasher
from ..auth.throttle import login_throttle
from ..db import db
from ..errors import Forbidden
from ..requests import client_address, request_origin

KEYS = ("uid", "ver", "role", "sid")


def sign_in(username: str, password: str) -> User:
    """auth.service.login behind the login throttle (counted before the password is
    checked, given back on success), then a fresh session: the old cookie's contents are
    dropped, so a session id planted before sign-in is never used after it."""
    throttle = login_throttle()
    attempt = throttle.reserve(username, client_address())
    user = service.login(username, password, hasher=password_hasher(current_app.config),
                         audit_secret=audit_secret(current_app.config), origin=request_origin())
    db.session.commit()
    throttle.succeeded(attempt)
    session.clear()
    session.permanent = True
    session.update(uid=user.id, ver=user.token_version, role=user.role, sid=uuid.uuid4().hex)
    return user


def sign_out() -> None:
    user = current_user()
    if user is not None:
        service.logout(user, session["sid"], refresh_lifetime=current_app.config["PERMANENT_SESSION_LIFETIME"],
                       origin=request_origin())
    session.clear()


def current_user() -> User | None:
    """The signed-in user, or None (and the cookie emptied) if the session has ended."""
    if "console_user" in g:
        return g.console_user
    user = None
    if all(key in session for key in KEYS):
        claims = {"sub": str(session["uid"]), "ver": session["ver"], "role": session["role"]}
        user = service.load_token_user(claims)
        if user is not None and service.is_session_revoked(str(session["sid"])):
            user = None
    if user is None:
        for key in KEYS:  # the sign-in is over; a flash message waiting for the next page stays
            session.pop(key, None)
    g.console_user = user
    return user


def safe_next(target: str | None) -> str | None:
    """A path inside the console to go back to after signing in; anything else (another
    host, a scheme, //host) is dropped, so the sign-in page is no open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/console") or "\\" in target:
        return None
    return target


def signed_in(*roles: str):
    """View decorator: a live session (else the sign-in page, coming back here after),
    and one of `roles` when given (else 403)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = current_user()
            if user is None:
                back = request.full_path if request.method == "GET" else None
                return redirect(url_for("console.sign_in", next=safe_next(back and back.rstrip("?"))))
            if roles and user.role not in roles:
                raise Forbidden("Vai trò của bạn không được dùng trang này.")
            return view(user, *args, **kwargs)

        return wrapper

    return decorator

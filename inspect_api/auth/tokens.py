"""flask-jwt-extended wired to the database: user lookup, revocation, the claims every
token must carry, and errors as problem+json 401s (the library's own default for a bad
token is a 422 JSON body)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask import current_app
from flask_jwt_extended import JWTManager, create_access_token, create_refresh_token
from flask_jwt_extended.exceptions import JWTDecodeError

from ..error_handlers import problem_response
from . import service
from .models import ROLES, User

_SUBJECT = re.compile(r"[1-9][0-9]{0,17}")
_SESSION_ID = re.compile(r"[0-9a-f]{32}")  # uuid4().hex, as login makes it
_TOKEN_TYPES = ("access", "refresh")


def _is_int(value: Any, low: int, high: int) -> bool:
    return type(value) is int and low <= value <= high


def require_claims(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """Refuse a token whose claims are not the ones login makes; return the key to verify
    its signature with.

    This is the only hook that sees the claims as they were signed: afterwards the
    library fills in `type: access` when the claim is missing, so a token signed with the
    real secret but no `type` (or one made for another purpose) would pass as an access
    token. The shape is checked before the signature, but a token is only ever accepted
    when both hold, so the order changes nothing. `alg` is fixed by JWT_DECODE_ALGORITHMS
    (`none` never passes)."""
    checks = {
        "type": claims.get("type") in _TOKEN_TYPES,
        "sub": isinstance(claims.get("sub"), str) and _SUBJECT.fullmatch(claims["sub"]) is not None,
        "sid": isinstance(claims.get("sid"), str) and _SESSION_ID.fullmatch(claims["sid"]) is not None,
        "ver": _is_int(claims.get("ver"), 1, 2**31 - 1),
        "role": isinstance(claims.get("role"), str) and claims["role"] in ROLES,
        # Without exp a token would never expire; without iat it could not be told apart.
        "exp": _is_int(claims.get("exp"), 1, 2**40),
        "iat": _is_int(claims.get("iat"), 1, 2**40),
        "org": "org" not in claims or claims["org"] is None or _is_int(claims["org"], 1, 2**63 - 1),
        # Set by the library on every token it makes.
        "nbf": "nbf" not in claims or _is_int(claims["nbf"], 1, 2**40),
        "jti": "jti" not in claims or (isinstance(claims["jti"], str) and len(claims["jti"]) <= 64),
        "csrf": "csrf" not in claims or (isinstance(claims["csrf"], str) and len(claims["csrf"]) <= 64),
        "fresh": "fresh" not in claims or isinstance(claims["fresh"], bool),
    }
    bad = [name for name, ok in checks.items() if not ok]
    # Nothing login does not make: an unknown claim, however small or large, is not ours.
    bad += sorted(name for name in claims if name not in checks)[:5]
    if bad:
        raise JWTDecodeError(f"missing or invalid claims: {', '.join(bad)}")
    return current_app.config["JWT_SECRET_KEY"]

def _claims(user: User, sid: str) -> dict[str, Any]:
    return {"role": user.role, "ver": user.token_version, "sid": sid, "org": user.org_unit_id}


def _expires_in() -> int:
    return int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds())


def issue_tokens(user: User) -> dict[str, Any]:
    """Open a session for a user who has just logged in: its access and refresh tokens."""
    claims = _claims(user, uuid.uuid4().hex)
    return {
        "access_token": create_access_token(identity=str(user.id), additional_claims=claims),
        "refresh_token": create_refresh_token(identity=str(user.id), additional_claims=claims),
        "token_type": "Bearer",
        "expires_in": _expires_in(),
        "user": user,
    }


def refresh_access(user: User, claims: dict[str, Any]) -> dict[str, Any]:
    """A new access token for the same session (the refresh token stays valid)."""
    access = create_access_token(identity=str(user.id), additional_claims=_claims(user, claims["sid"]))
    return {"access_token": access, "token_type": "Bearer", "expires_in": _expires_in()}


_MESSAGES = {
    "missing": "Thiếu mã truy cập (Authorization: Bearer ...).",
    "invalid": "Mã truy cập không hợp lệ.",
    "expired": "Mã truy cập đã hết hạn. Hãy làm mới hoặc đăng nhập lại.",
    "revoked": "Phiên đăng nhập đã kết thúc. Vui lòng đăng nhập lại.",
    "stale": "Tài khoản đã thay đổi (khóa, đổi vai trò hoặc mật khẩu). Vui lòng đăng nhập lại.",
}


def _unauthorized(key: str):
    return problem_response(401, _MESSAGES[key], type_slug="unauthorized",
                            headers={"WWW-Authenticate": "Bearer"})


def configure_jwt(jwt: JWTManager) -> None:
    jwt.decode_key_loader(require_claims)
    jwt.user_lookup_loader(lambda header, claims: service.load_token_user(claims))
    jwt.token_in_blocklist_loader(lambda header, claims: service.is_token_revoked(claims))
    jwt.unauthorized_loader(lambda reason: _unauthorized("missing"))
    jwt.invalid_token_loader(lambda reason: _unauthorized("invalid"))
    jwt.expired_token_loader(lambda header, claims: _unauthorized("expired"))
    jwt.revoked_token_loader(lambda header, claims: _unauthorized("revoked"))
    jwt.user_lookup_error_loader(lambda header, claims: _unauthorized("stale"))
    jwt.needs_fresh_token_loader(lambda header, claims: _unauthorized("invalid"))
    jwt.token_verification_failed_loader(lambda header, claims: _unauthorized("invalid"))

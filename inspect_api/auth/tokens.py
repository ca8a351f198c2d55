"""flask-jwt-extended wired to the database: user lookup, revocation, and errors as
problem+json 401s (the library's own default for a bad token is a 422 JSON body)."""

from __future__ import annotations

from flask_jwt_extended import JWTManager

from ..errors import problem_response
from . import service

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
    jwt.user_lookup_loader(lambda header, claims: service.load_token_user(claims))
    jwt.token_in_blocklist_loader(
        lambda header, claims: service.is_session_revoked(claims.get("sid"))
    )
    jwt.unauthorized_loader(lambda reason: _unauthorized("missing"))
    jwt.invalid_token_loader(lambda reason: _unauthorized("invalid"))
    jwt.expired_token_loader(lambda header, claims: _unauthorized("expired"))
    jwt.revoked_token_loader(lambda header, claims: _unauthorized("revoked"))
    jwt.user_lookup_error_loader(lambda header, claims: _unauthorized("stale"))
    jwt.needs_fresh_token_loader(lambda header, claims: _unauthorized("invalid"))
    jwt.token_verification_failed_loader(lambda header, claims: _unauthorized("invalid"))

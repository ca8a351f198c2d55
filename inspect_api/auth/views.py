"""Log in, refresh, log out, who am I; and user administration."""

from flask import current_app
from flask.views import MethodView
from flask_jwt_extended import current_user, get_jwt, jwt_required
from flask_smorest import Blueprint
from sqlalchemy import select

from ..pagination import PageArgsSchema, keyset_page, page_of
from ..requests import client_address, request_origin
from . import service
from ..guard import require_role
from ..scoping import in_subtree
from .models import User
from .schemas import (
    AccessTokenSchema, LoginSchema, PasswordChangeSchema, TokensSchema,
    UserCreateSchema, UserSchema, UserUpdateSchema,
)
from .passwords import password_hasher
from .throttle import throttled_login
from .tokens import refresh_access

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Đăng nhập và phiên làm việc")
users_blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Quản lý tài khoản (admin)")


@blp.route("/login", methods=["POST"])
@blp.arguments(LoginSchema)
@blp.response(200, TokensSchema)
@blp.alt_response(401, description="Wrong username or password, or account disabled")
@blp.alt_response(429, description="Too many failed attempts; see Retry-After")
@blp.alt_response(503, description="Login throttling counters unavailable; see Retry-After")
def login(data):
    """Log in with username and password; returns access and refresh tokens."""
    return throttled_login(data["username"], data["password"], client_address())


@blp.route("/refresh", methods=["POST"])
@jwt_required(refresh=True)
@blp.response(200, AccessTokenSchema)
@blp.alt_response(401, description="Refresh token missing, expired or revoked")
@blp.doc(security=[{"bearerAuth": []}])
def refresh():
    """Get a new access token; send the refresh token as the bearer token."""
    return refresh_access(current_user, get_jwt())


@blp.route("/logout", methods=["POST"])
@jwt_required(verify_type=False)
@blp.response(204)
@blp.alt_response(401, description="Token missing, expired or revoked")
@blp.doc(security=[{"bearerAuth": []}])
def logout():
    """End this session: its access and refresh tokens stop working at once."""
    service.logout(current_user, get_jwt()["sid"], refresh_lifetime=current_app.config["JWT_REFRESH_TOKEN_EXPIRES"],
                   origin=request_origin())


@blp.route("/password", methods=["POST"])
@jwt_required()
@blp.arguments(PasswordChangeSchema)
@blp.response(204)
@blp.alt_response(401, description="Token missing, expired or revoked")
@blp.alt_response(422, description="Current password wrong or new one too short")
@blp.doc(security=[{"bearerAuth": []}])
def change_password(data):
    """Change your own password; every other session ends."""
    service.change_own_password(current_user, data["current_password"], data["new_password"],
                                hasher=password_hasher(current_app.config), origin=request_origin())


@users_blp.route("")
class Users(MethodView):
    decorators = [require_role("admin")]

    @users_blp.arguments(PageArgsSchema, location="query")
    @users_blp.response(200, page_of(UserSchema))
    def get(self, args):
        """List the accounts in your org subtree."""
        query = select(User).where(in_subtree(User.org_unit_id, current_user))
        return keyset_page(query, args, order=[(User.id, False)], name="users")

    @users_blp.arguments(UserCreateSchema)
    @users_blp.response(201, UserSchema)
    @users_blp.alt_response(409, description="Username taken")
    def post(self, data):
        """Create an account."""
        return service.create_user(current_user, data, hasher=password_hasher(current_app.config),
                                   origin=request_origin())


@users_blp.route("/<int:user_id>")
class UserById(MethodView):
    decorators = [require_role("admin")]

    @users_blp.response(200, UserSchema)
    @users_blp.alt_response(404, description="No such account in your scope")
    def get(self, user_id):
        """One account."""
        return service.get_user(current_user, user_id)

    @users_blp.arguments(UserUpdateSchema)
    @users_blp.response(200, UserSchema)
    @users_blp.alt_response(404, description="No such account in your scope")
    def patch(self, data, user_id):
        """Change an account; disabling it or changing its role or password ends its sessions."""
        return service.update_user(current_user, service.get_user(current_user, user_id), data,
                                   hasher=password_hasher(current_app.config), origin=request_origin())

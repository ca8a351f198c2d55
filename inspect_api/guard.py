"""The views' door: a valid access token, and the caller's role."""

from __future__ import annotations

from functools import wraps

from flask import g
from flask_jwt_extended import current_user, verify_jwt_in_request

from .errors import Forbidden


def require_role(*roles: str):
    """View decorator: a valid access token, and (if given) one of `roles`."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            # A view guarded by its class and by its method checks the token once: the
            # same request carries the same token (and each check reads the database).
            if not g.get("token_verified"):
                verify_jwt_in_request()
                g.token_verified = True
            if roles and current_user.role not in roles:
                raise Forbidden("Vai trò của bạn không được phép thực hiện thao tác này.")
            return view(*args, **kwargs)

        return wrapper

    return decorator

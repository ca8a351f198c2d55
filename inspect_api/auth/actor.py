"""The authenticated caller and the checks every service makes on them."""

from __future__ import annotations

from functools import wraps
from typing import Any

from flask_jwt_extended import current_user, verify_jwt_in_request
from sqlalchemy import ColumnElement, SQLColumnExpression, select

from ..errors import Forbidden
from ..org.models import OrgUnit
from .models import User


def current_actor() -> User:
    return current_user


def require_role(*roles: str):
    """View decorator: a valid access token, and (if given) one of `roles`."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            verify_jwt_in_request()
            if roles and current_user.role not in roles:
                raise Forbidden("Vai trò của bạn không được phép thực hiện thao tác này.")
            return view(*args, **kwargs)

        return wrapper

    return decorator


def subtree_ids(actor: User):
    """A subquery of the ids of every org unit in the actor's subtree (their own included)."""
    return select(OrgUnit.id).where(OrgUnit.path.startswith(actor.org_unit.path))


def in_subtree(column: SQLColumnExpression[Any], actor: User) -> ColumnElement[bool]:
    return column.in_(subtree_ids(actor))


def unit_in_subtree(unit: OrgUnit | None, actor: User) -> bool:
    return unit is not None and unit.path.startswith(actor.org_unit.path)

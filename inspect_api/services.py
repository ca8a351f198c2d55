"""Small helpers that every feature's service uses."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from .db import db
from .errors import Conflict, Invalid


def flush_or_conflict(field: str, message: str, detail: str | None = None) -> None:
    """Flush; a unique-constraint violation becomes a 409 naming `field`."""
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(detail or message, errors={"json": {field: [message]}}) from None


def invalid_field(field: str, message: str, detail: str | None = None) -> Invalid:
    return Invalid(detail or message, errors={"json": {field: [message]}})


def apply_changes(row: Any, data: dict[str, Any]) -> bool:
    """Set the given attributes; say whether anything changed."""
    changed = False
    for key, value in data.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed

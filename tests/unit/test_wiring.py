"""The factory does the wiring: importing the app touches nothing global, and the last
line of defence behind the checklist service answers like every other refusal."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select

from inspect_api.checklists.models import ChecklistTemplate
from inspect_api.db import db
from inspect_api.errors import Conflict, ImmutableTemplate


def test_other_engines_keep_their_own_settings(app):
    """The SQLite pragmas are set on the app's engine, not on every engine the process
    makes (they used to be listeners on SQLAlchemy's global Engine class)."""
    other = create_engine("sqlite://")
    with other.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 0
    other.dispose()
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context(), db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_published_checklist_changed_behind_the_service_is_a_conflict(app, demo):
    with app.app_context():
        template = db.session.scalars(
            select(ChecklistTemplate).where(ChecklistTemplate.status == "published")).first()
        template.title = "Sửa lén sau khi ban hành"
        with pytest.raises(ImmutableTemplate) as refused:
            db.session.flush()
        db.session.rollback()
    assert isinstance(refused.value, Conflict) and refused.value.status == 409
    assert "đã ban hành" in refused.value.detail

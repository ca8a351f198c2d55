"""The Alembic history and the models describe the same schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from inspect_api.app import create_app
from inspect_api.db import db
from tests.conftest import _TMP, database_url
from tests.conftest import test_settings as settings_for_tests  # not collected as a test

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def _script() -> ScriptDirectory:
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def test_history_has_a_single_head():
    script = _script()
    heads = script.get_heads()
    assert len(heads) == 1, f"several Alembic heads: {heads}; merge them"
    # Every revision is reachable from the head down to base: one straight history.
    revisions = list(script.walk_revisions())
    assert revisions and revisions[-1].down_revision is None
    assert len(script.get_bases()) == 1


def test_models_and_migrations_have_not_drifted(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], "models and migrations differ; write a revision:\n" + "\n".join(
        str(d) for d in differences)


def test_the_migrated_database_is_at_the_head(app):
    with app.app_context(), db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    assert set(current) == set(_script().get_heads())


@pytest.fixture
def scratch_database_url():
    """A database of its own, so downgrading never touches the session database."""
    url = database_url()
    if url.startswith("sqlite"):
        path = _TMP / "migrations-roundtrip.db"
        path.unlink(missing_ok=True)
        yield f"sqlite:///{path}"
        path.unlink(missing_ok=True)
        return
    base = make_url(url)
    scratch = base.set(database=f"{base.database}_migrations")
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{scratch.database}"'))
    yield scratch.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch.database}" WITH (FORCE)'))
    admin.dispose()


def test_downgrade_to_base_and_upgrade_again(scratch_database_url):
    scratch = create_app(settings_for_tests(SQLALCHEMY_DATABASE_URI=scratch_database_url), environ={})
    model_tables = set(db.metadata.tables)
    with scratch.app_context():
        try:
            upgrade()
            assert model_tables <= set(inspect(db.engine).get_table_names())

            downgrade(revision="base")
            db.engine.dispose()  # SQLite: see the dropped tables on a fresh connection
            left = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
            assert left == set(), f"downgrade left tables behind: {left}"

            upgrade()
            assert model_tables <= set(inspect(db.engine).get_table_names())
            with db.engine.connect() as connection:
                context = MigrationContext.configure(connection, opts={"compare_type": True})
                assert compare_metadata(context, db.metadata) == []
                assert set(context.get_current_heads()) == set(_script().get_heads())
        finally:
            db.session.remove()
            db.engine.dispose()

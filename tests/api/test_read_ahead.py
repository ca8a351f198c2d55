"""ReadAhead: a list's independent reads on a second connection (PostgreSQL), or on the
request's own when asked for (SQLite), with the same rows either way (issue 12)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from inspect_api.db import ReadAhead, db, plain_rows
from inspect_api.org.models import OrgUnit
from tests.conftest import database_url

BACKEND = text("SELECT pg_backend_pid()")


def _read_ahead_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "read-ahead"]


def test_rows_are_the_rows_of_the_statements(app, demo):
    units = select(OrgUnit.id, OrgUnit.name).order_by(OrgUnit.id)
    codes = select(OrgUnit.code).where(OrgUnit.kind == "commune").order_by(OrgUnit.code)
    with app.app_context():
        expected = [list(plain_rows(units)), list(plain_rows(codes))]
        with ReadAhead({"units": units, "codes": codes}) as reads:
            got = [list(reads.rows("units")), list(reads.rows("codes"))]
        assert got == expected
        assert len(expected[0]) > 10 and expected[1]
        assert not _read_ahead_threads()


@pytest.mark.skipif(not database_url().startswith("postgresql"), reason="SQLite reads on the request's own connection")
def test_postgresql_reads_on_another_connection_with_the_setup_in_its_transaction(app):
    with app.app_context():
        own = db.session.scalar(BACKEND)
        statements = {"pid": BACKEND, "work_mem": text("SELECT current_setting('work_mem')")}
        with ReadAhead(statements, setup=(text("SET LOCAL work_mem = '32MB'"),)) as reads:
            other = reads.rows("pid")[0][0]
            work_mem = reads.rows("work_mem")[0][0]
        assert other != own
        assert work_mem == "32MB"
        # SET LOCAL stayed in the helper's transaction: not this connection's, nor the pool's.
        assert db.session.scalar(text("SELECT current_setting('work_mem')")) != "32MB"
        with db.engine.connect() as connection:
            assert connection.scalar(text("SELECT current_setting('work_mem')")) != "32MB"


def test_a_failing_statement_raises_where_its_rows_are_asked_for(app):
    with app.app_context():
        with ReadAhead({"bad": text("SELECT * FROM no_such_table"), "after": text("SELECT 1")}) as reads:
            with pytest.raises(DBAPIError, match="no_such_table") as failed:
                reads.rows("bad")
            if database_url().startswith("postgresql"):
                # Its transaction is spent: what came after fails with the same error.
                with pytest.raises(DBAPIError) as after:
                    reads.rows("after")
                assert after.value is failed.value
            else:
                db.session.rollback()  # it ran in this transaction
                assert reads.rows("after")[0][0] == 1
        assert not _read_ahead_threads()


def test_leaving_early_ends_the_thread_and_the_request_goes_on(app):
    with app.app_context():
        with pytest.raises(RuntimeError, match="the request failed"), \
                ReadAhead({f"n{n}": text(f"SELECT {n}") for n in range(50)}):
            raise RuntimeError("the request failed")
        assert not _read_ahead_threads()
        assert db.session.scalar(text("SELECT 2")) == 2

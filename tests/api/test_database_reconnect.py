"""A pooled connection whose server went away (PostgreSQL restarted, a failover, an idle
timeout): pinged before use once it has been idle, so the request goes through on a new
connection; in steady use it is not pinged, and the one request that meets the dead
connection gets a 503 problem to retry, not a 500 (db.PING_IDLE_SECONDS, issue 12)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

import inspect_api.db
from inspect_api.db import db
from tests.api.review_support import flow_with_settings
from tests.conftest import database_url

pytestmark = pytest.mark.skipif(not database_url().startswith("postgresql"),
                                reason="SQLite opens a file: there is no server to lose")

ONE_CONNECTION = {"pool_size": 1, "max_overflow": 0}


def _pooled_backend(app) -> int:
    """The server process behind the app's one pooled connection."""
    with app.app_context():
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        db.session.remove()
    return pid


def _terminate(pid: int) -> None:
    # Autocommit: PostgreSQL shows pg_stat_activity as it was at a transaction's first look,
    # so polling inside one transaction would see the backend alive until the timeout.
    engine = create_engine(database_url(), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            for _ in range(600):  # up to 30 s: a loaded machine is slow to reap it
                if not connection.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                                         {"pid": pid}):
                    return
                time.sleep(0.05)
        raise AssertionError(f"backend {pid} still there")
    finally:
        engine.dispose()


def test_an_idle_connection_that_died_is_replaced_before_the_request_uses_it(demo, monkeypatch):
    monkeypatch.setattr(inspect_api.db, "PING_IDLE_SECONDS", 0.0)
    with flow_with_settings(demo, SQLALCHEMY_ENGINE_OPTIONS=ONE_CONNECTION) as flow:
        headers = flow.login("reviewer1")
        app = flow.client.application
        dead = _pooled_backend(app)
        _terminate(dead)
        answer = flow.client.get("/api/v1/auth/me", headers=headers)
        assert answer.status_code == 200, answer.get_json()
        assert _pooled_backend(app) != dead


def test_a_connection_in_steady_use_is_not_pinged_and_its_loss_is_a_503_to_retry(demo, monkeypatch):
    monkeypatch.setattr(inspect_api.db, "PING_IDLE_SECONDS", 3600.0)
    with flow_with_settings(demo, SQLALCHEMY_ENGINE_OPTIONS=ONE_CONNECTION) as flow:
        headers = flow.login("reviewer1")
        app = flow.client.application
        _terminate(_pooled_backend(app))
        lost = flow.client.get("/api/v1/auth/me", headers=headers)
        assert lost.status_code == 503
        assert lost.mimetype == "application/problem+json"
        assert lost.headers["Retry-After"] == "1"
        assert "Mất kết nối tới cơ sở dữ liệu" in lost.get_json()["detail"]
        # The pool let the dead connection go: the retry goes through.
        again = flow.client.get("/api/v1/auth/me", headers=headers)
        assert again.status_code == 200, again.get_json()

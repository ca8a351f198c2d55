"""A small fleet of tablets against gunicorn, racing reviewers and an admin: every copy
must end equal to the database and nothing may arrive twice. The same fleet as
`make bench-sync` (benchmarks/fleet.py), at a size CI can afford.

It uses a database of its own (a fresh SQLite file, or `<test db>_fleet` on PostgreSQL),
migrated and seeded in this process (tests/api/test_live_server.py covers the operator's
commands; here they would only add two app start-ups)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from benchmarks._servers import Api, api_env, fresh_database
from benchmarks.fleet import FeedCopy, FleetConfig, compare, format_report, run_fleet
from inspect_api.app import create_app
from inspect_api.db import db
from inspect_api.seed import load_demo
from tests import conftest


def _fleet_database_url(tmp: Path) -> str:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base or not base.startswith("postgresql"):
        return f"sqlite:///{tmp / 'fleet.db'}"
    url = make_url(base)
    return url.set(database=f"{url.database}_fleet").render_as_string(hide_password=False)


@pytest.fixture
def api(tmp_path):
    url = _fleet_database_url(tmp_path)
    fresh_database(url)
    app = create_app(conftest.test_settings(SQLALCHEMY_DATABASE_URI=url), environ={})
    with app.app_context():
        upgrade()
        load_demo(echo=lambda message: None)
        db.session.remove()
        db.engine.dispose()
    env = {**api_env(None, tmp_path, url), "ARGON2_MEMORY_KIB": "64", "ARGON2_TIME_COST": "1",
           "DEMO_PASSWORD": conftest.DEMO_PASSWORD}
    server = Api(env, tmp_path, workers=2)
    try:
        yield server, conftest.DEMO_PASSWORD, url
    finally:
        server.stop()


def test_a_fleet_of_tablets_loses_nothing_and_gets_nothing_twice(api):
    server, password, url = api
    # Every visit is returned once, so each return must reach its tablet; small pages, so
    # cursors stop mid-feed while the admin writes.
    cfg = FleetConfig(tablets=4, procs=2, visits=1, batch=20, per_page=20, return_rate=1.0, max_returns=1,
                      think=(0.0, 0.05), poll=(0.3, 0.8), poll_max=1.5, admin_think=(0.1, 0.3),
                      max_seconds=90)
    report = run_fleet(server.url, password, url, cfg, echo=lambda message: None)
    assert report.ok, format_report(report)
    assert report.lost == [] and report.duplicated == []
    # It did what it claims to check: returns delivered and fixed, reference data changed
    # under the tablets, copies compared with SQL.
    assert report.counts["returned visits fixed and resubmitted"] == 4, format_report(report)
    assert report.checked["returns decided"] == 4
    assert sum(n for name, n in report.counts.items() if name.startswith("admin: ")) >= 5
    assert report.checked["copies"] == 4 * 6 + 3 * 4 + 5 + 1
    assert report.checked["rows checked against SQL"] == report.checked["rows compared"] > 100
    assert report.checked["acknowledged findings"] == 4 * 38


def _page(items, removed=(), reset=False, more=False):
    return {"items": items, "removed": list(removed), "meta": {"reset": reset, "more": more, "cursor": "c"}}


def test_the_fleet_check_sees_a_lost_and_a_duplicated_change():
    """The counting itself: a row delivered twice in one state is a duplicate, unless a
    tombstone or a reset came between; a missing, stale or undeleted row is lost."""
    copy = FeedCopy("/desks")
    desk = {"id": 1, "name": "Một cửa", "updated_at": "2026-11-20T01:00:00+00:00"}
    copy.apply(_page([desk]))
    copy.apply(_page([dict(desk, updated_at="2026-11-20T01:05:00+00:00")]))
    assert copy.duplicates == []
    copy.apply(_page([dict(desk, updated_at="2026-11-20T01:05:00+00:00")]))
    assert copy.duplicates == ["1"]
    copy.apply(_page([], removed=[1]))
    copy.apply(_page([dict(desk, updated_at="2026-11-20T01:05:00+00:00")]))  # back after a tombstone
    copy.apply(_page([dict(desk, updated_at="2026-11-20T01:05:00+00:00")], reset=True))
    assert copy.duplicates == ["1"]

    truth = {"1": desk, "2": {"id": 2}, "3": {"id": 3}}
    held = {"1": dict(desk, name="Cũ"), "3": {"id": 3}, "4": {"id": 4}}
    assert compare(held, truth) == {"missing": ["2"], "stale": ["1"], "not deleted": ["4"]}
    assert compare(truth, truth) == {"missing": [], "stale": [], "not deleted": []}

"""The `demo` fixture writes back a snapshot of the demo seed instead of running the seed
for every test (tests/conftest.py). These tests hold it to that: the database it gives
is the one the seed makes, and the app carries on from it as it would from the seed."""

from __future__ import annotations

from sqlalchemy import func, select, text

from inspect_api.audit.service import verify_chain
from inspect_api.db import db
from inspect_api.org.models import Desk
from inspect_api.seed import load_demo
from tests.api.input_support import row_counts
from tests.conftest import empty_database, restore_seed


def test_the_restored_seed_is_the_database_the_seed_makes(app, seed_snapshot):
    restore_seed(app, seed_snapshot)
    with app.app_context():
        restored = row_counts()
        # The seed finds every row it would make already there, and the chain is whole.
        assert load_demo(echo=lambda message: None) == {}
        report = verify_chain()
        assert report.intact and report.checked == restored["audit_events"] > 0
        db.session.remove()  # on SQLite the session holds the write lock
        assert row_counts() == restored

    empty_database(app)
    with app.app_context():
        load_demo(echo=lambda message: None)
        db.session.remove()
        assert row_counts() == restored


def test_writes_after_a_restore_come_after_the_seed(client, demo, login):
    with client.application.app_context():
        clock = db.session.scalar(text("SELECT seq FROM change_clock WHERE id = 1"))
        newest_desk = db.session.scalar(select(func.max(Desk.sync_seq)))
        desk_ids = set(db.session.scalars(select(Desk.id)))
        db.session.remove()
    assert clock >= newest_desk > 0

    headers = login("inspector1")
    pulled = client.get("/api/v1/desks?per_page=200", headers=headers).get_json()
    created = client.post("/api/v1/desks", headers=login("admin"), json={
        "org_unit_id": demo.units["TQ-MYLAM"], "code": "TQ-MYLAM-MC2", "name": "Điểm tiếp nhận số 2",
        "level": "commune", "opens_at": "07:30", "closes_at": "17:00"})
    assert created.status_code == 201, created.get_json()
    desk = created.get_json()
    assert desk["id"] not in desk_ids

    with client.application.app_context():
        assert db.session.get(Desk, desk["id"]).sync_seq > clock
        report = verify_chain()
        assert report.intact, report
        db.session.remove()
    # A tablet that pulled the restored seed gets the new desk, and only it, next time.
    delta = client.get("/api/v1/desks", query_string={"cursor": pulled["meta"]["cursor"]},
                       headers=headers).get_json()
    assert [item["id"] for item in delta["items"]] == [desk["id"]]

"""GET /visits/{id} answers byte for byte what the writes answer with (issue 12).

The read-only detail is loaded its own way (fewer objects, fewer steps than the writes,
which lock the visit and need its criteria); what it shows must not differ. Each write
below answers with the visit's detail as it stands after the write; a GET right after it
must give the same bytes and ETag, with photos (flags: duplicates seen and hidden),
staff on duty, reviews and their notes present.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from inspect_api.auth.models import RevokedSession
from inspect_api.db import db, end_read, utcnow
from tests.api.review_support import Flow, flow_with_settings
from tests.conftest import database_url

UNIT = "TQ-MINHXUAN"


@pytest.fixture
def flow(client, demo, login):
    return Flow(client, demo, login)


def assert_same_as_get(flow: Flow, written, visit_id: str, headers: dict) -> dict:
    assert written.status_code == 200, written.get_json()
    read = flow.client.get(f"/api/v1/visits/{visit_id}", headers=headers)
    assert read.status_code == 200, read.get_json()
    assert read.data == written.data
    assert read.headers["ETag"] == written.headers["ETag"]
    return read.get_json()


def test_detail_reads_as_the_writes_answer(flow):
    # The same photo bytes in an earlier visit: every photo is a duplicate.
    flow.visit(UNIT, "2026-11-19", photos=("SEAT-01",))
    made = flow.visit(UNIT, "2026-11-20", {"SEAT-01": "fail", "CON-01": "fail"}, submit=False,
                      photos=("SEAT-01", "CON-02", "DIS-01"))
    inspector = flow.login(flow.inspector_for(made.desk_id))
    reviewer = flow.login("reviewer1")
    path = f"/api/v1/visits/{made.id}"

    # The inspector's replay of the visit answers with its detail (a write path).
    current = flow.client.get(path, headers=inspector).get_json()
    body = {key: current[key] for key in ("desk_id", "checklist_id", "team_id", "started_at", "ended_at",
                                          "notes", "location", "staff_on_duty")}
    body["version"] = current["version"]
    shown = assert_same_as_get(flow, flow.client.put(path, headers=inspector, json=body), made.id, inspector)
    assert len(shown["findings"]) == len(made.findings)
    assert sum(len(f["evidence"]) for f in shown["findings"]) == 3
    assert shown["staff_on_duty"] == made.staff

    submitted = flow.client.post(f"{path}/submit", headers=inspector)
    assert_same_as_get(flow, submitted, made.id, inspector)

    notes = [{"finding_id": made.findings[code], "comment": "Xem lại ảnh", "severity": "minor"}
             for code in ("SEAT-01", "CON-01")]
    returned = flow.client.post(f"{path}/review", headers=reviewer,
                                json={"decision": "return", "comment": "Bổ sung ảnh", "findings": notes})
    assert_same_as_get(flow, returned, made.id, reviewer)
    assert_same_as_get(flow, flow.client.post(f"{path}/submit", headers=inspector), made.id, inspector)
    approved = flow.client.post(f"{path}/review", headers=reviewer, json={"decision": "approve", "findings": notes})
    shown = assert_same_as_get(flow, approved, made.id, reviewer)
    assert [r["decision"] for r in shown["reviews"]] == ["return", "approve"]
    assert all(len(r["findings"]) == 2 for r in shown["reviews"])
    photos = [p for f in shown["findings"] for p in f["evidence"]]
    assert photos and all(p["flags"]["duplicate"] for p in photos)


def test_detail_read_ends_with_commit_not_rollback(app, flow):
    """psycopg forgets the statements it prepared on a connection at every ROLLBACK: the
    detail's read must end its transaction with COMMIT, so that PostgreSQL plans them
    once per connection, not once per request (issue 12)."""
    made = flow.visit(UNIT, "2026-11-20", {"SEAT-01": "fail"}, photos=("SEAT-01", "CON-02"))
    path = f"/api/v1/visits/{made.id}"
    reviewer = flow.login("reviewer1")
    notes = [{"finding_id": made.findings["SEAT-01"], "comment": "Xem lại ảnh", "severity": "minor"}]
    returned = flow.client.post(f"{path}/review", headers=reviewer,
                                json={"decision": "return", "comment": "Bổ sung", "findings": notes})
    assert returned.status_code == 200, returned.get_json()
    with app.app_context():
        engine = db.engine

    def ended_by(headers: dict) -> list[str]:
        """How the GET's transactions ended (nothing read after it: no second one)."""
        ended: list[str] = []
        listeners = {"commit": lambda conn: ended.append("commit"),
                     "rollback": lambda conn: ended.append("rollback")}
        for name, listener in listeners.items():
            event.listen(engine, name, listener)
        try:
            read = flow.client.get(path, headers=headers)
        finally:
            for name, listener in listeners.items():
                event.remove(engine, name, listener)
        assert read.status_code == 200
        assert read.get_json()["reviews"] and read.get_json()["findings"][0]["evidence"] is not None
        return ended

    assert ended_by(flow.login(flow.inspector_for(made.desk_id))) == ["commit"]
    assert ended_by(reviewer) == ["commit"]
    # A returned visit the leader may not see: refused as before.
    assert flow.client.get(path, headers=flow.login("leader1")).status_code == 404


def test_detail_statements_stay_prepared_across_requests(demo):
    """On PostgreSQL, after a few reads through one pooled connection, the detail's
    statements (and the token check's) are prepared on it: nothing rolled them away."""
    if not database_url().startswith("postgresql"):
        pytest.skip("prepared statements are psycopg's, on PostgreSQL")
    options = {"pool_size": 1, "max_overflow": 0, "pool_pre_ping": True}
    with flow_with_settings(demo, SQLALCHEMY_ENGINE_OPTIONS=options) as flow:
        made = flow.visit(UNIT, "2026-11-20", submit=False, photos=("SEAT-01",))
        headers = flow.login(flow.inspector_for(made.desk_id))
        for _ in range(8):
            assert flow.client.get(f"/api/v1/visits/{made.id}", headers=headers).status_code == 200
        with flow.client.application.app_context():
            prepared = db.session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
            db.session.rollback()
    for table in ("visits", "findings", "users"):
        assert any(f"FROM {table}" in statement for statement in prepared), (table, prepared)


def test_a_read_that_wrote_is_not_committed(app, demo):
    with app.app_context():
        db.session.add(RevokedSession(sid="0" * 32, user_id=demo.users["inspector1"], revoked_at=utcnow(),
                                      expires_at=utcnow()))
        with pytest.raises(RuntimeError):
            end_read()
        db.session.rollback()
        assert db.session.get(RevokedSession, "0" * 32) is None

"""Scores kept per approved visit: written when a review approves, rewritten when a later
review changes the visit, removed when it is returned; reports read them; `flask scores
verify` finds a kept score that no longer matches the findings, `recompute` mends it; the
migration fills them for visits approved before it."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select, update

from inspect_api.db import db
from inspect_api.reports import kept_scores
from inspect_api.reports.models import VisitScore
from inspect_api.reports.scores import Scope, desk_aggregates
from inspect_api.org.models import OrgUnit
from tests.api.review_support import TOTAL_WEIGHT, Flow, weight


@pytest.fixture
def flow(client, demo, login):
    return Flow(client, demo, login)


def kept(app, visit_id: str) -> VisitScore | None:
    with app.app_context():
        row = db.session.get(VisitScore, uuid.UUID(visit_id))
        db.session.expunge_all()
        db.session.remove()
        return row


def differences(app) -> list[kept_scores.Difference]:
    with app.app_context():
        found = kept_scores.verify()
        db.session.remove()
        return found


def reference_and_kept_aggregates(app, unit_code: str = "TQ"):
    import datetime as dt

    with app.app_context():
        unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == unit_code))
        scope = Scope(dt.date(2026, 10, 1), dt.date(2026, 12, 31), unit)
        pair = desk_aggregates(scope, from_findings=True), desk_aggregates(scope)
        db.session.remove()
    return [sorted(rows, key=lambda r: r["desk_id"]) for rows in pair]


def amend(flow: Flow, visit_id: str, decision: str = "approve", **body):
    """A later review round on an approved visit (it names the approved version)."""
    reviewer = flow.login("reviewer1")
    version = flow.client.get(f"/api/v1/visits/{visit_id}", headers=reviewer).get_json()["version"]
    r = flow.client.post(f"/api/v1/visits/{visit_id}/review", headers=reviewer,
                         json={"decision": decision, "version": version, **body})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_approving_keeps_the_score_the_findings_give(app, flow):
    made = flow.approved("TQ-MYLAM", "2026-11-10", {"CON-01": "fail", "PUB-07": "fail", "DIG-04": "na"})
    row = kept(app, made.id)
    applicable = TOTAL_WEIGHT - weight("DIG-04")
    assert row is not None
    assert (row.applicable_weight, row.passed_weight) == (applicable, applicable - weight("CON-01", "PUB-07"))
    assert row.score == pytest.approx(100.0 * (applicable - 3) / applicable)
    assert (row.critical, row.major, row.minor, row.findings) == (0, 1, 1, 38)
    assert differences(app) == []
    reference, stored = reference_and_kept_aggregates(app)
    assert reference == stored and stored


def test_a_submitted_or_returned_visit_keeps_no_score(app, flow):
    waiting = flow.visit("TQ-MYLAM", "2026-11-10")
    returned = flow.visit("TQ-MINHXUAN", "2026-11-10")
    flow.review(returned.id, "return", comment="Thiếu ảnh")
    assert kept(app, waiting.id) is None and kept(app, returned.id) is None
    assert differences(app) == []


def test_a_later_review_voiding_and_changing_severity_rewrites_it(app, flow):
    made = flow.approved("TQ-MYLAM", "2026-11-10", {"CON-01": "fail", "PUB-07": "fail"})
    first = kept(app, made.id)
    before = flow.unit_score("TQ-MYLAM")
    amend(flow, made.id, findings=[
        {"finding_id": made.findings["CON-01"], "void": True, "void_reason": "Ghi nhầm cán bộ"},
        {"finding_id": made.findings["PUB-07"], "severity": "critical", "comment": "Nặng hơn"}])
    second = kept(app, made.id)
    assert second is not None and first is not None
    assert second.review_id != first.review_id
    assert (second.critical, second.major, second.minor, second.findings) == (1, 0, 0, 37)
    assert second.applicable_weight == TOTAL_WEIGHT - weight("CON-01")
    assert differences(app) == []
    after = flow.unit_score("TQ-MYLAM")
    assert after["mean_score"] > before["mean_score"] and after["critical"] == 1
    reference, stored = reference_and_kept_aggregates(app)
    assert reference == stored


def test_returning_an_approved_visit_removes_it(app, flow):
    made = flow.approved("TQ-MYLAM", "2026-11-10", {"CON-01": "fail"})
    assert kept(app, made.id) is not None
    amend(flow, made.id, "return", comment="Đơn vị khiếu nại, kiểm tra lại")
    assert kept(app, made.id) is None
    assert flow.unit_score("TQ-MYLAM") is None
    assert differences(app) == []


def test_every_finding_voided_leaves_an_unscored_row_not_counted(app, flow):
    made = flow.approved("TQ-MYLAM", "2026-11-10")
    amend(flow, made.id, findings=[{"finding_id": f, "void": True, "void_reason": "Sai đơn vị"}
                                   for f in made.findings.values()])
    row = kept(app, made.id)
    assert row is not None and row.findings == 0 and row.score is None
    assert differences(app) == []
    assert flow.unit_score("TQ-MYLAM") is None  # as the from-findings computation says
    reference, stored = reference_and_kept_aggregates(app)
    assert reference == stored


def test_reports_read_the_kept_rows_and_verify_finds_a_corrupted_one(app, flow, runner):
    made = flow.approved("TQ-MYLAM", "2026-11-10", {"CON-01": "fail"})
    flow.approved("TQ-MINHXUAN", "2026-11-11")
    scores = flow.scores()
    assert runner.invoke(args=["scores", "verify"]).exit_code == 0

    with app.app_context():
        db.session.execute(update(VisitScore).where(VisitScore.visit_id == uuid.UUID(made.id))
                           .values(score=12.5, major=7))
        db.session.commit()
        db.session.remove()
    assert flow.unit_score("TQ-MYLAM")["mean_score"] == 12.5  # the reports read the stored row
    result = runner.invoke(args=["scores", "verify"])
    assert result.exit_code == 1
    assert made.id in result.output and "score" in result.output and "major" in result.output
    assert {(d.visit_id, d.field) for d in differences(app)} == {(uuid.UUID(made.id), "score"),
                                                                  (uuid.UUID(made.id), "major")}

    with app.app_context():
        db.session.execute(VisitScore.__table__.delete())
        db.session.commit()
        db.session.remove()
    result = runner.invoke(args=["scores", "verify"])
    assert result.exit_code == 1 and result.output.count("row") >= 2

    result = runner.invoke(args=["scores", "recompute"])
    assert result.exit_code == 0 and "2 visit scores kept" in result.output
    assert runner.invoke(args=["scores", "verify"]).exit_code == 0
    assert flow.scores() == scores


def test_the_migration_fills_the_kept_scores_of_visits_approved_before_it(app, flow):
    """Down to the revision before 0013 and up again: the rows are back, equal to the
    app's own computation (a visit approved plainly, one re-reviewed with notes, one
    with every finding voided; none for a returned one)."""
    from flask_migrate import downgrade, upgrade

    from tests.unit.test_migrations import _script

    made = flow.approved("TQ-MYLAM", "2026-11-10", {"CON-01": "fail", "PUB-07": "fail"})
    amend(flow, made.id, findings=[
        {"finding_id": made.findings["CON-01"], "void": True, "void_reason": "Ghi nhầm"},
        {"finding_id": made.findings["PUB-07"], "severity": "critical", "comment": "Nặng"}])
    flow.approved("TQ-MINHXUAN", "2026-11-11", {"SEAT-01": "fail"})
    voided = flow.approved("TQ-MINHXUAN", "2026-11-12")
    amend(flow, voided.id, findings=[{"finding_id": f, "void": True, "void_reason": "Sai đơn vị"}
                                     for f in voided.findings.values()])
    returned = flow.visit("TQ-MYLAM", "2026-11-12")
    flow.review(returned.id, "return", comment="Thiếu ảnh")
    with app.app_context():
        expected = {row.visit_id: tuple(getattr(row, f) for f in ("review_id", *kept_scores.FIELDS))
                    for row in db.session.scalars(select(VisitScore))}
        db.session.remove()
    assert len(expected) == 3
    before_0013 = _script().get_revision("0013").down_revision
    try:
        with app.app_context():
            downgrade(revision=before_0013)
            db.session.remove()
            db.engine.dispose()
            upgrade(revision="0013")
            filled = {row.visit_id: tuple(getattr(row, f) for f in ("review_id", *kept_scores.FIELDS))
                      for row in db.session.scalars(select(VisitScore))}
            assert kept_scores.verify() == []
            db.session.remove()
    finally:
        with app.app_context():
            upgrade()  # back to the head for the tests that follow
            db.session.remove()
    # The same numbers, to the last bit: the migration's SQL is the app's computation.
    assert filled == expected


def test_cli_verify_on_a_clean_database(app, flow, runner):
    flow.approved("TQ-MYLAM", "2026-11-10", {"CON-01": "fail"})
    result = runner.invoke(args=["scores", "verify"])
    assert result.exit_code == 0, result.output
    assert "match" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(VisitScore)) == 1
        db.session.remove()

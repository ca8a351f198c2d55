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
from inspect_api.checklists.models import Criterion
from inspect_api.reports.models import VisitFailure, VisitScore, VisitValue
from inspect_api.reports.scores import Scope, desk_aggregates
from inspect_api.org.models import OrgUnit
from inspect_api.visits.models import Visit
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
        expected = {row.visit_id: tuple(getattr(row, f) for f in kept_scores.SCORE_FIELDS)
                    for row in db.session.scalars(select(VisitScore))}
        db.session.remove()
    assert len(expected) == 3
    before_0013 = _script().get_revision("0013").down_revision
    try:
        with app.app_context():
            downgrade(revision=before_0013)
            db.session.remove()
            db.engine.dispose()
            upgrade()  # 0013 fills the scores, 0014 the failures that verify reads too
            filled = {row.visit_id: tuple(getattr(row, f) for f in kept_scores.SCORE_FIELDS)
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


# --- the failures kept beside the scores (what the lists read) ---------------------------

def kept_failures(app, visit_id: str | None = None) -> dict[str, tuple]:
    """finding id -> (visit id, review id, criterion code, staff id, severity) of the kept failures."""
    with app.app_context():
        query = (select(VisitFailure.finding_id, VisitFailure.visit_id, VisitFailure.review_id, Criterion.code,
                        VisitFailure.staff_id, VisitFailure.severity)
                 .join(Criterion, Criterion.id == VisitFailure.criterion_id))
        if visit_id is not None:
            query = query.where(VisitFailure.visit_id == uuid.UUID(visit_id))
        rows = {str(row[0]): (str(row[1]), *row[2:]) for row in db.session.execute(query)}
        db.session.remove()
    return rows


def test_approving_keeps_the_failures_with_their_severity(app, flow):
    made = flow.approved("TQ-MYLAM", "2026-11-10", {"CON-01": "fail", "PUB-07": "fail", "DIG-04": "na"})
    row = kept(app, made.id)
    assert row is not None
    assert kept_failures(app) == {
        made.findings["CON-01"]: (made.id, row.review_id, "CON-01", made.staff[0], "major"),
        made.findings["PUB-07"]: (made.id, row.review_id, "PUB-07", None, "minor")}
    assert differences(app) == []


def test_a_later_review_rewrites_the_failures_and_a_return_removes_them(app, flow):
    made = flow.approved("TQ-MYLAM", "2026-11-10", {"CON-01": "fail", "PUB-07": "fail"})
    other = flow.approved("TQ-MINHXUAN", "2026-11-11", {"PUB-07": "fail"})
    untouched = kept_failures(app, other.id)
    amend(flow, made.id, findings=[
        {"finding_id": made.findings["CON-01"], "void": True, "void_reason": "Ghi nhầm cán bộ"},
        {"finding_id": made.findings["PUB-07"], "severity": "critical", "comment": "Nặng hơn"}])
    second = kept(app, made.id)
    assert second is not None
    assert kept_failures(app, made.id) == {
        made.findings["PUB-07"]: (made.id, second.review_id, "PUB-07", None, "critical")}
    assert differences(app) == []

    amend(flow, made.id, "return", comment="Đơn vị khiếu nại, kiểm tra lại")
    assert kept_failures(app, made.id) == {}
    assert kept_failures(app, other.id) == untouched and len(untouched) == 1
    assert differences(app) == []


def test_verify_finds_a_tampered_failure_and_recompute_mends_it(app, flow, runner):
    made = flow.approved("TQ-MYLAM", "2026-11-10", {"CON-01": "fail", "PUB-07": "fail"})
    listed = flow.unit_entry("criticism", "TQ-MYLAM")
    assert runner.invoke(args=["scores", "verify"]).exit_code == 0
    con01, pub07 = uuid.UUID(made.findings["CON-01"]), uuid.UUID(made.findings["PUB-07"])

    with app.app_context():
        db.session.execute(update(VisitFailure).where(VisitFailure.finding_id == pub07).values(severity="critical"))
        db.session.execute(VisitFailure.__table__.delete().where(VisitFailure.finding_id == con01))
        db.session.commit()
        db.session.remove()
    # The lists read the kept rows: the tampered severity makes a critical unit failure.
    entry = flow.unit_entry("criticism", "TQ-MYLAM")
    assert entry is not None and any("PUB-07 (nghiêm trọng)" in reason for reason in entry["reasons"])
    result = runner.invoke(args=["scores", "verify"])
    assert result.exit_code == 1
    assert str(con01) in result.output and str(pub07) in result.output
    assert {(d.visit_id, d.field, d.stored, d.computed) for d in differences(app)} == {
        (uuid.UUID(made.id), f"failure {con01} row", "missing", "present"),
        (uuid.UUID(made.id), f"failure {pub07} severity", "critical", "minor")}

    # A failure kept for a finding that does not count (here: one that passed) is found too.
    with app.app_context():
        row = db.session.get(VisitFailure, pub07)
        assert row is not None
        passed = uuid.UUID(made.findings["CON-02"])
        db.session.add(VisitFailure(finding_id=passed, visit_id=row.visit_id, review_id=row.review_id,
                                    desk_id=row.desk_id, started_at=row.started_at,
                                    criterion_id=row.criterion_id, severity="minor",
                                    recorded_by_id=row.recorded_by_id))
        db.session.commit()
        db.session.remove()
    assert (uuid.UUID(made.id), f"failure {passed} row", "present", "missing") in {
        (d.visit_id, d.field, d.stored, d.computed) for d in differences(app)}

    assert runner.invoke(args=["scores", "recompute"]).exit_code == 0
    assert runner.invoke(args=["scores", "verify"]).exit_code == 0
    assert differences(app) == []
    assert flow.unit_entry("criticism", "TQ-MYLAM") == listed


def refilled_by_migration(app, read):
    """(what `read()` finds now, what it finds after going down to 0013 and up again, with
    the kept rows still matching the findings)."""
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        before = read()
        db.session.remove()
    try:
        with app.app_context():
            downgrade(revision="0013")
            db.session.remove()
            db.engine.dispose()
            upgrade()
            after = read()
            assert kept_scores.verify() == []
            db.session.remove()
    finally:
        with app.app_context():
            upgrade()
            db.session.remove()
    return before, after


def test_the_migration_fills_the_failures_of_visits_approved_before_it(app, flow):
    """Down to 0013 and up again: the failures are back, equal to those the app wrote
    (a re-reviewed visit with a void and a severity change, a plain one; none for a
    returned one)."""
    made = flow.approved("TQ-MYLAM", "2026-11-10", {"CON-01": "fail", "PUB-07": "fail", "DIS-04": "fail"})
    amend(flow, made.id, findings=[
        {"finding_id": made.findings["CON-01"], "void": True, "void_reason": "Ghi nhầm"},
        {"finding_id": made.findings["PUB-07"], "severity": "critical", "comment": "Nặng"}])
    flow.approved("TQ-MINHXUAN", "2026-11-11", {"SEAT-01": "fail"})
    returned = flow.visit("TQ-MYLAM", "2026-11-12", {"PUB-07": "fail"})
    flow.review(returned.id, "return", comment="Thiếu ảnh")
    def failures():
        return {row.finding_id: tuple(getattr(row, f) for f in kept_scores.FAILURE_FIELDS)
                for row in db.session.scalars(select(VisitFailure))}

    expected, filled = refilled_by_migration(app, failures)
    assert len(expected) == 3
    assert filled == expected


# --- the lowest figures kept beside the scores (the lists' dossier rates) -----------------

def kept_values(app, visit_id: str) -> dict[str, tuple]:
    """criterion code -> (review id, lowest) of the visit's kept figures."""
    with app.app_context():
        rows = {code: (review_id, float(lowest)) for code, review_id, lowest in db.session.execute(
            select(Criterion.code, VisitValue.review_id, VisitValue.lowest)
            .join(Criterion, Criterion.id == VisitValue.criterion_id)
            .where(VisitValue.visit_id == uuid.UUID(visit_id)))}
        db.session.remove()
    return rows


def test_the_lowest_figures_follow_the_reviews_and_the_lists_read_them(app, flow, runner):
    made = flow.approved("TQ-MYLAM", "2026-11-10", {"DOS-01": 95, "DOS-03": 100})
    first = kept(app, made.id)
    assert first is not None
    values = kept_values(app, made.id)
    assert values["DOS-01"] == (first.review_id, 95.0) and values["DOS-03"] == (first.review_id, 100.0)
    assert flow.unit_entry("criticism", "TQ-MYLAM") is None
    assert differences(app) == []

    # A tampered figure is what the lists read, and what verify finds.
    with app.app_context():
        db.session.execute(update(VisitValue).where(VisitValue.visit_id == uuid.UUID(made.id),
                                                    VisitValue.criterion_id == select(Criterion.id).where(
                                                        Criterion.code == "DOS-01").scalar_subquery())
                           .values(lowest=50))
        db.session.commit()
        db.session.remove()
    entry = flow.unit_entry("criticism", "TQ-MYLAM")
    assert entry is not None and any("DOS-01) thấp nhất 50,0 %" in reason for reason in entry["reasons"])
    result = runner.invoke(args=["scores", "verify"])
    assert result.exit_code == 1 and "lowest value of criterion" in result.output
    assert [(d.field.endswith(" lowest"), float(d.stored), float(d.computed)) for d in differences(app)] == [
        (True, 50.0, 95.0)]
    assert runner.invoke(args=["scores", "recompute"]).exit_code == 0
    assert differences(app) == [] and flow.unit_entry("criticism", "TQ-MYLAM") is None

    # Voiding the finding takes its figure away; returning the visit, every figure.
    amend(flow, made.id, findings=[{"finding_id": made.findings["DOS-01"], "void": True, "void_reason": "Ghi nhầm"}])
    second = kept(app, made.id)
    assert second is not None and kept_values(app, made.id) == {
        code: (second.review_id, value) for code, (_, value) in values.items() if code != "DOS-01"}
    assert differences(app) == []
    amend(flow, made.id, "return", comment="Kiểm tra lại")
    assert kept_values(app, made.id) == {}
    assert differences(app) == []


def test_the_migration_fills_the_lowest_figures(app, flow):
    made = flow.approved("TQ-MYLAM", "2026-11-10", {"DOS-01": 91})
    amend(flow, made.id, findings=[{"finding_id": made.findings["DOS-03"], "void": True, "void_reason": "Ghi nhầm"}])
    flow.approved("TQ-MINHXUAN", "2026-11-11", {"DOS-01": 70})
    def lowest_figures():
        return {(row.visit_id, row.criterion_id): tuple(getattr(row, f) for f in kept_scores.VALUE_FIELDS)
                for row in db.session.scalars(select(VisitValue))}

    expected, filled = refilled_by_migration(app, lowest_figures)
    assert expected
    assert filled == expected


# --- where and when: each kept row carries its visit's desk and start ------------------

def test_the_reports_pick_kept_rows_by_their_own_desk_and_start_and_verify_checks_them(app, flow, runner):
    """A period's kept rows are picked by the desk and start they carry (no visit is
    read): moved out of the period, a failure leaves the list, a figure and a score
    leave too; verify names each moved field and recompute puts them back."""
    import datetime as dt

    made = flow.visit("TQ-MYLAM", "2026-11-10", {"PUB-07": "fail", "DOS-01": 50})
    flow.review(made.id, findings=[{"finding_id": made.findings["PUB-07"], "severity": "critical", "comment": "Nặng"}])
    visit_id, pub07 = uuid.UUID(made.id), uuid.UUID(made.findings["PUB-07"])
    listed, scores = flow.unit_entry("criticism", "TQ-MYLAM"), flow.scores()
    assert listed is not None and made.findings["PUB-07"] in {f["finding_id"] for f in listed["findings"]}
    assert any("DOS-01) thấp nhất 50,0 %" in reason for reason in listed["reasons"])
    with app.app_context():
        kept_row = db.session.get(VisitScore, visit_id)
        assert kept_row is not None
        visit = db.session.get(Visit, visit_id)
        assert visit is not None and (kept_row.started_at, kept_row.desk_id) == (visit.started_at, visit.desk_id)
        assert flow.demo.desk_unit[kept_row.desk_id] == flow.demo.units["TQ-MYLAM"]
        last_year = visit.started_at - dt.timedelta(days=365)
        for table in (VisitScore, VisitFailure, VisitValue):
            db.session.execute(update(table).where(table.visit_id == visit_id).values(started_at=last_year))
        db.session.commit()
        db.session.remove()
    assert flow.unit_entry("criticism", "TQ-MYLAM") is None
    assert flow.scores() != scores
    found = {(d.visit_id, d.field) for d in differences(app)}
    assert {(visit_id, "started_at"), (visit_id, f"failure {pub07} started_at")} <= found
    assert any(field.startswith("lowest value of criterion") and field.endswith("started_at") for _, field in found)
    assert runner.invoke(args=["scores", "verify"]).exit_code == 1
    assert runner.invoke(args=["scores", "recompute"]).exit_code == 0
    assert differences(app) == []
    assert flow.unit_entry("criticism", "TQ-MYLAM") == listed and flow.scores() == scores

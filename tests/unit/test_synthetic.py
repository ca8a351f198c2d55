"""`flask seed synthetic`: a national year of synthetic data, here at tiny sizes.

Run through the CLI runner on the test database, then read back row by row: the org
tree and its paths, approved visits with their review, findings that agree with the
checklist's pass rules, and the national accounts computing scores and lists over HTTP.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from sqlalchemy import func, select

from inspect_api.audit.models import AuditEvent
from inspect_api.auth.models import User
from inspect_api.checklists.models import ChecklistTemplate, Criterion
from inspect_api.checklists.rules import parse_rule
from inspect_api.db import db
from inspect_api.evidence.models import Evidence
from inspect_api.org.models import Desk, OrgUnit, Staff
from inspect_api.plans.models import InspectionPlan, Team, team_desks, team_members
from inspect_api.reviews.models import Review
from inspect_api.visits.models import Finding, Visit, visit_staff
from inspect_api.timezone import VIETNAM_TZ
from tests.conftest import empty_database

TINY = ["seed", "synthetic", "--provinces", "2", "--communes", "6", "--visits", "20", "--seed", "7"]
CRITERIA = 38
YEAR = ("from=2026-01-01", "to=2026-12-31")


def _run(runner, *extra):
    result = runner.invoke(args=[*TINY, *extra])
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def _count(table) -> int:
    return db.session.scalar(select(func.count()).select_from(table))


def _empty(app) -> None:
    """What the conftest does after each test, for tests that load twice."""
    empty_database(app)


def _synthetic_units() -> dict[int, OrgUnit]:
    return {u.id: u for u in db.session.scalars(select(OrgUnit).where(OrgUnit.code.startswith("VN")))}


def test_tiny_year_loads_the_demo_first_and_builds_a_consistent_tree(app, runner):
    result = _run(runner)
    assert "demo data not loaded; loading it first" in result.output
    assert "20 visits" in result.output and f"{20 * CRITERIA} findings" in result.output

    with app.app_context():
        template = db.session.scalar(select(ChecklistTemplate))
        assert (template.code, template.version, template.status) == ("MOTCUA-2026", 1, "published")
        units = _synthetic_units()
        root = next(u for u in units.values() if u.code == "VN")
        provinces = [u for u in units.values() if u.parent_id == root.id]
        communes = [u for u in units.values() if u.parent_id in {p.id for p in provinces}]
        assert root.parent_id is None and len(units) == 1 + 2 + 6
        assert {p.kind for p in provinces} == {"province"} and len(provinces) == 2
        assert {c.kind for c in communes} <= {"commune", "ward"} and len(communes) == 6
        # Communes are spread evenly over the provinces.
        assert sorted(Counter(c.parent_id for c in communes).values()) == [3, 3]

        # Every unit of the database (demo and synthetic): path = parent's path + own id.
        every = {u.id: u for u in db.session.scalars(select(OrgUnit))}
        for unit in every.values():
            parent_path = every[unit.parent_id].path if unit.parent_id else "/"
            assert unit.path == f"{parent_path}{unit.id}/", (unit.code, unit.path, parent_path)
            assert unit.path.startswith(parent_path)
        assert all(c.path.startswith(root.path) and c.depth == 2 for c in communes)

        desks = db.session.scalars(select(Desk).where(Desk.org_unit_id.in_([c.id for c in communes]))).all()
        assert sorted(d.org_unit_id for d in desks) == sorted(c.id for c in communes)
        staff = db.session.scalars(select(Staff).where(Staff.desk_id.in_([d.id for d in desks]))).all()
        assert len(staff) == 6 * 4
        desk_unit = {d.id: d.org_unit_id for d in desks}
        assert all(s.org_unit_id == desk_unit[s.desk_id] for s in staff)

        users = {u.username: u for u in db.session.scalars(select(User))}
        assert users["national_leader"].role == "leader" and users["national_leader"].org_unit_id == root.id
        assert users["national_reviewer"].role == "reviewer" and users["national_reviewer"].org_unit_id == root.id
        inspectors = [u for name, u in users.items() if name.startswith("syn_inspector_")]
        assert sorted(u.org_unit_id for u in inspectors) == sorted(p.id for p in provinces)

        # One plan per province, one team with its inspector, assigned all its desks.
        plans = db.session.scalars(select(InspectionPlan).where(
            InspectionPlan.org_unit_id.in_([p.id for p in provinces]))).all()
        assert len(plans) == 2
        for plan in plans:
            assert (plan.starts_on, plan.ends_on) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
            assert plan.checklist_id == template.id
            (team,) = plan.teams
            assert [m.org_unit_id for m in team.members] == [plan.org_unit_id]
            assert sorted(team.desk_ids) == sorted(d.id for d in desks
                                                   if units[d.org_unit_id].parent_id == plan.org_unit_id)

        # One audit event for the whole load, and the chain still verifies.
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "seed_synthetic")).all()
        assert len(events) == 1
        assert events[0].after["sizes"]["provinces"] == 2 and events[0].after["sizes"]["visits"] == 20
        assert events[0].after["rows"]["findings"] == 20 * CRITERIA
        assert _count(AuditEvent) < 200  # the demo's events and this one, none per synthetic row
        db.session.remove()
    verify = runner.invoke(args=["audit", "verify"])
    assert verify.exit_code == 0 and "intact" in verify.output, verify.output


def test_visits_are_approved_with_a_review_and_findings_follow_the_rules(app, demo, runner):
    _run(runner, "--fail-rate", "0.3", "--na-rate", "0.1")
    with app.app_context():
        units = _synthetic_units()
        reviewer = db.session.scalar(select(User).where(User.username == "national_reviewer"))
        visits = db.session.scalars(select(Visit)).all()
        assert len(visits) == 20
        reviews = {r.visit_id: r for r in db.session.scalars(select(Review))}
        assert len(reviews) == 20
        duty = defaultdict(set)
        for visit_id, staff_id in db.session.execute(select(visit_staff.c.visit_id, visit_staff.c.staff_id)):
            duty[visit_id].add(staff_id)
        staff_desk = dict(db.session.execute(select(Staff.id, Staff.desk_id)).all())
        criteria = {c.id: c for c in db.session.scalars(select(Criterion))}
        for visit in visits:
            assert visit.status == "approved" and visit.version == 3
            assert units[visit.desk.org_unit_id].kind in ("commune", "ward")
            assert visit.desk_id in visit.team.desk_ids and visit.plan_id == visit.team.plan_id
            local = visit.started_at.astimezone(VIETNAM_TZ)
            assert local.year == 2026 and local.weekday() < 5 and 8 <= local.hour < 16
            assert visit.started_at.utcoffset() == dt.timedelta(0)
            assert visit.started_at < visit.ended_at < visit.submitted_at
            review = reviews[visit.id]
            assert (review.round, review.decision, review.reviewer_id) == (1, "approve", reviewer.id)
            assert review.decided_at > visit.submitted_at and review.visit_version == 2
            assert len(duty[visit.id]) == 2 and {staff_desk[s] for s in duty[visit.id]} == {visit.desk_id}

            findings = visit.findings
            assert sorted(f.criterion_id for f in findings) == sorted(criteria)  # one per criterion
            for finding in findings:
                criterion = criteria[finding.criterion_id]
                assert finding.recorded_by_id == visit.created_by_id
                assert visit.started_at < finding.recorded_at < visit.ended_at + dt.timedelta(hours=2)
                if finding.result == "na":
                    assert finding.value_number is None and finding.value_text is None
                    continue
                if criterion.subject == "staff":
                    assert finding.staff_id in duty[visit.id], criterion.code
                else:
                    assert finding.staff_id is None, criterion.code
                _assert_value_agrees(criterion, finding, visit.desk)

        # A failure whose criterion requires a photo has one, as submitting demands;
        # nothing else has any.
        photos = Counter(db.session.scalars(select(Evidence.finding_id)))
        findings_by_id = {f.id: f for visit in visits for f in visit.findings}
        needs_photo = {f.id for f in findings_by_id.values()
                       if f.result == "fail" and criteria[f.criterion_id].photo == "required"}
        assert needs_photo and set(photos) == needs_photo and set(photos.values()) == {1}
        for photo in db.session.scalars(select(Evidence)):
            finding = findings_by_id[photo.finding_id]
            assert photo.visit_id == finding.visit_id and photo.uploaded_by_id == finding.recorded_by_id
            assert photo.taken_at == finding.recorded_at < photo.uploaded_at

        results = Counter(db.session.scalars(select(Finding.result)))
        # 760 findings at 30 % fail and 10 % n/a: far from both 0 and all.
        assert 100 < results["fail"] < 400 and 20 < results["na"] < 150, results
        db.session.remove()


def _assert_value_agrees(criterion: Criterion, finding: Finding, desk: Desk) -> None:
    """The stored figure gives the stored result under the criterion's pass rule."""
    if criterion.answer_type == "yes_no":
        assert finding.value_number is None and finding.value_text is None
        return
    rule = parse_rule(criterion.pass_rule)
    if criterion.answer_type == "time":
        assert finding.value_number is None
        hours, minutes = finding.value_text.split(":")
        assert len(hours) == 2 and len(minutes) == 2, finding.value_text
        value = dt.time(int(hours), int(minutes))
    else:
        assert finding.value_text is None and finding.value_number is not None
        value = finding.value_number
        if criterion.answer_type == "percent":
            assert 0 <= value <= 100, (criterion.code, value)
        else:
            assert value == value.to_integral_value() and value >= 0, (criterion.code, value)
    assert rule.passes(value, desk) == (finding.result == "pass"), (criterion.code, value, finding.result)


def test_national_leader_computes_scores_and_lists_for_the_country(app, demo, runner, client, login):
    _run(runner, "--fail-rate", "0.3")
    with app.app_context():
        units = _synthetic_units()
        communes = {u.id for u in units.values() if u.kind in ("commune", "ward")}
        synthetic_staff = set(db.session.scalars(select(Staff.id).join(OrgUnit, OrgUnit.id == Staff.org_unit_id)
                                                 .where(OrgUnit.code.startswith("VN-"))))
        db.session.remove()

    leader = login("national_leader")
    scores = client.get(f"/api/v1/reports/scores?{'&'.join(YEAR)}", headers=leader)
    assert scores.status_code == 200, scores.get_json()
    body = scores.get_json()
    assert body["units"], body
    assert {u["org_unit_id"] for u in body["units"]} <= communes
    assert sum(u["visits"] for u in body["units"]) == 20
    assert sum(d["visits"] for d in body["desks"]) == 20
    assert all(u["mean_score"] is not None and 0 <= u["mean_score"] <= 100 for u in body["units"])
    assert sum(u["critical"] + u["major"] + u["minor"] for u in body["units"]) > 0

    criticism = client.get(f"/api/v1/reports/lists?kind=criticism&{'&'.join(YEAR)}", headers=leader)
    assert criticism.status_code == 200, criticism.get_json()
    entries = criticism.get_json()["entries"]
    assert entries, "30 % failures must put someone on the criticism list"
    for entry in entries:
        if entry["entry_type"] == "unit":
            assert entry["org_unit_id"] in communes
        else:
            assert entry["staff_id"] in synthetic_staff
        assert entry["reasons"]

    commendation = client.get(f"/api/v1/reports/lists?kind=commendation&{'&'.join(YEAR)}", headers=leader)
    assert commendation.status_code == 200, commendation.get_json()

    # The national reviewer's subtree holds every synthetic visit; the demo province's
    # leader sees none of them.
    visits = client.get("/api/v1/visits?per_page=100", headers=login("national_reviewer"))
    assert visits.status_code == 200 and len(visits.get_json()["items"]) == 20
    province = client.get(f"/api/v1/reports/scores?{'&'.join(YEAR)}", headers=login("leader1"))
    assert province.status_code == 200 and province.get_json()["units"] == []


def test_second_run_fails_clearly_and_changes_nothing(app, runner):
    _run(runner)
    with app.app_context():
        before = {t.name: _count(t) for t in db.metadata.sorted_tables}
        db.session.remove()
    again = runner.invoke(args=TINY)
    assert again.exit_code == 1
    assert "already loaded" in again.output and "'VN'" in again.output
    with app.app_context():
        assert {t.name: _count(t) for t in db.metadata.sorted_tables} == before
        db.session.remove()


def _fingerprint(app) -> tuple:
    with app.app_context():
        # Database ids differ between loads (PostgreSQL sequences do not restart); codes,
        # uuids and values do not.
        visits = tuple(db.session.execute(select(Visit.id, Desk.code, Visit.started_at)
                                          .join(Desk, Desk.id == Visit.desk_id).order_by(Visit.id)).all())
        findings = tuple(db.session.execute(
            select(Finding.id, Finding.result, Finding.value_number, Finding.value_text)
            .order_by(Finding.id)).all())
        names = tuple(db.session.scalars(select(Staff.full_name).order_by(Staff.employee_code)))
        photos = tuple(db.session.execute(select(Evidence.id, Evidence.finding_id, Evidence.sha256)
                                          .order_by(Evidence.id)).all())
        db.session.remove()
    return visits, findings, names, photos


def test_same_seed_gives_the_same_rows(app, runner):
    _run(runner)
    first = _fingerprint(app)
    _empty(app)
    _run(runner)
    assert _fingerprint(app) == first
    _empty(app)
    _run(runner, "--seed", "8")
    other = _fingerprint(app)
    assert other[0] != first[0] and other[1] != first[1]


def test_sizes_and_rates_are_options(app, runner):
    result = runner.invoke(args=[*TINY, "--findings-per-visit", "100", "--staff-per-desk", "3",
                                 "--fail-rate", "0", "--na-rate", "0", "--year", "2025"])
    assert result.exit_code == 0, result.output
    assert f"capped at the checklist's {CRITERIA} criteria" in result.output
    with app.app_context():
        assert _count(Finding.__table__) == 20 * CRITERIA
        assert set(db.session.scalars(select(Finding.result))) == {"pass"}
        assert _count(Staff.__table__) == 46 + 6 * 3
        years = {v.astimezone(VIETNAM_TZ).year for v in db.session.scalars(select(Visit.started_at))}
        assert years == {2025}
        db.session.remove()
    _empty(app)

    result = runner.invoke(args=[*TINY, "--findings-per-visit", "5", "--fail-rate", "1", "--na-rate", "0"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        per_visit = Counter(db.session.scalars(select(Finding.visit_id)))
        assert set(per_visit.values()) == {5}
        pairs = db.session.execute(select(Finding.visit_id, Finding.criterion_id)).all()
        assert len(set(pairs)) == len(pairs)  # never the same criterion twice in a visit
        assert set(db.session.scalars(select(Finding.result))) == {"fail"}
        # The demo plan has 2 teams (2 members, 11 desks); each province adds one.
        assert _count(team_members) == 2 + 2 and _count(team_desks) == 11 + 6 and _count(Team.__table__) == 2 + 2
        db.session.remove()

    bad = runner.invoke(args=["seed", "synthetic", "--provinces", "3", "--communes", "2"])
    assert bad.exit_code == 2 and "at least one commune per province" in bad.output
    bad = runner.invoke(args=[*TINY, "--fail-rate", "1.5"])
    assert bad.exit_code == 2

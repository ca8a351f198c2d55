"""`flask seed demo` and `flask users create`, and the 2025 reorganisation in the org tree."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from inspect_api.audit.models import AuditEvent
from inspect_api.auth.models import RevokedSession, User
from inspect_api.checklists.models import ChecklistTemplate, Criterion
from inspect_api.db import db
from inspect_api.evidence.models import Evidence
from inspect_api.org.models import Desk, OrgUnit, Staff
from inspect_api.plans.models import InspectionPlan, Team, team_desks, team_members
from inspect_api.reviews.models import Review
from inspect_api.visits.models import Finding, Visit
from tests.conftest import DEMO_PASSWORD

COUNTED = {
    "org_units": OrgUnit, "desks": Desk, "staff": Staff, "checklists": ChecklistTemplate,
    "criteria": Criterion, "users": User, "plans": InspectionPlan, "teams": Team,
    "visits": Visit, "findings": Finding, "evidence": Evidence, "reviews": Review,
    "audit_events": AuditEvent,
}
# The reference part (demo.yaml: five accounts at the province) and the showcase
# (showcase.yaml: two accounts at xã Tân Trào; five visits of 38 answers each, five
# photos, two approved, one returned, two submitted).
EXPECTED = {"org_units": 24, "desks": 11, "staff": 46, "checklists": 1, "criteria": 38,
            "users": 8, "plans": 1, "teams": 2, "visits": 5, "findings": 5 * 38,
            "evidence": 5, "reviews": 3}
DEMO_USERS = {"admin": "admin", "inspector1": "inspector", "inspector2": "inspector",
              "reviewer1": "reviewer", "leader1": "leader",
              "admin.tantrao": "admin", "leader.tantrao": "leader", "officer.tantrao": "unit_officer"}
REFORM_DAY = dt.date(2025, 7, 1)


def _counts(app) -> dict[str, int]:
    with app.app_context():
        counts = {name: db.session.scalar(select(func.count()).select_from(model))
                  for name, model in COUNTED.items()}
        counts["team_members"] = db.session.scalar(select(func.count()).select_from(team_members))
        counts["team_desks"] = db.session.scalar(select(func.count()).select_from(team_desks))
        db.session.remove()
    return counts


def _login(client, username, password=DEMO_PASSWORD):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def test_seed_demo_loads_the_province_once(app, runner, client):
    first = runner.invoke(args=["seed", "demo"])
    assert first.exit_code == 0, first.output
    assert "created:" in first.output
    # DEMO_PASSWORD is set, so no password is generated or printed.
    assert "generated" not in first.output and DEMO_PASSWORD not in first.output

    loaded = _counts(app)
    for name, expected in EXPECTED.items():
        assert loaded[name] == expected, (name, loaded[name])
    assert loaded["team_members"] == 2 and loaded["team_desks"] == 11
    # Every created row is audited (org units, desks, staff, checklist + publish, users,
    # plan, teams), and each step of the showcase visits: create, sync and submit of
    # each visit, each photo, each review.
    # ... and the 4 corrections the two approved visits' failures require.
    assert loaded["audit_events"] == (24 + 11 + 46 + 2 + 5 + 1 + 2) + 3 + (5 * 3 + 5 + 3) + 4

    with app.app_context():
        template = db.session.scalar(select(ChecklistTemplate))
        assert (template.code, template.version, template.status) == ("MOTCUA-2026", 1, "published")
        assert [c.position for c in template.criteria] == list(range(1, 39))
        plan = db.session.scalar(select(InspectionPlan))
        assert plan.checklist_id == template.id
        roles = dict(db.session.execute(select(User.username, User.role)).all())
        assert roles == DEMO_USERS
        db.session.remove()

    second = runner.invoke(args=["seed", "demo"])
    assert second.exit_code == 0, second.output
    assert "nothing changed" in second.output and "created:" not in second.output
    assert _counts(app) == loaded

    for username in DEMO_USERS:
        response = _login(client, username)
        assert response.status_code == 200, (username, response.get_json())
        assert response.get_json()["user"]["username"] == username
    assert _login(client, "inspector1", "not-the-demo-password").status_code == 401


def test_users_create_makes_an_account_that_can_log_in(app, runner, client):
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    result = runner.invoke(args=["users", "create", "--username", "Thamdinh2",
                                 "--full-name", "Đỗ Thị Hương", "--role", "reviewer",
                                 "--org-unit", "TQ", "--password", "mat-khau-rat-dai-2026",
                                 "--email", "huong.snv@example.vn"])
    assert result.exit_code == 0, result.output
    assert "created user thamdinh2" in result.output

    response = _login(client, "thamdinh2", "mat-khau-rat-dai-2026")
    assert response.status_code == 200, response.get_json()
    user = response.get_json()["user"]
    assert (user["role"], user["full_name"], user["org_unit"]["code"]) == ("reviewer", "Đỗ Thị Hương", "TQ")
    assert user["email"] == "huong.snv@example.vn"
    assert _login(client, "thamdinh2", DEMO_PASSWORD).status_code == 401
    bad = runner.invoke(args=["users", "create", "--username", "x.y", "--full-name", "X", "--role", "reviewer",
                              "--org-unit", "TQ", "--password", "mat-khau-rat-dai-2026", "--email", "không-phải"])
    assert bad.exit_code != 0 and "not an e-mail address" in bad.output

    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.entity_type == "user", AuditEvent.entity_id == str(user["id"]),
            AuditEvent.action == "create"))
        assert event is not None and event.actor_username == "cli"
        assert "password" not in str(event.after) and "hash" not in str(event.after)
        db.session.remove()


def test_users_create_refuses_an_unknown_unit_and_a_taken_name(app, runner):
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    before = _counts(app)
    unknown = runner.invoke(args=["users", "create", "--username", "x", "--full-name", "X",
                                  "--role", "reviewer", "--org-unit", "NO-SUCH-UNIT",
                                  "--password", "mat-khau-rat-dai-2026"])
    assert unknown.exit_code != 0
    assert "NO-SUCH-UNIT" in unknown.output

    taken = runner.invoke(args=["users", "create", "--username", "inspector1", "--full-name", "X",
                                "--role", "inspector", "--org-unit", "TQ",
                                "--password", "mat-khau-rat-dai-2026"])
    assert taken.exit_code != 0
    assert "Tên đăng nhập đã tồn tại" in taken.output

    bad_role = runner.invoke(args=["users", "create", "--username", "y", "--full-name", "Y",
                                   "--role", "superuser", "--org-unit", "TQ",
                                   "--password", "mat-khau-rat-dai-2026"])
    assert bad_role.exit_code != 0
    assert _counts(app) == before


def test_former_units_point_at_their_successors(app, demo, client, login):
    with app.app_context():
        units = {u.code: u for u in db.session.scalars(select(OrgUnit))}
        former = [u for u in units.values() if u.valid_to is not None]
        assert former, "the seed has no units abolished by the 2025 reform"
        by_id = {u.id: u for u in units.values()}
        for unit in former:
            assert unit.valid_to == dt.date(2025, 6, 30), unit.code
            assert unit.successor_id is not None, unit.code
            successor = by_id[unit.successor_id]
            assert successor.valid_to is None and successor.valid_from == REFORM_DAY, unit.code
        assert by_id[units["TQ-OLD-SONDUONG-TANTRAO"].successor_id].code == "TQ-TANTRAO"
        assert by_id[units["TQ-OLD-TPTQ"].successor_id].code == "TQ-MINHXUAN"
        former_ids = {u.id for u in former}
        current_ids = {u.id for u in units.values() if u.valid_to is None}
        db.session.remove()

    headers = login("reviewer1")

    def ids_valid_on(day: str) -> set[int]:
        response = client.get(f"/api/v1/org-units?valid_on={day}&per_page=200", headers=headers)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["meta"]["more"] is False
        return {item["id"] for item in body["items"]}

    before_reform = ids_valid_on("2024-01-01")
    after_reform = ids_valid_on("2026-01-01")
    assert before_reform == former_ids
    assert after_reform == current_ids
    assert not after_reform & former_ids
    listed = client.get("/api/v1/org-units?per_page=200", headers=headers).get_json()
    assert len(listed["items"]) == 24 and listed["meta"]["more"] is False


def test_seeding_again_brings_a_forms_citation_up_to_date(app, runner):
    """A corrected legal basis in seed/forms.yaml reaches a database seeded before it."""
    from inspect_api.reports.models import ProposedForm

    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    with app.app_context():
        form = db.session.scalars(select(ProposedForm).where(ProposedForm.code == "ky_luat_khien_trach")
                                  .order_by(ProposedForm.valid_from.desc())).first()
        corrected, form_id = form.legal_basis, form.id
        form.legal_basis, form.name = "NĐ 172/2025/NĐ-CP Đ8.1 (cũ)", "Tên cũ"
        db.session.commit()
        count = db.session.scalar(select(func.count()).select_from(ProposedForm))
        db.session.remove()
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    with app.app_context():
        form = db.session.get(ProposedForm, form_id)
        assert form.legal_basis == corrected and "Đ8.1" not in corrected
        assert form.name == "Đề nghị xem xét xử lý kỷ luật (hình thức khiển trách)"
        assert db.session.scalar(select(func.count()).select_from(ProposedForm)) == count
        db.session.remove()


def test_purging_revocations_forgets_only_expired_sessions(app, runner, client):
    """A logged-out session stays refused after the purge; only logouts whose refresh
    token has expired anyway are forgotten."""
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    tokens = _login(client, "inspector1").get_json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.post("/api/v1/auth/logout", headers=bearer).status_code == 204
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == "inspector1"))
        long_ago = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        db.session.add(RevokedSession(sid="expired-session", user_id=user_id, revoked_at=long_ago,
                                      expires_at=long_ago + dt.timedelta(days=30)))
        db.session.commit()
        db.session.remove()

    result = runner.invoke(args=["users", "purge-revocations"])
    assert result.exit_code == 0, result.output
    assert "removed 1 expired session revocations" in result.output
    with app.app_context():
        assert db.session.scalars(select(RevokedSession.sid)).all() != []
        assert db.session.get(RevokedSession, "expired-session") is None
        db.session.remove()
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 401

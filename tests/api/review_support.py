"""Helpers for the review, scores and lists tests: make visits the way a tablet does
(create, sync every answer, upload the photos a failure needs, submit), and decide them
the way a reviewer does, all over HTTP."""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tests.api.visit_support import passing_answer as _answer
from tests.conftest import DEMO_PASSWORD, new_id
from tests.photos import phone_photo

_CHECKLIST = yaml.safe_load((Path(__file__).resolve().parents[2] / "seed" / "checklist-v1.yaml").read_text())
CRITERIA = {c["code"]: c for c in _CHECKLIST["criteria"]}
TOTAL_WEIGHT = sum(c["weight"] for c in CRITERIA.values())
Q4 = {"from": "2026-10-01", "to": "2026-12-31"}
_PHOTO = phone_photo(320, 240)


def weight(*codes: str) -> int:
    return sum(CRITERIA[c]["weight"] for c in codes)


@dataclass
class MadeVisit:
    id: str
    desk_id: int
    unit: str
    staff: list[int]
    findings: dict[str, str] = field(default_factory=dict)  # code -> finding id (first)
    evidence: dict[str, str] = field(default_factory=dict)  # code -> evidence id


class Flow:
    """Visits and reviews over HTTP for one test client."""

    def __init__(self, client, demo, login):
        self.client, self.demo, self.login = client, demo, login
        self._teams: dict[str, dict] = {}

    # --- reference data -----------------------------------------------------------

    def team(self, username: str) -> dict:
        if username not in self._teams:
            me = self.client.get("/api/v1/auth/me", headers=self.login(username)).get_json()
            self._teams[username] = me["teams"][0]
        return self._teams[username]

    def desk(self, unit_code: str) -> int:
        unit_id = self.demo.units[unit_code]
        return next(d for d, u in self.demo.desk_unit.items() if u == unit_id)

    def staff(self, unit_code: str, index: int = 0) -> int:
        return self.demo.staff_by_desk[self.desk(unit_code)][index]

    def inspector_for(self, desk_id: int) -> str:
        for name in ("inspector1", "inspector2"):
            if desk_id in self.demo.team_desks[self.demo.team_of[name]]:
                return name
        raise AssertionError(f"no team covers desk {desk_id}")

    # --- visits -------------------------------------------------------------------

    def visit(self, unit: str, day: str, answers: dict | None = None, *, on_duty=None,
              at: str = "01:00:00", submit: bool = True, photos=()) -> MadeVisit:
        """A visit at `unit`'s desk started at `day`T`at`Z, every criterion answered
        (pass unless `answers` says "fail", "na", a value, ("fail", staff_id), or a dict
        of fields), failures that need a photo given one, then submitted."""
        answers = answers or {}
        desk_id = self.desk(unit)
        user = self.inspector_for(desk_id)
        headers = self.login(user)
        team = self.team(user)
        on_duty = list(on_duty) if on_duty is not None else self.demo.staff_by_desk[desk_id][:2]
        visit_id = new_id()
        r = self.client.put(f"/api/v1/visits/{visit_id}", headers=headers, json={
            "desk_id": desk_id, "checklist_id": team["checklist_id"], "team_id": team["id"],
            "started_at": f"{day}T{at}+00:00", "staff_on_duty": on_duty})
        assert r.status_code == 201, r.get_json()
        made = MadeVisit(visit_id, desk_id, unit, on_duty)
        items, needs_photo = [], []
        for code in self.demo.criteria:
            item = _answer(self.demo, code)
            spec = answers.get(code, "pass")
            staff_subject = CRITERIA[code]["subject"] == "staff"
            if isinstance(spec, tuple):
                spec, staff_id = spec
                item["staff_id"] = staff_id
            elif spec == "fail" and staff_subject:
                item["staff_id"] = on_duty[0]
            if spec in ("pass", "fail", "na"):
                if spec != "pass" or "value" not in item:
                    item.pop("value", None)
                    item["result"] = spec
            elif isinstance(spec, dict):
                item.pop("value", None)
                item.update(spec)
            else:
                item.pop("result", None)
                item["value"] = spec
            items.append(item)
            made.findings[code] = item["id"]
            failing = item.get("result") == "fail" or (
                "value" in item and not _passes(code, item["value"]))
            if (failing and CRITERIA[code]["photo"] == "required") or code in photos:
                needs_photo.append(code)
        r = self.client.put(f"/api/v1/visits/{visit_id}/findings", headers=headers, json={"findings": items})
        assert r.status_code == 200, r.get_json()
        for code in needs_photo:
            made.evidence[code] = self.photo(visit_id, made.findings[code], headers)
        if submit:
            r = self.client.post(f"/api/v1/visits/{visit_id}/submit", headers=headers)
            assert r.status_code == 200, r.get_json()
        return made

    def photo(self, visit_id: str, finding_id: str, headers: dict) -> str:
        evidence_id = new_id()
        r = self.client.put(
            f"/api/v1/visits/{visit_id}/evidence/{evidence_id}?finding_id={finding_id}", data=_PHOTO,
            headers={**headers, "Content-Type": "image/jpeg",
                     "X-Content-SHA256": hashlib.sha256(_PHOTO).hexdigest()})
        assert r.status_code == 201, r.get_json()
        return evidence_id

    def review(self, visit_id: str, decision: str = "approve", *, reviewer: str = "reviewer1",
               comment: str | None = None, findings=None, expect: int = 200, headers=None):
        body = {"decision": decision}
        if comment is not None:
            body["comment"] = comment
        if findings is not None:
            body["findings"] = findings
        r = self.client.post(f"/api/v1/visits/{visit_id}/review", headers=headers or self.login(reviewer),
                             json=body)
        assert r.status_code == expect, r.get_json()
        return r.get_json()

    def approved(self, unit: str, day: str, answers: dict | None = None, *, notes=None, **kw) -> MadeVisit:
        made = self.visit(unit, day, answers, **kw)
        self.review(made.id, findings=notes)
        return made

    # --- reports ------------------------------------------------------------------

    def scores(self, user: str = "leader1", **params):
        r = self.client.get("/api/v1/reports/scores", headers=self.login(user),
                            query_string={**Q4, **params})
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    def unit_score(self, unit: str, **params):
        rows = [u for u in self.scores(**params)["units"] if u["org_unit_id"] == self.demo.units[unit]]
        return rows[0] if rows else None

    def listing(self, kind: str, user: str = "leader1", **params):
        r = self.client.get("/api/v1/reports/lists", headers=self.login(user),
                            query_string={**Q4, "kind": kind, **params})
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    def staff_entry(self, kind: str, staff_id: int, **params):
        found = [e for e in self.listing(kind, **params)["entries"]
                 if e["entry_type"] == "staff" and e["staff_id"] == staff_id]
        assert len(found) <= 1, found
        return found[0] if found else None

    def unit_entry(self, kind: str, unit: str, **params):
        found = [e for e in self.listing(kind, **params)["entries"]
                 if e["entry_type"] == "unit" and e["org_unit_id"] == self.demo.units[unit]]
        assert len(found) <= 1, found
        return found[0] if found else None

    def explanation(self, finding_id: str, action: str, user: str = "reviewer1", expect: int = 200, **body):
        r = self.client.post(f"/api/v1/findings/{finding_id}/explanation", headers=self.login(user),
                             json={"action": action, **body})
        assert r.status_code == expect, r.get_json()
        return r.get_json()

    def create_user(self, username: str, role: str, unit: str) -> dict:
        password = DEMO_PASSWORD + "-" + username
        r = self.client.post("/api/v1/users", headers=self.login("admin"), json={
            "username": username, "full_name": f"Người dùng {username}", "role": role,
            "org_unit_id": self.demo.units[unit], "password": password})
        assert r.status_code == 201, r.get_json()
        r = self.client.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.get_json()
        return {"Authorization": f"Bearer {r.get_json()['access_token']}"}


def _passes(code: str, value) -> bool:
    """The checklist's pass rule for the values these tests use (numbers only)."""
    rule = CRITERIA[code].get("pass_rule") or ""
    if not isinstance(value, (int, float)) or "desk." in rule:
        return True
    _, op, number = rule.split()
    number = float(number)
    return {"==": value == number, ">=": value >= number, "<=": value <= number,
            ">": value > number, "<": value < number, "!=": value != number}[op]



@contextmanager
def flow_with_settings(demo, **settings):
    """A Flow on an app with other settings (e.g. LIST_* thresholds), same database."""
    from inspect_api.app import create_app
    from inspect_api.db import db
    from tests.conftest import test_settings

    other = create_app(test_settings(**settings), environ={})
    client = other.test_client()
    cache: dict[str, dict] = {}

    def login(username: str) -> dict:
        if username not in cache:
            r = client.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD})
            assert r.status_code == 200, r.get_json()
            cache[username] = {"Authorization": f"Bearer {r.get_json()['access_token']}"}
        return cache[username]

    try:
        yield Flow(client, demo, login)
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()

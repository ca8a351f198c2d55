"""Loading seed/ into the database: idempotent, through the same services as the API,
so demo rows are validated and audited like any other."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from flask import current_app
from sqlalchemy import select

from .auth.models import User
from .auth.passwords import password_hasher
from .auth.service import create_user
from .checklists.models import ChecklistTemplate
from .checklists.service import create_checklist, publish_checklist
from .db import db
from .org.models import Desk, OrgUnit, Staff
from .org.service import create_desk, create_org_unit, create_staff
from .plans.models import InspectionPlan, Team
from .plans.service import create_plan, create_team

SEED_DIR = Path(__file__).resolve().parent.parent / "seed"
UNIT_FIELDS = ("code", "name", "kind", "admin_code", "valid_from", "valid_to", "head_name", "head_title")


def _load(name: str) -> Any:
    with open(SEED_DIR / name, encoding="utf-8") as handle:
        # The C loader when PyYAML has it: the demo seed is loaded before many tests.
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loaders


def _time(value: Any) -> dt.time | None:
    if value is None or isinstance(value, dt.time):
        return value
    if isinstance(value, int):  # YAML 1.1 reads 07:30 unquoted as sexagesimal minutes
        return dt.time(value // 60, value % 60)
    hours, minutes = str(value).split(":")
    return dt.time(int(hours), int(minutes))


class DemoLoader:
    def __init__(self, echo: Callable[[str], None]):
        self.echo = echo
        self.created: dict[str, int] = {}

    def _count(self, kind: str) -> None:
        self.created[kind] = self.created.get(kind, 0) + 1

    def unit_by_code(self, code: str) -> OrgUnit:
        unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == code))
        if unit is None:
            raise ValueError(f"seed refers to unknown org unit {code!r}")
        return unit

    def desk_by_code(self, code: str) -> Desk:
        desk = db.session.scalar(select(Desk).where(Desk.code == code))
        if desk is None:
            raise ValueError(f"seed refers to unknown desk {code!r}")
        return desk

    def org_tree(self, node: dict[str, Any], parent: OrgUnit | None) -> None:
        unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == node["code"]))
        if unit is None:
            data = {key: node[key] for key in UNIT_FIELDS if node.get(key) is not None}
            data.setdefault("valid_from", parent.valid_from if parent else None)
            if parent is not None:
                data["parent_id"] = parent.id
            if node.get("successor"):
                data["successor_id"] = self.unit_by_code(node["successor"]).id
            unit = create_org_unit(None, data)
            self._count("org units")
        desk = node.get("desk")
        if isinstance(desk, dict) and db.session.scalar(select(Desk).where(Desk.code == desk["code"])) is None:
            create_desk(None, {
                "org_unit_id": unit.id, "code": desk["code"], "name": desk["name"],
                "address": desk.get("address"), "level": desk.get("level", "commune"),
                "opens_at": _time(desk.get("opens_at")), "closes_at": _time(desk.get("closes_at")),
                "active": True,
            })
            self._count("desks")
        for child in node.get("children") or []:
            self.org_tree(child, unit)

    def staff(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            if db.session.scalar(select(Staff).where(Staff.employee_code == row["employee_code"])):
                continue
            create_staff(None, {
                "employee_code": row["employee_code"], "full_name": row["full_name"],
                "position": row.get("position"), "category": row.get("category", "cong_chuc"),
                "phone": str(row["phone"]) if row.get("phone") else None,
                "org_unit_id": self.unit_by_code(row["org_unit"]).id,
                "desk_id": self.desk_by_code(row["desk"]).id if row.get("desk") else None,
                "active": True,
            })
            self._count("staff")

    def checklist(self, doc: dict[str, Any], owner: OrgUnit) -> ChecklistTemplate:
        template = db.session.scalar(select(ChecklistTemplate).where(
            ChecklistTemplate.code == doc["code"], ChecklistTemplate.version == doc["version"]))
        if template is not None:
            return template
        keys = ("code", "category", "text", "text_en", "legal_basis", "answer_type", "subject",
                "photo", "severity", "weight", "pass_rule")
        criteria = [{key: item.get(key) for key in keys} for item in doc["criteria"]]
        for item in criteria:
            item["weight"] = Decimal(str(item["weight"]))
        template = create_checklist(None, {"code": doc["code"], "title": doc["title"],
                                           "org_unit_id": owner.id, "criteria": criteria})
        if template.version != doc["version"]:
            raise ValueError(f"checklist {doc['code']} would become version {template.version}, "
                             f"seed says {doc['version']}")
        publish_checklist(None, template)
        self._count("checklists")
        return template

    def users(self, rows: list[dict[str, Any]]) -> str | None:
        """Create missing demo users; returns the password if it was generated."""
        missing = [row for row in rows
                   if db.session.scalar(select(User).where(User.username == row["username"])) is None]
        if not missing:
            return None
        password = current_app.config.get("DEMO_PASSWORD") or os.environ.get("DEMO_PASSWORD")
        generated = not password
        password = password or secrets.token_urlsafe(12)
        hasher = password_hasher(current_app.config)
        for row in missing:
            create_user(None, {"username": row["username"], "full_name": row["full_name"],
                               "role": row["role"], "password": password,
                               "org_unit_id": self.unit_by_code(row["org_unit"]).id}, hasher=hasher)
            self._count("users")
        return password if generated else None

    def forms(self, rows: list[dict[str, Any]]) -> None:
        """Proposed forms are reference data: added once per (code, valid_from)."""
        from .reports.models import ProposedForm

        for row in rows:
            exists = db.session.scalar(select(ProposedForm).where(
                ProposedForm.code == row["code"], ProposedForm.valid_from == row["valid_from"]))
            if exists is None:
                db.session.add(ProposedForm(**row))
                self._count("proposed forms")
        db.session.commit()

    def plan(self, doc: dict[str, Any], template: ChecklistTemplate) -> None:
        spec = doc["plan"]
        plan = db.session.scalar(select(InspectionPlan).where(
            InspectionPlan.decision_number == spec["decision_number"]))
        if plan is None:
            plan = create_plan(None, {
                "title": spec["title"], "decision_number": spec["decision_number"],
                "org_unit_id": self.unit_by_code(spec["org_unit"]).id,
                "starts_on": spec["starts_on"], "ends_on": spec["ends_on"],
                "checklist_id": template.id,
            })
            self._count("plans")
        for team_spec in doc["teams"]:
            exists = db.session.scalar(select(Team).where(Team.plan_id == plan.id,
                                                          Team.name == team_spec["name"]))
            if exists:
                continue
            members = [db.session.scalars(select(User).where(User.username == name)).one()
                       for name in team_spec["members"]]
            leader = db.session.scalar(select(User).where(User.username == team_spec["leader"]))
            create_team(None, plan, {
                "name": team_spec["name"], "member_ids": [m.id for m in members],
                "leader_id": leader.id if leader else None,
                "desk_ids": [self.desk_by_code(code).id for code in team_spec["desks"]],
            })
            self._count("teams")


def load_demo(echo: Callable[[str], None] = print) -> dict[str, int]:
    loader = DemoLoader(echo)
    org = _load("org.yaml")
    loader.org_tree(org["province"], None)
    province = loader.unit_by_code(org["province"]["code"])
    for former in org.get("former_units") or []:
        loader.org_tree(former, province)
    loader.staff(_load("staff.yaml")["staff"])
    loader.forms(_load("forms.yaml")["forms"])
    template = loader.checklist(_load("checklist-v1.yaml"), province)
    demo = _load("demo.yaml")
    password = loader.users(demo["users"])
    loader.plan(demo, template)

    if loader.created:
        echo("created: " + ", ".join(f"{n} {kind}" for kind, n in loader.created.items()))
    else:
        echo("demo data already loaded; nothing changed")
    if password:
        path = Path(current_app.instance_path) / "demo-password.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(password + "\n", encoding="utf-8")
        path.chmod(0o600)
        echo(f"demo users: {', '.join(u['username'] for u in demo['users'])}")
        echo(f"demo password (generated; also saved in {path}): {password}")
    return loader.created

"""Loading seed/ into the database: idempotent, through the same services as the API,
so demo rows are validated and audited like any other.

Two parts: `load_demo` (reference data, the plan, its teams and five accounts: what the
tests' `demo` fixture loads) and `load_showcase` (accounts scoped to one commune, and
visits carried through submission and review, with photos: what makes the first run show
something). `flask seed demo` loads both. Every service call lives in this module, so a
change of a service's signature is fixed here."""

from __future__ import annotations

import datetime as dt
import io
import os
import secrets
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import yaml
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from .auth.models import User
from .auth.passwords import password_hasher
from .auth.service import create_user
from .checklists.models import ChecklistTemplate, Criterion
from .checklists.service import create_checklist, publish_checklist
from .corrections.service import CorrectionDays
from .db import db
from .evidence.service import UploadLimits, upload_evidence
from .org.models import Desk, OrgUnit, Staff
from .org.service import create_desk, create_org_unit, create_staff
from .plans.models import InspectionPlan, Team
from .plans.service import create_plan, create_team
from .reviews.service import decide
from .visits.models import Visit
from .visits.service import submit_visit, sync_findings, upsert_visit

SEED_DIR = Path(__file__).resolve().parent.parent / "seed"
UNIT_FIELDS = ("code", "name", "kind", "admin_code", "valid_from", "valid_to", "head_name", "head_title")
T = TypeVar("T")
PASSWORD_FILE = "demo-password.txt"  # noqa: S105 - a file name, not a password
# Showcase rows get UUIDs derived from their keys in showcase.yaml (UUID v5 in this
# namespace), so a second load finds what the first one made.
SHOWCASE_NAMESPACE = uuid.UUID("6f1d2c3e-8a47-5b9e-9c0d-2a1b3c4d5e6f")


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
        self.password: str | None = None

    def _count(self, kind: str) -> None:
        self.created[kind] = self.created.get(kind, 0) + 1

    def unit_by_code(self, code: str) -> OrgUnit:
        return _named(OrgUnit, OrgUnit.code, code, "org unit")

    def desk_by_code(self, code: str) -> Desk:
        return _named(Desk, Desk.code, code, "desk")

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
                "location": desk.get("location"), "active": True,
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
        password = (self.password or current_app.config.get("DEMO_PASSWORD")
                    or os.environ.get("DEMO_PASSWORD") or _saved_password())
        generated = not password
        # One password for every demo account, whichever part of the seed makes it.
        password = self.password = password or secrets.token_urlsafe(12)
        hasher = password_hasher(current_app.config)
        for row in missing:
            create_user(None, {"username": row["username"], "full_name": row["full_name"],
                               "role": row["role"], "password": password, "email": row.get("email"),
                               "org_unit_id": self.unit_by_code(row["org_unit"]).id}, hasher=hasher)
            self._count("users")
        return password if generated else None

    def forms(self, rows: list[dict[str, Any]]) -> None:
        """Proposed forms are reference data: added once per (code, valid_from); a corrected
        name or legal basis in the seed reaches the rows already there (frozen lists keep
        their own copies)."""
        from .reports.models import ProposedForm

        for row in rows:
            exists = db.session.scalar(select(ProposedForm).where(
                ProposedForm.code == row["code"], ProposedForm.valid_from == row["valid_from"]))
            if exists is None:
                db.session.add(ProposedForm(**row))
                self._count("proposed forms")
            else:
                exists.name, exists.legal_basis = row["name"], row["legal_basis"]
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


    # --- the showcase: visits through the workflow ----------------------------------

    def user(self, username: str) -> User:
        return _named(User, User.username, username, "user")

    def staff_by_code(self, code: str) -> Staff:
        return _named(Staff, Staff.employee_code, code, "staff")

    def visit(self, spec: dict[str, Any], plan: InspectionPlan) -> None:
        """Carry one visit to its demo status, resuming wherever an interrupted load
        stopped. A visit already reviewed is never decided again (a returned demo visit
        that the inspector resubmitted stays with the reviewer)."""
        visit_id = _showcase_id("visit", spec["key"])
        visit = db.session.get(Visit, visit_id)
        status = visit.status if visit is not None else None
        if status in (None, "draft"):
            self._record_visit(visit_id, spec, plan)
            submit_visit(self.user(spec["inspector"]), visit_id)
            status = "submitted"
            self._count("visits")
        visit = db.session.get_one(Visit, visit_id)
        if status == "submitted" and spec["status"] in ("approved", "returned") and not visit.reviews:
            self._review(visit_id, spec)
            self._count("reviews")

    def _record_visit(self, visit_id: uuid.UUID, spec: dict[str, Any], plan: InspectionPlan) -> None:
        """The tablet's part: the visit, every answer, the photos. Each call is a replay
        that changes nothing if an earlier load already made it."""
        inspector = self.user(spec["inspector"])
        desk = self.desk_by_code(spec["desk"])
        team = next((t for t in plan.teams if inspector.id in t.member_ids and desk.id in t.desk_ids), None)
        if team is None:
            raise ValueError(f"no team of {spec['inspector']} in the demo plan covers {spec['desk']}")
        started_at = dt.datetime.fromisoformat(spec["started_at"])
        upsert_visit(inspector, visit_id, {
            "team_id": team.id, "desk_id": desk.id, "checklist_id": plan.checklist_id,
            "started_at": started_at, "ended_at": dt.datetime.fromisoformat(spec["ended_at"]),
            "notes": spec.get("notes"), "location": spec.get("location"),
            "staff_on_duty": [self.staff_by_code(code).id for code in spec.get("on_duty") or []],
        })
        failures = spec.get("failures") or {}
        criteria = db.session.scalars(select(Criterion).where(
            Criterion.template_id == plan.checklist_id).order_by(Criterion.position)).all()
        recorded_at = started_at + dt.timedelta(minutes=30)
        answers = [self._answer(spec["key"], criterion, failures.get(criterion.code), desk, recorded_at)
                   for criterion in criteria]
        config = current_app.config
        sync_findings(inspector, visit_id, answers, max_findings=config["SYNC_MAX_FINDINGS"])
        for code, failure in failures.items():
            if failure.get("photo"):
                taken_at = failure.get("photo_taken_at")
                photo = demo_photo(failure["photo"],
                                   dt.datetime.fromisoformat(taken_at) if taken_at
                                   else started_at + dt.timedelta(minutes=20),
                                   failure.get("photo_location", spec.get("location")))
                limits = UploadLimits.from_settings(config)
                created = upload_evidence(
                    inspector, visit_id, _showcase_id("photo", spec["key"], code),
                    _showcase_id("finding", spec["key"], code), "image/jpeg", io.BytesIO(photo),
                    None, limits=limits)[1]
                if created:
                    self._count("photos")

    def _answer(self, key: str, criterion: Criterion, failure: dict[str, Any] | None, desk: Desk,
                recorded_at: dt.datetime) -> dict[str, Any]:
        item: dict[str, Any] = {"id": _showcase_id("finding", key, criterion.code),
                                "criterion_id": criterion.id, "recorded_at": recorded_at}
        if failure is None:
            item.update(_passing_answer(criterion, desk))
            return item
        if "value" in failure:
            item["value"] = failure["value"]
        else:
            item["result"] = failure.get("result", "fail")
        if failure.get("staff"):
            item["staff_id"] = self.staff_by_code(failure["staff"]).id
        item["note"] = failure.get("note")
        return item

    def _review(self, visit_id: uuid.UUID, spec: dict[str, Any]) -> None:
        review = spec["review"]
        notes = []
        if review.get("finding"):
            notes.append({"finding_id": _showcase_id("finding", spec["key"], review["finding"]),
                          "comment": review.get("finding_comment")})
        decision = "approve" if spec["status"] == "approved" else "return"
        decide(self.user(review["by"]), visit_id,
               {"decision": decision, "comment": review.get("comment"), "findings": notes},
               correction_days=CorrectionDays.from_settings(current_app.config))


def _named(model: type[T], column: InstrumentedAttribute[str], value: str, what: str) -> T:
    """The one row the seed names by its code, or a clear error naming the typo."""
    row = db.session.scalar(select(model).where(column == value))
    if row is None:
        raise ValueError(f"seed refers to unknown {what} {value!r}")
    return row


def _saved_password() -> str | None:
    """The password the first load generated, so accounts added later share it."""
    path = Path(current_app.instance_path) / PASSWORD_FILE
    if not path.exists():
        return None
    return path.read_text(encoding="utf-8").strip() or None


def _showcase_id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(SHOWCASE_NAMESPACE, "/".join(parts))


def showcase_visit_ids() -> dict[str, str]:
    """The showcase visits' ids by their keys in showcase.yaml (for tests that tell the
    demo's visits from their own)."""
    return {spec["key"]: str(_showcase_id("visit", spec["key"])) for spec in _load("showcase.yaml")["visits"]}


def _passing_answer(criterion: Criterion, desk: Desk) -> dict[str, Any]:
    """A passing answer in the criterion's own type: a value where the server derives
    the result from the rule (every count rule is "== 0", every percent one ">= N")."""
    if criterion.answer_type == "count":
        return {"value": 0}
    if criterion.answer_type == "percent":
        return {"value": 100}
    if criterion.answer_type == "time":
        # At the desk 10 minutes before it opens, or 5 after it closes (any day will do
        # for the arithmetic).
        day = dt.date(2026, 1, 1)
        if "desk.opens_at" in (criterion.pass_rule or ""):
            moment = dt.datetime.combine(day, desk.opens_at) - dt.timedelta(minutes=10)
        else:
            moment = dt.datetime.combine(day, desk.closes_at) + dt.timedelta(minutes=5)
        return {"value": moment.strftime("%H:%M")}
    return {"result": "pass"}


def demo_photo(caption: str, taken_at: dt.datetime, location: dict[str, float] | None) -> bytes:
    """A small JPEG as a tablet makes it (EXIF capture time and GPS), with the caption
    drawn on it. The same arguments give the same bytes, so a reload re-sends the same
    photo and the server answers with the record it already has."""
    from PIL import ExifTags, Image, ImageDraw

    image = Image.new("RGB", (640, 480), (214, 201, 176))  # a wall
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 330, 640, 480), fill=(120, 92, 64))  # the counter
    draw.rectangle((60, 80, 300, 260), fill=(245, 245, 240), outline=(40, 40, 40), width=4)  # a board
    draw.rectangle((380, 250, 470, 330), fill=(60, 60, 70))  # a screen
    draw.rectangle((0, 420, 640, 480), fill=(20, 20, 20))
    draw.text((16, 440), caption, fill=(255, 255, 255))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Samsung"
    exif[ExifTags.Base.Model] = "Galaxy Tab A9"
    local = taken_at.strftime("%Y:%m:%d %H:%M:%S")
    exif[ExifTags.Base.DateTime] = local
    exif_ifd = exif.get_ifd(ExifTags.IFD.Exif)
    exif_ifd[ExifTags.Base.DateTimeOriginal] = local
    exif_ifd[ExifTags.Base.OffsetTimeOriginal] = taken_at.strftime("%z")[:3] + ":" + taken_at.strftime("%z")[3:]
    if location:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSLatitudeRef] = "N" if location["lat"] >= 0 else "S"
        gps[ExifTags.GPS.GPSLatitude] = _degrees_minutes_seconds(abs(location["lat"]))
        gps[ExifTags.GPS.GPSLongitudeRef] = "E" if location["lon"] >= 0 else "W"
        gps[ExifTags.GPS.GPSLongitude] = _degrees_minutes_seconds(abs(location["lon"]))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes(), quality=85)
    return buffer.getvalue()


def _degrees_minutes_seconds(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return float(degrees), float(minutes), round(((value - degrees) * 60 - minutes) * 60, 2)


def _report(loader: DemoLoader, echo: Callable[[str], None]) -> None:
    if loader.created:
        echo("created: " + ", ".join(f"{n} {kind}" for kind, n in loader.created.items()))
    else:
        echo("demo data already loaded; nothing changed")


def _announce_password(password: str | None, usernames: list[str], echo: Callable[[str], None]) -> None:
    if not password:
        return
    path = Path(current_app.instance_path) / PASSWORD_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(password + "\n", encoding="utf-8")
    path.chmod(0o600)
    echo(f"demo users: {', '.join(usernames)}")
    echo(f"demo password (generated; also saved in {path}): {password}")


def _load_reference(loader: DemoLoader) -> str | None:
    """Org tree, staff, forms, checklist, the five accounts, the plan and its teams;
    returns the password if it was generated."""
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
    return password


def load_demo(echo: Callable[[str], None] = print) -> dict[str, int]:
    """The reference part of the demo (what the tests' `demo` fixture loads)."""
    loader = DemoLoader(echo)
    password = _load_reference(loader)
    _report(loader, echo)
    _announce_password(password, [u["username"] for u in _load("demo.yaml")["users"]], echo)
    return loader.created


def load_showcase(loader: DemoLoader) -> str | None:
    """Commune accounts and visits through the workflow, on top of `load_demo`'s data;
    returns the password if it was generated."""
    showcase = _load("showcase.yaml")
    password = loader.users(showcase["users"])
    plan = db.session.scalars(select(InspectionPlan).where(
        InspectionPlan.decision_number == _load("demo.yaml")["plan"]["decision_number"])).one()
    for spec in showcase["visits"]:
        loader.visit(spec, plan)
    return password


def seed_demo(echo: Callable[[str], None] = print) -> dict[str, int]:
    """`flask seed demo`: the reference data and the showcase. Loading it twice changes
    nothing the second time."""
    loader = DemoLoader(echo)
    password = _load_reference(loader)
    password = load_showcase(loader) or password
    _report(loader, echo)
    usernames = [u["username"] for name in ("demo.yaml", "showcase.yaml") for u in _load(name)["users"]]
    _announce_password(password, usernames, echo)
    return loader.created

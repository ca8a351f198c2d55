"""A synthetic national year: `flask seed synthetic`.

Builds on the demo seed (its published checklist MOTCUA-2026 v1, the proposed forms and
the demo users; loaded first when missing) and adds, under a national root unit "VN":

* provinces (kind province) and their communes and wards, each with one desk and a few
  staff;
* per province one inspection plan for the year with one team (one synthetic inspector)
  assigned all its desks;
* approved visits spread over the weekdays of the year, each with two staff on duty,
  one finding per criterion (staff criteria attributed to one of the two), and the
  approving review (round 1), so scores and lists count them;
* one photo row for every failure whose criterion requires a photo, as a visit must
  have to be submitted (the rows only: their objects are not in the store, so the
  photos cannot be opened; the lists show their addresses, as they would real ones);
* the accounts `national_leader` and `national_reviewer` at the root, whose subtree is
  the whole synthetic country.

Rows go in with SQLAlchemy Core executemany in batches, not one ORM object per row, and
are not audited one by one: one audit event "seed_synthetic" records the sizes. On
psycopg 3, SQLAlchemy hands an INSERT without RETURNING to psycopg's own executemany,
which pipelines the statements; measured on the national size that is about 4-6 s per
100k findings, against 13-15 s with SQLAlchemy's multi-row VALUES (insertmanyvalues,
which is still what the few INSERTs with RETURNING use, for the ids of units, desks and
staff). Batches of 10,000 findings were the fastest of 5k/10k/20k. The whole
load is one transaction: interrupted, it leaves nothing behind. It refuses to run a second
time on the same database (the root "VN" exists), rather than adding a muddled second copy.

Invented: every name of a person and of a commune (the province names are the 34 of the
2025 reform, the rest of the data is not about them). Reproducible: the same options and
--seed give the same rows, uuids included.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import secrets
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from flask import current_app
from sqlalchemy import bindparam, func, insert, select, text, update

from .audit.service import record
from .auth.models import User
from .auth.passwords import hash_password, password_hasher
from .checklists.models import ChecklistTemplate, Criterion
from .checklists.rules import parse_rule
from .db import db
from .evidence.models import Evidence
from .org.models import DEFAULT_CLOSES_AT, DEFAULT_OPENS_AT, Desk, OrgUnit, Staff
from .plans.models import InspectionPlan, Team, team_desks, team_members
from .reviews.models import Review
from .visits.models import Finding, Visit, visit_staff
from .timezone import VIETNAM_TZ

ROOT_CODE = "VN"
CHECKLIST = ("MOTCUA-2026", 1)
NATIONAL_USERS = (
    ("national_leader", "Đỗ Quang Vinh", "leader"),
    ("national_reviewer", "Vũ Thị Thanh Hương", "reviewer"),
)
# The 34 provinces and centrally-run cities after the 1 July 2025 reform.
PROVINCES = (
    ("Thành phố Hà Nội", "HNI"), ("Thành phố Huế", "HUE"), ("Tỉnh Lai Châu", "LCU"),
    ("Tỉnh Điện Biên", "DBN"), ("Tỉnh Sơn La", "SLA"), ("Tỉnh Lạng Sơn", "LSN"),
    ("Tỉnh Quảng Ninh", "QNH"), ("Tỉnh Thanh Hóa", "THA"), ("Tỉnh Nghệ An", "NAN"),
    ("Tỉnh Hà Tĩnh", "HTH"), ("Tỉnh Cao Bằng", "CBG"), ("Tỉnh Tuyên Quang", "TQG"),
    ("Tỉnh Lào Cai", "LCI"), ("Tỉnh Thái Nguyên", "TNN"), ("Tỉnh Phú Thọ", "PTO"),
    ("Tỉnh Bắc Ninh", "BNH"), ("Tỉnh Hưng Yên", "HYN"), ("Thành phố Hải Phòng", "HPG"),
    ("Tỉnh Ninh Bình", "NBH"), ("Tỉnh Quảng Trị", "QTI"), ("Thành phố Đà Nẵng", "DNG"),
    ("Tỉnh Quảng Ngãi", "QNI"), ("Tỉnh Gia Lai", "GLI"), ("Tỉnh Khánh Hòa", "KHA"),
    ("Tỉnh Lâm Đồng", "LDG"), ("Tỉnh Đắk Lắk", "DLK"), ("Thành phố Hồ Chí Minh", "HCM"),
    ("Tỉnh Đồng Nai", "DNI"), ("Tỉnh Tây Ninh", "TNH"), ("Thành phố Cần Thơ", "CTO"),
    ("Tỉnh Vĩnh Long", "VLG"), ("Tỉnh Đồng Tháp", "DTP"), ("Tỉnh Cà Mau", "CMU"),
    ("Tỉnh An Giang", "AGG"),
)
_PLACE = ("An", "Bình", "Phú", "Hòa", "Tân", "Thạnh", "Long", "Phước", "Đông", "Tây", "Minh",
          "Hưng", "Thành", "Quang", "Trung", "Hải", "Sơn", "Thủy", "Lộc", "Mỹ", "Vĩnh", "Yên",
          "Phong", "Thịnh", "Xuân", "Hồng", "Kim", "Lạc", "Nghĩa", "Thuận")
_FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
           "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Mai", "Trịnh", "Lương")
_MIDDLE = ("Văn", "Thị", "Minh", "Thanh", "Ngọc", "Quang", "Hữu", "Thu", "Đức", "Kim", "Xuân",
           "Hồng", "Bảo", "Anh")
_GIVEN = ("An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng",
          "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Phương", "Quân",
          "Sơn", "Tâm", "Thảo", "Thắng", "Trang", "Trung", "Tuấn", "Vân", "Yến")
_POSITIONS = ("Công chức Văn phòng - Thống kê", "Công chức Tư pháp - Hộ tịch",
              "Công chức Địa chính - Xây dựng", "Công chức Văn hóa - Xã hội",
              "Công chức Tài chính - Kế toán", "Viên chức Trung tâm Phục vụ hành chính công")
_CATEGORIES = ("cong_chuc", "cong_chuc", "cong_chuc", "vien_chuc", "hop_dong")


@dataclass
class Sizes:
    provinces: int = 34
    communes: int = 3300
    staff_per_desk: int = 4
    visits: int = 40_000
    findings_per_visit: int = 38
    fail_rate: float = 0.04
    na_rate: float = 0.02
    seed: int = 2026
    year: int = 2026
    batch_rows: int = 10_000  # findings per INSERT batch (visits go in proportionally)


@dataclass
class Report:
    sizes: Sizes
    counts: dict[str, int] = field(default_factory=dict)
    insert_seconds: dict[str, float] = field(default_factory=dict)  # time in INSERTs, per table
    seconds: float = 0.0
    password: str | None = None  # set when it was generated here
    analyze_seconds: float = 0.0


class AlreadyLoaded(RuntimeError):
    pass


# --- values that agree with the pass rules -------------------------------------------------

def _minutes(value: dt.time) -> int:
    return value.hour * 60 + value.minute


class _Answer:
    """How to answer one criterion: the result decides, the value follows the rule."""

    def __init__(self, criterion: Criterion):
        self.id = criterion.id
        self.code = criterion.code
        self.staff = criterion.subject == "staff"
        self.answer_type = criterion.answer_type
        self.rule = parse_rule(criterion.pass_rule) if criterion.pass_rule else None
        self.photo_on_failure = criterion.photo == "required"

    def value(self, passes: bool, rng: random.Random) -> tuple[Decimal | None, str | None]:
        rule = self.rule
        if rule is None:
            return None, None
        if rule.is_time:
            # Synthetic desks keep the default office hours (org.models).
            clock = _minutes(DEFAULT_OPENS_AT if rule.operand == "desk.opens_at" else DEFAULT_CLOSES_AT)
            offset = _time_offset(rule.op, passes, rng)
            minutes = max(0, min(23 * 60 + 59, clock + offset))
            return None, f"{minutes // 60:02d}:{minutes % 60:02d}"
        target = float(rule.operand)
        top = 100.0 if self.answer_type == "percent" else None
        number = _number(rule.op, target, passes, rng, top, integer=self.answer_type == "count")
        return Decimal(str(number)), None


def _time_offset(op: str, passes: bool, rng: random.Random) -> int:
    """Minutes from the desk's hour: early arrivals pass `<=`, late leavers pass `>=`."""
    if op in ("<=", "<"):
        return -rng.randint(1 if op == "<" else 0, 25) if passes else rng.randint(1 if op == "<=" else 0, 50)
    if op in (">=", ">"):
        return rng.randint(1 if op == ">" else 0, 25) if passes else -rng.randint(1 if op == ">=" else 0, 60)
    return 0 if (op == "==") == passes else rng.choice((-15, 15))


def _number(op: str, target: float, passes: bool, rng: random.Random, top: float | None,
            integer: bool) -> float | int:
    step = 1 if integer else 0.1

    def tidy(x: float) -> float | int:
        return round(x) if integer else round(x, 1)

    if op == "==":
        if passes:
            return tidy(target)
        miss = step * rng.randint(1, 5 if integer else 300)
        return tidy(target - miss if top is not None and target + miss > top else target + miss)
    if op == "!=":
        return tidy(target + step * rng.randint(1, 5)) if passes else tidy(target)
    if op in (">=", ">"):
        low = target if op == ">=" else target + step
        if passes:
            high = top if top is not None else target + 20
            return tidy(low + (max(high, low) - low) * rng.random()) if high > low else tidy(low)
        # Below the threshold: mostly a near miss, sometimes far off.
        drop = (target * 0.4) * rng.random() ** 2
        return tidy(max(0.0, target - step - drop) if op == ">=" else max(0.0, target - drop))
    if op in ("<=", "<"):
        high = target if op == "<=" else target - step
        if passes:
            return tidy(max(0.0, high * rng.random()))
        value = target + step + (target * 0.4 + 5 * step) * rng.random()
        return tidy(min(value, top) if top is not None and top > target else value)
    raise ValueError(op)


# --- names ---------------------------------------------------------------------------

def _person(rng: random.Random) -> str:
    return f"{rng.choice(_FAMILY)} {rng.choice(_MIDDLE)} {rng.choice(_GIVEN)}"


def _commune_names(rng: random.Random, count: int) -> Iterator[tuple[str, str]]:
    """(kind, name) pairs, names unique within one province."""
    seen: dict[str, int] = {}
    for _ in range(count):
        base = " ".join(rng.sample(_PLACE, 2))
        seen[base] = seen.get(base, 0) + 1
        name = base if seen[base] == 1 else f"{base} {seen[base]}"
        yield ("ward", f"Phường {name}") if rng.random() < 0.2 else ("commune", f"Xã {name}")


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _province(index: int) -> tuple[str, str]:
    if index < len(PROVINCES):
        return PROVINCES[index]
    return f"Tỉnh số {index + 1}", f"P{index + 1:02d}"


def _desk_rate(mean: float, rng: random.Random, concentration: float = 25.0) -> float:
    if mean <= 0 or mean >= 1:
        return mean
    return rng.betavariate(mean * concentration, (1 - mean) * concentration)


def _spread(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


# --- the loader ----------------------------------------------------------------------

class SyntheticLoader:
    checklist_id: int  # the published demo checklist every visit pins; set before visits()

    def __init__(self, sizes: Sizes, echo: Callable[[str], None], progress: bool):
        self.sizes = sizes
        self.echo = echo
        self.progress = progress
        self.rng = random.Random(sizes.seed)
        # The photos draw from their own generator, so that a seed gives the same visits
        # and findings as before there were photos.
        self.photo_rng = random.Random(f"{sizes.seed}-photos")
        self.now = dt.datetime.now(dt.UTC)
        self.counts: dict[str, int] = {}
        self.insert_seconds: dict[str, float] = {}

    # helpers
    def _uuid(self, rng: random.Random | None = None) -> uuid.UUID:
        return uuid.UUID(int=(rng or self.rng).getrandbits(128), version=4)

    def _insert(self, table, rows: list[dict[str, Any]], returning=None) -> Sequence[Any]:
        if not rows:
            return []
        self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)
        started = time.perf_counter()
        if returning is None:
            db.session.execute(insert(table), rows)
            result: Sequence[Any] = []
        else:
            stmt = insert(table).returning(*returning, sort_by_parameter_order=True)
            result = db.session.execute(stmt, rows).all()
        self.insert_seconds[table.name] = self.insert_seconds.get(table.name, 0.0) + time.perf_counter() - started
        return result

    def _stamp(self) -> dict[str, dt.datetime]:
        return {"created_at": self.now, "updated_at": self.now}

    # steps
    def password(self) -> tuple[str, bool]:
        configured = current_app.config.get("DEMO_PASSWORD") or os.environ.get("DEMO_PASSWORD")
        if configured:
            return configured, False
        saved = Path(current_app.instance_path) / "demo-password.txt"
        if saved.exists():
            return saved.read_text(encoding="utf-8").strip(), False
        return secrets.token_urlsafe(12), True

    def org_tree(self) -> None:
        units = OrgUnit.__table__
        desks, staff = Desk.__table__, Staff.__table__
        sizes, rng = self.sizes, self.rng
        reform = dt.date(2025, 7, 1)
        unit = {"admin_code": None, "valid_from": reform, "valid_to": None, "successor_id": None,
                "head_name": None, "head_title": None, "path": "", **self._stamp()}
        (root_id,), = self._insert(units, [{**unit, "code": ROOT_CODE, "kind": "department",
                                             "name": "Cả nước (dữ liệu tổng hợp)", "parent_id": None}],
                                   returning=[units.c.id])
        self.root_id = root_id
        province_rows = []
        for index in range(sizes.provinces):
            name, short = _province(index)
            province_rows.append({**unit, "code": f"{ROOT_CODE}-{short}", "name": name, "kind": "province",
                                  "parent_id": root_id, "head_name": _person(rng),
                                  "head_title": f"Chủ tịch UBND {_lower_first(name)}"})
        province_ids = [row.id for row in self._insert(units, province_rows, returning=[units.c.id])]
        self.provinces = list(zip(province_ids, province_rows, strict=True))

        commune_rows, commune_province = [], []
        communes_per_province = _spread(sizes.communes, sizes.provinces)
        for (province_id, province), count in zip(self.provinces, communes_per_province, strict=True):
            for number, (kind, name) in enumerate(_commune_names(rng, count), start=1):
                title = f"Chủ tịch UBND {_lower_first(name)}"
                commune_rows.append({**unit, "code": f"{province['code']}-{number:04d}", "name": name,
                                     "kind": kind, "parent_id": province_id, "head_name": _person(rng),
                                     "head_title": title})
                commune_province.append(province_id)
        commune_ids = [row.id for row in self._insert(units, commune_rows, returning=[units.c.id])]

        # Paths: "/root/", "/root/province/", "/root/province/commune/".
        paths = {root_id: f"/{root_id}/"}
        for province_id in province_ids:
            paths[province_id] = f"{paths[root_id]}{province_id}/"
        for commune_id, province_id in zip(commune_ids, commune_province, strict=True):
            paths[commune_id] = f"{paths[province_id]}{commune_id}/"
        db.session.execute(
            update(units).where(units.c.id == bindparam("unit_id")).values(path=bindparam("unit_path")),
            [{"unit_id": unit_id, "unit_path": path} for unit_id, path in paths.items()])

        desk_rows = [{"org_unit_id": commune_id, "code": f"{row['code']}-MC",
                      "name": f"Bộ phận Một cửa {row['name']}",
                      "address": f"Trụ sở UBND {_lower_first(row['name'])}",
                      "level": "commune", "opens_at": DEFAULT_OPENS_AT, "closes_at": DEFAULT_CLOSES_AT,
                      "active": True, **self._stamp()}
                     for commune_id, row in zip(commune_ids, commune_rows, strict=True)]
        desk_ids = [row.id for row in self._insert(desks, desk_rows, returning=[desks.c.id])]
        self.desks = [(desk_id, commune_id, province_id)
                      for desk_id, commune_id, province_id in zip(desk_ids, commune_ids, commune_province, strict=True)]

        staff_rows = []
        for desk_id, row in zip(desk_ids, desk_rows, strict=True):
            for number in range(1, sizes.staff_per_desk + 1):
                staff_rows.append({
                    "org_unit_id": row["org_unit_id"], "desk_id": desk_id,
                    "employee_code": f"{row['code'].removesuffix('-MC')}-CB{number:02d}",
                    "full_name": _person(rng), "position": rng.choice(_POSITIONS),
                    "category": rng.choice(_CATEGORIES), "phone": f"09{rng.randrange(10**8):08d}",
                    "active": True, **self._stamp()})
        self.staff_by_desk: dict[int, list[int]] = {}
        for i in range(0, len(staff_rows), 10_000):
            chunk = staff_rows[i:i + 10_000]
            for (staff_id,), row in zip(self._insert(staff, chunk, returning=[staff.c.id]), chunk, strict=True):
                self.staff_by_desk.setdefault(row["desk_id"], []).append(staff_id)

    def users(self, password: str) -> None:
        users = User.__table__
        # One hash for all: they share the demo password, and argon2 at OWASP cost is
        # ~50 ms a hash.
        password_hash = hash_password(password_hasher(current_app.config), password)
        base = {"password_hash": password_hash, "active": True, "token_version": 1,
                "last_login_at": None, **self._stamp()}
        rows = [{**base, "username": username, "full_name": full_name, "role": role,
                 "org_unit_id": self.root_id} for username, full_name, role in NATIONAL_USERS]
        for index, (province_id, _) in enumerate(self.provinces, start=1):
            rows.append({**base, "username": f"syn_inspector_{index:02d}", "full_name": _person(self.rng),
                         "role": "inspector", "org_unit_id": province_id})
        ids = [row.id for row in self._insert(users, rows, returning=[users.c.id])]
        self.reviewer_id = ids[1]
        self.inspector_of = {province_id: user_id
                             for (province_id, _), user_id in zip(self.provinces, ids[len(NATIONAL_USERS):],
                                                                  strict=True)}

    def plans(self, checklist_id: int) -> None:
        plans, teams = InspectionPlan.__table__, Team.__table__
        year = self.sizes.year
        plan_rows = [{"org_unit_id": province_id, "checklist_id": checklist_id,
                      "title": f"Kiểm tra hoạt động Bộ phận Một cửa cấp xã năm {year} ({province['name']})",
                      "decision_number": f"{index:02d}/QĐ-{province['code']}-{year}-TH",
                      "starts_on": dt.date(year, 1, 1), "ends_on": dt.date(year, 12, 31), **self._stamp()}
                     for index, (province_id, province) in enumerate(self.provinces, start=1)]
        plan_ids = [row.id for row in self._insert(plans, plan_rows, returning=[plans.c.id])]
        team_rows = [{"plan_id": plan_id, "name": "Đoàn kiểm tra tổng hợp",
                      "leader_id": self.inspector_of[province_id], **self._stamp()}
                     for plan_id, (province_id, _) in zip(plan_ids, self.provinces, strict=True)]
        team_ids = [row.id for row in self._insert(teams, team_rows, returning=[teams.c.id])]
        self.team_of = {province_id: (team_id, plan_id)
                        for (province_id, _), team_id, plan_id in zip(self.provinces, team_ids, plan_ids, strict=True)}
        self._insert(team_members, [{"team_id": team_id, "user_id": self.inspector_of[province_id]}
                                    for province_id, (team_id, _) in self.team_of.items()])
        self._insert(team_desks, [{"team_id": self.team_of[province_id][0], "desk_id": desk_id}
                                  for desk_id, _, province_id in self.desks])

    def _workdays(self) -> list[dt.date]:
        day, end, days = dt.date(self.sizes.year, 1, 1), dt.date(self.sizes.year, 12, 31), []
        while day <= end:
            if day.weekday() < 5:
                days.append(day)
            day += dt.timedelta(days=1)
        return days

    def visits(self, criteria: Sequence[Criterion]) -> None:
        sizes, rng = self.sizes, self.rng
        answers = [_Answer(c) for c in criteria]
        per_visit = min(sizes.findings_per_visit, len(answers))
        days = self._workdays()
        # Desks differ: each draws its own failure rate from a beta distribution whose mean
        # is --fail-rate, so scores spread and ranks mean something (0 and 1 stay exact).
        desk_fail = {desk_id: _desk_rate(sizes.fail_rate, rng) for desk_id, _, _ in self.desks}
        order = [desk for desk in self.desks]
        rng.shuffle(order)
        per_batch = max(1, sizes.batch_rows // max(1, per_visit))
        with click.progressbar(length=sizes.visits, label="visits", file=sys.stderr,
                               show_pos=True, show_eta=True,
                               hidden=not self.progress) as bar:
            for first in range(0, sizes.visits, per_batch):
                count = min(per_batch, sizes.visits - first)
                self._visit_batch(first, count, order, answers, per_visit, days, desk_fail)
                bar.update(count)

    def keep_scores(self) -> None:
        """The visits went in as rows, not through reviews: keep their scores in one
        statement, as `flask scores recompute` does."""
        from .reports.kept_scores import rebuild_all
        from .reports.models import VisitFailure, VisitValue

        started = time.perf_counter()
        self.counts["visit_scores"] = rebuild_all()
        self.insert_seconds["visit_scores"] = time.perf_counter() - started
        # Counted so that they are analysed with the rest: the lists read these two, and
        # on their empty-table statistics PostgreSQL planned the dossier rates' join for
        # 5,000 rows where there are 78,000.
        for kept in (VisitFailure, VisitValue):
            self.counts[kept.__tablename__] = db.session.scalar(select(func.count()).select_from(kept)) or 0

    def _visit_batch(self, first, count, order, answers, per_visit, days, desk_fail) -> None:
        rng, sizes = self.rng, self.sizes
        visits: list[dict[str, Any]] = []
        reviews: list[dict[str, Any]] = []
        on_duty: list[dict[str, Any]] = []
        findings: list[dict[str, Any]] = []
        photos: list[dict[str, Any]] = []
        utc = dt.UTC
        na_rate = sizes.na_rate
        for n in range(first, first + count):
            desk_id, _, province_id = order[n % len(order)]
            team_id, plan_id = self.team_of[province_id]
            inspector = self.inspector_of[province_id]
            day = rng.choice(days)
            minute = rng.randrange(8 * 60, 15 * 60 + 30)
            started_at = dt.datetime(day.year, day.month, day.day, minute // 60, minute % 60,
                                     tzinfo=VIETNAM_TZ).astimezone(utc)
            ended_at = started_at + dt.timedelta(minutes=rng.randint(60, 150))
            submitted_at = ended_at + dt.timedelta(minutes=rng.randint(5, 240))
            decided_at = submitted_at + dt.timedelta(days=rng.randint(1, 5), minutes=rng.randint(0, 480))
            visit_id = self._uuid()
            visits.append({
                "id": visit_id, "team_id": team_id, "plan_id": plan_id, "desk_id": desk_id,
                "checklist_id": self.checklist_id, "status": "approved", "version": 3,
                "started_at": started_at, "ended_at": ended_at, "notes": None,
                "latitude": None, "longitude": None, "created_by_id": inspector,
                "updated_by_id": self.reviewer_id, "submitted_at": submitted_at,
                "submitted_by_id": inspector, "created_at": started_at, "updated_at": decided_at})
            reviews.append({"visit_id": visit_id, "round": 1, "decision": "approve", "comment": None,
                            "reviewer_id": self.reviewer_id, "decided_at": decided_at, "visit_version": 2})
            staff = self.staff_by_desk.get(desk_id) or []
            duty = rng.sample(staff, min(2, len(staff)))
            on_duty.extend({"visit_id": visit_id, "staff_id": staff_id} for staff_id in duty)
            fail_rate = desk_fail[desk_id]
            chosen = answers if per_visit == len(answers) else rng.sample(answers, per_visit)
            recorded_at = started_at
            for answer in chosen:
                recorded_at = recorded_at + dt.timedelta(seconds=rng.randint(20, 180))
                draw = rng.random()
                if draw < fail_rate:
                    result = "fail"
                elif draw < fail_rate + na_rate:
                    result = "na"
                else:
                    result = "pass"
                if result == "na":
                    number, text, staff_id = None, None, None
                else:
                    number, text = answer.value(result == "pass", rng)
                    staff_id = rng.choice(duty) if answer.staff and duty else None
                finding_id = self._uuid()
                findings.append({
                    "id": finding_id, "visit_id": visit_id, "criterion_id": answer.id,
                    "staff_id": staff_id, "result": result, "value_number": number, "value_text": text,
                    "note": None, "recorded_at": recorded_at, "recorded_by_id": inspector,
                    "created_at": recorded_at, "updated_at": recorded_at})
                if result == "fail" and answer.photo_on_failure:
                    photos.append(self._photo(visit_id, finding_id, inspector, recorded_at))
        self._insert(Visit.__table__, visits)
        self._insert(Review.__table__, reviews)
        self._insert(visit_staff, on_duty)
        self._insert(Finding.__table__, findings)
        self._insert(Evidence.__table__, photos)

    def _photo(self, visit_id: uuid.UUID, finding_id: uuid.UUID, inspector: int,
               taken_at: dt.datetime) -> dict[str, Any]:
        """A photo row as an upload writes it, of a tablet's 12-megapixel JPEG."""
        rng = self.photo_rng
        photo_id = self._uuid(rng)
        key = f"synthetic/{visit_id}/{photo_id}"
        return {"id": photo_id, "visit_id": visit_id, "finding_id": finding_id,
                "object_key": f"{key}/original", "thumbnail_key": f"{key}/thumbnail.jpg",
                "sha256": f"{rng.getrandbits(256):064x}", "size": rng.randint(1_500_000, 4_500_000),
                "content_type": "image/jpeg", "width": 4032, "height": 3024, "taken_at": taken_at,
                "gps_lat": None, "gps_lon": None, "uploaded_by_id": inspector,
                "uploaded_at": taken_at + dt.timedelta(seconds=rng.randint(5, 90))}


def load_synthetic(sizes: Sizes, echo: Callable[[str], None] = print, progress: bool = True) -> Report:
    """Load a synthetic year in one transaction; AlreadyLoaded if the root exists."""
    started = time.perf_counter()
    if db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == ROOT_CODE)) is not None:
        visits = db.session.scalar(select(func.count()).select_from(Visit)) or 0
        raise AlreadyLoaded(
            f"synthetic data is already loaded (org unit {ROOT_CODE!r} exists; {visits} visits in the "
            "database). It is loaded once per database: use an empty database for another size.")
    if sizes.provinces < 1 or sizes.communes < sizes.provinces:
        raise ValueError("need at least one province and at least one commune per province")
    template = _checklist()
    if template is None:
        from .seed import load_demo

        echo("demo data not loaded; loading it first")
        load_demo(echo=echo)
        template = _checklist()
    if template is None:
        raise RuntimeError(f"the demo checklist {CHECKLIST} is missing even after loading the demo data")
    criteria = db.session.scalars(select(Criterion).where(Criterion.template_id == template.id)
                                  .order_by(Criterion.position)).all()
    if sizes.findings_per_visit > len(criteria):
        echo(f"--findings-per-visit {sizes.findings_per_visit} capped at the checklist's "
             f"{len(criteria)} criteria")
        sizes.findings_per_visit = len(criteria)
    report = Report(sizes=sizes)
    loader = SyntheticLoader(sizes, echo, progress)
    loader.checklist_id = template.id
    password, generated = loader.password()
    try:
        loader.org_tree()
        loader.users(password)
        loader.plans(template.id)
        db.session.flush()
        loader.visits(criteria)
        # Statistics first: planned on empty-table estimates, keeping the scores of a
        # national year ran for minutes (see _analyze).
        _analyze(list(loader.counts), commit=False)
        loader.keep_scores()
        report.counts = dict(loader.counts)
        report.insert_seconds = dict(loader.insert_seconds)
        record("seed_synthetic", "dataset", loader.root_id, actor_username="cli",
               after={"sizes": asdict(sizes), "rows": report.counts, "root": ROOT_CODE})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    report.analyze_seconds = _analyze(list(report.counts))
    if generated:
        path = Path(current_app.instance_path) / "synthetic-password.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(password + "\n", encoding="utf-8")
        path.chmod(0o600)
        report.password = password
        echo(f"password of national_leader, national_reviewer and syn_inspector_NN "
             f"(generated; also saved in {path}): {password}")
    report.seconds = time.perf_counter() - started
    return report


def _analyze(tables: list[str], *, commit: bool = True) -> float:
    """Refresh the planner's statistics for the tables just filled.

    Without it PostgreSQL plans the report queries on the empty-table estimates until
    autovacuum gets round to them (or never, where autovacuum is off): the national
    scores query then ran for more than 14 minutes instead of seconds."""
    started = time.perf_counter()
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        db.session.execute(text("ANALYZE " + ", ".join(f'"{name}"' for name in tables)))
    elif dialect == "sqlite":
        db.session.execute(text("ANALYZE"))
    if commit:
        db.session.commit()
    return time.perf_counter() - started


def _checklist() -> ChecklistTemplate | None:
    code, version = CHECKLIST
    return db.session.scalar(select(ChecklistTemplate).where(
        ChecklistTemplate.code == code, ChecklistTemplate.version == version,
        ChecklistTemplate.status == "published"))

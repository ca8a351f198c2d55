"""Visits and findings: offline-safe upserts, submission, and who may see what.

Every write locks the visit row first (SELECT ... FOR UPDATE on PostgreSQL; SQLite holds
the database write lock from BEGIN), so two tablets syncing the same visit queue up
instead of overwriting each other.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import uuid
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import BindParameter, Integer, Select, String, Uuid, bindparam, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload, selectinload, undefer
from sqlalchemy.orm.interfaces import ORMOption

from ..audit.service import Origin, record, snapshot
from ..scoping import in_subtree
from ..auth.models import User
from ..checklists.models import ChecklistTemplate, Criterion
from ..checklists.rules import parse_rule
from ..db import db, end_read, utcnow
from ..errors import Conflict, Forbidden, Invalid, NotFound, PreconditionRequired, TooLarge
from ..services import apply_changes, invalid_field
from ..org.models import Desk, Staff
from ..plans.models import Team, team_members
from ..sync import Cursor, Feed, FeedPage, pull
from ..timezone import VIETNAM_TZ
from .models import DeskPlace, Finding, FindingRow, Visit, VisitDetail, visit_staff

_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
# Fixed once the visit exists: findings depend on them.
IDENTITY_FIELDS = ("team_id", "desk_id", "checklist_id")
FIELD_NAMES_VI = {"team_id": "đoàn kiểm tra", "desk_id": "Bộ phận Một cửa",
                  "checklist_id": "bộ tiêu chí"}


def etag_of(visit: Visit | VisitDetail) -> str:
    return f'"v{visit.version}"'


def visit_snapshot(visit: Visit) -> dict[str, Any]:
    """The visit's own state for its audit events (its findings and reviews have theirs)."""
    return snapshot(visit, "id", "desk_id", "checklist_id", "team_id", "plan_id", "status", "version",
                    "started_at", "ended_at", "notes", "location", "created_by_id", "submitted_at",
                    "submitted_by_id", "created_at", "updated_at", staff_on_duty=visit.staff_on_duty_ids)


# --- visibility ----------------------------------------------------------------------

def _my_team_ids(actor: User):
    return select(team_members.c.team_id).where(team_members.c.user_id == actor.id)


def visible_visits(actor: User) -> Select:
    """Inspectors: their teams' visits. Reviewers, admins: their subtree. Leaders and
    unit officers: the approved visits of their subtree (they read results, not drafts;
    an inspected unit reads what its corrections come from). Reads only the actor's
    role, id and unit path: read_visit_detail builds it once per role with the id and
    path as bound parameters (_ActorParams)."""
    query = select(Visit)
    if actor.role == "inspector":
        return query.where(Visit.team_id.in_(_my_team_ids(actor)))
    query = query.join(Desk, Desk.id == Visit.desk_id).where(in_subtree(Desk.org_unit_id, actor))
    if actor.role in ("leader", "unit_officer"):
        query = query.where(Visit.status == "approved")
    return query


def _my_team_id_tuple(actor: User) -> tuple[int, ...]:
    if actor.role != "inspector":
        return ()
    return tuple(db.session.scalars(_my_team_ids(actor)))


def _reviews_with_notes():
    """Load a visit's reviews and their notes, in one statement (a note belongs to one
    review, so the join repeats nothing but the review's few columns). The Review class
    is reached through the relationship: the reviews package builds on visits, so visits
    does not import it."""
    review = Visit.reviews.property.mapper.class_
    return selectinload(Visit.reviews).joinedload(review.finding_notes)


def finding_options():
    """What a finding's answer shows (its criterion's code, its photos), read with the
    findings: one statement for them all, never one per finding (a finding has few
    photos, so the join repeats a finding's row only that many times)."""
    return (undefer(Finding.criterion_code), joinedload(Finding.evidence))


def visit_detail_options():
    """What a visit's detail shows, loaded with the visit for a write that checks it
    (submit, review): its desk (where its photos should have been taken) and its staff on duty joined
    to it (at most a desk's officials, and only their ids are shown), then its findings
    with their photos and criteria (submitting reads their photo rule, a review's
    corrections their severity and text), then its reviews with their notes. Three
    statements. What is shown, after a write as for a read, takes read_visit_detail's way."""
    return (*_visit_row_options(), _reviews_with_notes(),
            selectinload(Visit.findings).options(*finding_options(), joinedload(Finding.criterion, innerjoin=True)))


def _visit_row_options():
    return (joinedload(Visit.desk, innerjoin=True), joinedload(Visit.staff_on_duty))


# What the packages built on visits add to a visit's detail once it is loaded, in the
# same request (visits cannot import them; they register when the app is made): the
# evidence package reads what its photos' flags are judged on.
_detail_loaders: list[Callable[[User, Visit | VisitDetail], None]] = []


def on_visit_detail(loader: Callable[[User, Visit | VisitDetail], None]) -> None:
    """Call `loader(actor, visit)` after every detail load (once, however many apps)."""
    if loader not in _detail_loaders:
        _detail_loaders.append(loader)


VISIT_FEED = Feed(
    "visits", Visit, visible_visits,
    options=lambda: (selectinload(Visit.staff_on_duty), _reviews_with_notes()),
    # An inspector's visits follow their teams, not the tree: a desk moving elsewhere
    # changes nothing for them, leaving a team does (the cursor remembers the teams).
    follows_moves=lambda actor: actor.role != "inspector",
    groups=_my_team_id_tuple,
    in_groups=Visit.team_id.in_,
)


def pull_visits(actor: User, filters: dict[str, Any], cursor: Cursor | None, per_page: int) -> FeedPage:
    """Visits the actor may see, changed since `cursor` (filters: status, desk, team, plan,
    days in Vietnam time)."""
    conditions = []
    for key in ("status", "desk_id", "team_id", "plan_id"):
        if filters.get(key) is not None:
            conditions.append(getattr(Visit, key) == filters[key])
    if filters.get("date_from"):
        start = dt.datetime.combine(filters["date_from"], dt.time.min, VIETNAM_TZ)
        conditions.append(Visit.started_at >= start)
    if filters.get("date_to"):
        end = dt.datetime.combine(filters["date_to"] + dt.timedelta(days=1), dt.time.min, VIETNAM_TZ)
        conditions.append(Visit.started_at < end)
    return pull(VISIT_FEED, actor, conditions, filters, cursor, per_page)


def get_visit(actor: User, visit_id: uuid.UUID, *, for_update: bool = False, detail: bool = False,
              load: tuple[ORMOption, ...] = ()) -> Visit:
    """The visit if the actor may see it, else 404. `detail`: with everything its detail
    shows (findings, their criteria and photos, staff, reviews), read afresh even if
    this session holds it already (a commit expired it). `load`: what else the caller
    reads of it, joined to its row (a lock takes only the visit's row)."""
    query = visible_visits(actor).where(Visit.id == visit_id).options(*load)
    if for_update:
        query = query.with_for_update(of=Visit)
    if detail:
        query = query.options(*visit_detail_options()).execution_options(populate_existing=True)
    # unique(): the staff on duty are joined to the visit's row (detail).
    visit = db.session.scalars(query).unique().one_or_none()
    if visit is None:
        raise NotFound("Không tìm thấy buổi kiểm tra.")
    if detail:
        _run_detail_loaders(actor, visit)
    return visit


class _ActorParams:
    """An actor of one role whose id and unit path are bound parameters (`actor_id`,
    `actor_path`), for a statement built once and run for any actor of that role:
    visible_visits reads nothing else of its actor."""

    def __init__(self, role: str):
        self.role = role
        self.id: BindParameter[int] = bindparam("actor_id", type_=Integer)
        self.org_unit = SimpleNamespace(path=bindparam("actor_path", type_=String))


# What a visit's detail shows of the visit's own columns (VisitDetail's fields).
_VISIT_DETAIL_COLUMNS = tuple(name for name in VisitDetail.__dataclass_fields__ if name in Visit.__table__.c)


@functools.cache
def _detail_statements(role: str) -> tuple[Select, Select, Select]:
    """read_visit_detail's statements for actors of `role` (the visit, its findings with
    their photos, its reviews with their notes; `visit_id` bound): built once per
    process, not per request, which also lets SQLAlchemy find them in its compiled
    cache without walking them again. Constant: their shape depends on the role only."""
    review = Visit.reviews.property.mapper.class_
    evidence = Finding.evidence.property.mapper.class_
    visit_id = bindparam("visit_id", type_=Uuid)
    reviewed = select(review.id).where(review.visit_id == Visit.id).exists()
    # The visit's columns as values (VisitDetail's fields, in its order), its desk's
    # place, whether it was reviewed, and one row per official on duty (their ids are
    # what it shows; one row with none when there is none).
    desk = aliased(Desk)
    visit_columns = [Visit.__table__.c[name] for name in _VISIT_DETAIL_COLUMNS]
    visit = (visible_visits(cast(User, _ActorParams(role)))
             .with_only_columns(*visit_columns, desk.latitude, desk.longitude, reviewed, visit_staff.c.staff_id)
             .join(desk, desk.id == Visit.desk_id)
             .outerjoin(visit_staff, visit_staff.c.visit_id == Visit.id)
             .where(Visit.id == visit_id)
             .order_by(visit_staff.c.staff_id))  # Visit.staff_on_duty's order
    # The finding's columns as values (FindingRow's fields, in its order), then its
    # photo's (one row per photo; none: NULLs).
    finding_columns = [Finding.__table__.c[name] for name in FindingRow.__dataclass_fields__
                       if name not in ("criterion_code", "evidence")]
    findings = (select(*finding_columns, Finding.criterion_code, *evidence.__table__.c)
                .outerjoin(evidence, evidence.finding_id == Finding.id)
                .where(Finding.visit_id == visit_id)
                # The relationships' own orders: Visit.findings, then Finding.evidence.
                .order_by(Finding.recorded_at, Finding.id, evidence.uploaded_at))
    reviews = (select(review).where(review.visit_id == visit_id).order_by(review.round)
               .options(joinedload(review.finding_notes)).execution_options(populate_existing=True))
    return visit, findings, reviews


def read_visit_detail(actor: User, visit_id: uuid.UUID) -> VisitDetail:
    """The visit's detail as get_visit(detail=True) shows it, for an answer that changes
    nothing: a GET, or a write's answer once it has committed. The visit's columns with
    its desk's place and its staff's ids, then its findings (as FindingRows) with their
    photos, then its reviews with their notes. At most three statements, as
    get_visit(detail=True) sends, but without an ORM object for the visit, per finding
    or per criterion (only its code is shown) and without the ORM's per-relationship
    loaders, which cost several times the statements' own time on a visit's 38
    findings; the visit's row says whether it has reviews, so a visit never reviewed
    (every draft) sends two. Read afresh; the transaction ends here with COMMIT
    (end_read), so the answer is written outside it."""
    visit_query, findings_query, reviews_query = _detail_statements(actor.role)
    params: dict[str, Any] = {"visit_id": visit_id, "actor_id": actor.id}
    if actor.role != "inspector":
        params["actor_path"] = actor.org_unit.path
    rows = db.session.connection().execute(visit_query, params).all()
    if not rows:
        raise NotFound("Không tìm thấy buổi kiểm tra.")
    *columns, desk_latitude, desk_longitude, has_reviews, _ = rows[0]
    visit = VisitDetail(**dict(zip(_VISIT_DETAIL_COLUMNS, columns, strict=True)),
                        desk=DeskPlace(desk_latitude, desk_longitude),
                        staff_on_duty_ids=[row[-1] for row in rows if row[-1] is not None])
    findings = visit.findings
    evidence = Finding.evidence.property.mapper.class_
    photo_names = evidence.__table__.c.keys()
    shown = len(FindingRow.__dataclass_fields__) - 1
    # Fetched at once: row by row, the driver's per-fetch steps cost as much as the rows.
    for row in db.session.connection().execute(findings_query, {"visit_id": visit.id}).all():
        if not findings or findings[-1].id != row[0]:
            findings.append(FindingRow(*row[:shown]))
        if row[shown] is not None:
            # Made as the ORM would load it, outside the session: shown, never written.
            findings[-1].evidence.append(evidence(**dict(zip(photo_names, row[shown:], strict=True))))
    if has_reviews:
        visit.reviews = list(db.session.scalars(reviews_query, {"visit_id": visit.id}).unique())
    _run_detail_loaders(actor, visit)
    end_read()
    return visit


def _run_detail_loaders(actor: User, visit: Visit | VisitDetail) -> None:
    for loader in _detail_loaders:
        loader(actor, visit)


def _exists(visit_id: uuid.UUID) -> bool:
    return db.session.scalar(select(Visit.id).where(Visit.id == visit_id)) is not None


# --- visits --------------------------------------------------------------------------

def _check_references(actor: User, data: dict[str, Any],
                      on_duty_before: frozenset[int] = frozenset()) -> tuple[Team, Desk, list[Staff]]:
    """The team, desk, checklist and staff a visit names, checked. Staff already on duty
    in the stored visit stay acceptable after they move: that was true on the day."""
    # Each row with what the checks below read of it, so none of them sends a statement.
    team = db.session.get(Team, data["team_id"], options=(
        joinedload(Team.plan), selectinload(Team.members), selectinload(Team.desks).joinedload(Desk.org_unit)))
    if team is None or actor.id not in team.member_ids:
        raise invalid_field("team_id", "Bạn không phải thành viên của đoàn kiểm tra này.")
    desk = db.session.get(Desk, data["desk_id"], options=(joinedload(Desk.org_unit),))
    if desk is None or desk.id not in team.desk_ids:
        raise invalid_field("desk_id", "Bộ phận Một cửa này không được giao cho đoàn.")
    template = db.session.get(ChecklistTemplate, data["checklist_id"],
                              options=(joinedload(ChecklistTemplate.org_unit),))
    if (template is None or template.status != "published"
            or template.code != team.plan.checklist.code
            or template.org_unit_id != team.plan.checklist.org_unit_id
            or not template.applies_to(desk.org_unit)):
        raise invalid_field("checklist_id",
                           "Bộ tiêu chí không tồn tại, chưa ban hành, không thuộc kế hoạch hoặc "
                           "không do đơn vị của Bộ phận Một cửa (hoặc cấp trên) ban hành.")
    if data.get("ended_at") and data["ended_at"] < data["started_at"]:
        raise invalid_field("ended_at", "Giờ kết thúc phải sau giờ bắt đầu.")
    staff_ids = list(dict.fromkeys(data.get("staff_on_duty") or []))
    staff = db.session.scalars(select(Staff).where(Staff.id.in_(staff_ids))).all() if staff_ids else []
    by_id = {s.id: s for s in staff}
    wrong = {str(i): ["Cán bộ không thuộc đơn vị của Bộ phận Một cửa này."]
             for i, sid in enumerate(data.get("staff_on_duty") or [])
             if sid not in by_id or not (by_id[sid].serves(desk) or sid in on_duty_before)}
    if wrong:
        raise Invalid("Có cán bộ không thuộc đơn vị được kiểm tra.",
                      errors={"json": {"staff_on_duty": wrong}})
    return team, desk, [by_id[i] for i in staff_ids]


def _desired_state(data: dict[str, Any]) -> dict[str, Any]:
    location = data.get("location") or {}
    return {
        "team_id": data["team_id"],
        "desk_id": data["desk_id"],
        "checklist_id": data["checklist_id"],
        "started_at": data["started_at"].astimezone(dt.UTC),
        "ended_at": data["ended_at"].astimezone(dt.UTC) if data.get("ended_at") else None,
        "notes": data.get("notes"),
        "latitude": location.get("lat"),
        "longitude": location.get("lon"),
    }


def _current_state(visit: Visit) -> dict[str, Any]:
    return {key: getattr(visit, key) for key in (
        "team_id", "desk_id", "checklist_id", "started_at", "ended_at", "notes",
        "latitude", "longitude")}


def upsert_visit(actor: User, visit_id: uuid.UUID, data: dict[str, Any],
                 expected_version: int | None = None, *, origin: Origin | None = None,
                 ) -> tuple[VisitDetail, bool]:
    """Create the visit, or update it if the client based its edit on the current
    version (`data["version"]`, else `expected_version`: the If-Match of the request).
    Returns (its detail as read after the commit, created). Replaying the same body
    changes nothing."""
    try:
        return _upsert_visit(actor, visit_id, data, expected_version, origin)
    except IntegrityError:
        # Two requests created the same visit at once: the loser retries as an update.
        db.session.rollback()
        return _upsert_visit(actor, visit_id, data, expected_version, origin)


def _upsert_visit(actor: User, visit_id: uuid.UUID, data: dict[str, Any],
                  expected_version: int | None, origin: Origin | None) -> tuple[VisitDetail, bool]:
    if not _exists(visit_id):
        _create_visit(actor, visit_id, data, origin)
        return read_visit_detail(actor, visit_id), True
    # The staff on duty are compared below: read with the row, not by a statement of their own.
    visit = get_visit(actor, visit_id, for_update=True, load=(joinedload(Visit.staff_on_duty),))
    desired = _desired_state(data)
    desired_staff = list(dict.fromkeys(data.get("staff_on_duty") or []))
    if _current_state(visit) == desired and sorted(visit.staff_on_duty_ids) == sorted(desired_staff):
        db.session.rollback()
        return read_visit_detail(actor, visit_id), False  # a replay: nothing to do
    if not visit.editable:
        raise Conflict("Buổi kiểm tra đã nộp hoặc đã duyệt, không thể sửa.", current=visit)
    based_on = data.get("version")
    if based_on is None:
        based_on = expected_version
    if based_on is None:
        raise PreconditionRequired(
            "Cần gửi 'version' (hoặc If-Match) của bản đang sửa để tránh ghi đè.",
            current=visit)
    if based_on != visit.version:
        raise Conflict("Buổi kiểm tra đã được thay đổi ở nơi khác; hãy xem bản hiện tại.",
                       current=visit)
    for field in IDENTITY_FIELDS:
        if desired[field] != getattr(visit, field):
            raise invalid_field(field, f"Không thể đổi {FIELD_NAMES_VI[field]} của buổi kiểm tra đã tạo.")
    _, desk, staff = _check_references(actor, data, frozenset(visit.staff_on_duty_ids))
    before = visit_snapshot(visit)
    for key, value in desired.items():
        setattr(visit, key, value)
    visit.staff_on_duty = staff
    visit.version += 1
    visit.updated_by_id = actor.id
    visit.updated_at = utcnow()
    db.session.flush()
    record("update", "visit", visit.id, actor=actor, before=before, after=visit_snapshot(visit), origin=origin,
           scope_unit_id=desk.org_unit_id)
    db.session.commit()
    return read_visit_detail(actor, visit_id), False


def _create_visit(actor: User, visit_id: uuid.UUID, data: dict[str, Any], origin: Origin | None) -> None:
    if data.get("version") not in (None, 1):
        raise invalid_field("version", "Buổi kiểm tra chưa tồn tại trên máy chủ.")
    team, desk, staff = _check_references(actor, data)
    visit = Visit(id=visit_id, plan_id=team.plan_id, status="draft", version=1,
                  created_by_id=actor.id, updated_by_id=actor.id, **_desired_state(data))
    visit.staff_on_duty = staff
    db.session.add(visit)
    db.session.flush()
    record("create", "visit", visit.id, actor=actor, after=visit_snapshot(visit), origin=origin,
           scope_unit_id=desk.org_unit_id)
    db.session.commit()


# --- findings ------------------------------------------------------------------------

def _parse_value(criterion: Criterion, value: Any) -> tuple[Decimal | None, str | None, str | None]:
    """(number, text, error) for a value of the criterion's answer type."""
    if value is None:
        return None, None, None
    kind = criterion.answer_type
    if kind == "yes_no":
        return None, None, "Tiêu chí có/không chỉ ghi kết quả (pass/fail/na), không ghi giá trị."
    if kind == "count":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**9:
            return None, None, "Phải là số nguyên không âm, tối đa 1.000.000.000."
        return Decimal(value), None, None
    if kind == "percent":
        # Compared before any conversion: NaN and ±inf fail the comparison, and a
        # 5,000-digit integer never reaches str() (which refuses over 4,300 digits).
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not -1 < value < 101:
            return None, None, "Phải là số từ 0 đến 100."
        try:
            number = Decimal(str(value)).quantize(Decimal("0.01"))
        except InvalidOperation:
            return None, None, "Phải là số từ 0 đến 100."
        if not Decimal(0) <= number <= Decimal(100):
            return None, None, "Phải là số từ 0 đến 100."
        return number, None, None
    if kind == "time":
        if not isinstance(value, str) or not _TIME.match(value):
            return None, None, "Phải là giờ dạng HH:MM."
        return None, value, None
    if not isinstance(value, str) or len(value) > 2000:
        return None, None, "Phải là chuỗi tối đa 2000 ký tự."
    return None, value, None


def _derive_result(criterion: Criterion, number: Decimal | None, text: str | None, desk: Desk) -> str | None:
    if criterion.pass_rule is None:
        return None
    rule = parse_rule(criterion.pass_rule)
    if criterion.answer_type == "time":
        if text is None:
            return None
        hours, minutes = map(int, text.split(":"))
        return "pass" if rule.passes(dt.time(hours, minutes), desk) else "fail"
    if number is None:
        return None
    return "pass" if rule.passes(number) else "fail"


def _check_finding(item: dict[str, Any], criterion: Criterion | None, visit: Visit,
                   staff_by_id: dict[int, Staff], stored: Finding | None = None,
                   ) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """Errors by field, and the row values if there are none. An official the stored
    finding already names was checked when it was recorded: moving them since does not
    make a retried or corrected answer wrong."""
    errors: dict[str, list[str]] = {}
    if criterion is None:
        return {"criterion_id": ["Tiêu chí không thuộc bộ tiêu chí của buổi kiểm tra."]}, {}
    number, text, value_error = _parse_value(criterion, item.get("value"))
    if value_error:
        errors["value"] = [value_error]
    result = item.get("result")
    if result is None and not value_error:
        result = _derive_result(criterion, number, text, visit.desk)
    if result is None and not value_error:
        errors["result"] = ["Cần ghi kết quả (pass/fail/na) hoặc giá trị."]
    staff_id = item.get("staff_id")
    if staff_id is not None:
        staff = staff_by_id.get(staff_id)
        if criterion.subject != "staff":
            errors["staff_id"] = ["Tiêu chí này đánh giá đơn vị, không gắn với cá nhân."]
        elif staff is None or (not staff.serves(visit.desk)
                               and (stored is None or stored.staff_id != staff_id)):
            errors["staff_id"] = ["Cán bộ không thuộc đơn vị được kiểm tra."]
    elif criterion.subject == "staff" and result == "fail":
        errors["staff_id"] = ["Kết quả không đạt về cá nhân phải ghi rõ cán bộ vi phạm."]
    row = {"criterion_id": criterion.id, "staff_id": staff_id, "result": result,
           "value_number": number, "value_text": text, "note": item.get("note"),
           "recorded_at": item["recorded_at"].astimezone(dt.UTC)}
    return errors, row


def sync_findings(actor: User, visit_id: uuid.UUID, items: list[dict[str, Any]], *,
                  max_findings: int, origin: Origin | None = None) -> dict[str, Any]:
    """Upsert a batch of findings by their UUIDs: all of it, or (422) none of it.
    `max_findings`: the most one batch may hold (SYNC_MAX_FINDINGS)."""
    if len(items) > max_findings:
        raise TooLarge(f"Mỗi lần đồng bộ tối đa {max_findings} kết quả; hãy chia nhỏ.")
    # Its desk decides time rules and who serves there: read with the row.
    visit = get_visit(actor, visit_id, for_update=True, load=(joinedload(Visit.desk, innerjoin=True),))
    if not visit.editable:
        raise Conflict("Buổi kiểm tra đã nộp hoặc đã duyệt, không thể sửa kết quả.", current=visit)
    ids = [item["id"] for item in items]
    # The batch's stored findings (some may be another visit's) and the visit's others, in
    # one statement: the batch is checked against both.
    loaded = db.session.scalars(select(Finding).where(or_(Finding.id.in_(ids), Finding.visit_id == visit.id))).all()
    batch_ids = set(ids)
    existing = {f.id: f for f in loaded if f.id in batch_ids}
    others = [f for f in loaded if f.visit_id == visit.id and f.id not in batch_ids]
    rows = _checked_rows(visit, items, existing, others)
    changes = _apply_rows(actor, visit, rows, existing)
    version = visit.version  # a batch does not change it; read before the commit expires it
    if changes:
        visit.updated_at = utcnow()
        db.session.flush()  # takes the change clock's lock, held until the commit
        # The event's unit is the locked visit's desk's, read with it: no statement
        # while every other writer waits on the clock.
        record("sync_findings", "visit", visit.id, actor=actor,
               after={"changed": len(changes), "findings": changes}, origin=origin,
               scope_unit_id=visit.desk.org_unit_id)
        db.session.commit()
    else:
        db.session.rollback()
    saved = db.session.scalars(select(Finding).where(Finding.id.in_(ids)).options(*finding_options())
                               .execution_options(populate_existing=True)).unique().all()
    order = {finding_id: i for i, finding_id in enumerate(ids)}
    return {"visit_id": visit_id, "visit_version": version, "changed": len(changes),
            "findings": sorted(saved, key=lambda f: order[f.id])}


def _checked_rows(visit: Visit, items: list[dict[str, Any]], existing: dict[uuid.UUID, Finding],
                  others: list[Finding]) -> list[tuple[uuid.UUID, dict[str, Any]]]:
    """The row values of every item; or 422 naming each bad item, and nothing written.
    `others`: the visit's findings that are not in the batch."""
    # The criteria the batch names, of the visit's checklist (not all of its ~40).
    criteria = {c.id: c for c in db.session.scalars(
        select(Criterion).where(Criterion.template_id == visit.checklist_id,
                                Criterion.id.in_({i["criterion_id"] for i in items})))}
    staff_ids = {i["staff_id"] for i in items if i.get("staff_id") is not None}
    staff_by_id = ({s.id: s for s in db.session.scalars(select(Staff).where(Staff.id.in_(staff_ids)))}
                   if staff_ids else {})
    # Who answers which (criterion, staff) slot once this batch is applied.
    slots = {(f.criterion_id, f.staff_id): f.id for f in others}
    errors: dict[str, Any] = {}
    rows: list[tuple[uuid.UUID, dict[str, Any]]] = []
    seen: set[uuid.UUID] = set()
    for index, item in enumerate(items):
        stored = existing.get(item["id"])
        item_errors, row = _check_finding(item, criteria.get(item["criterion_id"]), visit, staff_by_id,
                                          stored if stored is not None and stored.visit_id == visit.id else None)
        item_errors = _batch_errors(item["id"], stored, visit, seen, item_errors)
        if not item_errors:
            item_errors = _slot_taken(item["id"], row, slots)
        if item_errors:
            errors[str(index)] = item_errors
        else:
            rows.append((item["id"], row))
    if errors:
        db.session.rollback()
        raise Invalid("Lô kết quả có mục không hợp lệ; không mục nào được ghi.",
                      errors={"json": {"findings": errors}})
    return rows


def _batch_errors(finding_id: uuid.UUID, stored: Finding | None, visit: Visit, seen: set[uuid.UUID],
                  errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """`errors` plus what is wrong with the item's id: repeated in the batch, or another
    visit's finding."""
    if finding_id in seen:
        errors.setdefault("id", []).append("Mã kết quả bị lặp trong cùng lô.")
    seen.add(finding_id)
    if stored is not None and stored.visit_id != visit.id:
        errors.setdefault("id", []).append("Mã kết quả đã thuộc buổi kiểm tra khác.")
    return errors


def _slot_taken(finding_id: uuid.UUID, row: dict[str, Any],
                slots: dict[tuple[int, int | None], uuid.UUID]) -> dict[str, list[str]]:
    """Claim the row's (criterion, staff) slot; an error if another finding holds it."""
    holder = slots.setdefault((row["criterion_id"], row["staff_id"]), finding_id)
    if holder == finding_id:
        return {}
    return {"criterion_id": [f"Đã có kết quả khác ({holder}) cho tiêu chí này"
                             + (" và cán bộ này." if row["staff_id"] else ".")]}


def _apply_rows(actor: User, visit: Visit, rows: list[tuple[uuid.UUID, dict[str, Any]]],
                existing: dict[uuid.UUID, Finding]) -> list[dict[str, Any]]:
    """Write the checked rows; the changes, as the audit event lists them (replays: none)."""
    changes = []
    for finding_id, row in rows:
        finding = existing.get(finding_id)
        if finding is None:
            db.session.add(Finding(id=finding_id, visit_id=visit.id, recorded_by_id=actor.id, **row))
            changes.append({"id": str(finding_id), "before": None, "after": row})
            continue
        before = {key: getattr(finding, key) for key in row}
        if apply_changes(finding, row):
            finding.recorded_by_id = actor.id
            changes.append({"id": str(finding_id), "before": before, "after": row})
    return changes


# --- submission ----------------------------------------------------------------------

def unanswered_criteria(visit: Visit) -> list[Criterion]:
    answered = {f.criterion_id for f in visit.findings}
    criteria = db.session.scalars(select(Criterion).where(Criterion.template_id == visit.checklist_id)
                                  .order_by(Criterion.position))
    return [c for c in criteria if c.id not in answered]


def failures_without_photo(visit: Visit) -> list[Finding]:
    """Failing findings whose criterion requires a photo, and that have none yet."""
    return [f for f in visit.findings
            if f.result == "fail" and f.criterion.photo == "required" and not f.evidence]


def submit_visit(actor: User, visit_id: uuid.UUID, *, origin: Origin | None = None) -> VisitDetail:
    """Hand the visit to the reviewers; 422 lists every criterion still unanswered. Returns
    its detail as read after the commit."""
    visit = get_visit(actor, visit_id, for_update=True, detail=True)
    if actor.id not in visit.team.member_ids:
        raise Forbidden("Chỉ thành viên đoàn kiểm tra được nộp buổi kiểm tra.")
    if not visit.editable:
        raise Conflict("Buổi kiểm tra đã được nộp hoặc đã duyệt.", current=visit)
    missing = unanswered_criteria(visit)
    unphotographed = failures_without_photo(visit)
    if missing or unphotographed:
        parts = []
        if missing:
            parts.append(f"còn {len(missing)} tiêu chí chưa có kết quả")
        if unphotographed:
            parts.append(f"{len(unphotographed)} kết quả không đạt bắt buộc có ảnh minh chứng chưa có ảnh")
        raise Invalid(
            "Chưa thể nộp: " + "; ".join(parts) + ".",
            missing=[{"criterion_id": c.id, "code": c.code, "text": c.text} for c in missing],
            missing_evidence=[{"finding_id": str(f.id), "criterion_id": f.criterion_id,
                               "code": f.criterion.code, "staff_id": f.staff_id}
                              for f in unphotographed],
        )
    before = visit_snapshot(visit)
    visit.status = "submitted"
    visit.submitted_at = utcnow()
    visit.submitted_by_id = actor.id
    visit.version += 1
    visit.updated_at = utcnow()
    visit.updated_by_id = actor.id
    db.session.flush()
    record("submit", "visit", visit.id, actor=actor, before=before, after=visit_snapshot(visit), origin=origin,
           scope_unit_id=visit.desk.org_unit_id)
    db.session.commit()
    return read_visit_detail(actor, visit_id)


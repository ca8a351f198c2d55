"""Corrections (khắc phục): made when a review approves a visit, followed until verified.

- A review decides (reviews.service.decide calls `follow_decision` in its transaction):
  approving makes a correction of every failing finding that is not voided (unit- and
  staff-level), due by severity (CORRECTION_DAYS_*); a void withdraws the correction, an
  un-void in a later approving round reopens it; approving again never duplicates.
- The inspected unit (role unit_officer, scoped to its unit) reports each correction with
  a note and photos; a reviewer accepts the report or asks for a re-check; an inspector
  re-checks at the next visit (fixed / not fixed, with a photo). Reports and checks are
  rows of their own, each identified by the client's UUID, so a retry records nothing
  twice.
- Every change is audited against the correction's unit; `version` guards stale writes.

This module knows nothing of the reviews package (which calls it) and nothing of HTTP.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any

from sqlalchemy import ColumnElement, Select, and_, case, func, not_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..audit.service import Origin, record, snapshot
from ..auth.models import User
from ..db import db, utcnow
from ..errors import AppError, Conflict, Forbidden, Invalid, NotFound
from ..evidence.service import StoredPhoto, UploadLimits, remove_objects, remove_photo, store_photo
from ..org.models import Desk, OrgUnit
from ..plans.models import team_desks, team_members
from ..scoping import in_subtree
from ..sync import Cursor, Feed, FeedPage, pull
from ..timezone import VIETNAM_TZ
from ..visits.models import Finding, Visit
from ..visits.service import visible_visits
from .models import (
    ACTIVE_STATUSES, CLOSED_STATUSES, RECHECK_OUTCOMES, REVIEW_OUTCOMES, WITHDRAWN_NOT_FAILING,
    WITHDRAWN_VOIDED, Correction, CorrectionPhoto, CorrectionReport, CorrectionVerification,
    vietnam_today,
)

REVIEWER_ROLES = ("reviewer", "admin")
UNIT_ROLE = "unit_officer"


@dataclass(frozen=True)
class CorrectionDays:
    """Days a unit has to fix a failure, by severity (CORRECTION_DAYS_CRITICAL, _MAJOR,
    _MINOR), counted from the day the visit is approved (Vietnam time)."""

    critical: int
    major: int
    minor: int

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> CorrectionDays:
        return cls(settings["CORRECTION_DAYS_CRITICAL"], settings["CORRECTION_DAYS_MAJOR"],
                   settings["CORRECTION_DAYS_MINOR"])

    def deadline(self, severity: str, approved_on: dt.date) -> dt.date:
        return approved_on + dt.timedelta(days=getattr(self, severity))


@dataclass(frozen=True)
class Adjustment:
    """What the deciding review round says of one finding: voided, or a new severity."""

    voided: bool = False
    severity: str | None = None


def correction_snapshot(correction: Correction) -> dict[str, Any]:
    return snapshot(correction, "id", "finding_id", "visit_id", "desk_id", "org_unit_id", "staff_id",
                    "criterion_code", "severity", "approved_on", "deadline", "status", "withdrawn_reason",
                    "version", "updated_at")


def photo_snapshot(photo: CorrectionPhoto) -> dict[str, Any]:
    return snapshot(photo, "id", "correction_id", "sha256", "size", "content_type", "width", "height",
                    "taken_at", "gps", "uploaded_at", uploaded_by=photo.uploaded_by_id)


# --- made by reviews -------------------------------------------------------------------

def follow_decision(actor: User, visit: Visit, decision: str, adjustments: Mapping[uuid.UUID, Adjustment],
                    days: CorrectionDays, *, origin: Origin | None = None) -> None:
    """Bring the visit's corrections in line with a review round that was just decided
    (in the caller's transaction; it commits them). `adjustments`: the round's notes in
    force, by finding."""
    existing = {c.finding_id: c for c in db.session.scalars(
        select(Correction).where(Correction.visit_id == visit.id))}
    failing = [f for f in visit.findings if f.result == "fail"]
    today = vietnam_today()
    for finding in failing:
        adjustment = adjustments.get(finding.id, Adjustment())
        correction = existing.get(finding.id)
        if adjustment.voided:
            if correction is not None and correction.status in ACTIVE_STATUSES:
                _withdraw(actor, correction, WITHDRAWN_VOIDED, origin)
            continue
        if decision != "approve":
            continue
        severity = adjustment.severity or finding.criterion.severity
        if correction is None:
            _create(actor, visit, finding, severity, today, days, origin)
        elif correction.status == "withdrawn":
            _change(actor, correction, "reopen", origin, status="open", withdrawn_reason=None,
                    severity=severity, approved_on=today, deadline=days.deadline(severity, today))
        elif correction.severity != severity and correction.status in ACTIVE_STATUSES:
            _change(actor, correction, "update", origin, severity=severity)
    if decision == "approve":
        still_failing = {f.id for f in failing}
        for finding_id, correction in existing.items():
            if finding_id not in still_failing and correction.status in ACTIVE_STATUSES:
                _withdraw(actor, correction, WITHDRAWN_NOT_FAILING, origin)


def _create(actor: User, visit: Visit, finding: Finding, severity: str, today: dt.date,
            days: CorrectionDays, origin: Origin | None) -> None:
    correction = Correction(
        finding_id=finding.id, visit_id=visit.id, desk_id=visit.desk_id, org_unit_id=visit.desk.org_unit_id,
        staff_id=finding.staff_id, criterion_id=finding.criterion_id, criterion_code=finding.criterion.code,
        criterion_text=finding.criterion.text, finding_note=finding.note, severity=severity,
        approved_on=today, deadline=days.deadline(severity, today), status="open", version=1,
        created_by_id=actor.id, updated_by_id=actor.id)
    db.session.add(correction)
    db.session.flush()
    record("create", "correction", correction.id, actor=actor, after=correction_snapshot(correction),
           origin=origin)


def _withdraw(actor: User, correction: Correction, reason: str, origin: Origin | None) -> None:
    _change(actor, correction, "withdraw", origin, status="withdrawn", withdrawn_reason=reason)


def _change(actor: User, correction: Correction, action: str, origin: Origin | None,
            extra: dict[str, Any] | None = None, **values: Any) -> None:
    before = correction_snapshot(correction)
    for key, value in values.items():
        setattr(correction, key, value)
    correction.version += 1
    correction.updated_by_id = actor.id
    correction.updated_at = utcnow()
    db.session.flush()
    record(action, "correction", correction.id, actor=actor, before=before,
           after={**correction_snapshot(correction), **(extra or {})}, origin=origin)


# --- who sees what -------------------------------------------------------------------

def _my_desk_ids(actor: User) -> Select:
    return (select(team_desks.c.desk_id)
            .join(team_members, team_members.c.team_id == team_desks.c.team_id)
            .where(team_members.c.user_id == actor.id))


def visible_corrections(actor: User) -> Select:
    """Inspectors: the corrections of the desks their teams are assigned (they re-check
    them there). Everyone else: their subtree, by the desk's unit (a unit officer: their
    own unit's, since their unit is where their subtree starts)."""
    query = select(Correction)
    if actor.role == "inspector":
        return query.where(Correction.desk_id.in_(_my_desk_ids(actor)))
    return query.join(Desk, Desk.id == Correction.desk_id).where(in_subtree(Desk.org_unit_id, actor))


def _detail_options():
    return (selectinload(Correction.reports).selectinload(CorrectionReport.photos),
            selectinload(Correction.verifications).selectinload(CorrectionVerification.photos))


def get_correction(actor: User, correction_id: int, *, for_update: bool = False) -> Correction:
    query = visible_corrections(actor).where(Correction.id == correction_id)
    if for_update:
        query = query.with_for_update(of=Correction)
    correction = db.session.scalar(query)
    if correction is None:
        raise NotFound("Không tìm thấy yêu cầu khắc phục.")
    return correction


def _overdue(today: dt.date) -> ColumnElement[bool]:
    return and_(Correction.status.not_in(CLOSED_STATUSES), Correction.deadline < today)


def list_corrections(actor: User, filters: Mapping[str, Any]) -> tuple[Select, list[tuple[Any, bool]]]:
    """The corrections the actor sees, filtered (unit, desk, status, overdue, due on or
    before a day), and the order to page them in: overdue first, then by deadline."""
    today = vietnam_today()
    query = visible_corrections(actor).options(*_detail_options())
    if filters.get("org_unit_id") is not None:
        query = query.where(Correction.org_unit_id == filters["org_unit_id"])
    if filters.get("desk_id") is not None:
        query = query.where(Correction.desk_id == filters["desk_id"])
    if filters.get("status") is not None:
        query = query.where(Correction.status == filters["status"])
    if filters.get("overdue") is not None:
        query = query.where(_overdue(today) if filters["overdue"] else not_(_overdue(today)))
    if filters.get("due_before") is not None:
        query = query.where(Correction.deadline <= filters["due_before"])
    overdue_first = case((_overdue(today), 0), else_=1).label("overdue_rank")
    return query, [(overdue_first, False), (Correction.deadline, False), (Correction.id, False)]


def _my_desk_tuple(actor: User) -> tuple[int, ...]:
    if actor.role != "inspector":
        return ()
    return tuple(db.session.scalars(_my_desk_ids(actor).distinct()))


CORRECTION_FEED = Feed(
    "corrections", Correction, visible_corrections,
    options=_detail_options,
    # An inspector's corrections follow the desks of their teams (the cursor remembers
    # them: a desk taken off their teams sends tombstones, a desk added starts afresh);
    # everyone else's follow the tree, moves included.
    follows_moves=lambda actor: actor.role != "inspector",
    groups=_my_desk_tuple,
    in_groups=Correction.desk_id.in_,
)


def pull_corrections(actor: User, filters: dict[str, Any], cursor: Cursor | None, per_page: int) -> FeedPage:
    """The corrections still owed (open, reported, not fixed) that the actor sees, changed
    since `cursor`; one verified or withdrawn since arrives as a tombstone."""
    conditions: list[ColumnElement[bool]] = [Correction.status.in_(ACTIVE_STATUSES)]
    if filters.get("desk_id") is not None:
        conditions.append(Correction.desk_id == filters["desk_id"])
    return pull(CORRECTION_FEED, actor, conditions, filters, cursor, per_page)


# --- photos --------------------------------------------------------------------------

def _may_add_photos(actor: User) -> None:
    if actor.role not in (UNIT_ROLE, "inspector"):
        raise Forbidden("Chỉ đơn vị được kiểm tra (báo cáo) hoặc kiểm tra viên (kiểm tra lại) "
                        "được gửi ảnh khắc phục.")


def upload_photo(actor: User, correction_id: int, photo_id: uuid.UUID, media_type: str, stream: IO[bytes],
                 declared_sha256: str | None, *, limits: UploadLimits,
                 origin: Origin | None = None) -> tuple[CorrectionPhoto, bool]:
    """Store one photo for a correction, checked as a finding's photo is. Returns (photo,
    created); the same bytes again give the same record, other bytes 409."""
    _may_add_photos(actor)
    correction = get_correction(actor, correction_id)
    if correction.status not in ACTIVE_STATUSES:
        raise Conflict("Yêu cầu khắc phục đã kết thúc; không thể thêm ảnh.")
    existing = db.session.get(CorrectionPhoto, photo_id)
    if existing is not None and existing.correction_id != correction.id:
        raise Conflict("Mã ảnh đã được dùng cho yêu cầu khắc phục khác.")
    # No transaction stays open while the body arrives (see evidence.service).
    db.session.rollback()
    stored = store_photo(stream, media_type, declared_sha256, limits=limits,
                         key_base=lambda sha256: f"corrections/{correction_id}/{photo_id}/{sha256[:16]}")
    try:
        return _insert_photo(actor, correction_id, photo_id, stored, origin)
    except AppError:
        remove_photo(stored)
        raise
    except IntegrityError:
        db.session.rollback()
        existing = db.session.get(CorrectionPhoto, photo_id)
        if existing is not None and existing.sha256 == stored.sha256 and existing.correction_id == correction_id:
            return existing, False  # a concurrent upload of the same photo won; same keys
        remove_photo(stored)
        raise Conflict("Mã ảnh đã được dùng cho ảnh khác; hãy dùng mã mới.", current=existing) from None


def _insert_photo(actor: User, correction_id: int, photo_id: uuid.UUID, stored: StoredPhoto,
                  origin: Origin | None) -> tuple[CorrectionPhoto, bool]:
    existing = db.session.get(CorrectionPhoto, photo_id)
    if existing is not None:
        if existing.sha256 == stored.sha256 and existing.correction_id == correction_id:
            return existing, False  # a retry: the same bytes went to the same keys
        raise Conflict("Mã ảnh đã có với nội dung khác; hãy dùng mã mới cho ảnh mới.", current=existing)
    facts = stored.facts
    photo = CorrectionPhoto(
        id=photo_id, correction_id=correction_id, object_key=stored.keys["original"],
        thumbnail_key=stored.keys["thumbnail"], sha256=stored.sha256, size=stored.size,
        content_type=stored.media_type, width=facts.width, height=facts.height, taken_at=facts.taken_at,
        gps_lat=facts.gps_lat, gps_lon=facts.gps_lon, uploaded_by_id=actor.id, uploaded_at=utcnow())
    db.session.add(photo)
    db.session.flush()
    record("upload_photo", "correction", correction_id, actor=actor, after=photo_snapshot(photo), origin=origin)
    db.session.commit()
    return photo, True


def get_photo(actor: User, correction_id: int, photo_id: uuid.UUID) -> CorrectionPhoto:
    get_correction(actor, correction_id)  # 404 outside the actor's view
    photo = db.session.get(CorrectionPhoto, photo_id)
    if photo is None or photo.correction_id != correction_id:
        raise NotFound("Không tìm thấy ảnh khắc phục.")
    return photo


def discard_photos(actor: User, correction_id: int, photo_ids: list[uuid.UUID], *,
                   origin: Origin | None = None) -> None:
    """Take back photos the actor uploaded for a report that then failed (another photo
    refused, a stale version): rows first, then their objects, so a report that was not
    made leaves nothing behind. Photos a report or a check already cites stay."""
    get_correction(actor, correction_id)  # 404 outside the actor's view
    photos = list(db.session.scalars(select(CorrectionPhoto).where(
        CorrectionPhoto.id.in_(photo_ids), CorrectionPhoto.correction_id == correction_id,
        CorrectionPhoto.uploaded_by_id == actor.id, CorrectionPhoto.report_id.is_(None),
        CorrectionPhoto.verification_id.is_(None))))
    if not photos:
        db.session.rollback()
        return
    keys = [key for photo in photos for key in (photo.object_key, photo.thumbnail_key)]
    for photo in photos:
        record("discard_photo", "correction", correction_id, actor=actor, before=photo_snapshot(photo),
               origin=origin)
        db.session.delete(photo)
    db.session.commit()
    remove_objects(keys)


def _claim_photos(actor: User, correction: Correction, photo_ids: list[uuid.UUID]) -> list[CorrectionPhoto]:
    """The photos a report or a check cites: this correction's, uploaded by the actor,
    not yet cited by anything else. 422 naming each one that is not."""
    found = {p.id: p for p in db.session.scalars(select(CorrectionPhoto).where(CorrectionPhoto.id.in_(photo_ids)))}
    errors: dict[str, list[str]] = {}
    for index, photo_id in enumerate(photo_ids):
        photo = found.get(photo_id)
        if photo is None or photo.correction_id != correction.id:
            errors[str(index)] = ["Không có ảnh này của yêu cầu khắc phục; hãy gửi ảnh trước."]
        elif photo.uploaded_by_id != actor.id:
            errors[str(index)] = ["Ảnh không do bạn gửi."]
        elif photo.report_id is not None or photo.verification_id is not None:
            errors[str(index)] = ["Ảnh đã được dùng cho một báo cáo hoặc lần kiểm tra khác."]
    if len(set(photo_ids)) != len(photo_ids):
        errors.setdefault("", []).append("Một ảnh chỉ được nêu một lần.")
    if errors:
        raise Invalid("Có ảnh không dùng được.", errors={"json": {"photo_ids": errors}})
    return [found[i] for i in photo_ids]


def _check_version(correction: Correction, version: int | None) -> None:
    if version is not None and version != correction.version:
        raise Conflict("Yêu cầu khắc phục đã thay đổi từ khi bạn mở; hãy xem bản hiện tại.",
                       current=correction)


# --- the unit reports ----------------------------------------------------------------

def report_correction(actor: User, correction_id: int, data: Mapping[str, Any], *,
                      origin: Origin | None = None) -> Correction:
    """The unit reports what it fixed (note and photos): open or not fixed → reported.
    Sending the same report (its id) again changes nothing."""
    if actor.role != UNIT_ROLE:
        raise Forbidden("Chỉ cán bộ của đơn vị được kiểm tra được báo cáo khắc phục.")
    correction = get_correction(actor, correction_id, for_update=True)
    replay = db.session.get(CorrectionReport, data["id"])
    if replay is not None:
        if replay.correction_id != correction.id:
            raise Conflict("Mã báo cáo đã được dùng cho yêu cầu khắc phục khác.")
        db.session.rollback()
        return _loaded(correction.id)
    _check_version(correction, data.get("version"))
    if correction.status not in ("open", "not_fixed"):
        raise Conflict("Yêu cầu khắc phục không ở trạng thái chờ báo cáo.", current=correction)
    note = data["note"].strip()
    if not note:
        raise Invalid("Cần ghi nội dung đã khắc phục.", errors={"json": {"note": ["Bắt buộc."]}})
    photos = _claim_photos(actor, correction, list(data["photo_ids"]))
    report = CorrectionReport(id=data["id"], correction_id=correction.id, note=note, reported_at=utcnow(),
                              reported_by_id=actor.id)
    db.session.add(report)
    db.session.flush()
    for photo in photos:
        photo.report_id = report.id
    _change(actor, correction, "report", origin, status="reported",
            extra={"report": {"id": str(report.id), "note": note, "photo_ids": [str(p.id) for p in photos]}})
    db.session.commit()
    return _loaded(correction.id)


# --- checks --------------------------------------------------------------------------

def verify_correction(actor: User, correction_id: int, data: Mapping[str, Any], *,
                      origin: Origin | None = None) -> Correction:
    """A reviewer accepts the unit's report (→ verified) or asks for a re-check (→ open,
    with a note); an inspector re-checks at the desk: fixed (→ verified) or not fixed
    (→ not_fixed), with a photo. Sending the same check (its id) again changes nothing."""
    outcome = data["outcome"]
    if outcome in REVIEW_OUTCOMES and actor.role not in REVIEWER_ROLES:
        raise Forbidden("Chỉ thẩm định viên được chấp nhận báo cáo khắc phục hoặc yêu cầu kiểm tra lại.")
    if outcome in RECHECK_OUTCOMES and actor.role != "inspector":
        raise Forbidden("Chỉ kiểm tra viên được ghi kết quả kiểm tra lại tại Bộ phận Một cửa.")
    correction = get_correction(actor, correction_id, for_update=True)
    replay = db.session.get(CorrectionVerification, data["id"])
    if replay is not None:
        if replay.correction_id != correction.id or replay.outcome != outcome:
            raise Conflict("Mã kiểm tra đã được dùng cho một lần kiểm tra khác.")
        db.session.rollback()
        return _loaded(correction.id)
    _check_version(correction, data.get("version"))
    note = (data.get("note") or "").strip() or None
    photo_ids = list(data.get("photo_ids") or [])
    visit_id = None
    if outcome in REVIEW_OUTCOMES:
        if correction.status != "reported":
            raise Conflict("Chưa có báo cáo khắc phục chờ xem xét.", current=correction)
        if outcome == "recheck" and note is None:
            raise Invalid("Yêu cầu kiểm tra lại phải ghi rõ lý do.", errors={"json": {"note": ["Bắt buộc."]}})
        if data.get("visit_id") is not None:
            raise Invalid("Chỉ lần kiểm tra lại tại Bộ phận Một cửa gắn với buổi kiểm tra.",
                          errors={"json": {"visit_id": ["Không dùng khi xem xét báo cáo."]}})
        method, status = "review", "verified" if outcome == "accept" else "open"
    else:
        if correction.status not in ACTIVE_STATUSES:
            raise Conflict("Yêu cầu khắc phục đã kết thúc.", current=correction)
        if not photo_ids:
            raise Invalid("Kết quả kiểm tra lại cần ít nhất một ảnh chụp tại chỗ.",
                          errors={"json": {"photo_ids": ["Cần ít nhất một ảnh."]}})
        visit_id = _recheck_visit(actor, correction, data.get("visit_id"))
        method, status = "recheck", "verified" if outcome == "fixed" else "not_fixed"
    photos = _claim_photos(actor, correction, photo_ids) if photo_ids else []
    check = CorrectionVerification(id=data["id"], correction_id=correction.id, method=method, outcome=outcome,
                                   note=note, visit_id=visit_id, status_after=status, verified_at=utcnow(),
                                   verified_by_id=actor.id)
    db.session.add(check)
    db.session.flush()
    for photo in photos:
        photo.verification_id = check.id
    _change(actor, correction, "verify", origin, status=status, extra={"verification": {
        "id": str(check.id), "method": method, "outcome": outcome, "note": note,
        "visit_id": str(visit_id) if visit_id else None, "photo_ids": [str(p.id) for p in photos]}})
    db.session.commit()
    return _loaded(correction.id)


def _recheck_visit(actor: User, correction: Correction, visit_id: uuid.UUID | None) -> uuid.UUID | None:
    """The visit a re-check was made during, if named: one of the inspector's, at the
    correction's desk."""
    if visit_id is None:
        return None
    visit = db.session.scalar(visible_visits(actor).where(Visit.id == visit_id))
    if visit is None or visit.desk_id != correction.desk_id:
        raise Invalid("Buổi kiểm tra không phải của đoàn bạn tại Bộ phận Một cửa này.",
                      errors={"json": {"visit_id": ["Không phù hợp."]}})
    return visit.id


def _loaded(correction_id: int) -> Correction:
    """The correction as committed, with its reports and checks."""
    return db.session.scalars(select(Correction).where(Correction.id == correction_id)
                              .options(*_detail_options())).one()


# --- a unit's record -------------------------------------------------------------------

@dataclass(frozen=True)
class CorrectionTally:
    """Corrections in one state: still within their deadline or past it (for verified
    ones: fixed by the deadline, or after it)."""

    on_time: int = 0
    late: int = 0

    @property
    def total(self) -> int:
        return self.on_time + self.late


@dataclass(frozen=True)
class CorrectionRecord:
    """How a unit fixed what the period's visits found: open (not yet reported), reported
    awaiting a check, verified fixed, found not fixed at a re-check. Withdrawn ones (their
    finding voided or no longer failing) are not counted."""

    open: CorrectionTally
    reported: CorrectionTally
    verified: CorrectionTally
    not_fixed: CorrectionTally

    @property
    def total(self) -> int:
        return self.open.total + self.reported.total + self.verified.total + self.not_fixed.total

    @property
    def overdue(self) -> int:
        """Still owed and past the deadline."""
        return self.open.late + self.reported.late + self.not_fixed.late


def correction_record(actor: User, org_unit: OrgUnit, date_from: dt.date, date_to: dt.date) -> CorrectionRecord:
    """The corrections of `org_unit` and the units under it that came from visits started
    in the period (the visits its score counts), as the actor may see them. One grouped
    statement; whether a fix came on time is judged on the day of the check that verified
    it, in Vietnam time."""
    fixed = (select(CorrectionVerification.correction_id,
                    func.max(CorrectionVerification.verified_at).label("fixed_at"))
             .where(CorrectionVerification.status_after == "verified")
             .group_by(CorrectionVerification.correction_id).subquery("fixed"))
    under = select(OrgUnit.id).where(OrgUnit.path.startswith(org_unit.path))
    rows = db.session.execute(
        visible_corrections(actor)
        .with_only_columns(Correction.status, Correction.deadline, fixed.c.fixed_at, func.count())
        .join(Visit, Visit.id == Correction.visit_id)
        .outerjoin(fixed, fixed.c.correction_id == Correction.id)
        .where(Correction.org_unit_id.in_(under), Correction.status != "withdrawn",
               Visit.started_at >= dt.datetime.combine(date_from, dt.time.min, VIETNAM_TZ),
               Visit.started_at < dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, VIETNAM_TZ))
        .group_by(Correction.status, Correction.deadline, fixed.c.fixed_at)).all()
    today = vietnam_today()
    counts: dict[str, list[int]] = {status: [0, 0] for status in ("open", "reported", "verified", "not_fixed")}
    for status, deadline, fixed_at, number in rows:
        counts[status][1 if _late(status, deadline, fixed_at, today) else 0] += number
    return CorrectionRecord(**{status: CorrectionTally(*pair) for status, pair in counts.items()})


def _late(status: str, deadline: dt.date, fixed_at: dt.datetime | None, today: dt.date) -> bool:
    """Verified: fixed after the deadline's day; still owed: the deadline has passed."""
    if status == "verified":
        return fixed_at is not None and _vietnam_day(fixed_at) > deadline
    return deadline < today


def _vietnam_day(instant: dt.datetime) -> dt.date:
    if instant.tzinfo is None:  # an aggregate over a UTC column, as SQLite may return it
        instant = instant.replace(tzinfo=dt.UTC)
    return instant.astimezone(VIETNAM_TZ).date()

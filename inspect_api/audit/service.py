"""Recording, reading and verifying the hash-chained audit trail."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, or_, select

from ..scoping import Actor, in_subtree
from ..db import claim_change_seq, db, utcnow
from ..errors import AppError, Forbidden
from ..storage.base import ObjectStore, StoreUnavailable
from . import anchors
from .models import AuditEvent
from .scope import REVIEWER_ENTITY_TYPES, scope_of

GENESIS_HASH = "0" * 64
# session.info key: (id before the first event this transaction appended, id of its last),
# read once it commits by the automatic anchor (audit/anchoring.py).
APPENDED = "audit_appended"


@dataclass(frozen=True)
class Origin:
    """Where a change came from, for its audit event: the HTTP request (its id and the
    client's address), built by the view; None from a command."""

    request_id: str | None = None
    remote_addr: str | None = None


def normalise(value: Any) -> Any:
    """The JSON form a value takes once stored, so hashes match after a round trip."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def jsonable(value: Any) -> Any:
    """A value as the API writes it: instants, days and times in ISO 8601, UUIDs as text,
    exact numbers as numbers."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    return value


def snapshot(row: Any, *fields: str, **extra: Any) -> dict[str, Any]:
    """A row's state for an audit event: the named attributes (and `extra` values), JSON-
    ready. Snapshots come from the rows, not from the API's output schemas, so a new field
    in a response changes no audit event."""
    return jsonable({**{name: getattr(row, name) for name in fields}, **extra})


def _content_hash(prev_hash: str, event: AuditEvent) -> str:
    content = {
        "at": event.at.isoformat(),
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "action": event.action,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "before": event.before,
        "after": event.after,
        "request_id": event.request_id,
        "remote_addr": event.remote_addr,
    }
    # Only when set: an event about no unit hashes exactly as before the scope existed,
    # so events written by the previous release during a rolling upgrade still verify.
    if event.scope_unit_id is not None:
        content["scope_unit_id"] = event.scope_unit_id
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def _lock_chain() -> None:
    """Serialise appenders so two transactions never chain onto the same hash.

    The change clock's row lock (db.claim_change_seq), held until commit, is the one lock
    every writer takes; sharing it with the sync feeds means no two locks can be taken in
    opposite orders. (SQLite: every transaction holds the write lock from BEGIN IMMEDIATE.)
    """
    claim_change_seq(db.session)


def record(
    action: str,
    entity_type: str,
    entity_id: Any = None,
    *,
    actor=None,
    before: Any = None,
    after: Any = None,
    actor_username: str | None = None,
    origin: Origin | None = None,
    scope_unit_id: int | None = None,
) -> AuditEvent:
    """Append one event inside the caller's transaction (it commits with the change).

    The event's scope (the org unit it is about) is derived from the entity here, before
    the chain lock is taken, so the serialised part stays as short as it was. A caller
    that has already taken the lock (by flushing a synced row) and holds the entity's
    row locked may name it instead (`scope_unit_id`), sparing a statement under the
    lock; tests/api/test_audit_scope.py holds it to the derived one."""
    before, after = normalise(before), normalise(after)
    if scope_unit_id is None:
        scope_unit_id = scope_of(entity_type, entity_id, before, after)
    _lock_chain()
    head = db.session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    prev_id, prev_hash = head if head is not None else (0, GENESIS_HASH)
    event = AuditEvent(
        at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_username=getattr(actor, "username", None) or actor_username,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        before=before,
        after=after,
        request_id=origin.request_id if origin else None,
        remote_addr=origin.remote_addr if origin else None,
        scope_unit_id=scope_unit_id,
        prev_hash=prev_hash,
    )
    event.hash = _content_hash(prev_hash, event)
    db.session.add(event)
    db.session.flush()
    first_prev, _ = db.session.info.get(APPENDED, (prev_id, None))
    db.session.info[APPENDED] = (first_prev, event.id)
    return event


def username_tag(username: str, audit_secret: str) -> str:
    """A short keyed hash of a typed login name that matches no account.

    People type passwords into the username box, so the text itself is never stored.
    The tag still groups repeated attempts on one name. It is cut to 16 bits on purpose:
    even whoever holds the key and the table learns at most 16 bits of what was typed
    (a dictionary leaves thousands of candidates), while distinct names in a day's
    failures rarely collide."""
    key = anchors.derived_key(audit_secret, "login-username")
    normalised = username.strip().lower().encode("utf-8", "surrogatepass")
    return hmac.new(key, normalised, hashlib.sha256).hexdigest()[:4]


# --- reading -------------------------------------------------------------------------

def is_root_admin(actor: Actor) -> bool:
    return actor.role == "admin" and actor.org_unit.parent_id is None


def list_events(actor: Actor, args: dict[str, Any]) -> Select:
    """The events the actor may read, filtered by entity, actor or action.

    Admins read every event scoped to their subtree; admins of a root unit also read the
    events about no unit. Reviewers read the events about visits (reviews included),
    findings (explanations), evidence and lists in their subtree. Nobody else reads any.
    """
    if actor.role == "admin":
        visible = in_subtree(AuditEvent.scope_unit_id, actor)
        if is_root_admin(actor):
            visible = or_(visible, AuditEvent.scope_unit_id.is_(None))
        query = select(AuditEvent).where(visible)
    elif actor.role == "reviewer":
        query = select(AuditEvent).where(in_subtree(AuditEvent.scope_unit_id, actor),
                                         AuditEvent.entity_type.in_(REVIEWER_ENTITY_TYPES))
    else:
        raise Forbidden("Vai trò của bạn không được phép xem nhật ký thao tác.")
    for key in ("entity_type", "entity_id", "actor_id", "action"):
        if args.get(key) is not None:
            query = query.where(getattr(AuditEvent, key) == args[key])
    return query


# --- verifying -----------------------------------------------------------------------

class AnchorStoreDown(AppError):
    status = 503
    type_slug = "storage-unavailable"


@dataclass
class ChainReport:
    checked: int
    broken_at: int | None
    reason: str | None
    anchored_event_id: int | None = None
    anchored_at: dt.datetime | None = None
    anchors_checked: int = 0

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify_trail(actor: Actor | None, store: ObjectStore, audit_secret: str, *,
                 all_anchors: bool = False) -> ChainReport:
    """Recompute the chain, then hold it against the anchors in the object store.

    The chain alone shows an edited or removed event that has successors; only an anchor
    kept outside the database shows that the newest events were removed, or that the
    whole chain was rewritten. The newest anchor is enough for that (its hash covers every
    event before it); `all_anchors` also checks every older one (slow on a long trail).
    actor None: the command line. Over HTTP only admins of a root unit verify: the chain
    is one for the whole installation, and its length and breaks are not a commune's.
    """
    if actor is not None and not is_root_admin(actor):
        raise Forbidden("Chỉ quản trị viên của đơn vị cấp cao nhất mới được kiểm tra toàn bộ nhật ký.")
    try:
        found = anchors.list_anchors(store)
        report = verify_chain()
        if report.intact:
            _check_anchors(report, found if all_anchors else found[-1:], store, audit_secret)
        return report
    except StoreUnavailable as exc:
        raise AnchorStoreDown("Kho lưu trữ tạm thời không sẵn sàng nên chưa đối chiếu được mốc "
                              "nhật ký. Vui lòng thử lại sau.", headers={"Retry-After": "30"}) from exc
    finally:
        db.session.rollback()


def _check_anchors(report: ChainReport, keys: list[str], store: ObjectStore, audit_secret: str) -> None:
    """Hold the (intact) chain against each anchor, newest first; note the first failure."""
    for key in reversed(keys):
        report.anchors_checked += 1
        try:
            anchor = anchors.read_anchor(store, key, audit_secret)
        except anchors.BadAnchor as exc:
            report.broken_at, report.reason = anchors.event_id_of(key), str(exc)
            return
        if report.anchored_event_id is None:
            report.anchored_event_id, report.anchored_at = anchor.event_id, anchor.anchored_at
        problem = _against_anchor(anchor)
        if problem:
            report.broken_at, report.reason = anchor.event_id, problem
            return


def _against_anchor(anchor: anchors.Anchor) -> str | None:
    stored = db.session.scalar(select(AuditEvent.hash).where(AuditEvent.id == anchor.event_id))
    if stored == anchor.hash:
        return None
    if stored is not None:
        return (f"event {anchor.event_id} differs from its anchor of {anchor.anchored_at:%Y-%m-%d %H:%M:%S} "
                f"UTC: the trail was rewritten")
    newest = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    if newest is None or newest < anchor.event_id:
        return (f"truncated: the trail ends at event {newest or 0} but an anchor of "
                f"{anchor.anchored_at:%Y-%m-%d %H:%M:%S} UTC names event {anchor.event_id}")
    return f"event {anchor.event_id}, named by an anchor, is missing: events were deleted"


def verify_chain(batch_size: int = 5000) -> ChainReport:
    """Walk the whole trail in id order and recompute every link."""
    prev_hash = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id)
            .limit(batch_size)
        ).all()
        if not events:
            return ChainReport(checked, None, None)
        for event in events:
            if event.prev_hash != prev_hash:
                return ChainReport(checked, event.id, "prev_hash does not match the previous event")
            if _content_hash(prev_hash, event) != event.hash:
                return ChainReport(checked, event.id, "content does not match its hash")
            prev_hash = event.hash
            checked += 1
            last_id = event.id
        db.session.expunge_all()

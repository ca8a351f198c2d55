"""Recording and verifying the hash-chained audit trail."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from flask import g, has_request_context, request
from sqlalchemy import select

from ..db import claim_change_seq, db, utcnow
from .models import AuditEvent

GENESIS_HASH = "0" * 64


def normalise(value: Any) -> Any:
    """The JSON form a value takes once stored, so hashes match after a round trip."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


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
) -> AuditEvent:
    """Append one event inside the caller's transaction (it commits with the change)."""
    _lock_chain()
    prev_hash = db.session.scalar(
        select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ) or GENESIS_HASH
    event = AuditEvent(
        at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_username=getattr(actor, "username", None) or actor_username,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        before=normalise(before),
        after=normalise(after),
        request_id=g.get("request_id") if has_request_context() else None,
        remote_addr=request.remote_addr if has_request_context() else None,
        prev_hash=prev_hash,
    )
    event.hash = _content_hash(prev_hash, event)
    db.session.add(event)
    db.session.flush()
    return event


@dataclass
class ChainReport:
    checked: int
    broken_at: int | None
    reason: str | None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


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

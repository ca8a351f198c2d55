"""Anchors: the head of the audit chain, signed and kept in the object store.

The hash chain shows an edited or deleted event only while a later event still points at
it; removing the newest events, or rewriting the whole chain, leaves a chain that checks
out. An anchor (event id, its hash, times; HMAC-signed) kept outside the database pins
the chain at that event: the anchored event must still exist with the same hash.

An anchor is written every AUDIT_ANCHOR_EVERY events (audit/anchoring.py, wired by the
app factory) and by `flask audit anchor`. This module takes the store and the secret as
arguments: it is called by the audit service, the commands and the background anchorer
alike.

The signing key is AUDIT_KEY or, when that is empty, JWT_SECRET_KEY; either way a key of
its own is derived for each purpose (HMAC with a label), so an anchor signature can never
serve as a token signature or the other way round. Falling back to the JWT secret adds no
exposure: every API process must hold both keys anyway, since each one signs tokens and
writes anchors. Its cost is coupling: rotating the key makes the existing anchors fail
verification until `flask audit anchor` writes a new one (see the README).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ..db import db, utcnow
from ..storage.base import ObjectStore
from .models import AuditEvent

log = logging.getLogger(__name__)

PREFIX = "audit-anchors/"
_KEY_PATTERN = re.compile(r"^audit-anchors/(\d{20})\.json$")
_MAX_ANCHOR_BYTES = 4096
_VERSION = 1


def audit_secret(config: Mapping[str, Any]) -> str:
    """AUDIT_KEY, or JWT_SECRET_KEY when it is empty (read from the settings at the edge)."""
    return config.get("AUDIT_KEY") or config["JWT_SECRET_KEY"]


def derived_key(secret: str, purpose: str) -> bytes:
    """The key for one use of the audit secret (anchors, username tags)."""
    label = f"inspect-api/audit/{purpose}/v1".encode()
    return hmac.new(secret.encode("utf-8"), label, hashlib.sha256).digest()


@dataclass(frozen=True)
class Anchor:
    event_id: int
    hash: str
    event_at: dt.datetime
    anchored_at: dt.datetime


class BadAnchor(Exception):
    """An anchor object that cannot be trusted: unreadable, malformed or badly signed."""


def key_for(event_id: int) -> str:
    return f"{PREFIX}{event_id:020d}.json"


def event_id_of(object_key: str) -> int | None:
    match = _KEY_PATTERN.match(object_key)
    return int(match.group(1)) if match else None


def _payload(anchor: Anchor) -> dict[str, Any]:
    return {"version": _VERSION, "event_id": anchor.event_id, "hash": anchor.hash,
            "event_at": anchor.event_at.isoformat(), "anchored_at": anchor.anchored_at.isoformat()}


def _signature(payload: dict[str, Any], key: bytes) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def encode(anchor: Anchor, key: bytes) -> bytes:
    payload = _payload(anchor)
    return json.dumps({**payload, "signature": _signature(payload, key)}, indent=1).encode("utf-8")


def decode(object_key: str, data: bytes, key: bytes) -> Anchor:
    """The anchor in `data`, or BadAnchor saying why it cannot be trusted."""
    try:
        body = json.loads(data)
        signature = body.pop("signature")
        anchor = Anchor(event_id=body["event_id"], hash=body["hash"],
                        event_at=dt.datetime.fromisoformat(body["event_at"]),
                        anchored_at=dt.datetime.fromisoformat(body["anchored_at"]))
        well_formed = (body["version"] == _VERSION and isinstance(signature, str)
                       and type(anchor.event_id) is int and isinstance(anchor.hash, str)
                       and anchor.anchored_at.tzinfo is not None)
    except (ValueError, TypeError, KeyError, AttributeError):
        well_formed = False
    if not well_formed:
        raise BadAnchor(f"anchor {object_key} is malformed: it was altered or not written by this app")
    if not hmac.compare_digest(signature, _signature(_payload(anchor), key)) or body != _payload(anchor):
        raise BadAnchor(f"anchor {object_key} has a bad signature: it was altered or forged "
                        f"(or AUDIT_KEY changed since it was written)")
    if event_id_of(object_key) != anchor.event_id:
        raise BadAnchor(f"anchor {object_key} names event {anchor.event_id}: it was renamed")
    return anchor


def list_anchors(store: ObjectStore) -> list[str]:
    """Keys of the anchors in the store, oldest event first."""
    keys = [info.key for info in store.list(PREFIX) if event_id_of(info.key) is not None]
    return sorted(keys, key=lambda k: event_id_of(k) or 0)


def read_anchor(store: ObjectStore, object_key: str, secret: str) -> Anchor:
    try:
        stream = store.open(object_key)
    except FileNotFoundError:
        raise BadAnchor(f"anchor {object_key} was listed but cannot be read: it was removed") from None
    try:
        data = stream.read(_MAX_ANCHOR_BYTES + 1)
    finally:
        stream.close()
    if len(data) > _MAX_ANCHOR_BYTES:
        raise BadAnchor(f"anchor {object_key} is too large: it was altered")
    return decode(object_key, data, derived_key(secret, "anchor"))


def anchor_head(store: ObjectStore, secret: str) -> Anchor | None:
    """Sign the newest committed event and write it to the store (None: empty trail).

    Raises StoreUnavailable when the store cannot take it."""
    head = db.session.execute(
        select(AuditEvent.id, AuditEvent.hash, AuditEvent.at).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    # End the read before talking to the store (on SQLite it holds the write lock).
    db.session.rollback()
    if head is None:
        return None
    anchor = Anchor(event_id=head.id, hash=head.hash, event_at=head.at, anchored_at=utcnow())
    data = encode(anchor, derived_key(secret, "anchor"))
    store.put(key_for(anchor.event_id), io.BytesIO(data), len(data), "application/json")
    return anchor

"""Anchors: the head of the audit chain, signed and kept in the object store.

The hash chain shows an edited or deleted event only while a later event still points at
it; removing the newest events, or rewriting the whole chain, leaves a chain that checks
out. An anchor (event id, its hash, times; HMAC-signed) kept outside the database pins
the chain at that event: the anchored event must still exist with the same hash.

An anchor is written every AUDIT_ANCHOR_EVERY events and by `flask audit anchor`. The
automatic one is written after the transaction that crossed the threshold has committed,
by a background thread (the request that triggered it neither waits for the store nor
fails with it), and it names the newest *committed* event, read afresh: an event that
rolled back is never anchored. One thread per app at a time; a request arriving while it
runs makes it go round once more, so a slow store never piles threads up.

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
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ..db import db, utcnow
from ..storage import get_store
from .models import AuditEvent

log = logging.getLogger(__name__)

PREFIX = "audit-anchors/"
_KEY_PATTERN = re.compile(r"^audit-anchors/(\d{20})\.json$")
_MAX_ANCHOR_BYTES = 4096
_DUE = "audit_anchor_due"
_VERSION = 1


def derived_key(config: Mapping[str, Any], purpose: str) -> bytes:
    """The key for one use of the audit secret (anchors, username tags)."""
    secret = config.get("AUDIT_KEY") or config["JWT_SECRET_KEY"]
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


def list_anchors() -> list[str]:
    """Keys of the anchors in the store, oldest event first."""
    keys = [info.key for info in get_store().list(PREFIX) if event_id_of(info.key) is not None]
    return sorted(keys, key=lambda k: event_id_of(k) or 0)


def read_anchor(object_key: str) -> Anchor:
    try:
        stream = get_store().open(object_key)
    except FileNotFoundError:
        raise BadAnchor(f"anchor {object_key} was listed but cannot be read: it was removed") from None
    try:
        data = stream.read(_MAX_ANCHOR_BYTES + 1)
    finally:
        stream.close()
    if len(data) > _MAX_ANCHOR_BYTES:
        raise BadAnchor(f"anchor {object_key} is too large: it was altered")
    return decode(object_key, data, derived_key(current_app.config, "anchor"))


def anchor_head() -> Anchor | None:
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
    data = encode(anchor, derived_key(current_app.config, "anchor"))
    get_store().put(key_for(anchor.event_id), io.BytesIO(data), len(data), "application/json")
    return anchor


# --- the automatic anchor, after the commit ----------------------------------------------

def anchor_after_commit(session: Session) -> None:
    """Ask for an anchor once this session's transaction commits (forgotten on rollback)."""
    # The app itself, not the context-bound proxy Flask's types present current_app as.
    session.info[_DUE] = current_app._get_current_object()  # type: ignore[attr-defined]


@event.listens_for(Session, "after_commit")
def _anchor_if_due(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released; wait for the real commit
    app = session.info.pop(_DUE, None)
    if app is not None:
        _anchorer(app).request()


@event.listens_for(Session, "after_soft_rollback")
def _forget_due_anchor(session: Session, previous_transaction) -> None:
    session.info.pop(_DUE, None)


class _Anchorer:
    """Writes anchors for one app in a background thread, one at a time."""

    def __init__(self, app: Flask):
        self.app = app
        self.lock = threading.Lock()
        self.running = False
        self.again = False
        self.thread: threading.Thread | None = None

    def request(self) -> None:
        with self.lock:
            if self.running:
                self.again = True
                return
            self.running = True
            # Not a daemon: a command or a worker shutting down finishes the anchor first
            # (the store calls have timeouts, so this cannot hang the exit for long).
            self.thread = threading.Thread(target=self._run, name="audit-anchor")
            self.thread.start()

    def _run(self) -> None:
        while True:
            try:
                with self.app.app_context():
                    try:
                        anchor = anchor_head()
                        if anchor is not None:
                            log.info("audit anchor written at event %s", anchor.event_id)
                    finally:
                        db.session.remove()
            except Exception:  # never let the anchor hurt anything; the next one catches up
                log.exception("audit anchor not written; the next one will cover it")
            with self.lock:
                if not self.again:
                    self.running = False
                    return
                self.again = False

    def wait(self, timeout: float) -> None:
        thread = self.thread
        if thread is not None:
            thread.join(timeout)


def _anchorer(app: Flask) -> _Anchorer:
    return app.extensions.setdefault("audit_anchorer", _Anchorer(app))


def wait_for_anchors(app: Flask, timeout: float = 30.0) -> None:
    """Block until the background anchor (if any) is written: for tests and commands."""
    _anchorer(app).wait(timeout)

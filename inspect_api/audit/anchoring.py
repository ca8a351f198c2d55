"""The automatic anchor: written after the transaction that crossed AUDIT_ANCHOR_EVERY
has committed, by a background thread (the request that triggered it neither waits for
the store nor fails with it). It names the newest *committed* event, read afresh: an
event that rolled back is never anchored. One thread per app at a time; a request
arriving while it runs makes it go round once more, so a slow store never piles threads
up.

`record()` only notes, in the session, which event ids its transaction appended; the
listeners here, registered by the app factory on the app's own session factory, read
the setting and start the thread.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..db import db
from ..storage import get_store
from .anchors import anchor_head, audit_secret
from .service import APPENDED

log = logging.getLogger(__name__)


def init_anchoring(app: Flask) -> None:
    """Anchor every AUDIT_ANCHOR_EVERY events of this app's trail."""
    _anchorer(app)
    # db.session's factory is shared by every app of the process: listen once.
    if not event.contains(db.session, "after_commit", _anchor_if_due):
        event.listen(db.session, "after_commit", _anchor_if_due)
        event.listen(db.session, "after_soft_rollback", _forget_appended)


def _crossed(every: int, appended: tuple[int, int]) -> bool:
    """Did the ids appended (after event `first_prev`, up to `last`) pass a multiple?"""
    first_prev, last = appended
    return every > 0 and last // every != first_prev // every


def _anchor_if_due(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released; wait for the real commit
    appended = session.info.pop(APPENDED, None)
    if appended is not None and _crossed(current_app.config.get("AUDIT_ANCHOR_EVERY") or 0, appended):
        # The app itself, not the context-bound proxy Flask's types present current_app as.
        _anchorer(current_app._get_current_object()).request()  # type: ignore[attr-defined]


def _forget_appended(session: Session, previous_transaction) -> None:
    session.info.pop(APPENDED, None)


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
                        anchor = anchor_head(get_store(), audit_secret(self.app.config))
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

"""Anchors of the audit chain head in the object store: removing the newest events or
rewriting the chain shows in `audit verify`; a tampered anchor shows too; the automatic
anchor is written after the commit, never for an event that rolled back, and never holds
up the write that triggered it. Every test runs on the local directory and on S3 (moto)."""

from __future__ import annotations

import io
import json
import threading
import time
import uuid

import pytest
from sqlalchemy import delete, select

from inspect_api.app import create_app
from inspect_api.audit import anchoring, anchors
from inspect_api.audit.models import AuditEvent
from inspect_api.audit.service import _content_hash, record
from inspect_api.db import db
from inspect_api.storage import get_store
from tests.conftest import DEMO_PASSWORD
from tests.conftest import test_settings as settings_for_tests  # not collected as a test

PROBLEM = "application/problem+json"


@pytest.fixture(params=["local", "minio"])
def make_app(request, app, demo, tmp_path):
    """make(**settings) -> an app on the session database with an object store of its own."""
    made = []

    def make(**extra):
        if request.param == "minio":
            s3 = request.getfixturevalue("s3_server")
            s3.start()
            settings = settings_for_tests(**{**s3.settings(f"anchors-{uuid.uuid4().hex[:12]}"), **extra})
        else:
            settings = settings_for_tests(STORAGE_DIR=str(tmp_path / f"objects-{uuid.uuid4().hex[:8]}"), **extra)
        new = create_app(settings, environ={})
        made.append(new)
        return new

    yield make
    for new in made:
        anchoring.wait_for_anchors(new)
        with new.app_context():
            db.session.remove()
            db.engine.dispose()
    if request.param == "minio":
        request.getfixturevalue("s3_server").start()


class Api:
    """One app driven over HTTP and the command line, its trail read through SQL."""

    def __init__(self, app, demo):
        self.app, self.demo = app, demo
        self.client = app.test_client()
        self.runner = app.test_cli_runner()
        response = self.client.post("/api/v1/auth/login", json={"username": "admin", "password": DEMO_PASSWORD})
        assert response.status_code == 200, response.get_json()
        self.admin = {"Authorization": f"Bearer {response.get_json()['access_token']}"}
        self.desk = next(iter(demo.desk_unit))

    def edits(self, count: int) -> None:
        for n in range(count):
            response = self.client.patch(f"/api/v1/desks/{self.desk}", headers=self.admin,
                                         json={"name": f"Bộ phận Một cửa (sửa lần {n}, {uuid.uuid4().hex[:6]})"})
            assert response.status_code == 200, response.get_json()

    def verify(self) -> dict:
        response = self.client.get("/api/v1/audit/verify", headers=self.admin)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def cli(self, *args):
        return self.runner.invoke(args=["audit", *args])

    def ids(self) -> list[int]:
        with self.app.app_context():
            ids = list(db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))
            db.session.remove()
        return ids

    def sql(self, statement) -> None:
        with self.app.app_context():
            with db.engine.begin() as conn:
                conn.execute(statement)
            db.session.remove()

    def anchor_keys(self) -> list[str]:
        with self.app.app_context():
            return anchors.list_anchors(get_store())

    def read(self, key: str) -> bytes:
        with self.app.app_context(), get_store().open(key) as stream:
            return stream.read()

    def put(self, key: str, data: bytes) -> None:
        with self.app.app_context():
            get_store().put(key, io.BytesIO(data), len(data), "application/json")


def _anchored(api: Api) -> int:
    result = api.cli("anchor")
    assert result.exit_code == 0, result.output
    newest = api.ids()[-1]
    assert f"anchored event {newest} " in result.output
    return newest


def test_removing_the_newest_events_after_an_anchor_is_detected(make_app, demo):
    api = Api(make_app(), demo)
    api.edits(4)
    anchored = _anchored(api)
    report = api.verify()
    assert report["intact"] is True and report["anchored_event_id"] == anchored
    assert report["anchors_checked"] == 1 and report["anchored_at"]
    ok = api.cli("verify")
    assert ok.exit_code == 0 and f"anchored at event {anchored}" in ok.output

    # Events after the anchor are not protected yet, but removing anchored ones shows.
    api.edits(2)
    api.sql(delete(AuditEvent.__table__).where(AuditEvent.id > anchored - 3))
    report = api.verify()
    assert report["intact"] is False and report["broken_at"] == anchored
    assert report["reason"].startswith("truncated") and f"event {anchored}" in report["reason"]
    broken = api.cli("verify")
    assert broken.exit_code == 1 and "truncated" in broken.output

    # Writing on after the cut does not hide it.
    api.edits(4)
    assert api.verify()["intact"] is False
    assert api.cli("verify").exit_code == 1


def test_rewriting_the_chain_to_match_is_detected(make_app, demo):
    api = Api(make_app(), demo)
    api.edits(3)
    anchored = _anchored(api)
    # Whoever edits an event can recompute every hash after it (SHA-256 needs no key):
    # the chain alone then checks out, and only the anchor tells.
    victim = api.ids()[len(api.ids()) // 2]
    with api.app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.id >= victim).order_by(AuditEvent.id)).all()
        events[0].after = {"name": "sửa lén"}
        prev = events[0].prev_hash
        for event in events:
            event.prev_hash = prev
            event.hash = prev = _content_hash(prev, event)
        db.session.commit()
        db.session.remove()
    report = api.verify()
    assert report["intact"] is False and report["broken_at"] == anchored
    assert "rewritten" in report["reason"]
    assert api.cli("verify").exit_code == 1


@pytest.mark.parametrize("tamper", ["hash", "signature", "forged_newer", "malformed", "renamed", "huge"])
def test_a_tampered_anchor_is_detected(make_app, demo, tamper):
    api = Api(make_app(), demo)
    api.edits(2)
    anchored = _anchored(api)
    key = anchors.key_for(anchored)
    body = json.loads(api.read(key))
    if tamper == "hash":
        api.put(key, json.dumps({**body, "hash": "0" * 64}).encode())
    elif tamper == "signature":
        api.put(key, json.dumps({**body, "signature": "f" * 64}).encode())
    elif tamper == "forged_newer":
        # A newer anchor signed with some other key.
        forged = anchors.Anchor(anchored + 1000, "a" * 64, anchors.utcnow(), anchors.utcnow())
        api.put(anchors.key_for(anchored + 1000), anchors.encode(forged, b"not-the-key"))
    elif tamper == "malformed":
        api.put(key, b"{not json")
    elif tamper == "renamed":
        api.put(anchors.key_for(anchored + 7), api.read(key))
    elif tamper == "huge":
        api.put(key, json.dumps({**body, "padding": "x" * 100_000}).encode())
    report = api.verify()
    assert report["intact"] is False, report
    assert ("signature" in report["reason"] or "malformed" in report["reason"]
            or "renamed" in report["reason"] or "too large" in report["reason"]), report["reason"]
    result = api.cli("verify")
    assert result.exit_code == 1 and "anchor" in result.output


def test_every_anchor_is_checked_on_request(make_app, demo):
    api = Api(make_app(), demo)
    api.edits(1)
    first = _anchored(api)
    api.edits(2)
    _anchored(api)
    api.put(anchors.key_for(first), json.dumps({**json.loads(api.read(anchors.key_for(first))),
                                                "hash": "1" * 64}).encode())
    assert api.cli("verify").exit_code == 0  # the newest anchor covers the chain
    everything = api.cli("verify", "--all-anchors")
    assert everything.exit_code == 1 and f"BROKEN at event {first}" in everything.output


def test_anchors_are_written_every_n_events(make_app, demo):
    api = Api(make_app(AUDIT_ANCHOR_EVERY=5), demo)
    api.edits(12)
    anchoring.wait_for_anchors(api.app)
    ids = api.ids()
    crossings = [b for a, b in zip([0] + ids, ids, strict=False) if a // 5 != b // 5]
    keys = api.anchor_keys()
    assert keys, "no anchor written"
    newest = anchors.event_id_of(keys[-1])
    assert crossings[-1] <= newest <= ids[-1]
    report = api.verify()
    assert report["intact"] is True and report["anchored_event_id"] == newest


def test_an_event_that_rolled_back_is_never_anchored(make_app, demo):
    new = make_app(AUDIT_ANCHOR_EVERY=1)
    root = demo.units["TQ"]
    with new.app_context():
        record("probe", "org_unit", root, actor_username="test")
        db.session.rollback()
        # Inside a savepoint that is released, then the whole transaction rolls back.
        savepoint = db.session.begin_nested()
        record("probe", "org_unit", root, actor_username="test")
        savepoint.commit()
        db.session.rollback()
        anchoring.wait_for_anchors(new)
        assert anchors.list_anchors(get_store()) == []

        kept = record("probe", "org_unit", root, actor_username="test")
        kept_id, kept_hash = kept.id, kept.hash
        db.session.commit()
        anchoring.wait_for_anchors(new)
        keys = anchors.list_anchors(get_store())
        assert [anchors.event_id_of(k) for k in keys] == [kept_id]
        assert anchors.read_anchor(get_store(), keys[0], anchors.audit_secret(new.config)).hash == kept_hash
        db.session.remove()


class GatedStore:
    """The app's real store, whose writes wait until the test opens the gate: a slow
    store, as seen by the request that triggers an anchor."""

    def __init__(self, store):
        self.store = store
        self.gate = threading.Event()
        self.waiting = threading.Event()

    def put(self, *args, **kwargs):
        self.waiting.set()
        assert self.gate.wait(30), "gate never opened"
        return self.store.put(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.store, name)


def test_a_slow_store_does_not_hold_up_the_write(make_app, demo):
    new = make_app(AUDIT_ANCHOR_EVERY=1)
    with new.app_context():
        gated = GatedStore(get_store())
    new.extensions["object_store"] = gated
    try:
        api = Api(new, demo)  # the login's event starts an anchor, which now waits
        assert gated.waiting.wait(10)
        started = time.monotonic()
        api.edits(5)
        spent = time.monotonic() - started
        assert spent < 5 * 1.0, f"5 writes took {spent:.2f} s behind a stuck store"
        # Still one anchor thread, however many writes asked for one.
        assert sum(1 for t in threading.enumerate() if t.name == "audit-anchor") == 1
    finally:
        gated.gate.set()
    anchoring.wait_for_anchors(new)
    newest = api.ids()[-1]
    assert anchors.event_id_of(api.anchor_keys()[-1]) == newest
    assert api.verify()["anchored_event_id"] == newest


def test_a_store_that_is_down_fails_neither_the_write_nor_silently_the_check(app, demo, s3_server):
    bucket = f"anchors-{uuid.uuid4().hex[:12]}"
    new = create_app(settings_for_tests(**s3_server.settings(bucket), AUDIT_ANCHOR_EVERY=1), environ={})
    try:
        api = Api(new, demo)
        anchoring.wait_for_anchors(new)
        s3_server.stop()
        api.edits(2)  # each one asks for an anchor the store cannot take
        anchoring.wait_for_anchors(new)
        response = api.client.get("/api/v1/audit/verify", headers=api.admin)
        assert response.status_code == 503 and response.mimetype == PROBLEM
        assert response.headers["Retry-After"]
        result = api.cli("verify")
        assert result.exit_code == 2 and "NOT CHECKED" in result.output
        assert api.cli("anchor").exit_code == 1
    finally:
        s3_server.start()
    assert api.verify()["intact"] is True
    with new.app_context():
        db.session.remove()
        db.engine.dispose()

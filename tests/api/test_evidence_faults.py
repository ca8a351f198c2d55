"""Photo evidence when things break (issue 3, "store failures lose nothing and leave
nothing dangling"): the S3 server stopped before and during an upload, a local store
that cannot write, and a real database failure after the objects were written.

Faults are real: moto's server is stopped (its port refuses connections), the local
store's directory is a file, and the database refuses the insert through a trigger.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from inspect_api.app import create_app
from inspect_api.db import db
from tests.api.evidence_support import Env, assert_problem
from tests.conftest import new_id
from tests.conftest import test_settings as settings_for_tests
from tests.photos import phone_photo

PHOTO = phone_photo()
SMALL = phone_photo(320, 240)


@pytest.fixture
def ev(store_app, demo, request):
    env = Env.for_app(store_app, demo, request)
    yield env
    env.close()


@pytest.fixture
def s3_env(minio_app, demo, request, s3_server):
    env = Env.for_app(minio_app, demo, request)
    yield env
    s3_server.start()
    env.close()


def assert_store_down(response) -> None:
    assert_problem(response, 503)
    assert response.headers["Retry-After"].isdigit()
    assert int(response.headers["Retry-After"]) > 0


def test_s3_stopped_gives_503_and_no_row_then_the_retry_succeeds(s3_env, s3_server):
    env = s3_env
    visit_id, finding_id = env.visit_with_finding()
    first, second = new_id(), new_id()

    # Down before the app ever reached it (the bucket does not exist yet).
    s3_server.stop()
    try:
        assert_store_down(env.upload(visit_id, first, SMALL, finding_id))
        assert env.row_count() == 0
        ready = env.client.get("/readyz")
        assert ready.status_code == 503
        assert ready.get_json()["checks"] == {"database": "ok", "object_store": "unavailable"}
    finally:
        s3_server.start()
    assert env.client.get("/readyz").status_code == 200
    assert env.objects() == []
    assert env.upload(visit_id, first, SMALL, finding_id).status_code == 201

    # Down again, after it has been used: uploads fail, stored photos stay known.
    s3_server.stop()
    try:
        assert_store_down(env.upload(visit_id, second, PHOTO, finding_id))
        assert env.row(second) is None and env.row_count() == 1
        assert env.client.get("/readyz").status_code == 503
        # A retry of a photo already stored is answered from the database.
        replay = env.upload(visit_id, first, SMALL, finding_id)
        assert replay.status_code == 200 and replay.get_json()["id"] == first
    finally:
        s3_server.start()
    assert len(env.objects()) == 1  # only the first photo's (thumbnails: on first request)
    retried = env.upload(visit_id, second, PHOTO, finding_id)
    assert retried.status_code == 201, retried.get_json()
    assert env.download(second, "content") == (PHOTO, "image/jpeg")
    assert len(env.objects()) == 2


def test_s3_stopped_during_the_upload_gives_503_and_no_row(s3_env, s3_server):
    env = s3_env
    visit_id, finding_id = env.visit_with_finding()
    # The app has a live, pooled connection to the store before the outage.
    assert env.upload(visit_id, new_id(), SMALL, finding_id).status_code == 201
    before = env.objects()
    evidence_id = new_id()

    def body_while_the_store_goes_away():
        yield PHOTO[:50000]
        s3_server.stop()
        yield PHOTO[50000:]

    try:
        response = env.upload_stream(visit_id, evidence_id, body_while_the_store_goes_away(), finding_id)
        assert not s3_server.running  # the generator did run to the stop
        assert_store_down(response)
        assert env.row(evidence_id) is None and env.row_count() == 1
    finally:
        s3_server.start()
    assert env.objects() == before
    again = env.upload_stream(visit_id, evidence_id, iter([PHOTO[:50000], PHOTO[50000:]]), finding_id)
    assert again.status_code == 201, again.get_json()
    assert again.get_json()["sha256"] == hashlib.sha256(PHOTO).hexdigest()


def test_the_store_connection_dropping_while_a_body_streams_through_gives_503_and_no_row(s3_env, monkeypatch):
    # With Content-Length the body goes on to the store while it arrives. (A stopped moto
    # still finishes the request in flight, so the drop is made on the API's side of
    # that PUT: the socket fails after the first block, as a reset one does.)
    env = s3_env
    visit_id, finding_id = env.visit_with_finding()
    assert env.upload(visit_id, new_id(), SMALL, finding_id).status_code == 201
    before = env.objects()
    http = _store_of(env).http
    request = http.request

    def dropping(method, url, body=None, **kwargs):
        def blocks():
            for index, block in enumerate(body):
                if index == 1:
                    raise ConnectionResetError("the store's connection was reset")
                yield block

        return request(method, url, body=blocks(), **kwargs)

    monkeypatch.setattr(http, "request", dropping)
    evidence_id = new_id()
    response = env.upload_stream(visit_id, evidence_id, iter([PHOTO[:50000], PHOTO[50000:]]), finding_id,
                                 content_length=len(PHOTO))
    assert_store_down(response)
    assert env.row(evidence_id) is None and env.row_count() == 1
    assert env.objects() == before
    monkeypatch.undo()
    again = env.upload_stream(visit_id, evidence_id, iter([PHOTO[:50000], PHOTO[50000:]]), finding_id,
                              content_length=len(PHOTO))
    assert again.status_code == 201, again.get_json()
    assert env.download(evidence_id, "content") == (PHOTO, "image/jpeg")


def _store_of(env):
    from inspect_api.storage import get_store

    with env.app.app_context():
        return get_store()


def test_a_store_that_keeps_other_bytes_than_sent_gives_503_and_nothing_stays(ev, monkeypatch):
    """The store is sent the body while it arrives, so it cannot be given the MD5 first;
    what it reports of what it kept is compared instead, and the object read back when
    that differs: bytes damaged between the API and the store never get a row."""
    visit_id, finding_id = ev.visit_with_finding()
    store = _store_of(ev)
    put_once = store.put_once

    def damaging(key, data, length, content_type):
        class Damaged:
            def read(self, size=-1):
                block = data.read(size)
                return block[:-1] + bytes([block[-1] ^ 0x01]) if block else block

        return put_once(key, Damaged(), length, content_type)

    monkeypatch.setattr(store, "put_once", damaging)
    evidence_id = new_id()
    assert_store_down(ev.upload(visit_id, evidence_id, PHOTO, finding_id))
    assert ev.row(evidence_id) is None and ev.objects() == []

    # A store whose answer carries no MD5 (an S3 ETag under SSE-KMS): read back, found
    # whole, accepted.
    monkeypatch.setattr(store, "put_once", lambda *args: put_once(*args) and None)
    response = ev.upload(visit_id, evidence_id, PHOTO, finding_id)
    assert response.status_code == 201, response.get_json()
    assert ev.download(evidence_id, "content") == (PHOTO, "image/jpeg")
    assert ev.objects() == [ev.row(evidence_id).object_key]


def test_delete_while_s3_is_down_leaves_an_orphan_that_reconcile_removes(s3_env, s3_server):
    """The row goes first; objects that could not be removed are found later."""
    env = s3_env
    visit_id, finding_id = env.visit_with_finding()
    evidence_id = new_id()
    assert env.upload(visit_id, evidence_id, PHOTO, finding_id).status_code == 201
    env.download(evidence_id, "thumbnail")  # made on first request
    keys = sorted([env.row(evidence_id).object_key, env.row(evidence_id).thumbnail_key])
    s3_server.stop()
    try:
        response = env.client.delete(f"/api/v1/visits/{visit_id}/evidence/{evidence_id}", headers=env.headers())
        assert response.status_code == 204
        assert env.row_count() == 0
    finally:
        s3_server.start()
    assert env.objects() == keys
    result = env.app.test_cli_runner().invoke(args=["storage", "reconcile", "--delete", "--older-than", "0"])
    assert result.exit_code == 0, result.output
    for key in keys:
        assert f"removed: {key}" in result.output
    assert env.objects() == []


def test_local_store_that_cannot_write_gives_503(app, demo, request, tmp_path):
    # The store's directory is a file: nothing can be written under it.
    blocked = tmp_path / "not-a-directory"
    blocked.write_bytes(b"")
    env = Env(create_app(settings_for_tests(STORAGE_DIR=str(blocked)), environ={}), demo)
    try:
        visit_id, finding_id = env.visit_with_finding()
        assert_store_down(env.upload(visit_id, new_id(), PHOTO, finding_id))
        assert env.row_count() == 0
        ready = env.client.get("/readyz")
        assert ready.status_code == 503 and ready.get_json()["checks"]["object_store"] == "unavailable"
    finally:
        env.close()

    # The thumbnail (made on first request) cannot be written: that request is 503, the
    # photo stays, and the next request makes it.
    env = Env(create_app(settings_for_tests(STORAGE_DIR=str(tmp_path / "objects")), environ={}), demo)
    try:
        visit_id, finding_id = env.visit_with_finding()
        evidence_id = new_id()
        assert env.upload(visit_id, evidence_id, PHOTO, finding_id).status_code == 201
        # Each attempt names its own keys: the thumbnail's place is known once the row is.
        blocked_thumbnail = env.root / env.row(evidence_id).thumbnail_key
        blocked_thumbnail.mkdir(parents=True)
        thumbnail = f"/api/v1/evidence/{evidence_id}/thumbnail"
        assert_store_down(env.client.get(thumbnail, headers=env.headers()))
        assert env.row_count() == 1 and env.download(evidence_id, "content") == (PHOTO, "image/jpeg")
        blocked_thumbnail.rmdir()
        assert env.download(evidence_id, "thumbnail")[1] == "image/jpeg"
        assert len(env.objects()) == 2
    finally:
        env.close()


@contextmanager
def evidence_inserts_fail(app):
    """A real database failure on INSERT INTO evidence, by trigger."""
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
        with db.engine.begin() as conn:
            if sqlite:
                conn.execute(text("CREATE TRIGGER evidence_insert_fails BEFORE INSERT ON evidence "
                                  "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"))
            else:
                conn.execute(text("CREATE FUNCTION evidence_insert_fails() RETURNS trigger "
                                  "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$"))
                conn.execute(text("CREATE TRIGGER evidence_insert_fails BEFORE INSERT ON evidence "
                                  "FOR EACH ROW EXECUTE FUNCTION evidence_insert_fails()"))
        db.session.remove()
    try:
        yield
    finally:
        with app.app_context():
            db.session.remove()
            with db.engine.begin() as conn:
                if sqlite:
                    conn.execute(text("DROP TRIGGER IF EXISTS evidence_insert_fails"))
                else:
                    conn.execute(text("DROP TRIGGER IF EXISTS evidence_insert_fails ON evidence"))
                    conn.execute(text("DROP FUNCTION IF EXISTS evidence_insert_fails()"))


def test_database_failure_after_the_store_write_leaves_no_object(ev):
    visit_id, finding_id = ev.visit_with_finding()
    keep = new_id()
    assert ev.upload(visit_id, keep, SMALL, finding_id).status_code == 201
    before = ev.objects()
    evidence_id = new_id()
    with evidence_inserts_fail(ev.app):
        response = ev.upload(visit_id, evidence_id, PHOTO, finding_id)
        assert_store_down(response)
        assert ev.row(evidence_id) is None and ev.row_count() == 1
        # The original was written before the insert failed; it is gone again.
        assert ev.objects() == before
        # The photo already stored is unaffected and still answers a retry.
        assert ev.upload(visit_id, keep, SMALL, finding_id).status_code == 200
    retried = ev.upload(visit_id, evidence_id, PHOTO, finding_id)
    assert retried.status_code == 201, retried.get_json()
    assert len(ev.objects()) == 2

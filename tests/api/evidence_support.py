"""Helpers for the evidence tests: one app with its object store, seen from the outside
(HTTP through the Flask test client, the bucket through a separate minio client, the
directory through the filesystem, the rows through SQL)."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import SimpleNamespace

import requests
from sqlalchemy import func, select

from inspect_api.db import db
from tests.api.visit_support import passing_answer
from tests.conftest import DEMO_PASSWORD, new_id

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == PROBLEM, response.mimetype
    body = response.get_json()
    assert body["status"] == status
    for key in ("type", "title", "detail", "instance", "request_id"):
        assert body.get(key), (key, body)
    return body


def photo_headers(auth: dict, data: bytes, content_type: str = "image/jpeg") -> dict:
    return {**auth, "Content-Type": content_type, "X-Content-SHA256": hashlib.sha256(data).hexdigest()}


class ChunkStream(io.RawIOBase):
    """A request body that arrives in pieces from a generator, like a socket: what a
    WSGI server hands the app for a chunked upload. Exceptions from the generator
    surface as a read error (a dropped connection)."""

    def __init__(self, chunks: Iterable[bytes]):
        self._chunks: Iterator[bytes] = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def _answer(demo, code: str, fail: bool) -> dict:
    if not fail:
        return passing_answer(demo, code)
    assert demo.criteria_meta[code][0] == "yes_no", code
    return {"id": new_id(), "criterion_id": demo.criteria[code], "result": "fail",
            "recorded_at": "2026-11-20T01:30:00+00:00"}


class Env:
    """One app (and its store) driven over HTTP."""

    def __init__(self, app, demo, s3=None):
        self.app = app
        self.demo = demo
        self.client = app.test_client()
        self.kind = app.config["STORAGE_BACKEND"]
        self.s3 = s3
        self.bucket = app.config["MINIO_BUCKET"] if self.kind == "minio" else None
        self.root = Path(app.config["STORAGE_DIR"])
        self._tokens: dict[str, dict] = {}

    @classmethod
    def for_app(cls, app, demo, request) -> Env:
        s3 = request.getfixturevalue("s3_server") if app.config["STORAGE_BACKEND"] == "minio" else None
        return cls(app, demo, s3)

    def close(self) -> None:
        # Each test app has its own engine; give its connections back now, not at GC.
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()

    # --- HTTP -----------------------------------------------------------------------

    def headers(self, username: str = "inspector1") -> dict:
        if username not in self._tokens:
            response = self.client.post("/api/v1/auth/login",
                                        json={"username": username, "password": DEMO_PASSWORD})
            assert response.status_code == 200, response.get_json()
            self._tokens[username] = {"Authorization": f"Bearer {response.get_json()['access_token']}"}
        return self._tokens[username]

    def new_visit(self, username: str = "inspector1") -> str:
        headers = self.headers(username)
        team = self.client.get("/api/v1/auth/me", headers=headers).get_json()["teams"][0]
        visit_id = new_id()
        response = self.client.put(f"/api/v1/visits/{visit_id}", headers=headers, json={
            "desk_id": team["desk_ids"][0], "checklist_id": team["checklist_id"], "team_id": team["id"],
            "started_at": "2026-11-20T01:00:00+00:00"})
        assert response.status_code == 201, response.get_json()
        return visit_id

    def add_finding(self, visit_id: str, code: str = "SEAT-02", result: str = "fail",
                    username: str = "inspector1") -> str:
        item = _answer(self.demo, code, result == "fail")
        response = self.client.put(f"/api/v1/visits/{visit_id}/findings", headers=self.headers(username),
                                   json={"findings": [item]})
        assert response.status_code == 200, response.get_json()
        return item["id"]

    def visit_with_finding(self, code: str = "SEAT-02") -> tuple[str, str]:
        visit_id = self.new_visit()
        return visit_id, self.add_finding(visit_id, code)

    def answer_all(self, visit_id: str, fail: set[str] = frozenset()) -> dict[str, str]:
        items = [_answer(self.demo, code, code in fail) for code in self.demo.criteria]
        response = self.client.put(f"/api/v1/visits/{visit_id}/findings", headers=self.headers(),
                                   json={"findings": items})
        assert response.status_code == 200, response.get_json()
        return {code: item["id"] for code, item in zip(self.demo.criteria, items, strict=True)}

    def _upload_url(self, visit_id, evidence_id, finding_id) -> str:
        url = f"/api/v1/visits/{visit_id}/evidence/{evidence_id}"
        return f"{url}?finding_id={finding_id}" if finding_id else url

    def upload(self, visit_id, evidence_id, data: bytes, finding_id, *, content_type: str | None = "image/jpeg",
               username: str = "inspector1", sha: bool | str = True, extra_headers: dict | None = None):
        headers = dict(self.headers(username))
        if content_type is not None:
            headers["Content-Type"] = content_type
        if sha is True:
            headers["X-Content-SHA256"] = hashlib.sha256(data).hexdigest()
        elif sha:
            headers["X-Content-SHA256"] = sha
        headers.update(extra_headers or {})
        return self.client.put(self._upload_url(visit_id, evidence_id, finding_id), data=data, headers=headers)

    def upload_stream(self, visit_id, evidence_id, chunks: Iterable[bytes], finding_id, *,
                      content_type: str = "image/jpeg", username: str = "inspector1",
                      content_length: int | None = None):
        """Send the body from `chunks` as it is produced: chunked transfer (no
        Content-Length; the server terminates the stream) unless content_length is given."""
        headers = {**self.headers(username), "Content-Type": content_type}
        environ = {"wsgi.input": ChunkStream(chunks)}
        if content_length is None:
            headers["Transfer-Encoding"] = "chunked"
            environ["wsgi.input_terminated"] = True
        else:
            environ["CONTENT_LENGTH"] = str(content_length)
        return self.client.put(self._upload_url(visit_id, evidence_id, finding_id), headers=headers,
                               environ_overrides=environ)

    def download(self, evidence_id, which: str, username: str = "inspector1") -> tuple[bytes, str]:
        """(bytes, content type) of the photo or its thumbnail, following the presigned
        redirect with a plain HTTP client as a browser would."""
        response = self.client.get(f"/api/v1/evidence/{evidence_id}/{which}", headers=self.headers(username))
        if response.status_code == 302:
            fetched = requests.get(response.headers["Location"], timeout=10)
            assert fetched.status_code == 200, fetched.text[:300]
            return fetched.content, fetched.headers["Content-Type"]
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return response.data, response.mimetype

    # --- the store, seen directly ---------------------------------------------------

    def objects(self) -> list[str]:
        """Every object in the bucket / every file under the directory (temporary
        files included: "nothing left behind" means nothing)."""
        if self.kind == "minio":
            from minio.error import S3Error

            try:
                return sorted(o.object_name for o in self.s3.client().list_objects(self.bucket, recursive=True))
            except S3Error as exc:
                if exc.code == "NoSuchBucket":
                    return []
                raise
        if not self.root.exists():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file())

    def put_object(self, key: str, data: bytes) -> None:
        if self.kind == "minio":
            client = self.s3.client()
            if not client.bucket_exists(self.bucket):
                client.make_bucket(self.bucket)
            client.put_object(self.bucket, key, io.BytesIO(data), len(data))
        else:
            path = self.root / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

    def remove_object(self, key: str) -> None:
        if self.kind == "minio":
            self.s3.client().remove_object(self.bucket, key)
        else:
            (self.root / key).unlink()

    def object_sha(self, key: str) -> str:
        if self.kind == "minio":
            response = self.s3.client().get_object(self.bucket, key)
            try:
                return hashlib.sha256(response.read()).hexdigest()
            finally:
                response.close()
                response.release_conn()
        return hashlib.sha256((self.root / key).read_bytes()).hexdigest()

    # --- the database, seen directly ------------------------------------------------

    def row(self, evidence_id) -> SimpleNamespace | None:
        from inspect_api.evidence.models import Evidence

        with self.app.app_context():
            evidence = db.session.get(Evidence, uuid.UUID(str(evidence_id)))
            if evidence is None:
                db.session.remove()
                return None
            values = {c.key: getattr(evidence, c.key) for c in Evidence.__table__.columns}
            db.session.remove()
        return SimpleNamespace(**values)

    def row_count(self) -> int:
        from inspect_api.evidence.models import Evidence

        with self.app.app_context():
            count = db.session.scalar(select(func.count()).select_from(Evidence))
            db.session.remove()
        return count

"""The real thing: gunicorn with two sync workers in production mode, set up with the
same commands an operator runs (`flask db upgrade`, `flask seed demo`), driven over TCP.

It uses a database of its own (a fresh SQLite file, or `<test db>_live` on PostgreSQL),
never the `app` fixture's.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from inspect_api.seed import showcase_visit_ids

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "live-demo-password-2026"
START_TIMEOUT = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _live_database_url(tmp: Path, suffix: str = "_live") -> str:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base or not base.startswith("postgresql"):
        return f"sqlite:///{tmp / 'live.db'}"
    url = make_url(base)
    live = url.set(database=f"{url.database}{suffix}")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                             {"name": live.database})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{live.database}"'))
    admin.dispose()
    engine = create_engine(live)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return live.render_as_string(hide_password=False)


def _run(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def live_server():
    tmp = Path(tempfile.mkdtemp(prefix="inspect-live-"))
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _live_database_url(tmp),
        "APP_ENV": "production",
        "JWT_SECRET_KEY": "live-test-secret-" + uuid.uuid4().hex,
        "ARGON2_MEMORY_KIB": "64",
        "ARGON2_TIME_COST": "1",
        "DEMO_PASSWORD": PASSWORD,
        "STORAGE_DIR": str(tmp / "objects"),
        "LOG_LEVEL": "WARNING",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "TRUSTED_HOSTS": "127.0.0.1",
    }
    env.pop("FLASK_APP", None)
    flask = str(BIN / "flask")
    _run([flask, "--app", "wsgi", "db", "upgrade"], env)
    seeded = _run([flask, "--app", "wsgi", "seed", "demo"], env)
    assert "created:" in seeded

    log = open(tmp / "gunicorn.log", "w+")  # noqa: SIM115 - the server's, closed after it
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if server.poll() is not None:
                log.seek(0)
                pytest.fail(f"gunicorn exited with {server.returncode}:\n{log.read()}")
            try:
                if requests.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:  # not accepting yet, or workers still booting
                pass
            if time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"gunicorn not ready after {START_TIMEOUT}s:\n{log.read()}")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
        log.close()


class Session:
    """requests with a bearer token and the checks every API response must pass."""

    def __init__(self, base: str, username: str):
        self.base = base
        self.http = requests.Session()
        response = self.call("POST", "/auth/login", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        self.http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        request_id = f"live-{uuid.uuid4().hex[:12]}"
        headers = {"X-Request-ID": request_id, **kwargs.pop("headers", {})}
        response = self.http.request(method, f"{self.base}/api/v1{path}", headers=headers,
                                     timeout=30, **kwargs)
        assert response.headers.get("Cache-Control") == "no-store", (path, response.headers)
        assert response.headers.get("X-Request-ID") == request_id, (path, response.headers)
        if response.status_code >= 400:
            assert response.headers["Content-Type"].startswith("application/problem+json"), response.text
            assert response.json()["request_id"] == request_id
        return response


def _answer(criterion: dict) -> dict:
    item = {"id": str(uuid.uuid4()), "criterion_id": criterion["id"],
            "recorded_at": "2026-11-20T01:30:00+00:00"}
    kind, rule = criterion["answer_type"], criterion.get("pass_rule") or ""
    if kind in {"yes_no", "text"}:
        item["result"] = "pass"
    elif kind == "count":
        item["value"] = 0
    elif kind == "percent":
        item["value"] = 100
    elif kind == "time":
        item["value"] = "17:05" if "closes_at" in rule else "07:20"
    return item


def test_health_probes_and_errors_over_tcp(live_server):
    assert requests.get(f"{live_server}/healthz", timeout=5).json() == {"status": "ok"}
    ready = requests.get(f"{live_server}/readyz", timeout=5)
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "object_store": "ok"}
    missing = requests.get(f"{live_server}/api/v1/no-such-thing", timeout=5)
    assert missing.status_code == 404
    assert missing.headers["Content-Type"].startswith("application/problem+json")
    assert missing.headers["X-Request-ID"] and missing.headers["Cache-Control"] == "no-store"
    unauthenticated = requests.get(f"{live_server}/api/v1/desks", timeout=5)
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["Content-Type"].startswith("application/problem+json")
    wrong = requests.post(f"{live_server}/api/v1/auth/login", timeout=10,
                          json={"username": "inspector1", "password": "not-it"})
    assert wrong.status_code == 401 and "access_token" not in wrong.text


def test_a_host_outside_trusted_hosts_is_refused_over_tcp(live_server):
    """Production requires TRUSTED_HOSTS; gunicorn passes the Host header through."""
    for method, path, body in (("GET", "/healthz", None), ("GET", "/api/v1/desks", None),
                               ("POST", "/api/v1/auth/login", {"username": "admin", "password": PASSWORD})):
        response = requests.request(method, f"{live_server}{path}", json=body, timeout=10,
                                    headers={"Host": "evil.example"})
        assert response.status_code == 400, (path, response.text)
        assert response.headers["Content-Type"].startswith("application/problem+json")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "access_token" not in response.text
    assert requests.get(f"{live_server}/healthz", timeout=5).headers["X-Content-Type-Options"] == "nosniff"


def test_an_inspectors_day_against_gunicorn(live_server):
    inspector = Session(live_server, "inspector1")
    me = inspector.call("GET", "/auth/me").json()
    assert me["username"] == "inspector1" and me["role"] == "inspector"
    assert me["org_unit"]["code"] == "TQ" and len(me["teams"]) == 1
    team = me["teams"][0]

    desks = inspector.call("GET", "/desks", params={"per_page": 200}).json()
    assert len(desks["items"]) == 11 and desks["meta"]["more"] is False
    assert set(team["desk_ids"]) <= {d["id"] for d in desks["items"]}
    checklist = inspector.call("GET", f"/checklists/{team['checklist_id']}").json()
    criteria = checklist["criteria"]
    assert checklist["status"] == "published" and len(criteria) == 38
    assert [c["position"] for c in criteria] == list(range(1, 39))
    desk_id = team["desk_ids"][0]
    staff = inspector.call("GET", "/staff", params={"desk_id": desk_id}).json()["items"]

    visit_id = str(uuid.uuid4())
    body = {"desk_id": desk_id, "checklist_id": checklist["id"], "team_id": team["id"],
            "started_at": "2026-11-20T01:15:00+00:00", "notes": "Kiểm tra đột xuất",
            "staff_on_duty": [s["id"] for s in staff[:2]]}
    created = inspector.call("PUT", f"/visits/{visit_id}", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "draft" and created.json()["version"] == 1

    findings = [_answer(c) for c in criteria]
    for _ in range(3):
        synced = inspector.call("PUT", f"/visits/{visit_id}/findings", json={"findings": findings})
        assert synced.status_code == 200, synced.text
    detail = inspector.call("GET", f"/visits/{visit_id}").json()
    assert len(detail["findings"]) == 38
    assert {f["id"] for f in detail["findings"]} == {f["id"] for f in findings}

    submitted = inspector.call("POST", f"/visits/{visit_id}/submit")
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted"

    other_team = Session(live_server, "inspector2")
    assert other_team.call("GET", f"/visits/{visit_id}").status_code == 404
    assert other_team.call("PUT", f"/visits/{visit_id}/findings",
                           json={"findings": findings[:1]}).status_code == 404
    assert visit_id not in {v["id"] for v in other_team.call("GET", "/visits").json()["items"]}

    reviewer = Session(live_server, "reviewer1")
    queue = reviewer.call("GET", "/visits", params={"status": "submitted"}).json()
    # Besides the visits the demo seed submitted (seed/showcase.yaml), only this one.
    demo_visits = set(showcase_visit_ids().values())
    assert [v["id"] for v in queue["items"] if v["id"] not in demo_visits] == [visit_id]
    assert reviewer.call("GET", f"/visits/{visit_id}").json()["status"] == "submitted"

    admin = Session(live_server, "admin")
    trail = admin.call("GET", "/audit", params={"entity_type": "visit", "entity_id": visit_id}).json()
    assert trail["items"][0]["action"] == "submit"
    assert admin.call("GET", "/audit/verify").json()["intact"] is True

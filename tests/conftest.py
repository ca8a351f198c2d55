"""Test fixtures: one migrated database per run (SQLite by default, PostgreSQL when
TEST_DATABASE_URL says so), emptied after every test; an auth helper per role.

Tests commit for real (concurrency and audit-chain tests need separate transactions,
and many tests open a second app on the same database), so isolation comes from
emptying the tables after each test, not from a rolled-back savepoint. The demo seed
runs once per session: its rows are kept in memory and written back for each test
that asks for `demo` (a few multi-row INSERTs instead of a second of services,
argon2 and audit hashing).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from inspect_api.app import create_app
from inspect_api.db import db
from inspect_api.reports.list_cache import forget_kept_lists

DEMO_PASSWORD = "demo-password-for-tests"
# Rows the migrations put there that the app needs (the change clock's one row).
KEPT_TABLES = {"change_clock"}
# The session database and object stores, in memory when the machine offers a tmpfs:
# SQLite syncs the disk at every commit (about 4 ms each on a busy disk, 0.01 ms on
# /dev/shm) and the tests commit tens of thousands of times. Nothing here must survive.
_SHM = Path("/dev/shm")  # noqa: S108 - a directory for mkdtemp, which makes it private
_TMP = Path(tempfile.mkdtemp(prefix="inspect-tests-",
                             dir=_SHM if _SHM.is_dir() and os.access(_SHM, os.W_OK) else None))


def database_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.db'}"


def pytest_configure(config):
    """Under pytest-xdist (`make test` runs it) each worker is a process with a database of
    its own: SQLite gets a file in the worker's own temporary directory anyway; a
    PostgreSQL database `<db>` becomes `<db>_gw0`, `<db>_gw1`... (created when missing).
    It is set in the environment, so what tests derive from it (`<db>_gw0_live`,
    `_fleet`, `_migrations`) is the worker's own too."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get("TEST_DATABASE_URL")
    if not worker or not url or not url.startswith("postgresql"):
        return
    base = make_url(url)
    if base.database.endswith(f"_{worker}"):
        return  # already the worker's own
    own = base.set(database=f"{base.database}_{worker}")
    server = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own.database}):
            conn.execute(text(f'CREATE DATABASE "{own.database}"'))
    server.dispose()
    os.environ["TEST_DATABASE_URL"] = own.render_as_string(hide_password=False)


def pytest_unconfigure(config):
    shutil.rmtree(_TMP, ignore_errors=True)  # in memory, when on /dev/shm


def pytest_collection_modifyitems(config, items):
    """Every test needs an id of its own: pytest-xdist hands tests out by id, so tests
    sharing one would run once and be counted once. schemathesis names its items
    `test_operation_keeps_its_contract[GET /api/v1/...]`, but pytest 9.2 builds their
    ids from the bare function name; give them back the operation their name carries."""
    for item in items:
        if item.name.endswith("]") and not item.nodeid.endswith("]"):
            item._id = item._id.with_params(item.name[item.name.index("[") + 1:-1])
    seen: set[str] = set()
    shared = {item.nodeid for item in items if item.nodeid in seen or seen.add(item.nodeid)}
    if shared:
        raise pytest.UsageError(f"tests sharing an id would run only once: {sorted(shared)[:5]}")


def reset_database(url: str) -> None:
    """Start from nothing, so the migrations build every table themselves."""
    if url.startswith("sqlite"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def test_settings(**extra) -> dict:
    settings = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url(),
        "JWT_SECRET_KEY": "test-secret-" + "x" * 32,
        # Cheap argon2 in tests only; production uses the OWASP parameters.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_KIB": 64,
        "ARGON2_PARALLELISM": 1,
        "DEMO_PASSWORD": DEMO_PASSWORD,
        "STORAGE_DIR": str(_TMP / "objects"),
        # Anchors go to the object store, which most apps here share: tests of anchoring
        # turn it on with a store of their own (tests/api/test_audit_anchors.py).
        "AUDIT_ANCHOR_EVERY": 0,
    }
    settings.update(extra)
    return settings


@dataclass(frozen=True)
class SeedSnapshot:
    """The rows the demo seed wrote (table name -> rows in primary key order) and the
    change clock it left: the seed's whole effect on the database, audit chain and
    sync stamps included."""

    rows: dict[str, list[dict]]
    clock: int


@pytest.fixture(scope="session")
def _session_database() -> tuple:
    """The session app on a freshly migrated database, and the demo seed's snapshot,
    taken on the empty database before any test writes to it."""
    reset_database(database_url())
    app = create_app(test_settings(), environ={})
    with app.app_context():
        upgrade()
    return app, take_seed_snapshot(app)


@pytest.fixture(scope="session")
def app(_session_database):
    return _session_database[0]


@pytest.fixture(scope="session")
def seed_snapshot(_session_database) -> SeedSnapshot:
    return _session_database[1]


def take_seed_snapshot(app) -> SeedSnapshot:
    """Run the demo seed on the empty database, read back what it wrote, empty it again."""
    from inspect_api.seed import load_demo

    with app.app_context():
        load_demo(echo=lambda message: None)
        db.session.remove()
        with db.engine.connect() as conn:
            rows = {table.name: [dict(row._mapping) for row in
                                 conn.execute(table.select().order_by(*table.primary_key.columns))]
                    for table in db.metadata.sorted_tables if table.name not in KEPT_TABLES}
            clock = conn.execute(text("SELECT seq FROM change_clock WHERE id = 1")).scalar_one()
    empty_database(app)
    return SeedSnapshot({name: table_rows for name, table_rows in rows.items() if table_rows}, clock)


def restore_seed(app, snapshot: SeedSnapshot) -> None:
    """Write the seed's rows back into the emptied database as the seed left them, the
    change clock included (its counter only has to be at least every row's sync_seq):
    lists the app kept under the clock's value are forgotten."""
    forget_kept_lists(app)
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in db.metadata.sorted_tables:
                if table.name in snapshot.rows:
                    conn.execute(table.insert(), snapshot.rows[table.name])
            conn.execute(text("UPDATE change_clock SET seq = :seq WHERE id = 1"), {"seq": snapshot.clock})
            if conn.dialect.name == "postgresql":
                _move_id_sequences_past(conn, snapshot.rows)


def _move_id_sequences_past(conn, rows: dict[str, list[dict]]) -> None:
    """PostgreSQL: the rows came with their ids, so move each id sequence past them
    (never back, so the rows a test creates get ids no earlier test used, as before)."""
    for name in rows:
        if "id" not in db.metadata.tables[name].c:
            continue
        sequence = conn.scalar(text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": name})
        if sequence:
            # Names from the metadata and the catalogue, not from input.
            conn.execute(text(f"SELECT setval('{sequence}', GREATEST((SELECT max(id) FROM {name}), "  # noqa: S608
                              f"(SELECT last_value FROM {sequence})))"))


def empty_database(app) -> None:
    """Delete every row the tests made (the change clock's row stays: the app needs it),
    and forget the lists the app kept for them."""
    forget_kept_lists(app)
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                if table.name not in KEPT_TABLES:
                    conn.execute(table.delete())


@pytest.fixture(autouse=True)
def _clean_database(request):
    yield
    if "app" not in request.fixturenames:
        return
    empty_database(request.getfixturevalue("app"))  # login throttle counters included


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def demo(app, seed_snapshot):
    """The demo seed (Tuyên Quang after the reform, one plan, two teams, five users)."""
    restore_seed(app, seed_snapshot)
    return Demo(app)


class Demo:
    """Ids of the demo rows, looked up by their natural keys."""

    def __init__(self, app):
        from sqlalchemy import select

        from inspect_api.auth.models import User
        from inspect_api.checklists.models import ChecklistTemplate
        from inspect_api.org.models import Desk, OrgUnit, Staff
        from inspect_api.plans.models import Team

        with app.app_context():
            self.users = {u.username: u.id for u in db.session.scalars(select(User))}
            self.units = {u.code: u.id for u in db.session.scalars(select(OrgUnit))}
            self.checklist_id = db.session.scalar(select(ChecklistTemplate.id))
            self.criteria = {c.code: c.id for c in db.session.scalar(select(ChecklistTemplate)).criteria}
            self.criteria_meta = {c.code: (c.answer_type, c.subject)
                                  for c in db.session.scalar(select(ChecklistTemplate)).criteria}
            teams = db.session.scalars(select(Team).order_by(Team.id)).all()
            self.teams = {t.name: t.id for t in teams}
            self.team_desks = {t.id: [d.id for d in t.desks] for t in teams}
            self.team_of = {}
            for team in teams:
                for member in team.members:
                    self.team_of[member.username] = team.id
            desks = db.session.scalars(select(Desk)).all()
            self.desk_unit = {d.id: d.org_unit_id for d in desks}
            self.staff_by_desk: dict[int, list[int]] = {}
            for s in db.session.scalars(select(Staff).order_by(Staff.id)):
                if s.desk_id is not None:
                    self.staff_by_desk.setdefault(s.desk_id, []).append(s.id)
            db.session.remove()

    def desk_of(self, username: str) -> int:
        return self.team_desks[self.team_of[username]][0]


def logins(client):
    """A login(username, password=DEMO_PASSWORD) -> headers with a bearer token, one
    login per user (for fixtures of any scope)."""
    cache: dict[str, dict] = {}

    def _login(username: str, password: str = DEMO_PASSWORD) -> dict:
        if username not in cache:
            response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
            assert response.status_code == 200, response.get_json()
            cache[username] = {"Authorization": f"Bearer {response.get_json()['access_token']}"}
        return cache[username]

    return _login


@pytest.fixture
def login(client):
    """login("inspector1") -> headers with a bearer token."""
    return logins(client)


@contextmanager
def counting(app):
    """Yields a list that receives every statement the app's engine sends meanwhile."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def statements_of(app, call, *args, **kwargs) -> tuple[int, Any]:
    """How many statements `call(*args, **kwargs)` sends, and what it returns."""
    with counting(app) as statements:
        result = call(*args, **kwargs)
    return len(statements), result


def new_id() -> str:
    return str(uuid.uuid4())


# --- object storage ------------------------------------------------------------------

def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class S3Server:
    """moto's S3-compatible HTTP server on 127.0.0.1, driven through the real `minio`
    client by the app. It can be stopped and started again (its data survives: moto
    keeps it in this process) to inject store failures."""

    access_key = "testing-access"
    secret_key = "testing-secret-key"

    def __init__(self):
        from moto.server import ThreadedMotoServer

        self.port = free_port()
        self.endpoint = f"127.0.0.1:{self.port}"
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.running = False

    def start(self):
        from moto.server import ThreadedMotoServer

        if not self.running:
            self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
            self._server.start()
            self.running = True

    def stop(self):
        if self.running:
            self._server.stop()
            self.running = False

    def settings(self, bucket: str = "test-evidence") -> dict:
        return {"STORAGE_BACKEND": "minio", "MINIO_ENDPOINT": self.endpoint,
                "MINIO_ACCESS_KEY": self.access_key, "MINIO_SECRET_KEY": self.secret_key,
                "MINIO_BUCKET": bucket, "MINIO_SECURE": False, "MINIO_REGION": "us-east-1"}

    def client(self):
        from minio import Minio

        return Minio(self.endpoint, access_key=self.access_key, secret_key=self.secret_key,
                     secure=False, region="us-east-1")


@pytest.fixture(scope="session")
def s3_server():
    server = S3Server()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def minio_app(app, s3_server):
    """An app on the same (migrated) database whose object store is the S3 server."""
    s3_server.start()
    bucket = f"evidence-{uuid.uuid4().hex[:12]}"
    other = create_app(test_settings(**s3_server.settings(bucket)), environ={})
    yield other
    s3_server.start()


@pytest.fixture(params=["local", "minio"])
def store_app(request, app):
    """The app with each object store in turn: the local directory, then S3 (moto)."""
    if request.param == "local":
        local_dir = _TMP / f"objects-{uuid.uuid4().hex[:8]}"
        yield create_app(test_settings(STORAGE_DIR=str(local_dir)), environ={})
    else:
        yield request.getfixturevalue("minio_app")


@pytest.fixture(params=["local", "minio"])
def env_factory(request, app, demo, tmp_path):
    """make(**settings) -> an evidence test Env (tests/api/evidence_support.py) on an app
    with extra settings, for each store in turn: a fresh directory, then a fresh bucket
    on the S3 server. Its database connections are closed after the test."""
    from tests.api.evidence_support import Env

    made = []

    def make(**extra):
        s3 = None
        if request.param == "minio":
            s3 = request.getfixturevalue("s3_server")
            s3.start()
            settings = test_settings(**{**s3.settings(f"evidence-{uuid.uuid4().hex[:12]}"), **extra})
        else:
            settings = test_settings(**{"STORAGE_DIR": str(tmp_path / f"objects-{uuid.uuid4().hex[:8]}"),
                                        **extra})
        env = Env(create_app(settings, environ={}), demo, s3)
        made.append(env)
        return env

    yield make
    for env in made:
        env.close()
    if request.param == "minio":
        request.getfixturevalue("s3_server").start()

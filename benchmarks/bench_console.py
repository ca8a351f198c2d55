"""Server time of each web console page, on the demo data and on a queue of many submitted
visits, on PostgreSQL.

    .venv/bin/python benchmarks/bench_console.py [--repeat N] [--queue-visits N]

The database is BENCH_CONSOLE_DATABASE_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/inspect_bench_console); it is EMPTIED, then
migrated and loaded with `flask seed demo` (the showcase visits, photos included). Each
console page is requested N times (default 50) through the Flask test client, signed in
as reviewer1: time from request to the last byte of the answer, in this process,
PostgreSQL on the same machine. Then the synthetic loader (inspect_api/synthetic.py)
adds --queue-visits visits (default 10,000, with their findings) and marks them submitted,
and the queue is measured again as `national_reviewer` (scope: the whole synthetic
country), first page and a filtered one.

Targets (issue 10): every page under 150 ms at p95, the queue under 300 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/inspect_bench_console"
PASSWORD = "bench-console-password"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def fresh_database(url: str) -> None:
    target = make_url(url)
    if not target.get_backend_name().startswith("postgresql"):
        raise SystemExit(f"bench_console measures PostgreSQL; BENCH_CONSOLE_DATABASE_URL is {url}")
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}):
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    server.dispose()
    engine = create_engine(target)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def sign_in(client, username: str) -> None:
    page = client.get("/console/sign-in")
    token = TOKEN.search(page.text).group(1)
    response = client.post("/console/sign-in", data={"username": username, "password": PASSWORD,
                                                     "csrf_token": token})
    assert response.status_code == 303, response.text[:300]


def measure(client, path: str, repeat: int, headers: dict | None = None) -> tuple[float, float, int]:
    """(p50, p95) in ms and the status, over `repeat` requests after one warm-up."""
    status = client.get(path, headers=headers).status_code
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        response.get_data()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], status


def report(rows: list[tuple[str, float, float, int]], limit: float) -> bool:
    ok = True
    for path, p50, p95, status in rows:
        flag = "ok" if p95 < limit and status == 200 else "SLOW" if status == 200 else f"HTTP {status}"
        ok = ok and flag == "ok"
        print(f"  {path:<70} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   {flag}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--queue-visits", type=int, default=10_000)
    args = parser.parse_args()
    url = os.environ.get("BENCH_CONSOLE_DATABASE_URL") or DEFAULT_URL
    fresh_database(url)

    from flask_migrate import upgrade
    from sqlalchemy import select, update

    from inspect_api.app import create_app
    from inspect_api.db import db
    from inspect_api.evidence.models import Evidence
    from inspect_api.seed import seed_demo, showcase_visit_ids
    from inspect_api.synthetic import Sizes, load_synthetic
    from inspect_api.visits.models import Visit

    storage = Path("instance") / "bench-console-objects"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "JWT_SECRET_KEY": "bench-" + "x" * 40,
                      "DEMO_PASSWORD": PASSWORD, "RATELIMIT_STORAGE_URI": "memory://",
                      "STORAGE_DIR": str(storage), "AUDIT_ANCHOR_EVERY": 0, "LOG_LEVEL": "WARNING"},
                     environ={})
    with app.app_context():
        upgrade()
        seed_demo(echo=lambda message: None)
        photo = db.session.scalar(select(Evidence.id).order_by(Evidence.uploaded_at))
    visits = showcase_visit_ids()
    client = app.test_client()
    sign_in(client, "reviewer1")
    waiting = visits["minhxuan-2026-11-18"]
    pages = ["/console/queue", "/console/queue?state=all",
             "/console/queue?state=all&critical=true", f"/console/visits/{waiting}",
             f"/console/visits/{visits['mylam-2026-11-05']}", f"/console/evidence/{photo}",
             "/console/explanations"]
    # The leadership pages (reviewers read them too): a quarter of the showcase visits.
    with app.app_context():
        from inspect_api.org.models import Desk, OrgUnit

        unit = db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == "TQ-MINHXUAN"))
        desk = db.session.scalar(select(Desk.id).where(Desk.org_unit_id == unit))
    quarter = "from=01/10/2026&to=31/12/2026"
    pages += [f"/console/scores?{quarter}", f"/console/scores/units/{unit}?{quarter}",
              f"/console/scores/desks/{desk}?{quarter}", f"/console/lists?kind=criticism&{quarter}",
              f"/console/lists?kind=commendation&{quarter}", "/console/lists/frozen"]
    with app.app_context():
        from inspect_api.corrections.models import Correction
        from inspect_api.plans.models import InspectionPlan

        plan = db.session.scalar(select(InspectionPlan.id).order_by(InspectionPlan.id))
        correction = db.session.scalar(select(Correction.id).join(Desk, Desk.id == Correction.desk_id)
                                       .where(Desk.org_unit_id == db.session.scalar(
                                           select(OrgUnit.id).where(OrgUnit.code == "TQ-TANTRAO")))
                                       .order_by(Correction.id))
        staff_desk = desk
    pages += ["/console/corrections", "/console/notices", f"/console/notices/plans/{plan}"]
    print(f"demo data, PostgreSQL, {args.repeat} requests each, as reviewer1:")
    rows = [("/console/sign-in", *measure(app.test_client(), "/console/sign-in", args.repeat))]
    ok = report(rows + [(path, *measure(client, path, args.repeat)) for path in pages], 150)
    # The other roles' pages: the province's admin, and Tân Trào's unit officer.
    for username, their_pages in (
            ("admin", ["/console/admin/accounts", "/console/admin/teams", "/console/admin/staff",
                       f"/console/admin/staff?desk={staff_desk}", "/console/admin/desks"]),
            ("officer.tantrao", ["/console/corrections", f"/console/corrections/{correction}", "/console/notices"])):
        other = app.test_client()
        sign_in(other, username)
        print(f"  as {username}:")
        ok = report([(path, *measure(other, path, args.repeat)) for path in their_pages], 150) and ok
    # The same machine's pace, for scale: the API's own answers for the same visit and queue.
    token = client.post("/api/v1/auth/login", json={"username": "reviewer1", "password": PASSWORD}).get_json()
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    print("  for scale, the API on the same data:")
    report([(path, *measure(client, path, args.repeat, bearer))
            for path in (f"/api/v1/visits/{waiting}", "/api/v1/review/queue")], 150)

    with app.app_context():
        started = time.perf_counter()
        load_synthetic(Sizes(provinces=34, communes=340, visits=args.queue_visits),
                       echo=lambda message: None, progress=False)
        showcase = [uuid.UUID(value) for value in visits.values()]
        db.session.execute(update(Visit).where(Visit.id.notin_(showcase))
                           .values(status="submitted", submitted_at=Visit.started_at))
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        submitted = db.session.scalar(select(db.func.count()).where(Visit.status == "submitted"))
        print(f"\n{submitted:,} submitted visits loaded in {time.perf_counter() - started:.0f} s; "
              f"as national_reviewer:")
    reviewer = app.test_client()
    sign_in(reviewer, "national_reviewer")
    queue = ["/console/queue", "/console/queue?page=200", "/console/queue?critical=true",
             "/console/queue?date_from=2026-06-01&date_to=2026-06-30", "/console/explanations"]
    ok = report([(path, *measure(reviewer, path, args.repeat)) for path in queue], 300) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

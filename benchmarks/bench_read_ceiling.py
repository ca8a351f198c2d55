"""The read ceiling: `GET /api/v1/visits/{id}` of a visit with one finding per criterion
(38) against `SELECT 1` through SQLAlchemy in the same gunicorn, as requests per second
and their ratio (issue 12: 42 against 1,906 req/s, 2.2 %; target at least 50 %); and,
beside it, against `SELECT 1` behind the token check every API view has, which the
issue's yardstick leaves out.

    .venv/bin/python benchmarks/bench_read_ceiling.py [--seconds 15] [--workers 4] [--clients 16]
    (`make bench-read-ceiling`)

The database is CEILING_DATABASE_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/bench_ceiling): it is WIPED, migrated and
given the demo seed. gunicorn serves benchmarks/ceiling_wsgi.py: the app plus the
benchmark's own `GET /bench/select-1` and `/bench/select-1-signed-in` (never shipped). As inspector1 the benchmark makes
one visit with a finding for every criterion of the demo checklist, then `--clients`
connections (threads spread over 4 processes) send requests back to back to one endpoint,
then the next, in `--turns` alternating turns that add up to `--seconds` per endpoint (so
load from elsewhere falls on all alike); every answer must be 200 (the visit's must hold all its
findings). Client, gunicorn and PostgreSQL share the machine's CPUs: the ratio is the
figure to compare, the load average is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import shutil
import sys
import threading
import time
import uuid

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _servers import (
    ROOT, Api, api_env, export_revision, fresh_database, prepare_database, remove_workdir, run_code_from, workdir,
)

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_ceiling"
PROCESSES = 4


def make_visit(base: str, password: str) -> tuple[str, str, int]:
    """(token, visit id, findings) for a visit of inspector1 with every criterion answered."""
    http = requests.Session()
    login = http.post(f"{base}/api/v1/auth/login", json={"username": "inspector1", "password": password})
    login.raise_for_status()
    token = login.json()["access_token"]
    http.headers["Authorization"] = f"Bearer {token}"
    team = http.get(f"{base}/api/v1/auth/me").json()["teams"][0]
    criteria = http.get(f"{base}/api/v1/checklists/{team['checklist_id']}").json()["criteria"]
    visit_id = str(uuid.uuid4())
    http.put(f"{base}/api/v1/visits/{visit_id}", json={
        "desk_id": team["desk_ids"][0], "checklist_id": team["checklist_id"], "team_id": team["id"],
        "started_at": "2026-10-06T01:00:00+00:00"}).raise_for_status()
    items = []
    for minute, criterion in enumerate(criteria):
        item = {"id": str(uuid.uuid4()), "criterion_id": criterion["id"],
                "recorded_at": f"2026-10-06T01:{minute:02d}:00+00:00", "note": "Đạt yêu cầu"}
        kind = criterion["answer_type"]
        if kind in ("yes_no", "text"):
            item["result"] = "pass"
        elif kind == "count":
            item["value"] = 0
        elif kind == "percent":
            item["value"] = 100
        else:
            item["value"] = "18:45" if "closes_at" in (criterion.get("pass_rule") or "") else "06:15"
        items.append(item)
    for start in range(0, len(items), 10):
        http.put(f"{base}/api/v1/visits/{visit_id}/findings",
                 json={"findings": items[start:start + 10]}).raise_for_status()
    return token, visit_id, len(items)


def _hammer(url: str, token: str, findings: int | None, threads: int, seconds: float, out) -> None:
    """One client process: `threads` connections sending GET `url` back to back."""
    counts, errors, latencies = [0] * threads, [0] * threads, [[] for _ in range(threads)]
    deadline = time.monotonic() + seconds

    def run(n: int) -> None:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {token}"
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                response = http.get(url, timeout=60)
                good = response.status_code == 200 and (
                    findings is None or len(response.json()["findings"]) == findings)
            except requests.RequestException:
                good = False
            latencies[n].append(time.perf_counter() - started)
            counts[n] += good
            errors[n] += not good

    pool = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    out.put((sum(counts), sum(errors), [x for values in latencies for x in values]))


def measure(url: str, token: str, findings: int | None, clients: int, seconds: float) -> dict:
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    per = [clients // PROCESSES + (1 if i < clients % PROCESSES else 0) for i in range(PROCESSES)]
    procs = [context.Process(target=_hammer, args=(url, token, findings, n, seconds, out))
             for n in per if n]
    started = time.monotonic()
    for proc in procs:
        proc.start()
    results = [out.get(timeout=seconds + 120) for _ in procs]
    for proc in procs:
        proc.join()
    elapsed = time.monotonic() - started
    return {"ok": sum(r[0] for r in results), "errors": sum(r[1] for r in results), "seconds": seconds,
            "elapsed": elapsed, "latencies": [x for r in results for x in r[2]]}


def combined(turns: list[dict]) -> dict:
    """One endpoint's turns as one measurement: answers over the seconds sent."""
    ok, seconds = sum(t["ok"] for t in turns), sum(t["seconds"] for t in turns)
    latencies = sorted(x for t in turns for x in t["latencies"])
    return {"ok": ok, "errors": sum(t["errors"] for t in turns), "rate": ok / seconds,
            "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else 0.0,
            "p95_ms": 1000 * latencies[int(len(latencies) * 0.95)] if latencies else 0.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="per endpoint (default 15)")
    parser.add_argument("--turns", type=int, default=5,
                        help="the seconds are spent in this many turns, alternating the endpoints (default 5)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--rev", help="serve the code at this git revision (default: the working tree)")
    args = parser.parse_args()
    url = os.environ.get("CEILING_DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgresql"):
        parser.error(f"this benchmark measures PostgreSQL; CEILING_DATABASE_URL is {url}")
    load_before = os.getloadavg()
    with contextlib.ExitStack() as stack:
        work = workdir()
        stack.callback(remove_workdir, work)
        env = api_env(None, work, url)
        env["ACCESS_TOKEN_MINUTES"] = "240"
        code = ROOT
        if args.rev:
            code = export_revision(args.rev, work)
            # This revision's endpoint next to the older code (it only needs create_app and db).
            shutil.copy(ROOT / "benchmarks" / "ceiling_wsgi.py", code / "benchmarks" / "ceiling_wsgi.py")
        print(f"code under test: {f'revision {args.rev}' if args.rev else 'working tree'} "
              f"(inspect_api from {run_code_from(code, env)})")
        fresh_database(url)
        prepare_database(env, code)
        api = Api(env, work, workers=args.workers, app="benchmarks.ceiling_wsgi:app", code=code)
        stack.callback(api.stop)
        token, visit_id, findings = make_visit(api.url, env["DEMO_PASSWORD"])
        # Warm every worker's pool and caches before measuring.
        measure(f"{api.url}/api/v1/visits/{visit_id}", token, findings, args.clients, 2)
        # In turns of a few seconds each, so that load from elsewhere on the machine falls
        # on both endpoints alike rather than on whichever ran while it lasted.
        slices: tuple[list[dict], ...] = [], [], []
        for _ in range(args.turns):
            slices[0].append(measure(f"{api.url}/api/v1/visits/{visit_id}", token, findings, args.clients,
                                     args.seconds / args.turns))
            slices[1].append(measure(f"{api.url}/bench/select-1", token, None, args.clients,
                                     args.seconds / args.turns))
            slices[2].append(measure(f"{api.url}/bench/select-1-signed-in", token, None, args.clients,
                                     args.seconds / args.turns))
        visit, select, signed_in = combined(slices[0]), combined(slices[1]), combined(slices[2])
    load_after = os.getloadavg()
    print(f"gunicorn: {args.workers} sync workers on PostgreSQL; {args.clients} client connections "
          f"in {PROCESSES} processes, {args.seconds:.0f} s per endpoint in {args.turns} alternating turns")
    for name, r in ((f"GET /visits/{{id}} ({findings} findings)", visit), ("SELECT 1 through SQLAlchemy", select),
                    ("SELECT 1 behind the token check", signed_in)):
        print(f"  {name:<36} {r['rate']:8.1f} req/s  p50 {r['p50_ms']:7.1f} ms  p95 {r['p95_ms']:7.1f} ms  "
              f"({r['ok']:,} answers, {r['errors']} errors)")
    ratio = visit["rate"] / select["rate"] if select["rate"] else 0.0
    print(f"read ceiling: visit detail at {ratio * 100:.1f} % of SELECT 1 (issue 12: 2.2 % before, target >= 50 %)")
    if signed_in["rate"]:
        print(f"  and at {visit['rate'] / signed_in['rate'] * 100:.1f} % of SELECT 1 behind the token check "
              "(what any API request pays before its own work)")
    print(f"1-minute load average on {os.cpu_count()} CPUs: {load_before[0]:.2f} before, {load_after[0]:.2f} after")
    return 0 if not (visit["errors"] or select["errors"] or signed_in["errors"]) else 1


if __name__ == "__main__":
    sys.exit(main())

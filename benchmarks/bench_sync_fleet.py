"""A fleet of tablets syncing against gunicorn on PostgreSQL: lost and duplicated changes
(both must be 0), latency percentiles per kind of request, throughput and load.

    .venv/bin/python benchmarks/bench_sync_fleet.py [--tablets 50] [--workers 4] [--instances 1] [--json]
    (`make bench-sync`; `make bench-sync-scaled`: two instances)

The database is FLEET_DATABASE_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/bench_fleet): it is WIPED (created if
missing, its public schema dropped), migrated (`flask db upgrade`) and given the demo seed
(`flask seed demo`). The API runs under gunicorn with --workers sync workers, in
production mode, on the local-directory object store (no photos are sent). With
--instances N, N such gunicorns (each with --workers workers) share the one database,
as API hosts behind a balancer would; the clients send each request to the next
instance in turn (a round-robin balancer in the client).

Then, through the API as admin: a second desk in every unit that has one, an inspector
account per tablet (half of each team at the province, half at the team's commune, so
their reference feeds differ), teams of --team-size at the two desks of one unit, and
the extra reviewers. Then everything runs at once (see benchmarks/fleet.py for who does
what and for the exact definitions of lost and duplicated changes): the tablets, in
--procs processes of threads, pull every feed with the cursor, create visits, sync
findings in batches (replaying some requests, and sending some twice at the same moment
on two connections), edit, submit, fix what reviewers return
and keep pulling until all their visits are approved; reviewers approve or return; an
admin closes and reopens desks, moves staff between communes and renames teams. At the
end every actor pulls once more and each of its copies is compared row by row with a
fresh full pull as that user, and that with direct SQL.

With the defaults (50 tablets, 3 visits each) it takes a few minutes on 2 cores. The
latencies are of a loopback setup where the clients, gunicorn and PostgreSQL share the
CPUs (the load average is printed): compare them within one machine. Exit status: 0 when
nothing was lost or duplicated, no request got an unexpected answer and every visit was
approved before --max-seconds; 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _servers import (
    ROOT, Api, api_env, export_revision, fresh_database, prepare_database, remove_workdir, run_code_from, workdir,
)
from fleet import FleetConfig, format_report, run_fleet

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_fleet"


def main() -> int:
    defaults = FleetConfig()
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tablets", type=int, default=defaults.tablets, help="inspector tablets (default 50)")
    parser.add_argument("--procs", type=int, default=defaults.procs,
                        help="client processes the tablets are spread over (default 4)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4)")
    parser.add_argument("--instances", type=int, default=1,
                        help="gunicorn instances sharing the database, requests round-robin (default 1)")
    parser.add_argument("--team-size", type=int, default=defaults.team_size, help="inspectors per team (default 2)")
    parser.add_argument("--visits", type=int, default=defaults.visits, help="visits per tablet (default 3)")
    parser.add_argument("--per-page", type=int, default=defaults.per_page, help="page size of the pulls (default 25)")
    parser.add_argument("--reviewers", type=int, default=defaults.reviewers,
                        help="reviewers at the province (default 2; one more at a commune)")
    parser.add_argument("--max-seconds", type=float, default=defaults.max_seconds,
                        help="give up the active phase after this (default 900)")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--think", type=float, nargs=2, metavar=("MIN", "MAX"), default=defaults.think,
                        help="seconds a tablet waits between two steps, drawn uniformly "
                             f"(default {defaults.think[0]} {defaults.think[1]}: back to back, the most load)")
    parser.add_argument("--rate", type=float,
                        help="requests per second the tablets send in all, with random gaps "
                             "(default: as fast as they go, which measures the most the server carries)")
    parser.add_argument("--rev", help="serve the code at this git revision (default: the working tree)")
    parser.add_argument("--json", action="store_true", help="also print the whole report as JSON")
    args = parser.parse_args()
    if min(args.tablets, args.team_size, args.visits, args.workers, args.instances) < 1:
        parser.error("--tablets, --team-size, --visits, --workers and --instances must be at least 1")
    cfg = FleetConfig(tablets=args.tablets, procs=args.procs, team_size=args.team_size, visits=args.visits,
                      per_page=args.per_page, reviewers=args.reviewers, max_seconds=args.max_seconds,
                      seed=args.seed, think=tuple(args.think), rate=args.rate)
    url = os.environ.get("FLEET_DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgresql"):
        parser.error(f"this benchmark measures PostgreSQL; FLEET_DATABASE_URL is {url}")

    def terminated(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminated)
    started = time.monotonic()
    load_before = os.getloadavg()
    with contextlib.ExitStack() as stack:
        work = workdir()
        stack.callback(remove_workdir, work)
        env = api_env(None, work, url)
        code = export_revision(args.rev, work) if args.rev else ROOT
        code_label = f"revision {args.rev}" if args.rev else "working tree"
        print(f"code under test: {code_label} (inspect_api from {run_code_from(code, env)})", file=sys.stderr)
        # Tokens outlive a long run; logins are measured, but not what a refresh costs.
        env["ACCESS_TOKEN_MINUTES"] = "240"
        print(f"wiping and migrating {url.rsplit('@', 1)[-1]} ...", file=sys.stderr)
        fresh_database(url)
        prepare_database(env, code)
        apis = []
        for n in range(args.instances):
            # Each instance logs to a directory of its own.
            logdir = work / f"api-{n}"
            logdir.mkdir()
            apis.append(Api(env, logdir, workers=args.workers, code=code))
            stack.callback(apis[-1].stop)

        @stack.push
        def show_log_on_failure(exc_type, exc, tb) -> None:
            if exc_type is not None:
                for api in apis:
                    print(f"--- gunicorn log (tail) ---\n{api.log_tail()}", file=sys.stderr)

        report = run_fleet([api.url for api in apis], env["DEMO_PASSWORD"], url, cfg,
                           echo=lambda message: print(message, file=sys.stderr))
        server_log = "".join(api.log_tail(20000) for api in apis)
    if args.json:
        print(json.dumps({**dataclasses.asdict(report), "ok": report.ok}, indent=2, default=str))
    print(f"code under test: {code_label}")
    print(f"gunicorn: {args.instances} instance(s) of {args.workers} sync workers on PostgreSQL "
          f"({url.rsplit('@', 1)[-1]}); 1-minute load average before {load_before[0]:.2f}")
    print(format_report(report))
    tracebacks = server_log.count("Traceback")
    if tracebacks:
        print(f"gunicorn's log has {tracebacks} tracebacks; its tail:\n{server_log[-3000:]}")
    print(f"(benchmark took {time.monotonic() - started:.0f} s in all)")
    print("verdict: " + ("OK: nothing lost, nothing duplicated" if report.ok else "FAILED"))
    return 0 if report.ok and not tracebacks else 1


if __name__ == "__main__":
    sys.exit(main())

"""Reports over a national synthetic year, on PostgreSQL: the scores and each list.

    .venv/bin/python benchmarks/bench_reports.py [--repeat N] [--json]

The database is BENCH_DATABASE_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/inspect_bench), created if missing and
migrated to head. If it holds no synthetic data yet, the demo seed and the national
synthetic year (`flask seed synthetic` at its default sizes: 34 provinces, 3,300
communes/wards, 40,000 approved visits, about 1.5 million findings) are loaded first and
the load is timed; that takes a few minutes once, and later runs skip it. A database
loaded at other sizes (--provinces/--communes/--visits, for a quick look) is used as it
is: the sizes actually there are printed.

Then, in this process (create_app + a test request context, the same service functions
the API calls), as `national_leader` (whose org unit is the national root, so the scope
is the whole country) for the year 2026:

* scores: `reports.service.scores` (unit and desk scores, ranked), then its JSON
  dump with the API's schema, then its encoding into the answer's bytes (the app's
  JSON provider, as the view's answer is made);
* list criticism / list commendation: `reports.service.computed_list`, then its dump
  and encoding, with the cyclic collector paused as the list's view pauses it
  (serving.answered_without_cycle_collection; revisions without it, as they ran). The
  list is computed from the database on every run: what the first leader to ask after
  a write waits. "kept" rows: the same list asked again with nothing committed since,
  as reports/list_cache.py keeps it (code that keeps none has no such row).

With --rev REV the same measurements run on the code of that git revision (exported with
`git archive`, imported first, with this virtualenv's packages) against the same
database, which must already be loaded and is not migrated: the before and after of a
change, back to back.

The measurements run in a fresh process (spawned, not forked) that holds what a gunicorn
worker holds, tuned as wsgi.py tunes a worker (inspect_api/serving.py) when the code under
test has that step; older revisions ran on Python's defaults, and so are measured. (Run
in the process that had migrated the database, with the migrations' objects on its heap,
fe8ea0e's national criticism list took 1.8 s; in a process like a worker, 2.8 s: how
often the collector scans everything depends on what is already there.)

Each measurement is one function (`measure_*`) returning a `Measurement`; add new ones to
MEASUREMENTS (exports go there). Timings are wall-clock seconds of the whole call,
database time included: PostgreSQL runs on the same machine. With --repeat N each is run
N times and the table shows the median and the range; the first run also pays for cold
caches.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/inspect_bench"
DATE_FROM, DATE_TO = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
LEADER = "national_leader"


# --- the database --------------------------------------------------------------------

def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL


def ensure_database(url: str) -> bool:
    """Create the database if it does not exist; True if it was created."""
    target = make_url(url)
    if not target.get_backend_name().startswith("postgresql"):
        raise SystemExit(f"bench_reports measures PostgreSQL; BENCH_DATABASE_URL is {url}")
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                           {"name": target.database}):
                return False
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
            return True
    finally:
        engine.dispose()


def make_app(url: str):
    from inspect_api.app import create_app

    return create_app({
        "SQLALCHEMY_DATABASE_URI": url,
        "JWT_SECRET_KEY": "benchmark-" + "x" * 40,
        "DEMO_PASSWORD": os.environ.get("DEMO_PASSWORD") or "bench-demo-password",
        "RATELIMIT_STORAGE_URI": "memory://",
    }, environ={})


@dataclass
class Dataset:
    loaded_now: bool
    load_seconds: float | None
    insert_seconds: dict[str, float]
    rows: dict[str, int]


def serve_like_wsgi(code: Path) -> str:
    """Set the process up as wsgi.py sets up a gunicorn worker, if the code under test
    (in `code`) does; say which. Looked for as a file: the virtualenv's editable install
    would find an older revision's missing module in the working tree."""
    if not (code / "inspect_api" / "serving.py").exists():
        return "Python's defaults (this revision's wsgi.py tunes nothing)"
    from inspect_api.serving import tune_garbage_collector

    tune_garbage_collector()
    return "tuned as wsgi.py tunes a worker"


def prepare(app, sizes: dict[str, int], migrate: bool = True) -> Dataset:
    """Migrate; load demo + the synthetic year unless it is there already (an older
    revision's code, `migrate` False, uses the database as it is)."""
    from flask_migrate import upgrade

    from inspect_api.db import db
    from inspect_api.org.models import OrgUnit
    from inspect_api.synthetic import ROOT_CODE, Sizes, load_synthetic

    with app.app_context():
        if migrate:
            upgrade()
        loaded_now, seconds, inserts = False, None, {}
        if db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == ROOT_CODE)) is None:
            if not migrate:
                raise SystemExit("--rev needs a database the working tree's code has loaded: run without --rev first")
            print("loading the demo seed and the synthetic national year (once) ...", file=sys.stderr)
            report = load_synthetic(Sizes(**sizes), echo=lambda message: print(message, file=sys.stderr))
            loaded_now, seconds, inserts = True, report.seconds, report.insert_seconds
        rows = dataset_rows()
        db.session.remove()
    return Dataset(loaded_now, seconds, inserts, rows)


def dataset_rows() -> dict[str, int]:
    from inspect_api.db import db
    from inspect_api.org.models import Desk, OrgUnit, Staff
    from inspect_api.visits.models import Finding, Visit

    under_root = select(OrgUnit.id).where(OrgUnit.path.startswith(
        select(OrgUnit.path).where(OrgUnit.code == "VN").scalar_subquery()))
    return {
        "org units (VN subtree)": db.session.scalar(select(func.count()).select_from(under_root.subquery())),
        "desks (VN subtree)": db.session.scalar(select(func.count()).select_from(Desk)
                                                .where(Desk.org_unit_id.in_(under_root))),
        "staff (VN subtree)": db.session.scalar(select(func.count()).select_from(Staff)
                                                .where(Staff.org_unit_id.in_(under_root))),
        "approved visits": db.session.scalar(select(func.count()).select_from(Visit)
                                             .where(Visit.status == "approved")),
        "findings": db.session.scalar(select(func.count()).select_from(Finding)),
        "failing findings": db.session.scalar(select(func.count()).select_from(Finding)
                                              .where(Finding.result == "fail")),
    }


# --- measurements --------------------------------------------------------------------

@dataclass
class Bench:
    app: Any
    repeat: int
    date_from: dt.date = DATE_FROM
    date_to: dt.date = DATE_TO

    def args(self, **extra) -> dict[str, Any]:
        return {"date_from": self.date_from, "date_to": self.date_to, **extra}


@dataclass
class Measurement:
    name: str
    seconds: list[float]  # the timed part, once per repeat
    parts: dict[str, list[float]] = field(default_factory=dict)  # named sub-timings
    size: str = ""  # what was produced, e.g. "3300 units, 3300 desks"

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def _actor():
    from inspect_api.auth.models import User
    from inspect_api.db import db

    actor = db.session.scalar(select(User).where(User.username == LEADER))
    if actor is None:
        raise SystemExit(f"no user {LEADER!r}: the database has no synthetic data")
    return actor


def _timed_service(bench: Bench, name: str, compute: Callable[[Any], Any], schema,
                   describe: Callable[[Any], str], *, as_a_large_answer: bool = False,
                   before_each: Callable[[], None] = lambda: None) -> Measurement:
    """Run compute(actor) then schema.dump(result) `repeat` times, each in a fresh
    request context and session (no identity map carried over between runs). With
    `as_a_large_answer`, all three inside the pause of the cyclic collector that the
    view runs them in (serving.answered_without_cycle_collection), when the code under
    test has it; older revisions ran with the collector on, and so are measured."""
    from inspect_api.db import db

    paused = _collection_pause() if as_a_large_answer else contextlib.nullcontext
    measurement = Measurement(name, [], {"compute": [], "json dump": [], "encode": []})
    for _ in range(bench.repeat):
        before_each()
        with bench.app.test_request_context(), paused():
            actor = _actor()
            started = time.perf_counter()
            result = compute(actor)
            computed = time.perf_counter()
            body = schema.dump(result)
            dumped = time.perf_counter()
            bench.app.json.response(body)  # the answer's bytes, as the view's answer is made
            encoded = time.perf_counter()
            measurement.parts["compute"].append(computed - started)
            measurement.parts["json dump"].append(dumped - computed)
            measurement.parts["encode"].append(encoded - dumped)
            measurement.seconds.append(encoded - started)
            measurement.size = describe(body)
            db.session.remove()
    return measurement


def _collection_pause() -> Callable[[], Any]:
    try:
        from inspect_api.serving import cycle_collection_paused
    except ImportError:
        return contextlib.nullcontext
    return cycle_collection_paused


def measure_scores(bench: Bench) -> Measurement:
    from inspect_api.reports import service
    from inspect_api.reports.schemas import ScoresSchema

    return _timed_service(
        bench, "scores", lambda actor: service.scores(actor, bench.args()), ScoresSchema(),
        lambda body: f"{len(body['units'])} units, {len(body['desks'])} desks")


def _nothing() -> None:
    pass


def _forget_kept_lists(bench: Bench) -> Callable[[], None] | None:
    """What makes the next list computed, not kept: None for code that keeps none."""
    try:
        from inspect_api.reports.list_cache import forget_kept_lists
    except ImportError:
        return None
    return functools.partial(forget_kept_lists, bench.app)


def _measure_list(bench: Bench, kind: str, *, kept: bool = False) -> Measurement | None:
    """The list computed from the database every time (what the first leader to ask
    after a write waits), or, with `kept`, as kept for the data's state (what the next
    ones wait: reports/list_cache.py; None for code that keeps no list)."""
    from inspect_api.reports import service
    from inspect_api.reports.list_rules import ListSettings
    from inspect_api.reports.schemas import ComputedListSchema

    forget = _forget_kept_lists(bench)
    if kept and forget is None:
        return None
    settings = ListSettings.from_config(bench.app.config)
    compute = lambda actor: service.computed_list(actor, bench.args(kind=kind), settings)  # noqa: E731
    if kept:
        with bench.app.test_request_context():
            compute(_actor())  # computed once: the runs below find it kept
    return _timed_service(
        bench, f"list: {kind}{' kept' if kept else ''}", compute, ComputedListSchema(),
        lambda body: (f"{body['unit_count']} units, {body['staff_count']} staff, "
                      f"{sum(len(e.get('findings') or []) for e in body['entries'])} finding refs"),
        as_a_large_answer=True,
        before_each=forget if forget is not None and not kept else _nothing)


def measure_list_criticism(bench: Bench) -> Measurement | None:
    return _measure_list(bench, "criticism")


def measure_list_commendation(bench: Bench) -> Measurement | None:
    return _measure_list(bench, "commendation")


def measure_list_criticism_kept(bench: Bench) -> Measurement | None:
    return _measure_list(bench, "criticism", kept=True)


def measure_list_commendation_kept(bench: Bench) -> Measurement | None:
    return _measure_list(bench, "commendation", kept=True)


MEASUREMENTS: list[tuple[str, Callable[[Bench], Measurement | None]]] = [
    ("scores", measure_scores),
    ("criticism", measure_list_criticism),
    ("commendation", measure_list_commendation),
    ("criticism-kept", measure_list_criticism_kept),
    ("commendation-kept", measure_list_commendation_kept),
]


# --- the report ----------------------------------------------------------------------

def _span(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:8.2f}"
    return f"{statistics.median(values):8.2f} [{min(values):.2f}-{max(values):.2f}]"


def print_summary(url: str, dataset: Dataset, results: list[Measurement], bench: Bench, rev: str | None) -> None:
    safe_url = make_url(url).render_as_string(hide_password=True)
    print(f"\nReports benchmark on {safe_url}, code: {f'revision {rev}' if rev else 'working tree'}")
    print(f"scope: {LEADER} (whole country), {bench.date_from} .. {bench.date_to}; "
          f"repeat {bench.repeat}; load average {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    print("data: " + ", ".join(f"{count:,} {name}" for name, count in dataset.rows.items()))
    if dataset.loaded_now:
        findings = dataset.rows["findings"]
        per_100k = dataset.insert_seconds.get("findings", 0.0) * 100_000 / max(1, findings)
        print(f"synthetic load (this run): {dataset.load_seconds:.1f} s, "
              f"findings INSERTs {per_100k:.1f} s per 100k")
    else:
        print("synthetic load: already in the database, skipped")
    print()
    print(f"{'measurement':<22} {'seconds (median [range])':<30} {'parts (median s)':<44} result")
    for m in results:
        parts = ", ".join(f"{name} {statistics.median(values):.2f}" for name, values in m.parts.items())
        print(f"{m.name:<22} {_span(m.seconds):<30} {parts:<44} {m.size}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement (default 1)")
    parser.add_argument("--only", action="append", choices=[name for name, _ in MEASUREMENTS],
                        help="run only these measurements (repeatable)")
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    parser.add_argument("--rev", help="measure the code of this git revision (the database is not migrated)")
    parser.add_argument("--provinces", type=int, default=34, help="sizes used only if data is loaded now")
    parser.add_argument("--communes", type=int, default=3300)
    parser.add_argument("--visits", type=int, default=40_000)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        if args.rev:
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from _servers import export_revision

            sys.path.insert(0, str(export_revision(args.rev, Path(tmp))))
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    import inspect_api

    print(f"code under test: {f'revision {args.rev}' if args.rev else 'working tree'} "
          f"(inspect_api from {inspect_api.__file__})", file=sys.stderr)
    url = database_url()
    if ensure_database(url):
        print(f"created database {make_url(url).database}", file=sys.stderr)
    app = make_app(url)
    dataset = prepare(app, {"provinces": args.provinces, "communes": args.communes, "visits": args.visits},
                      migrate=not args.rev)
    names = [name for name, _ in MEASUREMENTS if not args.only or name in args.only]
    # Measured in a process of its own, started afresh (spawn), that holds what a gunicorn
    # worker holds: not the migrations, the loader and their objects, which this one
    # does and which change how often and how long the garbage collector runs.
    code = str(Path(inspect_api.__file__).resolve().parent.parent)
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        collector, results = pool.submit(_measure_like_a_worker, code, url, max(1, args.repeat), names).result()
    print(f"garbage collector: {collector}")
    print_summary(url, dataset, results, Bench(app, max(1, args.repeat)), args.rev)
    if args.json:
        print(json.dumps({
            "database": make_url(url).render_as_string(hide_password=True),
            "rows": dataset.rows, "load_seconds": dataset.load_seconds,
            "results": [{"name": m.name, "seconds": m.seconds, "parts": m.parts, "size": m.size}
                        for m in results],
        }, indent=2))
    return 0


def _measure_like_a_worker(code: str, url: str, repeat: int, names: list[str]) -> tuple[str, list[Measurement]]:
    """The measurements, in a fresh process importing the code under test from `code`,
    set up as wsgi.py sets up a worker."""
    sys.path.insert(0, code)
    app = make_app(url)
    collector = serve_like_wsgi(Path(code))
    bench = Bench(app, repeat)
    results = []
    for name, measure in MEASUREMENTS:
        if name in names:
            print(f"measuring {name} ...", file=sys.stderr)
            measured = measure(bench)
            if measured is not None:  # None: nothing of the kind in this code (kept lists)
                results.append(measured)
    return collector, results


if __name__ == "__main__":
    sys.exit(main())

"""What a serving process sets up once its app is built: `wsgi.py` calls it, so each
gunicorn worker (and `flask --app wsgi` command) runs tuned; the tests' apps run with
Python's defaults."""

from __future__ import annotations

import gc

# Container objects allocated (net) between two young-generation collections. Python's
# default, 700, runs about 1,000 collections while a national list is built from some
# 300,000 short-lived rows and records, and each one promotes survivors that the oldest
# generation then re-scans in full: 0.5-1 s of a 2.4 s list (benchmarks/bench_reports.py).
# Collected 50,000 at a time, they mostly die young; the garbage a request leaves in a
# cycle waits a little longer, a few megabytes at most.
YOUNG_GENERATION_THRESHOLD = 50_000


def tune_garbage_collector() -> None:
    """Freeze what start-up built (modules, the app, SQLAlchemy's mappers: ~190,000
    objects that live as long as the worker) so no collection scans it again, and
    collect the young generation less often."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, oldest)

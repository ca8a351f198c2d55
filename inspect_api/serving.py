"""What a serving process sets up once its app is built: `wsgi.py` calls it, so each
gunicorn worker (and `flask --app wsgi` command) runs tuned; the tests' apps run with
Python's defaults. And the views that build a large answer, run without the cyclic
collector."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

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


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """No cyclic collection while a large answer is built (a national list or the
    scores: some 300,000 rows, records and dicts that all live until the answer is
    written). Each collection scans every young object that survives, which here is
    all of them, and finds no garbage: 0.15-0.6 s of a national criticism list went to
    it. Objects are still freed by reference counting as usual; the few reference
    cycles made meanwhile are left to the next collection after the block. Nested
    blocks pause once."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def answered_without_cycle_collection(view: Callable[P, R]) -> Callable[P, R]:
    """A view that builds a large answer, run in cycle_collection_paused(). Put it above
    the view's `blp.response` so the dump and the encoding of the answer are inside."""

    @wraps(view)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        with cycle_collection_paused():
            return view(*args, **kwargs)

    return paused

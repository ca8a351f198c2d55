"""Computed lists kept in the process under the state of the data they were computed from.

A national list takes about a second to compute (tens of thousands of failures, read and
judged by the rules), and the console recomputed it for every page a leader turned. What
a list reads changes only when a transaction writing to the database commits, and every
such transaction takes the change clock (db.claim_clock_on_write for its flushes,
db.claim_clock_on_dml for the statements it sends through the session; sync's stamps
take it themselves), so its committed value names the data's state. A list is kept
under that value, its kind, unit and period, the settings and the day in Vietnam (a
correction's deadline passes with the day, not with a write); any commit moves the
clock and the next request computes afresh. Kept per app (each app is one database)
and per process: another host's or worker's commit is seen through the clock, which
lives in the database. A list is computed in one snapshot of the data (db.one_snapshot:
every read, on both connections, and the clock's value, see the same commits; what the
request loaded before is read again), so it is kept under exactly the state it shows.

A database changed behind the app's back (restored from a backup, edited by hand) does
not move the clock: restart the app afterwards, as sync's cursors need anyway.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

from flask import current_app

from ..db import committed_change_seq, db, one_snapshot, utcnow, writes_pending
from ..kept import BoundedLRU
from ..timezone import VIETNAM_TZ

T = TypeVar("T")
EXTENSION = "computed_lists"
# A kept national list of a year: 25 MiB (criticism, its 24,000 finding records), 7 MiB
# (commendation). A few per worker: the ones leaders are reading now.
KEPT_LISTS = 4


class KeptLists(BoundedLRU[Hashable, Sequence[object]]):
    """This app's computed lists, the latest few."""

    def __init__(self, size: int = KEPT_LISTS):
        super().__init__(size)


def kept_lists() -> KeptLists:
    """This app's kept lists (made on first use)."""
    return current_app.extensions.setdefault(EXTENSION, KeptLists())


def forget_kept_lists(app) -> None:
    """Drop what `app` keeps: after its database was changed behind its back (the tests
    empty and restore theirs between tests, the change clock's value included)."""
    lists = app.extensions.get(EXTENSION)
    if lists is not None:
        lists.clear()


def data_state() -> tuple[int, object]:
    """What a list's inputs are a function of, besides its own arguments: the committed
    change clock and today's date in Vietnam."""
    return committed_change_seq(db.session), utcnow().astimezone(VIETNAM_TZ).date()


def kept_or_computed(arguments: tuple[Hashable, ...], settings: dict[str, object],
                     compute: Callable[[], Sequence[T]]) -> list[T]:
    """The list of `arguments` under `settings` as kept for the data's present state, or
    computed now and kept. A new list object each time: callers may sort or slice it;
    its entries are shared and never changed after they are made. A transaction that
    has written computes its own and keeps nothing."""
    if writes_pending(db.session):
        # Its reads see its own uncommitted changes, and the clock's value it would key
        # them by is its own: a rollback hands it to another writer's data.
        return list(compute())
    settings_key = json.dumps(settings, sort_keys=True, default=str)
    seq, today = data_state()
    lists = kept_lists()
    entries = lists.get((*arguments, settings_key, seq, today))
    if entries is None:
        with one_snapshot() as seq:
            entries = compute()
        lists.put((*arguments, settings_key, seq, today), entries)
    return list(entries)  # type: ignore[arg-type]

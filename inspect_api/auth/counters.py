"""Where login-throttling counters live: the app's database (the embedded default) or
Redis and process memory through the `limits` library.

Every API process must see the same counters, or each gunicorn worker lets its own
share of guesses through. The embedded default has no Redis, so its counters are rows
of the database every worker already shares; production can move them to Redis.

The contract (`Counters`): fixed-window counters, each created with its window on first
use. `incr` is atomic per key and returns the new count, so a caller can count an
attempt *before* deciding it and never let concurrent attempts overshoot.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Protocol

from sqlalchemy import Integer, String, case, delete, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from ..config import THROTTLE_DATABASE, THROTTLE_REDIS_SCHEMES, ConfigError
from ..db import Base, UTCDateTime, db, utcnow

log = logging.getLogger(__name__)

# A slow Redis must not hold a worker: a login waits at most this long for it.
REDIS_TIMEOUT_SECONDS = 2


class CountersUnavailable(RuntimeError):
    """The counter store did not answer; the caller decides what that means."""


class Counters(Protocol):
    def incr(self, key: str, window_seconds: int, amount: int = 1) -> int:
        """Add `amount` atomically; a missing or expired key starts a new window."""

    def give_back(self, key: str, window_seconds: int) -> None:
        """Undo one `incr` of 1, never below zero nor into a window that has ended."""

    def seconds_left(self, key: str) -> float:
        """Seconds until the key's window ends (0 if it has no window)."""

    def get(self, key: str) -> int:
        """The count in the current window, 0 if none."""

    def mark(self, key: str, seconds: int) -> None:
        """Set the key to 1 for `seconds` from now, whatever it was."""

    def reset(self) -> None:
        """Forget every counter (tests)."""


class LoginCounter(Base):
    """One throttling counter of the database store. The key is a keyed digest, so no
    text a person typed (a username, maybe a password typed into it) is kept."""

    __tablename__ = "login_counters"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class DatabaseCounters:
    """Counters as rows, changed by one atomic upsert each (SQLite and PostgreSQL).

    Each operation commits on a connection of its own, outside the request's session:
    a count must be visible to every worker at once, whatever the login transaction
    does afterwards. The caller must not hold an open session transaction meanwhile
    (on SQLite, whose writers take the lock at BEGIN, that would wait on itself).
    """

    table = LoginCounter.__table__

    def _insert(self, dialect: str):
        if dialect == "postgresql":
            return postgresql.insert(self.table)
        if dialect == "sqlite":
            return sqlite.insert(self.table)
        raise CountersUnavailable(f"no atomic upsert for the {dialect} database")

    def _run(self, statement):
        """Execute in a transaction of its own; the first column of the first row, if any
        (fetched before the commit: SQLite steps RETURNING rows lazily)."""
        try:
            with db.engine.begin() as conn:
                result = conn.execute(statement)
                return result.scalar() if result.returns_rows else None
        except SQLAlchemyError as exc:
            raise CountersUnavailable(str(exc)) from exc

    def incr(self, key: str, window_seconds: int, amount: int = 1) -> int:
        now = utcnow()
        ends = literal(now + dt.timedelta(seconds=window_seconds), UTCDateTime)
        table = self.table
        expired = table.c.expires_at <= literal(now, UTCDateTime)
        insert = self._insert(db.engine.dialect.name)
        statement = insert.values(key=key, count=amount, expires_at=ends)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={"count": case((expired, amount), else_=table.c.count + amount),
                  "expires_at": case((expired, ends), else_=table.c.expires_at)},
        ).returning(table.c.count)
        count = self._run(statement)
        if count == amount:
            # A new window began: a good moment to drop the windows that ended, so the
            # table holds about as many rows as there are live counters. In a
            # transaction of its own: purging inside the upsert's transaction could
            # deadlock two workers each restarting a key the other is purging.
            try:
                self._run(delete(table).where(expired))
            except CountersUnavailable as exc:
                log.warning("login counters: purge skipped: %s", exc)
        return count

    def give_back(self, key: str, window_seconds: int) -> None:
        table = self.table
        self._run(update(table)
                  .where(table.c.key == key, table.c.count > 0,
                         table.c.expires_at > literal(utcnow(), UTCDateTime))
                  .values(count=table.c.count - 1))

    def seconds_left(self, key: str) -> float:
        ends = self._run(select(self.table.c.expires_at).where(self.table.c.key == key))
        return max((ends - utcnow()).total_seconds(), 0.0) if ends else 0.0

    def get(self, key: str) -> int:
        table = self.table
        count = self._run(select(table.c.count).where(
            table.c.key == key, table.c.expires_at > literal(utcnow(), UTCDateTime)))
        return count or 0

    def mark(self, key: str, seconds: int) -> None:
        ends = literal(utcnow() + dt.timedelta(seconds=seconds), UTCDateTime)
        statement = self._insert(db.engine.dialect.name).values(key=key, count=1, expires_at=ends)
        self._run(statement.on_conflict_do_update(
            index_elements=[self.table.c.key], set_={"count": 1, "expires_at": ends}))

    def reset(self) -> None:
        self._run(delete(self.table))


class LimitsCounters:
    """Counters in a `limits` storage: Redis (shared by every process) or memory (one
    process only). Redis runs each increment as one Lua script, so it is atomic."""

    def __init__(self, uri: str, key_prefix: str):
        from limits.errors import ConfigurationError
        from limits.storage import storage_from_string

        options: dict = {"wrap_exceptions": True}
        if uri.startswith(THROTTLE_REDIS_SCHEMES):
            options.update(key_prefix=key_prefix, socket_timeout=REDIS_TIMEOUT_SECONDS,
                           socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
        try:
            self.storage = storage_from_string(uri, **options)
        except ConfigurationError as exc:
            # Most likely the Redis client is missing: it is an optional dependency.
            raise ConfigError(f"RATELIMIT_STORAGE_URI: {exc} (for Redis: pip install "
                              f"-e '.[redis]')") from exc

    def _call(self, method, *args):
        from limits.errors import StorageError

        try:
            return method(*args)
        except StorageError as exc:
            raise CountersUnavailable(str(exc.storage_error)) from exc

    def incr(self, key: str, window_seconds: int, amount: int = 1) -> int:
        return self._call(self.storage.incr, key, window_seconds, amount)

    def give_back(self, key: str, window_seconds: int) -> None:
        # limits has no conditional decrement. If the window ended in between, the
        # decrement starts a new one at -1: put it back to 0 so that window does not
        # grant an extra attempt.
        if self._call(self.storage.incr, key, window_seconds, -1) < 0:
            self._call(self.storage.incr, key, window_seconds, 1)

    def seconds_left(self, key: str) -> float:
        return max(self._call(self.storage.get_expiry, key) - time.time(), 0.0)

    def get(self, key: str) -> int:
        return self._call(self.storage.get, key)

    def mark(self, key: str, seconds: int) -> None:
        self._call(self.storage.clear, key)
        self._call(self.storage.incr, key, seconds, 1)

    def reset(self) -> None:
        self._call(self.storage.reset)


def counters_from_setting(uri: str, key_prefix: str) -> Counters:
    """The store RATELIMIT_STORAGE_URI names (checked by config.load_settings)."""
    if uri in ("", THROTTLE_DATABASE):
        return DatabaseCounters()
    return LimitsCounters(uri, key_prefix)

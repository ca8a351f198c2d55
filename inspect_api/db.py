"""The declarative base, shared column types and the database session."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from concurrent.futures import Future
from contextlib import contextmanager

from typing import TYPE_CHECKING, Any, ClassVar
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    ARRAY, BigInteger, Date, DateTime, Integer, MetaData, String, Table, TypeDecorator, any_, bindparam, event, text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, scoped_session

from .timezone import VIETNAM_TZ

# Stable constraint names, so Alembic diffs are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every backend.

    SQLite has no timezone type and returns naive values; this stores UTC and hands back
    aware datetimes everywhere, so comparisons and JSON output are the same on both.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self):
        return dt.datetime

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class vietnam_day(FunctionElement):
    """The Vietnam day of a UTCDateTime column, computed by the database: a national
    list reads tens of thousands of timestamps, and converting each in Python (the
    driver's zone, then UTC, then Vietnam) costs more than the query. Vietnam is UTC+7
    all year (timezone.py), which is what SQLite's modifier says; PostgreSQL is given
    the zone's name."""

    type = Date()
    inherit_cache = True


@compiles(vietnam_day, "postgresql")
def _vietnam_day_postgresql(element, compiler, **kw):
    return f"CAST(timezone('{VIETNAM_TZ.key}', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(vietnam_day, "sqlite")
def _vietnam_day_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, '+7 hours')"


class uuid_text(FunctionElement):
    """A Uuid column as its canonical text (str(uuid.UUID)), made by the database: the
    lists read tens of thousands of ids only to show them, and building a uuid.UUID for
    each in the driver and then its string costs more than the query. SQLite keeps a
    Uuid as 32 hex digits (SQLAlchemy's storage); PostgreSQL's text form is canonical."""

    type = String()
    inherit_cache = True


@compiles(uuid_text, "postgresql")
def _uuid_text_postgresql(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS TEXT)"


@compiles(uuid_text, "sqlite")
def _uuid_text_sqlite(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    parts = [f"substr({column}, {start}, {length})" for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))]
    return "lower(" + " || '-' || ".join(parts) + ")"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    if TYPE_CHECKING:
        # Every model here maps one Table (DeclarativeBase allows any FromClause).
        __table__: ClassVar[Table]


class Timestamped:
    """created_at / updated_at, set by the application in UTC with microseconds.

    They say when, for people; sync never relies on them (a stamp taken before commit
    loses writes that commit late). Sync follows `Synced.sync_seq` instead.
    """

    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )


class ChangeClock(Base):
    """One row whose counter orders every write transaction by commit.

    A transaction that changes synced rows (or appends to the audit chain) increments it
    once and keeps the row locked until it commits, so the numbers it hands out follow
    commit order: whoever reads the counter sees every change numbered up to it.
    """

    __tablename__ = "change_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)


if TYPE_CHECKING:
    # For the type checker a Synced class is what it always is at run time, a mapped
    # class; as a real base, Base would map the mixin itself.
    _MappedClass = Base
else:
    _MappedClass = object


class Synced(_MappedClass):
    """A row the tablet pulls with a sync cursor.

    `sync_seq` is the change number of the transaction that last changed the row (set at
    flush by inspect_api.sync, never by hand). `sync_type` names the row in tombstones and
    the exit log; `sync_scope` says what decides who may see it, so a move can be followed:
    ("path",) for the org tree itself, ("unit", "org_unit_id") for rows owned by a unit,
    ("parent", "desk_id", "Desk") for rows that follow another synced row.
    """

    sync_type: ClassVar[str]
    sync_scope: ClassVar[tuple[str, ...]]
    sync_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    if TYPE_CHECKING:
        id: Mapped[Any]  # every synced model's key (a UUID for visits, else an int)


_CHANGE_SEQ = "change_seq"
_CLAIMED_IN = "change_seq_claimed_in"


def claim_change_seq(session: Session | scoped_session[Any]) -> int:
    """This transaction's change number: the first call increments the clock and holds
    its row lock until commit (SQLite: the write lock taken at BEGIN does the same)."""
    current = session() if isinstance(session, scoped_session) else session
    seq = current.info.get(_CHANGE_SEQ)
    if seq is None:
        seq = current.connection().execute(
            text("UPDATE change_clock SET seq = seq + 1 WHERE id = 1 RETURNING seq")).scalar_one()
        current.info[_CHANGE_SEQ] = seq
        # Where the increment was written: rolling back this savepoint undoes it.
        current.info[_CLAIMED_IN] = current.get_nested_transaction() or current.get_transaction()
    return seq


def committed_change_seq(session: Session | scoped_session[Any]) -> int:
    """The newest change number committed (what a reader may rely on as complete)."""
    return session.connection().execute(text("SELECT seq FROM change_clock WHERE id = 1")).scalar_one()


def claim_clock_on_write(session: Session, flush_context: Any, instances: Any) -> None:
    """before_flush: a transaction that writes anything through the ORM takes the change
    clock, audited or not, so that the clock's committed value names the state of the
    whole database (reports/list_cache.py keeps computed lists under it). Statements of
    INSERT, UPDATE or DELETE sent through the session take it too (claim_clock_on_dml);
    those sent on a connection (sync's stamps, bulk loads) take it themselves."""
    if session.new or session.deleted or any(session.is_modified(obj) for obj in session.dirty):
        claim_change_seq(session)


def claim_clock_on_dml(orm_execute_state: Any) -> None:
    """do_orm_execute: an INSERT, UPDATE or DELETE sent through the session (bulk writes
    of the kept scores, a repair) takes the change clock as a flush does."""
    if orm_execute_state.is_insert or orm_execute_state.is_update or orm_execute_state.is_delete:
        claim_change_seq(orm_execute_state.session)


def _forget_change_seq(session, transaction):
    if transaction.parent is None:
        session.info.pop(_CHANGE_SEQ, None)
        session.info.pop(_CLAIMED_IN, None)


def _forget_undone_claim(session, rolled_back):
    """after_soft_rollback: a savepoint rolled back undoes a claim written inside it (or
    inside a savepoint of it), so the transaction's next write must claim again; else it
    would commit without moving the clock, and its number would be the next writer's too."""
    claimed_in = session.info.get(_CLAIMED_IN)
    while claimed_in is not None:
        if claimed_in is rolled_back:
            session.info.pop(_CHANGE_SEQ, None)
            session.info.pop(_CLAIMED_IN, None)
            return
        claimed_in = claimed_in.parent


db = SQLAlchemy(model_class=Base)


def plain_rows(statement: Any) -> Sequence[Any]:
    """The rows of a select of columns (no mapped objects), run in the session's
    transaction without the ORM's per-row processing, which is made for objects: the
    lists read ~200,000 such rows nationally and it doubled the time to read them.
    Fetched at once (row by row, the driver's per-fetch checks cost as much again). No
    autoflush: for reads of what is already committed."""
    return db.session.connection().execute(statement).all()


class ReadAhead:
    """Reads that need nothing read before them, sent ahead on a second connection of
    the pool while the request's own connection works: PostgreSQL runs them, one after
    the other, while Python takes in the rows of the request's own statements (a
    national year's list waited for the server's answers for ~40 % of its time, one
    after another, with the machine's other core idle). Each sees what was committed
    when it starts, as the request's own statements do at READ COMMITTED, and nothing
    of the request's own transaction: only for reads of committed data. Elsewhere
    (SQLite: one file, in this process) each runs on the request's connection when it
    is asked for. A context manager: leaving it cancels what has not started and waits
    for the statement under way, so no thread outlives the request. `setup`: statements
    the second connection runs first (SET LOCAL), PostgreSQL only."""

    def __init__(self, statements: Mapping[str, Any], *, setup: Sequence[Any] = ()):
        self._statements = dict(statements)
        self._setup = tuple(setup)
        self._futures: dict[str, Future[Sequence[Any]]] = {}
        self._thread: threading.Thread | None = None
        self._snapshot = db.session.info.get(_SNAPSHOT)  # one_snapshot's, if inside it
        engine = db.session.get_bind()
        if statements and engine.dialect.name == "postgresql":
            self._futures = {name: Future() for name in self._statements}
            self._thread = threading.Thread(target=self._run, args=(engine,), name="read-ahead", daemon=True)
            self._thread.start()

    def _run(self, engine: Any) -> None:
        # After an error the transaction is spent: every read not made fails with it.
        try:
            with engine.connect() as connection:
                if self._snapshot is not None:
                    # The request's state, not the one at this connection's first statement.
                    connection.execution_options(isolation_level="REPEATABLE READ")
                    connection.execute(text(f"SET TRANSACTION SNAPSHOT '{self._snapshot}'"))
                for statement in self._setup:
                    connection.execute(statement)
                for name, statement in self._statements.items():
                    future = self._futures[name]
                    if future.set_running_or_notify_cancel():
                        future.set_result(connection.execute(statement).all())
        except Exception as exc:  # noqa: BLE001 - not swallowed: each reader raises it
            for future in self._futures.values():
                if not future.done() and (future.running() or future.set_running_or_notify_cancel()):
                    future.set_exception(exc)

    def has(self, name: str) -> bool:
        """Whether a statement named `name` was given (what `rows` can be asked for)."""
        return name in self._statements

    def rows(self, name: str) -> Sequence[Any]:
        """The rows of the statement named `name`, as plain_rows gives them."""
        if self._thread is None:
            return plain_rows(self._statements[name])
        return self._futures[name].result()

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for future in self._futures.values():
            future.cancel()  # only those not started
        if self._thread is not None:
            self._thread.join()


def writes_pending(session: Session | scoped_session[Any]) -> bool:
    """Whether the session's transaction holds changes not yet flushed, or has taken the
    change clock (so it has written, or is about to): what it reads includes its own
    uncommitted work, and the clock's value it reads is its own, which a rollback
    hands to the next writer."""
    return bool(session.new or session.dirty or session.deleted or _CHANGE_SEQ in session.info)


def end_read() -> None:
    """End a transaction that only read with COMMIT, keeping what it loaded as loaded (it
    is shown next, after the transaction). Not left to the request's teardown, which
    rolls back: psycopg forgets every statement it has prepared on a connection at each
    ROLLBACK, so PostgreSQL would parse and plan a read's statements afresh on every
    request instead of once per connection (a visit's detail: most of its CPU there).
    For a transaction that wrote nothing, COMMIT and ROLLBACK are the same; one holding
    changes not yet flushed, or that took the change clock (every write of synced rows
    does), is refused with RuntimeError, never committed by a read."""
    session = db.session()
    if writes_pending(session):
        raise RuntimeError("end_read() in a transaction that writes")
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


_SNAPSHOT = "exported_snapshot"
# What pg_export_snapshot() returns ("00000003-0000001B-1"): checked before it is
# written into SET TRANSACTION SNAPSHOT, which takes no bound parameter.
_SNAPSHOT_ID = re.compile(r"[0-9A-Fa-f]+(-[0-9A-Fa-f]+)+")


@contextmanager
def one_snapshot() -> Iterator[int]:
    """Reads that all see one committed state of the data, on the request's connection
    and on ReadAhead's; yields the change clock's value in that state. A report read in
    several statements at READ COMMITTED could otherwise take a review's new scores
    with the failures from before it: a list that was never true, which a leader may
    sign. On PostgreSQL: the request's transaction (it must not have written: end_read)
    is ended and a REPEATABLE READ one begun, whose snapshot ReadAhead's connection
    imports; it is ended on leaving, so the request's writes after it (a freeze) run in
    a transaction of their own, at READ COMMITTED, as every write does. What the request
    loaded before (the token's user, a scope's unit) may be older than the snapshot (a
    unit moved since): it is read again, in it. Elsewhere (SQLite) a transaction
    already sees one state (BEGIN IMMEDIATE: one at a time)."""
    session = db.session()
    if session.get_bind().dialect.name != "postgresql":
        session.expire_all()
        yield committed_change_seq(session)
        return
    end_read()
    session.expire_all()
    seq, snapshot = session.connection(execution_options={"isolation_level": "REPEATABLE READ"}).execute(
        text("SELECT seq, pg_export_snapshot() FROM change_clock WHERE id = 1")).one()
    if not _SNAPSHOT_ID.fullmatch(snapshot):
        raise RuntimeError(f"unexpected snapshot id {snapshot!r}")
    session.info[_SNAPSHOT] = snapshot
    try:
        yield seq
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(_SNAPSHOT, None)
    end_read()


def among(column: Any, values: Collection[Any]) -> Any:
    """`column IN values` for thousands of values (a list's officials): on PostgreSQL one
    array parameter (`= ANY`), which neither SQLAlchemy nor the driver expands into a
    placeholder per value (7,000 of them cost ~50 ms a statement); elsewhere IN."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def _sqlite_pragmas(dbapi_connection, connection_record):
    """Foreign keys on, WAL for concurrent readers, and a wait instead of 'locked'."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    # Let SQLAlchemy issue BEGIN itself (see _sqlite_begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin_immediate(conn):
    """On SQLite, take the write lock at BEGIN.

    Writers then queue instead of failing half-way with 'database is locked' when two
    gunicorn workers write at once. (A read takes it too: SQLite cannot tell at BEGIN,
    which is a cost of the embedded default.) PostgreSQL uses row locks and the change
    clock's row lock instead (claim_change_seq; see also the visits service).
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def listen_once(target: Any, name: str, listener: Callable) -> None:
    """Listen on `target` unless already: db.session's factory is shared by every app of
    the process (tests make several), and a listener must run once per event."""
    if not event.contains(target, name, listener):
        event.listen(target, name, listener)


# A pooled connection left unused this long is tried before a request gets it: the
# database may have restarted meanwhile, and the request would fail on it. One in steady
# use is not: pinging at every checkout (pool_pre_ping) cost a round trip per request.
# If the server went away since a connection's last use all the same, SQLAlchemy drops
# the pool's connections on the error and the request is answered 503 (error_handlers).
PING_IDLE_SECONDS = 5.0
_LAST_CHECKIN = "last_checkin"


def _note_checkin(dbapi_connection: Any, connection_record: Any) -> None:
    if dbapi_connection is not None:
        connection_record.info[_LAST_CHECKIN] = time.monotonic()


def _ping_if_idle(engine: Engine) -> Callable[..., None]:
    def checkout(dbapi_connection: Any, connection_record: Any, connection_proxy: Any) -> None:
        last_used = connection_record.info.get(_LAST_CHECKIN)
        if last_used is None or time.monotonic() - last_used < PING_IDLE_SECONDS:
            return  # new, or in steady use
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                # The pool discards it and checks out another (PoolEvents.checkout).
                raise DisconnectionError() from error
            raise

    return checkout


def hook_engine(engine: Engine) -> None:
    """On this engine only (never on SQLAlchemy's global Engine class, which every engine
    of the process shares): SQLite's pragmas and BEGIN IMMEDIATE; elsewhere the ping of
    idle connections."""
    if engine.dialect.name == "sqlite":
        listen_once(engine, "connect", _sqlite_pragmas)
        listen_once(engine, "begin", _sqlite_begin_immediate)
        return
    listen_once(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", _ping_if_idle(engine))


def hook_sessions(flush_hooks: Iterable[Callable] = ()) -> None:
    """Session listeners on db.session's own factory (never on the global Session class):
    the change clock's reset and its claim by every write, and the features' before_flush
    hooks."""
    listen_once(db.session, "after_transaction_end", _forget_change_seq)
    listen_once(db.session, "after_soft_rollback", _forget_undone_claim)
    listen_once(db.session, "before_flush", claim_clock_on_write)
    listen_once(db.session, "do_orm_execute", claim_clock_on_dml)
    for hook in flush_hooks:
        listen_once(db.session, "before_flush", hook)

"""Sync feeds: every change a caller may see, in commit order, with tombstones.

A tablet pulls each collection (org units, desks, staff, checklists, plans, visits) with
an opaque cursor and sends it back next time. The order is the change number of the
transaction that last wrote each row (`Synced.sync_seq`, handed out by the change clock in
commit order), never a clock reading taken before commit, so a change that commits late
is in the next pull whatever time it was stamped.

What leaves a caller's view arrives as a tombstone (its id in `removed`):
- a row still in the caller's scope that no longer matches the pull's filters (a desk
  closed when the feed lists open desks, a visit no longer "submitted" in a queue);
- a row that moved out of the caller's scope: the move is written to the exit log
  (`SyncExit`) with the path it had, in the same transaction, by the flush hook below;
- for an inspector, the visits of a team they left (the cursor remembers their teams).
A caller whose own scope changed otherwise (role, unit, a team joined) gets `reset`: the
page starts again from nothing and the tablet replaces its copy.

This module knows nothing of HTTP; pagination.py turns cursors into opaque strings.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger, ColumnElement, Index, Integer, Select, String, and_, case, cast, insert,
    literal, or_, select, table, true, update,
)
from sqlalchemy import column as sql_column
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import Base, Synced, claim_change_seq, committed_change_seq, db
from .scoping import Actor

# Within one change number, exits sort before rows: a tombstone and the row that came
# back in the same transaction then apply in the right order. END marks "everything up to
# this change number has been delivered".
EXIT, ROW, END = 0, 1, 2


class SyncExit(Base):
    """A synced row left the part of the tree it was in (moved, or its unit moved). Who
    could see it there gets a tombstone for it, unless they can still see it."""

    __tablename__ = "sync_exits"
    __table_args__ = (Index("ix_sync_exits_entity_type_seq", "entity_type", "seq", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    entity_type: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[str] = mapped_column(String(40))
    old_path: Mapped[str] = mapped_column(String(400))


# --- stamping changes at flush ----------------------------------------------------------

def _synced_classes() -> list[type[Synced]]:
    return [m.class_ for m in Base.registry.mappers if issubclass(m.class_, Synced)]


def _dependents_of(target: type[Synced]) -> list[type[Synced]]:
    """Synced classes whose scope follows `target` ("parent" scope), e.g. visits a desk."""
    return [cls for cls in _synced_classes()
            if cls.sync_scope[0] == "parent" and cls.sync_scope[2] == target.__name__]


def _owned_by_units() -> list[type[Synced]]:
    return [cls for cls in _synced_classes() if cls.sync_scope[0] == "unit"]


# The tree by table, not the OrgUnit model: the org package builds on this module.
_org_units = table("org_units", sql_column("id"), sql_column("path", String))


def _unit_path(connection, unit_id: int) -> str | None:
    return connection.execute(select(_org_units.c.path).where(_org_units.c.id == unit_id)).scalar()


def _exit_rows(connection, seq: int, cls: type[Synced], ids: Select, old_path: str) -> None:
    """Log an exit for every row of `cls` whose id `ids` selects, and renumber those rows
    so whoever can see them now gets them in the next pull."""
    table = cls.__table__
    connection.execute(insert(SyncExit.__table__).from_select(
        ["seq", "entity_type", "entity_id", "old_path"],
        select(literal(seq), literal(cls.sync_type), cast(table.c.id, String(40)), literal(old_path))
        .where(table.c.id.in_(ids))))
    connection.execute(update(table).where(table.c.id.in_(ids)).values(sync_seq=seq))


def _follow_move(session: Session, obj: Synced, old_path: str, seq: int) -> None:
    """`obj` left `old_path`: log it, and everything whose scope follows it."""
    connection = session.connection()
    session.add(SyncExit(seq=seq, entity_type=obj.sync_type, entity_id=str(obj.id), old_path=old_path))
    owners = [(type(obj), select(type(obj).__table__.c.id).where(type(obj).__table__.c.id == obj.id))]
    if obj.sync_scope[0] == "path":  # a unit of the tree: what it owns follows it
        owners = [(cls, select(cls.__table__.c.id).where(getattr(cls.__table__.c, cls.sync_scope[1]) == obj.id))
                  for cls in _owned_by_units()]
        for cls, ids in owners:
            _exit_rows(connection, seq, cls, ids, old_path)
    for owner, owner_ids in owners:
        for dependent in _dependents_of(owner):
            column = getattr(dependent.__table__.c, dependent.sync_scope[1])
            _exit_rows(connection, seq, dependent,
                       select(dependent.__table__.c.id).where(column.in_(owner_ids)), old_path)


def _moved_from(session: Session, obj: Synced) -> str | None:
    """The path `obj` was seen under before this flush, if this flush moves it."""
    kind = obj.sync_scope[0]
    if kind == "path":
        history = sa_inspect(obj).attrs.path.history
        if history.deleted and history.deleted[0] and history.added:
            return history.deleted[0]  # "" is a unit being created, not moved
    elif kind == "unit":
        history = sa_inspect(obj).attrs[obj.sync_scope[1]].history
        if history.deleted and history.deleted[0] is not None and history.added:
            return _unit_path(session.connection(), history.deleted[0])
    return None


def lock_before_move(owner: type[Synced], ids: Select) -> None:
    """Lock, in id order, the rows that follow the `owner` rows `ids` selects (a desk's
    visits), before the transaction takes the change clock.

    Their writers lock them first and the clock after (a visit is locked FOR UPDATE, then
    flushed); a move renumbers them after taking the clock, so without this the two wait
    on each other. Services call it before changing a desk's unit or a unit's parent."""
    owners = [(owner, ids)]
    if owner.sync_scope[0] == "path":
        owners = [(cls, select(cls.__table__.c.id).where(getattr(cls.__table__.c, cls.sync_scope[1]).in_(ids)))
                  for cls in _owned_by_units()]
    for owner_cls, owner_ids in owners:
        for dependent in _dependents_of(owner_cls):
            column = getattr(dependent.__table__.c, dependent.sync_scope[1])
            db.session.execute(select(dependent.__table__.c.id).where(column.in_(owner_ids))
                               .order_by(dependent.__table__.c.id).with_for_update())


def stamp_changes(session: Session, flush_context, instances) -> None:
    """Give every synced row this flush writes the transaction's change number, follow
    moves into the exit log, and renumber the rows a change shows up in (a team's plan)."""
    new = set(session.new)
    for obj in list(new) + list(session.dirty):
        if obj not in new and not session.is_modified(obj):
            continue
        bumps = getattr(type(obj), "sync_bumps", None)
        if bumps:
            parent = getattr(obj, bumps)
            if parent is not None:
                parent.sync_seq = claim_change_seq(session)
        if not isinstance(obj, Synced):
            continue
        seq = claim_change_seq(session)
        obj.sync_seq = seq
        if obj not in new:
            old_path = _moved_from(session, obj)
            if old_path is not None:
                _follow_move(session, obj, old_path, seq)


# --- pulling ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cursor:
    """Where a pull stopped: (change number, kind, id) of the last item delivered, and
    what the pull was for (so a changed scope or filter is noticed)."""

    seq: int
    kind: int
    id: str | None
    fingerprint: str
    groups: tuple[int, ...] = ()
    # The change number the tablet's copy started from: during a first pull, rows that
    # stopped matching before it began were never sent, so they need no tombstone.
    baseline: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"s": self.seq, "k": self.kind, "i": self.id, "f": self.fingerprint,
                "g": list(self.groups), "b": self.baseline}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cursor:
        seq, kind, ident, fingerprint = data["s"], data["k"], data["i"], data["f"]
        groups, baseline = tuple(data.get("g") or ()), data.get("b", 0)
        if not (isinstance(seq, int) and seq >= 0 and kind in (EXIT, ROW, END)
                and (ident is None or isinstance(ident, str)) and isinstance(fingerprint, str)
                and all(isinstance(g, int) for g in groups)
                and isinstance(baseline, int) and baseline >= 0):
            raise ValueError("malformed cursor")
        return cls(seq, kind, ident, fingerprint, groups, baseline)


@dataclass(frozen=True)
class Feed:
    """One pullable collection. `scope(actor)` selects the rows the caller may see at all;
    filters narrow that per request. `groups(actor)` names the groups (teams) that make up
    an inspector's scope, and `in_groups(ids)` the rows of those groups."""

    name: str
    model: type[Synced]
    # Each feature passes functions of its own caller type (auth.models.User), which
    # sync cannot name without importing the features it serves: typed by what it does.
    scope: Callable[[Any], Select]
    # Rows owned by the caller's ancestors apply to them too (plans, checklists): a move
    # of such a row away from above them is an exit for them as well.
    sees_ancestors: bool = False
    # Loader options for the rows (a callable: options cannot be built at import time).
    options: Callable[[], tuple] = tuple
    follows_moves: Callable[[Any], bool] = lambda actor: True
    groups: Callable[[Any], tuple[int, ...]] | None = None
    in_groups: Callable[[tuple[int, ...]], ColumnElement[bool]] | None = None


@dataclass
class FeedPage:
    items: list[Any]
    removed: list[Any]
    cursor: Cursor
    more: bool
    reset: bool = False


def fingerprint(feed: Feed, actor: Actor, filters: dict[str, Any]) -> str:
    """What the cursor was issued for: the feed, the caller's role and place in the tree,
    and the filters. The groups (teams) are kept apart: leaving one is followed with
    tombstones, not a reset."""
    key = json.dumps([feed.name, actor.role, actor.org_unit.path, sorted(filters.items())],
                     default=str, sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def _id_value(model: type[Synced], raw: str | None):
    if raw is None:
        return None
    return uuid.UUID(raw) if model.id.type.python_type is uuid.UUID else int(raw)


def _rows_after(model: type[Synced], cursor: Cursor | None) -> ColumnElement[bool]:
    if cursor is None:
        return true()
    if cursor.kind == ROW:
        return or_(model.sync_seq > cursor.seq,
                   and_(model.sync_seq == cursor.seq, model.id > _id_value(model, cursor.id)))
    if cursor.kind == EXIT:
        return model.sync_seq >= cursor.seq
    return model.sync_seq > cursor.seq  # END


def _exits_after(cursor: Cursor) -> ColumnElement[bool]:
    if cursor.kind == EXIT and cursor.id is not None:  # an exit cursor carries its exit's id
        return or_(SyncExit.seq > cursor.seq, and_(SyncExit.seq == cursor.seq, SyncExit.id > int(cursor.id)))
    return SyncExit.seq > cursor.seq  # ROW, END: exits sort before rows of the same number


def pull(feed: Feed, actor: Actor, filters: list[ColumnElement[bool]], filter_values: dict[str, Any],
         cursor: Cursor | None, per_page: int) -> FeedPage:
    """One page of what changed for this caller since `cursor` (everything, without one).

    Every statement is bounded by the change number committed when the pull began, so the
    page is one consistent cut even where each statement sees a newer snapshot (PostgreSQL's
    READ COMMITTED): whatever commits meanwhile has a higher number and comes next time."""
    session = db.session
    model = feed.model
    stamp = fingerprint(feed, actor, filter_values)
    groups = tuple(sorted(feed.groups(actor))) if feed.groups else ()
    removed_groups: tuple[int, ...] = ()
    reset = False
    if cursor is not None and cursor.fingerprint != stamp:
        cursor, reset = None, True
    elif cursor is not None and cursor.groups != groups:
        if set(groups) <= set(cursor.groups):
            removed_groups = tuple(sorted(set(cursor.groups) - set(groups)))
        else:
            cursor, reset = None, True  # a team joined: its visits were never sent
    upto = committed_change_seq(session)
    if cursor is not None and cursor.seq > upto:
        cursor, reset, removed_groups = None, True, ()  # a database restored to an older state
    baseline = cursor.baseline if cursor is not None else upto
    in_view = and_(*filters) if filters else true()
    scope = feed.scope(actor)

    # Rows in view, and (as tombstones) rows that stopped matching since the copy began.
    rows_query = (scope.add_columns(case((in_view, True), else_=False).label("in_view"))
                  .where(model.sync_seq <= upto, _rows_after(model, cursor),
                         or_(in_view, model.sync_seq > baseline))
                  .order_by(model.sync_seq, model.id).limit(per_page + 1).options(*feed.options()))
    entries = [((obj.sync_seq, ROW, obj.id), obj if visible else None, obj.id)
               for obj, visible in session.execute(rows_query).all()]

    if cursor is not None and feed.follows_moves(actor):
        path = actor.org_unit.path
        seen_from = SyncExit.old_path.startswith(path)
        if feed.sees_ancestors:
            seen_from = or_(seen_from, literal(path).startswith(SyncExit.old_path))
        exits = session.scalars(
            select(SyncExit).where(SyncExit.entity_type == model.sync_type, SyncExit.seq <= upto,
                                   SyncExit.seq > baseline, _exits_after(cursor), seen_from)
            .order_by(SyncExit.seq, SyncExit.id).limit(per_page + 1)).all()
        entries += [((e.seq, EXIT, e.id), None, _id_value(model, e.entity_id)) for e in exits]

    # A stable sort on (change number, kind) keeps the database's own order of ids within
    # each, which is the order the next cursor compares in.
    entries.sort(key=lambda entry: entry[0][:2])
    more = len(entries) > per_page
    taken = entries[:per_page]
    items, removed_ids = [], []
    for _, item, ident in taken:
        if item is not None:
            items.append(item)
        else:
            removed_ids.append(ident)
    # An exit of a row the caller can see again (it moved within their scope) is no
    # tombstone: the row itself is in this page or a later one.
    still_visible = set()
    if removed_ids:
        still_visible = set(session.scalars(
            scope.where(in_view, model.id.in_(removed_ids)).with_only_columns(model.id)))
    removed = list(dict.fromkeys(i for i in removed_ids if i not in still_visible))
    if removed_groups and feed.in_groups is not None:
        gone = session.scalars(select(model.id).where(feed.in_groups(removed_groups), model.sync_seq <= upto)
                               .where(model.id.not_in(scope.where(in_view).with_only_columns(model.id))))
        removed = list(dict.fromkeys([*removed, *gone]))
    if more:
        (seq, kind, ident) = taken[-1][0]
        next_cursor = Cursor(seq, kind, str(ident), stamp, groups, baseline)
    else:
        next_cursor = Cursor(upto, END, None, stamp, groups, baseline)
    return FeedPage(items=items, removed=removed, cursor=next_cursor, more=more, reset=reset)

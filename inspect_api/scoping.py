"""Who may see what: an actor sees their own org unit and everything below it.

Every feature scopes by the org tree, and the org, audit and auth packages are among
them, so the tree is read here through a lightweight table (the `org_units` columns it
needs), not the OrgUnit model: importing the org package would tie it to the packages
that build on it both ways.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, String, column, select, table

_org_units = table("org_units", column("id"), column("path", String))


class Unit(Protocol):
    # Read-only members, so a mapped model (whose attributes are descriptors) fits.
    @property
    def id(self) -> int: ...
    @property
    def path(self) -> str: ...
    @property
    def parent_id(self) -> int | None: ...


class Actor(Protocol):
    """The caller as the rules see them (an auth.models.User, or any stand-in)."""

    @property
    def id(self) -> int: ...
    @property
    def username(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def org_unit_id(self) -> int: ...
    @property
    def org_unit(self) -> Unit: ...


def subtree_ids(actor: Actor) -> Select:
    """A subquery of the ids of every org unit in the actor's subtree (their own included)."""
    return select(_org_units.c.id).where(_org_units.c.path.startswith(actor.org_unit.path))


def in_subtree(column_: SQLColumnExpression[Any], actor: Actor) -> ColumnElement[bool]:
    return column_.in_(subtree_ids(actor))


def unit_in_subtree(unit: Unit | None, actor: Actor) -> bool:
    return unit is not None and unit.path.startswith(actor.org_unit.path)

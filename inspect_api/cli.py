"""Command-line groups: `flask seed ...`, `flask users ...`, `flask audit ...`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from .auth.models import ROLES

seed_cli = AppGroup("seed", help="Load demo or reference data.")
users_cli = AppGroup("users", help="Manage accounts.")
audit_cli = AppGroup("audit", help="Check the audit trail.")


@seed_cli.command("demo")
def seed_demo():
    """Load seed/: the Tuyên Quang org tree, desks, staff, checklist, a plan and demo users.

    Running it again changes nothing."""
    from .seed import load_demo

    load_demo(echo=click.echo)


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--full-name", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--org-unit", "org_unit_code", required=True, help="Code of the home org unit, e.g. TQ.")
@click.password_option(help="Asked for when not given.")
def users_create(username, full_name, role, org_unit_code, password):
    """Create a real account."""
    from sqlalchemy import select

    from .auth.service import create_user
    from .db import db
    from .errors import AppError
    from .org.models import OrgUnit

    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == org_unit_code))
    if unit is None:
        raise click.ClickException(f"no org unit with code {org_unit_code!r}")
    try:
        user = create_user(None, {"username": username, "full_name": full_name, "role": role,
                                  "org_unit_id": unit.id, "password": password})
    except AppError as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"created user {user.username} (id {user.id}, {user.role}, {unit.code})")


@audit_cli.command("verify")
def audit_verify():
    """Recompute the hash chain; exit 1 if any event was altered or removed."""
    from .audit.service import verify_chain

    report = verify_chain()
    if report.intact:
        click.echo(f"audit trail intact: {report.checked} events")
    else:
        click.echo(f"audit trail BROKEN at event {report.broken_at}: {report.reason} "
                   f"({report.checked} events before it are intact)", err=True)
        raise SystemExit(1)


def register_commands(app: Flask) -> None:
    app.cli.add_command(seed_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(audit_cli)

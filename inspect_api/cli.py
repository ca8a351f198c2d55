"""Command-line groups: `flask seed ...`, `flask users ...`, `flask audit ...`,
`flask storage ...`, `flask corrections ...`, `flask scores ...`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from .auth.models import ROLES

seed_cli = AppGroup("seed", help="Load demo or reference data.")
users_cli = AppGroup("users", help="Manage accounts.")
audit_cli = AppGroup("audit", help="Check and anchor the audit trail.")
storage_cli = AppGroup("storage", help="Check the object store against the database.")
corrections_cli = AppGroup("corrections", help="Remind units and reviewers of corrections.")
scores_cli = AppGroup("scores", help="The scores kept per approved visit.")


@seed_cli.command("demo")
def seed_demo():
    """Load seed/: the Tuyên Quang org tree, desks, staff, checklist, a plan, demo users
    and visits through review, with photos.

    Running it again changes nothing."""
    from .seed import seed_demo as load

    load(echo=click.echo)


@seed_cli.command("synthetic")
@click.option("--provinces", default=34, show_default=True, type=click.IntRange(min=1))
@click.option("--communes", default=3300, show_default=True, type=click.IntRange(min=1),
              help="Communes and wards in all, spread over the provinces; one desk each.")
@click.option("--staff-per-desk", default=4, show_default=True, type=click.IntRange(min=1))
@click.option("--visits", default=40_000, show_default=True, type=click.IntRange(min=0),
              help="Approved visits over the year, spread over the desks.")
@click.option("--findings-per-visit", default=38, show_default=True, type=click.IntRange(min=1),
              help="Capped at the number of criteria of the checklist.")
@click.option("--fail-rate", default=0.04, show_default=True, type=click.FloatRange(0, 1),
              help="Share of findings that fail (on average; desks differ).")
@click.option("--na-rate", default=0.02, show_default=True, type=click.FloatRange(0, 1),
              help="Share of findings answered 'not applicable'.")
@click.option("--seed", "random_seed", default=2026, show_default=True, type=int,
              help="Random seed: the same options give the same rows.")
@click.option("--year", default=2026, show_default=True, type=click.IntRange(2000, 2100))
@click.option("--batch-rows", default=10_000, show_default=True, type=click.IntRange(min=100),
              help="Findings per INSERT batch.")
def seed_synthetic(provinces, communes, staff_per_desk, visits, findings_per_visit, fail_rate,
                   na_rate, random_seed, year, batch_rows):
    """Load a synthetic national year under a root unit VN (loads the demo seed first if
    it is missing). Runs once per database: a second run fails and changes nothing."""
    from .synthetic import AlreadyLoaded, Sizes, load_synthetic

    if communes < provinces:
        raise click.BadParameter("at least one commune per province", param_hint="--communes")
    if fail_rate + na_rate > 1:
        raise click.BadParameter("--fail-rate plus --na-rate is more than 1", param_hint="--na-rate")
    sizes = Sizes(provinces=provinces, communes=communes, staff_per_desk=staff_per_desk, visits=visits,
                  findings_per_visit=findings_per_visit, fail_rate=fail_rate, na_rate=na_rate,
                  seed=random_seed, year=year, batch_rows=batch_rows)
    try:
        report = load_synthetic(sizes, echo=click.echo)
    except AlreadyLoaded as exc:
        raise click.ClickException(str(exc)) from None
    rows = ", ".join(f"{count} {table}" for table, count in report.counts.items())
    click.echo(f"created: {rows}")
    findings, spent = report.counts.get("findings", 0), report.insert_seconds.get("findings", 0.0)
    if findings:
        click.echo(f"findings: {spent:.1f} s in INSERTs, {spent * 100_000 / findings:.1f} s per 100k")
    click.echo(f"national users: national_leader, national_reviewer (org unit VN); "
               f"{report.seconds:.1f} s (of which ANALYZE {report.analyze_seconds:.1f} s)")


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--full-name", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--org-unit", "org_unit_code", required=True, help="Code of the home org unit, e.g. TQ.")
@click.option("--email", default=None, help="Where the daily corrections digest goes (unit officers, reviewers).")
@click.password_option(help="Asked for when not given.")
def users_create(username, full_name, role, org_unit_code, email, password):
    """Create a real account."""
    from flask import current_app
    from sqlalchemy import select

    from .auth.passwords import password_hasher
    from .auth.service import create_user
    from .db import db
    from .errors import AppError
    from .org.models import OrgUnit

    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == org_unit_code))
    if unit is None:
        raise click.ClickException(f"no org unit with code {org_unit_code!r}")
    if email is not None:
        from marshmallow import ValidationError
        from marshmallow.validate import Email

        try:
            Email()(email)  # as the users API checks it
        except ValidationError:
            raise click.BadParameter(f"not an e-mail address: {email!r}", param_hint="--email") from None
    try:
        user = create_user(None, {"username": username, "full_name": full_name, "role": role,
                                  "org_unit_id": unit.id, "password": password, "email": email},
                           hasher=password_hasher(current_app.config))
    except AppError as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"created user {user.username} (id {user.id}, {user.role}, {unit.code})")


@users_cli.command("purge-revocations")
def users_purge_revocations():
    """Forget logouts whose sessions have expired anyway (daily, from cron)."""
    from .auth.service import purge_expired_revocations

    click.echo(f"removed {purge_expired_revocations()} expired session revocations")


@audit_cli.command("verify")
@click.option("--all-anchors", is_flag=True,
              help="Check every anchor in the object store, not only the newest (slow on a long trail).")
def audit_verify(all_anchors):
    """Recompute the hash chain and check it against the anchors in the object store.

    Exit 1 if any event was altered or removed (the newest ones included, when an anchor
    names them) or an anchor was tampered with; exit 2 if the store could not be read."""
    from flask import current_app

    from .audit.anchors import audit_secret
    from .audit.service import AnchorStoreDown, verify_trail
    from .storage import get_store

    try:
        report = verify_trail(None, get_store(), audit_secret(current_app.config), all_anchors=all_anchors)
    except AnchorStoreDown as exc:
        click.echo(f"audit trail NOT CHECKED: the object store holding the anchors is "
                   f"unavailable ({exc.__cause__})", err=True)
        raise SystemExit(2) from None
    if not report.intact:
        click.echo(f"audit trail BROKEN at event {report.broken_at}: {report.reason} "
                   f"({report.checked} events checked)", err=True)
        raise SystemExit(1)
    click.echo(f"audit trail intact: {report.checked} events")
    if report.anchored_event_id is None:
        click.echo("warning: no anchor in the object store, so removing the newest events "
                   "would not show; run `flask audit anchor`", err=True)
    else:
        click.echo(f"anchored at event {report.anchored_event_id} "
                   f"({report.anchored_at:%Y-%m-%d %H:%M:%S} UTC); {report.anchors_checked} "
                   f"anchor(s) checked")


@audit_cli.command("anchor")
def audit_anchor():
    """Sign the newest event of the trail and write it to the object store, so that
    removing it or anything before it shows in `flask audit verify`."""
    from flask import current_app

    from .audit.anchors import anchor_head, audit_secret
    from .storage import StoreUnavailable, get_store

    try:
        anchor = anchor_head(get_store(), audit_secret(current_app.config))
    except StoreUnavailable as exc:
        raise click.ClickException(f"object store unavailable: {exc}") from None
    if anchor is None:
        click.echo("the audit trail is empty; nothing to anchor")
        return
    click.echo(f"anchored event {anchor.event_id} (hash {anchor.hash[:16]}...)")


@storage_cli.command("reconcile")
@click.option("--delete", "remove", is_flag=True,
              help="Remove the orphaned objects (default: only list them).")
@click.option("--older-than", default=60, show_default=True, type=click.IntRange(min=0),
              help="Minutes an orphan must have existed before it counts (younger ones may "
                   "be uploads in flight).")
def storage_reconcile(remove, older_than):
    """List (or with --delete remove) evidence objects that no row refers to, and report
    rows whose object is missing. Exits 1 if any row has lost its object."""
    import datetime as dt

    from .evidence.reconcile import reconcile
    from .storage import StoreUnavailable

    try:
        report = reconcile(remove=remove, older_than=dt.timedelta(minutes=older_than))
    except StoreUnavailable as exc:
        raise click.ClickException(f"object store unavailable: {exc}") from None
    click.echo(f"checked {report.objects_checked} objects and {report.rows_checked} evidence rows")
    if report.thumbnails_to_make:
        click.echo(f"{report.thumbnails_to_make} thumbnails not asked for yet (made on first request)")
    for info in report.orphans:
        verb = "removed" if remove else "orphan"
        click.echo(f"{verb}: {info.key} ({info.size} bytes, {info.modified_at:%Y-%m-%d %H:%M} UTC)")
    if report.young_orphans:
        click.echo(f"skipped {report.young_orphans} unreferenced objects younger than {older_than} min")
    if not remove and report.orphans:
        click.echo(f"{len(report.orphans)} orphaned objects; run with --delete to remove them")
    for evidence_id, key in report.missing:
        click.echo(f"MISSING: evidence {evidence_id} refers to {key}, which is not in the store", err=True)
    if report.missing:
        raise SystemExit(1)


@corrections_cli.command("remind")
def corrections_remind():
    """E-mail today's digest of corrections overdue and due this week (daily, from cron):
    one per unit to its unit officers, one per reviewer for their subtree. A recipient
    gets at most one a day, however often (or however many at once) this runs.

    Exit 1 without SMTP_URL, or when a message could not be sent (retried next run)."""
    from flask import current_app

    from .corrections.digest_mail import send_digests
    from .corrections.models import vietnam_today
    from .mail import MailError

    if not current_app.config["SMTP_URL"]:
        click.echo("SMTP_URL is not set: no mail server to send the digest through; nothing sent", err=True)
        raise SystemExit(1)
    try:
        run = send_digests(current_app.config, vietnam_today(), echo=click.echo)
    except MailError as exc:
        click.echo(f"digest NOT SENT: {exc}", err=True)
        raise SystemExit(1) from None
    click.echo(f"{run.sent} digests sent to {run.recipients} recipients; {run.skipped} recipients "
               f"already had today's")
    if run.failed:
        click.echo(f"{run.failed} digests could not be sent; the next run tries again", err=True)
        raise SystemExit(1)


@scores_cli.command("recompute")
def scores_recompute():
    """Rebuild every approved visit's kept score and failures from its findings."""
    from .reports.kept_scores import recompute_all

    click.echo(f"{recompute_all()} visit scores kept")


@scores_cli.command("verify")
def scores_verify():
    """Compare every kept score and failure with the from-findings computation; exit 1 on any difference."""
    from .reports.kept_scores import verify

    differences = verify()
    for difference in differences:
        click.echo(f"DIFFERENT: {difference}", err=True)
    if differences:
        click.echo(f"{len(differences)} differences; `flask scores recompute` rebuilds the kept scores", err=True)
        raise SystemExit(1)
    click.echo("kept scores match the findings")


def register_commands(app: Flask) -> None:
    app.cli.add_command(seed_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(storage_cli)
    app.cli.add_command(corrections_cli)
    app.cli.add_command(scores_cli)

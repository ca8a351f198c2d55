"""The daily corrections digest as e-mail: `reminders.plan_digests` says who gets what,
this renders each one (templates/mail/corrections_digest.txt, Vietnamese, UTF-8), claims
it and sends it. Called by `flask corrections remind`, an edge like the API views."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from ..mail import MailError, Mailer, text_message
from . import reminders


def vn_date(value: dt.date) -> str:
    """dd/mm/yyyy (as documents.render.vn_date, which this package may not import: the
    documents read the reports, which read the corrections)."""
    return value.strftime("%d/%m/%Y")


@dataclass
class DigestRun:
    sent: int = 0  # messages
    recipients: int = 0
    skipped: int = 0  # recipients already sent today
    failed: int = 0  # messages


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("inspect_api", "templates"), autoescape=False,  # noqa: S701 - plain text
                      undefined=StrictUndefined, keep_trailing_newline=True, trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["vn_date"] = vn_date
    return env


def subject(digest: reminders.Digest, today: dt.date) -> str:
    parts = []
    if digest.overdue:
        parts.append(f"{len(digest.overdue)} quá hạn")
    if digest.due_this_week:
        parts.append(f"{len(digest.due_this_week)} đến hạn trong tuần")
    return f"Nhắc việc khắc phục ngày {vn_date(today)}: {', '.join(parts)}"


def send_digests(settings: Mapping[str, Any], today: dt.date,
                 echo: Callable[[str], None] = print) -> DigestRun:
    """Send today's digests through SMTP_URL; each recipient at most once a day."""
    template = _environment().get_template("mail/corrections_digest.txt")
    link = f"{settings['PUBLIC_BASE_URL']}/console/corrections"
    run = DigestRun()
    digests = reminders.plan_digests(today)
    if not digests:
        return run
    with Mailer(settings["SMTP_URL"]) as mailer:
        for digest in digests:
            claims = reminders.claim(digest, today)
            run.skipped += len(digest.recipients) - len(claims)
            if not claims:
                continue
            to = [claim.recipient for claim in claims]
            message = text_message(settings["SMTP_FROM"], to, subject(digest, today),
                                   template.render(digest=digest, today=today, link=link))
            try:
                mailer.send(message)
            except MailError as exc:
                reminders.release(claims)
                run.failed += 1
                echo(f"NOT SENT to {', '.join(to)}: {exc}")
                continue
            reminders.mark_sent(claims)
            run.sent += 1
            run.recipients += len(to)
            echo(f"sent to {', '.join(to)}: {digest.count} corrections ({digest.kind} {digest.addressee})")
    return run

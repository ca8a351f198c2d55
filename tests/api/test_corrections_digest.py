"""`flask corrections remind`: the daily e-mail digest of corrections overdue and due this
week, sent to a real SMTP server (aiosmtpd) started here: one per unit to its officers,
one per reviewer; never twice a day to anyone, even when two runs race."""

from __future__ import annotations

import datetime as dt
import email
import threading
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from inspect_api.corrections.digest_mail import send_digests
from inspect_api.corrections.models import Correction, CorrectionDigestSend, vietnam_today
from inspect_api.db import db
from tests.api.review_support import Flow
from tests.api.test_corrections import by_code, corrections
from tests.conftest import free_port

UNIT = "TQ-TANTRAO"
OTHER_UNIT = "TQ-HAGIANG1"


class Inbox:
    """An aiosmtpd handler keeping what it receives; refuses the addresses in `refuse`."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.refuse: set[str] = set()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append((sorted(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [message for recipients, message in self.messages if address in recipients]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, f"smtp://127.0.0.1:{controller.port}"
    controller.stop()


@pytest.fixture
def flow(client, demo, login):
    return Flow(client, demo, login)


def set_deadline(app, correction_id: int, days_from_today: int) -> None:
    with app.app_context():
        db.session.get(Correction, correction_id).deadline = vietnam_today() + dt.timedelta(days=days_from_today)
        db.session.commit()
        db.session.remove()


@pytest.fixture
def due(app, flow, client, login):
    """Tân Trào: SEAT-02 10 days overdue, SEAT-01 due in 2 days, the rest later. Hà Giang 1:
    FAC-01 due today. Two Tân Trào officers with an e-mail (one set later over PATCH), one
    Hà Giang 1 officer without; reviewer1's e-mail comes from the seed."""
    flow.approved(UNIT, "2026-11-10", {"SEAT-02": "fail", "SEAT-01": "fail", "FAC-01": "fail"})
    flow.approved(OTHER_UNIT, "2026-11-10", {"FAC-01": "fail"})
    items = corrections(client, login("reviewer1"))
    mine = by_code([c for c in items if c["org_unit_id"] == flow.demo.units[UNIT]])
    theirs = by_code([c for c in items if c["org_unit_id"] == flow.demo.units[OTHER_UNIT]])
    set_deadline(app, mine["SEAT-02"]["id"], -10)
    set_deadline(app, mine["SEAT-01"]["id"], 2)
    set_deadline(app, theirs["FAC-01"]["id"], 0)
    admin = login("admin")
    r = client.post("/api/v1/users", headers=admin, json={
        "username": "vanthu.tantrao", "full_name": "Hà Thị Lan", "role": "unit_officer",
        "org_unit_id": flow.demo.units[UNIT], "password": "mat-khau-rat-dai-123", "email": "vanthu@tantrao.example.vn"})
    assert r.status_code == 201 and r.get_json()["email"] == "vanthu@tantrao.example.vn"
    r = client.post("/api/v1/users", headers=admin, json={
        "username": "chutich.tantrao", "full_name": "Ma Văn Tư", "role": "unit_officer",
        "org_unit_id": flow.demo.units[UNIT], "password": "mat-khau-rat-dai-123"})
    assert r.status_code == 201 and r.get_json()["email"] is None
    r = client.patch(f"/api/v1/users/{r.get_json()['id']}", headers=admin, json={"email": "chutich@tantrao.example.vn"})
    assert r.status_code == 200 and r.get_json()["email"] == "chutich@tantrao.example.vn"
    flow.create_user("canbo.hagiang1", "unit_officer", OTHER_UNIT)
    return mine, theirs


def test_an_email_that_is_not_one_is_422(client, demo, login):
    r = client.patch(f"/api/v1/users/{demo.users['reviewer1']}", headers=login("admin"), json={"email": "không-phải"})
    assert r.status_code == 422 and "email" in r.get_json()["errors"]["json"]


def test_without_smtp_url_the_command_refuses(runner, demo):
    result = runner.invoke(args=["corrections", "remind"])
    assert result.exit_code == 1
    assert "SMTP_URL is not set" in result.output


def test_one_digest_per_unit_and_reviewer_once_a_day(app, runner, smtp, due, monkeypatch):
    inbox, url = smtp
    monkeypatch.setitem(app.config, "SMTP_URL", url)
    result = runner.invoke(args=["corrections", "remind"])
    assert result.exit_code == 0, result.output
    assert "2 digests sent to 3 recipients" in result.output
    today = vietnam_today().strftime("%d/%m/%Y")

    [(recipients, unit_mail)] = [m for m in inbox.messages if "vanthu@tantrao.example.vn" in m[0]]
    assert recipients == ["chutich@tantrao.example.vn", "vanthu@tantrao.example.vn"]
    assert unit_mail["Subject"] == f"Nhắc việc khắc phục ngày {today}: 1 quá hạn, 1 đến hạn trong tuần"
    assert unit_mail.get_content_charset() == "utf-8"
    body = unit_mail.get_content()
    assert body.startswith("Kính gửi: Xã Tân Trào\n")
    assert "QUÁ HẠN (1):\n- SEAT-02:" in body and "đã quá 10 ngày" in body
    assert "ĐẾN HẠN TRONG 7 NGÀY TỚI (1):\n- SEAT-01:" in body
    deadline = (vietnam_today() + dt.timedelta(days=2)).strftime("%d/%m/%Y")
    assert f"Hạn {deadline}." in body
    assert "FAC-01" not in body  # Tân Trào's FAC-01 is due later; Hà Giang 1's is not theirs
    assert "/console/corrections" in body

    [reviewer_mail] = inbox.to("thamdinh.snv@example.vn")
    assert reviewer_mail["Subject"] == f"Nhắc việc khắc phục ngày {today}: 1 quá hạn, 2 đến hạn trong tuần"
    body = reviewer_mail.get_content()
    assert "Kính gửi: Trần Thị Bích Ngọc (Sở Nội vụ)" in body
    assert "(Xã Tân Trào)" in body and "(Phường Hà Giang 1)" in body and "(hôm nay)" in body
    assert len(inbox.messages) == 2  # Hà Giang 1's officer has no e-mail

    # The same day again: nothing.
    again = runner.invoke(args=["corrections", "remind"])
    assert again.exit_code == 0, again.output
    assert "0 digests sent to 0 recipients; 3 recipients already had today's" in again.output
    assert len(inbox.messages) == 2
    with app.app_context():
        sends = db.session.scalars(select(CorrectionDigestSend)).all()
        assert {(s.recipient, s.day, s.sent_at is not None) for s in sends} == {
            (address, vietnam_today(), True) for address in
            ("chutich@tantrao.example.vn", "vanthu@tantrao.example.vn", "thamdinh.snv@example.vn")}
        db.session.remove()


def test_a_refused_digest_is_sent_by_the_next_run(app, runner, smtp, due, monkeypatch):
    inbox, url = smtp
    monkeypatch.setitem(app.config, "SMTP_URL", url)
    inbox.refuse.add("thamdinh.snv@example.vn")
    result = runner.invoke(args=["corrections", "remind"])
    assert result.exit_code == 1
    assert "NOT SENT to thamdinh.snv@example.vn" in result.output
    assert inbox.to("thamdinh.snv@example.vn") == [] and len(inbox.messages) == 1
    inbox.refuse.clear()
    result = runner.invoke(args=["corrections", "remind"])
    assert result.exit_code == 0, result.output
    assert len(inbox.to("thamdinh.snv@example.vn")) == 1 and len(inbox.messages) == 2


def test_two_runs_racing_send_each_digest_once(app, smtp, due):
    inbox, url = smtp
    settings = {**app.config, "SMTP_URL": url}
    start = threading.Barrier(2)
    errors: list[BaseException] = []
    runs = []

    def run() -> None:
        try:
            with app.app_context():
                start.wait(timeout=10)
                runs.append(send_digests(settings, vietnam_today(), echo=lambda line: None))
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(address for recipients, _ in inbox.messages for address in recipients) == [
        "chutich@tantrao.example.vn", "thamdinh.snv@example.vn", "vanthu@tantrao.example.vn"]
    assert sum(r.recipients for r in runs) == 3 and sum(r.skipped for r in runs) == 3
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CorrectionDigestSend)) == 3
        db.session.remove()

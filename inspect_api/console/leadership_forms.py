"""What the leadership pages' query strings and freeze form carry, read into the plain
values reports.service takes. Dates are typed as a Vietnamese reader writes them
(dd/mm/yyyy); links between these pages carry them the same way. Shape only: the service
still checks scope and the period's order."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import marshmallow as ma

from ..errors import Invalid
from ..reports.models import LIST_KINDS
from ..reports.schemas import REPORT_DATES, FreezeListSchema
from .forms import checked_text

PRESETS = ("this_quarter", "previous_quarter", "custom")
_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
# The freeze form's text fields and the API field each fills (FreezeListSchema).
FREEZE_TEXT_FIELDS = ("document_number", "document_date", "signer_name", "signer_title", "addressee",
                      "recipients")


def parse_day(text: str) -> dt.date:
    """dd/mm/yyyy (or the ISO yyyy-mm-dd a bookmarked address may carry); ValueError
    with a Vietnamese message otherwise."""
    text = text.strip()
    found = _DAY.fullmatch(text)
    if found:
        day, month, year = (int(part) for part in found.groups())
    elif (iso := _ISO_DAY.fullmatch(text)) is not None:
        year, month, day = (int(part) for part in iso.groups())
    else:
        raise ValueError("Hãy nhập ngày theo dạng dd/mm/yyyy, ví dụ 01/10/2026.")
    try:
        value = dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"Không có ngày {text} trên lịch.") from None
    try:
        REPORT_DATES(value)
    except ma.ValidationError:
        raise ValueError("Ngày phải trong khoảng 01/01/2000 đến 31/12/2099.") from None
    return value


def day_text(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def quarter_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the quarter `day` falls in."""
    first_month = (day.month - 1) // 3 * 3 + 1
    last_month = first_month + 2
    return (dt.date(day.year, first_month, 1),
            dt.date(day.year, last_month, calendar.monthrange(day.year, last_month)[1]))


@dataclass(frozen=True)
class Period:
    date_from: dt.date
    date_to: dt.date
    preset: str  # one of PRESETS

    def args(self) -> dict[str, Any]:
        """The query string that brings a page back to this period."""
        return {"from": day_text(self.date_from), "to": day_text(self.date_to)}

    def service_args(self, **extra: Any) -> dict[str, Any]:
        return {"date_from": self.date_from, "date_to": self.date_to, **extra}


class PeriodError(Invalid):
    """A period the chooser cannot read; `typed` is what to show in the form again."""

    def __init__(self, detail: str, errors: dict[str, str], typed: dict[str, str]):
        super().__init__(detail, errors={"query": {key: [message] for key, message in errors.items()}})
        self.field_errors = errors
        self.typed = typed


def period_from_args(args: Mapping[str, str], today: dt.date) -> Period:
    """A preset (this quarter, the one before) or two typed dates; this quarter when
    nothing is given."""
    preset = args.get("period") or ""
    typed = {"from": (args.get("from") or "")[:40], "to": (args.get("to") or "")[:40]}
    if preset not in PRESETS:
        preset = "custom" if typed["from"] or typed["to"] else "this_quarter"
    if preset == "this_quarter":
        return Period(*quarter_of(today), preset)
    if preset == "previous_quarter":
        return Period(*quarter_of(quarter_of(today)[0] - dt.timedelta(days=1)), preset)
    errors: dict[str, str] = {}
    days: dict[str, dt.date] = {}
    for key in ("from", "to"):
        if not typed[key].strip():
            errors[key] = "Hãy nhập ngày (dd/mm/yyyy)."
            continue
        try:
            days[key] = parse_day(typed[key])
        except ValueError as error:
            errors[key] = str(error)
    if not errors and days["to"] < days["from"]:
        errors["to"] = "Ngày kết thúc phải sau ngày bắt đầu."
    if errors:
        raise PeriodError("Kỳ báo cáo không hợp lệ.", errors, typed)
    return Period(days["from"], days["to"], "custom")


def list_kind(args: Mapping[str, str]) -> str:
    kind = args.get("kind") or "criticism"
    if kind not in LIST_KINDS:
        raise Invalid("Loại danh sách không hợp lệ.", errors={"query": {"kind": ["Không hợp lệ."]}})
    return kind


@dataclass
class FreezeForm:
    """What the leader typed (to show again) and, when it holds together, what
    freeze_list takes."""

    typed: dict[str, Any]
    data: dict[str, Any] | None
    errors: dict[str, str]


def freeze_form(form: Mapping[str, str]) -> FreezeForm:
    """The freeze form read through the API's FreezeListSchema, so the console refuses
    exactly what POST /reports/lists refuses, with the same messages per field."""
    typed: dict[str, Any] = {key: checked_text(form.get(key), key, 2000) for key in FREEZE_TEXT_FIELDS}
    typed["attachment_signed"] = bool(form.get("attachment_signed"))
    typed.update({key: checked_text(form.get(key), key, 40) for key in ("kind", "from", "to")})
    errors: dict[str, str] = {}
    body: dict[str, Any] = {"kind": typed["kind"], "attachment_signed": typed["attachment_signed"]}
    for key, target in (("from", "from"), ("to", "to"), ("document_date", "document_date")):
        if not typed[key].strip():
            errors[key] = "Hãy nhập ngày (dd/mm/yyyy)." if key == "document_date" else "Thiếu kỳ báo cáo."
            continue
        try:
            body[target] = parse_day(typed[key]).isoformat()
        except ValueError as error:
            errors[key] = str(error)
    body["document_number"] = typed["document_number"].strip()
    body["signer_name"] = typed["signer_name"].strip()
    # Optional fields left empty take the service's defaults (Kính gửi, Nơi nhận, title).
    if typed["signer_title"].strip():
        body["signer_title"] = "\n".join(line.strip() for line in typed["signer_title"].splitlines() if line.strip())
    if typed["addressee"].strip():
        body["addressee"] = typed["addressee"].strip()
    recipients = [line.strip() for line in typed["recipients"].splitlines() if line.strip()]
    if recipients:
        body["recipients"] = recipients
    try:
        data = FreezeListSchema().load(body)
    except ma.ValidationError as error:
        messages = error.normalized_messages()
        for key, problems in messages.items():
            field = "recipients" if key == "recipients" else key
            errors.setdefault(field, _flat(problems))
        data = None
    if not body["document_number"]:
        errors["document_number"] = "Hãy nhập số văn bản, ví dụ 125/TTr-SNV."
    if not body["signer_name"]:
        errors["signer_name"] = "Hãy nhập họ tên người ký."
    return FreezeForm(typed, None if errors else data, errors)


def _flat(problems: Any) -> str:
    """A field's messages as one line (a list's per-item messages included)."""
    if isinstance(problems, dict):
        return " ".join(_flat(value) for value in problems.values())
    if isinstance(problems, list):
        return " ".join(_flat(value) for value in problems)
    return str(problems)

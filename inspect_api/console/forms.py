"""What the console's query strings and forms carry, read into the plain values the
services take. The services check the rules (and answer with field errors); these only
check shape, as the API's schemas do."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import marshmallow as ma

from ..checklists.models import SEVERITIES
from ..errors import Invalid
from ..fields import Date, forbidden_character
from ..messages import Schema
from ..reviews.queue import ALL_STATES, QUEUE_STATES, QueueFilters

MAX_TEXT = 4000


def page_number(args: Mapping[str, str]) -> int:
    """The `page` of a query string, 1 when absent or not a number."""
    try:
        return max(1, min(int(args.get("page", "1")), 100_000))
    except ValueError:
        return 1


class QueueArgsSchema(Schema):
    class Meta:
        unknown = ma.EXCLUDE

    state = ma.fields.String(validate=ma.validate.OneOf((*QUEUE_STATES, ALL_STATES)))
    unit = ma.fields.Integer(validate=ma.validate.Range(1, 2**31))
    desk = ma.fields.Integer(validate=ma.validate.Range(1, 2**31))
    team = ma.fields.Integer(validate=ma.validate.Range(1, 2**31))
    date_from = Date()
    date_to = Date()
    critical = ma.fields.Boolean()
    awaiting_explanation = ma.fields.Boolean()
    page = ma.fields.Integer(validate=ma.validate.Range(1, 100000))


def queue_filters(args: Mapping[str, str], default_state: str) -> tuple[QueueFilters, int]:
    """The queue's filters from its query string; an empty field is no filter."""
    given = {key: value for key, value in args.items() if value != ""}
    try:
        data = QueueArgsSchema().load(given)
    except ma.ValidationError as error:
        raise Invalid("Bộ lọc không hợp lệ.", errors={"query": error.messages}) from None
    if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
        raise Invalid("Ngày kết thúc phải sau ngày bắt đầu.", errors={"query": {"date_to": ["Trước ngày bắt đầu."]}})
    filters = QueueFilters(
        state=data.get("state", default_state), unit_id=data.get("unit"), desk_id=data.get("desk"),
        team_id=data.get("team"), date_from=data.get("date_from"), date_to=data.get("date_to"),
        critical=data.get("critical", False), awaiting_explanation=data.get("awaiting_explanation", False))
    return filters, data.get("page", 1)


def checked_text(value: str | None, field: str, limit: int = MAX_TEXT) -> str:
    """Typed text, cut at `limit`; 422 for what the API refuses in any text (NUL, lone
    surrogates...), which the database would otherwise fail on."""
    text = (value or "")[:limit]
    problem = forbidden_character(text)
    if problem is not None:
        raise Invalid("Nội dung có ký tự không được phép.", errors={"form": {field: [problem]}})
    return text


def _text(form: Mapping[str, str], key: str) -> str:
    return checked_text(form.get(key), key)


def _finding_notes(form: Mapping[str, str]) -> tuple[list[dict[str, Any]], dict[str, dict[str, str]]]:
    """Per-finding inputs are named note-<finding id>-<field>; a finding with none filled
    in gets no note."""
    typed: dict[str, dict[str, str]] = {}
    for key in form:
        parts = key.split("-", 1)
        if parts[0] != "note" or len(parts) != 2:
            continue
        finding, _, field = parts[1].rpartition("-")
        if field in ("severity", "void", "reason", "comment"):
            typed.setdefault(finding, {})[field] = _text(form, key)
    items = []
    for finding, fields in typed.items():
        try:
            finding_id = uuid.UUID(finding)
        except ValueError:
            continue
        severity = fields.get("severity") or None
        item = {"finding_id": finding_id, "comment": fields.get("comment", "").strip() or None,
                "severity": severity if severity in SEVERITIES else None,
                "void": bool(fields.get("void")), "void_reason": fields.get("reason", "").strip() or None}
        if item["comment"] or item["severity"] or item["void"] or item["void_reason"]:
            items.append(item)
    return items, typed


def decision_from_form(form: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what reviews.service.decide takes, what the reviewer typed, to show again)."""
    decision = form.get("decision")
    if decision not in ("approve", "return"):
        raise Invalid("Hãy chọn Duyệt hoặc Trả lại.", errors={"form": {"decision": ["Không hợp lệ."]}})
    try:
        version = int(form.get("version", ""))
    except ValueError:
        version = None
    items, notes = _finding_notes(form)
    comment = _text(form, "comment")
    data = {"decision": decision, "comment": comment, "findings": items, "version": version}
    return data, {"comment": comment, "notes": notes}


def explanation_from_form(form: Mapping[str, str]) -> dict[str, Any]:
    action = form.get("action")
    if action not in ("request", "receive", "lapse"):
        raise Invalid("Thao tác giải trình không hợp lệ.", errors={"form": {"action": ["Không hợp lệ."]}})
    data: dict[str, Any] = {"action": action}
    if action == "request" and form.get("deadline"):
        try:
            data["deadline"] = Date().deserialize(form["deadline"])
        except ma.ValidationError as error:
            raise Invalid("Hạn giải trình không phải ngày hợp lệ.",
                          errors={"form": {"deadline": error.messages}}) from None
    if action == "receive":
        data["content"] = _text(form, "content")
    return data

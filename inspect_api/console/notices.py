"""The console's conclusion notices (Thông báo kết quả kiểm tra): the issuing side's list of
plans, each plan's inspected units with their notice or its draft and the issue form, and
the unit officer's list of the notices sent to their unit. Routes on the console's
blueprint, registered by importing this module before the blueprint is (setup.py).

Every page and file goes through notices.service (get_plan, draft_content, get_notice,
issue_notice), so scope is the API's: another subtree gets the same 404, a plan issued
above the actor the same 403. The files are the bytes the API's /draft and /export give."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from flask import Response, flash, redirect, render_template, request, url_for

from ..corrections.models import vietnam_today
from ..db import db
from ..documents.notice_content import NoticeContent
from ..documents.notice_export import NOTICE_FORMATS, NoticeFile, notice_file
from ..errors import Conflict, Invalid, NotFound
from ..notices import service
from ..notices.schemas import NoticeIssueSchema
from ..reports.service import DEFAULT_SIGNER_TITLE
from ..requests import request_origin
from . import session
from .forms import checked_text
from .leadership_forms import day_text, parse_day
from .views import blp

ISSUERS = service.ISSUER_ROLES
READERS = (*service.ISSUER_ROLES, service.UNIT_ROLE)
FORM_FIELDS = ("document_number", "document_date", "signer_name", "signer_title")
FORMAT_NAMES = {"pdf": "PDF", "docx": "Word (.docx)"}


@blp.context_processor
def _notices_layout() -> dict[str, Any]:
    user = session.current_user()
    return {"can_see_notices": bool(user and user.role in READERS)}


def _send(document: NoticeFile) -> Response:
    return Response(document.content, mimetype=document.mimetype,
                    headers={"Content-Disposition": document.content_disposition})


def _file_format(file_format: str) -> str:
    if file_format not in NOTICE_FORMATS:
        raise NotFound("Không có định dạng tải xuống này.")
    return file_format


# --- the pages -------------------------------------------------------------------------------

@blp.get("/notices")
@session.signed_in(*READERS)
def notices(user):
    if user.role == service.UNIT_ROLE:
        return render_template("console/notices_unit.html", rows=service.unit_notices(user),
                               format_names=FORMAT_NAMES)
    plans = service.plans_in_view(user)
    return render_template("console/notices.html", plans=plans,
                           issuable={plan.id for plan in plans if service.may_issue(user, plan)})


def _blank_form() -> dict[str, str]:
    return {"document_number": "", "document_date": day_text(vietnam_today()), "signer_name": "",
            "signer_title": DEFAULT_SIGNER_TITLE}


def _render_plan(user, plan_id: int, *, unit_id: int | None = None, typed: dict[str, str] | None = None,
                 errors: dict[str, str] | None = None, status: int = 200):
    plan, rows = service.inspected_units(user, plan_id)
    body = render_template("console/notices_plan.html", plan=plan, rows=rows, can_issue=service.may_issue(user, plan),
                           form_unit=unit_id, typed=typed or {}, errors=errors or {}, blank=_blank_form(),
                           format_names=FORMAT_NAMES, shown_units={row.unit.id for row in rows})
    return body, status


@blp.get("/notices/plans/<int:plan_id>")
@session.signed_in(*ISSUERS)
def notices_plan(user, plan_id: int):
    return _render_plan(user, plan_id)


# --- the issue form -----------------------------------------------------------------------------

@dataclass(frozen=True)
class IssueForm:
    typed: dict[str, str]  # as typed, shown again on an error
    data: dict[str, Any] | None  # what issue_notice takes; None when errors
    errors: dict[str, str]


def issue_form(form: Mapping[str, str], unit_id: int) -> IssueForm:
    """The form read through the API's NoticeIssueSchema, so the console refuses what
    POST /plans/{id}/notices refuses; the date typed dd/mm/yyyy."""
    typed = {key: checked_text(form.get(key), key, 400) for key in FORM_FIELDS}
    errors: dict[str, str] = {}
    body: dict[str, Any] = {"org_unit_id": unit_id, "document_number": typed["document_number"].strip(),
                            "signer_name": typed["signer_name"].strip()}
    if not typed["document_date"].strip():
        errors["document_date"] = "Hãy nhập ngày ban hành (dd/mm/yyyy)."
    else:
        try:
            body["document_date"] = parse_day(typed["document_date"]).isoformat()
        except ValueError as error:
            errors["document_date"] = str(error)
    title = "\n".join(line.strip() for line in typed["signer_title"].splitlines() if line.strip())
    if title:  # empty: the service's default
        body["signer_title"] = title
    try:
        data = NoticeIssueSchema().load(body)
    except ma.ValidationError as error:
        for key, problems in error.normalized_messages().items():
            if key in FORM_FIELDS:
                errors.setdefault(key, " ".join(str(p) for p in problems) if isinstance(problems, list)
                                  else str(problems))
        data = None
    if not body["document_number"]:
        errors["document_number"] = "Hãy nhập số văn bản, ví dụ 15/TB-SNV."
    if not body["signer_name"]:
        errors["signer_name"] = "Hãy nhập họ tên người ký."
    return IssueForm(typed, None if errors else data, errors)


def _field_errors(error: Invalid | Conflict) -> dict[str, str]:
    """A service error as the form's errors: a field's own message beside it, the reason
    on top (a unit already sent its notice, or with no approved visit)."""
    fields = (error.errors or {}).get("json") or {}
    errors = {key: error.detail if isinstance(error, Conflict) else " ".join(messages)
              for key, messages in fields.items() if key in FORM_FIELDS}
    return errors or {"detail": error.detail}


@blp.post("/notices/plans/<int:plan_id>/units/<int:unit_id>")
@session.signed_in(*ISSUERS)
def issue(user, plan_id: int, unit_id: int):
    submitted = issue_form(request.form, unit_id)
    if submitted.data is None:
        return _render_plan(user, plan_id, unit_id=unit_id, typed=submitted.typed, errors=submitted.errors,
                            status=422)
    try:
        notice = service.issue_notice(user, plan_id, submitted.data, origin=request_origin())
    except (Invalid, Conflict) as error:
        db.session.rollback()
        return _render_plan(user, plan_id, unit_id=unit_id, typed=submitted.typed, errors=_field_errors(error),
                            status=error.status)
    flash(f"Đã ban hành Thông báo số {notice.document_number}.", "success")
    return redirect(url_for("console.notices_plan", plan_id=plan_id, _anchor=f"unit-{unit_id}"), code=303)


# --- the files ---------------------------------------------------------------------------------

@blp.get("/notices/plans/<int:plan_id>/units/<int:unit_id>/draft.<file_format>")
@session.signed_in(*ISSUERS)
def notice_draft(user, plan_id: int, unit_id: int, file_format: str):
    """The bytes GET /api/v1/plans/{id}/notices/draft gives: DỰ THẢO, no number."""
    return _send(notice_file(service.draft_content(user, plan_id, unit_id), _file_format(file_format)))


@blp.get("/notices/plans/<int:plan_id>/<int:notice_id>.<file_format>")
@session.signed_in(*READERS)
def notice_export(user, plan_id: int, notice_id: int, file_format: str):
    """The bytes GET /api/v1/plans/{id}/notices/{id}/export gives: printed from the content as issued."""
    notice = service.get_notice(user, plan_id, notice_id)
    return _send(notice_file(NoticeContent.from_json(notice.content), _file_format(file_format),
                             document_number=notice.document_number, document_date=notice.document_date,
                             signer_name=notice.signer_name, signer_title=notice.signer_title))

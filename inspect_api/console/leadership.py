"""The leadership pages of the console: scores with their trend and chart, the drill-down
from a unit to its desks and their visits, the computed lists, freezing one, the frozen
lists and their documents.

Each page calls the service the API calls (reports.service, the document builders), with
the API's role rules (reports/views.py: leaders, reviewers and admins read; leaders and
admins freeze), so the scope and the numbers are the API's. The routes join the
console's blueprint from here: setup.py imports this module before registering `blp`,
so views.py need not know this module exists (importing it from there would be a cycle)."""

from __future__ import annotations

import os
from typing import Any

from flask import current_app, flash, redirect, render_template, request, send_file, url_for

from ..corrections.service import correction_record
from ..db import db
from ..documents.list_export import LIST_FORMATS, PDF_MIMETYPE, XLSX_MIMETYPE, list_file
from ..documents.scores import scores_document
from ..errors import Invalid, NotFound
from ..org.service import get_desk, get_org_unit
from ..pagination import keyset_page
from ..reports import service
from ..reports.exports import scores_workbook
from ..reports.list_rules import ListSettings
from ..reports.models import LIST_KINDS
from ..requests import request_origin
from ..serving import answered_without_cycle_collection
from ..reviews.queue import QueueFilters, review_overview
from . import session
from ..reports.scores import previous_period
from .leadership_forms import Period, PeriodError, day_text, freeze_form, list_kind, period_from_args
from .leadership_pages import (
    ENTRIES_PER_PAGE, LIST_KIND_TITLES, EntryPage, entry_page, kind_name, ranked_with_trend, scores_chart,
)
from .forms import page_number
from .pages import today_in_vietnam
from .views import blp

READERS = ("leader", "reviewer", "admin")  # GET /reports/scores, /reports/lists
FREEZERS = ("leader", "admin")  # POST /reports/lists
FROZEN_PER_PAGE = 20
SCORE_FORMATS = {"pdf", "xlsx"}


@blp.context_processor
def _leadership_layout() -> dict[str, Any]:
    user = session.current_user()
    return {"can_read_reports": bool(user and user.role in READERS),
            "can_freeze": bool(user and user.role in FREEZERS)}


def _settings() -> ListSettings:
    return ListSettings.from_config(current_app.config)


def _with_previous(user, period: Period, org_unit_id: int | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The period's scores and those of the period before it (same length), each from
    the service call the API makes, for the trend."""
    before_from, before_to = previous_period(period.date_from, period.date_to)
    return (service.scores(user, period.service_args(org_unit_id=org_unit_id)),
            service.scores(user, {"date_from": before_from, "date_to": before_to, "org_unit_id": org_unit_id}))


def _period_or_page(template: str, **context: Any):
    """The period from the query string; on a bad one, `template` with the chooser's
    errors and what was typed (422), never an error page for a mistyped date."""
    try:
        return period_from_args(request.args, today_in_vietnam()), None
    except PeriodError as error:
        body = render_template(template, period=None, period_errors=error.field_errors, typed=error.typed,
                               detail=error.detail, **context)
        return None, (body, 422)


# --- scores --------------------------------------------------------------------------

@blp.get("/scores")
@session.signed_in(*READERS)
def scores(user):
    period, failed = _period_or_page("console/scores.html")
    if period is None:
        return failed
    data, before = _with_previous(user, period)
    return render_template(
        "console/scores.html", period=period, data=data, typed=period.args(), period_errors={},
        units=ranked_with_trend(data["units"], before["units"]),
        previous_label=before["period"], chart=scores_chart(data["units"], _settings(), data["period"]))


@blp.get("/scores/export.<file_format>")
@session.signed_in(*READERS)
def scores_export(user, file_format: str):
    """The bytes GET /api/v1/reports/scores/export gives: the same service call and builders."""
    if file_format not in SCORE_FORMATS:
        raise NotFound("Không có định dạng tải xuống này.")
    period = period_from_args(request.args, today_in_vietnam())
    data = service.scores(user, period.service_args())
    if file_format == "pdf":
        document = scores_document(data, _settings())
        return current_app.response_class(document.content, mimetype=PDF_MIMETYPE,
                                          headers={"Content-Disposition": document.content_disposition})
    workbook = scores_workbook(data)
    return _send_path(workbook.path, XLSX_MIMETYPE, workbook.content_disposition)


def _row(rows: list[dict[str, Any]], row_id: int) -> dict[str, Any] | None:
    return next((row for row in rows if row["id"] == row_id), None)


@blp.get("/scores/units/<int:unit_id>")
@session.signed_in(*READERS)
def unit_scores(user, unit_id: int):
    org_unit = get_org_unit(user, unit_id)  # 404 outside the subtree, whatever the period
    period, failed = _period_or_page("console/scores_unit.html", org_unit=org_unit, unit=None)
    if period is None:
        return failed
    data, before = _with_previous(user, period, unit_id)
    units = ranked_with_trend(data["units"], before["units"])
    return render_template(
        "console/scores_unit.html", period=period, data=data, typed=period.args(), period_errors={},
        org_unit=org_unit, unit=_row(units, unit_id), children=[u for u in units if u["id"] != unit_id],
        desks=ranked_with_trend(data["desks"], before["desks"]), previous_label=before["period"],
        corrections=correction_record(user, org_unit, period.date_from, period.date_to))


@blp.get("/scores/desks/<int:desk_id>")
@session.signed_in(*READERS)
def desk_scores(user, desk_id: int):
    desk = get_desk(user, desk_id)  # 404 outside the subtree
    period, failed = _period_or_page("console/scores_desk.html", desk=desk, score=None, overview=None)
    if period is None:
        return failed
    data, before = _with_previous(user, period, desk.org_unit_id)
    score = _row(ranked_with_trend(data["desks"], before["desks"]), desk_id)
    overview = review_overview(user, QueueFilters(state="approved", desk_id=desk.id, date_from=period.date_from,
                                                  date_to=period.date_to), page_number(request.args))
    return render_template("console/scores_desk.html", period=period, data=data, typed=period.args(),
                           period_errors={}, desk=desk, score=score, overview=overview,
                           previous_label=before["period"])


# --- lists ---------------------------------------------------------------------------

def _entries_page(entries) -> EntryPage:
    """The page of a list's entries the query string asks for."""
    return entry_page(entries, page_number(request.args), ENTRIES_PER_PAGE)


def _render_list(user, kind: str, period, *, typed: dict[str, Any] | None = None,
                 errors: dict[str, str] | None = None, status: int = 200):
    listing = service.computed_list(user, period.service_args(kind=kind), _settings())
    form = typed or {"kind": kind, **period.args(), "document_date": day_text(today_in_vietnam()),
                     "attachment_signed": False}
    body = render_template(
        "console/lists.html", period=period, kind=kind, kinds=LIST_KINDS, kind_titles=LIST_KIND_TITLES,
        listing=listing, entries=_entries_page(listing["entries"]), typed=period.args(), period_errors={},
        form=form, errors=errors or {}, default_signer_title=service.DEFAULT_SIGNER_TITLE,
        default_recipients=service.DEFAULT_RECIPIENTS)
    return body, status


@blp.get("/lists")
@answered_without_cycle_collection
@session.signed_in(*READERS)
def lists(user):
    kind = list_kind(request.args)
    period, failed = _period_or_page("console/lists.html", kind=kind, kinds=LIST_KINDS,
                                     kind_titles=LIST_KIND_TITLES, listing=None, entries=None, form={}, errors={})
    if period is None:
        return failed
    return _render_list(user, kind, period)


@blp.post("/lists/freeze")
@answered_without_cycle_collection
@session.signed_in(*FREEZERS)
def freeze(user):
    submitted = freeze_form(request.form)
    form = submitted.typed
    # The list shown again is the one of the period the form carries.
    try:
        kind = list_kind(form)
        period = period_from_args({"from": form["from"], "to": form["to"]}, today_in_vietnam())
    except Invalid:
        raise Invalid("Biểu mẫu chốt danh sách thiếu loại danh sách hoặc kỳ báo cáo. "
                      "Hãy mở lại danh sách rồi chốt.") from None
    if submitted.data is None:
        return _render_list(user, kind, period, typed=form, errors=submitted.errors, status=422)
    try:
        frozen = service.freeze_list(user, submitted.data, _settings(), origin=request_origin())
    except Invalid as error:
        db.session.rollback()
        fields = (error.errors or {}).get("json") or (error.errors or {}).get("query") or {}
        errors = {key: " ".join(messages) for key, messages in fields.items()} or {"detail": error.detail}
        return _render_list(user, kind, period, typed=form, errors=errors, status=422)
    flash(f"Đã chốt danh sách {kind_name(kind)} số {frozen.document_number}.", "success")
    return redirect(url_for("console.frozen_list", list_id=frozen.id), code=303)


@blp.get("/lists/frozen")
@session.signed_in(*READERS)
def frozen_lists(user):
    kind = request.args.get("kind") or None
    if kind is not None and kind not in LIST_KINDS:
        raise Invalid("Loại danh sách không hợp lệ.", errors={"query": {"kind": ["Không hợp lệ."]}})
    cursor = request.args.get("cursor") or None
    page = keyset_page(service.frozen_lists(user, {"kind": kind}), {"cursor": cursor, "per_page": FROZEN_PER_PAGE},
                       order=service.FROZEN_LIST_ORDER, name="frozen_lists")
    return render_template("console/frozen_lists.html", page=page, kind=kind, kinds=LIST_KINDS,
                           first_page=cursor is None)


@blp.get("/lists/frozen/<int:list_id>")
@session.signed_in(*READERS)
def frozen_list(user, list_id: int):
    frozen = service.get_frozen_list(user, list_id)
    return render_template("console/frozen_list.html", frozen=frozen,
                           entries=_entries_page(frozen.entries), kind_titles=LIST_KIND_TITLES)


@blp.get("/lists/frozen/<int:list_id>/export.<file_format>")
@session.signed_in(*READERS)
def frozen_list_export(user, list_id: int, file_format: str):
    """The bytes GET /api/v1/reports/lists/{id}/export?format=... gives."""
    if file_format not in LIST_FORMATS:
        raise NotFound("Không có định dạng tải xuống này.")
    document = list_file(user, service.get_frozen_list(user, list_id), file_format)
    return _send_path(document.path, document.mimetype, document.content_disposition)


def _send_path(path: str, mimetype: str, disposition: str):
    """A temporary file sent and removed after, under the exports' own header (its ASCII
    fallback is the name API clients already save under)."""
    response = send_file(path, mimetype=mimetype, max_age=0)
    response.headers["Content-Disposition"] = disposition
    response.call_on_close(lambda: os.unlink(path))
    return response

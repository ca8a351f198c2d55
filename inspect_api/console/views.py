"""The console's pages: parse the form or query, call one service, render or redirect.
Every page that shows a visit goes through visits.service.get_visit, so a reviewer of
another subtree gets the same 404 the API gives."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any, BinaryIO, cast

from flask import (Blueprint, Response, current_app, flash, redirect, render_template, request,
                   send_file, url_for)
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..corrections.service import CorrectionDays
from ..db import db
from ..documents.minutes import SEVERITY_NAMES, visit_minutes_pdf
from ..errors import AppError, Conflict, Invalid, NotFound
from ..extensions import csrf
from ..evidence import service as evidence_service
from ..requests import request_origin
from ..reviews import queue as review_queue
from ..reviews import service as reviews
from ..visits.service import get_visit
from . import pages, photo_flags, session
from .forms import checked_text, decision_from_form, explanation_from_form, queue_filters

log = logging.getLogger(__name__)

blp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
                static_folder="static", static_url_path="/static")

READERS = ("reviewer", "admin", "leader")
REVIEWERS = reviews.REVIEWER_ROLES

# No inline script or style anywhere in the console: the pages hold no JavaScript, and
# their one stylesheet is a file. Photos may be shown from this origin only.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data: blob:; frame-ancestors 'none'; "
                           "form-action 'self'; base-uri 'none'")
# The photo bytes are the inspector's: nothing in them may run, load or be framed.
SANDBOX_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"


@blp.before_request
def _check_csrf() -> None:
    """Every POST form carries the session's CSRF token (Flask-WTF), or 400."""
    if request.method == "POST":
        csrf.protect()


@blp.after_request
def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if not request.path.startswith("/console/static/"):
        # Personal data, and the back button after signing out must not show a page.
        response.headers["Cache-Control"] = "no-store"
    return response


@blp.context_processor
def _layout() -> dict[str, Any]:
    user = session.current_user()
    return {"me": user, "can_read_queue": bool(user and user.role in READERS),
            "can_review": bool(user and user.role in REVIEWERS), "state_names": pages.STATE_NAMES,
            "role_names": pages.ROLE_NAMES, "decision_names": pages.DECISION_NAMES,
            "explanation_names": pages.EXPLANATION_NAMES, "severity_names": SEVERITY_NAMES}


# --- errors as pages -----------------------------------------------------------------

ERROR_TITLES = {400: "Yêu cầu không hợp lệ", 403: "Không có quyền truy cập", 404: "Không tìm thấy",
                409: "Xung đột dữ liệu", 413: "Tệp gửi lên quá lớn", 422: "Dữ liệu không hợp lệ",
                429: "Quá nhiều lần thử", 500: "Lỗi hệ thống", 503: "Dịch vụ tạm thời không sẵn sàng"}


def _error_page(status: int, detail: str, headers: dict[str, str] | None = None):
    title = ERROR_TITLES.get(status, "Có lỗi xảy ra")
    response = current_app.make_response(
        (render_template("console/error.html", status=status, title=title, detail=detail), status))
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@blp.errorhandler(AppError)
def _app_error(error: AppError):
    db.session.rollback()
    return _error_page(error.status, error.detail, error.headers)


@blp.errorhandler(CSRFError)
def _csrf_error(error: CSRFError):
    return _error_page(400, "Biểu mẫu không còn hợp lệ (thiếu hoặc sai mã bảo vệ CSRF). "
                            "Hãy tải lại trang rồi gửi lại.")


@blp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    status = error.code or 500
    return _error_page(status, ERROR_TITLES.get(status, error.description or ""))


@blp.errorhandler(Exception)
def _unexpected(error: Exception):
    log.error("console: unexpected error on %s %s", request.method, request.path, exc_info=error)
    db.session.rollback()
    return _error_page(500, "Đã có lỗi ngoài dự kiến. Vui lòng thử lại sau; lỗi đã được ghi nhận.")


@blp.route("/<path:anything>", methods=["GET", "POST"])
def unknown(anything: str):
    """Any other path under /console: the console's own 404 page, not problem+json."""
    raise NotFound("Không tìm thấy trang này.")


# --- signing in and out --------------------------------------------------------------

@blp.get("/")
def home():
    user = session.current_user()
    if user is None:
        return redirect(url_for("console.sign_in"))
    if user.role == "leader":  # a leader comes for the scores and the lists
        return redirect(url_for("console.scores"))
    if user.role in READERS:
        return redirect(url_for("console.queue"))
    if user.role == "unit_officer":
        return redirect(url_for("console.corrections_list"))
    return render_template("console/home.html")


@blp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    target = session.safe_next(request.values.get("next"))
    if request.method == "GET":
        if session.current_user() is not None:
            return redirect(target or url_for("console.home"))
        return render_template("console/sign_in.html", next=target, username="")
    username = checked_text(request.form.get("username"), "username", 80)
    password = checked_text(request.form.get("password"), "password", 1000)
    if not username.strip() or not password:
        return render_template("console/sign_in.html", next=target, username=username,
                               error="Hãy nhập tên đăng nhập và mật khẩu."), 422
    try:
        session.sign_in(username, password)
    except AppError as error:  # wrong password (401), throttled (429), counters down (503)
        db.session.rollback()
        response = current_app.make_response((render_template(
            "console/sign_in.html", next=target, username=username, error=error.detail), error.status))
        response.headers.update(error.headers)
        return response
    return redirect(target or url_for("console.home"), code=303)


@blp.post("/sign-out")
def sign_out():
    session.sign_out()
    flash("Bạn đã đăng xuất.", "info")
    return redirect(url_for("console.sign_in"), code=303)


# --- the queue -----------------------------------------------------------------------

@blp.get("/queue")
@session.signed_in(*READERS)
def queue(user):
    filters, page = queue_filters(request.args, default_state="approved" if user.role == "leader" else "submitted")
    overview = review_queue.review_overview(user, filters, page)
    args = {key: value for key, value in request.args.items() if key not in ("page", "state") and value}
    return render_template("console/queue.html", overview=overview, filters=filters, args=args,
                           choices=review_queue.filter_choices(user),
                           states=(*review_queue.QUEUE_STATES, review_queue.ALL_STATES))


# --- one visit -----------------------------------------------------------------------

def _render_visit(user, visit_id: uuid.UUID, *, typed: dict[str, Any] | None = None,
                  errors: dict[str, Any] | None = None, conflict: dict[str, Any] | None = None,
                  status: int = 200):
    visit = review_queue.reviewable_visit(user, visit_id)
    explanations = review_queue.explanations_of(visit)
    history = [(event, pages.describe_event(event)) for event in review_queue.visit_history(user, visit)]
    flags = photo_flags.visit_flags(user, visit.id)
    sections = pages.finding_sections(visit, explanations,
                                      {photo_id: photo_flags.badges(f) for photo_id, f in flags.items()})
    shown = [photo.id for section in sections for row in section["rows"] for photo in row.photos]
    body = render_template(
        "console/visit.html", visit=visit, sections=sections, flagged_photos=photo_flags.flagged_count(shown, flags),
        history=history, typed=typed or {}, errors=errors or {}, conflict=conflict,
        failures=sum(1 for section in sections for row in section["rows"] if row.counts),
        voided=sum(1 for section in sections for row in section["rows"] if row.failed and row.voided),
        today=pages.today_in_vietnam(), default_deadline=pages.today_in_vietnam()
        + dt.timedelta(days=current_app.config["EXPLANATION_DAYS"]))
    return body, status


@blp.get("/visits/<uuid:visit_id>")
@session.signed_in(*READERS)
def visit_page(user, visit_id: uuid.UUID):
    return _render_visit(user, visit_id)


@blp.post("/visits/<uuid:visit_id>/decision")
@session.signed_in(*REVIEWERS)
def decide(user, visit_id: uuid.UUID):
    data, typed = decision_from_form(request.form)
    try:
        reviews.decide(user, visit_id, data, correction_days=CorrectionDays.from_settings(current_app.config),
                       origin=request_origin())
    except Conflict:
        db.session.rollback()
        visit = get_visit(user, visit_id)
        return _render_visit(user, visit_id, typed=typed, conflict=pages.conflict_message(visit), status=409)
    except Invalid as error:
        db.session.rollback()
        return _render_visit(user, visit_id, typed=typed, errors=_decision_errors(error, data), status=422)
    done = "Đã duyệt buổi kiểm tra." if data["decision"] == "approve" else "Đã trả lại buổi kiểm tra."
    flash(done, "success")
    return redirect(url_for("console.visit_page", visit_id=visit_id), code=303)


def _decision_errors(error: Invalid, data: dict[str, Any]) -> dict[str, Any]:
    """The service's field errors, the per-finding ones keyed by finding id."""
    fields = ((error.errors or {}).get("json") or {})
    found: dict[str, Any] = {"detail": error.detail}
    if "comment" in fields:
        found["comment"] = "; ".join(fields["comment"])
    items = data.get("findings") or []
    for index, problems in (fields.get("findings") or {}).items():
        finding_id = str(items[int(index)]["finding_id"])
        found[finding_id] = "; ".join(message for messages in problems.values() for message in messages)
    return found


# --- explanations --------------------------------------------------------------------

@blp.post("/findings/<uuid:finding_id>/explanation")
@session.signed_in(*REVIEWERS)
def explanation(user, finding_id: uuid.UUID):
    data = explanation_from_form(request.form)
    back = session.safe_next(request.form.get("next")) or url_for("console.explanations")
    try:
        reviews.record_explanation(user, finding_id, data, explanation_days=current_app.config["EXPLANATION_DAYS"],
                                   origin=request_origin())
    except (Invalid, Conflict) as error:
        db.session.rollback()
        flash(error.detail, "error")
        return redirect(back, code=303)
    flash({"request": "Đã ghi nhận yêu cầu giải trình.", "receive": "Đã ghi nhận nội dung giải trình.",
           "lapse": "Đã ghi nhận quá hạn giải trình."}[data["action"]], "success")
    return redirect(back, code=303)


@blp.get("/explanations")
@session.signed_in(*REVIEWERS)
def explanations(user):
    return render_template("console/explanations.html", pending=review_queue.pending_explanations(user),
                           today=pages.today_in_vietnam())


# --- photos and the minutes ----------------------------------------------------------

@blp.get("/evidence/<uuid:evidence_id>")
@session.signed_in(*READERS)
def photo_page(user, evidence_id: uuid.UUID):
    evidence = evidence_service.get_evidence(user, evidence_id)
    visit = get_visit(user, evidence.visit_id)
    flags = photo_flags.visit_flags(user, visit.id).get(evidence.id)
    return render_template("console/photo.html", evidence=evidence, visit=visit,
                           account=photo_flags.photo_account(evidence, visit, flags),
                           badges=photo_flags.badges(flags))


def send_photo(image: evidence_service.StoredImage, which: str) -> Response:
    """A stored photo (a finding's or a correction's) the user may see: streamed through
    this origin even from MinIO, since the console's CSP allows images from 'self' only
    and the session cookie, not a presigned URL, is what grants access."""
    target = evidence_service.download_target(image, which, dt.timedelta(seconds=60),
                                              evidence_service.UploadLimits.from_settings(current_app.config),
                                              presign=False)
    response = send_file(cast(BinaryIO, target.stream), mimetype=target.media_type, max_age=0,
                         download_name=target.filename)
    response.headers["Content-Security-Policy"] = SANDBOX_POLICY
    return response


def _photo(user, evidence_id: uuid.UUID, which: str):
    return send_photo(evidence_service.get_evidence(user, evidence_id), which)


@blp.get("/evidence/<uuid:evidence_id>/thumbnail")
@session.signed_in(*READERS)
def photo_thumbnail(user, evidence_id: uuid.UUID):
    return _photo(user, evidence_id, "thumbnail")


@blp.get("/evidence/<uuid:evidence_id>/content")
@session.signed_in(*READERS)
def photo_content(user, evidence_id: uuid.UUID):
    return _photo(user, evidence_id, "content")


@blp.get("/visits/<uuid:visit_id>/minutes.pdf")
@session.signed_in(*READERS)
def minutes(user, visit_id: uuid.UUID):
    limits = evidence_service.UploadLimits.from_settings(current_app.config)
    pdf, disposition = visit_minutes_pdf(user, visit_id, limits)
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": disposition})

"""The console's corrections pages (khắc phục): the inspected unit's list and report form,
the reviewer's list of reports to check, and the reminder box. Routes on the console's
blueprint, registered by importing this module before the blueprint is (setup.py).

Every page goes through corrections.service.get_correction / list_corrections, so an
officer of another unit, or a reviewer of another subtree, gets the same 404 the API
gives. A report goes through the same upload_photo and report_correction as the API (the
photos' type is read from their bytes, their size checked, their SHA-256 stored); if any
photo is refused or the report fails, the photos this form sent are taken back, so
nothing half-written is left."""

from __future__ import annotations

import uuid
from typing import Any, BinaryIO, cast

from flask import current_app, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import FileStorage

from ..api import OCTET_STREAM
from ..corrections import overview, reminders
from ..corrections import service as corrections
from ..corrections.models import Correction
from ..db import db
from ..errors import AppError, Conflict, Invalid, NotFound
from ..evidence import service as evidence_service
from ..evidence.models import Evidence
from ..documents.minutes import SEVERITY_NAMES
from ..evidence.service import UploadLimits
from ..requests import request_origin
from . import session
from .forms import checked_text, page_number
from .views import blp, send_photo

OFFICERS = (corrections.UNIT_ROLE,)
CHECKERS = corrections.REVIEWER_ROLES
USERS = (*OFFICERS, *CHECKERS)
PER_PAGE = 30
MAX_PHOTOS = 5

STATUS_NAMES = {"open": "Chưa khắc phục", "reported": "Đã báo cáo, chờ xem xét", "verified": "Đã khắc phục",
                "not_fixed": "Kiểm tra lại: chưa khắc phục", "withdrawn": "Đã rút"}
OUTCOME_NAMES = {"accept": "Chấp nhận báo cáo", "recheck": "Chưa đạt, yêu cầu khắc phục lại",
                 "fixed": "Kiểm tra lại: đã khắc phục", "not_fixed": "Kiểm tra lại: chưa khắc phục"}
# The list's tabs (overview.VIEWS says what each holds).
VIEWS = {
    "owed": "Chưa hoàn thành", "overdue": "Quá hạn", "week": "Đến hạn trong 7 ngày",
    "reported": "Chờ xem xét", "closed": "Đã kết thúc", "all": "Tất cả",
}


@blp.context_processor
def _corrections_layout() -> dict[str, Any]:
    user = session.current_user()

    def corrections_reminder() -> reminders.Reminder | None:
        """Called by the reminder box only, so other pages run no query for it."""
        current = session.current_user()
        return reminders.reminder(current) if current is not None and current.role in USERS else None

    return {"can_see_corrections": bool(user and user.role in USERS),
            "corrections_reminder": corrections_reminder}


def _default_view(user) -> str:
    return "owed" if user.role in OFFICERS else "reported"


@blp.get("/corrections")
@session.signed_in(*USERS)
def corrections_list(user):
    view = request.args.get("show") or _default_view(user)
    if view not in VIEWS:
        raise Invalid("Bộ lọc không hợp lệ.")
    listing = overview.correction_page(user, view, page_number(request.args), PER_PAGE)
    return render_template("console/corrections.html", listing=listing, rows=listing.rows, view=view, views=VIEWS,
                           status_names=STATUS_NAMES, today=reminders.vietnam_today(),
                           officer=user.role in OFFICERS)


# --- one correction --------------------------------------------------------------------

def _render(user, correction_id: int, *, typed: dict[str, Any] | None = None,
            errors: dict[str, str] | None = None, status: int = 200):
    row = overview.correction_row(user, correction_id)
    loaded = row.correction
    body = render_template(
        "console/corrections_detail.html", row=row, correction=loaded, typed=typed or {}, errors=errors or {},
        can_report=user.role in OFFICERS and loaded.status in ("open", "not_fixed"),
        can_check=user.role in CHECKERS and loaded.status == "reported",
        new_id=uuid.uuid4(), max_photos=MAX_PHOTOS, status_names=STATUS_NAMES, outcome_names=OUTCOME_NAMES,
        correction_severity=SEVERITY_NAMES.get(loaded.severity, loaded.severity), today=reminders.vietnam_today())
    return body, status


@blp.get("/corrections/<int:correction_id>")
@session.signed_in(*USERS)
def correction_page(user, correction_id: int):
    return _render(user, correction_id)


def _form_uuid(name: str) -> uuid.UUID:
    try:
        return uuid.UUID(request.form.get(name, ""))
    except ValueError:
        raise Invalid("Biểu mẫu không hợp lệ; hãy tải lại trang.") from None


def _form_version() -> int | None:
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        return None


def _conflict_text(correction: Correction) -> str:
    return (f"Yêu cầu khắc phục đã thay đổi từ khi bạn mở trang (trạng thái hiện tại: "
            f"{STATUS_NAMES[correction.status]}). Nội dung bạn đã nhập được giữ lại bên dưới.")


@blp.url_value_preprocessor
def _room_for_photos(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """The report form carries photos: let its body be as large as MAX_PHOTOS photos the
    API would take (the app's limit is for JSON). Set before anything reads the body,
    the CSRF check included (url_value_preprocessors run before before_request)."""
    if endpoint == "console.report":
        request.max_content_length = current_app.config["EVIDENCE_MAX_BYTES"] * MAX_PHOTOS + 64 * 1024


class _PhotoRefused(Exception):
    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.message, self.status = message, status


@blp.post("/corrections/<int:correction_id>/report")
@session.signed_in(*OFFICERS)
def report(user, correction_id: int):
    """Upload the form's photos, then report: the same two steps as the tablet's API calls."""
    report_id = _form_uuid("report_id")
    note = checked_text(request.form.get("note"), "note")
    typed = {"note": note}
    correction = corrections.get_correction(user, correction_id)
    if any(existing.id == report_id for existing in correction.reports):
        flash("Báo cáo đã được ghi nhận.", "success")  # the same form sent twice
        return redirect(url_for("console.correction_page", correction_id=correction_id), code=303)
    files: list[FileStorage] = [f for f in request.files.getlist("photos") if f and f.filename]
    problems = {}
    if not note.strip():
        problems["note"] = "Hãy ghi rõ nội dung đã khắc phục."
    if not files:
        problems["photos"] = "Hãy chọn ít nhất một ảnh chụp kết quả khắc phục."
    elif len(files) > MAX_PHOTOS:
        problems["photos"] = f"Gửi tối đa {MAX_PHOTOS} ảnh mỗi lần báo cáo."
    if problems:
        db.session.rollback()
        return _render(user, correction_id, typed=typed, errors=problems, status=422)
    limits = UploadLimits.from_settings(current_app.config)
    uploaded: list[uuid.UUID] = []
    try:
        for index, file in enumerate(files):
            photo_id = uuid.uuid5(report_id, str(index))
            try:
                # The type is read from the bytes, never from the browser's guess.
                corrections.upload_photo(user, correction_id, photo_id, OCTET_STREAM, cast(BinaryIO, file.stream),
                                         None, limits=limits, origin=request_origin())
            except (Invalid, Conflict) as error:
                raise _PhotoRefused(f"Ảnh “{file.filename}”: {error.detail}", error.status) from None
            except AppError as error:  # too large (413), not a photo (415), store down (503)
                if isinstance(error, NotFound):
                    raise
                raise _PhotoRefused(f"Ảnh “{file.filename}”: {error.detail}", error.status) from None
            uploaded.append(photo_id)
        corrections.report_correction(user, correction_id, {
            "id": report_id, "note": note, "photo_ids": uploaded, "version": _form_version()},
            origin=request_origin())
    except _PhotoRefused as refused:
        return _undo(user, correction_id, uploaded, typed, {"photos": refused.message}, refused.status)
    except Invalid as error:
        fields = (error.errors or {}).get("json") or {}
        return _undo(user, correction_id, uploaded, typed, {"note" if "note" in fields else "photos": error.detail},
                     422)
    except Conflict:
        db.session.rollback()
        text = _conflict_text(corrections.get_correction(user, correction_id))
        return _undo(user, correction_id, uploaded, typed, {"detail": text}, 409)
    flash("Đã gửi báo cáo khắc phục; Sở Nội vụ sẽ xem xét.", "success")
    return redirect(url_for("console.correction_page", correction_id=correction_id), code=303)


def _undo(user, correction_id: int, uploaded: list[uuid.UUID], typed: dict[str, Any], errors: dict[str, str],
          status: int):
    """The report was not made: take back the photos this form sent, show the form again."""
    db.session.rollback()
    corrections.discard_photos(user, correction_id, uploaded, origin=request_origin())
    return _render(user, correction_id, typed=typed, errors=errors, status=status)


@blp.post("/corrections/<int:correction_id>/verification")
@session.signed_in(*CHECKERS)
def verify(user, correction_id: int):
    outcome = request.form.get("outcome")
    if outcome not in ("accept", "recheck"):
        raise Invalid("Hãy chọn Chấp nhận hoặc Yêu cầu khắc phục lại.")
    note = checked_text(request.form.get("note"), "note")
    data = {"id": _form_uuid("check_id"), "outcome": outcome, "note": note, "version": _form_version()}
    try:
        corrections.verify_correction(user, correction_id, data, origin=request_origin())
    except Invalid as error:
        db.session.rollback()
        return _render(user, correction_id, typed={"check_note": note}, errors={"check_note": error.detail},
                       status=422)
    except Conflict:
        db.session.rollback()
        text = _conflict_text(corrections.get_correction(user, correction_id))
        return _render(user, correction_id, typed={"check_note": note}, errors={"detail": text}, status=409)
    flash("Đã chấp nhận báo cáo khắc phục." if outcome == "accept"
          else "Đã yêu cầu đơn vị khắc phục lại.", "success")
    return redirect(url_for("console.corrections_list"), code=303)


# --- photos ------------------------------------------------------------------------------

def _finding_photo(user, correction_id: int, evidence_id: uuid.UUID) -> Evidence:
    """A photo of the failure the correction comes from (the unit reads its approved
    visit's photos; get_evidence checks that)."""
    correction = corrections.get_correction(user, correction_id)
    evidence = evidence_service.get_evidence(user, evidence_id)
    if evidence.finding_id != correction.finding_id:
        raise NotFound("Không tìm thấy ảnh minh chứng.")
    return evidence


@blp.get("/corrections/<int:correction_id>/evidence/<uuid:evidence_id>/<any(thumbnail, content):which>")
@session.signed_in(*USERS)
def correction_evidence(user, correction_id: int, evidence_id: uuid.UUID, which: str):
    return send_photo(_finding_photo(user, correction_id, evidence_id), which)


@blp.get("/corrections/<int:correction_id>/photos/<uuid:photo_id>/<any(thumbnail, content):which>")
@session.signed_in(*USERS)
def correction_photo(user, correction_id: int, photo_id: uuid.UUID, which: str):
    return send_photo(corrections.get_photo(user, correction_id, photo_id), which)

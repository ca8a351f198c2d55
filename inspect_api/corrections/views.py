"""Corrections: the unit's list and reports, the reviewer's and the inspector's checks,
the tablet's sync feed, and the photos behind them."""

import uuid

import marshmallow as ma
from flask import current_app, request
from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import Blueprint
from werkzeug.exceptions import ClientDisconnected

from ..api import BINARY, OCTET_STREAM, request_headers
from ..errors import IncompleteUpload
from ..evidence.images import FORMATS
from ..evidence.service import UploadLimits
from ..evidence.views import PHOTO_RESPONSES, send_photo
from ..guard import require_role
from ..pagination import feed_of, feed_response, keyset_page, page_of
from ..requests import request_origin
from . import service
from .schemas import (
    CorrectionConflictProblemSchema, CorrectionDetailSchema, CorrectionFeedArgsSchema,
    CorrectionPhotoConflictProblemSchema, CorrectionPhotoSchema, CorrectionQueryArgsSchema,
    CorrectionReportInSchema, CorrectionVerificationInSchema,
)

blp = Blueprint("corrections", __name__, url_prefix="/api/v1/corrections",
                description="Khắc phục sau kiểm tra")


@blp.route("")
class Corrections(MethodView):
    decorators = [require_role()]

    @blp.arguments(CorrectionQueryArgsSchema, location="query")
    @blp.response(200, page_of(CorrectionDetailSchema))
    def get(self, args):
        """Corrections you may see (a unit officer: their unit's), overdue first, then by deadline."""
        query, order = service.list_corrections(current_user, args)
        return keyset_page(query, args, order=order, name="corrections")


@blp.route("/sync", methods=["GET"])
@require_role()
@blp.arguments(CorrectionFeedArgsSchema, location="query")
@blp.response(200, feed_of(CorrectionDetailSchema, ma.fields.Integer()))
def pull_corrections(args):
    """Corrections still owed (open, reported, not fixed) as a sync feed: an inspector gets
    those of their teams' desks, to re-check at the next visit (see the README)."""
    return feed_response(service.pull_corrections, current_user, args, "corrections")


@blp.route("/<int:correction_id>")
class CorrectionById(MethodView):
    decorators = [require_role()]

    @blp.response(200, CorrectionDetailSchema)
    def get(self, correction_id: int):
        """One correction with its reports and checks."""
        return service.get_correction(current_user, correction_id)


@blp.route("/<int:correction_id>/reports", methods=["POST"])
@require_role("unit_officer")
@blp.arguments(CorrectionReportInSchema)
@blp.response(200, CorrectionDetailSchema)
@blp.alt_response(409, schema=CorrectionConflictProblemSchema,
                  description="Not waiting for a report, or changed since the `version` you sent")
def report_correction(data, correction_id: int):
    """The unit reports what it fixed, with photos: open or not fixed → reported. Retry-safe by `id`."""
    return service.report_correction(current_user, correction_id, data, origin=request_origin())


@blp.route("/<int:correction_id>/verification", methods=["POST"])
@require_role("reviewer", "admin", "inspector")
@blp.arguments(CorrectionVerificationInSchema)
@blp.response(200, CorrectionDetailSchema)
@blp.alt_response(409, schema=CorrectionConflictProblemSchema,
                  description="The step does not follow from the status, or changed since the `version` you sent")
def verify_correction(data, correction_id: int):
    """Check a correction: a reviewer accepts the report or asks for a re-check; an
    inspector re-checks at the desk (fixed / not fixed, with a photo). Retry-safe by `id`."""
    return service.verify_correction(current_user, correction_id, data, origin=request_origin())


_UPLOAD_BODY = {
    "required": True,
    "description": "The photo's bytes, as taken: JPEG, PNG or WebP, as application/octet-stream "
                   "(the type is read from the bytes) or under their own type (" + ", ".join(FORMATS)
                   + "). Send X-Content-SHA256 (hex) so the server can check nothing was lost.",
    "content": {OCTET_STREAM: {"schema": BINARY}},
}


@blp.route("/<int:correction_id>/photos/<uuid:photo_id>", methods=["PUT"])
@require_role("unit_officer", "inspector")
@blp.response(201, CorrectionPhotoSchema, description="Stored")
@blp.alt_response(200, schema=CorrectionPhotoSchema, description="Already stored with the same bytes (a retry)")
@blp.alt_response(400, description="The body ended early (connection lost); nothing was kept. Send it again")
@blp.alt_response(409, schema=CorrectionPhotoConflictProblemSchema,
                  description="The id holds other bytes (`current` is the stored photo), or the "
                              "correction is closed")
@blp.alt_response(413, description="Larger than EVIDENCE_MAX_BYTES")
@blp.alt_response(415, description="Not a JPEG, PNG or WebP photo")
@blp.alt_response(503, description="The object store is unavailable; nothing was kept. Retry later")
@blp.doc(requestBody=_UPLOAD_BODY, **request_headers("ContentSHA256"))
def upload_correction_photo(correction_id: int, photo_id: uuid.UUID):
    """Upload one photo for a report or a re-check (then cite it in `photo_ids`); retry-safe by its UUID."""
    request.max_content_length = current_app.config["EVIDENCE_MAX_BYTES"]
    try:
        photo, created = service.upload_photo(
            current_user, correction_id, photo_id, request.mimetype, request.stream,
            request.headers.get("X-Content-SHA256"), limits=UploadLimits.from_settings(current_app.config),
            origin=request_origin())
    except ClientDisconnected:
        raise IncompleteUpload("Kết nối bị ngắt trước khi nhận đủ ảnh; ảnh chưa được lưu. "
                               "Hãy gửi lại.") from None
    return photo, 201 if created else 200


def _download(correction_id: int, photo_id: uuid.UUID, which: str):
    return send_photo(service.get_photo(current_user, correction_id, photo_id), which)


@blp.route("/<int:correction_id>/photos/<uuid:photo_id>/content", methods=["GET"])
@require_role()
@blp.doc(responses=PHOTO_RESPONSES["content"])
@blp.alt_response(503, description="The object store is unavailable; retry later")
def download_correction_photo(correction_id: int, photo_id: uuid.UUID):
    """A correction photo itself: a redirect to a presigned URL valid a few minutes, or the bytes."""
    return _download(correction_id, photo_id, "content")


@blp.route("/<int:correction_id>/photos/<uuid:photo_id>/thumbnail", methods=["GET"])
@require_role()
@blp.doc(responses=PHOTO_RESPONSES["thumbnail"])
@blp.alt_response(503, description="The object store is unavailable; retry later")
def download_correction_photo_thumbnail(correction_id: int, photo_id: uuid.UUID):
    """The 320 px JPEG thumbnail of a correction photo."""
    return _download(correction_id, photo_id, "thumbnail")

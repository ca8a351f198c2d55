import marshmallow as ma
from flask import url_for
from marshmallow import validate

from ..evidence.schemas import GpsSchema
from ..fields import ID_MAX, AwareDateTime, Date, id_field
from ..messages import Schema
from ..pagination import FeedArgsSchema, PageArgsSchema
from ..problems import ConflictProblemSchema
from .models import OUTCOMES, STATUSES


class CorrectionPhotoSchema(Schema):
    id = ma.fields.UUID()
    correction_id = ma.fields.Integer()
    sha256 = ma.fields.String()
    size = ma.fields.Integer()
    content_type = ma.fields.String()
    width = ma.fields.Integer()
    height = ma.fields.Integer()
    taken_at = AwareDateTime(allow_none=True, metadata={"description": "Capture time from EXIF."})
    gps = ma.fields.Nested(GpsSchema, allow_none=True, metadata={"description": "Position from EXIF."})
    uploaded_by = ma.fields.Integer(attribute="uploaded_by_id")
    uploaded_at = AwareDateTime()
    content_url = ma.fields.Method("_content_url", metadata={"type": "string", "format": "uri-reference"})
    thumbnail_url = ma.fields.Method("_thumbnail_url", metadata={"type": "string", "format": "uri-reference"})

    def _content_url(self, photo) -> str:
        return url_for("corrections.download_correction_photo", correction_id=photo.correction_id,
                       photo_id=photo.id)

    def _thumbnail_url(self, photo) -> str:
        return url_for("corrections.download_correction_photo_thumbnail", correction_id=photo.correction_id,
                       photo_id=photo.id)


class CorrectionReportSchema(Schema):
    id = ma.fields.UUID()
    note = ma.fields.String()
    reported_at = AwareDateTime()
    reported_by_id = ma.fields.Integer()
    photos = ma.fields.List(ma.fields.Nested(CorrectionPhotoSchema))


class CorrectionVerificationSchema(Schema):
    id = ma.fields.UUID()
    method = ma.fields.String(metadata={"description": "review (a reviewer read the report) or recheck "
                                                      "(an inspector looked at the desk)."})
    outcome = ma.fields.String(validate=validate.OneOf(OUTCOMES))
    note = ma.fields.String(allow_none=True)
    visit_id = ma.fields.UUID(allow_none=True)
    status_after = ma.fields.String(validate=validate.OneOf(STATUSES))
    verified_at = AwareDateTime()
    verified_by_id = ma.fields.Integer()
    photos = ma.fields.List(ma.fields.Nested(CorrectionPhotoSchema))


class CorrectionSchema(Schema):
    id = ma.fields.Integer()
    finding_id = ma.fields.UUID()
    visit_id = ma.fields.UUID()
    desk_id = ma.fields.Integer()
    org_unit_id = ma.fields.Integer(metadata={"description": "The unit responsible for the fix."})
    staff_id = ma.fields.Integer(allow_none=True, metadata={"description": "The official concerned, if any."})
    criterion_id = ma.fields.Integer()
    criterion_code = ma.fields.String()
    criterion_text = ma.fields.String(metadata={"description": "What must be fixed."})
    finding_note = ma.fields.String(allow_none=True, metadata={"description": "What the inspector saw."})
    severity = ma.fields.String()
    approved_on = Date(metadata={"description": "The day the visit was approved (Vietnam time)."})
    deadline = Date(metadata={"description": "Report the fix by this day (Vietnam time)."})
    status = ma.fields.String(validate=validate.OneOf(STATUSES), metadata={
        "description": "open → reported → verified, or not_fixed (re-checked, still owed), or withdrawn "
                       "(its finding was voided)."})
    overdue = ma.fields.Boolean(metadata={"description": "Past its deadline and neither verified nor "
                                                         "withdrawn (worked out from today's date)."})
    withdrawn_reason = ma.fields.String(allow_none=True)
    version = ma.fields.Integer()
    created_at = AwareDateTime()
    updated_at = AwareDateTime()


class CorrectionDetailSchema(CorrectionSchema):
    reports = ma.fields.List(ma.fields.Nested(CorrectionReportSchema), metadata={
        "description": "The unit's reports, oldest first."})
    verifications = ma.fields.List(ma.fields.Nested(CorrectionVerificationSchema), metadata={
        "description": "Every check, oldest first: reviews of a report and re-checks at the desk."})


class CorrectionQueryArgsSchema(PageArgsSchema):
    org_unit_id = id_field(metadata={"description": "The unit responsible."})
    desk_id = id_field()
    status = ma.fields.String(validate=validate.OneOf(STATUSES))
    overdue = ma.fields.Boolean(metadata={"description": "Only overdue ones (true) or only the others (false)."})
    due_before = Date(metadata={"description": "Due on or before this day (Vietnam time)."})


class CorrectionFeedArgsSchema(FeedArgsSchema):
    desk_id = id_field()


def _version_field():
    return ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=ID_MAX), metadata={
        "description": "The version you looked at (optional): a stale one gets 409 with the current copy."})


class CorrectionReportInSchema(Schema):
    id = ma.fields.UUID(required=True, metadata={"description": "Your UUID for this report: sending it "
                                                               "again records it once."})
    note = ma.fields.String(required=True, validate=validate.Length(min=1, max=10000),
                            metadata={"description": "What the unit did."})
    photo_ids = ma.fields.List(ma.fields.UUID(), required=True, validate=validate.Length(min=1, max=20),
                               metadata={"description": "Photos of the result, sent first with "
                                                        "PUT /corrections/{id}/photos/{photo_id}."})
    version = _version_field()


class CorrectionVerificationInSchema(Schema):
    id = ma.fields.UUID(required=True, metadata={"description": "Your UUID for this check: a retry with "
                                                               "the same one records it once."})
    outcome = ma.fields.String(required=True, validate=validate.OneOf(OUTCOMES), metadata={
        "description": "Reviewer: accept (the report shows the fix → verified) or recheck (→ open, with a "
                       "note). Inspector at the desk: fixed (→ verified) or not_fixed, with a photo."})
    note = ma.fields.String(allow_none=True, validate=validate.Length(max=10000))
    photo_ids = ma.fields.List(ma.fields.UUID(), load_default=list, validate=validate.Length(max=20),
                               metadata={"description": "Photos taken at the desk (required to re-check)."})
    visit_id = ma.fields.UUID(allow_none=True, metadata={"description": "The visit during which the "
                                                                       "inspector re-checked (optional)."})
    version = _version_field()


class CorrectionConflictProblemSchema(ConflictProblemSchema):
    """409 on a correction: a stale version, or a step its status does not allow."""

    current = ma.fields.Nested(CorrectionDetailSchema, metadata={
        "optional": True, "description": "The server's copy, when the correction is the conflict."})


class CorrectionPhotoConflictProblemSchema(ConflictProblemSchema):
    """409 on a correction photo: its id holds other bytes, or the correction is closed."""

    current = ma.fields.Nested(CorrectionPhotoSchema, metadata={
        "optional": True, "description": "The photo stored under this id, when it holds other bytes."})

import marshmallow as ma
from marshmallow import validate

from ..documents.notice_export import NOTICE_FORMATS
from ..fields import AwareDateTime, Date, id_field
from ..messages import Schema
from ..pagination import PageArgsSchema
from ..reports.schemas import REPORT_DATES, _at_most_lines
from ..reports.service import DEFAULT_SIGNER_TITLE


class NoticeIssueSchema(Schema):
    org_unit_id = id_field(required=True, metadata={"description": "The inspected unit the notice goes to."})
    document_number = ma.fields.String(required=True, validate=validate.Length(min=1, max=60),
                                       metadata={"description": "e.g. 15/TB-SNV; unique for the issuing body"})
    document_date = Date(required=True, validate=REPORT_DATES)
    signer_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200),
                                   metadata={"description": "Who signs, e.g. Nguyễn Văn An"})
    signer_title = ma.fields.String(
        validate=[validate.Length(min=1, max=200), _at_most_lines(3)],
        metadata={"description": f"Lines above the name, split by a line break (default {DEFAULT_SIGNER_TITLE!r})"})


class NoticeSchema(Schema):
    id = ma.fields.Integer()
    plan_id = ma.fields.Integer()
    org_unit_id = ma.fields.Integer()
    issuer_unit_id = ma.fields.Integer()
    document_number = ma.fields.String()
    document_date = Date()
    signer_name = ma.fields.String()
    signer_title = ma.fields.String()
    created_by_id = ma.fields.Integer()
    created_at = AwareDateTime()


class VisitedDeskSchema(Schema):
    name = ma.fields.String()
    address = ma.fields.String()
    days = ma.fields.List(ma.fields.String(), metadata={"description": "ISO dates of its approved visits"})
    teams = ma.fields.List(ma.fields.String())


class ObservationSchema(Schema):
    desk = ma.fields.String()
    day = ma.fields.String(metadata={"description": "ISO date"})
    seen = ma.fields.String(metadata={"description": "The inspector's note, or the value recorded"})
    official = ma.fields.String()


class ShortcomingSchema(Schema):
    code = ma.fields.String()
    text = ma.fields.String()
    section = ma.fields.String()
    severity = ma.fields.String(metadata={"description": "The gravest the reviewers left on its findings"})
    legal_basis = ma.fields.String(metadata={"description": "As stored with the criterion, cautions included"})
    officials = ma.fields.List(ma.fields.String())
    observations = ma.fields.List(ma.fields.Nested(ObservationSchema))


class RequiredCorrectionSchema(Schema):
    correction_id = ma.fields.Integer()
    code = ma.fields.String()
    text = ma.fields.String()
    desk = ma.fields.String()
    official = ma.fields.String()
    severity = ma.fields.String()
    deadline = ma.fields.String(metadata={"description": "ISO date"})
    status = ma.fields.String(metadata={"description": "The correction's status when the notice was issued"})


class NoticeContentSchema(Schema):
    plan_id = ma.fields.Integer()
    plan_title = ma.fields.String()
    decision_number = ma.fields.String()
    org_unit_id = ma.fields.Integer()
    unit_name = ma.fields.String()
    supervising_body = ma.fields.String()
    issuing_body = ma.fields.String()
    issuer_short = ma.fields.String()
    place = ma.fields.String()
    first_day = ma.fields.String(metadata={"description": "ISO date of the first approved visit"})
    last_day = ma.fields.String(metadata={"description": "ISO date of the last approved visit"})
    visits = ma.fields.Integer()
    desks = ma.fields.List(ma.fields.Nested(VisitedDeskSchema))
    checked_criteria = ma.fields.Integer()
    passed_sections = ma.fields.List(ma.fields.String())
    shortcomings = ma.fields.List(ma.fields.Nested(ShortcomingSchema))
    corrections = ma.fields.List(ma.fields.Nested(RequiredCorrectionSchema))
    report_by = ma.fields.String(allow_none=True, metadata={
        "description": "ISO date to report the corrections by: the latest deadline still owed; null if none"})
    recipients = ma.fields.List(ma.fields.String())


class NoticeDetailSchema(NoticeSchema):
    content = ma.fields.Nested(NoticeContentSchema, metadata={"description": "What the notice says, as issued."})


class NoticeQueryArgsSchema(PageArgsSchema):
    org_unit_id = id_field(metadata={"description": "Only the notice sent to this unit."})


_FORMAT = ma.fields.String(load_default="pdf", validate=validate.OneOf(NOTICE_FORMATS),
                           metadata={"description": "pdf: the notice as printed; docx: Word, to edit before signing."})


class NoticeExportArgsSchema(Schema):
    format = _FORMAT


class NoticeDraftArgsSchema(Schema):
    org_unit_id = id_field(required=True, metadata={"description": "The inspected unit."})
    format = ma.fields.String(load_default="pdf", validate=validate.OneOf(NOTICE_FORMATS),
                              metadata={"description": "pdf or docx; marked DỰ THẢO, without a number."})

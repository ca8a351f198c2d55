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


class NoticeDetailSchema(NoticeSchema):
    content = ma.fields.Dict(metadata={
        "description": "What the notice says, as issued: plan, desks and days visited, sections passed, "
                       "shortcomings (criterion, what was seen, officials, severity, legal basis), "
                       "corrections with their deadlines, report_by (the latest deadline still owed)."})


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

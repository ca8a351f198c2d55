import marshmallow as ma
from marshmallow import validate

from ..fields import AwareDateTime, Date, id_field
from ..messages import Schema
from ..checklists.models import SEVERITIES
from .models import DECISIONS
from ..problems import ConflictProblemSchema


class FindingNoteInSchema(Schema):
    finding_id = ma.fields.UUID(required=True)
    comment = ma.fields.String(allow_none=True, validate=validate.Length(max=5000))
    severity = ma.fields.String(allow_none=True, validate=validate.OneOf(SEVERITIES),
                                metadata={"description": "The reviewer's severity; the inspector's "
                                                         "answer stays as it was."})
    void = ma.fields.Boolean(load_default=False, metadata={"description": "Void the finding: it no "
                                                                          "longer counts."})
    void_reason = ma.fields.String(allow_none=True, validate=validate.Length(max=5000))


class ReviewInSchema(Schema):
    decision = ma.fields.String(required=True, validate=validate.OneOf(DECISIONS))
    comment = ma.fields.String(allow_none=True, validate=validate.Length(max=10000),
                               metadata={"description": "Required to return."})
    findings = ma.fields.List(ma.fields.Nested(FindingNoteInSchema), load_default=list,
                              validate=validate.Length(max=1000))
    version = id_field(metadata={"description": "The version the reviewer looked at (optional). "
                                                "Required to decide an approved visit again (void a "
                                                "finding later, or return it): its current version."})


class FindingNoteSchema(Schema):
    finding_id = ma.fields.UUID()
    comment = ma.fields.String(allow_none=True)
    severity = ma.fields.String(allow_none=True)
    void = ma.fields.Boolean(attribute="voided")
    void_reason = ma.fields.String(allow_none=True)


class ReviewSchema(Schema):
    round = ma.fields.Integer()
    decision = ma.fields.String()
    comment = ma.fields.String(allow_none=True)
    reviewer_id = ma.fields.Integer()
    decided_at = AwareDateTime()
    visit_version = ma.fields.Integer(metadata={"description": "The version that was decided on."})
    findings = ma.fields.List(ma.fields.Nested(FindingNoteSchema), attribute="finding_notes")


class ExplanationInSchema(Schema):
    action = ma.fields.String(required=True, validate=validate.OneOf(("request", "receive", "lapse")),
                              metadata={"description": "request (with a deadline), receive (with the "
                                                       "content), or lapse (after the deadline)."})
    deadline = Date(allow_none=True)
    content = ma.fields.String(allow_none=True, validate=validate.Length(max=20000))


class ExplanationSchema(Schema):
    finding_id = ma.fields.UUID()
    staff_id = ma.fields.Integer()
    status = ma.fields.String()
    requested_at = AwareDateTime()
    deadline = Date()
    received_at = AwareDateTime(allow_none=True)
    content = ma.fields.String(allow_none=True)
    lapsed_at = AwareDateTime(allow_none=True)
    recorded_by_id = ma.fields.Integer()
    updated_at = AwareDateTime()


class ExplanationConflictProblemSchema(ConflictProblemSchema):
    """409 on an explanation: the step does not follow from its state."""

    current = ma.fields.Nested(ExplanationSchema, metadata={
        "optional": True, "description": "The explanation as recorded, when there is one."})

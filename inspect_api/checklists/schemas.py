import marshmallow as ma
from marshmallow import validate

from ..fields import AwareDateTime, DecimalNumber, FullMatch, id_field
from ..messages import Schema
from ..pagination import FeedArgsSchema
from .models import ANSWER_TYPES, CATEGORIES, PHOTO_RULES, SEVERITIES, SUBJECTS, TEMPLATE_STATUSES
from ..problems import ConflictProblemSchema


class CriterionSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    position = ma.fields.Integer(dump_only=True)
    code = ma.fields.String(required=True, validate=[
        validate.Length(max=10),
        FullMatch(r"^[A-Z]{2,6}-\d{2,3}$", error="Dạng AAA-01: 2–6 chữ in hoa, gạch, 2–3 chữ số.")])
    category = ma.fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    text = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000))
    text_en = ma.fields.String(allow_none=True, validate=validate.Length(max=2000))
    legal_basis = ma.fields.String(allow_none=True, validate=validate.Length(max=2000))
    answer_type = ma.fields.String(required=True, validate=validate.OneOf(ANSWER_TYPES))
    subject = ma.fields.String(required=True, validate=validate.OneOf(SUBJECTS))
    photo = ma.fields.String(required=True, validate=validate.OneOf(PHOTO_RULES),
                             metadata={"description": "required: a failing answer needs a photo."})
    severity = ma.fields.String(required=True, validate=validate.OneOf(SEVERITIES))
    weight = DecimalNumber(required=True, places=2,
                           validate=validate.Range(min=0, max=100, min_inclusive=False))
    pass_rule = ma.fields.String(allow_none=True, validate=validate.Length(max=100))


class ChecklistSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    code = ma.fields.String(required=True, validate=[
        validate.Length(min=1, max=40),
        FullMatch(r"^[A-Za-z0-9_-]{1,40}$", error="1–40 ký tự: chữ không dấu, số, gạch.")])
    version = ma.fields.Integer(dump_only=True)
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=300))
    org_unit_id = id_field(required=True, strict=True)
    status = ma.fields.String(dump_only=True, validate=validate.OneOf(TEMPLATE_STATUSES))
    published_at = AwareDateTime(dump_only=True, allow_none=True)
    updated_at = AwareDateTime(dump_only=True)
    criteria_count = ma.fields.Method("_count", dump_only=True, metadata={"type": "integer"})

    def _count(self, template) -> int:
        return len(template.criteria)


class ChecklistDetailSchema(ChecklistSchema):
    criteria = ma.fields.List(ma.fields.Nested(CriterionSchema), required=True,
                              validate=validate.Length(min=1, max=300))


class ChecklistUpdateSchema(Schema):
    """A draft's title and criteria (the whole list, in order)."""

    title = ma.fields.String(validate=validate.Length(min=1, max=300))
    criteria = ma.fields.List(ma.fields.Nested(CriterionSchema),
                              validate=validate.Length(min=1, max=300))


class ChecklistQueryArgsSchema(FeedArgsSchema):
    status = ma.fields.String(validate=validate.OneOf(TEMPLATE_STATUSES),
                              metadata={"description": "Drafts are visible to admins only."})
    code = ma.fields.String(validate=validate.Length(max=40))


class ChecklistConflictProblemSchema(ConflictProblemSchema):
    """409 on a checklist: published, so it can no longer change."""

    current = ma.fields.Nested(ChecklistDetailSchema, metadata={"description": "The server's copy."})

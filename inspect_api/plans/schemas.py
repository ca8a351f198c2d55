import marshmallow as ma
from marshmallow import validate

from ..fields import AwareDateTime, Date, id_field
from ..messages import Schema
from ..pagination import FeedArgsSchema


class TeamSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    plan_id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    leader_id = id_field(allow_none=True, strict=True)
    member_ids = ma.fields.List(id_field(strict=True), required=True,
                                validate=validate.Length(min=1, max=50))
    desk_ids = ma.fields.List(id_field(strict=True), required=True,
                              validate=validate.Length(max=5000))
    updated_at = AwareDateTime(dump_only=True)


class TeamUpdateSchema(TeamSchema):
    """Any subset of the fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class PlanSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    org_unit_id = id_field(required=True, strict=True)
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=300))
    decision_number = ma.fields.String(required=True, validate=validate.Length(min=1, max=60))
    starts_on = Date(required=True)
    ends_on = Date(required=True)
    checklist_id = id_field(required=True, strict=True)
    teams = ma.fields.List(ma.fields.Nested(TeamSchema), dump_only=True)
    updated_at = AwareDateTime(dump_only=True)


class PlanUpdateSchema(PlanSchema):
    """Any subset of the fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class PlanQueryArgsSchema(FeedArgsSchema):
    active_on = Date(metadata={"description": "Only plans whose period covers this date."})

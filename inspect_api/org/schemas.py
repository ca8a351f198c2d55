import marshmallow as ma
from marshmallow import validate

from ..fields import AwareDateTime, Date, id_field
from ..messages import Schema
from ..pagination import FeedArgsSchema
from .models import DESK_LEVELS, ORG_UNIT_KINDS, STAFF_CATEGORIES


class OrgUnitSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    code = ma.fields.String(required=True, validate=validate.Length(min=1, max=40))
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = ma.fields.String(required=True, validate=validate.OneOf(ORG_UNIT_KINDS))
    admin_code = ma.fields.String(allow_none=True, validate=validate.Length(max=10))
    parent_id = id_field(allow_none=True, strict=True)
    path = ma.fields.String(dump_only=True)
    valid_from = Date(allow_none=True)
    valid_to = Date(allow_none=True)
    successor_id = id_field(allow_none=True, strict=True)
    head_name = ma.fields.String(allow_none=True, validate=validate.Length(max=200))
    head_title = ma.fields.String(allow_none=True, validate=validate.Length(max=200))
    updated_at = AwareDateTime(dump_only=True)


class OrgUnitUpdateSchema(OrgUnitSchema):
    """Any subset of the fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class OrgUnitQueryArgsSchema(FeedArgsSchema):
    kind = ma.fields.String(validate=validate.OneOf(ORG_UNIT_KINDS))
    parent_id = id_field()
    valid_on = Date(metadata={"description": "Only units valid on this date."})


class LocationSchema(Schema):
    """A point in WGS 84 degrees, as a phone's GPS gives it."""

    lat = ma.fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    lon = ma.fields.Float(required=True, validate=validate.Range(min=-180, max=180))


class DeskSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    org_unit_id = id_field(required=True, strict=True)
    code = ma.fields.String(required=True, validate=validate.Length(min=1, max=40))
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    address = ma.fields.String(allow_none=True, validate=validate.Length(max=300))
    level = ma.fields.String(required=True, validate=validate.OneOf(DESK_LEVELS))
    opens_at = ma.fields.Time(load_default=None, metadata={"description": "Opening time, HH:MM."})
    closes_at = ma.fields.Time(load_default=None, metadata={"description": "Closing time, HH:MM."})
    active = ma.fields.Boolean(load_default=True)
    location = ma.fields.Nested(LocationSchema, allow_none=True, metadata={
        "description": "Where the desk is (WGS 84), to check each photo's GPS against; null "
                       "when not known, and then photos are not checked for place."})
    updated_at = AwareDateTime(dump_only=True)


class DeskUpdateSchema(DeskSchema):
    """Any subset of the fields."""

    def __init__(self, *args, **kwargs):
        # The top-level names, not partial=True: True would reach into `location` too and
        # let {"lat": 1} through without its "lon".
        super().__init__(*args, partial=tuple(DeskSchema._declared_fields), **kwargs)


class DeskQueryArgsSchema(FeedArgsSchema):
    org_unit_id = id_field()
    active = ma.fields.Boolean(metadata={"description": "Open desks (default) or, with false, "
                                                        "closed ones."})


class StaffSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    org_unit_id = id_field(required=True, strict=True)
    desk_id = id_field(allow_none=True, strict=True)
    employee_code = ma.fields.String(required=True, validate=validate.Length(min=1, max=40))
    full_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    position = ma.fields.String(allow_none=True, validate=validate.Length(max=200))
    category = ma.fields.String(load_default="cong_chuc", validate=validate.OneOf(STAFF_CATEGORIES))
    phone = ma.fields.String(allow_none=True, validate=validate.Length(max=30))
    active = ma.fields.Boolean(load_default=True)
    updated_at = AwareDateTime(dump_only=True)


class StaffUpdateSchema(StaffSchema):
    """Any subset of the fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class StaffQueryArgsSchema(FeedArgsSchema):
    org_unit_id = id_field()
    desk_id = id_field()
    active = ma.fields.Boolean(metadata={"description": "Serving staff (default) or, with "
                                                        "false, those who left."})

import marshmallow as ma
from marshmallow import validate

from ..fields import AwareDateTime, Date, FullMatch, id_field
from ..messages import Schema
from .models import ROLES
from .passwords import MIN_PASSWORD_LENGTH


def new_password_field(**kwargs) -> ma.fields.String:
    """A password being set: the length the service enforces, so the document says it too."""
    return ma.fields.String(
        load_only=True,
        validate=validate.Length(min=MIN_PASSWORD_LENGTH, max=256,
                                 error=f"Từ {MIN_PASSWORD_LENGTH} đến 256 ký tự."),
        **kwargs,
    )


class LoginSchema(Schema):
    username = ma.fields.String(required=True, validate=validate.Length(min=1, max=80))
    password = ma.fields.String(required=True, load_only=True,
                                validate=validate.Length(min=1, max=256))


class OrgUnitBriefSchema(Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String()


class UserSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    username = ma.fields.String(dump_only=True)
    full_name = ma.fields.String(dump_only=True)
    role = ma.fields.String(dump_only=True)
    org_unit_id = ma.fields.Integer(dump_only=True)
    org_unit = ma.fields.Nested(OrgUnitBriefSchema, dump_only=True)
    active = ma.fields.Boolean(dump_only=True)
    email = ma.fields.String(dump_only=True, allow_none=True)
    last_login_at = AwareDateTime(dump_only=True, allow_none=True)
    updated_at = AwareDateTime(dump_only=True)


class TokensSchema(Schema):
    access_token = ma.fields.String()
    refresh_token = ma.fields.String()
    token_type = ma.fields.String()
    expires_in = ma.fields.Integer(metadata={"description": "Seconds the access token lives."})
    user = ma.fields.Nested(UserSchema)


class AccessTokenSchema(Schema):
    access_token = ma.fields.String()
    token_type = ma.fields.String()
    expires_in = ma.fields.Integer()


class MyTeamSchema(Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    plan_id = ma.fields.Integer()
    plan_title = ma.fields.String(attribute="plan.title")
    plan_starts_on = Date(attribute="plan.starts_on")
    plan_ends_on = Date(attribute="plan.ends_on")
    checklist_id = ma.fields.Integer(attribute="plan.checklist_id")
    is_leader = ma.fields.Boolean()
    desk_ids = ma.fields.List(ma.fields.Integer())


class MeSchema(UserSchema):
    teams = ma.fields.List(ma.fields.Nested(MyTeamSchema))


class UserCreateSchema(Schema):
    username = ma.fields.String(
        required=True,
        validate=[validate.Length(min=3, max=80),
                  FullMatch(r"^[A-Za-z0-9._-]{3,80}$",
                            error="3–80 ký tự: chữ không dấu, số, dấu chấm, gạch.")],
    )
    full_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = ma.fields.String(required=True, validate=validate.OneOf(ROLES))
    org_unit_id = id_field(required=True, strict=True)
    password = new_password_field(required=True)
    active = ma.fields.Boolean(load_default=True)
    email = ma.fields.Email(allow_none=True, validate=validate.Length(max=254),
                            metadata={"description": "Where the daily corrections digest goes."})


class UserUpdateSchema(Schema):
    full_name = ma.fields.String(validate=validate.Length(min=1, max=200))
    role = ma.fields.String(validate=validate.OneOf(ROLES))
    org_unit_id = id_field(strict=True)
    password = new_password_field()
    active = ma.fields.Boolean()
    email = ma.fields.Email(allow_none=True, validate=validate.Length(max=254),
                            metadata={"description": "Where the daily corrections digest goes; null removes it."})


class PasswordChangeSchema(Schema):
    current_password = ma.fields.String(required=True, load_only=True,
                                        validate=validate.Length(min=1, max=256))
    new_password = new_password_field(required=True)

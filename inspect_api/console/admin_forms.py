"""What the administration pages' query strings and forms carry: one schema per form,
read into the plain values auth, org and plans services take. As in forms.py, these
check shape only (lengths, choices, number ranges); scope, uniqueness and the other
rules are the services', which answer with field errors the pages show beside the field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from marshmallow import validate

from ..auth.models import ROLES
from ..auth.passwords import MIN_PASSWORD_LENGTH
from ..errors import AppError, Invalid
from ..fields import Date, FullMatch, forbidden_character
from ..messages import Schema
from ..org.models import DESK_LEVELS, STAFF_CATEGORIES

ROW_ID = validate.Range(1, 2**31 - 1, error="Không hợp lệ.")
# Fields never shown again after a refused form: a password stays on the page only
# while the person types it.
SECRET_FIELDS = ("password", "csrf_token")


def _id(**kwargs) -> ma.fields.Integer:
    return ma.fields.Integer(validate=ROW_ID, **kwargs)


def _text(maximum: int, **kwargs) -> ma.fields.String:
    return ma.fields.String(validate=validate.Length(max=maximum, error=f"Tối đa {maximum} ký tự."), **kwargs)


def _required_text(maximum: int) -> ma.fields.String:
    return ma.fields.String(required=True, validate=validate.Length(
        min=1, max=maximum, error=f"Từ 1 đến {maximum} ký tự."))


class _FormSchema(Schema):
    class Meta:
        unknown = ma.EXCLUDE  # the CSRF token, the buttons


class _FilterSchema(_FormSchema):
    page = ma.fields.Integer(load_default=1, validate=validate.Range(1, 100000))


# --- accounts ------------------------------------------------------------------------

class AccountFilterSchema(_FilterSchema):
    role = ma.fields.String(validate=validate.OneOf(ROLES))
    unit = _id()
    active = ma.fields.Boolean()


class AccountCreateSchema(_FormSchema):
    username = ma.fields.String(required=True, validate=FullMatch(
        r"^[A-Za-z0-9._-]{3,80}$", error="3–80 ký tự: chữ không dấu, số, dấu chấm, gạch."))
    full_name = _required_text(200)
    role = ma.fields.String(required=True, validate=validate.OneOf(ROLES, error="Hãy chọn vai trò."))
    org_unit_id = _id(required=True)
    # Empty: the service's generator makes one, shown once.
    password = ma.fields.String(validate=validate.Length(
        min=MIN_PASSWORD_LENGTH, max=256, error=f"Từ {MIN_PASSWORD_LENGTH} đến 256 ký tự."))


class AccountUpdateSchema(_FormSchema):
    full_name = _required_text(200)
    role = ma.fields.String(required=True, validate=validate.OneOf(ROLES, error="Hãy chọn vai trò."))
    org_unit_id = _id(required=True)


class AccountActiveSchema(_FormSchema):
    active = ma.fields.Boolean(required=True)


# --- teams ---------------------------------------------------------------------------

class TeamMemberSchema(_FormSchema):
    user_id = _id(required=True, error_messages={"required": "Hãy chọn kiểm tra viên."})


# --- staff ---------------------------------------------------------------------------

class StaffFilterSchema(_FilterSchema):
    desk = _id()
    unit = _id()
    active = ma.fields.Boolean(load_default=True)


class StaffCreateSchema(_FormSchema):
    employee_code = _required_text(40)
    full_name = _required_text(200)
    position = _text(200)
    category = ma.fields.String(load_default="cong_chuc", validate=validate.OneOf(STAFF_CATEGORIES))
    phone = _text(30)
    org_unit_id = _id(required=True)
    desk_id = _id(required=True, error_messages={"required": "Hãy chọn Bộ phận Một cửa."})


class StaffMoveSchema(_FormSchema):
    desk_id = _id(required=True, error_messages={"required": "Hãy chọn Bộ phận Một cửa."})


class StaffLeftSchema(_FormSchema):
    left_on = Date(required=True, error_messages={"required": "Hãy nhập ngày nghỉ."})


# --- desks ---------------------------------------------------------------------------

class DeskFilterSchema(_FilterSchema):
    unit = _id()
    active = ma.fields.Boolean()


class _DeskPlaceSchema(_FormSchema):
    name = _required_text(200)
    address = _text(300)
    lat = ma.fields.Float(validate=validate.Range(-90, 90, error="Vĩ độ phải từ -90 đến 90."))
    lon = ma.fields.Float(validate=validate.Range(-180, 180, error="Kinh độ phải từ -180 đến 180."))

    @ma.validates_schema
    def _both_or_neither(self, data: dict[str, Any], **kwargs) -> None:
        if ("lat" in data) != ("lon" in data):
            missing = "lon" if "lat" in data else "lat"
            raise ma.ValidationError("Nhập cả vĩ độ và kinh độ, hoặc để trống cả hai.", missing)

    @ma.post_load
    def _location(self, data: dict[str, Any], **kwargs) -> dict[str, Any]:
        """The services' shape: {"lat", "lon"}, or None to clear it; an empty address clears it."""
        lat, lon = data.pop("lat", None), data.pop("lon", None)
        data["location"] = None if lat is None else {"lat": lat, "lon": lon}
        data.setdefault("address", None)
        return data


class DeskCreateSchema(_DeskPlaceSchema):
    org_unit_id = _id(required=True)
    code = _required_text(40)
    level = ma.fields.String(required=True, validate=validate.OneOf(DESK_LEVELS, error="Hãy chọn cấp."))
    opens_at = ma.fields.Time(load_default=None)
    closes_at = ma.fields.Time(load_default=None)


class DeskUpdateSchema(_DeskPlaceSchema):
    pass


# --- reading a form --------------------------------------------------------------------

def load_form(schema: ma.Schema, form: Mapping[str, str]) -> dict[str, Any]:
    """The form's values as `schema` reads them. Blank fields count as not given (text is
    trimmed, a password is not); refused values raise Invalid with a message per field."""
    given: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for key in schema.fields:
        value = form.get(key)
        if value is None:
            continue
        if key != "password":
            value = value.strip()
        problem = forbidden_character(value)
        if problem is not None:
            errors[key] = [problem]
        elif value != "":
            given[key] = value
    try:
        data = schema.load(given)
    except ma.ValidationError as error:
        # A field refused for its characters was left out: its "required" is no news.
        errors = {**error.normalized_messages(), **errors}
    if errors:
        raise Invalid("Chưa lưu: hãy sửa những ô được đánh dấu.", errors={"form": errors})
    return data


def load_filters(schema: ma.Schema, args: Mapping[str, str]) -> dict[str, Any]:
    """A list page's filters; nonsense in the address bar is a 422 page, not a 500."""
    try:
        return load_form(schema, args)
    except Invalid:
        raise Invalid("Bộ lọc không hợp lệ.") from None


def field_errors(error: AppError) -> dict[str, str]:
    """The error's messages by form field (a schema's under "form", a service's under
    "json"), and the whole error's detail under "detail"."""
    found = {"detail": error.detail}
    for messages in (error.errors or {}).values() if isinstance(error.errors, dict) else ():
        for field, texts in (messages or {}).items():
            found[field] = " ".join(texts) if isinstance(texts, list) else str(texts)
    return found


def typed_values(form: Mapping[str, str]) -> dict[str, str]:
    """What the person typed, to put back in the form; never a password."""
    return {key: value for key, value in form.items() if key not in SECRET_FIELDS}

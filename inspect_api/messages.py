"""marshmallow's messages in Vietnamese, and the base `Schema` that uses them.

marshmallow has no locale support, and it copies a message into each field and validator
when that is built (at import time, in a schema's class body). So its defaults are
replaced here per schema instance, not on marshmallow's classes: nothing global changes,
and a message a schema chose itself (`error=`, `error_messages=`, the fields in
fields.py) is left alone. Every schema of the API derives from `Schema`;
tests/unit/test_messages.py walks every schema, field and validator and fails on a
message left in English.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

# Per marshmallow field class and message key. A field takes the entry of the nearest
# class in its MRO, so `Time` can say "giờ" where marshmallow writes one message for
# every temporal field.
FIELD_MESSAGES: dict[type[fields.Field], dict[str, str]] = {
    fields.Field: {
        "required": "Thiếu trường bắt buộc.",
        "null": "Không được để trống (null).",
        "validator_failed": "Giá trị không hợp lệ.",
    },
    fields.Nested: {"type": "Kiểu dữ liệu không hợp lệ."},
    fields.List: {"invalid": "Phải là danh sách."},
    fields.Tuple: {"invalid": "Phải là danh sách (bộ giá trị)."},
    fields.String: {"invalid": "Phải là chuỗi ký tự.", "invalid_utf8": "Không phải chuỗi UTF-8 hợp lệ."},
    fields.UUID: {"invalid_uuid": "Phải là UUID."},
    fields.Number: {"invalid": "Phải là số.", "too_large": "Số quá lớn."},
    fields.Integer: {"invalid": "Phải là số nguyên."},
    fields.Float: {"special": "Không chấp nhận NaN hay vô cực."},
    fields.Decimal: {"special": "Không chấp nhận NaN hay vô cực."},
    fields.Boolean: {"invalid": "Phải là true hoặc false."},
    fields.DateTime: {
        "invalid": "Không phải thời điểm hợp lệ (ISO 8601).",
        "invalid_awareness": "Thời điểm không đúng yêu cầu về múi giờ.",
        "format": "Không ghi được thời điểm \"{input}\".",
    },
    fields.NaiveDateTime: {"invalid_awareness": "Thời điểm không được kèm múi giờ."},
    fields.AwareDateTime: {"invalid_awareness": "Thiếu múi giờ (ví dụ +07:00 hoặc Z)."},
    fields.Time: {
        "invalid": "Phải là giờ dạng HH:MM.",
        "invalid_awareness": "Giờ không đúng yêu cầu về múi giờ.",
        "format": "Không ghi được giờ \"{input}\".",
    },
    fields.Date: {"invalid": "Không phải ngày hợp lệ (YYYY-MM-DD).",
                  "invalid_awareness": "Ngày không đúng yêu cầu về múi giờ.",
                  "format": "Không ghi được ngày \"{input}\"."},
    fields.TimeDelta: {"invalid": "Không phải khoảng thời gian hợp lệ.",
                       "format": "Không ghi được khoảng thời gian {input!r}."},
    fields.Mapping: {"invalid": "Phải là đối tượng JSON."},
    fields.Url: {"invalid": "Không phải URL hợp lệ."},
    fields.Email: {"invalid": "Không phải địa chỉ email hợp lệ."},
    fields.IP: {"invalid_ip": "Không phải địa chỉ IP hợp lệ."},
    fields.IPv4: {"invalid_ip": "Không phải địa chỉ IPv4 hợp lệ."},
    fields.IPv6: {"invalid_ip": "Không phải địa chỉ IPv6 hợp lệ."},
    fields.IPInterface: {"invalid_ip_interface": "Không phải giao diện IP hợp lệ."},
    fields.IPv4Interface: {"invalid_ip_interface": "Không phải giao diện IPv4 hợp lệ."},
    fields.IPv6Interface: {"invalid_ip_interface": "Không phải giao diện IPv6 hợp lệ."},
    fields.Enum: {"unknown": "Phải là một trong: {choices}."},
}

SCHEMA_MESSAGES = {"type": "Kiểu dữ liệu không hợp lệ.", "unknown": "Trường không được phép."}

# Lengths of text and of lists alike: "độ dài" says both.
LENGTH_MESSAGES = {
    "message_min": "Độ dài tối thiểu {min}.",
    "message_max": "Độ dài tối đa {max}.",
    "message_all": "Độ dài phải từ {min} đến {max}.",
    "message_equal": "Độ dài phải là {equal}.",
}
RANGE_MESSAGES = {"message_min": "Phải {min_op} {{min}}.", "message_max": "Phải {max_op} {{max}}.",
                  "message_all": "Phải {min_op} {{min}} và {max_op} {{max}}."}
# Each validator whose one message is `error`, by class: what replaces its default.
VALIDATOR_MESSAGES: dict[type[validate.Validator], str] = {
    validate.OneOf: "Phải là một trong: {choices}.",
    validate.NoneOf: "Giá trị không được phép.",
    validate.Equal: "Phải bằng {other}.",
    validate.Regexp: "Không đúng định dạng.",
    validate.Email: "Không phải địa chỉ email hợp lệ.",
    validate.URL: "Không phải URL hợp lệ.",
    validate.Predicate: "Giá trị không hợp lệ.",
    validate.ContainsOnly: "Có lựa chọn không thuộc: {choices}.",
    validate.ContainsNoneOf: "Có lựa chọn thuộc danh sách không được phép: {values}.",
}


def _marshmallow_default(field_class: type, key: str) -> str | None:
    """The message marshmallow itself gives `key` for this class (None if a class of
    ours, nearer in the MRO, defines its own)."""
    for cls in field_class.__mro__:
        own = cls.__dict__.get("default_error_messages") or {}
        if key in own:
            return own[key] if cls.__module__.startswith("marshmallow.") else None
    return None


def vietnamese_field_message(field_class: type, key: str) -> str | None:
    for cls in field_class.__mro__:
        if key in FIELD_MESSAGES.get(cls, {}):
            return FIELD_MESSAGES[cls][key]
    return None


def localise_validator(validator: Any) -> None:
    """Replace the default messages of one validator, if it uses them."""
    if isinstance(validator, validate.And):
        for inner in validator.validators:
            localise_validator(inner)
    elif isinstance(validator, validate.Length):
        if validator.error is None:
            for name, message in LENGTH_MESSAGES.items():
                setattr(validator, name, message)
    elif isinstance(validator, validate.Range):
        if validator.error is None:
            ops = {"min_op": "≥" if validator.min_inclusive else ">",
                   "max_op": "≤" if validator.max_inclusive else "<"}
            for name, template in RANGE_MESSAGES.items():
                setattr(validator, name, template.format(**ops))
    else:
        for cls in type(validator).__mro__:
            if cls in VALIDATOR_MESSAGES:
                # Only the library's default: an `error=` given by the schema stays.
                if validator.error == getattr(cls, "default_message", None):
                    validator.error = VALIDATOR_MESSAGES[cls]
                return


def localise_field(field: fields.Field) -> None:
    """Replace marshmallow's default messages of one field, its validators, and the
    fields inside it (a list's items, a mapping's keys and values, a tuple's members)."""
    for key, message in field.error_messages.items():
        if message == _marshmallow_default(type(field), key):
            vietnamese = vietnamese_field_message(type(field), key)
            if vietnamese is not None:
                field.error_messages[key] = vietnamese
    for validator in field.validators:
        localise_validator(validator)
    inner: list[fields.Field | None] = []
    if isinstance(field, fields.List):
        inner.append(field.inner)
    if isinstance(field, fields.Tuple):
        inner.extend(field.tuple_fields)
    if isinstance(field, fields.Mapping):
        inner.extend((field.key_field, field.value_field))
    for item in inner:
        if item is not None:
            localise_field(item)


class Schema(ma.Schema):
    """The base of every schema of the API: marshmallow's messages in Vietnamese.
    (A nested schema is a `Schema` too, so its fields are localised when it is built.)"""

    error_messages = SCHEMA_MESSAGES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            localise_field(field)

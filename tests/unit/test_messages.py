"""No validation message reaches a user in English: every schema of the API derives from
messages.Schema, and every message of every field and validator in them, marshmallow's
defaults included, is Vietnamese (inspect_api/messages.py)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator

import marshmallow as ma
import pytest
from marshmallow import fields, validate

import inspect_api
from inspect_api.messages import (FIELD_MESSAGES, VALIDATOR_MESSAGES, Schema,
                                  vietnamese_field_message)

# Every Vietnamese sentence has one of these letters; marshmallow's English has none.
VIETNAMESE = re.compile("[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]",
                        re.IGNORECASE)


def _api_schema_classes() -> list[type[ma.Schema]]:
    for module in pkgutil.walk_packages(inspect_api.__path__, "inspect_api."):
        importlib.import_module(module.name)
    found, todo = set(), [ma.Schema]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return sorted((c for c in found if c.__module__.startswith("inspect_api.")
                   and c is not Schema), key=lambda c: (c.__module__, c.__name__))


def validator_messages(validator) -> Iterator[str]:
    if isinstance(validator, validate.And):
        for inner in validator.validators:
            yield from validator_messages(inner)
        return
    if isinstance(getattr(validator, "error", None), str):
        yield validator.error  # given, it is the one message (Length and Range too)
    elif isinstance(validator, validate.Length):
        yield from (validator.message_min, validator.message_max, validator.message_all,
                    validator.message_equal)
    elif isinstance(validator, validate.Range):
        yield from (validator.message_min, validator.message_max, validator.message_all)


def field_messages(field: fields.Field, path: str, seen: set[int]) -> Iterator[tuple[str, str]]:
    """(where, message) for a field, its validators and everything inside it."""
    for key, message in field.error_messages.items():
        yield f"{path} [{key}]", message
    for validator in field.validators:
        for message in validator_messages(validator):
            yield f"{path} <{type(validator).__name__}>", message
    inner = []
    if isinstance(field, fields.List):
        inner.append(("[]", field.inner))
    if isinstance(field, fields.Tuple):
        inner.extend((f"[{i}]", f) for i, f in enumerate(field.tuple_fields))
    if isinstance(field, fields.Mapping):
        inner.extend((("{key}", field.key_field), ("{value}", field.value_field)))
    for suffix, item in inner:
        if item is not None:
            yield from field_messages(item, path + suffix, seen)
    if isinstance(field, fields.Nested):
        yield from schema_messages(field.schema, path, seen)


def schema_messages(schema: ma.Schema, path: str, seen: set[int]) -> Iterator[tuple[str, str]]:
    if id(schema) in seen:
        return
    seen.add(id(schema))
    for key, message in schema.error_messages.items():
        yield f"{path} [{key}]", message
    for name, field in schema.fields.items():
        yield from field_messages(field, f"{path}.{name}", seen)


def english(messages) -> list[str]:
    return [f"{where}: {message!r}" for where, message in messages
            if not VIETNAMESE.search(message)]


SCHEMAS = _api_schema_classes()


def test_every_schema_of_the_api_derives_from_the_vietnamese_base():
    plain = [f"{c.__module__}.{c.__name__}" for c in SCHEMAS if not issubclass(c, Schema)]
    assert not plain, f"schemas on marshmallow's own Schema (use inspect_api.messages.Schema): {plain}"


def test_no_message_of_any_schema_field_or_validator_is_english():
    messages = []
    for cls in SCHEMAS:
        messages.extend(schema_messages(cls(), cls.__name__, set()))
    left = english(messages)
    assert not left, "messages left in English:\n" + "\n".join(left)


def test_the_walk_reaches_every_kind_of_field_and_validator_in_use():
    """The test above is only as good as its walk: it must see the schemas' fields and
    validators, and it must catch marshmallow's English where it is left."""
    field_types, validator_types, count = set(), set(), 0
    for cls in SCHEMAS:
        count += sum(1 for _ in schema_messages(cls(), cls.__name__, set()))
        for field in cls().fields.values():
            field_types.add(type(field))
            validator_types.update(type(v) for v in field.validators)
    assert len(SCHEMAS) > 40 and count > 1000
    assert {fields.String, fields.Integer, fields.Nested, fields.List, fields.UUID,
            fields.Boolean} <= field_types
    assert {validate.Length, validate.Range, validate.OneOf} <= validator_types

    class Plain(ma.Schema):
        name = fields.String(required=True, validate=validate.Length(min=1, max=50))
        size = fields.Integer(validate=validate.Range(min=1))
        kind = fields.String(validate=validate.OneOf(["a", "b"]))

    assert len(english(schema_messages(Plain(), "Plain", set()))) >= 10


def test_marshmallow_defaults_become_vietnamese_and_a_schemas_own_stay():
    class Example(Schema):
        name = fields.String(required=True, validate=validate.Length(min=1, max=50))
        size = fields.Integer(validate=validate.Range(min=1, max=9, max_inclusive=False))
        kind = fields.String(validate=validate.OneOf(["a", "b"]))
        code = fields.String(validate=validate.Length(max=3, error="Mã quá dài."),
                             error_messages={"invalid": "Mã phải là chữ."})
        at = fields.Time()
        tags = fields.List(fields.String(validate=validate.Length(equal=2)))

    errors = Example().validate({"name": "x" * 51, "size": 9, "kind": "c", "code": "abcd",
                                 "at": "25:00", "tags": ["abc", 5], "extra": 1})
    assert errors == {
        "name": ["Độ dài phải từ 1 đến 50."],
        "size": ["Phải ≥ 1 và < 9."],
        "kind": ["Phải là một trong: a, b."],
        "code": ["Mã quá dài."],
        "at": ["Phải là giờ dạng HH:MM."],
        "tags": {0: ["Độ dài phải là 2."], 1: ["Phải là chuỗi ký tự."]},
        "extra": ["Trường không được phép."],
    }
    assert Example().validate({"code": 5}) == {"name": ["Thiếu trường bắt buộc."],
                                               "code": ["Mã phải là chữ."]}
    assert Example().validate([]) == {"_schema": ["Kiểu dữ liệu không hợp lệ."]}


@pytest.mark.parametrize("field_class", [
    cls for name, cls in inspect.getmembers(fields, inspect.isclass)
    if issubclass(cls, fields.Field) and cls.__module__.startswith("marshmallow.")
    and not name.startswith("_")])
def test_every_marshmallow_field_message_has_a_vietnamese_one(field_class):
    """Also the field types no schema uses yet: the first schema to use one is covered."""
    keys = set()
    for cls in field_class.__mro__:
        keys.update((cls.__dict__.get("default_error_messages") or {}).keys())
    missing = [key for key in keys if vietnamese_field_message(field_class, key) is None]
    assert not missing, f"{field_class.__name__}: no Vietnamese for {missing}"
    assert all(VIETNAMESE.search(m) for table in FIELD_MESSAGES.values() for m in table.values())


def test_every_marshmallow_validator_message_has_a_vietnamese_one():
    own_messages = {validate.Length, validate.Range, validate.And, validate.Validator}
    for _, cls in inspect.getmembers(validate, inspect.isclass):
        if issubclass(cls, validate.Validator) and cls not in own_messages:
            assert cls in VALIDATOR_MESSAGES, cls.__name__
            assert VIETNAMESE.search(VALIDATOR_MESSAGES[cls]), cls.__name__

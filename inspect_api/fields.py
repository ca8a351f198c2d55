"""Field types and text rules shared by every schema.

Schemas use these instead of the raw marshmallow ones, so a rule about what the API
accepts is written once. What a client may send is bounded so that nothing downstream
(date arithmetic, the database, the document builders) can fail on it:

- dates and instants lie between years YEAR_MIN and YEAR_MAX, so shifting them by any
  UTC offset (±14:00) or by a reporting period cannot leave Python's calendar (years
  1–9999) or PostgreSQL's;
- text holds only characters that UTF-8, PostgreSQL and XML 1.0 (the .xlsx and .docx
  exports are XML) can all carry; see `forbidden_character`;
- a pattern must match the whole value, as the OpenAPI document promises.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, NamedTuple

import marshmallow as ma
from marshmallow import validate

# Row ids are INTEGER primary keys: 32-bit on PostgreSQL. A bigger number cannot name a
# row, and handed to the database it overflows (500) instead of being simply not found.
ID_MAX = 2**31 - 1

YEAR_MIN = 1900
YEAR_MAX = 2200

# What a text value may not contain, and why:
# - NUL: PostgreSQL refuses it in text columns;
# - lone surrogates (U+D800–U+DFFF, from a "\ud800" escape in JSON): not encodable in
#   UTF-8, so neither the database nor the response could carry them;
# - other C0 controls but TAB, LF and CR, and U+FFFE/U+FFFF: not characters of XML 1.0,
#   so openpyxl refuses them in a cell and a .docx holding them is corrupt.
# Everything else is accepted, combining marks and right-to-left text included: they are
# legitimate Vietnamese (decomposed tones) or other people's names.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def forbidden_character(text: str) -> str | None:
    """A Vietnamese message naming the first character `text` may not hold, or None."""
    match = _FORBIDDEN.search(text)
    if match is None:
        return None
    return (f"Chứa ký tự không được phép (U+{ord(match.group()):04X}) "
            f"ở vị trí {match.start() + 1}.")


def printable_name(text: str) -> str:
    """`text` safe to echo in an error body (a field name the client sent), with each
    forbidden character written as its JSON escape: "no\\u0000tes"."""
    return _FORBIDDEN.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


_YEARS = f"Năm phải từ {YEAR_MIN} đến {YEAR_MAX}."


class _InCalendarYears:
    """Refuses years outside YEAR_MIN..YEAR_MAX (a "year_range" message in the field)."""

    def _deserialize(self, value, attr, data, **kwargs):
        result = super()._deserialize(value, attr, data, **kwargs)  # type: ignore[misc]
        if not YEAR_MIN <= result.year <= YEAR_MAX:
            raise self.make_error("year_range")  # type: ignore[attr-defined]
        return result


class AwareDateTime(_InCalendarYears, ma.fields.AwareDateTime):
    """An instant with its UTC offset (ISO 8601), years YEAR_MIN..YEAR_MAX."""

    default_error_messages = {
        "invalid": "Không phải thời điểm hợp lệ (ISO 8601, ví dụ 2026-11-20T08:15:00+07:00).",
        "invalid_awareness": "Thiếu múi giờ (ví dụ +07:00 hoặc Z).",
        "format": "Không ghi được thời điểm này.",
        "year_range": _YEARS,
    }


class Date(_InCalendarYears, ma.fields.Date):
    """A calendar day (YYYY-MM-DD), years YEAR_MIN..YEAR_MAX."""

    default_error_messages = {
        "invalid": "Không phải ngày hợp lệ (YYYY-MM-DD).",
        "format": "Không ghi được ngày này.",
        "year_range": _YEARS,
    }


class FullMatch(validate.Regexp):
    """A pattern the whole value must match. (`Regexp` uses `re.match`, whose `$` also
    matches before a final newline: "abc\\n" passed `^[a-z]{3}$`.) The document shows the
    same pattern, which JSON Schema tests against the whole string anyway."""

    def __call__(self, value):
        if self.regex.fullmatch(value) is None:
            raise ma.ValidationError(self._format_error(value))
        return value


def id_field(**kwargs) -> ma.fields.Integer:
    """An id in a request (body or query): 1..ID_MAX, else 422 before the database sees it."""
    return ma.fields.Integer(validate=ma.validate.Range(min=1, max=ID_MAX), **kwargs)


class DecimalNumber(ma.fields.Decimal):
    """Loads an exact Decimal; dumps a JSON number, as the document says. (A Decimal
    left to Flask's JSON encoder leaves as a string, "2.00".)"""

    def _serialize(self, value, attr, obj, **kwargs):
        result = super()._serialize(value, attr, obj, **kwargs)
        return float(result) if isinstance(result, decimal.Decimal) else result


class DumpedList(ma.fields.List):
    """`List(Nested(schema))`, dumped without a nested dump per item: a national
    criticism list has ~9,000 entries carrying ~24,000 findings, a visit 38 findings on
    every read, and marshmallow's per-object machinery (hooks, accessors) cost more
    than what it writes. Each value still goes through the schema's own fields, read as
    a nested dump reads it (a key of a mapping, else an attribute, a dotted name
    followed; absent: the field's dump default, else left out), and the OpenAPI
    document sees the same field. Only for schemas without dump hooks.

    `written`: for items of a type whose values are known (read for showing only), a
    function that writes one item as the schema would, given the item and the schema,
    called instead of the fields, at about half their cost. Items of any other type go
    through the fields. Each such function is held to the schema's own dump by a test."""

    def __init__(self, schema: type[ma.Schema], *,
                 written: Mapping[type, Callable[..., dict[str, Any]]] | None = None, **kwargs):
        super().__init__(ma.fields.Nested(schema), **kwargs)
        self._fields_plan: list[_FieldPlan] | None = None
        self._written = dict(written or {})

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        plan = self._plan()
        missing, get_value = ma.missing, ma.utils.get_value
        writers, schema = self._written, self.inner.schema  # type: ignore[attr-defined]
        dumped = []
        for item in value:
            if (write := writers.get(type(item))) is not None:
                dumped.append(write(item, schema))
                continue
            get = item.get if isinstance(item, Mapping) else partial(getattr, item)
            row = {}
            for key, source, read, as_is, serialize, default in plan:
                if read is _CALLED:  # a Method field: called with the item
                    row[key] = serialize(None, source, item)
                    continue
                found = get(source, missing) if read is _KEY else get_value(item, source)
                if found is missing and (found := default() if callable(default) else default) is missing:
                    continue
                row[key] = found if type(found) in as_is else serialize(found, source, item)
            dumped.append(row)
        return dumped

    def _plan(self) -> list[_FieldPlan]:
        """How each field is read and written, worked out once: a national list dumps
        ~9,000 findings lists through the same fields."""
        if self._fields_plan is None:
            nested = self.inner
            assert isinstance(nested, ma.fields.Nested)  # noqa: S101 - set in __init__
            plan = []
            for name, field in nested.schema.dump_fields.items():
                source = field.attribute or name
                read = _CALLED if not field._CHECK_ATTRIBUTE else _DOTTED if "." in source else _KEY
                plan.append(_FieldPlan(field.data_key or name, source, read, _written_as_is(field),
                                       field._serialize, field.dump_default))
            self._fields_plan = plan
        return self._fields_plan


# How DumpedList reads a field's value: a key (or attribute), a dotted path, or by
# calling the field with the item (a Method field).
_KEY, _DOTTED, _CALLED = "key", "dotted", "called"


class _FieldPlan(NamedTuple):
    key: str
    source: str
    read: str
    as_is: frozenset[type]
    serialize: Callable[..., Any]
    default: Any


# The values each plain field would write unchanged: its _serialize returns None for
# None, str(value) for a str, int(value) for an int, float(value) for a float, and a
# Boolean any value as it is. Exact types only: a subclass (an IntEnum, a bool given to
# an Integer) still goes through the field. Half a million values in a national list.
_AS_IS: dict[type[ma.fields.Field], frozenset[type]] = {
    ma.fields.String: frozenset({type(None), str}),
    ma.fields.Integer: frozenset({type(None), int}),
    ma.fields.Float: frozenset({type(None), float}),
}


def _written_as_is(field: ma.fields.Field) -> frozenset[type]:
    """The types of value `field` (of exactly one of _AS_IS's classes, not as_string)
    writes as they are; empty for any other field."""
    if getattr(field, "as_string", False):
        return frozenset()
    return _AS_IS.get(type(field), frozenset())

"""DumpedList writes plain values of plain fields as they are, and only those: whatever a
field would change still goes through the field."""

import decimal
import enum

import marshmallow as ma
import pytest

from inspect_api.fields import DumpedList


class Level(enum.IntEnum):
    LOW = 1


class Row(ma.Schema):
    text = ma.fields.String(allow_none=True)
    count = ma.fields.Integer(allow_none=True)
    count_text = ma.fields.Integer(as_string=True)
    rate = ma.fields.Float(allow_none=True)
    flag = ma.fields.Boolean()
    day = ma.fields.Date()


class Fast(ma.Schema):
    rows = DumpedList(Row)


class Nested(ma.Schema):
    rows = ma.fields.List(ma.fields.Nested(Row))


ROWS = [
    {"text": "Phường Minh Xuân", "count": 3, "count_text": 3, "rate": 12.5, "flag": True},
    {"text": None, "count": None, "rate": None, "flag": None},
    # Values a field converts: each must come out as the field writes it.
    {"text": 7, "count": True, "count_text": 12, "rate": 3, "flag": 1},
    {"text": decimal.Decimal("1.50"), "count": Level.LOW, "rate": decimal.Decimal("2.25"), "flag": "yes"},
    {"count": 4.0, "rate": True},
]


@pytest.mark.parametrize("row", ROWS)
def test_a_row_dumps_as_a_nested_schema_dumps_it(row):
    fast, nested = Fast().dump({"rows": [row]}), Nested().dump({"rows": [row]})
    assert fast == nested
    # Types too: 1 == True and 3 == 3.0, but JSON writes them differently.
    assert [type(value) for value in fast["rows"][0].values()] == [type(v) for v in nested["rows"][0].values()]


def test_the_same_field_dumps_many_lists_alike():
    """The fields' plan is made once per field and reused: a second dump of other rows
    is the same as a fresh schema's."""
    schema = Fast()
    schema.dump({"rows": ROWS[:1]})
    assert schema.dump({"rows": ROWS}) == Nested().dump({"rows": ROWS})

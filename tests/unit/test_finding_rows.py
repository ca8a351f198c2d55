"""A visit's detail read writes its FindingRows key by key (visits/schemas.py
_written_finding_row, the writer DumpedList calls for FindingRows): what it writes must
be what FindingSchema writes for them, every key and every value's type, whatever the
answer (a number whole or not, a time, text, none), staff or none, a note or none,
instants with and without microseconds.

Photos go through the schema's own field in both ways; tests/api/test_visit_detail_read.py
compares a read with photos byte for byte with the writes' answers."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import marshmallow as ma
import pytest

import inspect_api.evidence.schemas  # noqa: F401 - registers EvidenceSchema, which FindingSchema names
from inspect_api.visits.models import DeskPlace, FindingRow, VisitDetail
from inspect_api.visits.schemas import FindingSchema, VisitDetailSchema

UTC = dt.UTC
VISIT_ID = uuid.UUID("3398e496-7146-42d2-ac62-e6caed1d20aa")


def finding(**changes) -> FindingRow:
    values = {"id": uuid.uuid4(), "visit_id": VISIT_ID, "criterion_id": 12, "staff_id": None, "result": "pass",
              "value_number": None, "value_text": None, "note": None,
              "recorded_at": dt.datetime(2026, 11, 20, 1, 30, tzinfo=UTC), "recorded_by_id": 2,
              "updated_at": dt.datetime(2026, 11, 20, 1, 31, 5, 120000, tzinfo=UTC), "criterion_code": "SEAT-01"}
    return FindingRow(**{**values, **changes})


FINDINGS = [
    finding(),
    finding(value_number=Decimal("12.00"), result="fail", staff_id=31, note="Thiếu ghế chờ"),
    finding(value_number=Decimal("87.50")),
    finding(value_number=Decimal("0.00"), recorded_at=dt.datetime(2026, 11, 20, 23, 59, 59, 999999, tzinfo=UTC)),
    finding(value_text="18:45", result="na", note=""),
    finding(value_text="Đạt yêu cầu\n\"trích dẫn\"", criterion_code="DIG-03", criterion_id=2**31 - 1),
]


def detail(findings: list[FindingRow]) -> VisitDetail:
    at = dt.datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    return VisitDetail(id=VISIT_ID, team_id=1, plan_id=1, desk_id=3, checklist_id=1, status="draft", version=4,
                       started_at=at, ended_at=None, notes=None, latitude=None, longitude=None, created_by_id=2,
                       submitted_at=None, submitted_by_id=None, created_at=at, updated_at=at,
                       desk=DeskPlace(None, None), staff_on_duty_ids=[], findings=findings)


class Nested(ma.Schema):
    findings = ma.fields.List(ma.fields.Nested(FindingSchema))


def written(schema: ma.Schema, findings: list[FindingRow]):
    """The detail's findings as `schema` writes them (its other fields are not these tests')."""
    return schema.fields["findings"].serialize("findings", detail(findings))


@pytest.mark.parametrize("row", FINDINGS, ids=range(len(FINDINGS)))
def test_a_finding_row_is_written_as_the_schema_writes_it(row):
    fast, nested = written(VisitDetailSchema(), [row]), written(Nested(), [row])
    assert fast == nested
    assert list(fast[0]) == list(nested[0]) == list(FindingSchema().dump_fields)
    # Types too: 12 == 12.0, but JSON writes them differently.
    assert [type(value) for value in fast[0].values()] == [type(value) for value in nested[0].values()]


def test_many_rows_and_none():
    assert written(VisitDetailSchema(), FINDINGS) == written(Nested(), FINDINGS)
    assert written(VisitDetailSchema(), []) == []
    field = VisitDetailSchema().fields["findings"]
    assert field.serialize("findings", {"findings": None}) is None


def test_not_a_visit_detail_goes_through_the_schema():
    """The writes answer with ORM Findings: those take DumpedList's way."""
    rows = [{"id": VISIT_ID, "criterion_id": 1, "recorded_at": dt.datetime(2026, 1, 1, tzinfo=UTC)}]
    dumped = VisitDetailSchema().fields["findings"].serialize("findings", {"findings": rows})
    assert dumped == [{"id": str(VISIT_ID), "criterion_id": 1, "recorded_at": "2026-01-01T00:00:00+00:00"}]

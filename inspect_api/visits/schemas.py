from typing import Any

import marshmallow as ma
from marshmallow import validate

from ..fields import ID_MAX, AwareDateTime, Date, DumpedList, id_field
from ..messages import Schema
from ..org.schemas import LocationSchema
from ..pagination import FeedArgsSchema
from ..problems import ConflictProblemSchema, ProblemSchema, ValidationProblemSchema
from .models import RESULTS, VISIT_STATUSES, FindingRow

# A visit's detail shows its photos and reviews, but the evidence and reviews packages
# build on visits (they read and lock visits), so their schemas are named here by their
# marshmallow registry path, not imported: importing them would tie the packages both
# ways. The app imports every feature's schemas before any is used.
EVIDENCE_SCHEMA = "inspect_api.evidence.schemas.EvidenceSchema"
REVIEW_SCHEMA = "inspect_api.reviews.schemas.ReviewSchema"


class VisitPutSchema(Schema):
    """What the tablet may set. Status, reviewer and server timestamps are not here:
    sending them is refused (422), never stored."""

    desk_id = id_field(required=True, strict=True)
    checklist_id = id_field(required=True, strict=True,
                            metadata={"description": "The pinned checklist version."})
    team_id = id_field(required=True, strict=True)
    started_at = AwareDateTime(required=True)
    ended_at = AwareDateTime(allow_none=True, load_default=None)
    notes = ma.fields.String(allow_none=True, load_default=None, validate=validate.Length(max=10000))
    location = ma.fields.Nested(LocationSchema, allow_none=True, load_default=None)
    staff_on_duty = ma.fields.List(
        id_field(strict=True), load_default=list, validate=validate.Length(max=200),
        metadata={"description": "Ids of the staff seen at the desk during the visit."})
    # Bounded like the INTEGER column it is compared with: a bigger number is refused
    # here, not overflowed in the database.
    version = ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=ID_MAX),
                                metadata={"description": "The version this edit is based on "
                                                         "(or send If-Match). Not needed to create."})


class FindingInSchema(Schema):
    id = ma.fields.UUID(required=True, metadata={"description": "The tablet's UUID for the finding."})
    criterion_id = id_field(required=True, strict=True)
    result = ma.fields.String(allow_none=True, load_default=None, validate=validate.OneOf(RESULTS),
                              metadata={"description": "pass/fail/na; derived from `value` by the "
                                                       "criterion's pass rule when omitted."})
    value = ma.fields.Raw(allow_none=True, load_default=None,
                          metadata={"type": ["number", "string"],
                                    "description": "count: integer ≥ 0; percent: number 0–100; "
                                                   "time: \"HH:MM\"; text: string."})
    staff_id = id_field(allow_none=True, load_default=None, strict=True)
    note = ma.fields.String(allow_none=True, load_default=None, validate=validate.Length(max=5000))
    recorded_at = AwareDateTime(required=True)


class FindingsBatchSchema(Schema):
    findings = ma.fields.List(ma.fields.Nested(FindingInSchema), required=True,
                              validate=validate.Length(min=1))


class FindingSchema(Schema):
    id = ma.fields.UUID()
    visit_id = ma.fields.UUID()
    criterion_id = ma.fields.Integer()
    criterion_code = ma.fields.String()
    result = ma.fields.String()
    value = ma.fields.Raw(allow_none=True, metadata={"type": ["number", "string"]})
    staff_id = ma.fields.Integer(allow_none=True)
    note = ma.fields.String(allow_none=True)
    recorded_at = AwareDateTime()
    recorded_by_id = ma.fields.Integer()
    updated_at = AwareDateTime()
    evidence = ma.fields.List(ma.fields.Nested(EVIDENCE_SCHEMA),
                              metadata={"description": "Photos attached to this finding."})


class VisitSchema(Schema):
    id = ma.fields.UUID()
    desk_id = ma.fields.Integer()
    checklist_id = ma.fields.Integer()
    team_id = ma.fields.Integer()
    plan_id = ma.fields.Integer()
    status = ma.fields.String(validate=validate.OneOf(VISIT_STATUSES))
    version = ma.fields.Integer()
    started_at = AwareDateTime()
    ended_at = AwareDateTime(allow_none=True)
    notes = ma.fields.String(allow_none=True)
    location = ma.fields.Nested(LocationSchema, allow_none=True)
    staff_on_duty = ma.fields.List(ma.fields.Integer(), attribute="staff_on_duty_ids")
    created_by_id = ma.fields.Integer()
    submitted_at = AwareDateTime(allow_none=True)
    submitted_by_id = ma.fields.Integer(allow_none=True)
    created_at = AwareDateTime()
    updated_at = AwareDateTime()
    last_review = ma.fields.Nested(
        REVIEW_SCHEMA, allow_none=True,
        metadata={"description": "The latest review round: a returned visit brings the "
                                 "reviewer's comments to the tablet in the delta sync."})


def _written_finding_row(row: FindingRow, schema: FindingSchema) -> dict[str, Any]:
    """A FindingRow (a visit's detail read, GET: 38 findings on every read) as
    FindingSchema writes it: ids as str(), instants as isoformat(), the rest as they
    are, photos through the schema's own field. tests/unit/test_finding_rows.py holds it
    to the schema, value types and all."""
    return {"id": str(row.id), "visit_id": str(row.visit_id), "criterion_id": row.criterion_id,
            "criterion_code": row.criterion_code, "result": row.result, "value": row.value,
            "staff_id": row.staff_id, "note": row.note, "recorded_at": row.recorded_at.isoformat(),
            "recorded_by_id": row.recorded_by_id, "updated_at": row.updated_at.isoformat(),
            "evidence": schema.fields["evidence"].serialize("evidence", row) if row.evidence else []}


class VisitDetailSchema(VisitSchema):
    findings = DumpedList(FindingSchema, written={FindingRow: _written_finding_row})
    reviews = ma.fields.List(ma.fields.Nested(REVIEW_SCHEMA),
                             metadata={"description": "Every review round, oldest first: the "
                                                      "reviewer's comments reach the tablet here."})


class FindingsResultSchema(Schema):
    visit_id = ma.fields.UUID()
    visit_version = ma.fields.Integer()
    changed = ma.fields.Integer(metadata={"description": "How many findings this batch created "
                                                         "or changed (0 on a replay)."})
    findings = DumpedList(FindingSchema)


class VisitQueryArgsSchema(FeedArgsSchema):
    status = ma.fields.String(validate=validate.OneOf(VISIT_STATUSES))
    desk_id = id_field()
    team_id = id_field()
    plan_id = id_field()
    date_from = Date(metadata={"description": "Visits started on or after this day (Vietnam time)."})
    date_to = Date(metadata={"description": "Visits started on or before this day (Vietnam time)."})


class VisitConflictProblemSchema(ConflictProblemSchema):
    """409 on a visit: a stale version, or a visit no longer editable. `current` is the
    server's copy (with its `version`): merge, then send again based on it."""

    current = ma.fields.Nested(VisitDetailSchema, metadata={"description": "The server's copy."})


class VisitPreconditionProblemSchema(ProblemSchema):
    """428: an update of an existing visit without `version` or If-Match. `current` is
    the server's copy: send the edit again based on its version."""

    current = ma.fields.Nested(VisitDetailSchema, metadata={"description": "The server's copy."})


class MissingCriterionSchema(Schema):
    criterion_id = ma.fields.Integer()
    code = ma.fields.String()
    text = ma.fields.String()


class MissingEvidenceSchema(Schema):
    finding_id = ma.fields.UUID()
    criterion_id = ma.fields.Integer()
    code = ma.fields.String()
    staff_id = ma.fields.Integer(allow_none=True)


class SubmitProblemSchema(ValidationProblemSchema):
    """422 on submit: what must be done before the visit can be submitted."""

    # Optional: a 422 on submit may also be a refused input (a NUL in the query), which
    # has neither list.
    missing = ma.fields.List(ma.fields.Nested(MissingCriterionSchema), metadata={
        "optional": True, "description": "Criteria still unanswered."})
    missing_evidence = ma.fields.List(ma.fields.Nested(MissingEvidenceSchema), metadata={
        "optional": True, "description": "Failing findings that need a photo and have none."})

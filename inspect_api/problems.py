"""Problem bodies whose extra members carry a resource, for the OpenAPI document.

A client generated from the document reads a 409 into `VisitConflictProblem` and finds
the server's copy in `current` as a `VisitDetail`, ready to merge, instead of an untyped
dictionary. The bodies themselves are built by errors.py from what services raise
(`Conflict(..., current=VisitDetailSchema().dump(visit))`); these schemas only describe
them, so each must say what those services really put in.
"""

from __future__ import annotations

import marshmallow as ma

from .api import ConflictProblemSchema, ProblemSchema, ValidationProblemSchema
from .checklists.schemas import ChecklistDetailSchema
from .evidence.schemas import EvidenceSchema
from .messages import Schema
from .reviews.schemas import ExplanationSchema
from .visits.schemas import VisitDetailSchema


class VisitConflictProblemSchema(ConflictProblemSchema):
    """409 on a visit: a stale version, or a visit no longer editable. `current` is the
    server's copy (with its `version`): merge, then send again based on it."""

    current = ma.fields.Nested(VisitDetailSchema, metadata={"description": "The server's copy."})


class VisitPreconditionProblemSchema(ProblemSchema):
    """428: an update of an existing visit without `version` or If-Match. `current` is
    the server's copy: send the edit again based on its version."""

    current = ma.fields.Nested(VisitDetailSchema, metadata={"description": "The server's copy."})


class EvidenceConflictProblemSchema(ConflictProblemSchema):
    """409 on a photo: its id holds other bytes (`current` is the stored photo), belongs
    to another visit, or the visit is no longer editable."""

    current = ma.fields.Nested(EvidenceSchema, metadata={
        "optional": True, "description": "The photo stored under this id, when it holds other bytes."})


class ChecklistConflictProblemSchema(ConflictProblemSchema):
    """409 on a checklist: published, so it can no longer change."""

    current = ma.fields.Nested(ChecklistDetailSchema, metadata={"description": "The server's copy."})


class ExplanationConflictProblemSchema(ConflictProblemSchema):
    """409 on an explanation: the step does not follow from its state."""

    current = ma.fields.Nested(ExplanationSchema, metadata={
        "optional": True, "description": "The explanation as recorded, when there is one."})


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

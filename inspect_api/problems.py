"""The problem+json bodies every error leaves as, described for the OpenAPI document.

errors.py builds the bodies; these schemas describe them. A feature whose 409 carries the
server's copy of a resource subclasses ConflictProblemSchema next to that resource's own
schema (e.g. visits.schemas.VisitConflictProblemSchema), so this module names no feature.
"""

from __future__ import annotations

import marshmallow as ma

from .messages import Schema


class ProblemSchema(Schema):
    """RFC 9457 problem details: the body of every error."""

    type = ma.fields.String(metadata={"description": "Problem type (a relative URI), e.g. "
                                                     "`/problems/validation-error`."})
    title = ma.fields.String(metadata={"description": "Short Vietnamese summary."})
    status = ma.fields.Integer(metadata={"description": "The HTTP status, repeated."})
    detail = ma.fields.String(metadata={"description": "What went wrong, in Vietnamese."})
    instance = ma.fields.String(allow_none=True, metadata={"description": "The request path."})
    # Absent only when the request was refused before it was given an id (a throttle).
    request_id = ma.fields.String(metadata={
        "optional": True, "description": "The request's X-Request-ID: quote it to support."})


class FieldErrors(ma.fields.Dict):
    """A problem's `errors`: documented once, as the FieldErrors component."""


class ValidationProblemSchema(ProblemSchema):
    """422: the input is well-formed but not acceptable; `errors` says where."""

    errors = FieldErrors(metadata={"optional": True})


class ConflictProblemSchema(ProblemSchema):
    """409: the write conflicts with the server's data (a taken code or name names its field)."""

    errors = FieldErrors(metadata={"optional": True})

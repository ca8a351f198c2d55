import marshmallow as ma
from flask import url_for

from ..fields import AwareDateTime
from ..problems import ConflictProblemSchema
from ..messages import Schema


class GpsSchema(Schema):
    lat = ma.fields.Float()
    lon = ma.fields.Float()


class EvidenceSchema(Schema):
    id = ma.fields.UUID()
    visit_id = ma.fields.UUID()
    finding_id = ma.fields.UUID()
    sha256 = ma.fields.String()
    size = ma.fields.Integer()
    content_type = ma.fields.String()
    width = ma.fields.Integer()
    height = ma.fields.Integer()
    taken_at = AwareDateTime(allow_none=True, metadata={"description": "Capture time from EXIF."})
    gps = ma.fields.Nested(GpsSchema, allow_none=True, metadata={"description": "Position from EXIF."})
    uploaded_by = ma.fields.Integer(attribute="uploaded_by_id")
    uploaded_at = AwareDateTime()
    content_url = ma.fields.Method("_content_url", metadata={"type": "string", "format": "uri-reference"})
    thumbnail_url = ma.fields.Method("_thumbnail_url", metadata={"type": "string", "format": "uri-reference"})

    def _content_url(self, evidence) -> str:
        return url_for("evidence.evidence_content", evidence_id=evidence.id)

    def _thumbnail_url(self, evidence) -> str:
        return url_for("evidence.evidence_thumbnail", evidence_id=evidence.id)


class UploadArgsSchema(Schema):
    finding_id = ma.fields.UUID(metadata={"description": "The finding the photo belongs to "
                                                         "(or the X-Finding-ID header)."})


class EvidenceConflictProblemSchema(ConflictProblemSchema):
    """409 on a photo: its id holds other bytes (`current` is the stored photo), belongs
    to another visit, or the visit is no longer editable."""

    current = ma.fields.Nested(EvidenceSchema, metadata={
        "optional": True, "description": "The photo stored under this id, when it holds other bytes."})

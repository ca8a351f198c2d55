import marshmallow as ma
from flask import current_app, g, url_for
from flask_jwt_extended import current_user
from marshmallow import validate

from ..fields import AwareDateTime
from ..problems import ConflictProblemSchema
from ..messages import Schema
from .flags import (PLACE_FAR, PLACE_OK, TIME_OK, TIME_OUTSIDE, UNKNOWN, EvidenceFlags, FlagRules, flags_for_visits,
                    judge)


class GpsSchema(Schema):
    lat = ma.fields.Float()
    lon = ma.fields.Float()


class EvidenceFlagsSchema(Schema):
    """What a reviewer should know before trusting a photo. "unknown" means not checked
    (no EXIF capture time, no GPS, or a desk without coordinates), never "fine"."""

    time = ma.fields.String(dump_only=True, validate=validate.OneOf((TIME_OK, TIME_OUTSIDE, UNKNOWN)), metadata={
        "description": "The EXIF capture time against the visit's window (start .. end, or "
                       "submission while no end is given), widened by "
                       "EVIDENCE_TIME_GRACE_MINUTES on each side: ok, outside or unknown."})
    minutes_outside = ma.fields.Integer(dump_only=True, allow_none=True, metadata={
        "description": "When `outside`: minutes before the window (negative) or after it "
                       "(positive), grace excluded; else null."})
    place = ma.fields.String(dump_only=True, validate=validate.OneOf((PLACE_OK, PLACE_FAR, UNKNOWN)), metadata={
        "description": "The EXIF GPS against the desk's coordinates: `far` beyond "
                       "EVIDENCE_MAX_DISTANCE_METERS; ok, far or unknown."})
    distance_m = ma.fields.Integer(dump_only=True, allow_none=True, metadata={
        "description": "Metres from the desk (great-circle); null when `place` is unknown."})
    duplicate = ma.fields.Boolean(dump_only=True, metadata={
        "description": "The same bytes (SHA-256) are evidence in another visit."})
    duplicate_of_visits = ma.fields.List(ma.fields.UUID(), dump_only=True, metadata={
        "description": "Those other visits, the ones you may see."})
    duplicates_hidden = ma.fields.Integer(dump_only=True, metadata={
        "description": "How many other visits with the same bytes lie outside what you may see."})
    attention = ma.fields.Boolean(dump_only=True, metadata={
        "description": "Any of: outside, far, duplicate."})


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
    flags = ma.fields.Nested(EvidenceFlagsSchema, dump_only=True, metadata={
        "description": "Can the photo be trusted at a glance: capture time, place, duplicates."})

    def get_attribute(self, obj, attr, default):
        if attr == "flags":
            return self._flags(obj)
        return super().get_attribute(obj, attr, default)

    def _flags(self, evidence) -> EvidenceFlags:
        rules = FlagRules.from_settings(current_app.config)
        # A visit's detail brings what its photos are judged on (flags.load_photo_facts).
        facts = getattr(evidence, "photo_facts", None)
        if facts is not None:
            return judge(facts, rules)
        # Elsewhere (an upload's answer, a findings batch, a photo alone) the flags are
        # looked up here, a whole visit at a time and once per request (flask.g), never
        # one query per photo.
        cache = g.setdefault("evidence_flags", {})
        if evidence.id not in cache:
            cache.update(flags_for_visits(current_user, [evidence.visit_id], rules))
        return cache.get(evidence.id) or EvidenceFlags()

    @staticmethod
    def flags_alone(evidence) -> None:
        """Before answering with this one photo (an upload): its flags are worked out
        alone, not with every photo of its visit, which a tablet's sync of a day's photos
        would pay once per photo; not at all when the upload kept what they are judged on
        (a new photo's, flags.load_new_photo_facts)."""
        if getattr(evidence, "photo_facts", None) is not None:
            return
        rules = FlagRules.from_settings(current_app.config)
        g.setdefault("evidence_flags", {}).update(
            flags_for_visits(current_user, [evidence.visit_id], rules, evidence_ids=[evidence.id]))

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

"""The audit trail, for admins and reviewers, each within their org subtree."""

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from ..fields import id_field
from ..guard import require_role
from ..storage import get_store
from ..messages import Schema
from ..pagination import PageArgsSchema, keyset_page, page_of
from .anchors import audit_secret
from .models import AuditEvent
from .service import list_events, verify_trail

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="Nhật ký thao tác")


class AuditEventSchema(Schema):
    id = ma.fields.Integer()
    at = ma.fields.AwareDateTime()
    actor_id = ma.fields.Integer(allow_none=True)
    actor_username = ma.fields.String(allow_none=True)
    action = ma.fields.String()
    entity_type = ma.fields.String()
    entity_id = ma.fields.String(allow_none=True)
    before = ma.fields.Raw(allow_none=True)
    after = ma.fields.Raw(allow_none=True)
    request_id = ma.fields.String(allow_none=True)
    remote_addr = ma.fields.String(allow_none=True)
    scope_unit_id = ma.fields.Integer(allow_none=True, metadata={
        "description": "The org unit the event is about, fixed when it was written; null: "
                       "about no unit (seen by admins of a root unit only)."})
    prev_hash = ma.fields.String()
    hash = ma.fields.String()


class AuditQueryArgsSchema(PageArgsSchema):
    entity_type = ma.fields.String(validate=ma.validate.Length(max=40))
    entity_id = ma.fields.String(validate=ma.validate.Length(max=64))
    actor_id = id_field()
    action = ma.fields.String(validate=ma.validate.Length(max=40))


class ChainReportSchema(Schema):
    intact = ma.fields.Boolean()
    checked = ma.fields.Integer()
    broken_at = ma.fields.Integer(allow_none=True, metadata={
        "description": "Id of the first bad event, or of the event an anchor names that is "
                       "missing or differs."})
    reason = ma.fields.String(allow_none=True)
    anchored_event_id = ma.fields.Integer(allow_none=True, metadata={
        "description": "Event named by the newest anchor in the object store; null: no anchor "
                       "yet, so removing the newest events could not be detected."})
    anchored_at = ma.fields.AwareDateTime(allow_none=True, metadata={
        "description": "When that anchor was written."})
    anchors_checked = ma.fields.Integer()


@blp.route("")
class AuditEvents(MethodView):
    decorators = [require_role("admin", "reviewer")]

    @blp.arguments(AuditQueryArgsSchema, location="query")
    @blp.response(200, page_of(AuditEventSchema))
    def get(self, args):
        """Audit events in your subtree, newest first, filtered by entity, actor or action.

        Admins see every event about their subtree (admins of a root unit also see the
        events about no unit, such as failed logins for unknown names); reviewers see the
        events about visits, findings, evidence and lists."""
        return keyset_page(list_events(current_user, args), args, order=[(AuditEvent.id, True)], name="audit")


@blp.route("/verify", methods=["GET"])
@require_role("admin")
@blp.response(200, ChainReportSchema)
@blp.alt_response(403, description="Not an admin of a root unit")
@blp.alt_response(503, description="The object store holding the anchors is unavailable; see Retry-After")
def verify():
    """Recompute the hash chain and check it against the newest anchor (admins of a root unit)."""
    return verify_trail(current_user, get_store(), audit_secret(current_app.config))

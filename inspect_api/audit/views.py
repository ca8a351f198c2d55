"""The audit trail, for admins and reviewers."""

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from ..api import id_field
from ..auth.actor import require_role
from ..pagination import PageArgsSchema, keyset_page, page_of
from .models import AuditEvent
from .service import verify_chain

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="Nhật ký thao tác")


class AuditEventSchema(ma.Schema):
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
    prev_hash = ma.fields.String()
    hash = ma.fields.String()


class AuditQueryArgsSchema(PageArgsSchema):
    entity_type = ma.fields.String(validate=ma.validate.Length(max=40))
    entity_id = ma.fields.String(validate=ma.validate.Length(max=64))
    actor_id = id_field()
    action = ma.fields.String(validate=ma.validate.Length(max=40))


class ChainReportSchema(ma.Schema):
    intact = ma.fields.Boolean()
    checked = ma.fields.Integer()
    broken_at = ma.fields.Integer(allow_none=True, metadata={"description": "Id of the first bad event."})
    reason = ma.fields.String(allow_none=True)


@blp.route("")
class AuditEvents(MethodView):
    decorators = [require_role("admin", "reviewer")]

    @blp.arguments(AuditQueryArgsSchema, location="query")
    @blp.response(200, page_of(AuditEventSchema))
    def get(self, args):
        """Audit events, newest first, filtered by entity, actor or action."""
        query = select(AuditEvent)
        for key in ("entity_type", "entity_id", "actor_id", "action"):
            if args.get(key) is not None:
                query = query.where(getattr(AuditEvent, key) == args[key])
        return keyset_page(query, args, order=[(AuditEvent.id, True)], name="audit")


@blp.route("/verify", methods=["GET"])
@require_role("admin")
@blp.response(200, ChainReportSchema)
def verify():
    """Recompute the hash chain over the whole trail; says where it breaks, if anywhere."""
    return verify_chain()
